"""The accountant's path through the browser, against a real (local) Netvisor sandbox.

Crons do not run inside HttpCase, so the test runs the sender between the tour's parts,
exactly as the cron would.
"""

import sys
from datetime import date
from pathlib import Path

from odoo import Command
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingHttpCommon

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from netvisor_sandbox import seed  # noqa: E402
from netvisor_sandbox.testing import SandboxProcess  # noqa: E402

from .common import LoopbackRequestsMixin  # noqa: E402

INVOICE_DATES = (date(2026, 9, 3), date(2026, 9, 14), date(2026, 9, 28))


class NetvisorTourCommon(LoopbackRequestsMixin, AccountTestInvoicingHttpCommon):
    """A Finnish-chart company pointing at a local sandbox (what the administrator sets
    once), an administrator who may close periods, and three posted September invoices."""

    country_code = "FI"
    chart_template = "fi"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = SandboxProcess().start()
        cls.addClassCleanup(cls.sandbox.__exit__, None, None, None)
        cls.company = cls.env.company
        # Netvisor's own timeout: none here, so that Resend may look the voucher up at once
        cls.env["ir.config_parameter"].sudo().set_param("ecomjet_netvisor.netvisor_timeout", "0")
        # What the administrator sets once: the partner identifiers and where Netvisor is.
        cls.company.sudo().write(
            {
                # The fixture's cash-basis tax needs this, or Settings warns on open.
                "tax_exigibility": True,
                "netvisor_environment": "custom",
                "netvisor_custom_url": cls.sandbox.url,
                "netvisor_partner_id": seed.PARTNER_ID,
                "netvisor_partner_key": seed.PARTNER_KEY,
            }
        )
        admin = cls.env.ref("base.user_admin")
        admin.write(
            {
                "company_ids": [Command.link(cls.company.id)],
                "company_id": cls.company.id,
                "group_ids": [Command.link(cls.env.ref("account.group_account_manager").id)],
            }
        )
        cls.invoices = cls.env["account.move"]
        for invoice_date in INVOICE_DATES:
            cls.invoices |= cls._create_invoice(
                invoice_date=invoice_date,
                partner_id=cls.partner_a,
                invoice_line_ids=[
                    Command.create(
                        {
                            "product_id": cls.product_a.id,
                            "price_unit": 100.0 * invoice_date.day,
                            "tax_ids": [Command.set(cls.tax_sale_a.ids)],
                        }
                    )
                ],
                post=True,
            )

    def setUp(self):
        super().setUp()
        # the sandbox outlives each test's rollback: every test starts from an empty ledger
        org = seed.COMPANY_A.organisation_id
        self.sandbox.admin("DELETE", f"companies/{org}/vouchers").raise_for_status()
        self.sandbox.admin("DELETE", "faults").raise_for_status()

    @classmethod
    def connect_company(cls):
        """The accountant's settings, as the English tour enters them in Settings."""
        cls.company.sudo().write(
            {
                "netvisor_enabled": True,
                "netvisor_customer_id": seed.COMPANY_A.customer_id,
                "netvisor_customer_key": seed.COMPANY_A.customer_key,
                "netvisor_organisation_id": seed.COMPANY_A.organisation_id,
            }
        )
        cls.env["netvisor.account.map"].action_fetch_netvisor_chart()

    def _sandbox_vouchers(self):
        answer = self.sandbox.admin("GET", f"companies/{seed.COMPANY_A.organisation_id}/vouchers")
        answer.raise_for_status()
        return answer.json()["vouchers"]

    def _send(self):
        """What the cron does; the browser's changes are in the same test transaction."""
        self.env.invalidate_all()
        self.env["netvisor.period"]._cron_send_vouchers()
        self.env.invalidate_all()


