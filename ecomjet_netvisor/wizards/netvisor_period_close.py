from collections import defaultdict
from contextlib import closing
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields, models, sql_db
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.modules import module
from odoo.tools import date_utils
from odoo.tools.misc import formatLang

from .. import messages
from ..kinds import KIND_OF_MOVE_TYPE, KINDS
from ..netvisor import errors

#: How many record names an error message lists before it says "and N more".
NAMES_SHOWN = 20


def _names(names):
    names = sorted(set(names))
    shown = ", ".join(names[:NAMES_SHOWN])
    if len(names) > NAMES_SHOWN:
        shown += f" (+{len(names) - NAMES_SHOWN})"
    return shown


class NetvisorPeriodClose(models.TransientModel):
    _name = "netvisor.period.close"
    _description = "Close an accounting period and send it to Netvisor"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, readonly=True
    )
    kind = fields.Selection(
        [("sale", "Sales"), ("purchase", "Purchases")],
        required=True,
        default=lambda self: self._default_kind(),
    )
    date_from = fields.Date(
        "From", required=True, compute="_compute_dates", store=True, readonly=False, precompute=True
    )
    date_to = fields.Date(
        "To", required=True, compute="_compute_dates", store=True, readonly=False, precompute=True
    )
    move_count = fields.Integer("Documents to send", compute="_compute_checks")
    problems = fields.Text(compute="_compute_checks", help="What blocks the close.")
    warning_message = fields.Text(compute="_compute_checks")
    lock_notice = fields.Text(compute="_compute_checks")
    dimension_notice = fields.Text("Dimension items to create", compute="_compute_checks")
    document_notice = fields.Text("Documents sent with the vouchers", compute="_compute_checks")
    move_ids = fields.Many2many(
        "account.move", string="Documents of the period", compute="_compute_checks"
    )
    scope_notice = fields.Text("What is closed", compute="_compute_checks")
    mapping_blocks = fields.Boolean("An account mapping blocks", compute="_compute_checks")

    @api.model
    def _default_kind(self):
        context = self.env.context
        return context.get("default_kind") or KIND_OF_MOVE_TYPE.get(
            context.get("default_move_type"), "sale"
        )

    @api.depends("company_id", "kind")
    def _compute_dates(self):
        """Propose the dates when the wizard opens and again whenever the kind changes."""
        for wizard in self:
            if wizard.company_id and wizard.kind:
                wizard.date_from, wizard.date_to = self._proposed_dates(
                    wizard.company_id, wizard.kind
                )

    @api.model
    def _proposed_dates(self, company, kind):
        """The day after the last closed period, or the month of the oldest unsent document."""
        last = self.env["netvisor.period"].search(
            [("company_id", "=", company.id), ("kind", "=", kind)], order="date_to desc", limit=1
        )
        start_date = company.netvisor_start_date
        if last:
            start = last.date_to + timedelta(days=1)
        else:
            oldest = self.env["account.move"].search(
                self._unsent_domain(company, kind), order="date", limit=1
            )
            if oldest:
                start = date_utils.start_of(oldest.date, "month")
            else:
                start = date_utils.start_of(fields.Date.context_today(self), "month")
                start = date_utils.subtract(start, months=1)
            if start_date and start < start_date:
                start = start_date
        return start, date_utils.end_of(start, "month")

    @api.model
    def _unsent_domain(self, company, kind):
        # a branch shares its company's lock dates, chart and Netvisor organisation: its
        # documents are sent with the company's period (plain ids: the domain also serves
        # on another connection, see _check_posted_meanwhile)
        family = self.env["res.company"].sudo().search([("id", "child_of", company.id)])
        domain = [
            ("company_id", "in", family.ids),
            ("move_type", "in", KINDS[kind]["move_types"]),
            ("state", "=", "posted"),
            ("netvisor_voucher_id", "=", False),
        ]
        if company.netvisor_start_date:
            domain.append(("date", ">=", company.netvisor_start_date))
        return domain

    def _moves_to_send(self):
        """As superuser: the branches' documents go with the period even when the user's
        company switcher shows only this company (Odoo locks them all the same)."""
        self.ensure_one()
        return self.env["account.move"].sudo().search(self._to_send_domain(), order="date, id")

    def _to_send_domain(self):
        return [
            *self._unsent_domain(self.company_id, self.kind),
            ("date", ">=", self.date_from),
            ("date", "<=", self.date_to),
        ]

    @api.depends("company_id", "kind", "date_from", "date_to")
    def _compute_checks(self):
        for wizard in self:
            ready = wizard.company_id and wizard.kind and wizard.date_from and wizard.date_to
            built = {}  # the period's documents, built once by the checks
            # everything that can be known before sending, Netvisor's side included: all
            # of it shown at once, and Confirm hidden while something blocks
            wizard.problems = ready and "\n\n".join(
                wizard._check_problems(remote=True, built=built, preflight=True)
            )
            wizard.move_count = len(built)
            wizard.move_ids = [(6, 0, list(built))] if ready else False
            wizard.scope_notice = ready and wizard._scope_notice(built)
            wizard.mapping_blocks = any(
                kind in ("unmapped", "not_in_netvisor")
                for _voucher, problems in built.values()
                for kind, _key, _name in problems
            )
            wizard.warning_message = ready and wizard._draft_warning(built)
            wizard.lock_notice = ready and wizard._lock_notice()
            wizard.dimension_notice = ready and wizard._dimension_notice(built)
            wizard.document_notice = ready and wizard._document_notice(built)

    # ------------------------------------------------------------------ checks

    def _check_problems(self, remote=True, built=None, preflight=False):
        """Every problem that blocks the close, as translated blocks of text, all at once.

        ``built``: a dict kept across the checks of one transaction; documents built once
        are not built again (a month of 10,000 documents is checked twice on Confirm).
        ``preflight``: the checks shown when the wizard opens; Netvisor busy with this
        company's sending is then no problem (Confirm asks it again).
        """
        self.ensure_one()
        if self.date_from > self.date_to:
            return [self.env._("The period's first day is after its last day.")]
        company = self.company_id
        problems = list(company._netvisor_problems())
        problems += self._check_sequence()
        problems += self._check_outside()
        problems += self._check_branches()
        moves = self._moves_to_send()
        built, build_problems = self._build(moves, {} if built is None else built)
        remote_problems = []
        if remote and not company._netvisor_problems():
            try:
                remote_problems, refused = self._check_netvisor(built, moves)
            except UserError:
                if not preflight:
                    raise
                remote_problems, refused = [], []  # busy: asked again on Confirm
            build_problems += refused
        problems += self._check_build(build_problems)
        return problems + remote_problems

    @api.model
    def _build(self, moves, known):
        """({move id: Voucher}, build problems) of these documents; ``known`` holds
        {move id: (Voucher, its problems)} of those built before, and is completed."""
        new = moves.filtered(lambda move: move.id not in known)
        data, problems = new._netvisor_voucher_data(for_close=True)
        problems_of = defaultdict(list)
        for problem in problems:
            problems_of[problem[2]].append(problem)
        new.fetch(["name"])  # only the name: reading a move's every column cost more
        for move in new:
            known[move.id] = (data[move.id], problems_of[move.name])
        return (
            {move.id: known[move.id][0] for move in moves},
            [problem for move in moves for problem in known[move.id][1]],
        )

    def _check_sequence(self):
        """Periods of a kind follow each other without gaps or overlaps."""
        problems = []
        company, start_date = self.company_id, self.company_id.netvisor_start_date
        if start_date and self.date_from < start_date:
            problems.append(
                self.env._(
                    "The period starts before the integration start date %s.",
                    messages.date_text(self.env, start_date),
                )
            )
        periods = self.env["netvisor.period"].search(
            [("company_id", "=", company.id), ("kind", "=", self.kind)], order="date_to desc"
        )
        overlapping = periods.filtered(
            lambda p: p.date_from <= self.date_to and p.date_to >= self.date_from
        )
        if overlapping:
            problems.append(
                self.env._(
                    "The period overlaps the closed period(s) %s. Choose dates after them.",
                    _names(overlapping.mapped("name")),
                )
            )
        elif periods and self.date_from != periods[0].date_to + timedelta(days=1):
            problems.append(
                self.env._(
                    "The period must start on %(day)s, the day after the last closed period "
                    "%(period)s.",
                    day=messages.date_text(self.env, periods[0].date_to + timedelta(days=1)),
                    period=periods[0].name,
                )
            )
        return problems

    def _check_outside(self):
        """Posted documents dated before the period that are in no voucher (DESIGN §2): left
        out of every close so far, or posted into a closed period after its close. Neither
        would ever reach Netvisor."""
        closed = self.env["netvisor.period"].search(
            [("company_id", "=", self.company_id.id), ("kind", "=", self.kind)]
        )
        before = Domain(
            [*self._unsent_domain(self.company_id, self.kind), ("date", "<", self.date_from)]
        )
        in_closed = Domain.OR(
            [("date", ">=", period.date_from), ("date", "<=", period.date_to)] for period in closed
        )
        lines = []
        shown = self._outside_names(before & ~in_closed)
        if shown:
            lines.append(
                self.env._(
                    "Close the earlier period first (from %(day)s). Documents dated before "
                    "the period that no closed period contains: %(names)s",
                    day=messages.date_text(self.env, shown[0]),
                    names=shown[1],
                )
            )
        shown = self._outside_names(before & in_closed)
        if shown:
            lines.append(
                self.env._(
                    "Documents dated in an already closed period but posted after its close, "
                    "so never sent: %s. Reset them to draft and give them an accounting date "
                    "in this period, or cancel them.",
                    shown[1],
                )
            )
        if not lines:
            return []
        message = messages.text(self.env, messages.OUTSIDE_PERIOD)
        return ["\n".join([message, *lines])]

    def _period_journal_domain(self):
        """Posted entries of the company and its branches in the period's journals (sales
        or purchases): what the period's lock date covers."""
        return [
            ("company_id", "child_of", self.company_id.id),
            ("journal_id.type", "=", KINDS[self.kind]["journal_type"]),
            ("state", "=", "posted"),
            ("date", ">=", self.date_from),
            ("date", "<=", self.date_to),
        ]

    def _check_branches(self):
        """A branch's documents go with its root company's period (one organisation)."""
        company = self.company_id
        if company.root_id == company:
            return []
        return [
            self.env._(
                "%(branch)s is a branch of %(root)s: its documents are sent to Netvisor with "
                "the periods of %(root)s. Switch to %(root)s and close the period there.",
                branch=company.name,
                root=company.root_id.name,
            )
        ]

    def _locked_not_sent(self):
        """Entries in the period's journals that are not documents the close sends (manual
        journal entries): the lock date catches them too, so the wizard names them."""
        domain = Domain(self._period_journal_domain()) & Domain(
            "move_type", "not in", KINDS[self.kind]["move_types"]
        )
        shown = self._outside_names(domain)
        if not shown:
            return False
        return self.env._(
            "Locked, not sent: these journal entries of the period's journals are not "
            "invoices, credit notes or receipts, so the close locks them but does not send "
            "them to Netvisor: %s",
            shown[1],
        )

    def _outside_names(self, domain):
        """(first date, names) of the documents found, counted in SQL; None when none.
        As superuser, for the branches' documents (see ``_moves_to_send``)."""
        Move = self.env["account.move"].sudo()
        count = Move.search_count(domain)
        if not count:
            return None
        shown = Move.search(domain, order="date, id", limit=NAMES_SHOWN)
        names = ", ".join(shown.mapped("name"))
        if count > len(shown):
            names += f" (+{count - len(shown)})"
        return shown[0].date, names

    def _check_build(self, build_problems):
        """Unmapped accounts, taxes without a code and vouchers Netvisor would refuse."""
        by_kind = defaultdict(lambda: defaultdict(set))
        for kind, key, move_name in build_problems:
            by_kind[kind][key].add(move_name)
        problems = []
        accounts = {**by_kind["unmapped"], **by_kind["not_in_netvisor"]}
        if accounts:
            lines = [messages.text(self.env, messages.ACCOUNT_NOT_FOUND)]
            if by_kind["unmapped"]:
                lines.append(
                    self.env._(
                        "Map account(s) %s in Settings > Integrations > Netvisor "
                        "(Account mapping).",
                        _names(by_kind["unmapped"]),
                    )
                )
            if by_kind["not_in_netvisor"]:
                lines.append(
                    messages.text(self.env, "ACCOUNT_REFUSED", _names(by_kind["not_in_netvisor"]))
                )
            lines.append(
                self.env._(
                    "Invoices concerned: %s",
                    _names(name for names in accounts.values() for name in names),
                )
            )
            problems.append("\n".join(lines))
        dimensions = {**by_kind["dimension_missing"], **by_kind["dimension_hidden"]}
        if dimensions or by_kind["analytic_split"]:
            lines = [messages.text(self.env, messages.SENDING_FAILED)]
            for kind in ("dimension_missing", "dimension_hidden"):
                for pair, names in sorted(by_kind[kind].items()):
                    lines.append(
                        f"{messages.text(self.env, kind.upper(), pair)} "
                        + self.env._("Invoices: %s", _names(names))
                    )
            for name in sorted(by_kind["analytic_split"]):
                lines.append(messages.text(self.env, "ANALYTIC_SPLIT", name))
            problems.append("\n".join(lines))
        if by_kind["tax_code"] or by_kind["fixed_tax"] or by_kind["invalid"]:
            lines = [messages.text(self.env, messages.SENDING_FAILED)]
            for tax, names in by_kind["tax_code"].items():
                lines.append(
                    self.env._(
                        "Give the tax %(tax)s a Netvisor VAT code (invoices: %(names)s).",
                        tax=tax,
                        names=_names(names),
                    )
                )
            for tax, names in by_kind["fixed_tax"].items():
                lines.append(
                    f"{messages.text(self.env, 'FIXED_TAX', tax)} "
                    + self.env._("Invoices: %s", _names(names))
                )
            for text, names in by_kind["invalid"].items():
                lines.append(f"{_names(names)}: {text}")
            problems.append("\n".join(lines))
        return problems

    def _check_netvisor(self, built, moves):
        """Ask Netvisor before anything is sent: its lock date and periods, and whether every
        account the vouchers use is active in its chart (a mapping typed by hand is checked
        nowhere else). Returns (problems, build problems of the refused accounts)."""
        failed = messages.text(self.env, messages.SENDING_FAILED)
        pairs = self._dimension_pairs(built)
        try:
            with self.company_id._netvisor_connection() as client:
                info = client.get_accounting_periods()
                chart = client.get_account_list() if built else None
                dimensions = client.get_dimensions(show_hidden=True) if pairs else []
                types = client.get_voucher_types() if built else None
        except errors.NetvisorError as error:
            return [f"{failed}\n{self.company_id._netvisor_error_text(error)}"], []
        type_problems = self._check_netvisor_voucher_type(types, failed)
        refused = self._check_netvisor_dimensions(built, moves, pairs, dimensions)
        if chart:
            active = {
                a.number for a in chart.accounts if a.account_type == "account" and a.is_active
            }
            names = {move.id: move.name for move in moves}
            refused += [
                ("not_in_netvisor", line.account_number, names[move_id])
                for move_id, voucher in built.items()
                for line in voucher.lines
                if line.account_number not in active
            ]
        return self._check_netvisor_periods(info, failed) + type_problems, refused

    def _check_netvisor_voucher_type(self, types, failed):
        """The voucher type the period's vouchers are sent as must exist in Netvisor (it
        refuses the voucher otherwise): checked by name, as Netvisor does."""
        if not types or not types.types:
            return []
        facts = KINDS[self.kind]
        root = self.company_id.sudo().root_id
        name = root[facts["voucher_class_field"]] or facts["default_voucher_class"]
        if any(name in (t.name, *t.foreign_names.values()) for t in types.types):
            return []
        return [
            "\n".join(
                [
                    failed,
                    self.env._(
                        "Nothing was sent: Netvisor has no voucher type %s. Choose the voucher "
                        "type in Settings > Integrations > Netvisor (Fetch voucher types), then "
                        "open this wizard again.",
                        name,
                    ),
                ]
            )
        ]

    def _dimension_pairs(self, built):
        """{(header, item)} the vouchers carry (``built``: {move id: Voucher}, or the
        checks' {move id: (Voucher, problems)})."""
        vouchers = (value[0] if isinstance(value, tuple) else value for value in built.values())
        return {pair for voucher in vouchers for line in voucher.lines for pair in line.dimensions}

    def _check_netvisor_dimensions(self, built, moves, pairs, dimensions):
        """The items as Netvisor has them now (the fetched list may be old): build problems
        of those it lacks (unless the company creates them and the dimension exists) or
        hides."""
        live = {(d.name, item.name): item.is_hidden for d in dimensions for item in d.items}
        headers = {d.name: d.is_hidden for d in dimensions}
        create = self.company_id.netvisor_create_dimension_items
        announced = self._dimension_to_create(pairs) if create else set()
        bad = {}
        for pair in pairs:
            if headers.get(pair[0]) or live.get(pair):
                bad[pair] = "dimension_hidden"
            elif pair not in live and not (create and pair in announced and pair[0] in headers):
                # not in Netvisor, and not an item the wizard said it creates (the
                # dimensions fetched are older than Netvisor's: fetch them again)
                bad[pair] = "dimension_missing"
        names = {move.id: move.name for move in moves}
        return [
            (bad[pair], ": ".join(pair), names[move_id])
            for move_id, voucher in built.items()
            for line in voucher.lines
            for pair in line.dimensions
            if pair in bad
        ]

    def _dimension_to_create(self, pairs):
        """The items the wizard announces: those the dimensions fetched lack."""
        unknown = self.env["netvisor.dimension.item"]._netvisor_unknown(self.company_id, pairs)
        return {pair for pair, why in unknown.items() if why == "missing"}

    def _dimension_notice(self, built):
        """What the close will create in Netvisor (the company asked for it)."""
        if not self.company_id.netvisor_create_dimension_items:
            return False
        missing = sorted(
            ": ".join(pair) for pair in self._dimension_to_create(self._dimension_pairs(built))
        )
        return missing and self.env._(
            "Confirm creates these dimension items in Netvisor before sending: %s",
            _names(missing),
        )

    def _document_notice(self, built):
        """What travels with the vouchers when the company sends documents: how many
        (Netvisor charges for each), the bills that have none, and the documents over the
        cap, whose vouchers will wait (Odoo's invoice PDFs missing yet are made when sent)."""
        company = self.company_id
        if not company._netvisor_sends_documents(self.kind):
            return False
        moves = self.env["account.move"].browse(list(built)).sudo()
        documents = {move: move._netvisor_document() for move in moves}
        cap = company._netvisor_document_cap()
        sent = [move for move, document in documents.items() if document]
        lines = [
            self.env._(
                "Documents sent with the vouchers: %s. Netvisor charges a fee for each attachment.",
                len(sent) if self.kind == "purchase" else len(moves),
            )
        ]
        if self.kind == "purchase" and len(sent) < len(moves):
            lines.append(
                self.env._(
                    "These bills have no attachment and are sent without one: %s",
                    _names(move.name for move in moves if not documents[move]),
                )
            )
        large = [move.name for move in sent if documents[move].file_size > cap]
        if large:
            lines.append(
                self.env._(
                    "These documents are larger than %(cap)s MB: their vouchers wait until "
                    "the limit is raised or they are sent without their document: %(names)s",
                    cap=company.sudo().root_id.netvisor_document_max_mb,
                    names=_names(large),
                )
            )
        return "\n".join(lines)

    def _create_dimension_items(self, built):
        """Create in Netvisor the items the vouchers carry that it lacks (the company asked
        for it, and the wizard announced them), before the company's row is locked; each
        item created is remembered at once on a connection of its own, so that Odoo knows
        it even if the close then fails. Returns the pairs created."""
        pairs = self._dimension_pairs(built)
        company = self.company_id
        if not (pairs and company.netvisor_create_dimension_items):
            return []
        created = []
        try:
            with company._netvisor_connection() as client:
                dimensions = client.get_dimensions(show_hidden=True)
                live = {(d.name, item.name) for d in dimensions for item in d.items}
                for header, item in sorted(pairs - live):
                    client.add_dimension_item(header, item)
                    created.append((header, item))
                    self._remember_dimension_item(header, item)
        except errors.NetvisorError as error:
            done = _names(": ".join(pair) for pair in created) or "-"
            raise UserError(
                "\n".join(
                    [
                        company._netvisor_error_text(error),
                        self.env._("Dimension items created in Netvisor: %s", done),
                    ]
                )
            ) from None
        return created

    def _remember_dimension_item(self, header, item):
        """Record an item created in Netvisor, committed on a connection of its own (a
        test's transaction is never committed: there, in it)."""
        if module.current_test:
            self.env["netvisor.dimension.item"].sudo()._netvisor_record_created(
                self.company_id, header, item
            )
            return
        with closing(sql_db.db_connect(self.env.cr.dbname).cursor()) as cr:
            Item = api.Environment(cr, SUPERUSER_ID, {})["netvisor.dimension.item"]
            Item._netvisor_record_created(self.company_id.with_env(Item.env), header, item)
            # its own cursor, not the request's: the item exists in Netvisor whatever follows
            cr.commit()  # pylint: disable=invalid-commit

    def _check_netvisor_periods(self, info, failed):
        """Netvisor's own lock date and accounting periods."""
        locks = [d for d in (info.accounting_lock_date, info.vat_lock_date) if d]
        if locks and max(locks) >= self.date_from:
            return [
                "\n".join(
                    [
                        failed,
                        self.env._(
                            "Nothing was sent: Netvisor's accounting is locked up to %s, and "
                            "Netvisor takes no voucher dated on or before that day. Lower the "
                            "lock date in Netvisor (or ask whoever keeps the books there), "
                            "then open this wizard again.",
                            messages.date_text(self.env, max(locks)),
                        ),
                    ]
                )
            ]
        uncovered = [
            day
            for day in (self.date_from, self.date_to)
            if info.periods and not any(p.begin <= day <= p.end for p in info.periods)
        ]
        if uncovered:
            return [
                "\n".join(
                    [
                        failed,
                        self.env._(
                            "Nothing was sent: Netvisor has no accounting period for %s. "
                            "Open the financial period in Netvisor first, then open this "
                            "wizard again.",
                            ", ".join(messages.date_text(self.env, d) for d in uncovered),
                        ),
                    ]
                )
            ]
        return []

    def _draft_warning(self, built):
        warnings = []
        today = fields.Date.context_today(self)
        if self.date_to > today:
            warnings.append(
                self.env._(
                    "The period has not ended yet: documents dated after today up to %s cannot "
                    "be posted in Odoo once it is closed.",
                    messages.date_text(self.env, self.date_to),
                )
            )
        drafts = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("company_id", "child_of", self.company_id.id),
                    ("move_type", "in", KINDS[self.kind]["move_types"]),
                    ("state", "=", "draft"),
                    ("date", ">=", self.date_from),
                    ("date", "<=", self.date_to),
                ]
            )
        )
        if drafts:
            warnings.append(
                self.env._(
                    "Drafts dated in this period (%(count)s) are not sent and cannot be posted "
                    "in it once it is closed: %(names)s",
                    count=len(drafts),
                    names=_names(self._draft_label(m) for m in drafts),
                )
            )
        locked = self._locked_not_sent()
        if locked:
            warnings.append(locked)
        zero = self._zero_documents(built)
        if zero:
            warnings.append(
                self.env._(
                    "Not sent, as Netvisor takes no voucher without lines: %s. These 0 € "
                    "documents close with the period as Nothing to send.",
                    _names(zero.mapped("name")),
                )
            )

        return "\n".join(warnings) or False

    def action_open_account_mapping(self):
        """The mapping list, filtered to what blocks a close."""
        return self.env["netvisor.account.map"].action_netvisor_open_blocking()

    def _scope_notice(self, built):
        """What Confirm closes: every document of the period, whatever the list selected."""
        moves = self.env["account.move"].browse(list(built)).sudo()
        # as the vouchers count it: invoices and bills positive, credit notes negative
        total = sum(
            abs(move.amount_total_signed) * (-1 if move.move_type.endswith("refund") else 1)
            for move in moves
        )
        return self.env._(
            "Documents in the period: %(count)s, %(total)s in all. Closing the period sends "
            "all of them (listed below), whatever was selected in the list.",
            count=len(moves),
            total=formatLang(self.env, total, currency_obj=self.company_id.currency_id),
        )

    def _draft_label(self, move):
        """A draft by its number, or, before it has one, by partner, date and amount (its
        database id means nothing to an accountant)."""
        if move.name and move.name != "/":
            return move.name
        parts = [
            move.partner_id.name or "",
            messages.date_text(self.env, move.invoice_date or move.date),
            formatLang(self.env, move.amount_total, currency_obj=move.currency_id),
        ]
        return " ".join(part for part in parts if part)

    def _zero_documents(self, built):
        """Documents whose voucher has no line: every journal item is 0 € (a 100 %
        discount), or the items cancel out. ``built``: the ``known`` dict of ``_build``."""
        return self.env["account.move"].browse(
            move_id for move_id, (voucher, _problems) in built.items() if not voucher.lines
        )

    def _lock_notice(self):
        """What the close does to Odoo's lock date, named by its meaning (one sentence per
        kind: Finnish inflects the name, which a placeholder could not)."""
        day = messages.date_text(self.env, self.date_to)
        if self.kind == "sale":
            return self.env._(
                "Closing sets the sales lock date to %s: documents up to that day can no "
                "longer be changed in Odoo.",
                day,
            )
        return self.env._(
            "Closing sets the purchases lock date to %s: documents up to that day can no "
            "longer be changed in Odoo.",
            day,
        )

    def _check_posted_meanwhile(self, moves):
        """Refuse when a document was posted in the period after this transaction began.

        Odoo's transactions are REPEATABLE READ: having waited for the postings in
        progress (``account.move._netvisor_wait_for_close``), this transaction still does
        not see them. A connection of its own does, with a fresh snapshot; it asks the
        same question as ``_moves_to_send``."""
        with closing(sql_db.db_connect(self.env.cr.dbname).cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            domain = [*self._to_send_domain(), ("id", "not in", moves.ids)]
            late = env["account.move"].search(domain, order="date, id").mapped("name")
        if late:
            raise UserError(
                self.env._(
                    "While the period was being closed, %s was posted in it. Nothing was "
                    "closed or sent: press Confirm again to close the period with it.",
                    _names(late),
                )
            )

    # ------------------------------------------------------------------ confirm

    def action_confirm(self):
        """Check everything, then close the period and hand its vouchers to the sender."""
        self.ensure_one()
        self.env["netvisor.period"].check_access("create")
        built = {}
        problems = self._check_problems(remote=True, built=built)
        if problems:
            raise UserError("\n\n".join(problems))
        # before the company's row is locked: postings need not wait for Netvisor
        created = self._create_dimension_items(built)
        company, kind = self.company_id, self.kind
        # one close per company at a time: a concurrent close waits here, then sees this one
        self.env.cr.execute(
            "SELECT id FROM res_company WHERE id = %s FOR NO KEY UPDATE", [company.id]
        )
        problems = self._check_problems(remote=False, built=built)
        if problems:
            raise UserError("\n\n".join(problems))
        lock_field = KINDS[kind]["lock_field"]
        previous_lock = company[lock_field]
        moves = self._moves_to_send()
        self._check_posted_meanwhile(moves)
        period = self.env["netvisor.period"].create(
            {
                "company_id": company.id,
                "kind": kind,
                "date_from": self.date_from,
                "date_to": self.date_to,
                "closed_by_id": self.env.user.id,
                "closed_on": fields.Datetime.now(),
                "previous_lock_date": previous_lock,
            }
        )
        vouchers = self.env["netvisor.voucher"]._netvisor_queue(period, moves)
        zero = self._zero_documents(built)
        vouchers.filtered(lambda v: v.move_id in zero)._netvisor_write({"state": "skipped"})
        if not previous_lock or previous_lock < self.date_to:
            company.sudo()[lock_field] = self.date_to
        period.message_post(
            body=self.env._(
                "Period closed by %(user)s; documents queued for Netvisor: %(count)s.",
                user=self.env.user.name,
                count=len(moves),
            )
        )
        if created:
            period.message_post(
                body=self.env._(
                    "Dimension items created in Netvisor: %s",
                    _names(": ".join(pair) for pair in created),
                )
            )
        if moves:
            company._netvisor_sender_cron()._trigger()
        return {
            "type": "ir.actions.act_window",
            "res_model": "netvisor.period",
            "res_id": period.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }
