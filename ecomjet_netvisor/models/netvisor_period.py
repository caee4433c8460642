import logging
import time
from dataclasses import dataclass
from datetime import timedelta

import psycopg2
from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.modules import module

from .. import messages
from ..kinds import KINDS
from ..netvisor.client import CONNECT_TIMEOUT
from .netvisor_voucher import CONTINUE, MAY_BE_IN_NETVISOR, TO_SEND, Step, _commit
from .netvisor_voucher_document import DOCUMENT_PROBLEMS
from .res_company import CLIENT_RETRIES, SEND_LOCK_NAMESPACE

_logger = logging.getLogger(__name__)

SEND_BATCH = 200
#: The client's read timeout unless the cron's time limit asks for less (API.md §7).
READ_TIMEOUT_PARAM = "ecomjet_netvisor.read_timeout"
DEFAULT_READ_TIMEOUT = 360.0
CLIENT_BACKOFF = 1.0
#: Seconds kept free before the cron's real time limit (prefork kills the worker there).
SAFETY_SECONDS = 10.0
#: Longest run when no time limit applies; the cron is triggered again when work is left.
MAX_RUN_SECONDS = 600.0
#: Failures listed by name in the period's chatter; the rest are counted.
FAILURES_SHOWN = 10
#: The period's counters, computed from its vouchers in SQL: the sender refreshes them
#: once per batch, not at every voucher's commit (a 10,000-voucher period would be counted
#: 10,000 times).
COUNTER_FIELDS = (
    "state",
    "voucher_count",
    "sent_count",
    "failed_count",
    "uncertain_count",
    "amount_total",
)


@dataclass(frozen=True)
class Timing:
    """How long one request may take and how long this run may last (seconds)."""

    read_timeout: float
    per_request: float
    budget: float


