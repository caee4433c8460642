# ruff: noqa: B018
{
    "name": "Netvisor accounting integration",
    "summary": "Close monthly sales and purchase periods and send them to Visma Netvisor "
    "exactly once",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "author": "ecomjet_netvisor developers",
    "website": "https://github.com/ecomjet/ecomjet_netvisor",
    "license": "LGPL-3",
    "depends": ["account", "mail"],
    "external_dependencies": {"python": ["requests", "lxml"]},
    "data": [
        "security/ir.model.access.csv",
        "security/netvisor_security.xml",
        "data/ir_cron.xml",
        "views/netvisor_account_map_views.xml",
        "views/netvisor_voucher_type_views.xml",
        "views/res_config_settings_views.xml",
        "views/account_tax_views.xml",
        "views/account_move_views.xml",
        "views/netvisor_voucher_views.xml",
        "views/netvisor_period_views.xml",
        "wizards/netvisor_period_close_views.xml",
        "views/netvisor_menus.xml",
    ],
    "assets": {
        "web.assets_tests": ["ecomjet_netvisor/static/src/tours/*.js"],
    },
    "post_init_hook": "_post_init_seed_tax_codes",
    "installable": True,
    "application": False,
}
