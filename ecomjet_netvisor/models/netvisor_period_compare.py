"""Compare a closed period with what Netvisor holds (täsmäytys), and store the outcome.

Netvisor is read in as few requests as its API allows (API.md §6.4, §11.4): the ledger of
the period's dates, then by key every voucher that query missed (a voucher whose date was
edited in Netvisor), the deletions of the last 7 days, and the account balances of the
period. The decision of what differs belongs to ``netvisor.reconcile``.
"""

import datetime
import logging
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..kinds import KINDS
from ..netvisor import errors, reconcile
from ..netvisor.client import MAX_LEDGER_KEYS
from .netvisor_compare import DOCUMENT_MISSING
from .netvisor_voucher import _commit

_logger = logging.getLogger(__name__)

#: How far back Netvisor lists deleted vouchers (API.md §11.4).
DELETIONS_KEPT = datetime.timedelta(days=7)
#: The nightly check looks at the periods that ended this recently.
AUTO_COMPARE_DAYS = 400
COMPARE_STATES = [
    ("matches", "Matches Netvisor"),
    ("differs", "Differs from Netvisor"),
    ("failed", "Could not compare"),
]


def _cents(value):
    return Decimal(value).quantize(Decimal("0.01"))


class NetvisorPeriod(models.Model):
    # a module of its own, on purpose: the period's sender, comparison and report are
    # three owners of three concerns
    _inherit = "netvisor.period"  # pylint: disable=consider-merging-classes-inherited

    compare_state = fields.Selection(
        COMPARE_STATES, string="Comparison", readonly=True, copy=False, index=True
    )
    compared_on = fields.Datetime("Compared on", readonly=True, copy=False)
    compared_by_id = fields.Many2one("res.users", "Compared by", readonly=True, copy=False)
    compare_summary = fields.Text("Comparison summary", readonly=True, copy=False)
    compare_line_ids = fields.One2many(
        "netvisor.compare.line", "period_id", string="Differences", readonly=True
    )
    compare_sum_ids = fields.One2many(
        "netvisor.compare.sum", "period_id", string="Sums", readonly=True
    )
    compare_matched_count = fields.Integer("Vouchers that match", readonly=True, copy=False)

    # ------------------------------------------------------------------ user action

    def action_netvisor_compare(self):
        """Compare these periods with Netvisor now and show the outcome."""
        self.check_access("write")
        for period in self:
            period._netvisor_compare()
        if len(self) != 1:
            return True
        kind = "success" if self.compare_state == "matches" else "warning"
        action = self.company_id._netvisor_notification(
            self.env._("Compare with Netvisor"), self.compare_summary.replace("\n", " · "), kind
        )
        # and the period shows the stored outcome at once
        action["params"]["next"] = {"type": "ir.actions.client", "tag": "soft_reload"}
        return action

    @api.model
    def _cron_compare(self):
        """The nightly check of the companies that asked for it (Settings)."""
        since = fields.Date.today() - datetime.timedelta(days=AUTO_COMPARE_DAYS)
        companies = self.env["res.company"].search([("netvisor_compare_nightly", "=", True)])
        periods = self.search(
            [
                ("company_id", "in", companies.ids),
                ("date_to", ">=", since),
                ("state", "in", ("sent", "partial")),
            ],
            # the longest unchecked first: a run cut short still moves on
            order="compared_on asc nulls first, id",
        )
        for period in periods:
            period = period._netvisor_in_lang()
            try:
                period._netvisor_compare(post=None)
            except UserError as error:
                # the sender is running for the company: compared on the next night
                _logger.info("Netvisor comparison of %s postponed: %s", period.name, error)
            _commit(self.env)

    # ------------------------------------------------------------------ the comparison

    def _netvisor_compare(self, post=True):
        """Read Netvisor, decide and store the outcome; a Netvisor error is stored as
        'Could not compare' with its explanation. ``post``: say it in the chatter (None:
        only when it does not match, or no longer does — a nightly check that keeps
        matching writes nothing)."""
        self.ensure_one()
        expected, waiting, broken = self._netvisor_expected()
        company = self.company_id
        try:
            with company._netvisor_connection() as client:
                ledger, gone, balances, numbers = self._netvisor_read_back(client, expected)
                documents = self._netvisor_read_documents(client, ledger)
        except errors.NetvisorError as error:
            text = company._netvisor_error_text(error)
            self._netvisor_store_comparison("failed", text, None, {}, post)
            return
        facts = KINDS[self.kind]
        classes = {
            company.root_id.sudo()[facts["voucher_class_field"]] or facts["default_voucher_class"]
        }
        result = reconcile.compare(
            list(expected.values()),
            ledger,
            self.env["netvisor.voucher"]._netvisor_reference_prefix(),
            classes,
            gone,
        )
        netvisor_moves = reconcile.balance_movements(balances, self.date_from, self.date_to)
        movements = {}
        for key, amount in netvisor_moves.items():
            if numbers.get(key):
                movements[numbers[key]] = movements.get(numbers[key], Decimal(0)) + amount
        missing = [voucher for voucher, found in documents.items() if not found]
        summary = self._netvisor_compare_text(result, waiting, broken)
        if missing:
            label = self.env._("Documents missing in Netvisor: %s", len(missing))
            summary = f"{summary}\n{label}"
        self._netvisor_store_comparison(
            "matches" if result.matches and not missing else "differs",
            summary,
            result,
            movements,
            post,
        )
        self._netvisor_store_documents(documents)

    def _netvisor_read_documents(self, client, ledger):
        """{voucher: whether its document is among its attachments in Netvisor} for the
        sent vouchers that carried one not yet seen there (once seen, a document is not
        read again: one request per voucher, API.md §11.3). Only vouchers Netvisor holds
        as valid are asked for; the rest the ledger comparison already names."""
        valid = {v.netvisor_key for v in ledger if not v.is_invalidated}
        vouchers = self.env["netvisor.voucher"].search(
            [
                ("period_id", "=", self.id),
                ("state", "=", "sent"),
                ("document_state", "in", ("attached", "not_arrived")),
                ("netvisor_key", "in", list(valid)),
            ]
        )
        found = {}
        for voucher in vouchers:
            held = client.get_voucher_attachments(voucher.netvisor_key)
            found[voucher] = any(voucher._netvisor_is_its_document(info) for info in held)
        return found

    def _netvisor_store_documents(self, documents):
        """Record on each voucher whether its document arrived; list the missing ones."""
        rows = []
        for voucher, found in documents.items():
            voucher._netvisor_write({"document_state": "arrived" if found else "not_arrived"})
            if found:
                continue
            rows.append(
                {
                    "period_id": self.id,
                    "outcome": DOCUMENT_MISSING,
                    "voucher_id": voucher.id,
                    "netvisor_key": voucher.netvisor_key,
                    "odoo_key": voucher.netvisor_key,
                    "details": self.env._(
                        "%(name)s (%(size)s bytes) is not among the voucher's attachments in "
                        "Netvisor.",
                        name=voucher.document_name,
                        size=voucher.document_size,
                    ),
                }
            )
        if rows:
            self.env["netvisor.compare.line"].sudo().create(rows)

    def _netvisor_expected(self):
        """({document id: Expected} of the period's documents, built from the documents as
        they are now (Odoo's books), how many are not in Netvisor yet, how many cannot be
        built now). Documents not sent are expected absent; one that cannot be built (an
        account lost its mapping) is not compared on a part of its lines."""
        Voucher = self.env["netvisor.voucher"]
        Voucher.flush_model(["period_id", "state", "move_id", "netvisor_key", "voucher_date"])
        rows = self.env.execute_query(
            SQL(
                "SELECT move_id, state, netvisor_key, voucher_date FROM netvisor_voucher"
                " WHERE period_id = %s AND state NOT IN ('cancelled', 'skipped')",
                self.id,
            )
        )
        moves = self.env["account.move"].sudo().browse(row[0] for row in rows)
        data, problems = moves._netvisor_voucher_data()
        names = dict(moves.mapped(lambda move: (move.name, move.id)))
        broken = {names[name] for _kind, _key, name in problems if name in names}
        expected = {}
        for move_id, state, key, day in rows:
            if move_id in broken:
                continue
            voucher = data[move_id]
            expected[move_id] = reconcile.Expected(
                move_id,
                key if state == "sent" else None,
                self._netvisor_expected_lines(voucher),
                date=day or voucher.date,
                sent=state == "sent",
            )
        waiting = sum(1 for _move, state, _key, _day in rows if state != "sent")
        return expected, waiting, len(broken)

    @staticmethod
    def _netvisor_expected_lines(voucher):
        """{(account, VAT code, percent, dimensions): amount} of a built voucher (one line
        per key: the build sums them so)."""
        return {
            (line.account_number, line.vat_code, line.vat_percent, line.dimensions): line.amount
            for line in voucher.lines
        }

    def _netvisor_read_back(self, client, expected):
        """What Netvisor holds: (ledger vouchers, deleted keys, account balances,
        {account key: number})."""
        ledger = client.get_ledger(self.date_from, self.date_to, voucher_status="all")
        seen = {voucher.netvisor_key for voucher in ledger}
        # a voucher whose date was changed in Netvisor is not in the date query
        missed = sorted(
            {item.netvisor_key for item in expected.values() if item.netvisor_key} - seen
        )
        for start in range(0, len(missed), MAX_LEDGER_KEYS):
            ledger += client.get_ledger(netvisor_keys=missed[start : start + MAX_LEDGER_KEYS])
        since = fields.Date.context_today(self) - DELETIONS_KEPT
        gone = {deleted.netvisor_key for deleted in client.get_deleted_vouchers(since)}
        balances = client.get_account_balances(self.date_from, self.date_to, "month")
        numbers = {b.account_key: b.number for b in balances if b.number}
        if any(not b.number for b in balances):
            # the older revision answers without account numbers (API.md §11.4)
            numbers.update({a.netvisor_key: a.number for a in client.get_account_list().accounts})
        return ledger, gone, balances, numbers

    def _netvisor_compare_text(self, result, waiting, broken=0):
        labels = dict(
            self.env["netvisor.compare.line"]._fields["outcome"]._description_selection(self.env)
        )
        parts = [self.env._("Vouchers that match Netvisor: %s.", result.count(reconcile.MATCHES))]
        for outcome in reconcile.OUTCOMES:
            if outcome != reconcile.MATCHES and result.count(outcome):
                parts.append(f"{labels[outcome]}: {result.count(outcome)}")
        differing = sum(1 for odoo, netvisor in result.sums.values() if odoo != netvisor)
        if differing:
            parts.append(self.env._("Account and VAT code rows whose sums differ: %s.", differing))
        if waiting:
            parts.append(
                self.env._("Documents not in Netvisor yet (see their status): %s.", waiting)
            )
        if broken:
            parts.append(
                self.env._(
                    "Documents that cannot be built now (see the close wizard's checks), so "
                    "not compared: %s.",
                    broken,
                )
            )
        return "\n".join(parts)

    def _netvisor_store_comparison(self, state, summary, result, movements, post):
        """Replace the stored outcome; documents that match are counted, not listed."""
        if post is None:
            post = state != "matches" or self.compare_state != "matches"
        self.compare_line_ids.sudo().unlink()
        self.compare_sum_ids.sudo().unlink()
        values = {
            "compare_state": state,
            "compared_on": fields.Datetime.now(),
            "compared_by_id": self.env.user.id,
            "compare_summary": summary,
            "compare_matched_count": result.count(reconcile.MATCHES) if result else 0,
        }
        self.write(values)
        if result is not None:
            self._netvisor_store_findings(result)
            self._netvisor_store_sums(result, movements)
        if post:
            self.message_post(
                body=self.env._("Compared with Netvisor: %s", summary),
                subtype_xmlid="mail.mt_note",
            )

    def _netvisor_store_findings(self, result):
        findings = [f for f in result.findings if f.outcome != reconcile.MATCHES]
        documents = [f.document_id for f in findings if f.document_id]
        vouchers = {
            voucher.move_id.id: voucher
            for voucher in self.env["netvisor.voucher"].search(
                [
                    ("period_id", "=", self.id),
                    ("state", "not in", ("cancelled", "skipped")),
                    ("move_id", "in", documents),
                ]
            )
        }
        rows = []
        for finding in findings:
            voucher = vouchers.get(finding.document_id)
            details = [self._netvisor_difference_text(finding.differences)]
            if finding.moved_to:
                details.append(self.env._("Dated %s in Netvisor.", finding.moved_to))
            if finding.reference_lost:
                details.append(
                    self.env._("Odoo's reference was removed from its description in Netvisor.")
                )
            rows.append(
                {
                    "period_id": self.id,
                    "outcome": finding.outcome,
                    "voucher_id": voucher.id if voucher else False,
                    "netvisor_key": finding.netvisor_key,
                    "odoo_key": finding.odoo_key or False,
                    "extra_keys": ", ".join(finding.extra_keys) or False,
                    "description": finding.description or False,
                    "netvisor_date": finding.date or finding.moved_to or False,
                    "details": "\n".join(filter(None, details)) or False,
                }
            )
        # written by the comparison only: nobody aims a fix by editing a finding
        self.env["netvisor.compare.line"].sudo().create(rows)

    def _netvisor_difference_text(self, differences):
        lines = []
        for account, code, rate, dimensions, odoo, netvisor in differences:
            items = ", ".join(": ".join(pair) for pair in dimensions)
            lines.append(
                self.env._(
                    "%(account)s %(code)s %(percent)s %%%(items)s: Odoo %(odoo)s, "
                    "Netvisor %(netvisor)s",
                    account=account,
                    code=code,
                    percent=rate,
                    items=f" [{items}]" if items else "",
                    odoo=_cents(odoo),
                    netvisor=_cents(netvisor),
                )
            )
        return "\n".join(lines)

    def _netvisor_store_sums(self, result, movements):
        rows = [
            {
                "period_id": self.id,
                "line_type": "sum",
                "account_number": account,
                "vat_code": code,
                "vat_percent": float(rate),
                "odoo_amount": float(odoo),
                "netvisor_amount": float(netvisor),
            }
            for (account, code, rate), (odoo, netvisor) in result.sums.items()
        ]
        numbers = sorted({account for account, _code, _percent in result.sums})
        odoo_balances = self._netvisor_odoo_balances(numbers)
        rows += [
            {
                "period_id": self.id,
                "line_type": "balance",
                "account_number": number,
                "odoo_amount": float(odoo_balances.get(number, 0)),
                "netvisor_amount": float(movements.get(number, 0)),
            }
            for number in numbers
        ]
        self.env["netvisor.compare.sum"].sudo().create(rows)

    def _netvisor_odoo_balances(self, numbers):
        """{Netvisor account number: debit − credit} of every posted journal item of the
        period's dates on the Odoo accounts mapped to it (any journal, the whole company)."""
        maps = self.env["netvisor.account.map"]._netvisor_maps_by_account(self.company_id)
        accounts = {
            account_id: mapping.netvisor_account_number
            for account_id, mapping in maps.items()
            if mapping.netvisor_account_number in numbers
        }
        if not accounts:
            return {}
        self.env["account.move.line"].flush_model(["account_id", "balance", "date", "parent_state"])
        rows = self.env.execute_query(
            SQL(
                """SELECT account_id, SUM(balance) FROM account_move_line
                    WHERE account_id = ANY(%s) AND parent_state = 'posted'
                      AND date BETWEEN %s AND %s AND company_id = ANY(%s)
                 GROUP BY account_id""",
                list(accounts),
                self.date_from,
                self.date_to,
                self.env["res.company"].sudo().search([("id", "child_of", self.company_id.id)]).ids,
            )
        )
        balances = {}
        for account_id, amount in rows:
            number = accounts[account_id]
            balances[number] = balances.get(number, Decimal(0)) + _cents(amount)
        return balances
