"""Integrity around the close: what the close locks is sent or named, and a reopened
period leaves nothing stale behind."""

from unittest.mock import patch

from odoo import Command, fields, sql_db
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.ecomjet_netvisor.models.res_company import SEND_LOCK_NAMESPACE

from .common import NetvisorCommon, seed

SALE_CODES = {"3000": ("KOMY", "25.5")}


@tagged("post_install", "-at_install")
class TestCloseIntegrity(NetvisorCommon):
    def test_receipts_are_sent_like_invoices(self):
        """Sales and purchase receipts are sales and purchases: the lock covers them, so the
        close sends them (before: locked, in no period, never sent)."""
        receipt = self.make_move("out_receipt", "2025-02-03", [(50.0, self.tax_sale)])
        vendor_receipt = self.make_move("in_receipt", "2025-02-04", [(20.0, self.tax_purchase)])
        sales = self.close("sale", "2025-02-01", "2025-02-28")
        purchases = self.close("purchase", "2025-02-01", "2025-02-28")
        self.assertEqual(sales.voucher_ids.move_id, receipt)
        self.assertEqual(purchases.voucher_ids.move_id, vendor_receipt)
        self.send()
        self.assertEqual((receipt | vendor_receipt).mapped("netvisor_state"), ["sent", "sent"])
        ledger = self.ledger()
        self.assertEqual(len(ledger), 2)
        by_class = {voucher["voucher_class"]: voucher for voucher in ledger}
        self.assertEqual(self.ledger_lines(by_class["Myyntilasku"])[0][0], "1701")

    def group_tax(self):
        """A group tax whose only child is the 25.5 % sales tax; no code of its own."""
        return self.env["account.tax"].create(
            {
                "name": "Ryhmävero",
                "amount_type": "group",
                "type_tax_use": "sale",
                "children_tax_ids": [Command.set(self.tax_sale.ids)],
            }
        )

    def manual_sales_entry(self, day, credit_account):
        """A posted 5 € journal entry in the sales journal (no invoice): revenue against
        ``credit_account`` (an xmlid of the Finnish chart)."""
        journal = self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", self.env.company.id)], limit=1
        )
        entry = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": journal.id,
                "date": day,
                "line_ids": [
                    Command.create(
                        {"name": "korjaus", "account_id": self.account_revenue.id, "debit": 5}
                    ),
                    Command.create(
                        {
                            "name": "korjaus",
                            "account_id": self.fi_account(credit_account).id,
                            "credit": 5,
                        }
                    ),
                ],
            }
        )
        entry.action_post()
        return entry

    def make_branch(self):
        parent = self.env.company
        parent.write({"child_ids": [Command.create({"name": "Haara Oy"})]})
        self.env.cr.precommit.run()  # the branch's accounting (shared chart) is set up here
        branch = parent.child_ids
        self.env.user.company_ids |= branch
        return branch

    def branch_invoice(self, branch, date, amount=10.0):
        parent = self.env.company
        invoice = (
            self.env["account.move"]
            .with_context(allowed_company_ids=[parent.id, branch.id])
            .create(
                {
                    "move_type": "out_invoice",
                    "company_id": branch.id,
                    "partner_id": self.customer.id,
                    "invoice_date": date,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "x",
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [Command.set(self.tax_sale.ids)],
                            }
                        )
                    ],
                }
            )
        )
        invoice.action_post()
        self.assertEqual(invoice.company_id, branch)
        return invoice.with_env(self.env)

    def test_a_branchs_documents_go_with_its_companys_period(self):
        """Odoo's lock date reaches the branches, and a branch books in its company's
        Netvisor organisation: its documents are sent with the company's period, even when
        the closer's company switcher shows only the company (before: locked, never sent)."""
        branch = self.make_branch()
        invoice = self.branch_invoice(branch, "2025-03-05")
        own = self.sale("2025-03-06")
        period = self.close("sale", "2025-03-01", "2025-03-31")
        self.assertEqual(period.voucher_ids.move_id, invoice | own)
        self.send()
        self.assertEqual(period.state, "sent")
        by_description = {voucher["description"]: voucher for voucher in self.ledger()}
        (voucher,) = (v for d, v in by_description.items() if invoice.name in d)
        self.assertEqual(self.ledger_lines(voucher), self.expected_lines(invoice, SALE_CODES))
        self.assertEqual(voucher["voucher_class"], "Myyntilasku")

    def test_a_branch_does_not_close_on_its_own(self):
        branch = self.make_branch()
        self.branch_invoice(branch, "2025-03-05")
        wizard = (
            self.env["netvisor.period.close"]
            .with_company(branch)
            .create({"kind": "sale", "date_from": "2025-03-01", "date_to": "2025-03-31"})
        )
        self.assertIn("branch of", wizard.problems)

    def test_a_manual_entry_in_the_sales_journal_is_named_locked_not_sent(self):
        entry = self.manual_sales_entry("2025-05-10", "account_1701")
        invoice = self.sale("2025-05-11")
        wizard = self.close_wizard("sale", "2025-05-01", "2025-05-31")
        self.assertFalse(wizard.problems)
        self.assertIn("Locked, not sent", wizard.warning_message)
        self.assertIn(entry.name, wizard.warning_message)
        period = self.close("sale", "2025-05-01", "2025-05-31")
        self.assertEqual(period.voucher_ids.move_id, invoice)

    def test_a_zero_euro_document_closes_as_nothing_to_send(self):
        """Netvisor takes no voucher without lines: a 0 € invoice is named, closed with the
        period as Nothing to send, and the period still becomes Sent (before: it blocked
        the close as an invalid voucher)."""
        free = self.sale("2025-07-03", amount=0.0)
        paid = self.sale("2025-07-04", amount=80.0)
        wizard = self.close_wizard("sale", "2025-07-01", "2025-07-31")
        self.assertFalse(wizard.problems)
        self.assertIn(free.name, wizard.warning_message)
        period = self.close("sale", "2025-07-01", "2025-07-31")
        self.assertEqual(free.netvisor_state, "skipped")
        self.send()
        self.assertEqual(paid.netvisor_state, "sent")
        self.assertEqual(period.state, "sent")
        self.assertEqual(len(self.ledger()), 1)

    def test_a_group_tax_books_with_its_childrens_codes(self):
        group = self.group_tax()
        self.assertFalse(group.netvisor_vat_code)
        invoice = self.make_move("out_invoice", "2025-08-05", [(200.0, group)])
        wizard = self.close_wizard("sale", "2025-08-01", "2025-08-31")
        self.assertFalse(wizard.problems)
        self.close("sale", "2025-08-01", "2025-08-31")
        self.send()
        (voucher,) = self.ledger()
        self.assertEqual(
            self.ledger_lines(voucher),
            self.expected_lines(invoice, {"3000": ("KOMY", "25.5")}),
        )

    def test_a_fixed_amount_tax_is_refused_with_its_name(self):
        fixed = self.env["account.tax"].create(
            {
                "name": "Kiinteä maksu",
                "amount_type": "fixed",
                "amount": 2.0,
                "type_tax_use": "sale",
                "netvisor_vat_code": "KOMY",
            }
        )
        self.make_move("out_invoice", "2025-09-05", [(50.0, fixed)])
        wizard = self.close_wizard("sale", "2025-09-01", "2025-09-30")
        self.assertIn("Kiinteä maksu", wizard.problems)
        self.assertIn("fixed amount", wizard.problems)
        with self.assertRaises(UserError):
            wizard.action_confirm()

    def test_a_sent_invoice_changed_after_a_lowered_lock_date_is_corrected(self):
        """Changed after sending: the old voucher is invalidated in Netvisor and the new
        content sent, so the ledger holds exactly one valid voucher, with the new content;
        the invoice's and the period's chatter say what happened (before: Netvisor kept
        the old content and nobody knew)."""
        invoice = self.sale("2025-10-03", 100.0)
        period = self.close("sale", "2025-10-01", "2025-10-31")
        self.send()
        voucher = period.voucher_ids
        old_key = voucher.netvisor_key
        self.company.sale_lock_date = False  # a manager lowers the lock date ...
        invoice.button_draft()  # ... and the invoice is corrected
        self.assertEqual(voucher.state, "to_correct")
        invoice.invoice_line_ids.price_unit = 150.0
        self.send()  # still a draft: nothing happens in Netvisor
        self.assertEqual(len([v for v in self.ledger() if v["status"] == "valid"]), 1)
        invoice.action_post()
        self.send()
        self.assertEqual(voucher.state, "sent")
        self.assertNotEqual(voucher.netvisor_key, old_key)
        self.assertEqual(voucher.replaced_keys, old_key)
        ledger = self.ledger()
        valid = [v for v in ledger if v["status"] == "valid"]
        self.assertEqual(len(valid), 1)
        self.assertEqual(self.ledger_lines(valid[0]), self.expected_lines(invoice, SALE_CODES))
        (old,) = (v for v in ledger if str(v["netvisor_key"]) == old_key)
        self.assertEqual(old["status"], "invalidated")
        for record in (invoice, period):
            bodies = " ".join(record.message_ids.mapped("body"))
            self.assertIn(f"Voucher {old_key} of {invoice.name} was invalidated", bodies)
        self.assertEqual(period.state, "sent")

    def test_a_posted_journal_items_new_account_is_corrected_in_netvisor(self):
        """Odoo lets a posted item's account change when the lock date allows it: the
        voucher is corrected in Netvisor (before: Netvisor kept the old account)."""
        invoice = self.sale("2025-10-03", 100.0)
        period = self.close("sale", "2025-10-01", "2025-10-31")
        self.send()
        self.company.sale_lock_date = False
        other = self.fi_account("account_3500")
        invoice.invoice_line_ids.account_id = other
        self.assertEqual(period.voucher_ids.state, "to_correct")
        self.send()
        valid = [v for v in self.ledger() if v["status"] == "valid"]
        self.assertEqual(len(valid), 1)
        self.assertIn(other.code, {line["account_number"] for line in valid[0]["lines"]}, valid[0])
        self.assertEqual(len(self.ledger()), 2)

    def test_a_change_made_after_the_sender_built_the_batch_is_not_sent_stale(self):
        """A user changes a posted item while the sender is between building its batch
        and sending: the stale content is not sent, the new content is (before: the
        batch's content was sent)."""
        invoice = self.sale("2025-10-03", 100.0)
        self.close("sale", "2025-10-01", "2025-10-31")
        self.company.sale_lock_date = False
        other = self.fi_account("account_3500")
        Move = type(self.env["account.move"])
        build = Move._netvisor_voucher_data
        calls = []

        def build_then_change(moves, references=None):
            result = build(moves, references)
            if not calls:
                calls.append(True)
                invoice.invoice_line_ids.account_id = other  # the user's change, meanwhile
            return result

        with patch.object(Move, "_netvisor_voucher_data", build_then_change):
            self.send()
        self.send()
        (voucher,) = self.ledger()
        self.assertIn(other.code, {line["account_number"] for line in voucher["lines"]})
        self.assertEqual(invoice.netvisor_state, "sent")

    def test_a_correction_netvisor_would_refuse_keeps_the_old_voucher_valid(self):
        invoice = self.sale("2025-10-03", 100.0)
        period = self.close("sale", "2025-10-01", "2025-10-31")
        self.send()
        self.company.sale_lock_date = False
        unmapped = self.account_revenue.copy({"code": "3019"})
        invoice.invoice_line_ids.account_id = unmapped
        self.send()
        voucher = period.voucher_ids
        self.assertEqual(voucher.state, "to_correct")
        self.assertIn("3019", voucher.error_message)
        self.assertEqual([v["status"] for v in self.ledger()], ["valid"])

    def test_a_zero_euro_document_reset_to_draft_is_named_again(self):
        free = self.sale("2025-07-03", amount=0.0)
        period = self.close("sale", "2025-07-01", "2025-07-31")
        self.assertEqual(free.netvisor_state, "skipped")
        self.company.sale_lock_date = False
        free.button_draft()
        self.assertEqual(period.voucher_ids.state, "cancelled")
        free.invoice_line_ids.price_unit = 40.0
        free.action_post()
        wizard = self.close_wizard("sale", "2025-08-01", "2025-08-31")
        self.assertIn(free.name, wizard.problems)

    def test_a_fixed_fee_coded_none_does_not_hide_the_vat_code(self):
        fee = self.env["account.tax"].create(
            {
                "name": "Kierrätysmaksu",
                "amount_type": "fixed",
                "amount": 1.0,
                "type_tax_use": "sale",
                "sequence": 1,
                "netvisor_vat_code": "NONE",
            }
        )
        self.tax_sale.sequence = 10
        invoice = self.make_move("out_invoice", "2025-09-05", [(50.0, fee | self.tax_sale)])
        self.assertFalse(self.close_wizard("sale", "2025-09-01", "2025-09-30").problems)
        self.close("sale", "2025-09-01", "2025-09-30")
        self.send()
        (voucher,) = self.ledger()
        revenue = {
            (line["vat_code"], line["vat_percent"])
            for line in voucher["lines"]
            if line["account_number"] == "3000"
        }
        # the sale at 25.5 % KOMY (before: NONE 0 %); the fee itself, on the same account,
        # as NONE
        self.assertIn(("KOMY", "25.5"), revenue)
        self.assertEqual(invoice.netvisor_state, "sent")

    def test_a_refused_invalidation_is_tried_again_at_its_time(self):
        """Netvisor refuses to invalidate (its period is locked): the old voucher stays,
        the reason is shown, and the company's sender is woken when the retry is due
        (before: only by the hourly run)."""
        invoice = self.sale("2025-10-03")
        period = self.close("sale", "2025-10-01", "2025-10-31")
        self.send()
        self.company.sale_lock_date = False
        invoice.button_draft()
        invoice.action_post()
        self.sandbox.admin(
            "PUT", f"companies/{self.org}/locks", {"accounting_lock_date": "2025-10-31"}
        )
        self.env["ir.config_parameter"].sudo().set_param("ecomjet_netvisor.retry_delay", "3600")
        self.send()
        voucher = period.voucher_ids
        self.assertGreater(voucher.lookup_after, fields.Datetime.now())
        self.assertEqual((voucher.state, voucher.error_category), ("to_correct", "PERIOD_LOCK"))
        self.assertEqual([v["status"] for v in self.ledger()], ["valid"])
        cron = self.company._netvisor_sender_cron()
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        self.assertIn(voucher.lookup_after, triggers.mapped("call_at"))

    def test_a_corrected_invoice_that_is_cancelled_is_invalidated(self):
        invoice = self.sale("2025-10-03")
        period = self.close("sale", "2025-10-01", "2025-10-31")
        self.send()
        self.company.sale_lock_date = False
        invoice.button_cancel()
        self.send()
        self.assertEqual(period.voucher_ids.state, "cancelled")
        self.assertEqual([v["status"] for v in self.ledger()], ["invalidated"])

    def test_a_document_netvisor_may_hold_cannot_change_until_known(self):
        invoice = self.sale("2025-10-03")
        period = self.close("sale", "2025-10-01", "2025-10-31")
        self.fault("drop_after_commit")
        self.send()
        self.assertEqual(period.voucher_ids.state, "uncertain")
        self.company.sale_lock_date = False
        with self.assertRaises(UserError) as caught:
            invoice.button_draft()
        self.assertIn("may be in Netvisor", str(caught.exception))
        self.assertEqual(invoice.state, "posted")

    def test_everything_the_close_locks_is_in_the_period_or_named(self):
        """The set of documents the lock date covers equals the period's documents plus
        those the wizard names as locked, not sent: invoices, a credit note, a receipt, a
        0 € invoice, a group tax line, a branch's invoice and a manual entry."""
        group = self.group_tax()
        branch = self.make_branch()
        day = "2025-11-%02d"
        documents = (
            self.sale(day % 3, 120.0)
            | self.sale(day % 4, 0.0)
            | self.make_move("out_refund", day % 5, [(30.0, self.tax_sale)])
            | self.make_move("out_receipt", day % 6, [(15.0, self.tax_sale)])
            | self.make_move("out_invoice", day % 7, [(70.0, group), (10.0, self.tax_sale)])
            | self.branch_invoice(branch, day % 8)
        )
        entry = self.manual_sales_entry(day % 9, "account_1763")
        wizard = self.close_wizard("sale", "2025-11-01", "2025-11-30")
        self.assertFalse(wizard.problems)
        listed = entry if entry.name in wizard.warning_message else entry.browse()
        period = self.close("sale", "2025-11-01", "2025-11-30")
        self.send()
        covered = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("company_id", "child_of", self.env.company.id),
                    ("journal_id.type", "=", "sale"),
                    ("state", "=", "posted"),
                    ("date", ">=", "2025-11-01"),
                    ("date", "<=", self.env.company.sale_lock_date),
                ]
            )
        )
        in_period = period.voucher_ids.move_id
        self.assertEqual(in_period, documents)
        self.assertEqual(covered, in_period | listed)
        self.assertFalse(in_period & listed)
        self.assertEqual(period.state, "sent")
        self.assertEqual(len(self.ledger()), 5)  # the 0 € invoice has nothing to send

    def test_reopen_leaves_no_stale_state_and_returns_to_the_list(self):
        invoice = self.sale("2025-06-03")
        period = self.close("sale", "2025-06-01", "2025-06-30")
        self.assertEqual(invoice.netvisor_state, "pending")
        action = period.action_reopen()
        self.assertFalse(period.exists())
        self.assertEqual(action.get("res_model"), "netvisor.period")
        self.assertIn("list", action.get("view_mode", ""))
        self.env.invalidate_all()
        self.assertEqual(invoice.netvisor_state, "not_sent")
        self.assertFalse(invoice.netvisor_voucher_id)


