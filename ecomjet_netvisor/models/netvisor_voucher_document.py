"""The document a voucher carries to Netvisor, and what became of it (API.md §11.3).

Each attachment Netvisor imports is billed, so it travels only when the company chose so
(Settings, per kind). A document too large for the company's cap, or one Odoo cannot read
or make, stops its voucher with the reason: the company asked for documents, and a voucher
silently without one would break that. The accountant then raises the cap, fixes the
document, or sends that voucher without it (*Send without document*).
"""

import dataclasses

from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from ..kinds import KIND_OF_MOVE_TYPE
from .account_move_document import RENDER_BATCH

DOCUMENT_STATES = [
    ("attached", "Sent with the voucher"),
    ("none", "No document on the bill"),
    ("without", "Sent without its document"),
    ("arrived", "In Netvisor"),
    ("not_arrived", "Not found in Netvisor"),
]
#: Error categories of a voucher stopped by its document: *Send without document* helps.
DOCUMENT_PROBLEMS = ("ATTACHMENT_TOO_LARGE", "ATTACHMENT_UNREADABLE", "DOCUMENT_NOT_MADE")


class DocumentSource:
    """The documents of one sender batch, decided once for the batch (the sender commits,
    and so empties the ORM cache, at every voucher). Invoices without a PDF get theirs made
    ``RENDER_BATCH`` at a time (one wkhtmltopdf run), from the one at hand onwards."""

    def __init__(self, env, vouchers):
        self.env = env
        #: {voucher id: 'sale' | 'purchase'} of the vouchers that carry their document
        #: (keyed by the voucher: asking it for its document would be a query each)
        self.kind_of = {}
        #: vouchers someone chose to send without their document
        self.without = set()
        #: the invoices whose PDF travels, in sending order
        self.sales = []
        for voucher in vouchers:
            kind = KIND_OF_MOVE_TYPE.get(voucher.move_id.move_type)
            if kind and voucher.company_id._netvisor_sends_documents(kind):
                self.kind_of[voucher.id] = kind
                if voucher.send_without_document:
                    self.without.add(voucher.id)
                elif kind == "sale":
                    self.sales.append(voucher.move_id.id)
        self.index = {move_id: i for i, move_id in enumerate(self.sales)}
        self.tried = set()
        self.failures = {}

    def __call__(self, move):
        """(ir.attachment, or empty; why it could not be made, or None)."""
        document = move._netvisor_document()
        if not document and move.id in self.index and move.id not in self.tried:
            start = self.index[move.id]
            chunk = [m for m in self.sales[start : start + RENDER_BATCH] if m not in self.tried]
            self.tried.update(chunk)
            self.failures.update(
                move.browse(chunk).with_env(self.env)._netvisor_make_invoice_pdfs()
            )
            move.invalidate_recordset(["invoice_pdf_report_id", "invoice_pdf_report_file"])
            document = move._netvisor_document()
        return document, self.failures.get(move.id)


class NetvisorVoucher(models.Model):
    _inherit = "netvisor.voucher"  # pylint: disable=consider-merging-classes-inherited

    document_state = fields.Selection(
        DOCUMENT_STATES,
        "Attachment",
        readonly=True,
        copy=False,
        help="The document sent with the voucher (when the company sends documents).",
    )
    document_name = fields.Char("Attachment file", readonly=True, copy=False)
    document_size = fields.Integer("Attachment size (bytes)", readonly=True, copy=False)
    document_sha256 = fields.Char("Attachment SHA-256", readonly=True, copy=False)
    can_send_without_document = fields.Boolean(
        "Can be sent without document", compute="_compute_can_send_without_document"
    )
    send_without_document = fields.Boolean(
        "Without document (chosen)",
        readonly=True,
        copy=False,
        help="The voucher is sent without its document, as someone chose.",
    )

    def _compute_can_send_without_document(self):
        for voucher in self:
            category = voucher.error_category
            voucher.can_send_without_document = voucher.state == "failed" and (
                category in DOCUMENT_PROBLEMS
                or (category == "INVALID_DATA_SIZE" and voucher.document_state == "attached")
            )

    # ------------------------------------------------------------------ sending

    @staticmethod
    def _netvisor_document_source(env, vouchers):
        """The DocumentSource of a sender batch (``vouchers`` in sending order)."""
        return DocumentSource(env, vouchers)

    def _netvisor_attach_document(self, data, documents):
        """(``data`` with its document attached, the voucher's document values, a problem
        (category, text) or None). ``documents``: the batch's DocumentSource."""
        self.ensure_one()
        values = dict.fromkeys(self._netvisor_document_fields(), False)
        kind = documents.kind_of.get(self.id)
        if not kind:
            return data, values, None
        if self.id in documents.without:
            return data, {**values, "document_state": "without"}, None
        move = self.move_id
        document, failure = documents(move)
        attachment = move._netvisor_voucher_attachment(document) if document else None
        if attachment is None:
            if kind == "purchase":
                return data, {**values, "document_state": "none"}, None
            text = self.env._(
                "Odoo could not make the PDF of %(move)s, so nothing was sent. Print the "
                "invoice once to see why, or press Send without document on this voucher.",
                move=move.name,
            )
            return data, values, ("DOCUMENT_NOT_MADE", f"{text}\n{failure}" if failure else text)
        values.update(
            document_state="attached",
            document_name=attachment.filename,
            document_size=attachment.size,
        )
        return dataclasses.replace(data, attachments=(attachment,)), values, None

    @staticmethod
    def _netvisor_document_fields():
        return ("document_state", "document_name", "document_size", "document_sha256")

    def _netvisor_too_large_text(self, voucher_data, error):
        """Why a voucher whose document is over the cap was not sent, and what to do."""
        attachment = voucher_data.attachments[0]
        return self.env._(
            "The document %(name)s is %(size)s MB; documents sent with Netvisor vouchers "
            "may be at most %(cap)s MB (Settings > Integrations > Netvisor). Nothing was "
            "sent. Raise the limit and press Resend, or press Send without document on this "
            "voucher.",
            name=attachment.filename,
            size=formatLang(self.env, error.size / 1_000_000, digits=1),
            cap=formatLang(self.env, error.limit / 1_000_000, digits=1),
        )

    def _netvisor_is_its_document(self, info):
        """Whether ``info`` (an attachment read back from Netvisor) is the document this
        voucher sent: the same size, and the same content (or, where Netvisor would not
        give it, the same file name)."""
        if info.size != self.document_size:
            return False
        return info.sha256 == self.document_sha256 or (
            not info.sha256 and info.filename == self.document_name
        )

    # ------------------------------------------------------------------ the user's choice

    def action_send_without_document(self):
        """Send this voucher without the document that stopped it."""
        self.ensure_one()
        self.period_id.check_access("write")
        if self.state != "failed" or not self.can_send_without_document:
            raise UserError(
                self.env._("Only a voucher stopped by its document can be sent without it.")
            )
        written = self._netvisor_write(
            {
                "state": "pending",
                "send_without_document": True,
                "error_category": False,
                "error_message": False,
            },
            SQL("state = 'failed'"),
        )
        if not written:
            raise UserError(self.env._("The voucher changed meanwhile. Reload the page."))
        text = self.env._(
            "%(user)s had %(move)s sent to Netvisor without its document.",
            user=self.env.user.name,
            move=self.move_id.name,
        )
        self.period_id.message_post(body=Markup("<p>%s</p>") % text)
        self.move_id.message_post(body=Markup("<p>%s</p>") % text)
        self.company_id._netvisor_sender_cron()._trigger()
        return True
