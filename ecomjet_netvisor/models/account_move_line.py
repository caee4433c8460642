from odoo import models

#: What a journal item carries into its Netvisor voucher line (the analytic distribution:
#: its dimension items).
VOUCHER_FIELDS = (
    "account_id",
    "balance",
    "debit",
    "credit",
    "tax_ids",
    "tax_line_id",
    "analytic_distribution",
)


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def write(self, vals):
        """Odoo lets a posted journal item's account (or amounts) change where the lock
        dates allow it: its document's voucher follows (``account.move._netvisor_changing``),
        as for a document reset to draft."""
        if not any(name in vals for name in VOUCHER_FIELDS):
            return super().write(vals)
        Move = self.env["account.move"]
        moves = self.filtered(
            lambda line: (
                line.parent_state == "posted"
                and line.move_id.sudo().netvisor_voucher_id
                and any(Move._field_will_change(line, vals, name) for name in VOUCHER_FIELDS)
            )
        ).move_id
        changes = moves._netvisor_changing(leaving=False)
        result = super().write(vals)
        moves._netvisor_changed(changes)
        return result
