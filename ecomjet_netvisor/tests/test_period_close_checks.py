"""Closing a period is refused, with every reason at once, before anything is sent."""

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.res_company import SEND_LOCK_NAMESPACE
from .common import MSG_ACCOUNT, MSG_OUTSIDE, MSG_SENDING, NetvisorCommon


@tagged("post_install", "-at_install")
class TestPeriodCloseChecks(NetvisorCommon):
    def assert_close_refused(self, kind, date_from, date_to):
        with self.assertRaises(UserError) as caught:
            self.close(kind, date_from, date_to)
        self.assertFalse(self.env["netvisor.period"].search([]), "nothing may be half-written")
        self.assertFalse(self.ledger(), "nothing may reach Netvisor")
        return str(caught.exception)

    def test_documents_before_the_period_block_the_close(self):
        """A January invoice left behind would never reach Netvisor if February closed."""
        january = self.sale("2025-01-10")
        self.sale("2025-02-05")
        message = self.assert_close_refused("sale", "2025-02-01", "2025-02-28")
        self.assertEqual(message.splitlines()[0], MSG_OUTSIDE)
        self.assertIn(january.name, message)
        self.assertFalse(self.company.sale_lock_date)

    def test_document_posted_into_a_closed_period_blocks_the_next_close(self):
        """An invoice posted into January after January was closed has no voucher: it would
        never reach Netvisor, so closing February names it."""
        self.sale("2025-01-10")
        self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        self.company.sale_lock_date = False  # an administrator lifts the lock ...
        late = self.sale("2025-01-20")  # ... and posts into the closed month
        self.sale("2025-02-05")
        with self.assertRaises(UserError) as caught:
            self.close("sale", "2025-02-01", "2025-02-28")
        message = str(caught.exception)
        self.assertEqual(message.splitlines()[0], MSG_OUTSIDE)
        self.assertIn(late.name, message)
        self.assertIn("already closed period", message)
        self.assertEqual(self.env["netvisor.period"].search_count([]), 1)
        self.assertEqual(len(self.ledger()), 1)

    def test_documents_before_the_integration_start_are_not_outside(self):
        """Documents older than the integration start date are never sent nor reported."""
        self.sale("2024-12-20")
        self.sale("2025-01-10")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.assertEqual(period.voucher_count, 1)

    def test_unmapped_account_blocks_the_close(self):
        """An account without a Netvisor number is named together with its invoices."""
        account = self.account_revenue.copy({"code": "3019", "name": "Unmapped sales"})
        invoice = self.make_move("out_invoice", "2025-01-10", [(100.0, self.tax_sale, account)])
        message = self.assert_close_refused("sale", "2025-01-01", "2025-01-31")
        self.assertEqual(message.splitlines()[0], MSG_ACCOUNT)
        self.assertIn("3019", message)
        self.assertIn(invoice.name, message)

    def test_account_missing_from_netvisor_chart_blocks_the_close(self):
        """Fetch Netvisor chart flags a mapping whose number Netvisor does not know."""
        mapping = self.env["netvisor.account.map"].search(
            [("account_id", "=", self.account_revenue.id)]
        )
        mapping.netvisor_account_number = "3019"
        self.env["netvisor.account.map"].action_fetch_netvisor_chart()
        self.assertFalse(mapping.netvisor_account_found)
        self.sale("2025-01-10")
        message = self.assert_close_refused("sale", "2025-01-01", "2025-01-31")
        self.assertEqual(message.splitlines()[0], MSG_ACCOUNT)
        self.assertIn("3019", message)

    def test_mapping_typed_by_hand_is_checked_against_netvisors_chart(self):
        """A mapping entered by hand counts as found until Netvisor is asked: the close asks
        for the chart and refuses numbers that are missing or inactive there."""
        mapping = self.env["netvisor.account.map"].search(
            [("account_id", "=", self.account_revenue.id)]
        )
        invoice = self.sale("2025-01-10")
        for number in ("3019", "3999"):  # not in the sandbox's chart; inactive there
            with self.subTest(number=number):
                mapping.netvisor_account_number = number
                self.assertTrue(mapping.netvisor_account_found)
                message = self.assert_close_refused("sale", "2025-01-01", "2025-01-31")
                self.assertEqual(message.splitlines()[0], MSG_ACCOUNT)
                self.assertIn(number, message)
                self.assertIn(invoice.name, message)

    def test_fetching_the_chart_flags_only_what_changed(self):
        """Fetch Netvisor chart flags numbers Netvisor lacks and clears the flag once the
        number is corrected; the other mappings keep their names."""
        Map = self.env["netvisor.account.map"]
        revenue, expense = (
            Map.search([("account_id", "=", account.id)])
            for account in (self.account_revenue, self.account_expense)
        )
        names_before = {m.id: m.netvisor_account_name for m in Map.search([])}
        revenue.netvisor_account_number = "3019"
        expense.netvisor_account_number = "3999"  # inactive in Netvisor
        Map.action_fetch_netvisor_chart()
        for mapping in revenue | expense:
            self.assertFalse(mapping.netvisor_account_found)
            self.assertFalse(mapping.netvisor_account_name)
        others = Map.search([("id", "not in", (revenue | expense).ids)])
        self.assertTrue(all(others.mapped("netvisor_account_found")))
        self.assertEqual(
            {m.id: m.netvisor_account_name for m in others},
            {key: name for key, name in names_before.items() if key in others.ids},
        )
        revenue.netvisor_account_number = "3000"
        Map.action_fetch_netvisor_chart()
        self.assertTrue(revenue.netvisor_account_found)
        self.assertEqual(revenue.netvisor_account_name, names_before[revenue.id])

    def test_period_locked_in_netvisor_blocks_the_close(self):
        """Netvisor's own lock date is asked first, so a locked month is never sent."""
        self.sandbox.admin(
            "PUT", f"companies/{self.org}/locks", {"accounting_lock_date": "2025-01-31"}
        )
        self.sale("2025-01-10")
        message = self.assert_close_refused("sale", "2025-01-01", "2025-01-31")
        self.assertEqual(message.splitlines()[0], MSG_SENDING)
        self.assertIn("Jan 31, 2025", message)  # the reader's date format, year included

    def test_all_problems_are_reported_at_once(self):
        """The user fixes everything in one go instead of meeting errors one by one."""
        self.sandbox.admin(
            "PUT", f"companies/{self.org}/locks", {"accounting_lock_date": "2025-02-28"}
        )
        self.sale("2025-01-10")
        account = self.account_revenue.copy({"code": "3019", "name": "Unmapped sales"})
        self.make_move("out_invoice", "2025-02-10", [(100.0, self.tax_sale, account)])
        message = self.assert_close_refused("sale", "2025-02-01", "2025-02-28")
        for text in (MSG_OUTSIDE, MSG_ACCOUNT, MSG_SENDING, "3019", "Feb 28, 2025"):
            self.assertIn(text, message)

    def test_errors_speak_the_users_language(self):
        """Finnish users get Ecom Jet's Finnish texts."""
        self.env["res.lang"]._activate_lang("fi_FI")
        self.env.user.lang = "fi_FI"
        self.sale("2025-01-10")
        account = self.account_revenue.copy({"code": "3019", "name": "Unmapped sales"})
        self.make_move("out_invoice", "2025-02-10", [(100.0, self.tax_sale, account)])
        self.sandbox.admin(
            "PUT", f"companies/{self.org}/locks", {"accounting_lock_date": "2025-02-28"}
        )
        wizard = self.close_wizard("sale", "2025-02-01", "2025-02-28")
        with self.assertRaises(UserError) as caught:
            wizard.with_context(lang="fi_FI").action_confirm()
        message = str(caught.exception)
        self.assertIn(
            "Kirjanpitosyklin päätös sisältää valitun ajanjakson ulkopuolisia tapahtumia!", message
        )
        self.assertIn(
            "Kirjanpito integraatiossa tapahtui virhe. Tiliä ei löydy Netvisorin tilikartasta.",
            message,
        )
        self.assertIn("Laskujen lähetys Netvisoriin epäonnistui.", message)
        self.assertNotIn(MSG_OUTSIDE, message)
        self.assertIn("28.2.2025", message)  # as Finns write dates
        self.assertNotIn("2025-02-28", message)

    def test_dates_must_follow_the_last_closed_period(self):
        """Periods neither overlap nor leave gaps; the wizard proposes the next month."""
        self.sale("2025-01-10")
        self.close("sale", "2025-01-01", "2025-01-31")
        wizard = self.env["netvisor.period.close"].with_context(default_kind="sale").create({})
        self.assertEqual(str(wizard.date_from), "2025-02-01")
        self.assertEqual(str(wizard.date_to), "2025-02-28")
        for date_from, date_to, expected in (
            ("2025-01-15", "2025-02-28", "overlaps"),
            ("2025-03-01", "2025-03-31", "Feb 1, 2025"),
            ("2025-02-28", "2025-02-01", "after its last day"),
        ):
            with self.subTest(date_from=date_from, date_to=date_to):
                with self.assertRaises(UserError) as caught:
                    self.close("sale", date_from, date_to)
                self.assertIn(expected, str(caught.exception))
        self.assertEqual(self.env["netvisor.period"].search_count([]), 1)

    def test_wizard_proposes_month_of_oldest_unsent_document(self):
        self.sale("2025-03-14")
        wizard = (
            self.env["netvisor.period.close"]
            .with_context(default_move_type="out_invoice")
            .create({})
        )
        self.assertEqual(wizard.kind, "sale")
        self.assertEqual((str(wizard.date_from), str(wizard.date_to)), ("2025-03-01", "2025-03-31"))

    def test_missing_credentials_and_foreign_currency_are_explained(self):
        self.company.netvisor_customer_key = False
        self.company.netvisor_organisation_id = False
        self.company.company_registry = False
        self.company.currency_id = self.env.ref("base.USD")
        message = self.assert_close_refused("sale", "2025-01-01", "2025-01-31")
        self.assertIn("API key", message)
        self.assertIn("Business ID", message)
        self.assertIn("USD", message)

    def test_draft_documents_only_warn(self):
        draft = self.sale("2025-01-12", post=False)
        self.sale("2025-01-10")
        wizard = self.close_wizard("sale", "2025-01-01", "2025-01-31")
        self.assertFalse(wizard.problems)
        self.assertIn("Drafts dated in this period (1)", wizard.warning_message)
        # a draft without a number is named by partner, date and amount, not "#id"
        self.assertIn("Asiakas Oy Jan 12, 2025 125.50\xa0€", wizard.warning_message)
        self.assertNotIn(f"#{draft.id}", wizard.warning_message)
        period = self.env["netvisor.period"].browse(wizard.action_confirm()["res_id"])
        self.assertEqual(period.voucher_count, 1)
        self.assertNotIn(draft, period.voucher_ids.move_id)


