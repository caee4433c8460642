"""One voucher per document of a closed period, and its whole life towards Netvisor.

The voucher owns its lifecycle (DESIGN.md §6): one state field and named transitions,
each a single UPDATE that sets everything it must (``_netvisor_write``). Exactly once
rests on two rules: the ``sending`` mark with the exact bytes is durable before the POST,
and a voucher that may be in Netvisor is looked up in Netvisor's ledger, after the
earlier request can no longer land, before it is ever sent again.
"""

import datetime
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from odoo import api, fields, models
from odoo.modules import module
from odoo.tools import SQL

from .. import messages
from ..netvisor import errors, vouchers

_logger = logging.getLogger(__name__)

# In the order a status bar shows them: what waits or went wrong before Sent, so that a
# failure never looks like a step after it.
VOUCHER_STATES = [
    ("pending", "Pending"),
    ("sending", "Sending"),
    ("failed", "Failed"),
    ("uncertain", "Uncertain"),
    ("to_check", "To check"),
    # in Netvisor, but its document was changed in Odoo since: the old voucher is
    # invalidated in Netvisor, then the new content is sent (never both valid)
    ("to_correct", "To correct"),
    ("sent", "Sent"),
    # a 0 € document: Netvisor takes no voucher without lines, so there is nothing to send
    ("skipped", "Nothing to send"),
    ("cancelled", "Cancelled"),
]
#: What each state means and what happens next, for the accountant (the voucher's form).
STATE_HELP = {
    "pending": lambda env: env._(
        "Waiting to be sent: Odoo sends it in the background, in the order of the period."
    ),
    "sending": lambda env: env._(
        "Being sent now. Should Netvisor's answer be lost, Odoo looks the voucher up in "
        "Netvisor before it is ever sent again."
    ),
    "failed": lambda env: env._(
        "Not in Netvisor: it was refused or stopped, for the reason below. Fix what it "
        "says, then press Resend on the period."
    ),
    "uncertain": lambda env: env._(
        "Uncertain: Netvisor may have received it. Odoo looks it up in Netvisor before "
        "any resend, so it is never booked twice."
    ),
    "to_check": lambda env: env._(
        "Odoo could not settle whether Netvisor holds it once. Check in Netvisor as the "
        "reason below says, then press Resend on the period."
    ),
    "to_correct": lambda env: env._(
        "The document changed after it reached Netvisor: Odoo invalidates the old voucher "
        "there and sends the new content (Netvisor never holds both)."
    ),
    "sent": lambda env: env._("In Netvisor, under the key shown. Nothing more to do."),
    "skipped": lambda env: env._(
        "Nothing to send: the document's total is zero, and Netvisor takes no empty voucher."
    ),
    "cancelled": lambda env: env._(
        "No longer sent: the document was cancelled, or its period reopened."
    ),
}
#: States of a voucher that is, or may be, in Netvisor: never deleted, never sent blind.
MAY_BE_IN_NETVISOR = ("sending", "sent", "uncertain", "to_check", "to_correct")
#: States the sender works on without anybody asking.
TO_SEND = ("pending", "sending", "uncertain", "to_correct")
#: POSTs of one voucher that Netvisor answered "not stored, try later" before it waits
#: for a person (maintenance, not reachable).
MAX_TRANSIENT_ATTEMPTS = 5
#: Failed lookups of a voucher that may be in Netvisor before a person is asked to check.
MAX_LOOKUP_ATTEMPTS = 5
#: How long a request may still run, and land, in Netvisor (its own timeout, API.md §7).
NETVISOR_TIMEOUT_PARAM = "ecomjet_netvisor.netvisor_timeout"
DEFAULT_NETVISOR_TIMEOUT = 360.0
#: Pause after an answer that says Netvisor is away for a while.
RETRY_DELAY_PARAM = "ecomjet_netvisor.retry_delay"
DEFAULT_RETRY_DELAY = 600.0
#: The ledger lookup window around the date the voucher was sent with: a day on each
#: side, so neither an exclusive end date nor a time zone can hide it (API.md §6.4).
LOOKUP_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class Step:
    """What the company's sending loop does after one voucher."""

    #: no request for this company before then (Netvisor away, or a request may still run)
    pause_until: datetime.datetime | None = None
    #: nothing more can be sent for this company until a person fixes the settings
    stop: bool = False


