"""The closer's browser hears of the sending: progress after each batch (the period form
reloads itself) and a notification when the period is done or failed."""

from unittest.mock import patch

from odoo.tests import tagged

from .common import NetvisorCommon


@tagged("post_install", "-at_install")
class TestLiveProgress(NetvisorCommon):
    def record_bus(self):
        sent = []
        Users = type(self.env["res.users"])
        original = Users._bus_send

        def recording(users, notification_type, message, /, **kwargs):
            sent.extend((user, notification_type, message) for user in users)
            return original(users, notification_type, message, **kwargs)

        return sent, patch.object(Users, "_bus_send", recording)

    def test_progress_and_completion_reach_the_closer(self):
        self.sale("2025-01-03")
        self.sale("2025-01-04")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.assertTrue(period.sending_now, "Resend is hidden while the send runs")
        self.assertEqual(period.progress_text, "Sent to Netvisor: 0 of 2")
        sent, recording = self.record_bus()
        with recording:
            self.send()
        progress = [m for u, kind, m in sent if kind == "ecomjet_netvisor/progress"]
        self.assertTrue(progress)
        self.assertTrue(all(period.id in m["period_ids"] for m in progress))
        [(user, _kind, done)] = [s for s in sent if s[1] == "simple_notification"]
        self.assertEqual(user, self.env.user, "whoever closed the period is told")
        self.assertEqual(done["type"], "success")
        self.assertIn("2 of 2", done["message"])
        self.assertEqual(done["title"], period.name)
        period.invalidate_recordset()
        self.assertFalse(period.sending_now)
        self.assertEqual(period.progress_text, "Sent to Netvisor: 2 of 2")

    def test_a_failed_period_is_told_as_a_warning_that_stays(self):
        self.sale("2025-01-03")
        self.fault("fail", category="INVALID_DATA", text="Refused for test")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        sent, recording = self.record_bus()
        with recording:
            self.send()
        [(_user, _kind, done)] = [s for s in sent if s[1] == "simple_notification"]
        self.assertEqual((done["type"], done["sticky"]), ("warning", True))
        self.assertIn("Sending invoices to Netvisor failed.", done["message"])
        self.assertFalse(period.sending_now, "Resend is offered again")
