"""Billing users follow the periods; only accounting administrators act, only admins see keys."""

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, JsonRpcException, new_test_user, tagged
from odoo.tools import mute_logger

from .common import NetvisorCommon


@tagged("post_install", "-at_install")
class TestAccessRights(NetvisorCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing = new_test_user(
            cls.env,
            login="nv_billing",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
        )
        cls.accountant = new_test_user(
            cls.env,
            login="nv_manager",
            groups="account.group_account_manager",
            company_id=cls.company.id,
        )

    def test_billing_user_sees_periods_but_cannot_close_or_resend(self):
        self.sale("2025-01-03")
        self.sandbox.admin("POST", "faults", {"mode": "fail", "category": "INVALID_DATA"})
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        as_billing = period.with_user(self.billing)
        self.assertEqual(as_billing.state, "failed")
        self.assertEqual(as_billing.voucher_ids.state, "failed")
        with self.assertRaises(AccessError):
            as_billing.action_resend()
        with self.assertRaises(AccessError):
            as_billing.action_reopen()
        with self.assertRaises(AccessError):
            self.close("sale", "2025-02-01", "2025-02-28", user=self.billing)
        with self.assertRaises(AccessError):
            as_billing.voucher_ids.write({"state": "pending"})
        with self.assertRaises(AccessError):
            self.env["netvisor.account.map"].with_user(self.billing).search([])
        self.assertEqual(period.voucher_ids.state, "failed")

    def test_only_administrators_read_the_keys(self):
        """Keys are readable by base.group_system only, even for accounting administrators."""
        for user in (self.billing, self.accountant):
            company = self.company.with_user(user)
            with self.subTest(user=user.login):
                for field in ("netvisor_customer_key", "netvisor_partner_key"):
                    with self.assertRaises(AccessError):
                        company.read([field])
                    self.assertNotIn(field, company.fields_get())
                with self.assertRaises(AccessError):
                    company.write({"netvisor_customer_key": "stolen"})
        self.assertEqual(self.company.netvisor_customer_key, "a1" * 16)

    def test_accounting_administrator_can_close_and_resend(self):
        self.sale("2025-01-03")
        self.sandbox.admin("POST", "faults", {"mode": "fail", "category": "INVALID_DATA"})
        period = self.close("sale", "2025-01-01", "2025-01-31", user=self.accountant)
        self.assertEqual(period.closed_by_id, self.accountant)
        self.send()
        period.with_user(self.accountant).action_resend()
        self.send()
        self.assertEqual(period.state, "sent")

    def test_billing_user_does_not_see_the_request_sent(self):
        self.sale("2025-01-03")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        self.assertIn("<voucherclass>Myyntilasku</voucherclass>", period.voucher_ids.request_xml)
        self.assertNotIn("a1" * 16, period.voucher_ids.request_xml)
        with self.assertRaises(AccessError):
            period.voucher_ids.with_user(self.billing).read(["request_xml"])


@tagged("post_install", "-at_install")
class TestAccessRightsOverRpc(NetvisorCommon, HttpCase):
    """The same rules hold for a client talking JSON-RPC, not only for the ORM."""

    def call(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def test_billing_user_can_read_but_not_act_or_see_keys(self):
        new_test_user(
            self.env,
            login="nv_rpc_billing",
            groups="account.group_account_invoice",
            company_id=self.company.id,
        )
        self.sale("2025-01-03")
        self.sandbox.admin("POST", "faults", {"mode": "fail", "category": "INVALID_DATA"})
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        self.authenticate("nv_rpc_billing", "nv_rpc_billing")

        [read] = self.call("netvisor.period", "read", period.ids, ["state", "failed_count"])
        self.assertEqual((read["state"], read["failed_count"]), ("failed", 1))
        refused = (
            ("netvisor.period", "action_resend", [period.ids]),
            ("netvisor.period", "action_reopen", [period.ids]),
            ("res.company", "read", [self.company.ids, ["netvisor_customer_key"]]),
            ("res.company", "action_netvisor_test_connection", [self.company.ids]),
            ("netvisor.period.close", "create", [{"date_from": "2025-02-01"}]),
            ("netvisor.voucher", "read", [period.voucher_ids.ids, ["request_xml"]]),
            ("netvisor.account.map", "search_read", [[]]),
        )
        for model, method, args in refused:
            with self.subTest(model=model, method=method):
                with self.assertRaises(JsonRpcException) as caught, mute_logger("odoo.http"):
                    self.call(model, method, *args)
                self.assertEqual(str(caught.exception), "odoo.exceptions.AccessError")
        self.assertEqual(period.voucher_ids.state, "failed")
        self.assertEqual(len(period.exists()), 1)