CONTINUE = Step()


def _commit(env):
    """Make the sender's progress durable. Tests run inside their own transaction: there
    it flushes, as a commit does first, so that they see the same queries."""
    if module.current_test:
        env.flush_all()
    else:
        env.cr.commit()


class NetvisorVoucher(models.Model):
    _name = "netvisor.voucher"
    _description = "Netvisor voucher"
    _order = "period_id desc, id"
    _rec_name = "move_id"

    period_id = fields.Many2one("netvisor.period", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="period_id.company_id", store=True, index=True)
    move_id = fields.Many2one("account.move", required=True, ondelete="restrict", index=True)
    partner_id = fields.Many2one(related="move_id.partner_id", string="Partner")
    # the document's number alone (its display name adds the vendor's reference, and a
    # list column would cut it)
    move_name = fields.Char(related="move_id.name", string="Document number")
    date = fields.Date(related="move_id.date")
    reference = fields.Char(readonly=True, help="Start of the description in Netvisor.")
    state = fields.Selection(VOUCHER_STATES, default="pending", required=True, index=True)
    netvisor_key = fields.Char("Netvisor key", readonly=True, copy=False)
    transaction_id = fields.Char(readonly=True, copy=False)
    attempts = fields.Integer(readonly=True, help="Requests that carried this voucher.")
    lookup_attempts = fields.Integer(readonly=True, copy=False)
    error_category = fields.Char(readonly=True)
    error_message = fields.Text(readonly=True)
    request_xml = fields.Text("Request sent", readonly=True, groups="account.group_account_manager")
    voucher_date = fields.Date(
        readonly=True, copy=False, help="The voucher date of the last request sent."
    )
    request_started_at = fields.Datetime(
        "Last request at", readonly=True, copy=False, help="When the last request started."
    )
    lookup_after = fields.Datetime(
        "Look up from",
        readonly=True,
        copy=False,
        help="The earlier request can no longer land in Netvisor after this time; the "
        "voucher is looked up in Netvisor's ledger then, before anything is sent again.",
    )
    sent_on = fields.Datetime(readonly=True)
    content_version = fields.Integer(
        readonly=True,
        copy=False,
        help="Raised whenever the document changes while its voucher waits: a sender that "
        "built the voucher before does not send it.",
    )
    corrections = fields.Integer(
        readonly=True, copy=False, help="Times the document was changed after sending."
    )
    replaced_keys = fields.Char(
        "Invalidated in Netvisor",
        readonly=True,
        copy=False,
        help="Netvisor keys of this document's earlier vouchers, invalidated when the "
        "document was corrected.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount_total = fields.Monetary(currency_field="currency_id")
    state_help = fields.Char("What it means", compute="_compute_state_help")
    request_lines_html = fields.Html(
        "Lines sent", compute="_compute_request_lines_html", sanitize=False, readonly=True
    )

    _move_active_uniq = models.UniqueIndex(
        "(move_id) WHERE state != 'cancelled'",
        "A journal entry belongs to at most one Netvisor voucher.",
    )

    @api.depends("state")
    @api.depends_context("lang")
    def _compute_state_help(self):
        for voucher in self:
            explain = STATE_HELP.get(voucher.state)
            voucher.state_help = explain(self.env) if explain else False

    @api.depends("request_xml")
    @api.depends_context("lang")
    def _compute_request_lines_html(self):
        """The lines of the request last sent, as a table an accountant reads (the XML
        itself is for whoever manages the integration)."""
        for voucher in self:
            xml = voucher.sudo().request_xml
            lines = vouchers.request_lines(xml) if xml else []
            voucher.request_lines_html = lines and self.env["ir.qweb"]._render(
                "ecomjet_netvisor.netvisor_voucher_lines",
                {"lines": lines, "fmt": voucher.period_id._fmt, "pct": voucher.period_id._pct},
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_netvisor(self):
        self.filtered(
            lambda v: v.state in MAY_BE_IN_NETVISOR
        ).period_id._unlink_except_in_netvisor()

    @api.model
    def _netvisor_reference(self, move_id):
        """Short stable reference that starts the Netvisor description (§5)."""
        return f"{self._netvisor_reference_prefix()}{move_id}"

    @api.model
    def _netvisor_reference_prefix(self):
        uuid_ = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
        return f"ODOO-{uuid_.replace('-', '')[:8].upper()}-"

    @api.model
    def _netvisor_queue(self, period, moves):
        """One pending voucher per document of the period, created in two statements.

        In SQL: the ORM's create of 10,000 vouchers, and the recompute of their 10,000
        documents' Netvisor state one UPDATE each, took most of a big month's close.
        Bills and invoices are positive, credit notes negative.
        """
        if not moves:
            return self
        self.env.flush_all()
        now, uid = fields.Datetime.now(), self.env.uid
        rows = self.env.execute_query(
            SQL(
                """INSERT INTO netvisor_voucher (period_id, company_id, move_id, reference,
                          state, attempts, lookup_attempts, content_version, amount_total,
                          create_uid, create_date, write_uid, write_date)
                   SELECT %(period)s, %(company)s, move.id, %(prefix)s || move.id,
                          'pending', 0, 0, 0,
                          abs(move.amount_total_signed)
                          * CASE WHEN move.move_type LIKE '%%refund' THEN -1 ELSE 1 END,
                          %(uid)s, %(now)s, %(uid)s, %(now)s
                     FROM account_move move
                    WHERE move.id = ANY(%(moves)s)
                 ORDER BY move.date, move.id
                RETURNING id""",
                period=period.id,
                company=period.company_id.id,
                prefix=self._netvisor_reference_prefix(),
                uid=uid,
                now=now,
                moves=list(moves.ids),
            )
        )
        vouchers = self.browse(row[0] for row in rows)
        self.env.execute_query(
            SQL(
                """UPDATE account_move move
                      SET netvisor_voucher_id = voucher.id, netvisor_state = 'pending'
                     FROM netvisor_voucher voucher
                    WHERE voucher.id = ANY(%s) AND move.id = voucher.move_id""",
                list(vouchers.ids),
            )
        )
        moves.invalidate_recordset(
            ["netvisor_voucher_id", "netvisor_state", "netvisor_voucher_ids"]
        )
        period.invalidate_recordset(["voucher_ids"])
        period._netvisor_refresh_counts()
        return vouchers

    # ------------------------------------------------------------------ timing

    @api.model
    def _netvisor_seconds(self, param, default):
        value = self.env["ir.config_parameter"].sudo().get_param(param)
        try:
            return max(0.0, float(value)) if value not in (None, False, "") else default
        except ValueError:
            return default

    def _netvisor_landing_time(self, now=False):
        """When the last request of this voucher (``now``: a request made now) can no
        longer land in Netvisor."""
        wait = self._netvisor_seconds(NETVISOR_TIMEOUT_PARAM, DEFAULT_NETVISOR_TIMEOUT)
        started = fields.Datetime.now() if now else self.request_started_at
        return (started or fields.Datetime.now()) + timedelta(seconds=wait)

    @api.model
    def _netvisor_retry_time(self):
        delay = self._netvisor_seconds(RETRY_DELAY_PARAM, DEFAULT_RETRY_DELAY)
        return fields.Datetime.now() + timedelta(seconds=delay)

    def _netvisor_when(self, key, moment):
        """The text ``key`` naming a moment in the reader's time zone, date included."""
        return messages.text(self.env, key, messages.moment_text(self.env, moment))

    # ------------------------------------------------------------------ transitions

    def _netvisor_write(self, values, condition=None):
        """Apply one transition: a single UPDATE of these vouchers; the number of rows
        written (``condition``: an SQL condition the rows must also meet).

        In SQL, not through ``write``: the sender writes twice per voucher and commits
        each time, and the ORM would recompute every time what shows the state (the
        document's Netvisor state, the period's counters) and read it all back after the
        commit. What depends on the state is refreshed by ``_netvisor_refresh``: at once,
        or once per batch for the sender (context ``netvisor_refresh_later``).
        """
        if not self:
            return 0
        self.flush_recordset(list(values))
        # the clock, not cr.now(): that is a query after every commit
        columns = {**values, "write_uid": self.env.uid, "write_date": fields.Datetime.now()}
        self.env.cr.execute(
            SQL(
                "UPDATE netvisor_voucher SET %s WHERE id = ANY(%s) AND %s",
                SQL(", ").join(
                    SQL("%s = %s", SQL.identifier(name), None if value is False else value)
                    for name, value in columns.items()
                ),
                list(self.ids),
                condition or SQL("TRUE"),
            )
        )
        written = self.env.cr.rowcount
        self.invalidate_recordset([*values, "write_uid", "write_date"])
        if not self.env.context.get("netvisor_refresh_later"):
            self._netvisor_refresh()
        return written

    def _netvisor_refresh(self):
        """Recompute what shows these vouchers' states: their documents' Netvisor state
        and their periods' counters (computed when next read or flushed)."""
        Move = self.env["account.move"]
        moves = self.move_id
        for name in ("netvisor_voucher_id", "netvisor_state"):
            self.env.add_to_compute(Move._fields[name], moves)
        self.period_id._netvisor_refresh_counts()

    def _netvisor_mark_sending(self, xml, transaction_id, voucher_date, version, document=None):
        """Durable before the POST: what is sent, when, with which date and transaction.

        Only when the voucher is still as the batch built it (``version``: its content
        version then, and still to send): a document changed since, or a voucher
        cancelled meanwhile, is not sent; False then, and the next batch builds it again.
        A change committing after this commits waits for it, then meets *Sending*.
        ``xml``: the body as stored (a document's base64 replaced by a placeholder);
        ``document``: the voucher's document values (what it carries)."""
        return self._netvisor_write(
            {
                **(document or {}),
                "state": "sending",
                "transaction_id": transaction_id,
                "attempts": SQL("attempts + 1"),
                "request_xml": xml.decode("utf-8"),
                "voucher_date": voucher_date,
                "request_started_at": fields.Datetime.now(),
                "lookup_after": False,
                "error_category": False,
                "error_message": False,
            },
            SQL(
                "COALESCE(content_version, 0) = %s"
                " AND state IN ('pending', 'sending', 'uncertain')",
                version,
            ),
        )

    def _netvisor_mark_sent(self, key, note=False):
        self._netvisor_write(
            {
                "state": "sent",
                "netvisor_key": key,
                "sent_on": fields.Datetime.now(),
                "lookup_after": False,
                "lookup_attempts": 0,
                "error_category": False,
                "error_message": note,
            }
        )

    def _netvisor_mark_pending(self, category=False, message=False):
        """Surely not in Netvisor, to be sent (again) by the sender."""
        self._netvisor_write(
            {
                "state": "pending",
                "lookup_after": False,
                "error_category": category,
                "error_message": message,
            }
        )

    def _netvisor_mark_failed(self, category, message):
        """Surely not in Netvisor; waits for a person (Resend)."""
        self._netvisor_write(
            {
                "state": "failed",
                "lookup_after": False,
                "lookup_attempts": 0,
                "error_category": category,
                "error_message": message,
            }
        )

    def _netvisor_mark_uncertain(self, category, message, lookup_after, lookup_attempts=0):
        """May be in Netvisor: looked up, once the earlier request can no longer land."""
        self._netvisor_write(
            {
                "state": "uncertain",
                "lookup_after": lookup_after,
                "lookup_attempts": lookup_attempts,
                "error_category": category,
                "error_message": message,
            }
        )

    def _netvisor_mark_to_check(self, category, message):
        """May be in Netvisor, and a person must look (Resend looks it up again)."""
        self._netvisor_write(
            {
                "state": "to_check",
                "lookup_after": False,
                "error_category": category,
                "error_message": message,
            }
        )

    # ------------------------------------------------------------------ one voucher

    def _netvisor_send(self, client, data, blocked, state, version=0, documents=None):
        """Bring this voucher one step nearer to Netvisor, exactly once; return a Step.

        ``data``: the connector Voucher built from the document; ``blocked``: why it cannot
        be built (e.g. an account lost its mapping), or None; ``state`` and ``version``:
        its state and content version as the batch read them (the sender holds the
        company's lock; a user's change of the document shows in the version);
        ``documents``: the batch's DocumentSource (the documents vouchers carry).
        """
        self.ensure_one()
        if state in ("sending", "uncertain"):
            try:
                step = self._netvisor_resolve(client)
            except errors.NetvisorError as error:
                return self._netvisor_lookup_failed(error)
            if step is not None:
                return step
        correcting = state == "to_correct"
        body, document = None, None
        if not (correcting and self.move_id.state == "cancel"):
            # the new content first: a correction Netvisor would refuse must not cost the
            # old voucher (it stays valid until the new content can be sent)
            failed = self._netvisor_keep_to_correct if correcting else self._netvisor_mark_failed
            if blocked:
                failed("MAPPING", blocked)
                return CONTINUE
            data, document, problem = self._netvisor_attach_document(
                data, documents or self._netvisor_document_source(self.env, self)
            )
            if problem:
                failed(*problem)
                return CONTINUE
            cap = self.company_id._netvisor_document_cap() if data.attachments else None
            try:
                # built once: stored (documents as placeholders) and sent (streamed)
                body = vouchers.build_voucher_body(data, cap)
            except errors.AttachmentTooLarge as error:
                failed(error.category, self._netvisor_too_large_text(data, error))
                return CONTINUE
            except errors.VoucherValidationError as error:
                failed(error.category, self.company_id._netvisor_error_text(error))
                return CONTINUE
            if body.digests:
                document["document_sha256"] = body.digests[0].sha256
        if correcting:
            step = self._netvisor_replace(client)
            if step is not None:
                return step
        transaction_id = uuid.uuid4().hex
        if not self._netvisor_mark_sending(
            body.stored, transaction_id, data.date, version, document
        ):
            return CONTINUE  # changed since the batch was built: built again, not sent
        _commit(self.env)
        try:
            # without documents the stored bytes are the body itself
            key = client.import_voucher(
                body if body.digests else body.stored, transaction_id=transaction_id
            )
        except errors.NetvisorError as error:
            return self._netvisor_post_failed(error)
        self._netvisor_mark_sent(key)
        return CONTINUE

    def _netvisor_correction_reference(self):
        """The reference the corrected content is sent with: a new one, so that a lookup
        never mistakes the old (invalidated) voucher for the new."""
        return f"{self._netvisor_reference(self.move_id.id)}-{self.corrections + 1}"

    def _netvisor_mark_to_correct(self):
        """The document changed after it reached Netvisor (a lowered lock date)."""
        self._netvisor_write(
            {"state": "to_correct", "lookup_after": False, "error_category": False}
        )
        for voucher in self:
            text = voucher.env._(
                "%(move)s was changed after it reached Netvisor as voucher %(key)s. As soon "
                "as it is posted (or cancelled), Odoo invalidates voucher %(key)s in "
                "Netvisor and sends the new content: Netvisor never holds both.",
                move=voucher.move_id.name,
                key=voucher.netvisor_key,
            )
            voucher.move_id.message_post(body=text)
            voucher.period_id.message_post(body=text)

    def _netvisor_mark_missing(self, key):
        """Sent, but Netvisor no longer holds voucher ``key`` as valid (deleted or
        invalidated there): sent again by the sender, under a new reference so that a
        lookup never takes the old voucher for the new. False if the voucher changed."""
        self.ensure_one()
        return self._netvisor_write(
            {
                "state": "pending",
                "netvisor_key": False,
                "replaced_keys": ", ".join(filter(None, [self.replaced_keys, key])),
                "corrections": self.corrections + 1,
                "reference": self._netvisor_correction_reference(),
                "lookup_after": False,
                "error_category": False,
                "error_message": False,
            },
            SQL("state = 'sent' AND netvisor_key = %s", key),
        )

    def _netvisor_mark_different(self, key):
        """Sent, but voucher ``key`` in Netvisor differs from Odoo's books: corrected like
        a changed document (invalidated, then sent again). False if the voucher changed."""
        self.ensure_one()
        return self._netvisor_write(
            {"state": "to_correct", "lookup_after": False, "error_category": False},
            SQL("state = 'sent' AND netvisor_key = %s", key),
        )

    def _netvisor_adopt_key(self, key, previous):
        """Netvisor holds this sent voucher under ``key`` (a copy of ``previous``, which is
        gone): Odoo points to it. False if the voucher changed since."""
        self.ensure_one()
        return self._netvisor_write(
            {"netvisor_key": key}, SQL("state = 'sent' AND netvisor_key = %s", previous)
        )

    def _netvisor_keep_to_correct(self, category, message):
        """A correction that cannot be sent yet: the old voucher stays valid in Netvisor,
        the reason is shown, and it is tried again later (after a fix, or Resend); when."""
        again = self._netvisor_retry_time()
        self._netvisor_write(
            {"error_category": category, "error_message": message, "lookup_after": again}
        )
        return again

    def _netvisor_replace(self, client):
        """Invalidate the voucher Netvisor holds for a changed document; None when the new
        content is to be sent now, else the Step. Invalidating is the same whether done
        once or twice, so an uncertain answer is simply tried again later."""
        move = self.move_id
        if move.state == "draft":
            return CONTINUE  # still being edited: nothing to do yet
        old_key = self.netvisor_key
        comment = self.env._("Corrected in Odoo: %s", move.name)[:255]
        try:
            client.invalidate_vouchers([old_key], comment=comment)
        except errors.NetvisorError as error:
            text = self.company_id._netvisor_error_text(error)
            again = self._netvisor_keep_to_correct(error.category, text)
            if error.stops_company:
                return Step(stop=True)
            return Step(pause_until=again) if error.retryable or error.may_be_stored else CONTINUE
        keys = ", ".join(filter(None, [self.replaced_keys, old_key]))
        values = {
            "replaced_keys": keys,
            "netvisor_key": False,
            "corrections": self.corrections + 1,
            "error_category": False,
            "error_message": False,
            "lookup_after": False,
        }
        if move.state == "cancel":
            self._netvisor_write({**values, "state": "cancelled"})
            text = self.env._(
                "Voucher %(key)s of %(move)s, cancelled in Odoo, was invalidated in Netvisor.",
                key=old_key,
                move=move.name,
            )
        else:
            values.update(state="pending", reference=self._netvisor_correction_reference())
            self._netvisor_write(values)
            text = self.env._(
                "Voucher %(key)s of %(move)s was invalidated in Netvisor; the corrected "
                "content is sent now.",
                key=old_key,
                move=move.name,
            )
        move.message_post(body=text)
        self.period_id.message_post(body=text)
        _commit(self.env)
        return CONTINUE if move.state == "cancel" else None

    def _netvisor_post_failed(self, error):
        """The one table from the connector's classification to the voucher's next state."""
        text = self.company_id._netvisor_error_text(error)
        if error.may_be_stored:
            landing = self._netvisor_landing_time()
            message = f"{self._netvisor_when('MAY_BE_STORED', landing)}\n{text}"
            self._netvisor_mark_uncertain(error.category, message, landing)
            # a request that may still run in Netvisor: no other request of the company now
            return Step(pause_until=landing if getattr(error, "may_still_run", False) else None)
        if error.stops_company:
            self._netvisor_mark_failed(error.category, text)
            return Step(stop=True)
        if error.retryable and self.attempts < MAX_TRANSIENT_ATTEMPTS:
            again = self._netvisor_retry_time()
            message = f"{text}\n{self._netvisor_when('RETRY_LATER', again)}"
            self._netvisor_mark_pending(error.category, message)
            return Step(pause_until=again)
        self._netvisor_mark_failed(error.category, text)
        return CONTINUE

    def _netvisor_resolve(self, client):
        """Look up a voucher that may be in Netvisor; a Step, or None when it must be sent."""
        day = self.voucher_date or self.move_id.date
        found = client.find_vouchers_by_reference(
            self.reference, day - LOOKUP_MARGIN, day + LOOKUP_MARGIN
        )
        valid = [v.netvisor_key for v in found if not v.is_invalidated]
        invalidated = [v.netvisor_key for v in found if v.is_invalidated]
        if len(valid) == 1:
            found = messages.text(self.env, "FOUND", valid[0])
            self._netvisor_mark_sent(valid[0], found)
            # where the accountant looks: it was not booked twice
            text = f"{self.move_id.name}: {found}"
            self.period_id.message_post(body=text)
            self.move_id.message_post(body=found)
            return CONTINUE
        if valid:
            self._netvisor_mark_to_check(
                "DUPLICATE", messages.text(self.env, "TWICE", ", ".join(valid))
            )
            return CONTINUE
        if invalidated:
            text = messages.text(self.env, "INVALIDATED", ", ".join(invalidated))
            self._netvisor_mark_failed("INVALIDATED", text)
            return CONTINUE
        return None

    def _netvisor_lookup_failed(self, error):
        """A voucher that may be in Netvisor stays so; after a few failed lookups a person
        is asked to check, never an endless silent retry."""
        text = self.company_id._netvisor_error_text(error)
        if error.stops_company:
            retry = self._netvisor_retry_time()
            self._netvisor_mark_uncertain(error.category, text, retry, self.lookup_attempts)
            return Step(stop=True)
        lookups = self.lookup_attempts + 1
        if lookups >= MAX_LOOKUP_ATTEMPTS:
            failed = messages.text(self.env, "LOOKUP_FAILED", self.reference)
            self._netvisor_mark_to_check(error.category, f"{failed}\n{text}")
            return CONTINUE
        again = self._netvisor_retry_time()
        self._netvisor_mark_uncertain(error.category, text, again, lookups)
        if error.may_still_run:
            # the lookup itself may still run in Netvisor: one request at a time
            return Step(pause_until=max(again, self._netvisor_landing_time(now=True)))
        return Step(pause_until=again) if error.retryable else CONTINUE

    # ------------------------------------------------------------------ a batch

    def _netvisor_send_batch(self, client, deadline):
        """Send these vouchers of one company in order; stop at the first pause or stop.

        ``deadline``: a callable saying whether one more request still fits in this run.
        """
        # read once, before the first commit: every commit empties the ORM cache, and a
        # voucher's step must not read the batch and its documents back. The content
        # versions are read before the content is built: a change in between shows.
        plan = [
            (v.id, v.period_id.id, v.move_id.id, v.move_id.name, v.state, v.content_version)
            for v in self
        ]
        data, problems = self.move_id._netvisor_voucher_data(
            {
                voucher.move_id.id: voucher._netvisor_correction_reference()
                if voucher.state == "to_correct"
                else voucher.reference
                for voucher in self
            }
        )
        problems_of = {}
        for problem in problems:
            problems_of.setdefault(problem[2], []).append(problem)
        envs = {period.id: period._netvisor_in_lang().env for period in self.period_id}
        documents = self._netvisor_document_source(self.env, self)
        self.env.invalidate_all()  # a small cache is cleared faster at every commit
        Move = self.env["account.move"]
        done = []
        for voucher_id, period_id, move_id, name, state, version in plan:
            if not deadline():
                break
            # texts in the closer's language, not the cron user's; prefetch only itself
            voucher = self.browse(voucher_id).with_env(envs[period_id])
            blocked = None
            if name in problems_of:
                texts = Move.with_env(voucher.env)._netvisor_problem_texts(problems_of[name])
                blocked = texts.get(name)
            step = voucher._netvisor_send(client, data[move_id], blocked, state, version, documents)
            done.append(voucher_id)
            if step != CONTINUE:
                return self.browse(done), step
        return self.browse(done), CONTINUE

    def _netvisor_interrupted(self):
        """Vouchers left in Sending by a worker that stopped (the caller holds the company's
        lock, so nobody is sending them): they may be in Netvisor, and their request may
        still run there. Returns the latest moment one of them can still land."""
        latest = None
        for voucher in self:
            landing = voucher._netvisor_landing_time()
            env = voucher.period_id._netvisor_in_lang().env
            message = "\n".join(
                [
                    messages.text(env, "INTERRUPTED"),
                    voucher.with_env(env)._netvisor_when("MAY_BE_STORED", landing),
                ]
            )
            voucher._netvisor_mark_uncertain("INTERRUPTED", message, landing)
            latest = max(latest or landing, landing)
        return latest

    def _netvisor_configuration_failed(self):
        """The company's settings are missing or wrong: nothing can be sent; what may be in
        Netvisor keeps its state and is looked up once the settings are fixed."""
        for period in self.period_id:
            env = period._netvisor_in_lang().env
            text = period.company_id.with_env(env)._netvisor_config_error()
            self.filtered(lambda v, p=period: v.period_id == p and v.state == "pending").with_env(
                env
            )._netvisor_mark_failed("CONFIGURATION", text)
