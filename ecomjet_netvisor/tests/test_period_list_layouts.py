"""Netvisor's period list comes in two layouts (API.md §6.2, §11.1): the addon reads its lock
date and periods from both, so the close wizard's checks hold whichever Netvisor sends."""

from odoo.tests import tagged

from .common import NetvisorCommon

LAYOUTS = ("sibling", "nested")


@tagged("post_install", "-at_install")
class TestPeriodListLayouts(NetvisorCommon):
    def use_layout(self, layout):
        answer = self.sandbox.admin("PATCH", "settings", {"period_list_layout": layout})
        self.assertEqual(answer.status_code, 200, answer.text)
        self.addCleanup(self.sandbox.admin, "PATCH", "settings", {"period_list_layout": "sibling"})

    def test_lock_date_blocks_the_close_in_both_layouts(self):
        self.sale("2025-01-03")
        for layout in LAYOUTS:
            with self.subTest(layout=layout):
                self.use_layout(layout)
                locks = f"companies/{self.org}/locks"
                self.sandbox.admin("PUT", locks, {"accounting_lock_date": "2025-01-31"})
                message = self.company.action_netvisor_test_connection()["params"]["message"]
                self.assertIn("2025-01-31", message)
                problems = self.close_wizard("sale", "2025-01-01", "2025-01-31")._check_problems()
                self.assertTrue(any("is locked up to" in p for p in problems), problems)
                self.sandbox.admin("PUT", locks, {"accounting_lock_date": None})
                problems = self.close_wizard("sale", "2025-01-01", "2025-01-31")._check_problems()
                self.assertEqual(problems, [])

    def test_period_outside_netvisor_periods_is_refused_in_both_layouts(self):
        """The sandbox's financial periods cover 2025-2026: 2027 has none."""
        self.company.netvisor_start_date = "2027-01-01"
        self.sale("2027-01-05")
        for layout in LAYOUTS:
            with self.subTest(layout=layout):
                self.use_layout(layout)
                problems = self.close_wizard("sale", "2027-01-01", "2027-01-31")._check_problems()
                self.assertTrue(any("no accounting period" in p for p in problems), problems)

    def test_close_and_send_in_both_layouts(self):
        months = (("2025-01-01", "2025-01-31"), ("2025-02-01", "2025-02-28"))
        for (first, last), layout in zip(months, LAYOUTS, strict=True):
            with self.subTest(layout=layout):
                self.use_layout(layout)
                self.sale(first[:8] + "03")
                period = self.close("sale", first, last)
                self.send()
                self.assertEqual(period.state, "sent")
