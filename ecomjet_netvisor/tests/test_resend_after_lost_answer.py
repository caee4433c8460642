"""A request whose answer was lost is looked up in Netvisor's ledger, never blindly resent."""

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import NetvisorCommon


@tagged("post_install", "-at_install")
class TestResendAfterLostAnswer(NetvisorCommon):
    def test_lost_answer_is_found_in_the_ledger(self):
        invoices = self.sale("2025-01-03") | self.sale("2025-01-04")
        self.fault("drop_after_commit")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()

        uncertain = period.voucher_ids.filtered(lambda v: v.state == "uncertain")
        self.assertEqual(len(uncertain), 1)
        self.assertFalse(uncertain.netvisor_key)
        self.assertIn("never booked twice", uncertain.error_message)
        self.assertEqual(len(self.ledger()), 1, "Netvisor stored it although Odoo got no answer")

        self.send()  # the next run, once the request can no longer land: look it up
        self.assertEqual(uncertain.state, "sent")
        self.assertEqual(uncertain.attempts, 1, "found, not sent again")
        self.assertIn("not sent again", uncertain.error_message)
        # the period and the document say so where the accountant reads
        found = f"Found in Netvisor (key {uncertain.netvisor_key})"
        [said] = period.message_ids.filtered(lambda m: found in (m.body or ""))
        self.assertIn(uncertain.move_id.name, said.body)
        self.assertTrue(uncertain.move_id.message_ids.filtered(lambda m: found in (m.body or "")))
        self.send()
        ledger = self.ledger()
        self.assertEqual(len(ledger), 2, "exactly one voucher per document")
        by_description = {v["description"].split(" ")[0]: v for v in ledger}
        self.assertEqual(
            str(by_description[uncertain.reference]["netvisor_key"]), uncertain.netvisor_key
        )
        self.assertEqual(set(invoices.mapped("netvisor_state")), {"sent"})

    def test_request_that_never_arrived_is_sent_after_lookup(self):
        """A garbage answer before Netvisor stored anything: the lookup finds nothing, so send."""
        self.sale("2025-01-03")
        self.fault("non_xml_502")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        self.assertEqual(period.voucher_ids.state, "uncertain")
        self.assertFalse(self.ledger())

        self.send()
        self.assertEqual(period.voucher_ids.state, "sent")
        self.assertEqual(period.voucher_ids.attempts, 2)
        self.assertEqual(len(self.ledger()), 1)

    def test_voucher_left_in_sending_by_a_stopped_worker(self):
        """A worker died between the POST and the commit: the next run, which holds the
        company's lock, knows nobody is sending it and looks it up instead of resending."""
        self.sale("2025-01-03")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        voucher = period.voucher_ids
        key = voucher.netvisor_key
        voucher.write({"state": "sending", "netvisor_key": False})  # what the crash leaves

        self.send()
        self.assertEqual(voucher.state, "sent")
        self.assertEqual(voucher.netvisor_key, key)
        self.assertEqual(voucher.attempts, 1)
        self.assertEqual(len(self.ledger()), 1)

    def lose_one_answer(self):
        """Close January with one invoice whose voucher Netvisor stored without answering."""
        self.sale("2025-01-03")
        self.fault("drop_after_commit")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        self.assertEqual(period.voucher_ids.state, "uncertain")
        self.assertEqual(len(self.ledger()), 1)
        return period

    def test_configuration_error_leaves_an_uncertain_voucher_uncertain(self):
        """Netvisor switched off while a voucher is uncertain: it waits for the settings and
        then is still looked up instead of a second one being sent."""
        period = self.lose_one_answer()
        voucher = period.voucher_ids
        self.company.netvisor_enabled = False
        self.send()
        self.assertEqual(voucher.state, "uncertain")

        self.company.netvisor_enabled = True
        period.action_resend()
        self.send()
        self.assertEqual(voucher.state, "sent")
        self.assertEqual(voucher.attempts, 1, "found, not sent again")
        self.assertEqual(len(self.ledger()), 1)

    def test_definite_refusal_is_sent_again_without_a_lookup(self):
        """Netvisor refused the voucher: Resend sends it again at once."""
        self.sale("2025-01-03")
        self.fault("fail", category="INVALID_DATA", text="No")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        voucher = period.voucher_ids
        self.assertEqual(voucher.state, "failed")
        period.action_resend()
        self.assertEqual(voucher.state, "pending")
        self.send()
        self.assertEqual((voucher.state, voucher.attempts), ("sent", 2))
        self.assertEqual(len(self.ledger()), 1)

    def test_lookup_while_netvisor_is_away_comes_back_later(self):
        """Maintenance during the ledger lookup: the voucher stays uncertain and the cron
        is triggered again, instead of dropping the lookup or sending blind."""
        period = self.lose_one_answer()
        voucher = period.voucher_ids
        self.sandbox.admin(
            "POST",
            "faults",
            {"mode": "SYSTEM_MAINTENANCE", "count": 2, "resource": "accountingledger"},
        )
        cron = self.env.company._netvisor_sender_cron()
        triggers_before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self.send()
        self.assertEqual(voucher.state, "uncertain")
        self.assertEqual(voucher.error_category, "SYSTEM_MAINTENANCE")
        self.assertEqual(voucher.lookup_attempts, 1)
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers_before
        )

        self.send()  # the later run, maintenance over
        self.assertEqual(voucher.state, "sent")
        self.assertEqual(voucher.attempts, 1)
        self.assertEqual(len(self.ledger()), 1)

    def test_period_whose_voucher_may_be_in_netvisor_cannot_be_reopened(self):
        """Reopening deletes the vouchers: not while one may be in Netvisor."""
        period = self.lose_one_answer()
        with self.assertRaises(UserError):
            period.action_reopen()
        self.assertTrue(period.exists())
