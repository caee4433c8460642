from . import (
    test_access_rights,
    test_i18n_complete,
    test_multi_company,
    test_period_close_checks,
    test_resend_after_failure,
    test_resend_after_lost_answer,
    test_send_exactly_once,
    test_settings_connection,
    test_tour,
    test_unmapped_accounts_action,
    test_views_per_role,
    test_voucher_content,
)
