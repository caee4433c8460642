"""A request whose answer was lost is looked up in Netvisor's ledger, never blindly resent."""

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import NetvisorCommon


@tagged("post_install", "-at_install")
class TestResendAfterLostAnswer(NetvisorCommon):
    def test_lost_answer_is_found_in_the_ledger(self):
        invoices = self.sale("2025-01-03") | self.sale("2025-01-04")
        self.sandbox.admin(
            "POST", "faults", {"mode": "drop_after_commit", "resource": "accounting"}
        )
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()

        uncertain = period.voucher_ids.filtered(lambda v: v.state == "uncertain")
        self.assertEqual(len(uncertain), 1)
        self.assertFalse(uncertain.netvisor_key)
        self.assertEqual(len(self.ledger()), 2, "Netvisor stored it although Odoo got no answer")

        self.send()
        self.assertEqual(uncertain.state, "uncertain", "the cron alone never retries it")

        period.action_resend()
        self.send()
        self.assertEqual(uncertain.state, "sent")
        self.assertEqual(uncertain.attempts, 1, "found, not sent again")
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
        self.sandbox.admin("POST", "faults", {"mode": "non_xml_502", "resource": "accounting"})
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        self.assertEqual(period.voucher_ids.state, "uncertain")
        self.assertFalse(self.ledger())

        period.action_resend()
        self.send()
        self.assertEqual(period.voucher_ids.state, "sent")
        self.assertEqual(period.voucher_ids.attempts, 2)
        self.assertEqual(len(self.ledger()), 1)

    def test_voucher_stuck_in_sending_after_a_crash(self):
        """A worker died between the POST and the commit: Resend recovers without a duplicate."""
        self.sale("2025-01-03")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        voucher = period.voucher_ids
        key = voucher.netvisor_key
        voucher.write({"state": "sending", "netvisor_key": False})  # what the crash leaves

        period.action_resend()
        self.send()
        self.assertEqual(voucher.state, "sent")
        self.assertEqual(voucher.netvisor_key, key)
        self.assertEqual(len(self.ledger()), 1)

    def test_cron_recovers_a_voucher_abandoned_in_sending(self):
        """Nobody has to click Resend after a crash: an hour later the cron looks it up."""
        self.sale("2025-01-03")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        voucher = period.voucher_ids
        key = voucher.netvisor_key
        voucher.write({"state": "sending", "netvisor_key": False})
        self.send()
        self.assertEqual(voucher.state, "sending", "a fresh Sending may still be in flight")

        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE netvisor_voucher SET write_date = now() - interval '2 hours' WHERE id = %s",
            [voucher.id],
        )
        self.env.invalidate_all()
        self.send()
        self.assertEqual(voucher.state, "sent")
        self.assertEqual(voucher.netvisor_key, key)
        self.assertEqual(voucher.attempts, 1)
        self.assertEqual(len(self.ledger()), 1)

    def lose_one_answer(self):
        """Close January with one invoice whose voucher Netvisor stored without answering."""
        self.sale("2025-01-03")
        self.sandbox.admin(
            "POST", "faults", {"mode": "drop_after_commit", "resource": "accounting"}
        )
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        self.assertEqual(period.voucher_ids.state, "uncertain")
        self.assertEqual(len(self.ledger()), 1)
        return period

    def test_configuration_error_leaves_an_uncertain_voucher_uncertain(self):
        """Netvisor switched off while a voucher is uncertain: Resend waits for the settings
        and then still looks the voucher up instead of sending a second one."""
        period = self.lose_one_answer()
        voucher = period.voucher_ids
        self.company.netvisor_enabled = False
        period.action_resend()
        self.send()
        self.assertEqual(voucher.state, "uncertain")
        self.assertFalse(voucher.retry_requested)
        self.assertEqual(voucher.error_category, "CONFIGURATION")
        self.assertIn("not enabled", voucher.error_message)

        self.company.netvisor_enabled = True
        period.action_resend()
        self.send()
        self.assertEqual(voucher.state, "sent")
        self.assertEqual(voucher.attempts, 1, "found, not sent again")
        self.assertEqual(len(self.ledger()), 1)

    def test_any_voucher_that_may_be_in_netvisor_is_looked_up_first(self):
        """Whatever its state says (here Failed, as an older version left such vouchers),
        a voucher whose last request may have reached Netvisor is looked up before sending."""
        period = self.lose_one_answer()
        voucher = period.voucher_ids
        voucher.write({"state": "failed"})
        period.action_resend()
        self.assertEqual(voucher.state, "pending")
        self.send()
        self.assertEqual(voucher.state, "sent")
        self.assertEqual(voucher.attempts, 1)
        self.assertEqual(len(self.ledger()), 1)
        self.assertFalse(voucher.lookup_needed)

    def test_definite_refusal_is_sent_again_without_a_lookup(self):
        """Netvisor refused the voucher: Resend sends it again at once."""
        self.sale("2025-01-03")
        self.sandbox.admin(
            "POST", "faults", {"mode": "fail", "category": "INVALID_DATA", "text": "No"}
        )
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        voucher = period.voucher_ids
        self.assertEqual(voucher.state, "failed")
        self.assertFalse(voucher.lookup_needed)
        period.action_resend()
        self.send()
        self.assertEqual((voucher.state, voucher.attempts), ("sent", 2))
        self.assertEqual(len(self.ledger()), 1)

    def test_lookup_while_netvisor_is_away_keeps_the_resend(self):
        """Maintenance during the ledger lookup: the voucher keeps its Resend request and the
        cron comes back later, instead of silently dropping what the user asked for."""
        period = self.lose_one_answer()
        voucher = period.voucher_ids
        period.action_resend()
        self.sandbox.admin(
            "POST",
            "faults",
            {"mode": "SYSTEM_MAINTENANCE", "count": 4, "resource": "accountingledger"},
        )
        cron = self.env.ref("ecomjet_netvisor.ir_cron_netvisor_send")
        triggers_before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self.send()
        self.assertEqual(voucher.state, "uncertain")
        self.assertTrue(voucher.retry_requested)
        self.assertEqual(voucher.error_category, "SYSTEM_MAINTENANCE")
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers_before
        )

        self.send()  # the later run, maintenance over
        self.assertEqual(voucher.state, "sent")
        self.assertEqual(voucher.attempts, 1)
        self.assertEqual(len(self.ledger()), 1)

    def test_period_whose_voucher_may_be_in_netvisor_cannot_be_reopened(self):
        """Reopening deletes the vouchers: not while one may be in Netvisor, whatever its
        state says."""
        period = self.lose_one_answer()
        period.voucher_ids.write({"state": "failed"})  # as an older version left it
        with self.assertRaises(UserError):
            period.action_reopen()
        self.assertTrue(period.exists())
