"""Every posted invoice and bill of a closed period reaches Netvisor once, as booked."""

import uuid
from datetime import date
from decimal import Decimal
from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo import sql_db
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.ecomjet_netvisor.models.netvisor_period import SEND_LOCK_NAMESPACE
from odoo.addons.ecomjet_netvisor.netvisor import vouchers as netvisor_vouchers

from .common import NetvisorCommon

SALE_CODES = {"3000": ("KOMY", "25.5")}
PURCHASE_CODES = {"4000": ("KOOS", "25.5")}


@tagged("post_install", "-at_install")
class TestSendExactlyOnce(NetvisorCommon):
    def test_sales_then_purchases_of_the_same_month(self):
        """Each document becomes one balanced voucher whose lines equal its journal items."""
        sales = (
            self.sale("2025-01-03", 100.0)
            | self.sale("2025-01-20", 1234.56)
            | self.make_move("out_refund", "2025-01-25", [(40.0, self.tax_sale)])
        )
        bills = self.bill("2025-01-07", 800.0) | self.make_move(
            "in_refund", "2025-01-28", [(80.0, self.tax_purchase)]
        )
        self.bill("2025-02-02", 10.0)  # next month: stays out

        sale_period = self.close("sale", "2025-01-01", "2025-01-31")
        self.assertEqual(self.company.sale_lock_date, date(2025, 1, 31))
        self.assertFalse(self.company.purchase_lock_date)
        self.assertEqual(sale_period.voucher_ids.move_id, sales)
        self.assertEqual(set(sale_period.voucher_ids.mapped("state")), {"pending"})
        self.assertFalse(self.ledger(), "the close queues; the cron sends")

        self.send()
        self.assertEqual(set(sale_period.voucher_ids.mapped("state")), {"sent"})
        self.assertEqual(sale_period.state, "sent")
        self.assertEqual(set(sales.mapped("netvisor_state")), {"sent"})

        purchase_period = self.close("purchase", "2025-01-01", "2025-01-31")
        self.assertEqual(self.company.purchase_lock_date, date(2025, 1, 31))
        self.assertEqual(purchase_period.voucher_ids.move_id, bills)
        self.send()
        self.assertEqual(purchase_period.state, "sent")

        ledger = {voucher["netvisor_key"]: voucher for voucher in self.ledger()}
        self.assertEqual(len(ledger), 5, "one voucher per document, nothing twice")
        for voucher in sale_period.voucher_ids | purchase_period.voucher_ids:
            move = voucher.move_id
            stored = ledger[int(voucher.netvisor_key)]
            codes = SALE_CODES if move.is_sale_document() else PURCHASE_CODES
            with self.subTest(move=move.name):
                self.assertEqual(self.ledger_lines(stored), self.expected_lines(move, codes))
                self.assertEqual(sum(Decimal(line["amount"]) for line in stored["lines"]), 0)
                self.assertEqual(stored["date"], str(move.date))
                self.assertTrue(stored["description"].startswith(voucher.reference + " "))
                self.assertIn(move.name, stored["description"])
                self.assertLessEqual(len(stored["description"]), 100)
                expected_class = "Myyntilasku" if move.is_sale_document() else "Ostolasku"
                self.assertEqual(stored["voucher_class"], expected_class)

    def test_sending_again_sends_nothing_new(self):
        """A second cron run (or a second worker) finds nothing left to send."""
        self.sale("2025-01-03")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        self.send()
        self.assertEqual(len(self.ledger()), 1)
        self.assertEqual(period.voucher_ids.attempts, 1)
        with self.assertRaises(UserError):
            period.action_resend()

    def test_second_close_of_the_same_range_is_refused(self):
        self.sale("2025-01-03")
        self.close("sale", "2025-01-01", "2025-01-31")
        with self.assertRaises(UserError) as caught:
            self.close("sale", "2025-01-01", "2025-01-31")
        self.assertIn("overlaps", str(caught.exception))
        self.assertEqual(self.env["netvisor.period"].search_count([("kind", "=", "sale")]), 1)

    def test_move_cannot_be_in_two_vouchers(self):
        """The database itself refuses a second live voucher for the same invoice."""
        invoice = self.sale("2025-01-03")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.env["netvisor.voucher"].create({"period_id": period.id, "move_id": invoice.id})
            self.env.flush_all()

    def test_reopen_before_sending_restores_the_lock_date(self):
        self.company.sale_lock_date = date(2024, 12, 31)
        self.sale("2025-01-03")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.assertEqual(self.company.sale_lock_date, date(2025, 1, 31))
        period.action_reopen()
        self.assertEqual(self.company.sale_lock_date, date(2024, 12, 31))
        self.assertFalse(self.env["netvisor.period"].search([]))

    def test_sent_period_cannot_be_reopened(self):
        self.sale("2025-01-03")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        with self.assertRaises(UserError):
            period.action_reopen()

    def test_one_sender_per_company_at_a_time(self):
        """While another worker holds the company's lock, this one sends nothing."""
        self.sale("2025-01-03")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        other_worker = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            other_worker.execute(
                "SELECT pg_advisory_lock(%s, %s)", (SEND_LOCK_NAMESPACE, self.company.id)
            )
            self.send()
            self.assertEqual(period.voucher_ids.state, "pending")
            self.assertFalse(self.ledger())
        finally:
            other_worker.execute(
                "SELECT pg_advisory_unlock(%s, %s)", (SEND_LOCK_NAMESPACE, self.company.id)
            )
            other_worker.close()
        self.send()
        self.assertEqual(period.voucher_ids.state, "sent")
        self.assertEqual(len(self.ledger()), 1)

    def test_what_is_in_netvisor_cannot_be_deleted(self):
        self.sale("2025-01-03")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        with self.assertRaises(UserError):
            period.voucher_ids.unlink()
        with self.assertRaises(UserError):
            period.unlink()
        self.assertTrue(period.exists())

    def test_description_carries_the_stored_reference_on_a_copied_database(self):
        """A database copy gets a new uuid: what it sends still starts with the reference
        stored at the close, the one the ledger lookup searches for."""
        self.sale("2025-01-03")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        voucher = period.voucher_ids
        reference = voucher.reference
        self.env["ir.config_parameter"].sudo().set_param("database.uuid", str(uuid.uuid4()))
        self.assertNotEqual(
            self.env["netvisor.voucher"]._netvisor_reference(voucher.move_id.id), reference
        )
        self.send()
        self.assertEqual(voucher.state, "sent")
        (stored,) = self.ledger()
        self.assertTrue(stored["description"].startswith(reference + " "), stored["description"])
        self.assertIn(reference, voucher.request_xml)

    def test_request_is_built_once_and_stored_as_sent(self):
        """The XML kept on the voucher is the very request sent, built a single time."""
        self.sale("2025-01-03")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        built = []
        build = netvisor_vouchers.build_voucher_body

        def counting_build(voucher, max_attachment_bytes=None):
            built.append(build(voucher, max_attachment_bytes))
            return built[-1]

        with patch.object(netvisor_vouchers, "build_voucher_body", counting_build):
            self.send()
        self.assertEqual(period.voucher_ids.state, "sent")
        self.assertEqual(len(built), 1)
        self.assertEqual(period.voucher_ids.request_xml, built[0].stored.decode("utf-8"))
