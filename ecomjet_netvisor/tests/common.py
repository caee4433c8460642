"""Shared setup: a Finnish-chart company connected to a real sandbox over loopback HTTP."""

import sys
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from odoo import Command, fields
from odoo.tests import common as odoo_test_common

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from netvisor_sandbox import seed  # noqa: E402
from netvisor_sandbox.testing import SandboxProcess  # noqa: E402

MSG_OUTSIDE = "The accounting period closing contains transactions outside the selected period!"
MSG_ACCOUNT = (
    "An error occurred in the accounting integration. "
    "The account was not found in the Netvisor chart of accounts."
)
MSG_SENDING = "Sending invoices to Netvisor failed."


class LoopbackRequestsMixin:
    """Requests to the loopback sandbox go out as the connector makes them: Odoo's test
    guard would raise every timeout to 10 s (and cannot read a (connect, read) pair),
    while the sender's timing is what several tests are about."""

    @classmethod
    def _request_handler(cls, session, request, /, **kwargs):
        if urlsplit(request.url).hostname in ("127.0.0.1", "localhost"):
            return odoo_test_common._super_send(session, request, **kwargs)
        return super()._request_handler(session, request, **kwargs)


class NetvisorCommon(LoopbackRequestsMixin, AccountTestInvoicingCommon):
    """Company A of the sandbox, with its chart fetched and mapped like a user would."""

    @classmethod
    @AccountTestInvoicingCommon.setup_country("fi")
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = SandboxProcess().start()
        cls.addClassCleanup(cls.sandbox.__exit__, None, None, None)
        cls.org = seed.COMPANY_A.organisation_id
        cls.connect_company(cls.env.company, seed.COMPANY_A)
        cls.env["netvisor.account.map"].action_fetch_netvisor_chart()
        cls.tax_sale = cls.fi_tax("tax_dom_sales_goods_25_5")
        cls.tax_purchase = cls.fi_tax("tax_dom_purchase_goods_25_5")
        cls.account_revenue = cls.fi_account("account_3000")
        cls.account_expense = cls.fi_account("account_4000")
        # no explicit properties: the Finnish chart's receivable 1701 and payable 2871 apply
        cls.customer = cls.env["res.partner"].create({"name": "Asiakas Oy"})
        # Netvisor's own timeout (how long a lost request may still land) and the pause
        # after "Netvisor is away": none here, so that each sender run can go on at once;
        # test_exactly_once_edges sets them where waiting is the point
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("ecomjet_netvisor.netvisor_timeout", "0")
        params.set_param("ecomjet_netvisor.retry_delay", "0")

    @classmethod
    def connect_company(cls, company, seed_company):
        company.write(
            {
                "netvisor_enabled": True,
                "netvisor_environment": "custom",
                "netvisor_custom_url": cls.sandbox.url,
                "netvisor_customer_id": seed_company.customer_id,
                "netvisor_customer_key": seed_company.customer_key,
                "netvisor_partner_id": seed.PARTNER_ID,
                "netvisor_partner_key": seed.PARTNER_KEY,
                "netvisor_organisation_id": seed_company.organisation_id,
                "netvisor_start_date": fields.Date.to_date("2025-01-01"),
            }
        )

    @classmethod
    def fi_tax(cls, xmlid):
        return cls.env["account.chart.template"].ref(xmlid)

    @classmethod
    def fi_account(cls, xmlid):
        return cls.env["account.chart.template"].ref(xmlid)

    def setUp(self):
        super().setUp()
        # the sandbox outlives each test's rollback: start every test from an empty ledger
        self.sandbox.admin("DELETE", f"companies/{self.org}/vouchers")
        self.sandbox.admin("DELETE", "faults")
        self.sandbox.admin("DELETE", "chaos")
        self.sandbox.admin("PUT", f"companies/{self.org}/locks", {"accounting_lock_date": None})

    # ------------------------------------------------------------------ documents

    def make_move(self, move_type, date, lines, partner=None, post=True):
        """lines: (price, tax or None[, account]) tuples; posted unless post=False.

        Lines go to 3000 (sales) or 4000 (purchases) unless an account is given.
        """
        default_account = (
            self.account_revenue if move_type.startswith("out_") else self.account_expense
        )
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": (partner or self.customer).id,
                "invoice_date": date,
                "date": date,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": f"line {index}",
                            "quantity": 1,
                            "price_unit": price,
                            "tax_ids": [Command.set(tax.ids if tax else [])],
                            "account_id": (rest[0] if rest else default_account).id,
                        }
                    )
                    for index, (price, tax, *rest) in enumerate(lines)
                ],
            }
        )
        if post:
            move.action_post()
        return move

    def sale(self, date, amount=100.0, tax=None, **kwargs):
        return self.make_move("out_invoice", date, [(amount, tax or self.tax_sale)], **kwargs)

    def bill(self, date, amount=100.0, tax=None, **kwargs):
        return self.make_move("in_invoice", date, [(amount, tax or self.tax_purchase)], **kwargs)

    # ------------------------------------------------------------------ closing and sending

    def close_wizard(self, kind, date_from, date_to, user=None):
        env = self.env(user=user) if user else self.env
        return (
            env["netvisor.period.close"]
            .with_context(default_kind=kind)
            .create({"date_from": date_from, "date_to": date_to})
        )

    def close(self, kind, date_from, date_to, user=None):
        """Close the period like the user does; return the new period."""
        action = self.close_wizard(kind, date_from, date_to, user=user).action_confirm()
        return self.env["netvisor.period"].browse(action["res_id"])

    def fault(self, mode, resource="accounting", **options):
        """Make the sandbox misbehave on the next request of ``resource``."""
        fault = {"mode": mode, "resource": resource, **options}
        answer = self.sandbox.admin("POST", "faults", fault)
        self.assertLess(answer.status_code, 300, answer.text)

    def send(self):
        """What the cron does, inside the test transaction."""
        self.env["netvisor.period"]._cron_send_vouchers()

    def ledger(self):
        """Every voucher the sandbox holds for company A (valid or not)."""
        answer = self.sandbox.admin("GET", f"companies/{self.org}/vouchers")
        self.assertEqual(answer.status_code, 200, answer.text)
        return answer.json()["vouchers"]

    @staticmethod
    def expected_lines(move, codes=None):
        """The journal items of a move aggregated as Netvisor lines: the specification of §5.

        codes: {account code: (vat code, percent)} for revenue/expense accounts.
        """
        sums = {}
        for line in move.line_ids:
            account_code = line.account_id.code
            if line.tax_line_id or line.display_type == "payment_term":
                key = (account_code, "NONE", Decimal(0))
            else:
                code, percent = (codes or {}).get(account_code, ("NONE", Decimal(0)))
                key = (account_code, code, Decimal(percent))
            sums[key] = sums.get(key, Decimal(0)) + Decimal(f"{line.balance:.2f}")
        return sorted((k[0], k[1], k[2], v) for k, v in sums.items() if v)

    @staticmethod
    def ledger_lines(ledger_voucher):
        return sorted(
            (
                line["account_number"],
                line["vat_code"],
                Decimal(line["vat_percent"]),
                Decimal(line["amount"]),
            )
            for line in ledger_voucher["lines"]
        )
