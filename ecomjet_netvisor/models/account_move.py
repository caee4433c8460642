from collections import defaultdict
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .. import messages
from ..kinds import KIND_OF_MOVE_TYPE, KINDS
from ..netvisor import Voucher, VoucherLine, errors, vat, vouchers
from .netvisor_voucher import VOUCHER_STATES

#: Journal items that carry no VAT code of their own in Netvisor.
NO_VAT_DISPLAY_TYPES = ("tax", "non_deductible_tax", "payment_term")
SKIPPED_DISPLAY_TYPES = ("line_section", "line_subsection", "line_note")
NO_VAT_ACCOUNT_TYPES = ("asset_receivable", "liability_payable")
DESCRIPTION_LENGTH = 100
#: What _netvisor_vat answers for a line whose only VAT-coded tax is not a percentage.
FIXED_TAX = "fixed"
#: Build problems about dimensions (their texts: messages.DIMENSION_*).
DIMENSION_PROBLEMS = ("dimension_missing", "dimension_hidden", "analytic_split")


def _amount(value):
    """A company-currency float as an exact two-decimal Decimal."""
    return Decimal(f"{value:.2f}")


def _description(reference, name, partner_name):
    """The reference first, so the voucher is found again in the ledger (DESIGN §5)."""
    return " ".join(p for p in (reference, name, partner_name) if p)[:DESCRIPTION_LENGTH]


_percent = vat.exact_percent


