from . import (
    account_chart_template,
    account_move,
    account_move_line,
    account_tax,
    netvisor_account_map,
    netvisor_period,
    netvisor_voucher,
    netvisor_voucher_type,
    res_company,
    res_config_settings,
)
