from odoo import models

#: What a journal item carries into its Netvisor voucher line.
VOUCHER_FIELDS = ("account_id", "balance", "debit", "credit", "tax_ids", "tax_line_id")


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def write(self, vals):
        """Odoo lets a posted journal item's account (or amounts) change where the lock
        dates allow it: a voucher Netvisor holds is then corrected there, as for a document
        reset to draft (``account.move.write``)."""
        Move = self.env["account.move"]
        changed = self.browse()
        if any(name in vals for name in VOUCHER_FIELDS):
            changed = self.filtered(
                lambda line: (
                    line.parent_state == "posted"
                    and line.move_id.netvisor_voucher_id
                    and any(Move._field_will_change(line, vals, name) for name in VOUCHER_FIELDS)
                )
            )
        vouchers = self.env["netvisor.voucher"]
        if changed:
            vouchers = changed.move_id._netvisor_vouchers_changed(vals)
        result = super().write(vals)
        vouchers = vouchers.filtered(lambda voucher: voucher.state == "sent")
        if vouchers:
            vouchers._netvisor_mark_to_correct()
            for company in vouchers.company_id:
                company._netvisor_sender_cron()._trigger()
        return result
