from odoo import api, fields, models

from .netvisor_voucher import VOUCHER_STATES


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
