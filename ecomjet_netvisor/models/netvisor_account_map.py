from collections import defaultdict

from odoo import api, fields, models

from ..kinds import KIND_OF_MOVE_TYPE
from .account_tax import NETVISOR_VAT_CODES

#: The document types the close sends (invoices, credit notes, receipts).
INVOICE_TYPES = tuple(KIND_OF_MOVE_TYPE)


class NetvisorAccountMap(models.Model):
    _name = "netvisor.account.map"
    _description = "Netvisor account mapping"
    _order = "company_id, netvisor_account_number, id"
    _check_company_auto = True
    _rec_name = "account_id"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    account_id = fields.Many2one(
        "account.account", string="Odoo account", required=True, check_company=True
    )
    netvisor_account_number = fields.Char("Netvisor account", required=True)
    netvisor_account_name = fields.Char("Name in Netvisor", readonly=True)
    netvisor_account_found = fields.Boolean(
        "In Netvisor chart",
        default=True,
        help="Cleared by Fetch Netvisor chart when the number is not an active account in "
        "Netvisor's chart of accounts.",
    )
    vat_code = fields.Selection(
        [("auto", "From the line's tax"), *NETVISOR_VAT_CODES],
        string="VAT code",
        default="auto",
        required=True,
        help="From the line's tax: the Netvisor code of the tax on each journal item; "
        "another choice overrides it for every line on this account.",
    )
    active = fields.Boolean(default=True)

    _company_account_uniq = models.Constraint(
        "unique(company_id, account_id)", "An account can be mapped only once per company."
    )

    @api.model
    def action_fetch_netvisor_chart(self):
        """Map every account whose code exists in Netvisor's chart; flag numbers that don't."""
        self.check_access("create")
        company = self.env.company
        with company._netvisor_request(require_enabled=False) as client:
            chart = client.get_account_list()
        names = {
            acc.number: acc.name
            for acc in chart.accounts
            if acc.number and acc.account_type == "account" and acc.is_active
        }
        maps = self.with_context(active_test=False).search([("company_id", "=", company.id)])
        ids_by_value = defaultdict(list)
        for mapping in maps:
            number = mapping.netvisor_account_number
            value = (number in names, names.get(number) or False)
            if value != (mapping.netvisor_account_found, mapping.netvisor_account_name):
                ids_by_value[value].append(mapping.id)
        for (found, name), ids in ids_by_value.items():  # what changed, one write per value
            maps.browse(ids).write({"netvisor_account_found": found, "netvisor_account_name": name})
        accounts = (
            self.env["account.account"]
            .with_company(company)
            .search(
                [
                    *self.env["account.account"]._check_company_domain(company),
                    ("id", "not in", maps.account_id.ids),
                ]
            )
        )
        new = self.create(
            [
                {
                    "company_id": company.id,
                    "account_id": account.id,
                    "netvisor_account_number": account.code,
                    "netvisor_account_name": names[account.code],
                }
                for account in accounts
                if account.code in names
            ]
        )
        missing = maps.filtered(lambda m: not m.netvisor_account_found)
        message = self.env._(
            "%(new)s accounts mapped, %(missing)s mappings not in Netvisor.",
            new=len(new),
            missing=len(missing),
        )
        return company._netvisor_notification(
            self.env._("Netvisor chart of accounts"), message, "warning" if missing else "success"
        )

    @api.model
    def _netvisor_maps_by_account(self, company):
        """{account id: map} of the company's active mappings (one query)."""
        maps = self.search([("company_id", "=", company.id)])
        return {mapping.account_id.id: mapping for mapping in maps}

    @api.model
    def _netvisor_unmapped_used_account_ids(self, company):
        """Accounts on posted invoices and bills of the company (and of its branches, sent
        with it) that have no mapping."""
        mapped = self.search([("company_id", "=", company.id)]).account_id
        groups = (
            self.env["account.move.line"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "child_of", company.id),
                    ("parent_state", "=", "posted"),
                    ("move_id.move_type", "in", INVOICE_TYPES),
                    ("account_id", "not in", mapped.ids),
                    ("display_type", "not in", ("line_section", "line_note")),
                ],
                ["account_id"],
            )
        )
        return [account.id for (account,) in groups]
