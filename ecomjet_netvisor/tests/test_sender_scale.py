"""The sender's own cost stays a small constant per voucher, however big the period."""

from .. import messages
from .common import NetvisorCommon


class TestSenderScale(NetvisorCommon):
    def send_period(self, count, month):
        """Close a month of ``count`` invoices and send it; return the SQL queries spent."""
        invoices = self.env["account.move"]
        for day in range(count):
            invoices |= self.sale(f"2025-{month:02d}-{1 + day % 28:02d}", amount=10.0 + day)
        last = {1: 31, 2: 28, 3: 31}[month]
        period = self.close("sale", f"2025-{month:02d}-01", f"2025-{month:02d}-{last}")
        before = self.env.cr.sql_log_count
        self.send()
        queries = self.env.cr.sql_log_count - before
        self.assertEqual((period.state, period.sent_count), ("sent", count))
        self.assertEqual(set(invoices.mapped("netvisor_state")), {"sent"})
        return queries

    def test_queries_per_voucher_are_a_small_constant(self):
        """Each voucher costs its two state changes (Sending before the POST, Sent after);
        the period's counters and the documents' Netvisor state are refreshed once per
        batch, not recomputed at every voucher's commit."""
        self.send_period(2, 1)  # once: the caches warm, as in a server that runs
        small = self.send_period(4, 2)
        large = self.send_period(24, 3)
        per_voucher = (large - small) / 20
        self.assertLessEqual(per_voucher, 2.5, f"{small} queries for 4, {large} for 24")

    def test_the_chatter_summarises_many_failures(self):
        """One outcome message per completed send, naming at most ten failed documents
        and counting the rest."""
        for day in range(13):
            self.sale(f"2025-01-{day + 1:02d}")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        locks = {"accounting_lock_date": "2025-01-31"}
        self.sandbox.admin("PUT", f"companies/{self.org}/locks", locks)
        messages_before = period.message_ids
        self.send()
        self.assertEqual(period.failed_count, 13)
        posted = period.message_ids - messages_before
        report = messages.text(period._netvisor_in_lang().env, "REPORT", 0, 13)
        outcome = posted.filtered(lambda m: report in (m.body or ""))
        self.assertEqual(len(outcome), 1, posted.mapped("body"))
        self.assertFalse(posted - outcome - posted.filtered("tracking_value_ids"))
        self.assertIn("(+3)", outcome.body)
        named = [v.move_id.name for v in period.voucher_ids if v.move_id.name in outcome.body]
        self.assertEqual(len(named), 10)

    def test_the_close_queues_one_pending_voucher_per_document(self):
        """The close creates the vouchers in bulk: each with its document, reference,
        signed total (credit notes negative) and state, and the documents and the period
        show it at once."""
        invoice = self.sale("2025-01-03", amount=100.0)
        refund = self.make_move("out_refund", "2025-01-04", [(25.0, self.tax_sale)])
        period = self.close("sale", "2025-01-01", "2025-01-31")
        Voucher = self.env["netvisor.voucher"]
        by_move = {voucher.move_id: voucher for voucher in period.voucher_ids}
        self.assertEqual(set(by_move), {invoice, refund})
        for move, sign in ((invoice, 1), (refund, -1)):
            voucher = by_move[move]
            self.assertEqual(voucher.state, "pending")
            self.assertEqual(voucher.company_id, self.company)
            self.assertEqual(voucher.reference, Voucher._netvisor_reference(move.id))
            self.assertAlmostEqual(voucher.amount_total, sign * move.amount_total)
            self.assertEqual((move.netvisor_voucher_id, move.netvisor_state), (voucher, "pending"))
        self.assertEqual((period.state, period.voucher_count), ("sending", 2))
        self.assertAlmostEqual(period.amount_total, invoice.amount_total - refund.amount_total)