class NetvisorPeriod(models.Model):
    _name = "netvisor.period"
    _description = "Netvisor closed period"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_from desc, kind, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", search="_search_name")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    kind = fields.Selection([("sale", "Sales"), ("purchase", "Purchases")], required=True)
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    closed_by_id = fields.Many2one("res.users", readonly=True)
    closed_on = fields.Datetime(readonly=True)
    voucher_ids = fields.One2many("netvisor.voucher", "period_id", string="Vouchers")
    state = fields.Selection(
        # a failure before Sent in the status bar: never a step after it
        [
            ("sending", "Sending"),
            ("failed", "Failed"),
            ("partial", "Partially sent"),
            ("sent", "Sent"),
            ("empty", "No documents"),
        ],
        compute="_compute_counts",
        store=True,
        tracking=True,
    )
    voucher_count = fields.Integer(compute="_compute_counts", store=True)
    sent_count = fields.Integer(compute="_compute_counts", store=True)
    failed_count = fields.Integer(compute="_compute_counts", store=True)
    uncertain_count = fields.Integer(compute="_compute_counts", store=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount_total = fields.Monetary(compute="_compute_counts", store=True)
    previous_lock_date = fields.Date(readonly=True)
    progress_text = fields.Char("Progress", compute="_compute_progress")
    sending_now = fields.Boolean(
        "Being sent now",
        compute="_compute_progress",
        help="Vouchers wait to be sent, or are being sent.",
    )

    _date_check = models.Constraint(
        "CHECK(date_from <= date_to)", "A period cannot end before it starts."
    )

    @api.depends("kind", "date_from", "date_to")
    @api.depends_context("lang")
    def _compute_name(self):
        """In the reader's language (Myynti 12/2025, Sales 12/2025), so not stored."""
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for period in self:
            if not (period.kind and period.date_from and period.date_to):
                period.name = False
                continue
            start, end = period.date_from, period.date_to
            if start.day == 1 and (end + timedelta(days=1)).day == 1 and start.month == end.month:
                span = start.strftime("%m/%Y")
            else:
                span = (
                    f"{messages.date_text(self.env, start)} – {messages.date_text(self.env, end)}"
                )
            period.name = f"{kinds[period.kind]} {span}"

    def _search_name(self, operator, value):
        """Search the names as the reader sees them (a company has a few periods a month)."""
        if operator not in ("ilike", "not ilike", "=", "!=") or not isinstance(value, str):
            return NotImplemented
        wanted = value.casefold()
        periods = self.search_fetch([], ["kind", "date_from", "date_to"])
        if operator in ("ilike", "not ilike"):
            ids = [p.id for p in periods if wanted in (p.name or "").casefold()]
        else:
            ids = [p.id for p in periods if (p.name or "").casefold() == wanted]
        return [("id", "in" if operator in ("ilike", "=") else "not in", ids)]

    @api.depends("voucher_ids.state", "voucher_ids.amount_total")
    def _compute_counts(self):
        """Counted in SQL: a period of 10,000 vouchers is not loaded on every change."""
        counts = {period: {} for period in self}
        totals = dict.fromkeys(self, 0.0)
        groups = self.env["netvisor.voucher"]._read_group(
            [("period_id", "in", self.ids), ("state", "!=", "cancelled")],
            ["period_id", "state"],
            ["__count", "amount_total:sum"],
        )
        for period, state, count, amount in groups:
            counts[period][state] = count
            totals[period] += amount
        for period in self:
            states = counts.get(period, {})
            total = sum(states.values())
            period.voucher_count = total
            period.sent_count = states.get("sent", 0)
            done = period.sent_count + states.get("skipped", 0)
            period.failed_count = states.get("failed", 0) + states.get("to_check", 0)
            period.uncertain_count = states.get("uncertain", 0) + states.get("sending", 0)
            period.amount_total = totals.get(period, 0.0)
            if not total:
                period.state = "empty"
            elif done == total:
                period.state = "sent"
            elif any(states.get(state) for state in TO_SEND):
                period.state = "sending"
            elif period.sent_count:
                period.state = "partial"
            else:
                period.state = "failed"

    @api.depends("sent_count", "voucher_count", "state")
    @api.depends_context("lang")
    def _compute_progress(self):
        """From the vouchers as they are now (the stored counters follow once per batch of
        the sender), so that the line agrees with the voucher list shown under it."""
        counts = {}
        for period, state, count in self.env["netvisor.voucher"]._read_group(
            [("period_id", "in", self.ids), ("state", "!=", "cancelled")],
            ["period_id", "state"],
            ["__count"],
        ):
            counts.setdefault(period, {})[state] = count
        for period in self:
            states = counts.get(period, {})
            total = sum(states.values())
            period.sending_now = bool(states.get("pending") or states.get("sending"))
            period.progress_text = total and self.env._(
                "Sent to Netvisor: %(sent)s of %(total)s",
                sent=states.get("sent", 0) + states.get("skipped", 0),
                total=total,
            )

    def _netvisor_notify_progress(self):
        """Tell the browsers of whoever closed these periods that they moved on (the form
        reloads itself: ``static/src/period_live.js``)."""
        for user in self.closed_by_id:
            mine = self.filtered(lambda p, u=user: p.closed_by_id == u)
            user._bus_send("ecomjet_netvisor/progress", {"period_ids": mine.ids})

    # ------------------------------------------------------------------ user actions

    def action_view_vouchers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ecomjet_netvisor.action_netvisor_voucher"
        )
        action["domain"] = [("period_id", "=", self.id)]
        action["context"] = {"default_period_id": self.id}
        return action

    def action_resend(self):
        """Send again what has not surely reached Netvisor: failed vouchers are sent, those
        that may be in Netvisor are looked up first, once their request can no longer land."""
        self.check_access("write")
        vouchers = self.voucher_ids
        failed = vouchers.filtered(lambda v: v.state == "failed")
        to_check = vouchers.filtered(lambda v: v.state == "to_check")
        waiting = vouchers.filtered(lambda v: v.state in ("sending", "uncertain"))
        if not (failed or to_check or waiting):
            raise UserError(messages.text(self.env, "NOTHING_TO_RESEND"))
        failed._netvisor_mark_pending()
        now = fields.Datetime.now()
        lookups = {}
        for voucher in to_check | waiting.filtered(lambda v: v.state == "uncertain"):
            landing = max(now, voucher._netvisor_landing_time())
            lookups[voucher] = landing
            voucher._netvisor_mark_uncertain(voucher.error_category, voucher.error_message, landing)
        running = self.env["netvisor.voucher"]._netvisor_landing_time(now=True)
        for company in self.company_id.sudo():
            # Netvisor away: try sooner; a request that may still run keeps the company
            # waiting (it can run at most Netvisor's own timeout from now)
            waits = [when for voucher, when in lookups.items() if voucher.company_id == company]
            if company.netvisor_send_after:
                waits.append(min(company.netvisor_send_after, running))
            company.netvisor_send_after = max(waits, default=False)
        for company in self.company_id:
            company._netvisor_sender_cron()._trigger()
        for period in self:
            lines = [messages.text(self.env, "RESEND", self.env.user.name)]
            latest = max(
                (when for voucher, when in lookups.items() if voucher.period_id == period),
                default=None,
            )
            if latest and latest > now:
                lines.append(vouchers[:1]._netvisor_when("MAY_BE_STORED", latest))
            period.message_post(body=Markup("<br/>").join(lines))
        return True

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_netvisor(self):
        """What is (or may be) in Netvisor keeps its record in Odoo."""
        for period in self:
            if period.voucher_ids.filtered(lambda v: v.state in MAY_BE_IN_NETVISOR):
                raise UserError(
                    self.env._(
                        "%s cannot be reopened: some of its vouchers are in Netvisor or may be.",
                        period.name,
                    )
                )

    def action_reopen(self):
        """Undo a close whose material never reached Netvisor and give back the lock date."""
        self.check_access("unlink")
        self._unlink_except_in_netvisor()
        for period in self:
            later = self.search(
                [
                    ("company_id", "=", period.company_id.id),
                    ("kind", "=", period.kind),
                    ("date_from", ">", period.date_to),
                ],
                limit=1,
            )
            if later:
                raise UserError(self.env._("Reopen the later period %s first.", later.name))
            lock_field = KINDS[period.kind]["lock_field"]
            company = period.company_id.sudo()
            if company[lock_field] == period.date_to:
                company[lock_field] = period.previous_lock_date
        moves = self.voucher_ids.move_id
        self.unlink()
        # the vouchers went with a database cascade, which recomputes nothing: without
        # this, the documents would still say "Pending" for a period that is gone
        Move = self.env["account.move"]
        moves.invalidate_recordset(["netvisor_voucher_ids"])
        for name in ("netvisor_voucher_id", "netvisor_state"):
            self.env.add_to_compute(Move._fields[name], moves)
        moves.flush_recordset(["netvisor_voucher_id", "netvisor_state"])
        # back to the list, as a fresh start: the period shown a moment ago (and its
        # breadcrumb) no longer exists, and must not be reloaded
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ecomjet_netvisor.action_netvisor_period"
        )
        action["target"] = "main"
        return action

    # ------------------------------------------------------------------ the sender's loop

    @api.model
    def _cron_dispatch(self):
        """The hourly safety net: wake the sender cron of every company with work due.

        Each company has its own cron (``res.company._netvisor_sender_cron``), so that
        several cron workers send for several companies at once."""
        self._netvisor_schedule_next()

    @api.model
    def _cron_send_vouchers(self, company_ids=None):
        """Send what is due for these companies (all when None), one request at a time per
        company; one company's broken settings or stray error never stops the others."""
        timing = self._netvisor_timing()
        end = time.monotonic() + timing.budget
        companies = self._netvisor_due_companies()
        if company_ids is not None:
            companies = [company for company in companies if company.id in company_ids]
        for company in companies:
            if time.monotonic() + timing.per_request >= end:
                break
            if not self._send_lock(company):
                _logger.info("Netvisor sending for company %s runs elsewhere", company.id)
                continue
            try:
                self._netvisor_guarded(company, timing, end)
            finally:
                self._send_unlock(company)
        try:
            self._netvisor_schedule_next(company_ids)
            if not module.current_test:
                # done for this run: Odoo must not call again at once (the trigger says when)
                self.env["ir.cron"]._commit_progress(remaining=0)
        except psycopg2.errors.SerializationFailure:
            # a user's Resend changed the same rows: the hourly run or the next trigger
            # schedules again
            self.env.cr.rollback()
            _logger.warning("Netvisor: scheduling the next run met a concurrent update")

    @api.model
    def _netvisor_guarded(self, company, timing, end):
        """Send one company and commit; a stray error is logged and rolled back, never
        raised. What was committed before stays: the Sending mark of a request is durable
        before the request, so a rolled back answer is looked up, not lost."""
        try:
            if module.current_test:
                with self.env.cr.savepoint():
                    self._netvisor_send_company(company, timing, end)
            else:
                self._netvisor_send_company(company, timing, end)
                _commit(self.env)
        except psycopg2.errors.SerializationFailure:
            # a user's Resend changed the same vouchers meanwhile: simply the next run
            if not module.current_test:
                self.env.cr.rollback()
            _logger.warning("Netvisor sending for company %s met a concurrent update", company.id)
        except Exception:
            if not module.current_test:
                self.env.cr.rollback()
            _logger.exception("Netvisor sending for company %s failed", company.id)
            # not at once again: the cron would spin on the same error
            retry = self.env["netvisor.voucher"]._netvisor_retry_time()
            company.sudo().netvisor_send_after = retry
            _commit(self.env)

    @api.model
    def _netvisor_timing(self):
        """Fit the client's timeouts and this run inside the cron's real time limit: in
        prefork mode Odoo kills a cron worker past ``limit_time_real_cron``."""
        limit = tools.config.get("limit_time_real_cron")
        if limit is None or limit < 0:
            limit = tools.config.get("limit_time_real")
        read = self.env["netvisor.voucher"]._netvisor_seconds(
            READ_TIMEOUT_PARAM, DEFAULT_READ_TIMEOUT
        )
        attempts = CLIENT_RETRIES + 1
        backoff = CLIENT_BACKOFF * CLIENT_RETRIES
        budget = limit - SAFETY_SECONDS if limit and limit > 0 else MAX_RUN_SECONDS
        if limit and limit > 0:
            # a request with its retries fits twice in the run: one may start late in it
            per_attempt = max(2.0, (budget / 2 - backoff) / attempts)
            read = min(read, per_attempt - min(CONNECT_TIMEOUT, per_attempt / 2))
        per_request = attempts * (read + min(CONNECT_TIMEOUT, read)) + backoff
        return Timing(read_timeout=read, per_request=per_request, budget=budget)

    @api.model
    def _netvisor_due_domain(self):
        """Vouchers the sender works on now: pending, left in Sending by a stopped worker,
        uncertain ones whose earlier request can no longer land, and the ones to correct
        whose document is posted again or cancelled."""
        now = fields.Datetime.now()
        return [
            "|",
            ("state", "in", ("pending", "sending")),
            "&",
            "|",
            ("state", "=", "uncertain"),
            # changed after sending, and no longer being edited
            "&",
            ("state", "=", "to_correct"),
            ("move_id.state", "!=", "draft"),
            "|",
            ("lookup_after", "=", False),
            ("lookup_after", "<=", now),
        ]

    @api.model
    def _netvisor_due_companies(self):
        now = fields.Datetime.now()
        groups = self.env["netvisor.voucher"]._read_group(
            self._netvisor_due_domain(), ["company_id"]
        )
        return [
            company
            for (company,) in groups
            if not company.sudo().netvisor_send_after or company.sudo().netvisor_send_after <= now
        ]

    @api.model
    def _send_lock(self, company):
        """A PostgreSQL lock: one sender per company across workers and machines."""
        self.env.cr.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", (SEND_LOCK_NAMESPACE, company.id)
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _send_unlock(self, company):
        query = "SELECT pg_advisory_unlock(%s, %s)"
        try:
            self.env.cr.execute(query, (SEND_LOCK_NAMESPACE, company.id))
        except psycopg2.Error:
            # the transaction failed: roll it back, the lock lives in the session
            self.env.cr.rollback()
            self.env.cr.execute(query, (SEND_LOCK_NAMESPACE, company.id))

    @api.model
    def _netvisor_send_company(self, company, timing, end):
        """The company's due vouchers in batches, until done, paused, stopped or out of time."""
        Voucher = self.env["netvisor.voucher"]
        mine = [("company_id", "=", company.id)]
        landing = Voucher.search([*mine, ("state", "=", "sending")])._netvisor_interrupted()
        if landing and landing > fields.Datetime.now():
            # a stopped worker's request may still run in Netvisor: one at a time
            company.sudo().netvisor_send_after = landing
            return
        domain = [*mine, *self._netvisor_due_domain()]
        try:
            client = company._netvisor_client(timeout=timing.read_timeout)
        except UserError:
            waiting = Voucher.search(domain)
            waiting._netvisor_configuration_failed()
            company.sudo().netvisor_send_after = Voucher._netvisor_retry_time()
            self._netvisor_report(waiting.period_id)
            return
        handled, step = self._netvisor_send_batches(client, domain, timing, end)
        periods = handled.period_id
        if step.stop:
            # nothing can be sent until a person fixes the settings: say so on each voucher
            stopped = handled[-1:]
            pending = Voucher.search([*mine, ("state", "=", "pending")])
            pending._netvisor_mark_failed(stopped.error_category, stopped.error_message)
            periods |= pending.period_id
            step = Step(pause_until=Voucher._netvisor_retry_time())
        if step.pause_until:
            company.sudo().netvisor_send_after = step.pause_until
        self._netvisor_report(periods)

    @api.model
    def _netvisor_send_batches(self, client, domain, timing, end):
        """Batches of due vouchers in id order, each at most once a run; returns the
        vouchers handled and the Step that ended the loop.

        Per voucher: one commit carries the previous voucher's result and this one's
        Sending mark, durable before its POST. The periods' counters are refreshed once per
        batch, in SQL."""
        Voucher = self.env["netvisor.voucher"]
        handled, step = Voucher.browse(), CONTINUE
        started, queries = time.monotonic(), self.env.cr.sql_log_count
        client_seconds = client.request_seconds
        while time.monotonic() + timing.per_request < end:
            after = [("id", ">", handled[-1].id)] if handled else []
            batch = Voucher.search([*domain, *after], limit=SEND_BATCH, order="id")
            if not batch:
                break
            done, step = batch.with_context(netvisor_refresh_later=True)._netvisor_send_batch(
                client, lambda: time.monotonic() + timing.per_request < end
            )
            batch._netvisor_refresh()
            for period in batch.period_id:
                # recomputed in the closer's language: the state's tracking in the chatter
                # is written by this recompute (a flush by the cron's env would be English)
                period._netvisor_in_lang().flush_recordset(list(COUNTER_FIELDS))
            batch.period_id._netvisor_notify_progress()
            handled |= done
            if not module.current_test:
                self.env["ir.cron"]._commit_progress(len(done))
            # the batch's records leave the cache: memory is bounded by the batch
            self.env.invalidate_all()
            if step != CONTINUE or len(done) < len(batch):
                break
        if handled:
            wall = time.monotonic() - started
            remote = client.request_seconds - client_seconds
            queries = self.env.cr.sql_log_count - queries
            _logger.info(
                "Netvisor: company %s: %d vouchers in %.2f s, Netvisor %.2f s, %d queries "
                "(own %.2f ms and %.1f queries per voucher)",
                handled[:1].company_id.id,
                len(handled),
                wall,
                remote,
                queries,
                1000 * (wall - remote) / len(handled),
                queries / len(handled),
            )
        return handled, step

    def _netvisor_refresh_counts(self):
        """Recompute the counters when next read or flushed (one SQL query for all these
        periods); the vouchers' transitions call it, the sender once per batch."""
        for name in COUNTER_FIELDS:
            self.env.add_to_compute(self._fields[name], self)

    @api.model
    def _netvisor_schedule_next(self, company_ids=None):
        """Trigger each company's sender cron when work is due, and when its next waiting
        voucher will be (only these companies when ``company_ids`` is given)."""
        now = fields.Datetime.now()
        Voucher = self.env["netvisor.voucher"].sudo()
        mine = [("company_id", "in", company_ids)] if company_ids is not None else []
        moments = {}
        for company, when in Voucher._read_group(
            # a lookup, or a correction's invalidation to try again
            [*mine, ("state", "in", ("uncertain", "to_correct")), ("lookup_after", ">", now)],
            ["company_id"],
            ["lookup_after:min"],
        ):
            moments[company] = when
        for (company,) in Voucher._read_group(
            [*mine, *self._netvisor_due_domain()], ["company_id"]
        ):
            after = company.netvisor_send_after
            due = after if after and after > now else now
            moments[company] = min(moments.get(company, due), due)
        for company, when in moments.items():
            company._netvisor_sender_cron()._trigger(when)

    @api.model
    def _netvisor_report(self, periods):
        """One outcome message per period whose sending is complete; failures get one
        activity for whoever closed it, marked done once the period is sent."""
        for period in periods.filtered(lambda p: p.state != "sending"):
            period = period._netvisor_in_lang()
            env = period.env
            problems = self.env["netvisor.voucher"].search(
                [("period_id", "=", period.id), ("state", "in", ("failed", "to_check"))]
            )
            lines = [messages.text(env, "REPORT", period.sent_count, period.voucher_count)]
            details = ", ".join(
                f"{v.move_id.name} ({v.error_category or v.state})"
                for v in problems[:FAILURES_SHOWN]
            )
            if len(problems) > FAILURES_SHOWN:
                details += f" (+{len(problems) - FAILURES_SHOWN})"
            if problems:
                lines += [messages.text(env, messages.SENDING_FAILED), details]
                lines += period._netvisor_failure_advice(problems[:FAILURES_SHOWN])
            period.message_post(body=Markup("<br/>").join(lines))
            user = period.closed_by_id
            if user:
                user._bus_send(
                    "simple_notification",
                    {
                        "type": "warning" if problems else "success",
                        "title": period.name,
                        "message": "\n".join(str(line) for line in lines[:2]),
                        "sticky": bool(problems),
                    },
                )
            if not problems:
                period.activity_feedback(["mail.mail_activity_data_todo"])
            elif user and user not in period.activity_ids.user_id:
                period.activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=user.id,
                    summary=messages.text(env, messages.SENDING_FAILED),
                    note=details,
                )

    def _netvisor_failure_advice(self, problems):
        """What the failures mean and what to do, once per kind: a voucher stopped by its
        document has its own text (naming the document and its size), the rest the
        explanation of their category."""
        advice = []
        for voucher in problems:
            category = voucher.error_category
            if category in DOCUMENT_PROBLEMS and voucher.error_message:
                advice.append(voucher.error_message.splitlines()[0])
            elif category in messages.CATEGORY_TEXTS:
                advice.append(messages.category_text(self.env, category))
        return list(dict.fromkeys(advice))

    def _netvisor_in_lang(self):
        """This period in the language of whoever closed it (else the company's): the cron
        that writes the sender's errors, chatter and activity runs as a user nobody reads."""
        self.ensure_one()
        lang = self.closed_by_id.lang or self.company_id.partner_id.lang
        tz = self.closed_by_id.tz or self.company_id.partner_id.tz
        context = {key: value for key, value in (("lang", lang), ("tz", tz)) if value}
        return self.with_context(**context) if context else self
