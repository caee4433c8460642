"""What the last comparison with Netvisor found, and the one-click fixes.

Each fix is confirmed by the user, recorded in the chatter and goes through the voucher's
own transitions, so exactly once still holds: a document is sent again only by the
sender, and only what carries this database's reference for that very document is ever
invalidated in Netvisor.
"""

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..netvisor import reconcile
from ..netvisor.client import carries_reference

OUTCOMES = [
    (reconcile.MISSING, "Missing in Netvisor"),
    (reconcile.DIFFERENT, "Different in Netvisor"),
    (reconcile.INVALIDATED, "Invalidated or deleted in Netvisor"),
    (reconcile.TWICE, "In Netvisor twice"),
    (reconcile.KEY_CHANGED, "Under another key in Netvisor"),
    (reconcile.UNEXPECTED, "In Netvisor, not sent in Odoo"),
    (reconcile.FOREIGN, "In Netvisor, not from Odoo"),
    # Odoo's own check of the documents sent with vouchers (API.md §11.3)
    ("document_missing", "Document missing in Netvisor"),
]
DOCUMENT_MISSING = "document_missing"


class NetvisorCompareLine(models.Model):
    _name = "netvisor.compare.line"
    _description = "Difference found when comparing with Netvisor"
    _order = "period_id, outcome, id"

    period_id = fields.Many2one("netvisor.period", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="period_id.company_id", store=True)
    outcome = fields.Selection(OUTCOMES, required=True, readonly=True)
    voucher_id = fields.Many2one("netvisor.voucher", readonly=True, ondelete="cascade")
    move_id = fields.Many2one(related="voucher_id.move_id", string="Document")
    netvisor_key = fields.Char("Netvisor key", readonly=True)
    odoo_key = fields.Char(
        "Key in Odoo", readonly=True, help="The key Odoo's voucher pointed to when compared."
    )
    extra_keys = fields.Char("Extra vouchers in Netvisor", readonly=True)
    description = fields.Char("Description in Netvisor", readonly=True)
    netvisor_date = fields.Date("Date in Netvisor", readonly=True)
    details = fields.Text("Lines that differ", readonly=True)
    fixed_on = fields.Datetime("Fixed on", readonly=True)
    fixed_by_id = fields.Many2one("res.users", "Fixed by", readonly=True)

    # ------------------------------------------------------------------ the fixes

    def action_send_missing(self):
        """Missing, or invalidated/deleted in Netvisor: the sender sends it again."""
        line = self._netvisor_fixable((reconcile.MISSING, reconcile.INVALIDATED))
        voucher = line.voucher_id
        old_key = line.netvisor_key  # as compared: a voucher sent again since is refused
        # asked again now, by key: the comparison may be old, and a voucher whose
        # description was edited in Netvisor is found by its key only
        found = line._netvisor_read_keys([old_key])
        if any(v.netvisor_key == old_key and not v.is_invalidated for v in found):
            raise UserError(
                self.env._(
                    "Netvisor holds voucher %s as valid again: nothing is sent. Compare with "
                    "Netvisor again.",
                    old_key,
                )
            )
        if not voucher._netvisor_mark_missing(old_key):
            raise UserError(line._netvisor_changed_text())
        line._netvisor_fixed(
            self.env._(
                "%(user)s had %(move)s sent to Netvisor again: voucher %(key)s is no longer "
                "valid there.",
                user=self.env.user.name,
                move=voucher.move_id.name,
                key=old_key,
            )
        )
        return True

    def action_resend_different(self):
        """Different in Netvisor, or its document missing there: Netvisor's voucher is
        invalidated, Odoo's content sent (with its document)."""
        line = self._netvisor_fixable((reconcile.DIFFERENT, DOCUMENT_MISSING))
        voucher = line.voucher_id
        if not voucher._netvisor_mark_different(line.netvisor_key):
            raise UserError(line._netvisor_changed_text())
        line._netvisor_fixed(
            self.env._(
                "%(user)s had %(move)s corrected in Netvisor: voucher %(key)s differs from "
                "Odoo's books, so it is invalidated and the document is sent again.",
                user=self.env.user.name,
                move=voucher.move_id.name,
                key=line.netvisor_key,
            )
        )
        return True

    def action_invalidate_duplicate(self):
        """In Netvisor twice: the extra vouchers are invalidated, the one Odoo points to is
        kept; each is checked first to carry this database's reference of the document."""
        line = self._netvisor_fixable((reconcile.TWICE,))
        voucher = line.voucher_id
        keys = [key.strip() for key in (line.extra_keys or "").split(",") if key.strip()]
        move = voucher.move_id
        comment = self.env._(
            "Duplicate of %(move)s in Odoo; voucher %(key)s is kept.",
            move=move.name,
            key=line.netvisor_key,
        )[:255]
        kept = line.netvisor_key
        if kept != line.odoo_key and not voucher._netvisor_adopt_key(kept, line.odoo_key):
            raise UserError(line._netvisor_changed_text())
        with line.company_id._netvisor_request() as client:
            found = client.get_ledger(netvisor_keys=[kept, *keys])
            # the one kept must still be valid, or the document would be left with none
            line._netvisor_check_ours(found, [kept, *keys], move)
            client.invalidate_vouchers(keys, comment=comment)
        line._netvisor_fixed(
            self.env._(
                "%(user)s invalidated the duplicate voucher(s) %(keys)s of %(move)s in "
                "Netvisor; voucher %(key)s is kept.",
                user=self.env.user.name,
                keys=", ".join(keys),
                move=move.name,
                key=line.netvisor_key,
            )
        )
        return True

    def action_adopt_key(self):
        """Under another key in Netvisor (the voucher Odoo pointed to is gone, a copy of it
        is valid): Odoo points to the one Netvisor holds, after reading it again."""
        line = self._netvisor_fixable((reconcile.KEY_CHANGED,))
        voucher = line.voucher_id
        line._netvisor_check_ours(
            line._netvisor_read_keys([line.netvisor_key]), [line.netvisor_key], voucher.move_id
        )
        if not voucher._netvisor_adopt_key(line.netvisor_key, line.odoo_key):
            raise UserError(line._netvisor_changed_text())
        line._netvisor_fixed(
            self.env._(
                "%(user)s pointed %(move)s to voucher %(key)s, the one Netvisor holds "
                "(Odoo had %(old)s).",
                user=self.env.user.name,
                move=voucher.move_id.name,
                key=line.netvisor_key,
                old=line.odoo_key,
            )
        )
        return True

    def action_look_up(self):
        """In Netvisor, but not sent in Odoo (failed, pending): the sender looks it up by
        its reference and takes it as sent, instead of ever sending it again."""
        line = self._netvisor_fixable((reconcile.UNEXPECTED,))
        voucher = line.voucher_id
        found = line._netvisor_read_keys([line.netvisor_key])
        line._netvisor_check_ours(found, [line.netvisor_key], voucher.move_id)
        if not any(carries_reference(v.description, voucher.reference) for v in found):
            raise UserError(
                self.env._(
                    "Netvisor voucher %(key)s carries an earlier reference of %(move)s: "
                    "invalidate it in Netvisor if the document is to be sent again.",
                    key=line.netvisor_key,
                    move=voucher.move_id.name,
                )
            )
        if not voucher._netvisor_write(
            {
                "state": "uncertain",
                "lookup_after": fields.Datetime.now(),
                "lookup_attempts": 0,
                "voucher_date": found[0].date,
                # a sender that built it before this does not send it (its version is old)
                "content_version": SQL("COALESCE(content_version, 0) + 1"),
            },
            SQL("state IN ('pending', 'failed', 'to_check')"),
        ):
            raise UserError(line._netvisor_changed_text())
        line._netvisor_fixed(
            self.env._(
                "%(user)s had Odoo look %(move)s up in Netvisor: voucher %(key)s is there.",
                user=self.env.user.name,
                move=voucher.move_id.name,
                key=line.netvisor_key,
            )
        )
        return True

    # ------------------------------------------------------------------ helpers

    def _netvisor_fixable(self, outcomes):
        self.ensure_one()
        self.period_id.check_access("write")
        if self.fixed_on:
            raise UserError(self.env._("This difference was already fixed."))
        voucher = self.voucher_id
        if self.outcome not in outcomes or not voucher or voucher.period_id != self.period_id:
            raise UserError(self.env._("Odoo does not change this voucher in Netvisor."))
        return self

    def _netvisor_read_keys(self, keys):
        """These vouchers as Netvisor holds them now (by key, any status)."""
        with self.company_id._netvisor_request() as client:
            return client.get_ledger(netvisor_keys=keys)

    def _netvisor_changed_text(self):
        return self.env._(
            "%s changed since the comparison. Compare with Netvisor again first.",
            self.voucher_id.move_id.name,
        )

    def _netvisor_check_ours(self, found, keys, move):
        """Refuse unless every key is a valid voucher carrying this database's reference
        of this document: nothing else is ever invalidated."""
        prefix = self.env["netvisor.voucher"]._netvisor_reference_prefix()
        pattern = reconcile.reference_pattern(prefix)
        by_key = {voucher.netvisor_key: voucher for voucher in found}
        for key in keys:
            voucher = by_key.get(key)
            match = voucher and pattern.match(voucher.description or "")
            if not match or int(match.group(1)) != move.id or voucher.is_invalidated:
                raise UserError(
                    self.env._(
                        "Netvisor voucher %(key)s is not a valid voucher of %(move)s from this "
                        "database: Odoo does not invalidate it. Compare with Netvisor again.",
                        key=key,
                        move=move.name,
                    )
                )

    def _netvisor_fixed(self, text):
        """Record the fix where the accountant looks, and let the sender run."""
        self.sudo().write({"fixed_on": fields.Datetime.now(), "fixed_by_id": self.env.user.id})
        voucher = self.voucher_id
        self.period_id.message_post(body=Markup("<p>%s</p>") % text)
        voucher.move_id.message_post(body=Markup("<p>%s</p>") % text)
        company = self.company_id
        company._netvisor_sender_cron()._trigger()


class NetvisorCompareSum(models.Model):
    _name = "netvisor.compare.sum"
    _description = "Sum per Netvisor account compared with Netvisor"
    _order = "period_id, line_type desc, account_number, vat_code, vat_percent"

    period_id = fields.Many2one("netvisor.period", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="period_id.company_id", store=True)
    line_type = fields.Selection(
        [("sum", "Period's vouchers"), ("balance", "Account balance")],
        string="Kind",
        required=True,
        readonly=True,
    )
    account_number = fields.Char("Netvisor account", readonly=True)
    vat_code = fields.Char("VAT code", readonly=True)
    vat_percent = fields.Float("VAT %", readonly=True, digits=(5, 2))
    currency_id = fields.Many2one(related="period_id.currency_id")
    odoo_amount = fields.Monetary("Odoo", readonly=True)
    netvisor_amount = fields.Monetary("Netvisor", readonly=True)
    difference = fields.Monetary(compute="_compute_difference", store=True)

    @api.depends("odoo_amount", "netvisor_amount")
    def _compute_difference(self):
        for row in self:
            row.difference = row.currency_id.round(row.netvisor_amount - row.odoo_amount)
