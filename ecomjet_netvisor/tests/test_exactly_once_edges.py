"""Exactly once at the edges: every answer that does not prove Netvisor stored nothing is
looked up, never re-POSTed blind; what a lookup cannot settle is shown to a person."""

import time
from unittest.mock import patch

import psycopg2

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import NetvisorCommon


@tagged("post_install", "-at_install")
class TestExactlyOnceEdges(NetvisorCommon):
    def close_one(self, day="2025-01-03", month=("2025-01-01", "2025-01-31")):
        self.sale(day)
        return self.close("sale", *month)

    def valid_ledger(self):
        return [v for v in self.ledger() if v["status"] == "valid"]

    def assert_sent_once(self, voucher, attempts=1):
        """Sent, with that many requests, and exactly one valid copy in Netvisor."""
        self.assertEqual(voucher.state, "sent", voucher.error_message)
        self.assertEqual(voucher.attempts, attempts)
        copies = [
            v for v in self.valid_ledger() if v["description"].startswith(voucher.reference + " ")
        ]
        self.assertEqual([str(v["netvisor_key"]) for v in copies], [voucher.netvisor_key])

    def set_timing(self, **seconds):
        params = self.env["ir.config_parameter"].sudo()
        for name, value in seconds.items():
            params.set_param(f"ecomjet_netvisor.{name}", str(value))

    # ------------------------------------------------------------ answers after storing

    def test_technical_error_after_storing_is_looked_up_not_reposted(self):
        """HTTP 500 TECHNICAL_ERROR to a POST may come after Netvisor stored the voucher:
        neither the connector's retries nor the sender may POST it again blind."""
        voucher = self.close_one().voucher_ids
        self.fault("technical_error_after_commit")
        self.send()
        self.assertEqual(voucher.state, "uncertain")
        self.assertEqual(voucher.error_category, "TECHNICAL_ERROR")
        self.assertEqual(len(self.ledger()), 1, "stored once, not re-POSTed by a retry")
        self.send()
        self.assert_sent_once(voucher)

    def test_gateway_errors_after_storing_are_looked_up(self):
        months = {
            "gateway_502_after_commit": ("2025-01-03", ("2025-01-01", "2025-01-31")),
            "gateway_504_after_commit": ("2025-02-03", ("2025-02-01", "2025-02-28")),
        }
        for mode, (day, month) in months.items():
            with self.subTest(mode=mode):
                voucher = self.close_one(day, month).voucher_ids
                self.fault(mode)
                self.send()
                self.assertEqual(voucher.state, "uncertain")
                self.send()
                self.assert_sent_once(voucher)

    def test_request_not_unique_means_it_may_be_there(self):
        voucher = self.close_one().voucher_ids
        self.fault("fail", category="REQUEST_NOT_UNIQUE", text="Transaction id already used")
        self.send()
        self.assertEqual(voucher.state, "uncertain")
        self.send()
        self.assert_sent_once(voucher, attempts=2)  # looked up, not there, sent

    # ------------------------------------------------------------ a request still running

    def test_resend_waits_until_a_running_request_can_no_longer_land(self):
        """The client gave up after 1 s while Netvisor kept working for 2 s: Resend must not
        look it up before Netvisor's own timeout (3 s here) has passed, and says so."""
        self.set_timing(read_timeout=1, netvisor_timeout=3)
        period = self.close_one()
        voucher = period.voucher_ids
        self.fault("hang", seconds=2.0)
        self.send()
        self.assertEqual(voucher.state, "uncertain")
        self.assertFalse(self.ledger(), "the request is still running in Netvisor")
        self.assertGreater(voucher.lookup_after, voucher.request_started_at)

        period.action_resend()
        self.assertIn("can no longer arrive", period.message_ids[0].body)
        self.send()  # too early: neither looked up nor sent
        self.assertEqual((voucher.state, voucher.attempts), ("uncertain", 1))

        time.sleep(3.5)
        self.assertEqual(len(self.ledger()), 1, "the hung request has landed meanwhile")
        self.send()
        self.assert_sent_once(voucher)

    def test_lookup_window_holds_the_date_the_voucher_was_sent_with(self):
        """The document's date changed after the request was sent (a manager lowered the
        lock): the lookup searches around the date that was sent, not the current one."""
        voucher = self.close_one("2025-01-31").voucher_ids
        self.fault("drop_after_commit")
        self.send()
        self.assertEqual(voucher.state, "uncertain")
        self.env.cr.execute(
            "UPDATE account_move SET date = '2025-03-15' WHERE id = %s", [voucher.move_id.id]
        )
        self.env.invalidate_all()
        self.send()
        self.assert_sent_once(voucher)

    # ------------------------------------------------------------ what a lookup cannot settle

    def test_voucher_twice_in_netvisor_is_reported_not_taken(self):
        period = self.close_one()
        voucher = period.voucher_ids
        self.fault("drop_after_commit")
        self.send()
        # a second copy reaches Netvisor by another way (e.g. someone imported it again)
        client = self.company._netvisor_client()
        client.import_voucher(voucher.request_xml.encode())
        keys = sorted(str(v["netvisor_key"]) for v in self.ledger())
        self.send()
        self.assertEqual(voucher.state, "to_check")
        self.assertFalse(voucher.netvisor_key, "neither copy is taken as the voucher")
        for key in keys:
            self.assertIn(key, voucher.error_message)
        self.assertEqual(len(self.ledger()), 2, "nothing more was sent")
        self.assertTrue(period.activity_ids, "a person is asked to check")

    def test_invalidated_voucher_is_reported_and_resend_sends_it_again(self):
        period = self.close_one()
        voucher = period.voucher_ids
        self.fault("drop_after_commit")
        self.send()
        (stored,) = self.ledger()
        self.company._netvisor_client().invalidate_vouchers([stored["netvisor_key"]])
        self.send()
        self.assertEqual((voucher.state, voucher.error_category), ("failed", "INVALIDATED"))
        self.assertIn(str(stored["netvisor_key"]), voucher.error_message)
        self.assertFalse(self.valid_ledger())

        period.action_resend()
        self.send()
        self.assert_sent_once(voucher, attempts=2)

    def test_lookup_that_keeps_failing_is_surfaced_to_a_person(self):
        period = self.close_one()
        voucher = period.voucher_ids
        self.fault("drop_after_commit")
        self.send()
        self.fault("garbage_numbers", resource="accountingledger", count=50)
        for _run in range(6):
            self.send()
        self.assertEqual(voucher.state, "to_check")
        self.assertIn(voucher.reference, voucher.error_message)
        self.assertTrue(period.activity_ids)
        self.assertEqual(len(self.ledger()), 1, "never sent blind")

        self.sandbox.admin("DELETE", "faults")
        period.action_resend()
        self.send()
        self.assert_sent_once(voucher)

    # ------------------------------------------------------------ refusals

    def test_malformed_authentication_failure_stops_the_company(self):
        """Netvisor's AUTHENTICATION_FAILED echoes the MAC string with raw '&' (not XML):
        it is a refusal of the credentials, not an unknown outcome."""
        self.sale("2025-01-04")
        period = self.close_one()
        self.fault("raw_amp_auth_failed")
        self.send()
        self.assertEqual(set(period.voucher_ids.mapped("state")), {"failed"})
        self.assertEqual(
            set(period.voucher_ids.mapped("error_category")), {"AUTHENTICATION_FAILED"}
        )
        self.assertIn("API user ID", period.voucher_ids[0].error_message)
        self.assertEqual(sum(period.voucher_ids.mapped("attempts")), 1, "one request only")
        self.assertFalse(self.ledger())

    def test_maintenance_is_tried_a_bounded_number_of_times(self):
        voucher = self.close_one().voucher_ids
        self.fault("SYSTEM_MAINTENANCE", count=100)
        for _run in range(8):
            self.send()
        self.assertEqual((voucher.state, voucher.error_category), ("failed", "SYSTEM_MAINTENANCE"))
        self.assertEqual(voucher.attempts, 5)

    def test_concurrent_update_is_tried_again_soon_without_an_error(self):
        """A user's Resend that changes the same rows while the cron runs (a serialization
        failure) is no error: the company is not paused and the next run sends."""
        voucher = self.close_one().voucher_ids
        Period = type(self.env["netvisor.period"])
        with (
            patch.object(
                Period,
                "_netvisor_send_batches",
                side_effect=psycopg2.errors.SerializationFailure("concurrent update"),
            ),
            self.assertLogs("odoo.addons.ecomjet_netvisor.models.netvisor_period") as logs,
        ):
            self.send()  # never raises
        self.assertEqual([r.levelname for r in logs.records], ["WARNING"])
        self.assertFalse(self.company.netvisor_send_after)
        self.send()
        self.assert_sent_once(voucher)

    # ------------------------------------------------------------ time limits

    def test_requests_fit_inside_the_cron_time_limit(self):
        """In prefork mode Odoo kills a cron worker past limit_time_real_cron: one request
        with its retries must end well before, and the run stops taking new ones in time."""
        Period = self.env["netvisor.period"]
        with patch_config(limit_time_real_cron=60):
            timing = Period._netvisor_timing()
            voucher = self.close_one().voucher_ids
            with mute_logger("odoo.addons.ecomjet_netvisor.models.netvisor_period"):
                self.send()
        self.assertLess(timing.budget, 60, "no request starts too late to end in time")
        self.assertLessEqual(2 * timing.per_request, timing.budget)
        self.assertEqual(voucher.state, "sent")
        client = self.company._netvisor_client(timeout=timing.read_timeout)
        self.assertEqual(client.timeout, timing.read_timeout)
        with patch_config(limit_time_real_cron=-1, limit_time_real=0):
            self.assertEqual(Period._netvisor_timing().read_timeout, 360.0)


class patch_config:
    """Set Odoo configuration options for a block (the sender reads its limits there)."""

    def __init__(self, **options):
        self.options = options

    def __enter__(self):
        from odoo.tools import config

        self.saved = {name: config.get(name) for name in self.options}
        for name, value in self.options.items():
            config[name] = value

    def __exit__(self, *exc_info):
        from odoo.tools import config

        for name, value in self.saved.items():
            config[name] = value
