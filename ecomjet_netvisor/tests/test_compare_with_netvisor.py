"""Compare with Netvisor: the outcomes, the one-click fixes and the sums, end to end
against the sandbox's real ledger (tampered with as a person in Netvisor would)."""

import datetime
from collections import defaultdict
from decimal import Decimal

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from dev import demo_data

from .common import NetvisorCommon

NOVEMBER = ("2025-11-01", "2025-11-30")


@tagged("post_install", "-at_install")
class TestCompareWithNetvisor(NetvisorCommon):
    # ------------------------------------------------------------------ helpers

    def demo_month(self, kinds=("sale",)):
        """November of the demo: every l10n_fi tax it uses, credit notes included."""
        company = self.env.company
        moves = self.env["account.move"]
        customers = {
            key: demo_data._partner(self.env, *value, "customer_rank")
            for key, value in demo_data.CUSTOMERS.items()
        }
        vendors = {
            key: demo_data._partner(self.env, *value, "supplier_rank")
            for key, value in demo_data.VENDORS.items()
        }
        rows = []
        if "sale" in kinds:
            rows += [("out_invoice", customers[k], t, a) for k, t, a in demo_data.SALES]
            rows.append(("out_refund", customers["fi"], ("tax_dom_sales_goods_25_5",), (120.0,)))
        if "purchase" in kinds:
            rows += [("in_invoice", vendors[k], t, a) for k, t, a in demo_data.PURCHASES]
            rows.append(("in_refund", vendors["fi"], ("tax_dom_purchase_goods_25_5",), (64.0,)))
        for index, (move_type, partner, taxes, amounts) in enumerate(rows):
            day = datetime.date(2025, 11, 2 + index)
            moves |= demo_data._document(self.env, company, move_type, partner, taxes, amounts, day)
        # accounts the demo's taxes book on, mapped like the demo's fetch does
        self.env["netvisor.account.map"].action_fetch_netvisor_chart()
        return moves

    def closed_and_sent(self, kind="sale"):
        period = self.close(kind, *NOVEMBER)
        self.send()
        self.assertEqual(period.state, "sent", period.voucher_ids.mapped("error_message"))
        return period

    def tamper(self, method, path, json=None):
        answer = self.sandbox.admin(method, f"companies/{self.org}/{path}", json)
        self.assertLess(answer.status_code, 300, answer.text)
        return answer.json()

    def outcomes(self, period):
        return {
            (line.move_id or line.description, line.outcome)
            for line in period.compare_line_ids
            if not line.fixed_on
        }

    def valid_per_document(self):
        """{document id: number of valid vouchers in the sandbox's ledger}."""
        prefix = self.env["netvisor.voucher"]._netvisor_reference_prefix()
        counts = defaultdict(int)
        for voucher in self.ledger():
            if voucher["status"] == "valid" and voucher["description"].startswith(prefix):
                document = voucher["description"][len(prefix) :].split()[0].split("-")[0]
                counts[int(document)] += 1
        return dict(counts)

    # ------------------------------------------------------------------ must-shows

    def test_three_tampers_named_and_fixed(self):
        """Delete one voucher, edit another's line, duplicate a third in Netvisor: the
        comparison names exactly those three, the three fixes make it match again, and
        the ledger holds exactly one valid voucher per document."""
        moves = self.demo_month()
        period = self.closed_and_sent()
        period.action_netvisor_compare()
        self.assertEqual(period.compare_state, "matches", period.compare_summary)
        self.assertEqual(period.compare_matched_count, len(moves))
        self.assertFalse(period.compare_line_ids)
        self.assertTrue(period.compare_sum_ids.filtered(lambda s: s.line_type == "sum"))
        self.assertTrue(
            all(not s.difference for s in period.compare_sum_ids if s.line_type == "sum")
        )

        deleted, edited, doubled = period.voucher_ids.sorted("id")[:3]
        self.tamper("DELETE", f"vouchers/{deleted.netvisor_key}")
        # a person moves 10 € of the first line onto the second line's account
        self.tamper(
            "PATCH",
            f"vouchers/{edited.netvisor_key}/lines/1",
            {
                "amount": str(self.ledger_line_amount(edited, 1) + Decimal(10)),
                "balance_position": 2,
            },
        )
        duplicate = self.tamper("POST", f"vouchers/{doubled.netvisor_key}/duplicate")[
            "netvisor_key"
        ]

        period.action_netvisor_compare()
        self.assertEqual(period.compare_state, "differs")
        self.assertEqual(
            self.outcomes(period),
            {
                (deleted.move_id, "invalidated"),
                (edited.move_id, "different"),
                (doubled.move_id, "twice"),
            },
        )
        lines = {line.outcome: line for line in period.compare_line_ids}
        self.assertIn("Odoo", lines["different"].details)
        self.assertEqual(lines["twice"].extra_keys, str(duplicate))
        self.assertEqual(lines["twice"].netvisor_key, doubled.netvisor_key)
        self.assertIn(
            period, self.env["netvisor.period"].search([("compare_state", "=", "differs")])
        )
        # the duplicate shows in the sums too: Netvisor holds that document's lines twice
        self.assertTrue(any(s.difference for s in period.compare_sum_ids if s.line_type == "sum"))

        lines["invalidated"].action_send_missing()
        lines["different"].action_resend_different()
        lines["twice"].action_invalidate_duplicate()
        with self.assertRaises(UserError):
            lines["twice"].action_invalidate_duplicate()  # once is enough
        self.send()
        self.assertEqual(period.state, "sent")

        period.action_netvisor_compare()
        self.assertEqual(period.compare_state, "matches", period.compare_summary)
        self.assertEqual(self.valid_per_document(), dict.fromkeys(moves.ids, 1))
        chatter = " ".join(period.message_ids.mapped("body"))
        self.assertIn(str(duplicate), chatter)
        self.assertIn(deleted.move_id.name, chatter)

    def ledger_line_amount(self, voucher, position):
        stored = next(v for v in self.ledger() if str(v["netvisor_key"]) == voucher.netvisor_key)
        return Decimal(stored["lines"][position - 1]["amount"])

    def test_sums_equal_the_ledger_to_the_cent(self):
        """Per Netvisor account, VAT code and percent, the period report adds up to what the
        sandbox ledger holds, for every tax of the demo, credit notes included."""
        self.demo_month(kinds=("sale", "purchase"))
        for kind in ("sale", "purchase"):
            period = self.closed_and_sent(kind)
            classes = {"sale": "Myyntilasku", "purchase": "Ostolasku"}
            ledger = defaultdict(Decimal)
            for voucher in self.ledger():
                if voucher["status"] == "valid" and voucher["voucher_class"] == classes[kind]:
                    for line in voucher["lines"]:
                        key = (
                            line["account_number"],
                            line["vat_code"],
                            Decimal(line["vat_percent"]),
                        )
                        ledger[key] += Decimal(line["amount"])
            report = period._netvisor_report_data()
            ours = {
                (r["account"], r["vat_code"], r["vat_percent"]): r["net"]
                for r in report["accounts"]
            }
            self.assertEqual(ours, {key: amount for key, amount in ledger.items() if amount})
            codes = {code for _account, code, _percent in ours}
            self.assertGreaterEqual(len(codes), 3 if kind == "sale" else 4, codes)
            period.action_netvisor_compare()
            self.assertEqual(period.compare_state, "matches", period.compare_summary)
            for row in period.compare_sum_ids.filtered(lambda s: s.line_type == "sum"):
                key = (row.account_number, row.vat_code, Decimal(str(row.vat_percent)).normalize())
                self.assertEqual(Decimal(f"{row.netvisor_amount:.2f}"), ledger[key], key)
            if kind == "sale":
                # the VAT view's VAT is what the documents' taxes booked
                documents = period.voucher_ids.move_id
                booked = sum(Decimal(f"{m.amount_tax_signed:.2f}") for m in documents)
                self.assertEqual(sum(r["vat"] for r in report["vat"]), booked)
                self.assertEqual(
                    sum(r["gross"] for r in report["vat"]),
                    sum(r["net"] for r in report["vat"]) + booked,
                )

    # ------------------------------------------------------------------ the other outcomes

    def test_manual_voucher_is_listed_and_never_touched(self):
        self.demo_month()
        period = self.closed_and_sent()
        manual = self.tamper(
            "POST",
            "vouchers",
            {
                "date": "2025-11-20",
                "description": "Käsin kirjattu korjaus",
                "voucher_class": "Myyntilasku",
                "lines": [
                    {"amount": "50.00", "account_number": "1701"},
                    {"amount": "-50.00", "account_number": "3000"},
                ],
            },
        )["netvisor_key"]
        period.action_netvisor_compare()
        self.assertEqual(self.outcomes(period), {("Käsin kirjattu korjaus", "foreign")})
        foreign = period.compare_line_ids
        self.assertEqual(foreign.netvisor_key, str(manual))
        for fix in (
            "action_send_missing",
            "action_resend_different",
            "action_invalidate_duplicate",
        ):
            with self.assertRaises(UserError):
                getattr(foreign, fix)()
        # pretending it were a duplicate of a document does not get it invalidated either
        voucher = period.voucher_ids[:1]
        with self.assertRaises(AccessError):  # findings are the comparison's to write
            manager = self.env["res.users"].create(
                {
                    "name": "Pääkirjanpitäjä",
                    "login": "paakirjanpitaja",
                    "group_ids": [(6, 0, [self.env.ref("account.group_account_manager").id])],
                }
            )
            self.env["netvisor.compare.line"].with_user(manager).create(
                {"period_id": period.id, "outcome": "twice", "voucher_id": voucher.id}
            )
        fake = (
            self.env["netvisor.compare.line"]
            .sudo()
            .create(
                {
                    "period_id": period.id,
                    "outcome": "twice",
                    "voucher_id": voucher.id,
                    "netvisor_key": voucher.netvisor_key,
                    "odoo_key": voucher.netvisor_key,
                    "extra_keys": str(manual),
                }
            )
        )
        with self.assertRaises(UserError):
            fake.action_invalidate_duplicate()
        stored = next(v for v in self.ledger() if v["netvisor_key"] == manual)
        self.assertEqual(stored["status"], "valid")
        # booked by hand on the same accounts: the balances differ, as information
        balances = period.compare_sum_ids.filtered(lambda s: s.line_type == "balance")
        self.assertEqual(balances.filtered(lambda s: s.account_number == "3000").difference, -50)

    def test_deleted_long_ago_is_missing(self):
        """Netvisor lists deletions for 7 days; after that the voucher is simply missing,
        and the fix sends it again."""
        moves = self.demo_month()
        period = self.closed_and_sent()
        voucher = period.voucher_ids[:1]
        self.tamper("DELETE", f"vouchers/{voucher.netvisor_key}", {"days_ago": 8})
        period.action_netvisor_compare()
        self.assertEqual(self.outcomes(period), {(voucher.move_id, "missing")})
        old_key = voucher.netvisor_key
        period.compare_line_ids.action_send_missing()
        self.assertEqual(voucher.state, "pending")
        self.assertIn(old_key, voucher.replaced_keys)
        self.send()
        self.assertEqual(voucher.state, "sent")
        self.assertNotEqual(voucher.netvisor_key, old_key)
        period.action_netvisor_compare()
        self.assertEqual(period.compare_state, "matches", period.compare_summary)
        self.assertEqual(self.valid_per_document(), dict.fromkeys(moves.ids, 1))

    def test_fix_refused_when_the_voucher_changed_since(self):
        self.demo_month()
        period = self.closed_and_sent()
        voucher = period.voucher_ids[:1]
        self.tamper("DELETE", f"vouchers/{voucher.netvisor_key}")
        period.action_netvisor_compare()
        line = period.compare_line_ids
        line.action_send_missing()
        self.send()
        with self.assertRaises(UserError):
            line.action_send_missing()
        # a line fixed once cannot be replayed, and a stale line is refused by the voucher
        line.sudo().fixed_on = False
        with self.assertRaises(UserError):
            line.action_send_missing()
        self.assertEqual(self.valid_per_document()[voucher.move_id.id], 1)

    def test_failed_comparison_is_stored_with_its_reason(self):
        self.demo_month()
        period = self.closed_and_sent()
        self.fault("fail", resource="accountingledger", category="AUTHENTICATION_FAILED")
        period.action_netvisor_compare()
        self.assertEqual(period.compare_state, "failed")
        self.assertIn("API user ID", period.compare_summary)
        self.assertEqual(period.compared_by_id, self.env.user)

    def test_nightly_check_only_where_switched_on(self):
        self.demo_month()
        period = self.closed_and_sent()
        self.env["netvisor.period"]._cron_compare()
        self.assertFalse(period.compare_state)
        self.env.company.netvisor_compare_nightly = True
        self.env["netvisor.period"]._cron_compare()
        self.assertEqual(period.compare_state, "matches")
        posted = period.message_ids
        self.env["netvisor.period"]._cron_compare()  # matching again: nothing to say
        self.assertEqual(period.message_ids, posted)
        self.tamper("DELETE", f"vouchers/{period.voucher_ids[:1].netvisor_key}")
        self.env["netvisor.period"]._cron_compare()
        self.assertEqual(period.compare_state, "differs")
        self.assertIn("Compared with Netvisor", period.message_ids[:1].body)

    def test_key_changed_in_netvisor_is_adopted_after_reading_it_back(self):
        """Someone copied the voucher in Netvisor and deleted the original: Odoo points to
        the copy (a correction would otherwise invalidate a dead key)."""
        self.demo_month()
        period = self.closed_and_sent()
        voucher = period.voucher_ids[:1]
        copy = self.tamper("POST", f"vouchers/{voucher.netvisor_key}/duplicate")["netvisor_key"]
        self.tamper("DELETE", f"vouchers/{voucher.netvisor_key}")
        period.action_netvisor_compare()
        self.assertEqual(self.outcomes(period), {(voucher.move_id, "key_changed")})
        line = period.compare_line_ids
        self.assertEqual((line.netvisor_key, line.odoo_key), (str(copy), voucher.netvisor_key))
        line.action_adopt_key()
        self.assertEqual(voucher.netvisor_key, str(copy))
        period.action_netvisor_compare()
        self.assertEqual(period.compare_state, "matches", period.compare_summary)

    def test_in_netvisor_but_failed_in_odoo_is_looked_up_not_sent_again(self):
        moves = self.demo_month()
        period = self.closed_and_sent()
        voucher = period.voucher_ids[:1]
        key = voucher.netvisor_key
        # as if its answer had been lost and taken for a refusal
        voucher._netvisor_mark_failed("TECHNICAL_ERROR", "lost")
        period.action_netvisor_compare()
        self.assertEqual(self.outcomes(period), {(voucher.move_id, "unexpected")})
        period.compare_line_ids.action_look_up()
        self.assertEqual(voucher.state, "uncertain")
        self.send()
        self.assertEqual((voucher.state, voucher.netvisor_key), ("sent", key))
        self.assertEqual(self.valid_per_document(), dict.fromkeys(moves.ids, 1))

    def test_send_again_refused_when_netvisor_holds_the_key_after_all(self):
        """The voucher's description was edited in Netvisor: found by its key, it is
        different, never missing; and a stale Missing line does not send it twice."""
        moves = self.demo_month()
        period = self.closed_and_sent()
        voucher = period.voucher_ids[:1]
        self.tamper("PATCH", f"vouchers/{voucher.netvisor_key}", {"description": "Muokattu"})
        period.action_netvisor_compare()
        self.assertEqual(self.outcomes(period), {(voucher.move_id, "different")})
        self.assertIn("reference", period.compare_line_ids.details)
        stale = (
            self.env["netvisor.compare.line"]
            .sudo()
            .create(
                {
                    "period_id": period.id,
                    "outcome": "missing",
                    "voucher_id": voucher.id,
                    "netvisor_key": voucher.netvisor_key,
                    "odoo_key": voucher.netvisor_key,
                }
            )
        )
        with self.assertRaises(UserError):
            stale.action_send_missing()
        self.assertEqual(voucher.state, "sent")
        self.assertEqual(len(self.valid_per_document()), len(moves) - 1)  # the edited one

    # ------------------------------------------------------------------ report and exports

    def test_a_billing_user_reads_the_report_and_exports_it(self):
        self.demo_month()
        period = self.closed_and_sent()
        billing = self.env["res.users"].create(
            {
                "name": "Kirjanpitäjä",
                "login": "kirjanpitaja",
                "group_ids": [(6, 0, [self.env.ref("account.group_account_invoice").id])],
            }
        )
        mine = period.with_user(billing)
        self.assertIn("3000", str(mine.report_html))
        action = mine.action_netvisor_export_xlsx()
        self.assertIn("/web/content/", action["url"])
        html = (
            self.env["ir.actions.report"]
            .with_user(billing)
            ._render_qweb_html("ecomjet_netvisor.report_netvisor_period", period.ids)[0]
        )
        self.assertIn(period.voucher_ids[:1].move_id.name, html.decode())
        with self.assertRaises(AccessError):
            mine.action_netvisor_compare()

    def test_voucher_lines_readable(self):
        self.demo_month()
        period = self.closed_and_sent()
        voucher = period.voucher_ids[:1]
        html = str(voucher.request_lines_html)
        for line in self.ledger()[0]["lines"]:
            self.assertIn(line["account_number"], html)
        billing = self.env["res.users"].create(
            {
                "name": "Laskuttaja",
                "login": "laskuttaja",
                "group_ids": [(6, 0, [self.env.ref("account.group_account_invoice").id])],
            }
        )
        self.assertIn("1701", str(voucher.with_user(billing).request_lines_html))
        self.assertIn("3000", str(period.report_html))

    def test_xlsx_one_sheet_per_view(self):
        import base64
        import io

        import openpyxl

        self.demo_month()
        period = self.closed_and_sent()
        period.action_netvisor_compare()
        action = period.action_netvisor_export_xlsx()
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/")[3].split("?")[0])
        )
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)))
        self.assertEqual(
            book.sheetnames,
            ["Accounts", "VAT codes", "Documents", "Voucher lines", "Comparison", "Sums"],
        )
        accounts = list(book["Accounts"].iter_rows(min_row=2, values_only=True))
        report = period._netvisor_report_data()
        self.assertEqual(len(accounts), len(report["accounts"]))
        self.assertAlmostEqual(sum(row[5] for row in accounts), 0, places=2)
        documents = list(book["Documents"].iter_rows(min_row=2, values_only=True))
        self.assertEqual(
            {row[0] for row in documents}, set(period.voucher_ids.move_id.mapped("name"))
        )
        self.assertEqual(
            {row[5] for row in documents}, set(period.voucher_ids.mapped("netvisor_key"))
        )

    def test_pdf_renders(self):
        self.demo_month()
        period = self.closed_and_sent()
        period.action_netvisor_compare()
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("ecomjet_netvisor.report_netvisor_period", period.ids)[0]
            .decode()
        )
        for move in period.voucher_ids.move_id:
            self.assertIn(move.name, html)
        self.assertIn("Matches Netvisor", html)
        pdf, kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("ecomjet_netvisor.report_netvisor_period", period.ids)
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        self.assertGreater(len(pdf), 2000)
