"""The mapping loop closes: every account a posted document uses has a row in the mapping
list, "What blocks a close" shows exactly those that would block one, and each is mapped
right there."""

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import NetvisorCommon


@tagged("post_install", "-at_install")
class TestUnmappedAccountsAction(NetvisorCommon):
    def blocking(self):
        action = self.env.ref("ecomjet_netvisor.action_netvisor_unmapped_account").run()
        self.assertEqual(action["res_model"], "netvisor.account.map")
        self.assertEqual(action["context"], {"search_default_blocks_close": 1})
        domain = [("mapping_state", "!=", "mapped")]  # the filter blocks_close
        return self.env["netvisor.account.map"].search(domain)

    def test_a_new_account_used_by_an_invoice_gets_a_row_and_is_mapped_there(self):
        account = self.account_revenue.copy({"code": "3019", "name": "Uusi myynti"})
        Map = self.env["netvisor.account.map"]
        self.assertFalse(Map.search([("account_id", "=", account.id)]))
        invoice = self.make_move("out_invoice", "2025-01-10", [(100.0, self.tax_sale, account)])
        row = Map.search([("account_id", "=", account.id)])
        self.assertEqual(row.mapping_state, "not_mapped", "posting added the row")
        self.assertEqual(self.blocking(), row)
        # the close names it, and offers the way there
        wizard = self.close_wizard("sale", "2025-01-01", "2025-01-31")
        self.assertIn("3019", wizard.problems)
        self.assertTrue(wizard.mapping_blocks)
        self.assertEqual(wizard.action_open_account_mapping()["res_model"], "netvisor.account.map")
        # mapped in the list: typed to a number Netvisor has, nothing blocks any more
        row.netvisor_account_number = "3000"
        self.assertEqual(row.mapping_state, "mapped")
        self.assertFalse(self.blocking())
        self.assertFalse(self.close_wizard("sale", "2025-01-01", "2025-01-31").problems)
        self.assertEqual(invoice.state, "posted")

    def test_a_number_netvisor_lacks_is_flagged_in_the_same_list(self):
        self.sale("2025-01-10")
        row = self.env["netvisor.account.map"].search(
            [("account_id", "=", self.account_revenue.id)]
        )
        row.netvisor_account_number = "3999"  # inactive in the sandbox's chart
        self.env["netvisor.account.map"].action_fetch_netvisor_chart()
        self.assertEqual(row.mapping_state, "not_in_netvisor")
        self.assertIn(row, self.blocking())

    def test_fetch_maps_the_rows_added_for_used_accounts(self):
        Map = self.env["netvisor.account.map"]
        mapped = Map.search([("account_id", "=", self.account_revenue.id)])
        mapped.unlink()
        self.sale("2025-01-10")
        row = Map.search([("account_id", "=", self.account_revenue.id)])
        self.assertEqual(row.mapping_state, "not_mapped")
        Map.action_fetch_netvisor_chart()
        self.assertEqual((row.mapping_state, row.netvisor_account_number), ("mapped", "3000"))

    def test_draft_invoices_add_no_rows(self):
        account = self.account_revenue.copy({"code": "3018", "name": "Luonnos"})
        self.make_move("out_invoice", "2025-01-10", [(100.0, self.tax_sale, account)], post=False)
        self.assertFalse(self.env["netvisor.account.map"].search([("account_id", "=", account.id)]))

    def test_vat_code_must_be_of_the_accounts_side(self):
        row = self.env["netvisor.account.map"].search(
            [("account_id", "=", self.account_revenue.id)]
        )
        with self.assertRaises(ValidationError) as caught:
            row.vat_code = "KOOS"
        self.assertIn("KOOS", str(caught.exception))
        row.vat_code = "KOMY"
        expense = self.env["netvisor.account.map"].search(
            [("account_id", "=", self.account_expense.id)]
        )
        with self.assertRaises(ValidationError):
            expense.vat_code = "EUMY"
        expense.vat_code = "NONE"

    def test_tax_list_shows_the_netvisor_vat_code(self):
        view = self.env.ref("account.view_tax_tree")  # the list of Configuration > Taxes
        arch = self.env["account.tax"].get_views([(view.id, "list")])["views"]["list"]["arch"]
        self.assertIn('name="netvisor_vat_code"', arch)
