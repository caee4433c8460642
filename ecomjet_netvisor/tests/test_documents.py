"""Documents with their vouchers (API.md §11.3): the invoice's own PDF and the bill's main
attachment reach Netvisor byte for byte, only when the company chose so, never twice, and
a document too large or unreadable stops its voucher with the reason and a way out."""

import hashlib
import os

from odoo.tests import HttpCase, new_test_user, tagged

from .common import MSG_SENDING, NetvisorCommon

MARCH = ("2025-03-01", "2025-03-31")
APRIL = ("2025-04-01", "2025-04-30")


def sha(content):
    return hashlib.sha256(content).hexdigest()


def pdf_bytes(size, seed):
    """A file of ``size`` bytes that starts like a PDF (Netvisor does not look inside)."""
    block = hashlib.sha256(seed.encode()).digest() * 64
    body = (block * (size // len(block) + 1))[: size - 9]
    return b"%PDF-1.4\n" + body


@tagged("post_install", "-at_install")
class TestDocumentsWithVouchers(NetvisorCommon, HttpCase):
    # ------------------------------------------------------------------ helpers

    def held(self, voucher):
        """The attachments the sandbox holds for this voucher (without their content)."""
        answer = self.sandbox.admin(
            "GET", f"companies/{self.org}/vouchers/{voucher.netvisor_key}/attachments"
        )
        self.assertEqual(answer.status_code, 200, answer.text)
        return answer.json()["attachments"]

    def scanned_bill(self, date, content, name="skannaus.pdf", mimetype="application/pdf"):
        bill = self.bill(date)
        document = self.env["ir.attachment"].create(
            {
                "name": name,
                "raw": content,
                "mimetype": mimetype,
                "res_model": "account.move",
                "res_id": bill.id,
            }
        )
        bill.message_main_attachment_id = document
        return bill, document

    # ------------------------------------------------------------------ sales

    def test_sales_month_carries_the_pdf_odoo_serves(self):
        """Every voucher of a closed sales month carries its invoice's legal PDF: the very
        bytes Odoo serves for that invoice, whether it existed or was made at sending."""
        self.env.company.netvisor_send_sale_documents = True
        moves = [self.sale("2025-03-03"), self.sale("2025-03-14", amount=250.0)]
        moves.append(self.make_move("out_refund", "2025-03-20", [(40.0, self.tax_sale)]))
        # one invoice already has its PDF (made as Send & Print makes it): it is kept
        moves[0]._netvisor_make_invoice_pdfs()
        existing = moves[0].invoice_pdf_report_id
        self.assertTrue(existing)
        self.assertFalse(moves[1].invoice_pdf_report_id)

        period = self.close("sale", *MARCH)
        self.send()

        self.assertEqual(period.state, "sent", period.voucher_ids.mapped("error_message"))
        self.assertEqual(moves[0].invoice_pdf_report_id, existing)
        new_test_user(
            self.env,
            login="nv_doc_accountant",
            groups="account.group_account_manager",
            company_id=self.env.company.id,
        )
        self.authenticate("nv_doc_accountant", "nv_doc_accountant")
        for voucher in period.voucher_ids:
            move = voucher.move_id
            served = self.url_open(f"/account/download_invoice_documents/{move.id}/pdf")
            self.assertEqual(served.status_code, 200)
            self.assertTrue(served.content.startswith(b"%PDF"), move.name)
            [held] = self.held(voucher)
            self.assertEqual(held["sha256"], sha(served.content), move.name)
            self.assertEqual(held["size"], len(served.content))
            self.assertEqual(held["mimetype"], "application/pdf")
            self.assertEqual(held["filename"], move.invoice_pdf_report_id.name)
            self.assertEqual(held["description"], move.name)
            self.assertEqual(voucher.document_state, "attached")
            self.assertEqual(voucher.document_sha256, held["sha256"])
            # making the PDF does not mark the invoice sent to the customer
            self.assertFalse(move.is_move_sent, move.name)
            # the stored request keeps a placeholder, not the base64
            placeholder = f"[sha256={held['sha256']} bytes={held['size']}]"
            self.assertIn(placeholder, voucher.request_xml)
            self.assertLess(len(voucher.request_xml), 3000)

    def test_wizard_says_nothing_of_documents_when_they_are_off(self):
        self.sale("2025-03-05")
        self.assertFalse(self.close_wizard("sale", *MARCH).document_notice)
        self.env.company.netvisor_send_sale_documents = True
        notice = self.close_wizard("sale", *MARCH).document_notice
        self.assertIn("Documents sent with the vouchers: 1.", notice)

    def test_documents_are_off_by_default(self):
        company = self.env.company
        self.assertFalse(company.netvisor_send_sale_documents)
        self.assertFalse(company.netvisor_send_purchase_documents)
        self.assertEqual(company.netvisor_document_max_mb, 10)
        invoice = self.sale("2025-03-05")
        bill, _document = self.scanned_bill("2025-03-06", pdf_bytes(50_000, "off"))
        sales = self.close("sale", *MARCH)
        purchases = self.close("purchase", *MARCH)
        self.send()
        for period in sales | purchases:
            self.assertEqual(period.state, "sent")
            for voucher in period.voucher_ids:
                self.assertEqual(self.held(voucher), [])
                self.assertFalse(voucher.document_state)
                self.assertNotIn("voucherattachments", voucher.request_xml)
        self.assertFalse(invoice.invoice_pdf_report_id, "no PDF is made for nothing")
        self.assertTrue(bill.message_main_attachment_id)

    # ------------------------------------------------------------------ purchases

    def test_bills_carry_their_main_attachment_or_say_none(self):
        self.env.company.netvisor_send_purchase_documents = True
        scan = pdf_bytes(300_000, "scan")
        image = pdf_bytes(20_000, "png")
        scanned, _doc = self.scanned_bill("2025-04-03", scan, name="Toimittaja/lasku 17.pdf")
        photo, _doc = self.scanned_bill("2025-04-09", image, "kuitti.png", "image/png")
        bare = self.bill("2025-04-20")
        period = self.close("purchase", *APRIL)
        self.send()

        self.assertEqual(period.state, "sent")
        by_move = {v.move_id: v for v in period.voucher_ids}
        [held] = self.held(by_move[scanned])
        self.assertEqual(
            (held["filename"], held["size"], held["sha256"], held["mimetype"]),
            ("Toimittaja_lasku 17.pdf", len(scan), sha(scan), "application/pdf"),
        )
        [held] = self.held(by_move[photo])
        self.assertEqual((held["sha256"], held["mimetype"]), (sha(image), "image/png"))
        self.assertEqual(self.held(by_move[bare]), [])
        self.assertEqual(by_move[bare].state, "sent")
        self.assertEqual(by_move[bare].document_state, "none")
        self.assertEqual(
            by_move[bare]._fields["document_state"].convert_to_export("none", by_move[bare]),
            "No document on the bill",
        )
        self.assertEqual(len(self.ledger()), 3)

    def test_lost_answer_with_a_document_is_looked_up_not_sent_again(self):
        self.env.company.netvisor_send_purchase_documents = True
        content = pdf_bytes(5_000_000, "lost")
        bill, _doc = self.scanned_bill("2025-04-07", content)
        self.fault("drop_after_commit")
        period = self.close("purchase", *APRIL)
        self.send()
        voucher = period.voucher_ids
        self.assertEqual(voucher.state, "uncertain")
        self.send()
        self.assertEqual(voucher.state, "sent")
        self.assertEqual(voucher.attempts, 1, "found in Netvisor, not POSTed again")
        [stored] = self.ledger()
        self.assertEqual(str(stored["netvisor_key"]), voucher.netvisor_key)
        [held] = self.held(voucher)
        self.assertEqual((held["size"], held["sha256"]), (len(content), sha(content)))
        self.assertEqual(bill.netvisor_state, "sent")

    # ------------------------------------------------------------------ too large, unreadable

    def test_document_over_the_cap_waits_with_the_reason_and_nothing_is_lost(self):
        company = self.env.company
        company.netvisor_send_purchase_documents = True
        big = pdf_bytes(12_000_000, "big")
        large, _doc = self.scanned_bill("2025-04-02", big, name="iso skannaus.pdf")
        small, _doc = self.scanned_bill("2025-04-03", pdf_bytes(10_000, "small"))
        bare = self.bill("2025-04-04")
        # the wizard says it all before Confirm: the count, the bill without, the large one
        notice = self.close_wizard("purchase", *APRIL).document_notice
        self.assertIn("Documents sent with the vouchers: 2.", notice)
        self.assertIn(f"no attachment and are sent without one: {bare.name}", notice)
        self.assertIn("larger than 10 MB: their vouchers wait", notice)
        self.assertIn(large.name, notice)
        self.assertNotIn(small.name, notice)
        period = self.close("purchase", *APRIL)
        self.send()

        by_move = {v.move_id: v for v in period.voucher_ids}
        stopped = by_move[large]
        self.assertEqual(stopped.state, "failed")
        self.assertEqual(stopped.error_category, "ATTACHMENT_TOO_LARGE")
        for text in ("iso skannaus.pdf", "12.0 MB", "10.0 MB", "Raise the limit", "Resend"):
            self.assertIn(text, stopped.error_message)
        self.assertTrue(stopped.can_send_without_document)
        self.assertFalse(stopped.request_xml, "it never left: nothing was marked as sent")
        self.assertEqual(by_move[small].state, "sent")
        self.assertEqual(len(self.ledger()), 2)
        self.assertEqual(period.state, "partial")
        report = period.message_ids[0].body
        self.assertIn(MSG_SENDING, report)
        self.assertIn(large.name, report)
        self.assertIn("may be at most 10.0 MB", report)

        # the accountant raises the limit and presses Resend: sent once, with its document
        company.netvisor_document_max_mb = 13
        period.action_resend()
        self.send()
        self.assertEqual(stopped.state, "sent")
        [held] = self.held(stopped)
        self.assertEqual((held["size"], held["sha256"]), (len(big), sha(big)))
        self.assertEqual(len(self.ledger()), 3)
        self.assertEqual(period.state, "sent")
        # a voucher row keeps the placeholder, never the 16 MB of base64
        self.assertLess(len(stopped.request_xml), 3000)

    def test_send_without_document_is_the_way_out(self):
        company = self.env.company
        company.netvisor_send_purchase_documents = True
        company.netvisor_document_max_mb = 1
        bill, _doc = self.scanned_bill("2025-04-04", pdf_bytes(2_000_000, "two"))
        period = self.close("purchase", *APRIL)
        self.send()
        voucher = period.voucher_ids
        self.assertEqual(voucher.error_category, "ATTACHMENT_TOO_LARGE")
        voucher.action_send_without_document()
        self.assertEqual(voucher.state, "pending")
        self.send()
        self.assertEqual(voucher.state, "sent")
        self.assertEqual(voucher.document_state, "without")
        self.assertEqual(self.held(voucher), [])
        self.assertIn("without its document", bill.message_ids[0].body)
        # a voucher that was not stopped by its document offers no such way
        self.assertFalse(voucher.can_send_without_document)

    def test_unreadable_document_stops_its_voucher_only(self):
        self.env.company.netvisor_send_purchase_documents = True
        bill, document = self.scanned_bill("2025-04-08", pdf_bytes(30_000, "gone"))
        os.remove(document._full_path(document.store_fname))
        period = self.close("purchase", *APRIL)
        self.send()
        voucher = period.voucher_ids
        self.assertEqual(voucher.state, "failed")
        self.assertEqual(voucher.error_category, "ATTACHMENT_UNREADABLE")
        self.assertIn("could not be read", voucher.error_message)
        self.assertNotIn(document.store_fname, voucher.error_message)
        self.assertEqual(self.ledger(), [])
        self.assertEqual(bill.netvisor_state, "failed")

    # ------------------------------------------------------------------ comparison

    def test_comparison_checks_the_document_arrived(self):
        self.env.company.netvisor_send_purchase_documents = True
        kept, _doc = self.scanned_bill("2025-04-10", pdf_bytes(40_000, "kept"))
        lost, _doc = self.scanned_bill("2025-04-11", pdf_bytes(40_000, "lost"))
        period = self.close("purchase", *APRIL)
        self.send()
        by_move = {v.move_id: v for v in period.voucher_ids}
        removed = self.sandbox.admin(
            "DELETE", f"companies/{self.org}/vouchers/{by_move[lost].netvisor_key}/attachments"
        )
        self.assertEqual(removed.json(), {"deleted": 1})

        period.action_netvisor_compare()
        self.assertEqual(period.compare_state, "differs", period.compare_summary)
        [line] = period.compare_line_ids
        self.assertEqual((line.outcome, line.voucher_id), ("document_missing", by_move[lost]))
        self.assertEqual(by_move[kept].document_state, "arrived")
        self.assertEqual(by_move[lost].document_state, "not_arrived")

        old_key = by_move[lost].netvisor_key
        line.action_resend_different()
        self.send()
        self.assertEqual(by_move[lost].state, "sent")
        self.assertNotEqual(by_move[lost].netvisor_key, old_key)
        period.action_netvisor_compare()
        self.assertEqual(period.compare_state, "matches", period.compare_summary)
        self.assertEqual(by_move[lost].document_state, "arrived")
        valid = [v for v in self.ledger() if v["status"] == "valid"]
        self.assertEqual(len(valid), 2)
