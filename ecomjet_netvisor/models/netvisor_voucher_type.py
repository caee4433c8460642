from odoo import api, fields, models


class NetvisorVoucherType(models.Model):
    _name = "netvisor.voucher.type"
    _description = "Netvisor voucher type"
    _order = "company_id, name"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, ondelete="cascade"
    )
    name = fields.Char(required=True, help="Full name, sent to Netvisor as the voucher class.")
    abbreviation = fields.Char()
    netvisor_key = fields.Char()

    _company_key_uniq = models.Constraint(
        "unique(company_id, netvisor_key)", "A Netvisor voucher type is cached only once."
    )

    @api.model
    def _netvisor_fetch(self, company):
        """Replace the company's cached voucher types with Netvisor's current list."""
        self.check_access("create")
        with company._netvisor_request(require_enabled=False) as client:
            answer = client.get_voucher_types()
        self.search([("company_id", "=", company.id)]).unlink()
        return self.create(
            [
                {
                    "company_id": company.id,
                    "name": vtype.name,
                    "abbreviation": vtype.abbreviation,
                    "netvisor_key": vtype.netvisor_key,
                }
                for vtype in answer.types
            ]
        )
