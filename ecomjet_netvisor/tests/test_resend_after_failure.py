"""Resend after Netvisor refused some vouchers sends those, and only those."""

from odoo.tests import tagged

from .common import MSG_ACCOUNT, MSG_SENDING, NetvisorCommon


@tagged("post_install", "-at_install")
class TestResendAfterFailure(NetvisorCommon):
    def test_resend_sends_only_the_failed_vouchers(self):
        invoices = self.sale("2025-01-03") | self.sale("2025-01-04") | self.sale("2025-01-05")
        self.sandbox.admin(
            "POST",
            "faults",
            {"mode": "fail", "count": 2, "category": "INVALID_DATA", "text": "Refused for test"},
        )
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()

        failed = period.voucher_ids.filtered(lambda v: v.state == "failed")
        self.assertEqual(len(failed), 2)
        self.assertEqual(set(failed.mapped("error_category")), {"INVALID_DATA"})
        self.assertIn("Refused for test", failed[0].error_message)
        self.assertEqual(period.state, "partial")
        self.assertEqual(len(self.ledger()), 1)
        activity = period.activity_ids
        self.assertEqual(activity.user_id, self.env.user, "the closer is told")
        self.assertIn("Sending invoices to Netvisor failed.", activity.summary)
        sent_before = period.voucher_ids - failed

        period.action_resend()
        self.send()

        self.assertEqual(period.state, "sent")
        self.assertFalse(period.activity_ids, "the failure to-do is done once all is sent")
        self.assertEqual(sorted(period.voucher_ids.mapped("attempts")), [1, 2, 2])
        self.assertEqual(sent_before.attempts, 1, "what was sent is not touched")
        ledger = self.ledger()
        self.assertEqual(len(ledger), 3)
        self.assertEqual(
            sorted(v["netvisor_key"] for v in ledger),
            sorted(int(key) for key in period.voucher_ids.mapped("netvisor_key")),
        )
        self.assertEqual(set(invoices.mapped("netvisor_state")), {"sent"})

    def test_refused_credentials_stop_the_companys_sending(self):
        """One AUTHENTICATION_FAILED is enough: the rest are not tried, and each says why."""
        self.sale("2025-01-03")
        self.sale("2025-01-04")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.company.netvisor_customer_key = "0" * 32
        self.send()
        self.assertEqual(period.voucher_ids.mapped("state"), ["failed", "failed"])
        self.assertEqual(sorted(period.voucher_ids.mapped("attempts")), [0, 1], "one request")
        self.assertEqual(
            set(period.voucher_ids.mapped("error_category")), {"AUTHENTICATION_FAILED"}
        )
        failed = period.voucher_ids.filtered("attempts")
        self.assertIn("API user ID", failed.error_message)
        self.assertNotIn("0" * 32, failed.error_message + (failed.request_xml or ""))
        for message in period.message_ids:
            self.assertNotIn("0" * 32, message.body or "")
        self.assertFalse(self.ledger())

        self.company.netvisor_customer_key = "a1" * 16
        period.action_resend()
        self.send()
        self.assertEqual(period.state, "sent")
        self.assertEqual(len(self.ledger()), 2)

    def test_maintenance_leaves_the_rest_waiting_and_retries_later(self):
        """Netvisor under maintenance stored nothing: the voucher waits, the cron comes back."""
        self.sale("2025-01-03")
        self.sale("2025-01-04")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.sandbox.admin(
            "POST", "faults", {"mode": "SYSTEM_MAINTENANCE", "count": 2, "resource": "accounting"}
        )
        cron = self.env.company._netvisor_sender_cron()
        triggers_before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self.send()
        self.assertEqual(set(period.voucher_ids.mapped("state")), {"pending"})
        first = period.voucher_ids.sorted("id")[0]
        self.assertEqual(first.error_category, "SYSTEM_MAINTENANCE")
        self.assertEqual(first.attempts, 1)
        self.assertEqual(period.voucher_ids.sorted("id")[1].attempts, 0, "not even tried")
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers_before
        )
        self.assertFalse(self.ledger())

        self.send()  # the later cron run, maintenance over
        self.assertEqual(period.state, "sent")
        self.assertEqual(len(self.ledger()), 2)

    def test_mapping_removed_after_close_fails_with_the_account_named(self):
        self.sale("2025-01-03")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.env["netvisor.account.map"].search(
            [("account_id", "=", self.account_revenue.id)]
        ).unlink()
        self.send()
        voucher = period.voucher_ids
        self.assertEqual(voucher.state, "failed")
        self.assertIn("Netvisor chart of accounts", voucher.error_message)
        self.assertIn("3000", voucher.error_message)
        self.assertFalse(self.ledger())

    def test_document_reset_to_draft_after_the_close_is_not_sent(self):
        """Reset to draft before it reached Netvisor: its voucher is cancelled and the
        period still becomes Sent (before: failed for ever, the period with it)."""
        invoice = self.sale("2025-01-03")
        other = self.sale("2025-01-04")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.company.sale_lock_date = False  # an administrator lifts the lock ...
        invoice.button_draft()  # ... and someone edits the invoice
        voucher = period.voucher_ids.filtered(lambda v: v.move_id == invoice)
        self.assertEqual(voucher.state, "cancelled")
        self.assertEqual(invoice.netvisor_state, "not_sent")
        self.send()
        self.assertEqual(other.netvisor_state, "sent")
        self.assertEqual(period.state, "sent")
        self.assertEqual(len(self.ledger()), 1)
        self.assertTrue(any(invoice.name in body for body in period.message_ids.mapped("body")))

    def test_period_locked_in_netvisor_after_the_close(self):
        """Netvisor's PERIOD_LOCK fails the voucher with a plain explanation; once the period
        is opened in Netvisor, Resend sends it."""
        self.sale("2025-01-03")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.sandbox.admin(
            "PUT", f"companies/{self.org}/locks", {"accounting_lock_date": "2025-01-31"}
        )
        self.send()
        voucher = period.voucher_ids
        self.assertEqual((voucher.state, voucher.error_category), ("failed", "PERIOD_LOCK"))
        self.assertIn("locked in Netvisor", voucher.error_message)
        self.assertIn("Sending invoices to Netvisor failed.", period.message_ids[0].body)

        self.sandbox.admin("PUT", f"companies/{self.org}/locks", {"accounting_lock_date": None})
        period.action_resend()
        self.send()
        self.assertEqual(voucher.state, "sent")
        self.assertEqual(len(self.ledger()), 1)

    def assert_account_refused_at_sending(self, number):
        """Close with a good mapping, then map to ``number``: Netvisor's INVALID_DATA for
        the account reads as the mapping error and names the account."""
        mapping = self.env["netvisor.account.map"].search(
            [("account_id", "=", self.account_revenue.id)]
        )
        self.sale("2025-01-03")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        mapping.netvisor_account_number = number  # changed after the close's check
        self.send()
        voucher = period.voucher_ids
        self.assertEqual((voucher.state, voucher.error_category), ("failed", "INVALID_DATA"))
        self.assertEqual(voucher.error_message.splitlines()[0], MSG_ACCOUNT)
        self.assertIn(number, voucher.error_message.splitlines()[1])
        self.assertFalse(self.ledger())

    def test_account_missing_in_netvisor_at_sending_finnish_interface(self):
        self.assertEqual(self.company.netvisor_language, "FI")
        self.assert_account_refused_at_sending("3019")

    def test_account_inactive_in_netvisor_at_sending_english_interface(self):
        self.company.netvisor_language = "EN"
        self.assert_account_refused_at_sending("3999")

    def send_as_english_cron(self):
        """The cron runs as a user whose language nobody reads; here English."""
        self.env["netvisor.period"].with_context(lang="en_US")._cron_send_vouchers()

    def test_sender_writes_in_the_language_of_whoever_closed_the_period(self):
        """Errors, chatter, tracking and activity written by the cron speak the closer's
        language."""
        # tracked as in a running database (the accounting test setup turns it off)
        self.env = self.env(
            context=dict(self.env.context, tracking_disable=False, mail_notrack=False)
        )
        self.env["res.lang"]._activate_lang("fi_FI")
        # the state's labels in Finnish, as an installed Finnish database has them
        self.env["ir.module.module"]._load_module_terms(
            ["ecomjet_netvisor"], ["fi_FI"], overwrite=True
        )
        self.env.user.lang = "fi_FI"
        self.sale("2025-01-03")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.env.flush_all()
        self.env.cr.precommit.run()  # the close's commit: the sender runs in a new one
        self.sandbox.admin(
            "PUT", f"companies/{self.org}/locks", {"accounting_lock_date": "2025-01-31"}
        )
        self.send_as_english_cron()
        voucher = period.voucher_ids
        self.assertEqual(voucher.error_category, "PERIOD_LOCK")
        self.assertIn("Kausi on lukittu Netvisorissa.", voucher.error_message)
        self.assertNotIn("The period is locked in Netvisor.", voucher.error_message)
        failed_fi = "Laskujen lähetys Netvisoriin epäonnistui."
        self.assertTrue(any(failed_fi in (m.body or "") for m in period.message_ids))
        self.assertFalse(any(MSG_SENDING in (m.body or "") for m in period.message_ids))
        self.assertEqual(period.activity_ids.summary, failed_fi)
        # the state's tracking in the chatter too ("Tila: Lähetetään → Epäonnistui"), as a
        # real commit writes it
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracked = period.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "state"
        )
        self.assertTrue(tracked)
        self.assertEqual(tracked[0].new_value_char, "Epäonnistui")

        self.company.netvisor_enabled = False  # a settings error, in Finnish too
        period.action_resend()
        self.send_as_english_cron()
        self.assertEqual(voucher.error_category, "CONFIGURATION")
        self.assertIn("Netvisor-integraatio ei ole käytössä", voucher.error_message)
