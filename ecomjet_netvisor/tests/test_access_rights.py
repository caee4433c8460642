"""Billing users follow the periods; only accounting administrators act, only admins see keys."""

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

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
