"""Vouchers carry the Netvisor number the account is mapped to, never the Odoo code."""

from decimal import Decimal

from odoo.tests import tagged

from .common import NetvisorCommon

SALE_CODES = {"3000": ("KOMY", "25.5"), "3009": ("KOMY", "25.5")}


@tagged("post_install", "-at_install")
class TestMappedAccountNumber(NetvisorCommon):
    def test_account_mapped_to_another_number_is_booked_on_that_number(self):
        """Odoo's 3009 mapped to Netvisor's 3000: its revenue lands on 3000, together with
        the line booked on 3000 itself, and 3009 never reaches Netvisor."""
        chart = self.company._netvisor_client(require_enabled=False).get_account_list()
        self.assertNotIn("3009", {account.number for account in chart.accounts})
        web_sales = self.account_revenue.copy({"code": "3009", "name": "Web shop sales"})
        self.env["netvisor.account.map"].action_fetch_netvisor_chart()
        mapping = self.env["netvisor.account.map"].search([("account_id", "=", web_sales.id)])
        self.assertFalse(mapping, "3009 is not in Netvisor's chart: nothing maps it by itself")
        self.env["netvisor.account.map"].create(
            {
                "account_id": web_sales.id,
                "netvisor_account_number": "3000",
                "netvisor_account_found": True,
            }
        )
        invoice = self.make_move(
            "out_invoice",
            "2025-01-10",
            [(100.0, self.tax_sale, web_sales), (40.0, self.tax_sale, self.account_revenue)],
        )

        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        self.assertEqual(period.voucher_ids.state, "sent")

        (stored,) = self.ledger()
        self.assertEqual(stored["netvisor_key"], int(period.voucher_ids.netvisor_key))
        numbers = [line["account_number"] for line in stored["lines"]]
        self.assertNotIn("3009", numbers)
        self.assertEqual(numbers.count("3000"), 1, "both revenue lines become one 3000 line")
        # the journal items, with 3009 read as 3000 and amounts summed per Netvisor line
        expected = {}
        for account, code, percent, amount in self.expected_lines(invoice, SALE_CODES):
            key = ("3000" if account == "3009" else account, code, percent)
            expected[key] = expected.get(key, 0) + amount
        self.assertEqual(
            self.ledger_lines(stored), sorted((*key, amount) for key, amount in expected.items())
        )
        revenue = next(line for line in stored["lines"] if line["account_number"] == "3000")
        self.assertEqual(revenue["vat_code"], "KOMY")
        self.assertEqual(Decimal(revenue["amount"]), Decimal("-140.00"))
