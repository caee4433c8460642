"""Demo content for `make demo`, run inside `odoo shell`: a Finnish company with two
months of posted invoices, credit notes and bills, the account mapping filled in and
Netvisor pointing at the local sandbox."""

import datetime

from netvisor_sandbox import seed

COMPANY = seed.COMPANY_A
MONTHS = ((2025, 11), (2025, 12))

CUSTOMERS = {
    "fi": ("Asiakas Oy", "FI", "FI20774740"),
    "eu": ("Kunde GmbH", "DE", "DE123456788"),
    "construction": ("Rakennus Oy", "FI", "FI01120389"),
    "export": ("Customer Inc.", "US", False),
}
VENDORS = {
    "fi": ("Toimittaja Oy", "FI", "FI09876543"),
    "eu": ("Lieferant GmbH", "DE", "DE987654328"),
    "construction": ("Rakennuspalvelu Oy", "FI", "FI02012566"),
    "import": ("Import Ltd.", "US", False),
}
# (partner kind, l10n_fi tax template ids, amounts); one invoice per row and month.
SALES = (
    ("fi", ("tax_dom_sales_goods_25_5",), (1200.00, 349.90)),
    ("fi", ("tax_dom_sales_goods_14",), (480.00,)),
    ("fi", ("tax_dom_sales_service_25_5", "tax_dom_sales_goods_14"), (900.00, 120.50)),
    ("eu", ("tax_eu_sales_goods_0",), (2500.00,)),
    ("construction", ("tax_construct_sales_0",), (7300.00,)),
    ("export", ("vat0export",), (1875.25,)),
)
#: Netvisor dimensions (laskentakohteet) of the sandbox and the analytic accounts that are
#: their items: Kustannuspaikka is an analytic plan of that name (mapped by Fetch
#: dimensions), Projekti is Odoo's own project plan (mapped by hand, as a user would).
COST_CENTRES = ("Kustannuspaikka", ("Myynti", "Hallinto"))
PROJECTS = ("Projekti", ("P-100", "P-200"))
# (move type, partner kind, taxes, amounts, ((cost centre, project, percent), ...)): one
# document per row and month, split 60/40 across the projects.
DISTRIBUTED = (
    (
        "out_invoice",
        "fi",
        ("tax_dom_sales_goods_25_5",),
        (2400.00,),
        (("Myynti", "P-100", 60), ("Myynti", "P-200", 40)),
    ),
    (
        "in_invoice",
        "fi",
        ("tax_dom_purchase_goods_25_5",),
        (1850.50,),
        (("Hallinto", "P-100", 60), ("Hallinto", "P-200", 40)),
    ),
)
PURCHASES = (
    ("fi", ("tax_dom_purchase_goods_25_5",), (640.00, 99.95)),
    ("fi", ("tax_dom_purchase_goods_14",), (210.00,)),
    ("eu", ("tax_eu_purchase_goods_25_5",), (1500.00,)),
    ("construction", ("tax_construct_purchase_25_5",), (4200.00,)),
    ("import", ("tax_non_eu_purchase_goods_25_5",), (830.00,)),
)


def _partner(env, name, country, vat, rank):
    partner = env["res.partner"].search([("name", "=", name)], limit=1)
    return partner or env["res.partner"].create(
        {
            "name": name,
            "is_company": True,
            "country_id": env.ref(f"base.{country.lower()}").id,
            "vat": vat,
            rank: 1,
        }
    )


def _taxes(env, company, ids):
    taxes = env["account.tax"]
    for xml_id in ids:
        tax = env["account.chart.template"].with_company(company).ref(xml_id)
        tax.active = True  # the 14 % and reverse-charge taxes are archived by default
        taxes |= tax
    return taxes


def _analytic_accounts(env):
    """{name: analytic account} of the demo's two plans, created once."""
    Plan, Account = env["account.analytic.plan"], env["account.analytic.account"]
    project_plan = Plan.browse(
        int(env["ir.config_parameter"].sudo().get_param("analytic.project_plan"))
    )
    plans = {
        COST_CENTRES[0]: Plan.search([("name", "=", COST_CENTRES[0])], limit=1)
        or Plan.create({"name": COST_CENTRES[0]}),
        PROJECTS[0]: project_plan,
    }
    accounts = {}
    for header, names in (COST_CENTRES, PROJECTS):
        for name in names:
            accounts[name] = Account.search([("name", "=", name)], limit=1) or Account.create(
                {"name": name, "plan_id": plans[header].id}
            )
    return accounts