@tagged("post_install", "-at_install")
class TestNetvisorTour(NetvisorTourCommon):
    def test_close_send_and_resend_from_the_browser(self):
        # Netvisor will book the first voucher, then answer TECHNICAL_ERROR (HTTP 500); the
        # tour watches its sender run (its cron, run from the page) and meet it
        fault = {"mode": "technical_error_after_commit", "resource": "accounting", "count": 1}
        self.sandbox.admin("POST", "faults", fault).raise_for_status()
        self.start_tour("/odoo/settings", "ecomjet_netvisor_close_period", login="admin")

        self.env.invalidate_all()
        self.assertTrue(self.company.netvisor_enabled)
        period = self.env["netvisor.period"].search([("company_id", "=", self.company.id)])
        self.assertEqual(len(period), 1)
        self.assertEqual(
            (period.kind, period.date_from, period.date_to),
            ("sale", date(2026, 9, 1), date(2026, 9, 30)),
        )
        self.assertEqual(period.voucher_ids.move_id, self.invoices)
        self.assertEqual(self.company.sale_lock_date, date(2026, 9, 30))

        states = sorted(period.voucher_ids.mapped("state"))
        self.assertEqual(states, ["sent", "sent", "uncertain"])
        self.assertEqual(len(self._sandbox_vouchers()), 3)

        self.start_tour("/odoo/netvisor-periods", "ecomjet_netvisor_resend", login="admin")

        self.env.invalidate_all()
        self.assertEqual(set(period.voucher_ids.mapped("state")), {"sent"})
        self.assertEqual(period.state, "sent")
        # The lost answer was found in Netvisor's ledger: nothing was booked twice.
        booked = self._sandbox_vouchers()
        self.assertEqual(len(booked), 3)
        self.assertEqual(
            sorted(str(v["netvisor_key"]) for v in booked),
            sorted(period.voucher_ids.mapped("netvisor_key")),
        )

        self.start_tour("/odoo/netvisor-periods", "ecomjet_netvisor_all_sent", login="admin")

    def test_close_purchases_from_the_bill_list(self):
        self.connect_company()
        chart = self.env["account.chart.template"]
        expense, tax = chart.ref("account_4000"), chart.ref("tax_dom_purchase_goods_25_5")
        bills = self.env["account.move"]
        for bill_date in (date(2026, 9, 2), date(2026, 9, 20)):
            bills |= self._create_invoice(
                move_type="in_invoice",
                invoice_date=bill_date,
                partner_id=self.partner_a,
                invoice_line_ids=[
                    Command.create(
                        {
                            "product_id": self.product_a.id,
                            "price_unit": 40.0 * bill_date.day,
                            "account_id": expense.id,
                            "tax_ids": [Command.set(tax.ids)],
                        }
                    )
                ],
                post=True,
            )

        self.start_tour("/odoo/vendor-bills", "ecomjet_netvisor_close_purchases", login="admin")

        self.env.invalidate_all()
        period = self.env["netvisor.period"].search([("company_id", "=", self.company.id)])
        self.assertEqual((period.kind, period.date_to), ("purchase", date(2026, 9, 30)))
        self.assertEqual(period.voucher_ids.move_id, bills)
        self.assertEqual(self.company.purchase_lock_date, date(2026, 9, 30))
        self.assertFalse(self.company.sale_lock_date)
        self._send()
        self.assertEqual(period.state, "sent")
        self.assertEqual({v["voucher_class"] for v in self._sandbox_vouchers()}, {"Ostolasku"})

    def test_reopen_returns_to_the_list(self):
        self.connect_company()
        wizard = (
            self.env["netvisor.period.close"]
            .with_context(default_kind="sale")
            .create({"date_from": date(2026, 9, 1), "date_to": date(2026, 9, 30)})
        )
        period = self.env["netvisor.period"].browse(wizard.action_confirm()["res_id"])
        self.start_tour("/odoo/netvisor-periods", "ecomjet_netvisor_reopen", login="admin")
        self.assertFalse(period.exists())
        self.assertFalse(self.company.sale_lock_date)
