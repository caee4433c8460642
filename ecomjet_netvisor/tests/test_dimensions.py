"""Dimensions: Odoo's analytic distribution reaches Netvisor as cost objects, split exactly
as Odoo's analytic lines, and never as a typo-made cost object."""

import dataclasses
import uuid
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.ecomjet_netvisor.netvisor import build_voucher_xml

from .common import NetvisorCommon
from .test_voucher_content import canonical

DATA = Path(__file__).parent / "data"
NOVEMBER = ("2025-11-01", "2025-11-30")


@tagged("post_install", "-at_install")
class TestDimensions(NetvisorCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Plan = cls.env["account.analytic.plan"]
        Account = cls.env["account.analytic.account"]
        # Kustannuspaikka: a plan named as the Netvisor dimension, mapped by Fetch;
        # Projekti: Odoo's own project plan, mapped by hand
        cls.cost_centres = Plan.create({"name": "Kustannuspaikka"})
        cls.projects = cls.env["account.analytic.plan"].browse(
            int(cls.env["ir.config_parameter"].sudo().get_param("analytic.project_plan"))
        )
        accounts = {}
        for plan, names in (
            (cls.cost_centres, ("Myynti", "Hallinto")),
            (cls.projects, ("P-100", "P-200")),
        ):
            for name in names:
                accounts[name] = Account.create({"name": name, "plan_id": plan.id})
        cls.accounts = accounts
        cls.env["netvisor.dimension"].action_fetch_netvisor_dimensions()
        projekti = cls.env["netvisor.dimension"].search([("name", "=", "Projekti")])
        projekti.plan_id = cls.projects
        cls.env["netvisor.dimension"]._netvisor_map_by_name(cls.env.company)

    def setUp(self):
        super().setUp()
        # items live on in the sandbox (like Netvisor's): count afresh for each test
        self.sandbox.admin("DELETE", "stats")

    # ------------------------------------------------------------------ helpers

    def distribution(self, **shares):
        """{'id[,id]': percent} from {'Myynti__P_100': 60, ...} (names joined by __)."""
        result = {}
        for names, percent in shares.items():
            ids = [str(self.accounts[name.replace("_", "-")].id) for name in names.split("__")]
            result[",".join(ids)] = percent
        return result

    def move(self, move_type, date, amount, distribution, tax=None):
        tax = tax or (self.tax_sale if move_type.startswith("out_") else self.tax_purchase)
        account = self.account_revenue if move_type.startswith("out_") else self.account_expense
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": self.customer.id,
                "invoice_date": date,
                "date": date,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Tuote",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.set(tax.ids)],
                            "account_id": account.id,
                            "analytic_distribution": distribution,
                        }
                    )
                ],
            }
        )
        move.action_post()
        return move

    def voucher(self, move):
        vouchers, problems = move._netvisor_voucher_data()
        self.assertEqual(problems, [])
        return vouchers[move.id]

    def stats(self):
        answer = self.sandbox.admin("GET", "stats")
        self.assertEqual(answer.status_code, 200, answer.text)
        return answer.json()

    def items_created(self):
        """Dimension items created in the sandbox for company A, by any request."""
        stats = self.stats()
        return sum(
            stats.get(key, {}).get(self.org, 0)
            for key in ("dimension_items_created", "dimension_items_added")
        )

    # ------------------------------------------------------------------ mapping

    def test_fetch_maps_plans_and_accounts_by_name(self):
        Dimension = self.env["netvisor.dimension"]
        headers = {d.name: d for d in Dimension.search([])}
        self.assertEqual(headers["Kustannuspaikka"].plan_id, self.cost_centres)
        self.assertEqual(headers["Projekti"].plan_id, self.projects)
        items = {i.name: i for i in self.env["netvisor.dimension.item"].search([])}
        self.assertEqual(items["Myynti"].analytic_account_id, self.accounts["Myynti"])
        self.assertEqual(items["P-200"].analytic_account_id, self.accounts["P-200"])
        self.assertTrue(items["Vanha"].is_hidden)
        self.assertFalse(items["Vanha"].analytic_account_id)

    # ------------------------------------------------------------------ golden vouchers

    def test_golden_xml(self):
        """One plan, two plans, an odd cent split three ways, a credit note, and a
        distribution below 100 %, written out in tests/data/dimensions_*.xml."""
        self.accounts["P-300"] = self.env["account.analytic.account"].create(
            {"name": "P-300", "plan_id": self.projects.id}
        )
        self.sandbox.admin(
            "POST", f"companies/{self.org}/dimensions", {"name": "Projekti", "item": "P-300"}
        )
        self.env["netvisor.dimension"].action_fetch_netvisor_dimensions()
        cases = (
            ("out_invoice", 1000.0, self.distribution(Myynti=100), "one_plan"),
            (
                "out_invoice",
                1000.0,
                self.distribution(Myynti__P_100=60, Hallinto__P_200=40),
                "two_plans",
            ),
            (
                "out_invoice",
                100.01,
                self.distribution(P_100=33.33, P_200=33.33, P_300=33.34),
                "odd_cent_split",
            ),
            ("out_refund", 200.0, self.distribution(Myynti=100), "credit_note"),
            ("out_invoice", 1000.0, self.distribution(P_100=50), "below_100"),
        )
        for move_type, amount, distribution, name in cases:
            with self.subTest(golden=name):
                move = self.move(move_type, "2025-11-15", amount, distribution)
                voucher = dataclasses.replace(self.voucher(move), description="REFERENCE")
                self.assertEqual(
                    canonical(build_voucher_xml(voucher)),
                    canonical((DATA / f"dimensions_{name}.xml").read_bytes()),
                )

    # ------------------------------------------------------------------ must-shows

    def test_ledger_equals_the_analytic_lines_to_the_cent(self):
        """A month where every document is distributed: per (account, VAT code, item) the
        sandbox ledger holds what Odoo's analytic lines say, and every voucher balances."""
        d = self.distribution
        moves = self.env["account.move"]
        moves |= self.move(
            "out_invoice", "2025-11-03", 1234.57, d(Myynti__P_100=60, Hallinto__P_200=40)
        )
        moves |= self.move("out_invoice", "2025-11-05", 99.99, d(P_100=33.33, P_200=66.67))
        moves |= self.move("out_invoice", "2025-11-07", 500.0, d(Myynti=100))
        moves |= self.move("out_refund", "2025-11-09", 120.0, d(Hallinto__P_100=100))
        moves |= self.move("out_invoice", "2025-11-11", 777.77, d(P_200=30))
        period = self.close("sale", *NOVEMBER)
        self.send()
        self.assertEqual(period.state, "sent", period.voucher_ids.mapped("error_message"))

        ledger = defaultdict(Decimal)
        for voucher in self.ledger():
            self.assertEqual(sum(Decimal(line["amount"]) for line in voucher["lines"]), 0)
            for line in voucher["lines"]:
                for _header, item in line["dimensions"]:
                    ledger[line["account_number"], line["vat_code"], item] += Decimal(
                        line["amount"]
                    )
        analytic = defaultdict(Decimal)
        for line in moves.line_ids.analytic_line_ids:
            code = "KOMY"  # every journal item here carries the 25.5 % sales tax
            for account in (line.account_id, line[self.cost_centres._column_name()]):
                if account:
                    key = (line.general_account_id.code, code, account.name)
                    analytic[key] -= Decimal(f"{line.amount:.2f}")
        self.assertEqual(dict(ledger), dict(analytic))
        self.assertTrue(ledger)
        self.assertEqual(self.items_created(), 0)

    def test_misspelled_item_blocks_the_close_and_nothing_is_created(self):
        typo = self.env["account.analytic.account"].create(
            {"name": "P-10O", "plan_id": self.projects.id}
        )
        self.move("out_invoice", "2025-11-03", 100.0, {str(typo.id): 100})
        wizard = self.close_wizard("sale", *NOVEMBER)
        self.assertIn("Projekti: P-10O", wizard.problems)
        with self.assertRaises(UserError) as caught:
            wizard.action_confirm()
        self.assertIn("P-10O", str(caught.exception))
        self.assertFalse(self.env["netvisor.period"].search([]))
        self.assertEqual(self.items_created(), 0)

    def test_auto_create_makes_the_item_once_and_sends(self):
        self.env.company.netvisor_create_dimension_items = True
        name = f"P-{uuid.uuid4().hex[:6].upper()}"  # new to the sandbox, which keeps items
        new = self.env["account.analytic.account"].create(
            {"name": name, "plan_id": self.projects.id}
        )
        self.move("out_invoice", "2025-11-03", 100.0, {str(new.id): 100})
        self.move("out_invoice", "2025-11-04", 50.0, {str(new.id): 100})
        wizard = self.close_wizard("sale", *NOVEMBER)
        self.assertFalse(wizard.problems)
        self.assertIn(f"Projekti: {name}", wizard.dimension_notice)
        period = self.env["netvisor.period"].browse(wizard.action_confirm()["res_id"])
        self.assertEqual(self.items_created(), 1)
        self.send()
        self.assertEqual(period.state, "sent", period.voucher_ids.mapped("error_message"))
        items = {
            tuple(pair) for v in self.ledger() for line in v["lines"] for pair in line["dimensions"]
        }
        self.assertIn(("Projekti", name), items)
        self.assertEqual(self.items_created(), 1)  # sending created nothing more
        self.assertIn(name, " ".join(period.message_ids.mapped("body")))

    def test_hidden_item_blocks_even_with_auto_create(self):
        self.env.company.netvisor_create_dimension_items = True
        vanha = self.env["netvisor.dimension.item"].search([("name", "=", "Vanha")])
        old = self.env["account.analytic.account"].create(
            {"name": "Vanha kp", "plan_id": self.cost_centres.id}
        )
        vanha.analytic_account_id = old
        self.move("out_invoice", "2025-11-03", 100.0, {str(old.id): 100})
        wizard = self.close_wizard("sale", *NOVEMBER)
        self.assertIn("Kustannuspaikka: Vanha", wizard.problems)
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.assertEqual(self.items_created(), 0)

    def test_plans_in_separate_rows_are_refused_with_the_document(self):
        move = self.move(
            "out_invoice", "2025-11-03", 100.0, self.distribution(Myynti=100, P_100=100)
        )
        wizard = self.close_wizard("sale", *NOVEMBER)
        self.assertIn(move.name, wizard.problems)
        self.assertIn("separate rows", wizard.problems)

    def test_no_mapped_plan_sends_as_before(self):
        self.env["netvisor.dimension"].search([]).plan_id = False
        move = self.move("out_invoice", "2025-11-03", 100.0, self.distribution(Myynti=100))
        self.assertTrue(all(not line.dimensions for line in self.voucher(move).lines))

    # ------------------------------------------------------------------ after review

    def test_an_item_fetched_once_but_gone_from_netvisor_blocks_on_confirm(self):
        """The catalog may be older than Netvisor: the wizard asks Netvisor when it opens,
        and Confirm asks again."""
        projekti = self.env["netvisor.dimension"].search([("name", "=", "Projekti")])
        ghost = self.env["account.analytic.account"].create(
            {"name": "P-999", "plan_id": self.projects.id}
        )
        self.env["netvisor.dimension.item"].create(
            {"dimension_id": projekti.id, "name": "P-999", "found": True,
             "analytic_account_id": ghost.id}
        )  # fmt: skip
        self.move("out_invoice", "2025-11-03", 100.0, {str(ghost.id): 100})
        wizard = self.close_wizard("sale", *NOVEMBER)
        # as last fetched it exists, but Netvisor, asked as the wizard opens, lacks it
        self.assertIn("Projekti: P-999", wizard.problems)
        with self.assertRaises(UserError) as caught:
            wizard.action_confirm()
        self.assertIn("Projekti: P-999", str(caught.exception))
        self.assertEqual(self.items_created(), 0)

    def test_an_item_renamed_in_odoo_is_no_longer_known(self):
        item = self.env["netvisor.dimension.item"].search([("name", "=", "P-100")])
        item.name = "P-1OO"
        self.assertFalse(item.found)
        self.move("out_invoice", "2025-11-03", 100.0, self.distribution(P_100=100))
        self.assertIn("Projekti: P-1OO", self.close_wizard("sale", *NOVEMBER).problems)

    def test_only_the_close_may_leave_an_unknown_item_to_create(self):
        """With auto-create on, the close creates what it announced; anything else that
        would carry an unknown item (the sender, a correction, a comparison) is refused."""
        self.env.company.netvisor_create_dimension_items = True
        new = self.env["account.analytic.account"].create(
            {"name": "P-NEW", "plan_id": self.projects.id}
        )
        move = self.move("out_invoice", "2025-11-03", 100.0, {str(new.id): 100})
        _data, problems = move._netvisor_voucher_data()
        self.assertEqual(problems, [("dimension_missing", "Projekti: P-NEW", move.name)])
        _data, problems = move._netvisor_voucher_data(for_close=True)
        self.assertEqual(problems, [])

    def test_a_cent_of_rounding_over_the_item_is_absorbed_exactly(self):
        """Odoo rounds analytic lines in the document's currency (a JPY invoice can leave
        them a cent over the item): the parts still add up to the item exactly, and more
        than rounding is refused."""
        move = self.move("out_invoice", "2025-11-03", 100.01, self.distribution(P_100=50, P_200=50))
        revenue = move.line_ids.filtered(lambda line: line.analytic_line_ids)
        analytic = revenue.analytic_line_ids
        self.env.cr.execute(
            "UPDATE account_analytic_line SET amount = 50.01 WHERE id = ANY(%s)", [analytic.ids]
        )
        analytic.invalidate_recordset()
        Dimension = self.env["netvisor.dimension"]
        parts, problems = Dimension._netvisor_line_parts(revenue.ids, move.company_id.ids)
        self.assertEqual(problems, [])
        self.assertEqual(sum(amount for amount, _dims in parts[revenue.id]), Decimal("-100.01"))
        self.env.cr.execute(
            "UPDATE account_analytic_line SET amount = 60 WHERE id = ANY(%s)", [analytic.ids]
        )
        _parts, problems = Dimension._netvisor_line_parts(revenue.ids, move.company_id.ids)
        self.assertEqual(problems, [("over_distributed", revenue.id)])
