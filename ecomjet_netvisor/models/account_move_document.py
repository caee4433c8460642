"""The document a voucher carries to Netvisor, when the company chooses so (API.md §11.3):
an invoice's own PDF, a bill's main attachment.

The document is read from Odoo's file store through an opener, never loaded whole: the
connector streams it into the request (``netvisor.vouchers.build_voucher_body``).
"""

import io
import logging

from odoo import models

from ..kinds import KIND_OF_MOVE_TYPE
from ..netvisor import VoucherAttachment
from ..netvisor.vouchers import MAX_TEXT, attachment_filename, is_mimetype

_logger = logging.getLogger(__name__)

#: Invoice PDFs made at once by one wkhtmltopdf run (Odoo's own batch is 80).
RENDER_BATCH = 20


class AccountMove(models.Model):
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    def _netvisor_document(self):
        """The ir.attachment (sudo) this document's voucher carries, or an empty one:
        a sales document's invoice PDF (``invoice_pdf_report_id``, the legal PDF), a
        purchase document's main attachment (the scan, the e-invoice image)."""
        self.ensure_one()
        move = self.sudo()
        if KIND_OF_MOVE_TYPE.get(move.move_type) == "sale":
            return move.invoice_pdf_report_id
        document = move.message_main_attachment_id
        # a link is not a document Netvisor can store
        return document if document.type == "binary" else document.browse()

    def _netvisor_make_invoice_pdfs(self):
        """Make the legal PDF of those of these sales documents that have none, as Odoo's
        *Send & Print* does (and stores it: later downloads serve the very same bytes),
        without sending anything and without marking them sent. Returns {move id: the
        reason it could not be made} for the ones that failed."""
        moves = self.sudo().filtered(
            lambda m: (
                KIND_OF_MOVE_TYPE.get(m.move_type) == "sale"
                and m.state == "posted"
                and not m.invoice_pdf_report_id
            )
        )
        if not moves:
            return {}
        was_sent = {move.id: move.is_move_sent for move in moves}
        failures = moves._netvisor_render_invoice_pdfs()
        if failures and len(moves) > 1:
            # wkhtmltopdf without its patched Qt may not print several documents in one
            # run (Odoo refuses then): one at a time
            failures = {}
            for move in moves:
                failures.update(move._netvisor_render_invoice_pdfs())
        for move in moves.filtered(lambda m: m.is_move_sent != was_sent[m.id]):
            move.is_move_sent = was_sent[move.id]
        return failures

    def _netvisor_render_invoice_pdfs(self):
        """One run of Odoo's own PDF generation for these invoices (no EDI, no e-mail);
        {move id: why it failed} for those left without a PDF."""
        Send = self.env["account.move.send"].sudo()
        moves_data = {
            move: Send._get_default_sending_settings(
                move, sending_methods=[], extra_edis={}, invoice_edi_format=None
            )
            for move in self
        }
        try:
            # a real PDF, also where Odoo's tests would get HTML instead
            Send.with_context(force_report_rendering=True)._generate_invoice_documents(moves_data)
        except Exception as error:
            _logger.warning("Netvisor: invoice PDFs could not be made: %s", error)
            return dict.fromkeys(self.ids, str(error) or type(error).__name__)
        self.invalidate_recordset(["invoice_pdf_report_id", "invoice_pdf_report_file"])
        failures = {}
        for move, data in moves_data.items():
            if not move.invoice_pdf_report_id:
                error = data.get("error")
                if isinstance(error, dict):
                    error = "\n".join(error.get("errors", []))
                failures[move.id] = str(error or "") or self.env._("No PDF was made.")
        return failures

    def _netvisor_voucher_attachment(self, document):
        """The connector's VoucherAttachment of ``document`` (an ir.attachment), read from
        the file store on demand; None when it holds no bytes."""
        self.ensure_one()
        document = document.sudo()
        if not document or not document.file_size:
            return None
        if document.store_fname:
            path = document._full_path(document.store_fname)

            def opener(path=path):
                return open(path, "rb")
        else:
            # stored in the database (ir_attachment.location = db): held for this voucher
            raw = document.raw

            def opener(raw=raw):
                return io.BytesIO(raw)

        mimetype = document.mimetype
        if not is_mimetype(mimetype):
            mimetype = "application/octet-stream"
        return VoucherAttachment(
            filename=attachment_filename(document.name),
            mimetype=mimetype,
            size=document.file_size,
            open=opener,
            description=(self.name or document.name or "")[:MAX_TEXT] or None,
        )
