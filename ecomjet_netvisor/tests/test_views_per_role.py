"""What each role sees: Billing users follow periods, Accounting Administrators act on them."""

from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestViewsPerRole(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing = new_test_user(cls.env, "nv_billing", groups="account.group_account_invoice")
        cls.manager = new_test_user(cls.env, "nv_manager", groups="account.group_account_manager")

    def _arch(self, user, model, view_type, view_xmlid=None):
        view_id = self.env.ref(view_xmlid).id if view_xmlid else False
        views = self.env[model].with_user(user).get_views([(view_id, view_type)])
        return views["views"][view_type]["arch"]

    def _bound_actions(self, user):
        bindings = self.env["ir.actions.actions"].with_user(user).get_bindings("account.move")
        return {action["name"] for action in bindings.get("action", [])}

    def test_billing_user_follows_periods_without_acting_on_them(self):
        form = self._arch(self.billing, "netvisor.period", "form")
        self.assertIn('name="voucher_ids"', form)
        self.assertNotIn("action_resend", form)
        self.assertNotIn("action_reopen", form)
        voucher_form = self._arch(self.billing, "netvisor.voucher", "form")
        self.assertIn('name="netvisor_key"', voucher_form)
        self.assertNotIn("request_xml", voucher_form)
        self.assertEqual(
            self._bound_actions(self.billing)
            & {
                "Close accounting period (Netvisor)",
                "Closed periods (Netvisor)",
            },
            {"Closed periods (Netvisor)"},
        )

    def test_administrator_closes_resends_and_reads_the_request(self):
        form = self._arch(self.manager, "netvisor.period", "form")
        self.assertIn("action_resend", form)
        self.assertIn("action_reopen", form)
        self.assertIn("request_xml", self._arch(self.manager, "netvisor.voucher", "form"))
        self.assertLessEqual(
            {"Close accounting period (Netvisor)", "Closed periods (Netvisor)"},
            self._bound_actions(self.manager),
        )

    def test_invoice_and_bill_lists_show_the_netvisor_state(self):
        for xmlid in ("account.view_out_invoice_tree", "account.view_in_invoice_bill_tree"):
            with self.subTest(view=xmlid):
                arch = self._arch(self.billing, "account.move", "list", xmlid)
                self.assertIn('name="netvisor_state"', arch)
        search = self._arch(
            self.billing, "account.move", "search", "account.view_account_bill_filter"
        )
        self.assertIn('name="netvisor_not_sent"', search)
        self.assertIn('name="netvisor_state"', self._arch(self.billing, "account.move", "form"))
