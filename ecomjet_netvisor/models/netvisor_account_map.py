from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..kinds import KIND_OF_MOVE_TYPE
from .account_tax import NETVISOR_VAT_CODES, VAT_CODE_SIDES

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
    # empty on a row added for an account a document used (the row says it is not mapped)
    netvisor_account_number = fields.Char("Netvisor account")
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
    mapping_state = fields.Selection(
        [
            ("not_mapped", "Not mapped"),
            ("not_in_netvisor", "Not in the Netvisor chart"),
            ("mapped", "Mapped"),
        ],
        "Status",
        compute="_compute_mapping_state",
        store=True,
        help="Not mapped, or not in Netvisor's chart: a document on this account blocks the "
        "close of its period.",
    )

    allowed_vat_codes = fields.Char(
        "VAT codes offered",
        compute="_compute_allowed_vat_codes",
        help="The VAT codes offered for this account: those of its side of the VAT return.",
    )

    @api.depends("account_id.account_type")
    def _compute_allowed_vat_codes(self):
        codes = [code for code, _label in self._fields["vat_code"].selection]
        for mapping in self:
            wrong = mapping._netvisor_wrong_side()
            mapping.allowed_vat_codes = ",".join(
                code for code in codes if not wrong or VAT_CODE_SIDES.get(code) != wrong
            )

    def _netvisor_wrong_side(self):
        """The side of VAT codes this account may not take: 'purchase' for an income
        account, 'sale' for an expense account, None for the rest (balance sheet)."""
        account_type = self.account_id.account_type or ""
        if account_type.startswith("income"):
            return "purchase"
        if account_type.startswith("expense"):
            return "sale"
        return None

    @api.depends("netvisor_account_number", "netvisor_account_found")
    def _compute_mapping_state(self):
        for mapping in self:
            if not mapping.netvisor_account_number:
                mapping.mapping_state = "not_mapped"
            elif not mapping.netvisor_account_found:
                mapping.mapping_state = "not_in_netvisor"
            else:
                mapping.mapping_state = "mapped"

    @api.constrains("vat_code", "account_id")
    def _check_vat_code_side(self):
        """A sales VAT code on an expense account (or a purchase code on an income account)
        books VAT on the wrong side of the VAT return."""
        for mapping in self:
            wrong = mapping._netvisor_wrong_side()
            if not wrong or VAT_CODE_SIDES.get(mapping.vat_code) != wrong:
                continue
            values = {"code": mapping.vat_code, "account": mapping.account_id.display_name}
            if wrong == "purchase":
                text = self.env._(
                    "The VAT code %(code)s is a purchase code, but account %(account)s is "
                    "an income account. Choose a sales code, NONE or From the line's tax.",
                    **values,
                )
            else:
                text = self.env._(
                    "The VAT code %(code)s is a sales code, but account %(account)s is an "
                    "expense account. Choose a purchase code, NONE or From the line's tax.",
                    **values,
                )
            raise ValidationError(text)

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
        # rows added for accounts documents used, not mapped yet: mapped like new accounts
        unmapped = maps.filtered(lambda m: not m.netvisor_account_number)
        for mapping in unmapped:
            code = mapping.account_id.with_company(company).code
            if code in names:
                mapping.write(
                    {"netvisor_account_number": code, "netvisor_account_name": names[code]}
                )
        maps -= unmapped
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
                    ("id", "not in", (maps | unmapped).account_id.ids),
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
        mapped_now = unmapped.filtered("netvisor_account_number")
        message = self.env._(
            "Accounts mapped now: %(new)s. Mappings not in Netvisor: %(missing)s.",
            new=len(new) + len(mapped_now),
            missing=len(missing),
        )
        return company._netvisor_notification(
            self.env._("Netvisor chart of accounts"), message, "warning" if missing else "success"
        )

    @api.model
    def _netvisor_maps_by_account(self, company):
        """{account id: map} of the company's active mappings with a Netvisor number (one
        query); a row without one says the account is not mapped."""
        maps = self.search(
            [("company_id", "=", company.id), ("netvisor_account_number", "!=", False)]
        )
        return {mapping.account_id.id: mapping for mapping in maps}

    @api.model
    def _netvisor_add_rows(self, company, account_ids):
        """Rows, flagged *Not mapped*, for these accounts of the company that have none (an
        archived row counts: someone chose to hide it). Returns the rows created."""
        existing = self.with_context(active_test=False).search(
            [("company_id", "=", company.id), ("account_id", "in", list(account_ids))]
        )
        missing = set(account_ids) - set(existing.account_id.ids)
        return self.sudo().create(
            [{"company_id": company.id, "account_id": account_id} for account_id in sorted(missing)]
        )

    @api.model
    def _netvisor_add_used_accounts(self, moves):
        """Rows for the accounts these posted documents use, in the companies that send to
        Netvisor: every account that would block a close shows in the mapping list."""
        moves = moves.sudo().filtered(lambda m: m.move_type in INVOICE_TYPES)
        for root in moves.company_id.root_id.filtered("netvisor_enabled"):
            lines = moves.filtered(lambda m, r=root: m.company_id.root_id == r).line_ids
            accounts = lines.filtered(
                lambda line: line.display_type not in ("line_section", "line_note")
            ).account_id
            if accounts:
                self._netvisor_add_rows(root, accounts.ids)

    def action_netvisor_open_blocking(self):
        """The mapping list filtered to what blocks a close (rows added for accounts used by
        posted documents that had none)."""
        company = self.env.company
        self._netvisor_add_rows(company, self._netvisor_unmapped_used_account_ids(company))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ecomjet_netvisor.action_netvisor_account_map"
        )
        action["context"] = {"search_default_blocks_close": 1}
        return action

    @api.model
    def _netvisor_unmapped_used_account_ids(self, company):
        """Accounts on posted invoices and bills of the company (and of its branches, sent
        with it) that have no mapping."""
        mapped = self.search(
            [("company_id", "=", company.id), ("netvisor_account_number", "!=", False)]
        ).account_id
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