@tagged("post_install", "-at_install")
class TestOneRequestAtATime(NetvisorCommon):
    def requests(self):
        answer = self.sandbox.admin("GET", "stats")
        return answer.json()["requests"].get(self.org, 0)

    def test_user_calls_are_refused_while_the_sender_holds_the_company(self):
        """Test connection, the fetches and the close's checks take the sender's lock: while
        another worker sends for the company, they ask Netvisor nothing (before: they
        called Netvisor beside the sender)."""
        self.sale("2025-01-03")
        other_worker = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            other_worker.execute(
                "SELECT pg_advisory_lock(%s, %s)", (SEND_LOCK_NAMESPACE, self.company.id)
            )
            self.sandbox.admin("DELETE", "stats")
            calls = {
                "test connection": self.company.action_netvisor_test_connection,
                "fetch chart": self.env["netvisor.account.map"].action_fetch_netvisor_chart,
                "fetch voucher types": lambda: self.env["netvisor.voucher.type"]._netvisor_fetch(
                    self.company
                ),
                "close": self.close_wizard("sale", "2025-01-01", "2025-01-31").action_confirm,
            }
            for name, call in calls.items():
                with self.subTest(call=name), self.assertRaises(UserError) as caught:
                    call()
                self.assertIn("one request at a time", str(caught.exception))
            self.assertEqual(self.requests(), 0)
            self.assertFalse(self.env["netvisor.period"].search([]))
        finally:
            other_worker.execute(
                "SELECT pg_advisory_unlock(%s, %s)", (SEND_LOCK_NAMESPACE, self.company.id)
            )
            other_worker.close()
        self.assertEqual(
            self.company.action_netvisor_test_connection()["params"]["type"], "success"
        )

    def test_another_companys_connection_cannot_be_borrowed(self):
        """An accountant of company A passing company B's id over RPC gets no call made with
        B's keys."""
        other = self.env["res.company"].create({"name": "Toinen Oy"})
        self.connect_company(other, seed.COMPANY_B)
        accountant = self.env["res.users"].create(
            {
                "name": "Kirjanpitäjä",
                "login": "kirjanpitaja_a",
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
                "group_ids": [Command.set([self.env.ref("account.group_account_manager").id])],
            }
        )
        self.sandbox.admin("DELETE", "stats")
        with self.assertRaises(AccessError):
            other.with_user(accountant).action_netvisor_test_connection()
        wizard = self.close_wizard("sale", "2025-01-01", "2025-01-31", user=accountant)
        with self.assertRaises(AccessError):
            wizard.with_user(accountant).write({"company_id": other.id})
            wizard.with_user(accountant).action_confirm()
        answer = self.sandbox.admin("GET", "stats").json()["requests"]
        self.assertFalse(answer.get(seed.COMPANY_B.organisation_id))


@tagged("post_install", "-at_install")
class TestSettingsAreValidatedWhenSaved(NetvisorCommon):
    def test_unsendable_settings_are_refused_without_echoing_them(self):
        cases = {
            "netvisor_custom_url": "https://nétvisor.example.fi",
            "netvisor_customer_key": "avain\u20ac",
            "netvisor_customer_id": "tun\tnus",
            "netvisor_partner_id": "kumppani\u00e4",
        }
        for field_name, value in cases.items():
            with self.subTest(field=field_name), self.assertRaises(ValidationError) as caught:
                with self.env.cr.savepoint():
                    self.company.write({field_name: value})
            text = str(caught.exception)
            self.assertNotIn(value.strip(), text)
            for secret in (seed.COMPANY_A.customer_key, seed.PARTNER_KEY):
                self.assertNotIn(secret, text)
        with self.assertRaises(ValidationError):
            self.company.write({"netvisor_custom_url": "https://example.fi:99999"})
        self.company.write({"netvisor_custom_url": "https://netvisor.example.fi:8443"})
