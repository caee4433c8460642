from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    netvisor_enabled = fields.Boolean(related="company_id.netvisor_enabled", readonly=False)
    netvisor_customer_id = fields.Char(
        related="company_id.netvisor_customer_id", readonly=False, groups="base.group_system"
    )
    netvisor_customer_key = fields.Char(
        related="company_id.netvisor_customer_key", readonly=False, groups="base.group_system"
    )
    netvisor_partner_id = fields.Char(
        related="company_id.netvisor_partner_id", readonly=False, groups="base.group_system"
    )
    netvisor_partner_key = fields.Char(
        related="company_id.netvisor_partner_key", readonly=False, groups="base.group_system"
    )
    netvisor_organisation_id = fields.Char(
        related="company_id.netvisor_organisation_id", readonly=False
    )
    netvisor_environment = fields.Selection(
        related="company_id.netvisor_environment", readonly=False
    )
    netvisor_custom_url = fields.Char(related="company_id.netvisor_custom_url", readonly=False)
    netvisor_language = fields.Selection(related="company_id.netvisor_language", readonly=False)
    netvisor_sale_voucher_class = fields.Char(
        related="company_id.netvisor_sale_voucher_class", readonly=False
    )
    netvisor_purchase_voucher_class = fields.Char(
        related="company_id.netvisor_purchase_voucher_class", readonly=False
    )
    netvisor_start_date = fields.Date(related="company_id.netvisor_start_date", readonly=False)
    netvisor_mac_algorithm = fields.Selection(
        related="company_id.netvisor_mac_algorithm", readonly=False, groups="base.group_system"
    )
    netvisor_voucher_type_count = fields.Integer(compute="_compute_netvisor_voucher_type_count")

    def _compute_netvisor_voucher_type_count(self):
        for settings in self:
            settings.netvisor_voucher_type_count = self.env["netvisor.voucher.type"].search_count(
                [("company_id", "=", settings.company_id.id)]
            )

    def action_netvisor_test_connection(self):
        self.ensure_one()
        return self.company_id.action_netvisor_test_connection()

    def action_netvisor_open_account_map(self):
        self.ensure_one()
        return self.env["ir.actions.act_window"]._for_xml_id(
            "ecomjet_netvisor.action_netvisor_account_map"
        )

    def action_netvisor_fetch_voucher_types(self):
        """Refresh the cached voucher types so the two voucher classes can be chosen."""
        self.ensure_one()
        types = self.env["netvisor.voucher.type"]._netvisor_fetch(self.company_id)
        return self.company_id._netvisor_notification(
            self.env._("Netvisor voucher types"),
            self.env._("%s voucher types fetched from Netvisor.", len(types)),
            "success",
        )
