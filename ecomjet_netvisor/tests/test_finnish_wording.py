"""Finnish that reads as Finnish: names, dates and counts in the reader's language."""

from odoo.tests import tagged

from .common import NetvisorCommon


@tagged("post_install", "-at_install")
class TestFinnishWording(NetvisorCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fi_FI")
        cls.env["ir.module.module"]._load_module_terms(
            ["ecomjet_netvisor"], ["fi_FI"], overwrite=True
        )

    def test_period_name_is_computed_and_searched_per_language(self):
        self.sale("2025-01-10")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        Period = self.env["netvisor.period"]
        self.assertEqual(period.with_context(lang="en_US").name, "Sales 01/2025")
        self.assertEqual(period.with_context(lang="fi_FI").name, "Myynti 01/2025")
        self.assertEqual(period.with_context(lang="fi_FI").display_name, "Myynti 01/2025")
        self.assertIn(
            period, Period.with_context(lang="fi_FI").search([("name", "ilike", "myynti")])
        )
        self.assertNotIn(
            period, Period.with_context(lang="fi_FI").search([("name", "ilike", "Sales")])
        )
        self.assertIn(
            period, Period.with_context(lang="en_US").search([("name", "ilike", "sales 01")])
        )

    def test_lock_notice_names_the_lock_date_and_writes_the_date_as_finns_do(self):
        self.sale("2025-01-10")
        wizard = self.close_wizard("sale", "2025-01-01", "2025-01-31").with_context(lang="fi_FI")
        wizard.invalidate_recordset(["lock_notice"])
        self.assertIn("myynnin lukituspäiväksi 31.1.2025", wizard.lock_notice)
        purchases = self.close_wizard("purchase", "2025-01-01", "2025-01-31")
        english = purchases.lock_notice
        self.assertIn("purchases lock date to Jan 31, 2025", english)
        self.assertNotIn("Lock Date", english)

    def test_sender_report_in_finnish_reads_for_any_count(self):
        self.env.user.lang = "fi_FI"
        self.env = self.env(context=dict(self.env.context, lang="fi_FI"))  # as the web client
        self.sale("2025-01-10")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        bodies = " ".join(period.message_ids.mapped("body"))
        self.assertIn("Netvisor: tositteita lähetetty 1/1.", bodies)
        self.assertIn("Netvisoriin jonossa olevia tositteita: 1.", bodies)
        self.assertNotIn("1 tositetta", bodies)

    def test_vat_percent_is_written_with_a_decimal_comma_in_finnish(self):
        self.sale("2025-01-10")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        voucher = period.voucher_ids.with_context(lang="fi_FI")
        self.assertIn(">25,5<", voucher.request_lines_html)
        self.assertIn(">25.5<", period.voucher_ids.with_context(lang="en_US").request_lines_html)