@tagged("post_install", "-at_install")
class TestPreflight(NetvisorCommon):
    """Everything that can be known before sending is shown when the wizard opens."""

    def test_lock_in_netvisor_is_shown_when_the_wizard_opens(self):
        self.sandbox.admin(
            "PUT", f"companies/{self.org}/locks", {"accounting_lock_date": "2025-01-31"}
        )
        invoice = self.sale("2025-01-10")
        wizard = self.close_wizard("sale", "2025-01-01", "2025-01-31")
        # before Confirm: inline, with Ecom Jet's words, what happened and what to do
        self.assertTrue(wizard.problems)
        self.assertIn(MSG_SENDING, wizard.problems)
        self.assertIn("Nothing was sent", wizard.problems)
        self.assertIn("Jan 31, 2025", wizard.problems)
        self.assertIn("Lower the lock date in Netvisor", wizard.problems)
        # the wizard lists what it would send, and says a period closes all of it
        self.assertEqual(wizard.move_ids, invoice)
        self.assertIn("Documents in the period: 1", wizard.scope_notice)
        self.assertIn("whatever was selected", wizard.scope_notice)
        self.assertFalse(self.env["netvisor.period"].search([]))

    def test_netvisor_busy_with_sending_does_not_block_the_preflight(self):
        self.sale("2025-01-10")
        registry = self.env.registry
        with registry.cursor() as other:
            other.execute(
                "SELECT pg_advisory_lock(%s, %s)", (SEND_LOCK_NAMESPACE, self.env.company.id)
            )
            try:
                wizard = self.close_wizard("sale", "2025-01-01", "2025-01-31")
                self.assertFalse(wizard.problems)
                with self.assertRaises(UserError) as caught:
                    wizard.action_confirm()
                self.assertIn("one request at a time", str(caught.exception))
            finally:
                other.execute(
                    "SELECT pg_advisory_unlock(%s, %s)",
                    (SEND_LOCK_NAMESPACE, self.env.company.id),
                )

    def test_a_voucher_type_netvisor_lacks_is_shown_before_confirm(self):
        self.sale("2025-01-10")
        self.env.company.netvisor_sale_voucher_class = "Myyntilaskut 2"
        wizard = self.close_wizard("sale", "2025-01-01", "2025-01-31")
        self.assertIn("no voucher type Myyntilaskut 2", wizard.problems)
        self.assertIn("Fetch voucher types", wizard.problems)
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.env.company.netvisor_sale_voucher_class = "Myyntilasku"
        self.assertFalse(self.close_wizard("sale", "2025-01-01", "2025-01-31").problems)
