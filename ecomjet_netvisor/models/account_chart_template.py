from odoo import models


class AccountChartTemplate(models.AbstractModel):
    _inherit = "account.chart.template"

    def _post_load_data(self, template_code, company, template_data):
        """Seed the Netvisor VAT codes whenever a chart is loaded for a company."""
        res = super()._post_load_data(template_code, company, template_data)
        self.env["account.tax"]._netvisor_seed_vat_codes(company or self.env.company)
        return res
