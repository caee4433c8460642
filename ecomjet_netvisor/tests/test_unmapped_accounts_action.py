"""The "Accounts used but not mapped" action lists exactly what still blocks a close."""

from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


@tagged("post_install", "-at_install")
class TestUnmappedAccountsAction(AccountTestInvoicingCommon):
    def _listed_accounts(self):
        action = self.env.ref("ecomjet_netvisor.action_netvisor_unmapped_account").run()
        self.assertEqual(action["res_model"], "account.account")
        return self.env["account.account"].search(action["domain"])

    def test_lists_accounts_of_posted_invoices_until_they_are_mapped(self):
        invoice = self.init_invoice("out_invoice", amounts=[100.0], post=True)
        revenue = invoice.invoice_line_ids.account_id
        receivable = invoice.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        ).account_id
        self.assertLessEqual(revenue | receivable, self._listed_accounts())

        self.env["netvisor.account.map"].create(
            {"account_id": revenue.id, "netvisor_account_number": revenue.code}
        )
        listed = self._listed_accounts()
        self.assertNotIn(revenue, listed)
        self.assertIn(receivable, listed)

    def test_draft_invoices_do_not_count(self):
        invoice = self.init_invoice("out_invoice", amounts=[100.0], post=False)
        self.assertNotIn(invoice.invoice_line_ids.account_id, self._listed_accounts())
