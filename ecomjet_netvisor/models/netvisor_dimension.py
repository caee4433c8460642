"""Netvisor dimensions (laskentakohteet): an Odoo analytic plan is a Netvisor dimension
header, an analytic account an item of it (API.md §11.2).

Netvisor creates an unknown item on import, so a typo makes a new cost object: what the
vouchers carry is checked against the dimensions fetched from Netvisor before anything is
sent, and created there only when the company asked for it.
"""

from collections import defaultdict
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

#: A journal item whose analytic lines add up to more than its amount books the same
#: amount on several plans in separate rows: no single set of Netvisor lines says that.
OVER_DISTRIBUTED = "over_distributed"
#: What Odoo's rounding of one analytic line may leave over its journal item.
ROUNDING = Decimal("0.01")


def _names_language(company):
    """Analytic account names are translatable: they are read in one language whoever
    closes, sends or compares (the company's), or a rename in one language would send
    another name."""
    return company.sudo().partner_id.lang or "en_US"


class NetvisorDimension(models.Model):
    _name = "netvisor.dimension"
    _description = "Netvisor dimension (header)"
    _order = "company_id, name"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    name = fields.Char("Dimension in Netvisor", required=True)
    netvisor_key = fields.Char("Netvisor key", readonly=True)
    plan_id = fields.Many2one(
        "account.analytic.plan",
        string="Analytic plan",
        domain="[('parent_id', '=', False)]",
        help="The Odoo analytic plan whose accounts are this dimension's items in Netvisor. "
        "A plan without a dimension is not sent.",
    )
    is_hidden = fields.Boolean("Hidden in Netvisor", readonly=True)
    found = fields.Boolean("In Netvisor", readonly=True, default=True)
    item_ids = fields.One2many("netvisor.dimension.item", "dimension_id", string="Items")

    _company_name_uniq = models.Constraint(
        "unique(company_id, name)", "A Netvisor dimension is listed once per company."
    )
    _company_plan_uniq = models.UniqueIndex(
        "(company_id, plan_id) WHERE plan_id IS NOT NULL",
        "An analytic plan is one Netvisor dimension per company.",
    )

    # ------------------------------------------------------------------ fetch

    @api.model
    def action_fetch_netvisor_dimensions(self):
        """Read Netvisor's dimensions (hidden ones too) and map plans and analytic accounts
        whose name (or code) is the same; what Netvisor no longer has is flagged."""
        self.check_access("create")
        # a branch books in its root company's organisation, with the root's dimensions
        company = self.env.company.root_id
        with company._netvisor_request(require_enabled=False) as client:
            remote = client.get_dimensions(show_hidden=True)
        mine = [("company_id", "=", company.id)]
        headers = {header.name: header for header in self.search(mine)}
        Item = self.env["netvisor.dimension.item"]
        items = {(item.dimension_id.name, item.name): item for item in Item.search(mine)}
        seen_headers, seen_items = set(), set()
        for dimension in remote:
            header = headers.get(dimension.name)
            values = {
                "netvisor_key": dimension.netvisor_key,
                "is_hidden": dimension.is_hidden,
                "found": True,
            }
            if header:
                header.write(values)
            else:
                header = headers[dimension.name] = self.create(
                    {**values, "company_id": company.id, "name": dimension.name}
                )
            seen_headers.add(header.id)
            for remote_item in dimension.items:
                item = items.get((dimension.name, remote_item.name))
                values = {
                    "netvisor_key": remote_item.netvisor_key,
                    "code": remote_item.code or False,
                    "label": remote_item.label or False,
                    "is_hidden": remote_item.is_hidden,
                    "found": True,
                }
                if item:
                    item.write(values)
                else:
                    item = items[dimension.name, remote_item.name] = Item.create(
                        {
                            **values,
                            "company_id": company.id,
                            "dimension_id": header.id,
                            "name": remote_item.name,
                        }
                    )
                seen_items.add(item.id)
        self.search([*mine, ("id", "not in", list(seen_headers))]).found = False
        Item.search([*mine, ("id", "not in", list(seen_items))]).found = False
        mapped = self._netvisor_map_by_name(company)
        missing = Item.search_count([*mine, ("found", "=", False)])
        return company._netvisor_notification(
            self.env._("Netvisor dimensions"),
            self.env._(
                "%(headers)s dimensions and %(items)s items in Netvisor; %(mapped)s mapped "
                "by name; %(missing)s mapped items are not in Netvisor.",
                headers=len(seen_headers),
                items=len(seen_items),
                mapped=mapped,
                missing=missing,
            ),
            "warning" if missing else "success",
        )

    @api.model
    def _netvisor_map_by_name(self, company):
        """Plans and analytic accounts named (or coded) as a Netvisor dimension and item;
        what is mapped already stays. Returns how many were mapped now."""
        mapped = 0
        headers = self.search([("company_id", "=", company.id)])
        plans = self.env["account.analytic.plan"].search([("parent_id", "=", False)])
        taken = set(headers.plan_id.ids)
        for header in headers.filtered(lambda h: not h.plan_id):
            plan = plans.filtered(
                lambda p, h=header: p.id not in taken and p.name.casefold() == h.name.casefold()
            )[:1]
            if plan:
                header.plan_id = plan
                taken.add(plan.id)
                mapped += 1
        Account = self.env["account.analytic.account"].with_company(company)
        Account = Account.with_context(lang=_names_language(company))
        Item = self.env["netvisor.dimension.item"]
        used = set(Item.search([("company_id", "=", company.id)]).analytic_account_id.ids)
        family = self.env["res.company"].sudo().search([("id", "child_of", company.id)])
        for header in headers.filtered("plan_id"):
            accounts = Account.search(
                [
                    ("root_plan_id", "=", header.plan_id.id),
                    ("company_id", "in", [False, *family.ids]),
                ]
            )
            for item in header.item_ids.filtered(lambda i: not i.analytic_account_id):
                key = item.name.casefold()
                account = accounts.filtered(
                    lambda a, key=key: (
                        a.id not in used
                        and (a.name.casefold() == key or (a.code or "").casefold() == key)
                    )
                )[:1]
                if account:
                    item.analytic_account_id = account
                    used.add(account.id)
                    mapped += 1
        return mapped

    # ------------------------------------------------------------------ voucher lines

    @api.model
    def _netvisor_line_parts(self, line_ids, company_ids):
        """{journal item id: [(amount, ((header, item), ...))]} of the items whose analytic
        lines fall on plans mapped to a Netvisor dimension, and the problems.

        The amounts are Odoo's own analytic lines (already split to the cent, Odoo's
        rounding remainder included): one part per analytic line, negated (an analytic
        amount is the opposite of the journal item's balance); what the lines leave of the
        item's amount is a part without dimensions. Problems: (OVER_DISTRIBUTED, journal
        item id) when the lines exceed the item. Empty when no plan is mapped: a company
        without dimensions reads nothing more.
        """
        headers = self.search([("company_id", "in", list(company_ids)), ("plan_id", "!=", False)])
        if not headers or not line_ids:
            return {}, []
        names = {}  # {(company id, plan id): header name}
        for header in headers:
            names[header.company_id.id, header.plan_id.id] = header.name
        plans = headers.plan_id
        columns = {plan.id: plan._column_name() for plan in plans}
        Analytic = self.env["account.analytic.line"]
        Analytic.flush_model()
        rows = self.env.execute_query(
            SQL(
                """SELECT analytic.move_line_id, analytic.amount, line.balance, line.company_id,
                          %(columns)s
                     FROM account_analytic_line analytic
                     JOIN account_move_line line ON line.id = analytic.move_line_id
                    WHERE analytic.move_line_id = ANY(%(lines)s)
                 ORDER BY analytic.move_line_id, analytic.id""",
                columns=SQL(", ").join(
                    SQL("analytic.%s", SQL.identifier(column)) for column in columns.values()
                ),
                lines=list(line_ids),
            )
        )
        companies = self.env["res.company"].sudo().browse({row[3] for row in rows})
        root_of = {company.id: company.root_id for company in companies}
        Item = self.env["netvisor.dimension.item"]
        item_names = {
            root.id: Item._netvisor_item_names(
                {
                    account
                    for row in rows
                    if root_of[row[3]] == root
                    for account in row[4:]
                    if account
                },
                root,
            )
            for root in set(root_of.values())
        }
        parts, covered, balances, problems = defaultdict(list), defaultdict(Decimal), {}, []
        for line_id, amount, balance, company_id, *accounts in rows:
            root = root_of[company_id].id
            dimensions = tuple(
                sorted(
                    (names[root, plan_id], item_names[root][account])
                    for plan_id, account in zip(columns, accounts, strict=True)
                    if account and (root, plan_id) in names
                )
            )
            if not dimensions:
                continue  # a plan Netvisor does not follow
            share = -Decimal(f"{amount:.2f}")
            parts[line_id].append((share, dimensions))
            covered[line_id] += share
            balances[line_id] = Decimal(f"{balance:.2f}")
        for line_id, total in covered.items():
            balance = balances[line_id]
            rest = balance - total
            excess = abs(total) - abs(balance)
            if excess > ROUNDING * len(parts[line_id]):
                problems.append((OVER_DISTRIBUTED, line_id))
                del parts[line_id]
            elif excess > 0:
                # Odoo rounds the analytic lines in the document's currency: a cent or so
                # over the item (a JPY invoice) is taken from the largest part, so the
                # parts still add up to the item exactly
                largest = max(range(len(parts[line_id])), key=lambda i: abs(parts[line_id][i][0]))
                share, dimensions = parts[line_id][largest]
                parts[line_id][largest] = (share + rest, dimensions)
            elif rest:
                parts[line_id].append((rest, ()))
        return dict(parts), problems


