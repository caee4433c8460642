from odoo import api, fields, models

#: Each voucher type choice and the company's voucher class (its Netvisor name) it fills.
VOUCHER_TYPE_CHOICES = {
    "netvisor_sale_voucher_type_id": "netvisor_sale_voucher_class",
    "netvisor_purchase_voucher_type_id": "netvisor_purchase_voucher_class",
}


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
        "Sales voucher class", related="company_id.netvisor_sale_voucher_class", readonly=False
    )
    netvisor_purchase_voucher_class = fields.Char(
        "Purchase voucher class",
        related="company_id.netvisor_purchase_voucher_class",
        readonly=False,
    )
    netvisor_sale_voucher_type_id = fields.Many2one(
        "netvisor.voucher.type",
        "Sales voucher type",
        compute="_compute_netvisor_voucher_type_ids",
        inverse="_inverse_netvisor_voucher_type_ids",
        domain="[('company_id', '=', company_id)]",
    )
    netvisor_purchase_voucher_type_id = fields.Many2one(
        "netvisor.voucher.type",
        "Purchase voucher type",
        compute="_compute_netvisor_voucher_type_ids",
        inverse="_inverse_netvisor_voucher_type_ids",
        domain="[('company_id', '=', company_id)]",
    )
    netvisor_start_date = fields.Date(related="company_id.netvisor_start_date", readonly=False)
    netvisor_compare_nightly = fields.Boolean(
        related="company_id.netvisor_compare_nightly", readonly=False
    )
    netvisor_create_dimension_items = fields.Boolean(
        related="company_id.netvisor_create_dimension_items", readonly=False
    )
    netvisor_send_sale_documents = fields.Boolean(
        related="company_id.netvisor_send_sale_documents", readonly=False
    )
    netvisor_send_purchase_documents = fields.Boolean(
        related="company_id.netvisor_send_purchase_documents", readonly=False
    )
    netvisor_document_max_mb = fields.Integer(
        related="company_id.netvisor_document_max_mb", readonly=False
    )
    netvisor_mac_algorithm = fields.Selection(
        related="company_id.netvisor_mac_algorithm", readonly=False, groups="base.group_system"
    )
    netvisor_voucher_type_count = fields.Integer(compute="_compute_netvisor_voucher_type_count")

    def _compute_netvisor_voucher_type_count(self):
        for settings in self:
            settings.netvisor_voucher_type_count = self.env["netvisor.voucher.type"].search_count(
                [("company_id", "=", settings.company_id.id)]
            )

    @api.depends("company_id", *VOUCHER_TYPE_CHOICES.values())
    def _compute_netvisor_voucher_type_ids(self):
        """The fetched type whose name is the company's voucher class, if there is one."""
        for settings in self:
            types = self.env["netvisor.voucher.type"].search(
                [("company_id", "=", settings.company_id.id)]
            )
            for type_field, class_field in VOUCHER_TYPE_CHOICES.items():
                name = settings[class_field]
                settings[type_field] = types.filtered_domain([("name", "=", name)])[:1]

    def _inverse_netvisor_voucher_type_ids(self):
        """Netvisor matches the voucher class by the type's full name: store that name."""
        for settings in self:
            for type_field, class_field in VOUCHER_TYPE_CHOICES.items():
                name = settings[type_field].name
                if name and settings.company_id[class_field] != name:
                    settings.company_id[class_field] = name

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
        action = self.company_id._netvisor_notification(
            self.env._("Netvisor voucher types"),
            self.env._("Voucher types fetched from Netvisor: %s.", len(types)),
            "success",
        )
        # reload the settings (already saved by the button) so the types can be chosen at once
        action["params"]["next"] = {"type": "ir.actions.client", "tag": "soft_reload"}
        return action
