"""The close wizard as the user fills it in: each kind has its own next period."""

from datetime import date

from odoo.tests import Form, tagged

from .common import NetvisorCommon


@tagged("post_install", "-at_install")
class TestPeriodCloseForm(NetvisorCommon):
    def test_changing_the_kind_proposes_that_kinds_dates(self):
        """Sales are closed up to January, purchases not yet: switching kind re-proposes."""
        self.sale("2025-01-10")
        self.close("sale", "2025-01-01", "2025-01-31")
        self.bill("2025-03-05")
        february = (date(2025, 2, 1), date(2025, 2, 28))
        march = (date(2025, 3, 1), date(2025, 3, 31))

        form = Form(self.env["netvisor.period.close"].with_context(default_move_type="out_invoice"))
        self.assertEqual((form.kind, form.date_from, form.date_to), ("sale", *february))
        form.date_to = date(2025, 2, 14)
        form.kind = "purchase"
        self.assertEqual((form.date_from, form.date_to), march)
        self.assertEqual(form.move_count, 1)
        form.kind = "sale"
        self.assertEqual((form.date_from, form.date_to), february)
