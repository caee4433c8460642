import logging
import uuid
from collections import defaultdict
from datetime import timedelta

import psycopg2
from markupsafe import Markup

import odoo
from odoo import api, fields, models
from odoo.exceptions import UserError

from ..netvisor import errors

_logger = logging.getLogger(__name__)

#: What differs between a sales and a purchase period, kept as data (one engine).
KINDS = {
    "sale": {
        "move_types": ("out_invoice", "out_refund"),
        "lock_field": "sale_lock_date",
        "voucher_class_field": "netvisor_sale_voucher_class",
        "default_voucher_class": "Myyntilasku",
    },
    "purchase": {
        "move_types": ("in_invoice", "in_refund"),
        "lock_field": "purchase_lock_date",
        "voucher_class_field": "netvisor_purchase_voucher_class",
        "default_voucher_class": "Ostolasku",
    },
}
KIND_OF_MOVE_TYPE = {
    move_type: kind for kind, facts in KINDS.items() for move_type in facts["move_types"]
}
#: First key of the two-key PostgreSQL advisory lock that serialises sending per company.
SEND_LOCK_NAMESPACE = 0x4E560001
SEND_BATCH = 50
#: Attempts for answers that say Netvisor stored nothing and will accept later (maintenance,
#: technical error, not reachable); the connector already retries each a few times.
MAX_TRANSIENT_ATTEMPTS = 5
TRANSIENT_RETRY_DELAY = timedelta(minutes=10)
#: A voucher still in Sending this long after its last write was abandoned by a crashed
#: worker (Netvisor's own timeout is 6 minutes); the cron then looks it up in the ledger.
STALE_SENDING_AFTER = timedelta(hours=1)


class _StopCompany(Exception):
    """Stop sending for this company in this run (credentials refused, Netvisor away)."""

    def __init__(self, retry_in=None):
        super().__init__()
        #: when to run the cron again (None: only when the user acts)
        self.retry_in = retry_in