class NetvisorDimensionItem(models.Model):
    _name = "netvisor.dimension.item"
    _description = "Netvisor dimension item"
    _order = "company_id, dimension_id, name"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    dimension_id = fields.Many2one(
        "netvisor.dimension", required=True, ondelete="cascade", check_company=True
    )
    name = fields.Char("Item in Netvisor", required=True)
    code = fields.Char(readonly=True)
    label = fields.Char(readonly=True)
    netvisor_key = fields.Char("Netvisor key", readonly=True)
    is_hidden = fields.Boolean("Hidden in Netvisor", readonly=True)
    found = fields.Boolean(
        "In Netvisor",
        readonly=True,
        default=False,
        help="Set by Fetch dimensions when Netvisor has this item.",
    )
    analytic_account_id = fields.Many2one(
        "account.analytic.account",
        "Analytic account",
        check_company=True,
        help="The Odoo analytic account sent to Netvisor as this item. An analytic account "
        "of a mapped plan without an item here is sent under its own name.",
    )

    _company_item_uniq = models.Constraint(
        "unique(company_id, dimension_id, name)", "An item is listed once per dimension."
    )
    _company_account_uniq = models.UniqueIndex(
        "(company_id, analytic_account_id) WHERE analytic_account_id IS NOT NULL",
        "An analytic account is one Netvisor item per company.",
    )

    @api.constrains("analytic_account_id", "dimension_id")
    def _check_plan(self):
        for item in self.filtered("analytic_account_id"):
            plan = item.dimension_id.plan_id
            if plan and item.analytic_account_id.root_plan_id != plan:
                raise ValidationError(
                    self.env._(
                        "%(account)s belongs to another analytic plan than the dimension "
                        "%(dimension)s (%(plan)s).",
                        account=item.analytic_account_id.display_name,
                        dimension=item.dimension_id.name,
                        plan=plan.display_name,
                    )
                )

    def write(self, vals):
        """An item renamed (or moved to another dimension) in Odoo is not the one Netvisor
        has: it must be fetched, or created, again before anything carries it."""
        if "name" in vals or "dimension_id" in vals:
            vals = {**vals, "found": False, "netvisor_key": False}
        return super().write(vals)

    @api.model
    def _netvisor_item_names(self, account_ids, company):
        """{analytic account id: the item it is sent as in this (root) company}: its
        mapping, else its name (in the company's language)."""
        accounts = (
            self.env["account.analytic.account"]
            .sudo()
            .with_context(lang=_names_language(company))
            .browse(account_ids)
        )
        names = {account.id: account.name for account in accounts}
        mapped = self.sudo().search(
            [("company_id", "=", company.id), ("analytic_account_id", "in", list(account_ids))]
        )
        for item in mapped:
            names[item.analytic_account_id.id] = item.name
        return names

    @api.model
    def _netvisor_record_created(self, company, header, item):
        """The catalog says Netvisor has this item: it was just created there."""
        Dimension = self.env["netvisor.dimension"]
        dimension = Dimension.search(
            [("company_id", "=", company.id), ("name", "=", header)], limit=1
        ) or Dimension.create({"company_id": company.id, "name": header})
        existing = self.search([("dimension_id", "=", dimension.id), ("name", "=", item)])
        values = {"found": True, "is_hidden": False}
        if existing:
            existing.write(values)
        else:
            self.create(
                {**values, "company_id": company.id, "dimension_id": dimension.id, "name": item}
            )

    @api.model
    def _netvisor_unknown(self, company, pairs):
        """{(header, item): 'missing' | 'hidden'} of these pairs that Netvisor (as last
        fetched) does not have, or has hidden."""
        names = list({item for _header, item in pairs})
        known = {
            (item.dimension_id.name, item.name): item
            for item in self.sudo().search(
                [("company_id", "=", company.id), ("found", "=", True), ("name", "in", names)]
            )
        }
        unknown = {}
        for pair in pairs:
            item = known.get(pair)
            if not item:
                unknown[pair] = "missing"
            elif item.is_hidden:
                unknown[pair] = "hidden"
        return unknown
