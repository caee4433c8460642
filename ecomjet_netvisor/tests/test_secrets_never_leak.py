"""No error path puts the API key, the partner key or the API user ID into a stored field,
a log line, the chatter, an activity or an error a user (or an RPC client) sees — even when
Netvisor echoes them back, as its AUTHENTICATION_FAILED answers do (API.md §11.1)."""

import calendar
import logging
import traceback

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import NetvisorCommon, seed

#: (fault mode, resource it strikes): every kind of trouble the sandbox can make.
FAULTS = (
    ("raw_amp_auth_failed", "accounting"),
    ("raw_amp_auth_failed", "accountingledger"),
    ("garbage_numbers", "accountingledger"),
    ("drop_after_commit", "accounting"),
    ("technical_error_after_commit", "accounting"),
    ("gateway_504_after_commit", "accounting"),
    ("non_xml_502", "accounting"),
    ("reset_before", "accounting"),
    ("TECHNICAL_ERROR", "accountingledger"),
)


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


@tagged("post_install", "-at_install")
class TestSecretsNeverLeak(NetvisorCommon):
    SECRETS = (
        seed.COMPANY_A.customer_key,
        seed.PARTNER_KEY,
        seed.COMPANY_A.customer_id,
    )

    def setUp(self):
        super().setUp()
        self.capture = _Capture()
        self.capture.setFormatter(logging.Formatter("%(name)s %(message)s %(exc_text)s"))
        root = logging.getLogger()
        self.addCleanup(root.removeHandler, self.capture)
        self.addCleanup(root.setLevel, root.level)
        root.addHandler(self.capture)
        root.setLevel(logging.DEBUG)

    def assert_clean(self, what, texts):
        for text in texts:
            for secret in self.SECRETS:
                self.assertNotIn(secret, text or "", f"{what} shows a secret")

    def test_sender_error_paths(self):
        for index, (mode, resource) in enumerate(FAULTS):
            with self.subTest(mode=mode, resource=resource):
                month = index + 1
                last = calendar.monthrange(2025, month)[1]
                self.sale(f"2025-{month:02d}-03")
                period = self.close("sale", f"2025-{month:02d}-01", f"2025-{month:02d}-{last}")
                if resource == "accountingledger":
                    self.fault("drop_after_commit")
                    self.send()
                self.fault(mode, resource=resource, count=3)
                self.send()
                self.send()
                self.env.flush_all()
                vouchers = period.voucher_ids
                self.assert_clean(
                    "a voucher",
                    vouchers.mapped("error_message")
                    + vouchers.mapped("error_category")
                    + vouchers.mapped("request_xml"),
                )
                self.assert_clean("the chatter", period.message_ids.mapped("body"))
                self.assert_clean(
                    "an activity",
                    period.activity_ids.mapped("note") + period.activity_ids.mapped("summary"),
                )
                self.sandbox.admin("DELETE", "faults")
        self.assert_clean("the log", self.capture.lines)
        self.assertTrue(self.capture.lines, "the capture works")

    def test_user_actions_error_paths(self):
        """What test connection, chart fetch and the close wizard show (and send over RPC)."""
        self.sale("2025-01-03")
        for resource in ("accountingperiodlist", "accountlist"):
            with self.subTest(resource=resource):
                self.fault("raw_amp_auth_failed", resource=resource, count=5)
                shown = []
                answer = self.company.action_netvisor_test_connection()
                shown.append(answer["params"]["message"])
                try:
                    self.env["netvisor.account.map"].action_fetch_netvisor_chart()
                except UserError as error:
                    shown += [str(error), repr(error), *traceback.format_exception(error)]
                wizard = self.close_wizard("sale", "2025-01-01", "2025-01-31")
                shown += wizard._check_problems(remote=True)
                self.assert_clean("an error shown to the user", shown)
                self.assertTrue(any("API user ID" in text for text in shown), shown)
                self.sandbox.admin("DELETE", "faults")
        self.assert_clean("the log", self.capture.lines)