class AccountMove(models.Model):
    _inherit = "account.move"

    netvisor_voucher_ids = fields.One2many(
        "netvisor.voucher", "move_id", string="Netvisor vouchers", copy=False, readonly=True
    )
    netvisor_voucher_id = fields.Many2one(
        "netvisor.voucher",
        string="Netvisor voucher",
        compute="_compute_netvisor_voucher",
        store=True,
        index="btree_not_null",
        copy=False,
    )
    netvisor_state = fields.Selection(
        [("not_sent", "Not in Netvisor"), *VOUCHER_STATES],
        string="Netvisor",
        compute="_compute_netvisor_voucher",
        store=True,
        copy=False,
    )

    @api.depends("netvisor_voucher_ids.state")
    def _compute_netvisor_voucher(self):
        for move in self:
            voucher = move.netvisor_voucher_ids.filtered(lambda v: v.state != "cancelled")[:1]
            move.netvisor_voucher_id = voucher
            move.netvisor_state = voucher.state or "not_sent"

    def write(self, vals):
        """What Netvisor holds never drifts silently from Odoo (``_netvisor_changing``):
        a document leaving *posted* or re-dated is followed by its voucher."""
        leaving = "state" in vals and vals["state"] != "posted"
        if not (leaving or "date" in vals):
            return super().write(vals)
        moves = self.filtered(lambda m: m.state == "posted")
        if "date" in vals and not leaving:
            day = fields.Date.to_date(vals["date"])
            moves = moves.filtered(lambda m: m.date != day)
        changes = moves._netvisor_changing(leaving)
        result = super().write(vals)
        moves._netvisor_changed(changes)
        return result

    def _netvisor_changing(self, leaving):
        """Before these posted documents change (``leaving``: reset to draft or
        cancelled; else their content or date): what becomes of their vouchers, as
        {voucher: next state}. Refuses while Netvisor's state is unknown.

        - In Netvisor (sent, to correct): *To correct*: the sender invalidates the old
          voucher, then sends the new content once the document is posted.
        - Not in Netvisor: cancelled when the document leaves *posted* (the period can
          still become Sent); a 0 € document given amounts is sent after all; a pending
          or failed one is simply built again when sent.
        Every voucher concerned also gets a new content version, so that a sender that
        built it before this change does not send it (``_netvisor_mark_sending``)."""
        changes = {}
        for move in self:
            voucher = move.sudo().netvisor_voucher_id
            if not voucher:
                continue
            if voucher.state in ("sending", "uncertain", "to_check"):
                raise UserError(
                    self.env._(
                        "%(move)s may be in Netvisor already (voucher %(reference)s, "
                        "%(state)s): it cannot be changed until Odoo knows what Netvisor "
                        "holds. Wait until the voucher is Sent, or use Resend on its period.",
                        move=move.name,
                        reference=voucher.reference,
                        state=dict(voucher._fields["state"]._description_selection(self.env))[
                            voucher.state
                        ],
                    )
                )
            if voucher.state in ("sent", "to_correct"):
                changes[voucher] = "to_correct"
            elif leaving:
                changes[voucher] = "cancelled"
            elif voucher.state == "skipped":
                changes[voucher] = "pending"
            else:
                changes[voucher] = voucher.state
        return changes

    def _netvisor_changed(self, changes):
        """Apply what ``_netvisor_changing`` decided, once the change is written."""
        Voucher = self.env["netvisor.voucher"].sudo()
        for state in set(changes.values()):
            vouchers = Voucher.union(*(v for v, s in changes.items() if s == state))
            if state == "to_correct":
                vouchers.filtered(lambda v: v.state == "sent")._netvisor_mark_to_correct()
            elif state == "cancelled":
                vouchers._netvisor_write({"state": "cancelled"})
                for voucher in vouchers:
                    voucher.period_id.message_post(
                        body=self.env._(
                            "%s was reset to draft or cancelled before it reached Netvisor: "
                            "its voucher is cancelled and will not be sent.",
                            voucher.move_id.name,
                        )
                    )
            elif state == "pending":
                vouchers.filtered(lambda v: v.state == "skipped")._netvisor_write(
                    {"state": "pending"}
                )
        touched = Voucher.union(*changes)
        touched._netvisor_write({"content_version": SQL("COALESCE(content_version, 0) + 1")})
        # posted documents whose voucher has work now (a posted item changed)
        due = touched.filtered(
            lambda v: v.state in ("to_correct", "pending") and v.move_id.state == "posted"
        )
        for company in due.company_id:
            company._netvisor_sender_cron()._trigger()

    def _post(self, soft=True):
        self._netvisor_wait_for_close()
        posted = super()._post(soft)
        # every account a document uses has a row in the mapping list (Not mapped at first)
        self.env["netvisor.account.map"]._netvisor_add_used_accounts(posted)
        # a corrected document posted again: its sender invalidates and sends now
        correcting = posted.sudo().netvisor_voucher_id.filtered(lambda v: v.state == "to_correct")
        for company in correcting.company_id:
            company._netvisor_sender_cron()._trigger()
        return posted

    def _netvisor_wait_for_close(self):
        """A document posted while its period is being closed must be in that period, or
        dated after it. Posting holds its company's row FOR SHARE until this transaction
        ends, and the close takes it FOR NO KEY UPDATE: a close waits for the postings in
        progress, then looks for them with a fresh snapshot (the wizard's
        ``_check_posted_meanwhile``). A posting that comes after a close has changed the
        lock date fails here with a serialization error (Odoo's transactions are
        REPEATABLE READ), and Odoo's retry then meets the new lock date."""
        journals = ("sale", "purchase")
        companies = self.filtered(lambda move: move.journal_id.type in journals).company_id
        roots = companies.sudo().root_id.filtered("netvisor_enabled")
        if roots:
            self.env.cr.execute(
                "SELECT id FROM res_company WHERE id = ANY(%s) FOR SHARE", [roots.ids]
            )

    # ------------------------------------------------------------------ move -> voucher data

    def _netvisor_voucher_data(self, references=None, for_close=False):
        """Turn these posted moves into connector vouchers, in a few queries for the batch.

        ``references``: {move id: reference} of existing vouchers (default: a new one).
        Returns ({move id: Voucher}, problems) where problems is a list of
        (kind, key, move name) triples: kind 'unmapped' (key: account code),
        'not_in_netvisor' (key: account code), 'tax_code' and 'fixed_tax' (key: tax name),
        'not_posted' (key: move name), 'invalid' (key: the connector's text),
        'dimension_missing' / 'dimension_hidden' (key: 'header: item') or 'analytic_split'
        (key: move name).
        Vouchers are validated here (for the close wizard's checks); the sender builds the
        XML from them once, which validates again only what it sends.
        """
        if not self:
            return {}, []
        # plain rows, not records: a month of 10,000 invoices has some 50,000 journal items,
        # and reading each field of each record through the ORM cost most of the build
        self.flush_recordset(["name", "date", "move_type", "partner_id", "company_id", "state"])
        self.env["res.partner"].flush_model(["name"])
        heads = self.env.execute_query(
            SQL(
                """SELECT move.id, move.name, move.date, move.move_type, move.company_id,
                          move.state, partner.name
                     FROM account_move move
                LEFT JOIN res_partner partner ON partner.id = move.partner_id
                    WHERE move.id = ANY(%s)""",
                list(self.ids),
            )
        )
        order = {move_id: index for index, move_id in enumerate(self.ids)}
        heads.sort(key=lambda head: order[head[0]])
        # a branch's documents are booked in its root company's organisation, with the
        # root's mapping and voucher types (the chart is shared)
        companies = self.env["res.company"].sudo().browse({head[4] for head in heads})
        root_of = {company.id: company.root_id.id for company in companies}
        heads = [(*head[:4], root_of[head[4]], *head[5:]) for head in heads]
        Line = self.env["account.move.line"]
        Line.flush_model(["move_id", "account_id", "balance", "tax_ids", "tax_line_id"])
        taxes = Line._fields["tax_ids"]
        rows = self.env.execute_query(
            SQL(
                """SELECT line.id, line.move_id, line.account_id, line.balance,
                          line.tax_line_id IS NOT NULL, line.display_type,
                          ARRAY(SELECT rel.%(tax)s FROM %(rel)s rel
                                 WHERE rel.%(line)s = line.id ORDER BY rel.%(tax)s)
                     FROM account_move_line line
                    WHERE line.move_id = ANY(%(moves)s) AND line.display_type NOT IN %(skip)s
                 ORDER BY line.move_id, line.id""",
                tax=SQL.identifier(taxes.column2),
                rel=SQL.identifier(taxes.relation),
                line=SQL.identifier(taxes.column1),
                moves=list(self.ids),
                skip=SKIPPED_DISPLAY_TYPES,
            )
        )
        # the few taxes used, read once (not the tax_ids of every journal item)
        self.env["account.tax"].browse({tax for row in rows for tax in row[6]}).fetch(
            ["name", "amount", "amount_type", "netvisor_vat_code", "sequence"]
        )
        maps = {}
        for company in self.env["res.company"].browse({head[4] for head in heads}):
            maps.update(self.env["netvisor.account.map"]._netvisor_maps_by_account(company))
        # the analytic split of the journal items on plans that are Netvisor dimensions
        parts, split_problems = self.env["netvisor.dimension"]._netvisor_line_parts(
            [row[0] for row in rows], {head[4] for head in heads}
        )
        # a document reset to draft or cancelled after the close must not be sent
        problems = [("not_posted", head[1], head[1]) for head in heads if head[5] != "posted"]
        moves_with_problems = {head[0] for head in heads if head[5] != "posted"}
        # {move id: (name, company id)}
        moves = {head[0]: (head[1], head[4]) for head in heads}
        move_of_line = {row[0]: row[1] for row in rows}
        for _kind, line_id in split_problems:
            move_id = move_of_line[line_id]
            problems.append(("analytic_split", moves[move_id][0], moves[move_id][0]))
            moves_with_problems.add(move_id)
        sums = defaultdict(lambda: defaultdict(Decimal))
        # the VAT of a line depends only on these facts: worked out once per combination
        # (a month of 10,000 invoices has a handful), not once per line
        vat_of, accounts = {}, {}
        for line_id, move_id, account_id, balance, is_tax, display_type, tax_ids in rows:
            move_name, company_id = moves[move_id]
            if (account_id, company_id) not in accounts:
                # an account's code is per company: read in the document's company
                account = self.env["account.account"].browse(account_id)
                mapping = maps.get(account_id)
                accounts[account_id, company_id] = (
                    account.with_company(company_id),
                    mapping,
                    mapping and mapping.netvisor_account_found,
                    mapping and mapping.netvisor_account_number,
                )
            account, mapping, found, number = accounts[account_id, company_id]
            if not mapping:
                problem = ("unmapped", account.code, move_name)
            elif not found:
                problem = ("not_in_netvisor", number, move_name)
            else:
                facts = (account_id, company_id, is_tax, display_type, tuple(tax_ids))
                if facts not in vat_of:
                    vat_of[facts] = self._netvisor_vat(Line.browse(line_id), account, mapping)
                code, percent = vat_of[facts]
                problem = False
                if code in (None, FIXED_TAX):
                    # name the tax to fix: a group's child, not the group (its form has no
                    # VAT code to give)
                    taxes = Line.browse(line_id).tax_ids.flatten_taxes_hierarchy()
                    if code is None:
                        tax = taxes.filtered(lambda t: not t.netvisor_vat_code)[:1]
                        problem = ("tax_code", tax.name, move_name)
                    else:
                        tax = taxes.filtered("netvisor_vat_code")[:1]
                        problem = ("fixed_tax", tax.name, move_name)
            if problem:
                problems.append(problem)
                moves_with_problems.add(move_id)
                continue
            for amount, dimensions in parts.get(line_id) or ((_amount(balance), ()),):
                sums[move_id][number, code, percent, dimensions] += amount
        problems += self._netvisor_dimension_problems(sums, moves, moves_with_problems, for_close)
        result = {}
        reference_of = references or {}
        prefix = self.env["netvisor.voucher"]._netvisor_reference_prefix()
        classes = {}
        Move = self.env["account.move"]
        for move_id, name, date, move_type, company_id, _state, partner_name in heads:
            kind = (company_id, move_type)
            if kind not in classes:
                classes[kind] = Move.browse(move_id)._netvisor_voucher_class()
            voucher = Voucher(
                date=date,
                voucher_class=classes[kind],
                lines=tuple(
                    VoucherLine(
                        amount=amount,
                        account_number=number,
                        vat_percent=pct,
                        vat_code=code,
                        dimensions=dimensions,
                    )
                    for (number, code, pct, dimensions), amount in sums[move_id].items()
                    if amount
                ),
                description=_description(
                    reference_of.get(move_id) or f"{prefix}{move_id}", name, partner_name
                ),
            )
            # a 0 € document has no lines: not a problem, the close skips it (and the
            # sender's own validation refuses it should it ever be asked to send it)
            if move_id not in moves_with_problems and voucher.lines:
                try:
                    vouchers.validate_voucher(voucher)
                except errors.VoucherValidationError as error:
                    problems.extend(("invalid", text, name) for text in error.problems)
            result[move_id] = voucher
        return result, problems

    @api.model
    def _netvisor_dimension_problems(self, sums, moves, moves_with_problems, for_close=False):
        """Dimension items the vouchers carry that Netvisor (as last fetched) lacks or
        hides: ('dimension_missing' | 'dimension_hidden', 'header: item', move name).
        ``for_close``: the close's own checks, where a missing item is no problem for a
        company that creates them in Netvisor (the close creates and records them before
        anything is sent); for the sender, a correction or a comparison it always is, since
        Netvisor would create it unannounced; a hidden one always is."""
        used = defaultdict(set)  # {company id: {(header, item)}}
        for move_id, lines in sums.items():
            for *_key, dimensions in lines:
                used[moves[move_id][1]].update(dimensions)
        problems = []
        Item = self.env["netvisor.dimension.item"]
        for company_id, pairs in used.items():
            company = self.env["res.company"].browse(company_id)
            unknown = Item._netvisor_unknown(company, pairs)
            if for_close and company.netvisor_create_dimension_items:
                unknown = {pair: why for pair, why in unknown.items() if why == "hidden"}
            if not unknown:
                continue
            for move_id, lines in sums.items():
                if moves[move_id][1] != company_id:
                    continue
                for *_key, dimensions in lines:
                    for pair in dimensions:
                        if pair in unknown:
                            name = moves[move_id][0]
                            problems.append((f"dimension_{unknown[pair]}", ": ".join(pair), name))
                            moves_with_problems.add(move_id)
        return problems

    @api.model
    def _netvisor_problem_texts(self, problems):
        """{move name: translated text} of the build problems, for the voucher's error."""
        texts = defaultdict(list)
        env = self.env
        for kind, key, move_name in problems:
            if kind in ("unmapped", "not_in_netvisor"):
                texts[move_name] += [
                    messages.text(env, messages.ACCOUNT_NOT_FOUND),
                    messages.text(env, "ACCOUNT", key),
                ]
            elif kind == "tax_code":
                texts[move_name].append(messages.text(env, "TAX_CODE", key))
            elif kind == "fixed_tax":
                texts[move_name].append(messages.text(env, "FIXED_TAX", key))
            elif kind == "not_posted":
                texts[move_name].append(messages.text(env, "NOT_POSTED", key))
            elif kind in DIMENSION_PROBLEMS:
                texts[move_name].append(messages.text(env, kind.upper(), key))
            else:
                texts[move_name].append(key)
        return {name: "\n".join(dict.fromkeys(lines)) for name, lines in texts.items()}

    @api.model
    def _netvisor_vat(self, line, account, mapping):
        """(VAT code, percent) of a journal item; code None when its tax has no code."""
        if (
            line.tax_line_id
            or line.display_type in NO_VAT_DISPLAY_TYPES
            or account.account_type in NO_VAT_ACCOUNT_TYPES
        ):
            return "NONE", Decimal(0)
        # a group tax books through its children: their codes and rates count
        taxes = line.tax_ids.flatten_taxes_hierarchy().sorted("sequence")
        percent_tax = taxes.filtered(lambda t: t.amount_type == "percent")[:1]
        percent = _percent(percent_tax.amount) if percent_tax else Decimal(0)
        if mapping.vat_code != "auto":
            code = mapping.vat_code
        elif not taxes:
            return "NONE", Decimal(0)
        else:
            # the VAT of the line is its percentage tax's: a fixed fee beside it (coded
            # NONE, as the fixed-tax message advises) does not hide it
            coded = taxes.filtered("netvisor_vat_code")
            coded = (
                coded.filtered(
                    lambda t: t.amount_type == "percent" and t.netvisor_vat_code != "NONE"
                )
                or coded.filtered(lambda t: t.netvisor_vat_code != "NONE")
                or coded
            )[:1]
            if not coded:
                return None, None
            code = coded.netvisor_vat_code
            if coded.amount_type == "percent":
                percent = _percent(coded.amount)
            elif code != "NONE" and not percent_tax:
                # a fixed amount (or a price-included division) has no rate Netvisor
                # could book the line's VAT with: refused, never sent at a wrong 0 %
                return FIXED_TAX, None
        return code, vat.sent_percent(code, percent)

    def _netvisor_voucher_class(self):
        self.ensure_one()
        facts = KINDS[KIND_OF_MOVE_TYPE[self.move_type]]
        company = self.company_id.sudo().root_id  # a branch books with its root company
        return company[facts["voucher_class_field"]] or facts["default_voucher_class"]

    def _netvisor_description(self, reference):
        self.ensure_one()
        return _description(reference, self.name, self.partner_id.name)
