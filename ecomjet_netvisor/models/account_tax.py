from collections import defaultdict

from odoo import api, fields, models

from ..netvisor import vat

#: English labels of the Netvisor VAT codes (translated through the selection); the codes
#: and their order come from the connector's table, which also holds the allowed percents.
VAT_CODE_LABELS = {
    "NONE": "NONE - No VAT processing",
    "KOMY": "KOMY - Domestic sales",
    "KOMY0": "KOMY0 - Domestic sales 0 %",
    "EUMY": "EUMY - EU sales (goods)",
    "EUPM309": "EUPM309 - EU service sales (box 309)",
    "EUPM312": "EUPM312 - EU service sales (box 312)",
    "EUUM": "EUUM - Sales outside the EU",
    "MUUL": "MUUL - Other VAT-free turnover (box 310)",
    "RAMY": "RAMY - Sale of construction services (reverse charge)",
    "KOOS": "KOOS - Domestic purchase",
    "EUOS": "EUOS - EU purchase (goods)",
    "EUPO": "EUPO - EU service purchase",
    "EUUO": "EUUO - Purchase from outside the EU",
    "EVTO": "EVTO - Non-deductible EU goods purchase",
    "EVPO": "EVPO - Non-deductible EU service purchase",
    "RAOS": "RAOS - Purchase of construction services (reverse charge)",
    "EVRO": "EVRO - Non-deductible purchase of construction services",
    "KAVE": "KAVE - Domestic reverse charge",
    "EVKV": "EVKV - Non-deductible reverse tax liability",
    "MAAL": "MAAL - Import VAT, outside the EU",
    "EVMA": "EVMA - Non-deductible import VAT, outside the EU",
    "100": "100 - 100 % deductible tax",
}
NETVISOR_VAT_CODES = [(code, VAT_CODE_LABELS[code]) for code in vat.VAT_CODES]
#: The side of the VAT return each code books on (NONE: either): a mapping of an income
#: account may not take a purchase code, nor an expense account a sales code.
VAT_CODE_SIDES = {
    **dict.fromkeys(
        ("KOMY", "KOMY0", "EUMY", "EUPM309", "EUPM312", "EUUM", "MUUL", "RAMY"), "sale"
    ),
    **dict.fromkeys(
        (
            "KOOS",
            "EUOS",
            "EUPO",
            "EUUO",
            "EVTO",
            "EVPO",
            "RAOS",
            "EVRO",
            "KAVE",
            "EVKV",
            "MAAL",
            "EVMA",
            "100",
        ),
        "purchase",
    ),
}

#: The Netvisor code of each tax of Odoo's Finnish chart (l10n_fi template xml ids).
L10N_FI_TAX_CODES = {
    "tax_dom_sales_goods_25_5": "KOMY",
    "tax_dom_sales_goods_24": "KOMY",
    "tax_dom_sales_goods_14": "KOMY",
    "tax_dom_sales_goods_10": "KOMY",
    "tax_dom_sales_goods_0": "KOMY0",
    "tax_dom_sales_service_25_5": "KOMY",
    "tax_dom_sales_service_24": "KOMY",
    "tax_dom_sales_service_14": "KOMY",
    "tax_dom_sales_service_10": "KOMY",
    "tax_dom_purchase_goods_25_5": "KOOS",
    "tax_dom_purchase_goods_24": "KOOS",
    "tax_dom_purchase_goods_14": "KOOS",
    "tax_dom_purchase_goods_10": "KOOS",
    "tax_dom_purchase_service_25_5": "KOOS",
    "tax_dom_purchase_service_24": "KOOS",
    "tax_dom_purchase_service_14": "KOOS",
    "tax_dom_purchase_service_10": "KOOS",
    "tax_dom_purchase_0": "KOOS",
    "tax_eu_sales_goods_0": "EUMY",
    "vat0triangulation": "EUMY",
    "tax_eu_sales_service_0": "EUPM309",
    "tax_eu_purchase_goods_25_5": "EUOS",
    "tax_eu_purchase_goods_24": "EUOS",
    "tax_eu_purchase_goods_14": "EUOS",
    "tax_eu_purchase_goods_10": "EUOS",
    "triangulation_purchase": "EUOS",
    "tax_eu_purchase_service_25_5": "EUPO",
    "tax_eu_purchase_service_24": "EUPO",
    "tax_eu_purchase_service_14": "EUPO",
    "tax_eu_purchase_service_10": "EUPO",
    "tax_construct_sales_0": "RAMY",
    "tax_construct_purchase_25_5": "KOOS",
    "tax_construct_purchase_24": "KOOS",
    "tax_construct_purchase_25_5_finland": "RAOS",
    "tax_construct_purchase_24_finland": "RAOS",
    "aland_sales_0": "EUUM",
    "vat0export": "EUUM",
    "tax_non_eu_purchase_goods_25_5": "MAAL",
    "tax_non_eu_purchase_goods_24": "MAAL",
    "tax_non_eu_purchase_goods_14": "MAAL",
    "tax_non_eu_purchase_goods_10": "MAAL",
    "import_pay25_5": "MAAL",
    "import_pay24": "MAAL",
    "import_deduct25_5": "MAAL",
    "import_deduct24": "MAAL",
}


class AccountTax(models.Model):
    _inherit = "account.tax"

    netvisor_vat_code = fields.Selection(
        NETVISOR_VAT_CODES,
        string="Netvisor VAT code",
        help="The Netvisor VAT handling code this tax stands for on revenue and expense "
        "lines sent to Netvisor.",
    )

    @api.model
    def _netvisor_seed_vat_codes(self, companies=None):
        """Give every Finnish-chart tax its Netvisor code, keeping codes a user already set."""
        # Every company on purpose (install hook); companies are few, so no limit is needed.
        companies = companies or self.env["res.company"].search([])  # pylint: disable=no-search-all
        names = [f"{company.id}_{xmlid}" for company in companies for xmlid in L10N_FI_TAX_CODES]
        data = (
            self.env["ir.model.data"]
            .sudo()
            .search_fetch(
                [("module", "=", "account"), ("model", "=", "account.tax"), ("name", "in", names)],
                ["name", "res_id"],
            )
        )
        code_of_tax = {d.res_id: L10N_FI_TAX_CODES[d.name.split("_", 1)[1]] for d in data}
        taxes = self.sudo().with_context(active_test=False).browse(code_of_tax)
        ids_by_code = defaultdict(list)
        for tax in taxes.exists().filtered(lambda t: not t.netvisor_vat_code):
            ids_by_code[code_of_tax[tax.id]].append(tax.id)
        for code, ids in ids_by_code.items():  # one write per code, not per tax
            taxes.browse(ids).write({"netvisor_vat_code": code})