def _map_dimensions(env):
    """Fetch the sandbox's dimensions (maps Kustannuspaikka by name), then map Projekti to
    the project plan by hand and its items by name."""
    Dimension = env["netvisor.dimension"]
    Dimension.action_fetch_netvisor_dimensions()
    project_plan = int(env["ir.config_parameter"].sudo().get_param("analytic.project_plan"))
    Dimension.search([("name", "=", PROJECTS[0])]).plan_id = project_plan
    Dimension._netvisor_map_by_name(env.company)


def _document(env, company, move_type, partner, tax_ids, amounts, day, distribution=None):
    taxes = _taxes(env, company, tax_ids)
    lines = [
        (
            0,
            0,
            {
                "name": f"Tuote {index + 1}",
                "quantity": 1,
                "price_unit": amount,
                "tax_ids": [(6, 0, [taxes[index % len(taxes)].id])],
                **({"analytic_distribution": distribution} if distribution else {}),
            },
        )
        for index, amount in enumerate(amounts)
    ]
    move = (
        env["account.move"]
        .with_company(company)
        .create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "invoice_date": day,
                "date": day,
                "invoice_line_ids": lines,
                **({"ref": f"OL-{day:%Y%m%d}-{partner.id}"} if move_type.startswith("in_") else {}),
            }
        )
    )
    move.action_post()
    return move


def configure_company(env, sandbox_url):
    company = env.company
    company.write(
        {
            "name": COMPANY.name,
            "country_id": env.ref("base.fi").id,
            "currency_id": env.ref("base.EUR").id,
            "company_registry": COMPANY.organisation_id,
            "vat": "FI" + COMPANY.organisation_id.replace("-", ""),
            "street": "Esimerkkikatu 1",
            "zip": "00100",
            "city": "Helsinki",
        }
    )
    return company


def build(env, sandbox_url):
    """Create the demo content once; the caller commits."""
    company = env.company
    company.write(
        {
            "netvisor_enabled": True,
            "netvisor_customer_id": COMPANY.customer_id,
            "netvisor_customer_key": COMPANY.customer_key,
            "netvisor_partner_id": seed.PARTNER_ID,
            "netvisor_partner_key": seed.PARTNER_KEY,
            "netvisor_organisation_id": COMPANY.organisation_id,
            "netvisor_environment": "custom",
            "netvisor_custom_url": sandbox_url,
            "netvisor_language": "FI",
            "netvisor_start_date": datetime.date(*MONTHS[0], 1),
        }
    )
    analytic = _analytic_accounts(env)
    customers = {key: _partner(env, *value, "customer_rank") for key, value in CUSTOMERS.items()}
    vendors = {key: _partner(env, *value, "supplier_rank") for key, value in VENDORS.items()}
    for year, month in MONTHS:
        for index, (kind, taxes, amounts) in enumerate(SALES):
            day = datetime.date(year, month, 3 + 3 * index)
            _document(env, company, "out_invoice", customers[kind], taxes, amounts, day)
        for index, (kind, taxes, amounts) in enumerate(PURCHASES):
            day = datetime.date(year, month, 4 + 3 * index)
            _document(env, company, "in_invoice", vendors[kind], taxes, amounts, day)
        credit_day = datetime.date(year, month, 25)
        _document(
            env,
            company,
            "out_refund",
            customers["fi"],
            ("tax_dom_sales_goods_25_5",),
            (120.00,),
            credit_day,
        )
        _document(
            env,
            company,
            "in_refund",
            vendors["fi"],
            ("tax_dom_purchase_goods_25_5",),
            (64.00,),
            credit_day,
        )
        for move_type, kind, taxes, amounts, split in DISTRIBUTED:
            partner = (customers if move_type.startswith("out_") else vendors)[kind]
            distribution = {
                f"{analytic[centre].id},{analytic[project].id}": percent
                for centre, project, percent in split
            }
            day = datetime.date(year, month, 20 if move_type.startswith("out_") else 21)
            _document(env, company, move_type, partner, taxes, amounts, day, distribution)
    env["netvisor.account.map"].with_company(company).action_fetch_netvisor_chart()
    _map_dimensions(env)
    _users(env, company)


def _users(env, company):
    """English and Finnish both installed: `admin` reads English (as the README's walk
    through the month), `kirjanpitaja` (an accountant, password the same) reads Finnish."""
    Lang = env["res.lang"]
    Lang._activate_lang("en_US")
    Lang._activate_lang("fi_FI")
    env.ref("base.user_admin").lang = "en_US"
    groups = [env.ref("account.group_account_manager").id, env.ref("base.group_user").id]
    env["res.users"].with_context(no_reset_password=True).create(
        {
            "name": "Kirjanpitäjä",
            "login": "kirjanpitaja",
            "password": "kirjanpitaja",
            "lang": "fi_FI",
            "tz": "Europe/Helsinki",
            "company_id": company.id,
            "company_ids": [(6, 0, company.ids)],
            "group_ids": [(6, 0, groups)],
        }
    )
