from collections import defaultdict
from decimal import Decimal

from odoo import api, fields, models

from ..netvisor import Voucher, VoucherLine, errors, vat, vouchers
from .netvisor_period import KIND_OF_MOVE_TYPE, KINDS

VOUCHER_STATES = [
    ("pending", "Pending"),
    ("sending", "Sending"),
    ("sent", "Sent"),
    ("failed", "Failed"),
    ("uncertain", "Uncertain"),
    ("cancelled", "Cancelled"),
]
#: Journal items that carry no VAT code of their own in Netvisor.
NO_VAT_DISPLAY_TYPES = ("tax", "non_deductible_tax", "payment_term")
SKIPPED_DISPLAY_TYPES = ("line_section", "line_subsection", "line_note")
NO_VAT_ACCOUNT_TYPES = ("asset_receivable", "liability_payable")
DESCRIPTION_LENGTH = 100


def _amount(value):
    """A company-currency float as an exact two-decimal Decimal."""
    return Decimal(f"{value:.2f}")


def _percent(value):
    """A tax rate as the shortest exact Decimal (24.0 -> 24, 25.5 -> 25.5)."""
    number = Decimal(str(round(value, 4)))
    return number.quantize(Decimal(1)) if number == number.to_integral() else number.normalize()


class NetvisorVoucher(models.Model):
    _name = "netvisor.voucher"
    _description = "Netvisor voucher"
    _order = "period_id desc, id"
    _rec_name = "move_id"

    period_id = fields.Many2one("netvisor.period", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="period_id.company_id", store=True, index=True)
    move_id = fields.Many2one("account.move", required=True, ondelete="restrict", index=True)
    partner_id = fields.Many2one(related="move_id.partner_id", string="Partner")
    date = fields.Date(related="move_id.date")
    reference = fields.Char(readonly=True, help="Start of the description in Netvisor.")
    state = fields.Selection(VOUCHER_STATES, default="pending", required=True, index=True)
    netvisor_key = fields.Char("Netvisor key", readonly=True, copy=False)
    transaction_id = fields.Char(readonly=True, copy=False)
    attempts = fields.Integer(readonly=True)
    error_category = fields.Char(readonly=True)
    error_message = fields.Text(readonly=True)
    request_xml = fields.Text("Request sent", readonly=True, groups="account.group_account_manager")
    sent_on = fields.Datetime(readonly=True)
    retry_requested = fields.Boolean(
        readonly=True,
        help="Set by Resend: the sender looks a voucher in Sending or Uncertain up in "
        "Netvisor's ledger before sending it again.",
    )
    lookup_needed = fields.Boolean(
        "Look up before sending",
        readonly=True,
        copy=False,
        help="The last request may have reached Netvisor: whatever the state, the sender "
        "looks the voucher up in Netvisor's ledger before sending it again.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount_total = fields.Monetary(currency_field="currency_id")

    _move_active_uniq = models.UniqueIndex(
        "(move_id) WHERE state != 'cancelled'",
        "A journal entry belongs to at most one Netvisor voucher.",
    )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_netvisor(self):
        in_netvisor = self.filtered(
            lambda v: v.state in ("sent", "sending", "uncertain") or v.lookup_needed
        )
        in_netvisor.period_id._unlink_except_in_netvisor()

    @api.model
    def _netvisor_reference(self, move_id):
        """Short stable reference that starts the Netvisor description (§5)."""
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
        return f"ODOO-{uuid.replace('-', '')[:8].upper()}-{move_id}"

    def _prepare_netvisor_vouchers(self):
        """({voucher id: connector Voucher}, problems) for these records, batch-read."""
        # the stored reference: the one a ledger lookup searches, even on a copied database
        references = {rec.move_id.id: rec.reference for rec in self}
        by_move, problems = self._netvisor_build(self.move_id, references)
        return {rec.id: by_move[rec.move_id.id] for rec in self}, problems

    @api.model
    def _netvisor_build(self, moves, references=None):
        """Turn posted moves into connector vouchers, in a few queries for the whole batch.

        ``references``: {move id: reference} of existing vouchers (default: a new one).
        Returns ({move id: Voucher}, problems) where problems is a list of
        (kind, key, move name) triples: kind 'unmapped' (key: account code),
        'not_in_netvisor' (key: account code), 'tax_code' (key: tax name),
        'not_posted' (key: move name) or 'invalid' (key: the connector's text).
        """
        if not moves:
            return {}, []
        moves.fetch(["name", "date", "move_type", "partner_id", "company_id", "state"])
        moves.partner_id.fetch(["name"])
        lines = self.env["account.move.line"].search_fetch(
            [
                ("move_id", "in", moves.ids),
                ("display_type", "not in", SKIPPED_DISPLAY_TYPES),
            ],
            ["move_id", "account_id", "balance", "tax_ids", "tax_line_id", "display_type"],
            order="move_id, id",
        )
        lines.account_id.fetch(["code", "account_type"])
        lines.tax_ids.fetch(["name", "amount", "amount_type", "netvisor_vat_code", "sequence"])
        maps = {}
        for company in moves.company_id:
            maps.update(self.env["netvisor.account.map"]._netvisor_maps_by_account(company))
        # a document reset to draft or cancelled after the close must not be sent
        problems = [("not_posted", m.name, m.name) for m in moves if m.state != "posted"]
        moves_with_problems = {m.id for m in moves if m.state != "posted"}
        sums = defaultdict(lambda: defaultdict(Decimal))
        for line in lines:
            move = line.move_id
            account = line.account_id.with_company(move.company_id)
            mapping = maps.get(account.id)
            if not mapping:
                problem = ("unmapped", account.code, move.name)
            elif not mapping.netvisor_account_found:
                problem = ("not_in_netvisor", mapping.netvisor_account_number, move.name)
            else:
                code, percent = self._netvisor_vat(line, account, mapping)
                problem = code is None and ("tax_code", line.tax_ids[:1].name, move.name)
            if problem:
                problems.append(problem)
                moves_with_problems.add(move.id)
                continue
            key = (mapping.netvisor_account_number, code, percent)
            sums[move.id][key] += _amount(line.balance)
        result = {}
        for move in moves:
            voucher = Voucher(
                date=move.date,
                voucher_class=self._netvisor_voucher_class(move),
                lines=tuple(
                    VoucherLine(
                        amount=amount, account_number=number, vat_percent=pct, vat_code=code
                    )
                    for (number, code, pct), amount in sums[move.id].items()
                    if amount
                ),
                description=self._netvisor_description(move, (references or {}).get(move.id)),
            )
            try:
                vouchers.validate_voucher(voucher)
            except errors.VoucherValidationError as error:
                if move.id not in moves_with_problems:
                    problems.extend(("invalid", text, move.name) for text in error.problems)
            result[move.id] = voucher
        return result, problems

    @api.model
    def _netvisor_problem_texts(self, problems):
        """{move name: translated text} of the build problems, for the voucher's error."""
        texts = defaultdict(list)
        for kind, key, move_name in problems:
            if kind in ("unmapped", "not_in_netvisor"):
                texts[move_name] += [
                    self.env._(
                        "An error occurred in the accounting integration. The account was not "
                        "found in the Netvisor chart of accounts."
                    ),
                    self.env._("Account: %s", key),
                ]
            elif kind == "tax_code":
                texts[move_name].append(self.env._("The tax %s has no Netvisor VAT code.", key))
            elif kind == "not_posted":
                texts[move_name].append(
                    self.env._("%s is no longer posted in Odoo; it is not sent.", key)
                )
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
        taxes = line.tax_ids.sorted("sequence")
        percent_tax = taxes.filtered(lambda t: t.amount_type == "percent")[:1]
        percent = _percent(percent_tax.amount) if percent_tax else Decimal(0)
        if mapping.vat_code != "auto":
            code = mapping.vat_code
        elif not taxes:
            return "NONE", Decimal(0)
        else:
            coded = taxes.filtered("netvisor_vat_code")[:1]
            if not coded:
                return None, None
            code = coded.netvisor_vat_code
            if coded.amount_type == "percent":
                percent = _percent(coded.amount)
        if vat.VAT_CODES.get(code) and vat.VAT_CODES[code].percents == vat.ZERO_ONLY:
            percent = Decimal(0)
        return code, percent

    @api.model
    def _netvisor_voucher_class(self, move):
        facts = KINDS[KIND_OF_MOVE_TYPE[move.move_type]]
        return move.company_id[facts["voucher_class_field"]] or facts["default_voucher_class"]

    @api.model
    def _netvisor_description(self, move, reference=None):
        reference = reference or self._netvisor_reference(move.id)
        parts = [reference, move.name, move.partner_id.name or ""]
        return " ".join(p for p in parts if p)[:DESCRIPTION_LENGTH]
