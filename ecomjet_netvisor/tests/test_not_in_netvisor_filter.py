"""The "Not in Netvisor" filter of the invoice search finds what Netvisor has not got yet."""

from lxml import etree

from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import NetvisorCommon


@tagged("post_install", "-at_install")
class TestNotInNetvisorFilter(NetvisorCommon):
    def filter_domain(self, name):
        """The filter's domain as the invoice search view (with its extensions) defines it."""
        view = self.env.ref("account.view_account_invoice_filter")
        views = self.env["account.move"].get_views([(view.id, "search")])
        arch = etree.fromstring(views["views"]["search"]["arch"])
        (node,) = arch.xpath(f"//filter[@name='{name}']")
        return safe_eval(node.get("domain"))

    def test_lists_posted_documents_until_they_are_sent(self):
        """Sent invoices leave the list; unsent, unclosed and queued ones stay; drafts
        are not documents yet."""
        sent = self.sale("2025-01-05") | self.sale("2025-01-20", 250.0)
        unsent = self.sale("2025-02-03")
        draft = self.sale("2025-02-04", post=False)
        queued = self.bill("2025-01-08")
        domain = self.filter_domain("netvisor_not_sent")
        self.assertLessEqual(sent | unsent | queued, self.env["account.move"].search(domain))
        self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        self.assertEqual(set(sent.mapped("netvisor_state")), {"sent"})
        # a bill whose period is closed but whose voucher has not gone out yet
        self.close("purchase", "2025-01-01", "2025-01-31")
        self.assertEqual(queued.netvisor_state, "pending")

        found = self.env["account.move"].search(domain)
        mine = sent | unsent | draft | queued
        self.assertEqual(found & mine, unsent | queued)
        self.assertFalse(found.filtered(lambda move: move.netvisor_state == "sent"))
        self.assertEqual(set(found.mapped("state")), {"posted"})
