"""The period report: what Odoo's books of the period add up to, grouped as Netvisor books
them (per Netvisor account and VAT code), shown on the period, printed as PDF through
Odoo's report engine and exported as XLSX (one sheet per view).

The grouping is the sender's own (``account.move._netvisor_voucher_data``): the report
says what Netvisor is sent, never a second reading of the journal items.
"""

import base64
import io
from collections import defaultdict
from decimal import Decimal

import xlsxwriter

from odoo import fields, models
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from ..netvisor import vat
from .account_move import _amount, _percent


class NetvisorPeriod(models.Model):
    # a module of its own, on purpose: the period's sender, comparison and report are
    # three owners of three concerns
    _inherit = "netvisor.period"  # pylint: disable=consider-merging-classes-inherited

    report_html = fields.Html(
        "Report", compute="_compute_report_html", sanitize=False, readonly=True
    )

    def _compute_report_html(self):
        for period in self:
            if not period.id:
                period.report_html = False
                continue
            period.report_html = self.env["ir.qweb"]._render(
                "ecomjet_netvisor.netvisor_period_report_tables",
                {
                    "report": period._netvisor_report_data(details=False),
                    "period": period,
                    "fmt": period._fmt,
                    "pct": period._pct,
                },
            )

    def _fmt(self, value):
        return formatLang(self.env, float(value), currency_obj=self.currency_id)

    def _pct(self, value):
        """A VAT percent as the reader writes it (25,5 in Finnish), without trailing zeros."""
        text = f"{Decimal(str(value)).normalize():f}" if value else "0"
        return text.replace(
            ".", self.env["res.lang"]._get_data(code=self.env.lang or "en_US").decimal_point
        )

    # ------------------------------------------------------------------ the figures

    def _netvisor_report_data(self, details=True):
        """The period's documents and their Netvisor lines, summed per Netvisor account and
        VAT code + percent (debit, credit, net) and per VAT code (net, VAT, gross);
        ``details`` False: the sums only (the form's tab), not the documents and lines.

        Sales are shown with their natural sign in the VAT view (a sale is positive). Read
        as the sender reads it (the mapping is the manager's), for whoever may read the
        period."""
        self.ensure_one()
        self.check_access("read")
        self = self.sudo()  # after the reader's own access check
        Voucher = self.env["netvisor.voucher"]
        Voucher.flush_model()
        rows = self.env.execute_query(
            SQL(
                """SELECT voucher.move_id, move.name, move.date, partner.name, voucher.state,
                          voucher.netvisor_key, voucher.amount_total, voucher.reference
                     FROM netvisor_voucher voucher
                     JOIN account_move move ON move.id = voucher.move_id
                LEFT JOIN res_partner partner ON partner.id = move.partner_id
                    WHERE voucher.period_id = %s AND voucher.state != 'cancelled'
                 ORDER BY move.date, move.name, move.id""",
                self.id,
            )
        )
        moves = self.env["account.move"].browse(row[0] for row in rows)
        data, _problems = moves._netvisor_voucher_data({row[0]: row[7] for row in rows})
        states = dict(Voucher._fields["state"]._description_selection(self.env))
        accounts = defaultdict(lambda: [Decimal(0), Decimal(0)])
        by_code = defaultdict(lambda: [Decimal(0), Decimal(0)])
        documents, lines = [], []
        for move_id, name, date, partner, state, key, total, _reference in rows:
            if details:
                documents.append(
                    {
                        "name": name,
                        "date": date,
                        "partner": partner or "",
                        "state": states.get(state, state),
                        "netvisor_key": key or "",
                        "total": Decimal(f"{total or 0:.2f}"),
                    }
                )
            for line in data[move_id].lines:
                debit = line.amount if line.amount > 0 else Decimal(0)
                credit = -line.amount if line.amount < 0 else Decimal(0)
                group = (line.account_number, line.vat_code, line.vat_percent)
                accounts[group][0] += debit
                accounts[group][1] += credit
                if line.vat_code != "NONE":
                    by_code[line.vat_code, line.vat_percent][0] += line.amount
                if details:
                    lines.append(
                        {
                            "document": name,
                            "account": line.account_number,
                            "vat_code": line.vat_code,
                            "vat_percent": line.vat_percent,
                            "debit": debit,
                            "credit": credit,
                        }
                    )
        for (code, percent), amount in self._netvisor_tax_amounts(moves).items():
            by_code[code, percent][1] += amount
        sign = -1 if self.kind == "sale" else 1
        return {
            "accounts": [
                {
                    "account": account,
                    "vat_code": code,
                    "vat_percent": percent,
                    "debit": debit,
                    "credit": credit,
                    "net": debit - credit,
                }
                for (account, code, percent), (debit, credit) in sorted(accounts.items())
            ],
            "vat": [
                {
                    "vat_code": code,
                    "vat_percent": percent,
                    "net": sign * net,
                    "vat": sign * tax,
                    # self-assessed VAT is not part of what the supplier invoiced
                    "gross": sign * (net if code in vat.SELF_ASSESSED else net + tax),
                }
                for (code, percent), (net, tax) in sorted(by_code.items())
            ],
            "documents": documents,
            "lines": lines,
        }

    def _netvisor_tax_amounts(self, moves):
        """{(VAT code, percent): amount} of the documents' tax lines: the VAT booked for
        each code. A reverse charge books the VAT twice (deductible and payable): only its
        positive share counts, as on the VAT return."""
        if not moves:
            return {}
        self.env["account.move.line"].flush_model(
            ["move_id", "tax_line_id", "balance", "tax_repartition_line_id"]
        )
        rows = self.env.execute_query(
            SQL(
                """SELECT line.tax_line_id, SUM(line.balance)
                     FROM account_move_line line
                     JOIN account_tax_repartition_line rep
                       ON rep.id = line.tax_repartition_line_id
                    WHERE line.move_id = ANY(%s) AND rep.factor_percent > 0
                 GROUP BY line.tax_line_id""",
                list(moves.ids),
            )
        )
        amounts = defaultdict(Decimal)
        taxes = self.env["account.tax"].browse(row[0] for row in rows)  # read together
        for tax, (_tax_id, amount) in zip(taxes, rows, strict=True):
            code = tax.netvisor_vat_code or "NONE"
            percent = _percent(tax.amount) if tax.amount_type == "percent" else Decimal(0)
            # as the base lines are sent (account.move._netvisor_vat)
            amounts[code, vat.sent_percent(code, percent)] += _amount(amount)
        return amounts

    # ------------------------------------------------------------------ exports

    def action_netvisor_print(self):
        return self.env.ref("ecomjet_netvisor.action_report_netvisor_period").report_action(self)

    def action_netvisor_export_xlsx(self):
        """The report and the last comparison as a workbook, one sheet per view."""
        self.ensure_one()
        content = self._netvisor_xlsx()
        name = f"{self.name.replace('/', '-')}.xlsx"
        self.check_access("read")
        # a reader of the period may export it: the file is attached by the system
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": name,
                    "datas": base64.b64encode(content),
                    "res_model": self._name,
                    "res_id": self.id,
                    "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                }
            )
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "download",
        }

    def _netvisor_xlsx(self):
        report = self._netvisor_report_data()
        kinds = dict(
            self.env["netvisor.compare.sum"]._fields["line_type"]._description_selection(self.env)
        )
        sums = [
            {
                "kind": kinds[row.line_type],
                "account": row.account_number,
                "vat_code": row.vat_code or "",
                "vat_percent": row.vat_percent if row.line_type == "sum" else "",
                "odoo": row.odoo_amount,
                "netvisor": row.netvisor_amount,
                "difference": row.difference,
            }
            for row in self.compare_sum_ids
        ]
        # headings first, one per statement (Odoo's term extractor misreads a string beside
        # a translated call inside one expression)
        head = {}
        head["account"] = self.env._("Netvisor account")
        head["vat_code"] = self.env._("VAT code")
        head["vat_percent"] = self.env._("VAT %")
        head["debit"] = self.env._("Debit")
        head["credit"] = self.env._("Credit")
        head["net"] = self.env._("Net")
        head["vat"] = self.env._("VAT")
        head["gross"] = self.env._("Gross")
        head["name"] = head["document"] = self.env._("Document")
        head["date"] = self.env._("Date")
        head["partner"] = self.env._("Partner")
        head["total"] = self.env._("Total")
        head["state"] = self.env._("Status")
        head["netvisor_key"] = self.env._("Netvisor key")
        head["outcome"] = self.env._("Outcome")
        head["extra_keys"] = self.env._("Extra vouchers")
        head["details"] = self.env._("Details")
        head["kind"] = self.env._("Kind")
        head["odoo"] = self.env._("Odoo")
        head["netvisor"] = self.env._("Netvisor")
        head["difference"] = self.env._("Difference")
        lines = ["account", "vat_code", "vat_percent", "debit", "credit"]
        sheets = []
        sheets.append((self.env._("Accounts"), report["accounts"], [*lines, "net"]))
        sheets.append(
            (self.env._("VAT codes"), report["vat"], [*lines[1:3], "net", "vat", "gross"])
        )
        documents = ["name", "date", "partner", "total", "state", "netvisor_key"]
        sheets.append((self.env._("Documents"), report["documents"], documents))
        sheets.append((self.env._("Voucher lines"), report["lines"], ["document", *lines]))
        comparison = ["outcome", "document", "netvisor_key", "extra_keys", "details"]
        sheets.append((self.env._("Comparison"), self._netvisor_comparison_rows(), comparison))
        totals = ["kind", *lines[:3], "odoo", "netvisor", "difference"]
        sheets.append((self.env._("Sums"), sums, totals))
        stream = io.BytesIO()
        # a partner or Netvisor description starting with "=" stays text, never a formula
        book = xlsxwriter.Workbook(
            stream, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        )
        bold = book.add_format({"bold": True})
        money = book.add_format({"num_format": "#,##0.00"})
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        for title, rows, columns in sheets:
            sheet = book.add_worksheet(title[:31])
            sheet.write_row(0, 0, [head[name] for name in columns], bold)
            sheet.freeze_panes(1, 0)
            for row_index, row in enumerate(rows, start=1):
                for col, name in enumerate(columns):
                    value = row[name]
                    if isinstance(value, Decimal):
                        sheet.write_number(row_index, col, float(value), money)
                    elif isinstance(value, float):
                        sheet.write_number(row_index, col, value, money)
                    elif hasattr(value, "isoformat"):
                        sheet.write_datetime(
                            row_index, col, fields.Datetime.to_datetime(value), day
                        )
                    else:
                        sheet.write(row_index, col, value if value is not False else "")
            sheet.set_column(0, len(columns) - 1, 16)
        book.close()
        return stream.getvalue()

    def _netvisor_comparison_rows(self):
        outcomes = dict(
            self.env["netvisor.compare.line"]._fields["outcome"]._description_selection(self.env)
        )
        return [
            {
                "outcome": outcomes[line.outcome],
                "document": line.move_id.name or line.description or "",
                "netvisor_key": line.netvisor_key or "",
                "extra_keys": line.extra_keys or "",
                "details": line.details or "",
            }
            for line in self.compare_line_ids
        ]