class NetvisorPeriod(models.Model):
    _name = "netvisor.period"
    _description = "Netvisor closed period"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_from desc, kind, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
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
        [
            ("sending", "Sending"),
            ("sent", "Sent"),
            ("partial", "Partially sent"),
            ("failed", "Failed"),
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

    _date_check = models.Constraint(
        "CHECK(date_from <= date_to)", "A period cannot end before it starts."
    )

    @api.depends("kind", "date_from", "date_to")
    def _compute_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for period in self:
            if not (period.kind and period.date_from and period.date_to):
                period.name = False
                continue
            start, end = period.date_from, period.date_to
            if start.day == 1 and (end + timedelta(days=1)).day == 1 and start.month == end.month:
                span = start.strftime("%m/%Y")
            else:
                span = f"{start.isoformat()} - {end.isoformat()}"
            period.name = f"{kinds[period.kind]} {span}"

    @api.depends("voucher_ids.state", "voucher_ids.amount_total")
    def _compute_counts(self):
        for period in self:
            vouchers = period.voucher_ids.filtered(lambda v: v.state != "cancelled")
            states = vouchers.mapped("state")
            period.voucher_count = len(vouchers)
            period.sent_count = states.count("sent")
            period.failed_count = states.count("failed")
            period.uncertain_count = states.count("uncertain")
            period.amount_total = sum(vouchers.mapped("amount_total"))
            if not vouchers:
                period.state = "empty"
            elif period.sent_count == len(vouchers):
                period.state = "sent"
            elif {"pending", "sending"} & set(states):
                period.state = "sending"
            elif period.sent_count:
                period.state = "partial"
            else:
                period.state = "failed"

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
        """Send again what has not reached Netvisor; the sender looks uncertain ones up first."""
        self.check_access("write")
        vouchers = self.voucher_ids
        failed = vouchers.filtered(lambda v: v.state == "failed")
        unknown = vouchers.filtered(lambda v: v.state in ("sending", "uncertain"))
        if not failed and not unknown:
            raise UserError(self.env._("Every voucher of this period has already been handled."))
        failed.write({"state": "pending", "retry_requested": False})
        unknown.write({"retry_requested": True})
        self.env.ref("ecomjet_netvisor.ir_cron_netvisor_send")._trigger()
        for period in self:
            period.message_post(
                body=self.env._("Resend requested by %s.", self.env.user.name),
            )
        return True

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_netvisor(self):
        """What is (or may be) in Netvisor keeps its record in Odoo."""
        for period in self:
            if period.voucher_ids.filtered(
                lambda v: v.state in ("sent", "sending", "uncertain") or v.lookup_needed
            ):
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
        self.unlink()
        return {"type": "ir.actions.act_window_close"}

    # ------------------------------------------------------------------ sending (DESIGN §6)

    @api.model
    def _cron_send_vouchers(self):
        self._send_pending()

    @api.model
    def _send_domain(self):
        """Pending vouchers, unknown outcomes the user asked to resend, and vouchers left in
        Sending by a worker that died (long after any request could still be running)."""
        stale = fields.Datetime.now() - STALE_SENDING_AFTER
        return [
            "|",
            "|",
            ("state", "=", "pending"),
            "&",
            ("state", "in", ("sending", "uncertain")),
            ("retry_requested", "=", True),
            "&",
            ("state", "=", "sending"),
            ("write_date", "<", stale),
        ]

    @api.model
    def _send_pending(self, limit=None, commit=None):
        """Send every voucher waiting to be sent, company by company, one request at a time.

        ``commit`` (default: not under test) commits after each state change so a crash
        never loses what Netvisor was told; tests run it inside their transaction.
        """
        if commit is None:
            commit = not odoo.modules.module.current_test
        Voucher = self.env["netvisor.voucher"]
        groups = Voucher._read_group(self._send_domain(), ["company_id"], ["__count"])
        if commit:
            self.env["ir.cron"]._commit_progress(remaining=sum(count for _c, count in groups))
        budget = limit
        for company, _count in groups:
            if budget is not None and budget <= 0:
                break
            if not self._send_lock(company):
                _logger.info("Netvisor sending for company %s runs elsewhere", company.id)
                continue
            try:
                sent = self._send_company(company, budget, commit)
            finally:
                self._send_unlock(company)
            if budget is not None:
                budget -= sent

    @api.model
    def _send_lock(self, company):
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
    def _send_company(self, company, limit, commit):
        """Send the company's waiting vouchers in batches; return how many were handled."""
        Voucher = self.env["netvisor.voucher"]
        domain = [*self._send_domain(), ("company_id", "=", company.id)]
        try:
            client = company._netvisor_client()
        except UserError as error:
            # settings missing or wrong: nothing can be sent until the user fixes them; what
            # may already be in Netvisor keeps its state, so Resend looks it up first
            waiting = Voucher.search(domain)
            for period in waiting.period_id:
                translated = period._netvisor_in_lang()._netvisor_config_error(company)
                values = {
                    "retry_requested": False,
                    "error_category": "CONFIGURATION",
                    "error_message": translated or str(error),
                }
                vouchers = waiting.filtered(lambda v, p=period: v.period_id == p)
                pending = vouchers.filtered(lambda v: v.state == "pending")
                pending.write({**values, "state": "failed"})
                (vouchers - pending).write(values)
            self._send_report_periods(waiting.period_id)
            self._netvisor_commit(commit)
            return 0
        handled = 0
        periods = self.browse()
        retry_in = None
        while limit is None or handled < limit:
            size = SEND_BATCH if limit is None else min(SEND_BATCH, limit - handled)
            batch = Voucher.search(domain, limit=size, order="id")
            if not batch:
                break
            periods |= batch.period_id
            data, problems = batch._prepare_netvisor_vouchers()
            problems_of = defaultdict(list)
            for problem in problems:
                problems_of[problem[2]].append(problem)
            envs = {period.id: period._netvisor_in_lang().env for period in batch.period_id}
            try:
                for voucher in batch:
                    handled += 1
                    # texts in the closer's language, not the cron user's
                    voucher = voucher.with_env(envs[voucher.period_id.id])
                    name, blocked = voucher.move_id.name, None
                    if problems_of[name]:
                        blocked = voucher._netvisor_problem_texts(problems_of[name])[name]
                    remaining = self._send_one(client, voucher, data[voucher.id], blocked, commit)
                    if remaining <= 0:
                        raise _StopCompany(retry_in=timedelta(0))
            except _StopCompany as stop:
                retry_in = stop.retry_in
                break
        if retry_in is not None:
            cron = self.env.ref("ecomjet_netvisor.ir_cron_netvisor_send")
            cron._trigger(fields.Datetime.now() + retry_in)
        self._send_report_periods(periods)
        self._netvisor_commit(commit)
        return handled

    @api.model
    def _send_one(self, client, voucher, data, blocked, commit):
        """Bring one voucher to Netvisor exactly once; return the cron's remaining time.

        ``blocked`` is why the voucher cannot be built (e.g. an account lost its mapping).
        """
        if voucher.state in ("sending", "uncertain") or voucher.lookup_needed:
            # not looked up: a voucher in Sending stays so, any other becomes Uncertain
            unknown = "sending" if voucher.state == "sending" else "uncertain"
            try:
                found = [
                    ledger_voucher
                    for ledger_voucher in client.find_vouchers_by_reference(
                        voucher.reference, voucher.move_id.date, voucher.move_id.date
                    )
                    # ODOO-x-12 starts with ODOO-x-1 too: the reference must end there
                    if ledger_voucher.description.removeprefix(voucher.reference)[:1] in ("", " ")
                ]
            except errors.AuthenticationFailed as error:
                self._send_failed(voucher, error, unknown)
                self._netvisor_commit(commit)
                raise _StopCompany() from None
            except (errors.NotSentError, errors.SystemMaintenance, errors.TechnicalError) as error:
                # Netvisor away for a while: keep the state and the Resend request, come back
                voucher.write(
                    {
                        "error_category": error.category,
                        "error_message": voucher.company_id._netvisor_error_text(error),
                    }
                )
                self._netvisor_commit(commit)
                raise _StopCompany(retry_in=TRANSIENT_RETRY_DELAY) from None
            except errors.NetvisorError as error:
                self._send_failed(voucher, error, unknown)
                return self._netvisor_commit(commit, 1)
            if found:
                voucher.write(
                    {
                        "state": "sent",
                        "netvisor_key": found[0].netvisor_key,
                        "sent_on": fields.Datetime.now(),
                        "retry_requested": False,
                        "lookup_needed": False,
                        "error_category": False,
                        "error_message": False,
                    }
                )
                return self._netvisor_commit(commit, 1)
            voucher.lookup_needed = False  # not in Netvisor: it may be sent
        if blocked:
            voucher.write(
                {
                    "state": "failed",
                    "retry_requested": False,
                    "error_category": "MAPPING",
                    "error_message": blocked,
                }
            )
            return self._netvisor_commit(commit, 1)
        try:
            request_xml = client.build_voucher_xml(data)  # built once: stored and sent
        except errors.VoucherValidationError as error:
            self._send_failed(voucher, error, "failed")
            return self._netvisor_commit(commit, 1)
        transaction_id = uuid.uuid4().hex
        voucher.write(
            {
                "state": "sending",
                "transaction_id": transaction_id,
                "attempts": voucher.attempts + 1,
                "request_xml": request_xml.decode("utf-8"),
                "retry_requested": False,
                "lookup_needed": True,
                "error_category": False,
                "error_message": False,
            }
        )
        self._netvisor_commit(commit)
        try:
            key = client.import_voucher(data, transaction_id=transaction_id, xml=request_xml)
        except (errors.OutcomeUnknownError, errors.BadResponseError) as error:
            self._send_failed(voucher, error, "uncertain")
        except errors.AuthenticationFailed as error:
            self._send_failed(voucher, error, "failed")
            self._netvisor_commit(commit)
            raise _StopCompany() from None
        except (errors.NotSentError, errors.SystemMaintenance, errors.TechnicalError) as error:
            # Netvisor stored nothing and will accept it later: wait, a bounded number of times
            again = voucher.attempts < MAX_TRANSIENT_ATTEMPTS
            self._send_failed(voucher, error, "pending" if again else "failed")
            self._netvisor_commit(commit)
            raise _StopCompany(retry_in=TRANSIENT_RETRY_DELAY if again else None) from None
        except errors.NetvisorError as error:
            self._send_failed(voucher, error, "failed")
        else:
            voucher.write(
                {
                    "state": "sent",
                    "netvisor_key": key,
                    "sent_on": fields.Datetime.now(),
                    "lookup_needed": False,
                }
            )
        return self._netvisor_commit(commit, 1)

    @api.model
    def _send_failed(self, voucher, error, state):
        """Record an error; Pending/Failed mean Netvisor surely stored nothing."""
        values = {
            "state": state,
            "retry_requested": False,
            "error_category": error.category,
            "error_message": voucher.company_id._netvisor_error_text(error),
        }
        if state in ("pending", "failed"):
            values["lookup_needed"] = False
        voucher.write(values)

    def _netvisor_in_lang(self):
        """This period in the language of whoever closed it (else the company's): the cron
        that writes the sender's errors, chatter and activity runs as a user nobody reads."""
        self.ensure_one()
        lang = self.closed_by_id.lang or self.company_id.partner_id.lang
        return self.with_context(lang=lang) if lang else self

    def _netvisor_config_error(self, company):
        """The company's settings error in this environment's language (None: no error)."""
        try:
            company.with_env(self.env)._netvisor_client()
        except UserError as error:
            return str(error)
        return None

    @api.model
    def _netvisor_commit(self, commit, processed=0):
        """Commit the sender's progress (a no-op inside tests); return the time left."""
        if not commit:
            return float("inf")
        return self.env["ir.cron"]._commit_progress(processed)

    @api.model
    def _send_report_periods(self, periods):
        """Tell each period's chatter how sending went; failures get an activity."""
        for period in periods:
            period = period._netvisor_in_lang()
            vouchers = period.voucher_ids
            problems = vouchers.filtered(lambda v: v.state in ("failed", "uncertain"))
            lines = [
                period.env._(
                    "Netvisor: %(sent)s of %(total)s vouchers sent.",
                    sent=period.sent_count,
                    total=period.voucher_count,
                )
            ]
            details = ", ".join(
                f"{v.move_id.name} ({v.error_category or v.state})" for v in problems
            )
            if problems:
                lines += [period.env._("Sending invoices to Netvisor failed."), details]
            period.message_post(body=Markup("<br/>").join(lines))
            user = period.closed_by_id
            if problems and user and user not in period.activity_ids.user_id:
                period.activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=user.id,
                    summary=period.env._("Sending invoices to Netvisor failed."),
                    note=details,
                )
