"""Fault campaign: "every document reaches Netvisor exactly once" under a storm of faults.

Run from the repository root (a script, not a timed test; `make test` runs a short version,
tests/campaign/test_fault_campaign.py):

    python3 tests/benchmarks/fault_campaign.py [--seed N] [--documents 1000] [--faults 1000]
        [--kills 20] [--keep] [--template DB]

1. A fresh database (`--db`, default ecomjet_netvisor_campaign) with l10n_fi and the addon:
   installed with `odoo -i`, or cloned from `--template` (make test keeps a pristine copy of
   its test database, ecomjet_netvisor_template, for this).
2. Its own Netvisor sandbox (free port, own data directory).
3. Through the ORM in this process: two Finnish companies (l10n_fi chart) connected to the
   sandbox's professional and premium organisations, the account mapping fetched from
   "Netvisor", and `--documents` posted customer invoices, credit notes and vendor bills
   over `--months` months with the demo's tax cases (domestic 25.5 % and 14 %, EU goods,
   construction reverse charge, export and import).
4. Every month's sales and purchase period of each company is closed through the close
   wizard, in date order (Netvisor well-behaved: the wizard itself asks it).
5. A real Odoo server (prefork, `--workers 2 --max-cron-threads 1` by default) sends with
   its cron while the sandbox's chaos mode injects at least `--faults` faults of every kind
   it has, and the server is SIGKILLed at random moments while sending (`--kills` times),
   restarted each time. Time moves faster than in life: when the sender waits for a later
   retry the campaign triggers the cron at once, and when nothing moves it presses Resend.
6. Chaos off; Resend on every period with vouchers not sent, round after round, until all
   are sent or `--resend-rounds` / `--resend-seconds` are used up.
7. Counts what the sandbox holds against what Odoo says and prints a table; exits non-zero
   on any duplicate, lost or stuck document, or when fewer faults or kills than asked for
   could be injected.

Every loop is bounded in count and time; every process started here is killed on exit,
also on Ctrl-C. Loopback only.
"""

import argparse
import contextlib
import datetime
import logging
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dev import demo_data, postgres  # noqa: E402
from dev import install as installer  # noqa: E402
from dev import odoo as dev_odoo  # noqa: E402
from dev.paths import LOCAL  # noqa: E402
from dev.testrun import copy_database, drop_database  # noqa: E402
from netvisor_sandbox import seed  # noqa: E402
from netvisor_sandbox.testing import SandboxProcess  # noqa: E402

MODULES = "l10n_fi,ecomjet_netvisor"
CRON_XMLID = "ecomjet_netvisor.ir_cron_netvisor_send"
# Odoo's log line when a run of the cron raised (ir_cron._run_job), and any error line
CRON_FAILED = re.compile(r"Job 'Netvisor: [^']*' \(\d+\) server action #\d+ failed")
LOG_ERROR = re.compile(r"^\S+ \S+ \d+ ((?:ERROR|CRITICAL) .*)$", re.MULTILINE)
SEED_COMPANIES = (seed.COMPANY_A, seed.COMPANY_B)  # professional and premium
FIRST_MONTH = datetime.date(2026, 1, 1)  # inside the sandbox's accounting years
# customer invoices, customer credit notes, vendor bills, vendor credit notes
MOVE_TYPES = (("out_invoice", 45), ("out_refund", 10), ("in_invoice", 35), ("in_refund", 10))
CREATE_BATCH = 100
# Voucher states that are final for the campaign; the rest still needs work.
SENT, CANCELLED = "sent", "cancelled"
# The sender's realism settings (ir.config_parameter): the sandbox's hang lasts longer
# than the client waits and less than Netvisor's own timeout; the pause after "Netvisor
# away" is shortened like everything else in the campaign's clock.
READ_TIMEOUT_PARAM = "ecomjet_netvisor.read_timeout"
NETVISOR_TIMEOUT_PARAM = "ecomjet_netvisor.netvisor_timeout"
RETRY_DELAY_PARAM = "ecomjet_netvisor.retry_delay"
# States in which the cron still has work of its own (sending, or looking up), and states
# that wait for a person (Resend).
CRON_STATES = ("pending", "sending", "uncertain")
USER_STATES = ("failed", "to_check")
POLL = 0.2  # seconds between two looks at the database and the sandbox
# Time runs faster than in life: when the cron has work left and nothing has moved for
# NUDGE_AFTER seconds, the campaign triggers it (Odoo's cron worker would wake up by itself
# only within a minute). The user presses Resend RESEND_AFTER seconds after vouchers came to
# wait for a person, and whenever nothing has moved for longer than Netvisor's timeout.
NUDGE_AFTER = 0.3
RESEND_AFTER = 1.5
# The chaos probability follows the progress: faults are due in proportion to the vouchers
# sent, FAULT_MARGIN times faster, so that they are all in before the vouchers run out; at
# its maximum once only FAULT_TAIL of the documents wait.
FAULT_MARGIN = 1.25
FAULT_TAIL = 0.15
FIRST_PROBABILITY, MIN_PROBABILITY, PROBABILITY_STEP = 0.5, 0.05, 1.25


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, help="default: random (always printed)")
    parser.add_argument("--documents", type=int, default=1000, help="posted documents in all")
    parser.add_argument("--faults", type=int, default=1000, help="faults to inject at least")
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs of the Odoo server")
    parser.add_argument("--months", type=int, default=3, help="months of documents (1-11)")
    parser.add_argument("--db", default="ecomjet_netvisor_campaign", help="database to create")
    parser.add_argument("--template", help="clone this database instead of installing")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    parser.add_argument("--workers", type=int, default=2, help="Odoo workers (0: threaded)")
    parser.add_argument("--read-timeout", type=float, default=1.0, help="client read timeout")
    parser.add_argument("--netvisor-timeout", type=float, default=2.5, help="Netvisor's timeout")
    parser.add_argument("--hang-seconds", type=float, default=1.75, help="sandbox hang fault")
    parser.add_argument("--retry-delay", type=float, default=0.25, help="pause when NV away")
    parser.add_argument("--max-probability", type=float, default=0.9, help="chaos at most")
    parser.add_argument("--chaos-seconds", type=float, default=1800, help="chaos phase at most")
    parser.add_argument("--resend-rounds", type=int, default=25, help="Resend rounds at most")
    parser.add_argument("--resend-seconds", type=float, default=600, help="Resend phase at most")
    args = parser.parse_args(argv)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2**31)
    if not 1 <= args.months <= 11:
        parser.error("--months must be 1 to 11")
    if args.documents < 2 * 2 * args.months:
        parser.error("--documents too small: at least one sale and one bill per month")
    if not 0 < args.read_timeout < args.hang_seconds < args.netvisor_timeout:
        parser.error("need 0 < --read-timeout < --hang-seconds < --netvisor-timeout")
    return args


def months(count):
    """(first day, last day) of `count` months from FIRST_MONTH."""
    result, start = [], FIRST_MONTH
    for _ in range(count):
        following = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        result.append((start, following - datetime.timedelta(days=1)))
        start = following
    return result


# ---------------------------------------------------------------------------- processes


class OdooServer:
    """`python3 -m odoo server` on the campaign database, in its own process group so that
    a SIGKILL takes the master and its workers at once.

    No HTTP (--no-http): the campaign needs only the cron, and in prefork mode the master
    would otherwise respawn its gevent process as `sys.executable sys.argv[0] gevent`,
    which cannot start when argv[0] is odoo/__main__.py, over and over."""

    def __init__(self, db, config, connection, log_dir, workers, cron_threads=1):
        self.db, self.config, self.connection = db, config, connection
        self.log_dir, self.workers, self.cron_threads = log_dir, workers, cron_threads
        self.process = None
        self.starts = 0

    def start(self):
        self.starts += 1
        log = (self.log_dir / f"odoo-{self.starts:03d}.log").open("wb")
        command = dev_odoo.odoo_command(
            "server",
            "-d",
            self.db,
            "--db-filter",
            f"^{self.db}$",
            "--no-http",
            "--workers",
            str(self.workers),
            "--max-cron-threads",
            str(self.cron_threads),
        )
        env = {**os.environ, **self.connection.env(), "ODOO_RC": str(self.config)}
        with log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def _signal_group(self, sig):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)

    def kill(self):
        """SIGKILL the whole server (the worker that is sending included)."""
        self._signal_group(signal.SIGKILL)
        self.process.wait(30)

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                pass
        self._signal_group(signal.SIGKILL)  # workers that outlived their master too
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        self.process = None


class Chaos:
    """The sandbox's chaos mode (admin /_sandbox/chaos) and its counts (/_sandbox/stats)."""

    def __init__(self, sandbox, rng, hang_seconds):
        self.sandbox, self.rng, self.hang_seconds = sandbox, rng, hang_seconds
        self.probability = 0.0
        self.on = False
        self._call("GET", "chaos")  # a sandbox without chaos mode stops the campaign here

    def _call(self, method, path, body=None):
        answer = self.sandbox.admin(method, path, body)
        if answer.status_code >= 300:
            raise RuntimeError(f"sandbox admin {method} {path}: {answer.status_code} {answer.text}")
        return answer.json()

    def set_probability(self, probability):
        """(Re)configure chaos, every kind the sandbox has, with a new seed drawn from ours.
        The counts of /_sandbox/stats run on across configurations."""
        self.probability = probability
        body = {
            "probability": probability,
            "seed": self.rng.randrange(2**31),
            "hang_seconds": self.hang_seconds,
        }
        self._call("POST", "chaos", body)
        self.on = True

    def stats(self):
        """(Netvisor requests so far, faults that struck so far by kind, overlaps and
        requests by organisation)."""
        stats = self._call("GET", "stats")
        requests = stats.get("requests", {})
        return sum(requests.values()), Counter(stats.get("injected", {})), stats

    def stop(self):
        if self.on:
            self._call("DELETE", "chaos")
            self.on = False


# ---------------------------------------------------------------------------- the campaign


@dataclass
class Figures:
    documents: int = 0
    companies: int = 0
    periods: int = 0
    faults: Counter = field(default_factory=Counter)
    kills: int = 0
    server_starts: int = 0
    unexpected_exits: int = 0
    nudges: int = 0
    resend_presses: int = 0
    resend_conflicts: int = 0
    in_netvisor: int = 0
    duplicates: int = 0
    lost: int = 0
    stuck: int = 0
    strays: int = 0
    stuck_states: Counter = field(default_factory=Counter)
    overlaps: dict = field(default_factory=dict)
    requests: dict = field(default_factory=dict)
    cron_active: bool | None = None
    cron_failures: int = 0
    log_errors: Counter = field(default_factory=Counter)
    phases: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    shortfalls: list = field(default_factory=list)


class Campaign:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.figures = Figures()
        self.run_dir = LOCAL / "campaign" / f"{args.db}-{args.seed}"
        self.config = LOCAL / "campaign" / "odoo.conf"
        self.connection = None
        self.started_pg = False
        self.sandbox = None
        self.server = None
        self.registry = None
        self.monitor = None  # psycopg2 connection (autocommit) for polling
        self.moves = {}  # move id -> organisation id
        self.orgs = {}  # company id -> organisation id
        self.faults = None
        self.failed = True  # until a complete run says otherwise

    # ------------------------------------------------------------------ setup

    def setup(self):
        root = installer.install()
        self.started_pg = (
            postgres.external() is None and not (LOCAL / "pgdata" / "postmaster.pid").exists()
        )
        self.connection = postgres.start()
        shutil.rmtree(self.run_dir, ignore_errors=True)
        (self.run_dir / "logs").mkdir(parents=True)
        dev_odoo.write_config(root, self.connection, path=self.config)
        self._create_database()
        (self.run_dir / "sandbox").mkdir()
        self.sandbox = SandboxProcess(data_dir=self.run_dir / "sandbox").start()
        say(f"Netvisor sandbox on {self.sandbox.url}")

    def _create_database(self):
        db, template = self.args.db, self.args.template
        if template and self._database_exists(template):
            say(f"Cloning {template} into {db} ...")
            copy_database(self.connection, template, db)
            return
        if template:
            say(f"No database {template}: installing {MODULES} instead.")
        say(f"Creating {db} with {MODULES} (about a minute) ...")
        drop_database(self.connection, db)
        created = dev_odoo.run(
            ["-d", db, "-i", MODULES, "--stop-after-init", "--no-http", "--log-level=warn"],
            self.connection,
            check=False,
            config=self.config,
        )
        if created.returncode:
            raise RuntimeError(f"installing {MODULES} into {db} failed (see above)")

    def _database_exists(self, name):
        conn = self.connection.connect()
        try:
            with conn.cursor() as cr:
                cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                return bool(cr.fetchone())
        finally:
            conn.close()

    def load_registry(self):
        import odoo  # noqa: F401 - after the configuration exists
        from odoo.modules.registry import Registry
        from odoo.tools import config

        config.parse_config(
            ["-c", str(self.config), "-d", self.args.db, "--log-level=warn"], setup_logging=True
        )
        # a Resend that meets the cron's write is counted (conflicts), not logged
        logging.getLogger("odoo.sql_db").setLevel(logging.CRITICAL)
        self.registry = Registry(self.args.db)
        self.monitor = self.connection.connect(self.args.db)
        self.monitor.autocommit = True

    @contextlib.contextmanager
    def env(self):
        """An ORM environment as superuser; committed when the block ends without error."""
        from odoo import SUPERUSER_ID, api

        with self.registry.cursor() as cr:
            yield api.Environment(cr, SUPERUSER_ID, {})

    # ------------------------------------------------------------------ data

    def build(self):
        args = self.args
        with self.env() as env:
            params = env["ir.config_parameter"].sudo()
            params.set_param("database.uuid", str(uuid.uuid4()))  # a clone's own references
            params.set_param(READ_TIMEOUT_PARAM, str(args.read_timeout))
            params.set_param(NETVISOR_TIMEOUT_PARAM, str(args.netvisor_timeout))
            params.set_param(RETRY_DELAY_PARAM, str(args.retry_delay))
            env.ref("base.EUR").active = True
        companies = []
        for seed_company in SEED_COMPANIES:
            started = time.monotonic()
            with self.env() as env:
                company = self._company(env, seed_company)
                companies.append(company.id)
                self.orgs[company.id] = seed_company.organisation_id
            say(f"  company {seed_company.name} ready in {time.monotonic() - started:.0f} s")
        with self.env() as env:
            partners = self._partners(env)
        spans = months(args.months)
        per_company = [args.documents // len(companies)] * len(companies)
        per_company[0] += args.documents - sum(per_company)
        for company_id, count in zip(companies, per_company, strict=True):
            started = time.monotonic()
            self._documents(company_id, count, spans, partners)
            say(f"  {count} documents posted in {time.monotonic() - started:.0f} s")
        with self.env() as env:
            for company_id in companies:
                company = env["res.company"].browse(company_id)
                env["netvisor.account.map"].with_company(company).action_fetch_netvisor_chart()
        self.figures.documents = len(self.moves)
        self.figures.companies = len(companies)
        return companies, spans

    def _company(self, env, seed_company):
        digits = seed_company.organisation_id.replace("-", "")
        company = env["res.company"].create(
            {
                "name": f"{seed_company.name} (campaign)",
                "country_id": env.ref("base.fi").id,
                "currency_id": env.ref("base.EUR").id,
                "company_registry": seed_company.organisation_id,
                "vat": f"FI{digits}",
                "street": "Esimerkkikatu 1",
                "zip": "00100",
                "city": "Helsinki",
            }
        )
        env.user.company_ids |= company
        env["account.chart.template"].try_loading("fi", company, install_demo=False)
        company.write(
            {
                "netvisor_enabled": True,
                "netvisor_environment": "custom",
                "netvisor_custom_url": self.sandbox.url,
                "netvisor_customer_id": seed_company.customer_id,
                "netvisor_customer_key": seed_company.customer_key,
                "netvisor_partner_id": seed.PARTNER_ID,
                "netvisor_partner_key": seed.PARTNER_KEY,
                "netvisor_organisation_id": seed_company.organisation_id,
                "netvisor_language": "FI",
                "netvisor_start_date": FIRST_MONTH,
            }
        )
        return company

    @staticmethod
    def _partners(env):
        customers = {
            key: demo_data._partner(env, *value, "customer_rank").id
            for key, value in demo_data.CUSTOMERS.items()
        }
        vendors = {
            key: demo_data._partner(env, *value, "supplier_rank").id
            for key, value in demo_data.VENDORS.items()
        }
        return customers, vendors

    def _documents(self, company_id, count, spans, partners):
        """`count` posted documents of one company, spread over the months, in batches."""
        customers, vendors = partners
        types = [t for t, _w in MOVE_TYPES]
        weights = [w for _t, w in MOVE_TYPES]
        plan = []
        for index in range(count):
            start, end = spans[index % len(spans)]
            # every month gets at least one sale and one bill, so every period has vouchers
            move_type = (
                ("out_invoice", "in_invoice")[index // len(spans) % 2]
                if index < 2 * len(spans)
                else self.rng.choices(types, weights)[0]
            )
            day = start + datetime.timedelta(days=self.rng.randrange((end - start).days + 1))
            plan.append((move_type, day))
        taxes = {}
        for offset in range(0, count, CREATE_BATCH):
            with self.env() as env:
                company = env["res.company"].browse(company_id)
                values = []
                for number, (move_type, day) in enumerate(
                    plan[offset : offset + CREATE_BATCH], start=offset
                ):
                    sale = move_type.startswith("out_")
                    kind, tax_ids, amounts = self.rng.choice(
                        demo_data.SALES if sale else demo_data.PURCHASES
                    )
                    if tax_ids not in taxes:
                        taxes[tax_ids] = demo_data._taxes(env, company, tax_ids).ids
                    lines = [
                        (
                            0,
                            0,
                            {
                                "name": f"Rivi {line + 1}",
                                "quantity": 1,
                                "price_unit": round(self.rng.uniform(5, 4000), 2),
                                "tax_ids": [(6, 0, [taxes[tax_ids][line % len(taxes[tax_ids])]])],
                            },
                        )
                        for line in range(len(amounts))
                    ]
                    values.append(
                        {
                            "move_type": move_type,
                            "partner_id": (customers if sale else vendors)[kind],
                            "invoice_date": day,
                            "date": day,
                            "invoice_line_ids": lines,
                            **({} if sale else {"ref": f"OL-{company_id}-{number}"}),
                        }
                    )
                moves = env["account.move"].with_company(company).create(values)
                moves.action_post()
                org = self.orgs[company_id]
                self.moves.update(dict.fromkeys(moves.ids, org))

    def close_periods(self, companies, spans):
        """Every month's sales and purchase period of each company, in date order."""
        for start, end in spans:
            for company_id in companies:
                for kind in ("sale", "purchase"):
                    with self.env() as env:
                        company = env["res.company"].browse(company_id)
                        wizard = (
                            env["netvisor.period.close"]
                            .with_company(company)
                            .with_context(default_kind=kind)
                            .create({"kind": kind, "date_from": start, "date_to": end})
                        )
                        wizard.action_confirm()
                    self.figures.periods += 1

    # ------------------------------------------------------------------ watching

    def voucher_states(self):
        with self.monitor.cursor() as cr:
            cr.execute(
                "SELECT state, count(*), max(write_date) FROM netvisor_voucher GROUP BY state"
            )
            rows = cr.fetchall()
        return {state: count for state, count, _w in rows}, tuple(sorted(rows))

    @staticmethod
    def cron_has_work(states):
        return any(states.get(state) for state in CRON_STATES)

    def trigger_cron(self):
        """What time does in life: the sender's next retry, now."""
        with self.env() as env:
            env.ref(CRON_XMLID)._trigger()
        self.figures.nudges += 1

    def press_resend(self):
        """The user presses Resend on every period that has vouchers not sent."""
        import psycopg2

        from odoo.exceptions import UserError

        pressed = 0
        try:
            with self.env() as env:
                periods = env["netvisor.period"].search(
                    [("voucher_ids.state", "not in", (SENT, CANCELLED))]
                )
                for period in periods:
                    try:
                        with env.cr.savepoint():
                            period.action_resend()
                        pressed += 1
                    except UserError:
                        pass  # nothing left to do for this period
        except psycopg2.extensions.TransactionRollbackError:
            self.figures.resend_conflicts += 1  # the cron wrote the same rows: press again
            return 0
        self.figures.resend_presses += pressed
        return pressed

    def ensure_server(self):
        if not self.server.alive():
            self.figures.unexpected_exits += 1
            say(f"  Odoo server exited by itself (code {self.server.process.returncode}); restart")
            self.server.start()

    # ------------------------------------------------------------------ phases

    def chaos_phase(self):
        args, figures = self.args, self.figures
        total = len(self.moves)
        # before the tail, which goes fast once the chaos is off
        kill_points = sorted(self.rng.uniform(0.03, 0.7) * total for _ in range(args.kills))
        faults = self.faults
        faults.set_probability(min(args.max_probability, FIRST_PROBABILITY))
        self.server.start()
        say(f"Sending under chaos (p={faults.probability:.2f}), {args.kills} kills planned ...")
        deadline = time.monotonic() + args.chaos_seconds
        last_signature, last_activity, last_requests = None, time.monotonic(), -1
        next_adapt = next_report = kill_at = last_nudge = last_resend = 0.0
        user_waiting, user_since = (), time.monotonic()
        activity_since_start = False
        while time.monotonic() < deadline:
            now = time.monotonic()
            states, signature = self.voucher_states()
            requests, injected, _stats = faults.stats()
            if signature != last_signature or requests != last_requests:
                last_signature, last_requests, last_activity = signature, requests, now
                activity_since_start = True
            sent = states.get(SENT, 0)
            waiting = total - sent - states.get(CANCELLED, 0)
            if faults.on:
                if sum(injected.values()) >= args.faults:
                    faults.stop()
                    say(f"  {sum(injected.values())} faults injected: chaos off")
                elif now >= next_adapt:
                    next_adapt = now + 2
                    wanted = self._probability(faults.probability, injected, sent, total)
                    if abs(wanted - faults.probability) >= 0.01:
                        faults.set_probability(wanted)
            kills_left = figures.kills < args.kills
            if not faults.on and not kills_left:
                break
            if not waiting:
                if kill_at:  # the kill planned for this moment strikes the sender's last work
                    self.kill_server(figures, args, sent, total)
                break  # nothing left to send: no fault or kill can strike any more
            if kill_at and now >= kill_at:
                self.kill_server(figures, args, sent, total)
                kill_at = 0.0
                activity_since_start = False
            elif (
                kills_left
                and not kill_at
                and activity_since_start
                and now - last_activity < 0.5
                and sent >= kill_points[figures.kills]
            ):
                kill_at = now + self.rng.uniform(0.0, 0.8)  # a random moment of the sending
            self.ensure_server()
            idle = now - last_activity
            waiting_for_user = tuple(states.get(state, 0) for state in USER_STATES)
            if waiting_for_user != user_waiting:
                user_waiting, user_since = waiting_for_user, now
            user_waits = any(user_waiting) and now - user_since > RESEND_AFTER
            stalled = idle > args.netvisor_timeout + 1
            if (user_waits or stalled) and now - last_resend > RESEND_AFTER:
                self.press_resend()
                self.trigger_cron()
                last_resend = last_nudge = now
            elif self.cron_has_work(states) and min(idle, now - last_nudge) > NUDGE_AFTER:
                self.trigger_cron()
                last_nudge = now
            if now >= next_report:
                next_report = now + 15
                say(
                    f"  {sent}/{total} sent, {sum(injected.values())} faults, "
                    f"{figures.kills} kills, states {dict(sorted(states.items()))}"
                )
            time.sleep(POLL)
        faults.stop()
        figures.faults = faults.stats()[1]
        if sum(figures.faults.values()) < args.faults:
            figures.shortfalls.append(f"faults {sum(figures.faults.values())} < {args.faults}")
        if figures.kills < args.kills:
            figures.shortfalls.append(f"kills {figures.kills} < {args.kills}")

    def kill_server(self, figures, args, sent, total):
        self.server.kill()
        figures.kills += 1
        self.server.start()
        say(f"  kill {figures.kills}/{args.kills} at {sent}/{total} sent")

    def _probability(self, probability, injected, sent, total):
        """The next chaos probability: up when the faults lag behind the vouchers sent,
        down when they run ahead (a fault costs a voucher one or more further requests,
        so no fixed probability gives a known number of faults)."""
        if total - sent <= FAULT_TAIL * total:
            return self.args.max_probability
        due = self.args.faults * min(1.0, FAULT_MARGIN * (sent + 0.02 * total) / total)
        step = PROBABILITY_STEP if sum(injected.values()) < due else 1 / PROBABILITY_STEP
        return min(self.args.max_probability, max(MIN_PROBABILITY, probability * step))

    def resend_phase(self):
        """Chaos is off: press Resend until every voucher is sent, within bounds."""
        args = self.args
        self.ensure_server()
        deadline = time.monotonic() + args.resend_seconds
        quiet = max(3.0, args.netvisor_timeout + 1)  # lets a hung request land first
        say("Chaos off: Resend until everything is sent ...")
        for round_number in range(1, args.resend_rounds + 1):
            states = self._wait_quiet(quiet, deadline)
            left = {s: c for s, c in states.items() if s not in (SENT, CANCELLED)}
            if not left or time.monotonic() >= deadline:
                break
            pressed = self.press_resend()
            self.trigger_cron()
            say(f"  round {round_number}: {left} left, Resend pressed on {pressed} period(s)")
        return self.voucher_states()[0]

    def _wait_quiet(self, quiet, deadline):
        """Wait until nothing has moved for `quiet` seconds, nudging the cron meanwhile."""
        last_signature, last_activity, last_nudge = None, time.monotonic(), 0.0
        limit = min(deadline, time.monotonic() + 120)
        while time.monotonic() < limit:
            now = time.monotonic()
            states, signature = self.voucher_states()
            signature = (signature, self.faults.stats()[0])
            if signature != last_signature:
                last_signature, last_activity = signature, now
            self.ensure_server()
            idle = now - last_activity
            if idle >= quiet or set(states) <= {SENT, CANCELLED}:
                return states
            if self.cron_has_work(states) and min(idle, now - last_nudge) > NUDGE_AFTER:
                self.trigger_cron()
                last_nudge = now
            time.sleep(POLL)
        return self.voucher_states()[0]

    # ------------------------------------------------------------------ verdict

    def verify(self):
        figures = self.figures
        with self.monitor.cursor() as cr:
            cr.execute(
                """SELECT v.move_id, v.reference, v.state, v.netvisor_key, v.error_category
                     FROM netvisor_voucher v WHERE v.state != %s""",
                [CANCELLED],
            )
            vouchers = {row[0]: row[1:] for row in cr.fetchall()}
            cr.execute(
                "SELECT active FROM ir_cron WHERE id = (SELECT res_id FROM ir_model_data"
                " WHERE module = 'ecomjet_netvisor' AND name = 'ir_cron_netvisor_send')"
            )
            row = cr.fetchone()
            figures.cron_active = row[0] if row else None
        ledger, keys = {}, {}
        for org in sorted(set(self.moves.values())):
            answer = self.sandbox.admin("GET", f"companies/{org}/vouchers?status=valid")
            answer.raise_for_status()
            valid = [v for v in answer.json()["vouchers"] if v.get("status", "valid") == "valid"]
            figures.in_netvisor += len(valid)
            by_reference = defaultdict(list)
            for voucher in valid:
                reference = (voucher["description"] or "").split(" ", 1)[0]
                by_reference[reference].append(voucher["netvisor_key"])
            ledger[org], keys[org] = by_reference, {str(v["netvisor_key"]) for v in valid}
        references = set()
        for move_id, org in sorted(self.moves.items()):
            reference, state, key, category = vouchers.get(move_id, (None, None, None, None))
            references.add((org, reference))
            found = ledger[org].get(reference, []) if reference else []
            problem = None
            if len(found) > 1:
                figures.duplicates += len(found) - 1
                problem = f"{len(found)} valid vouchers in Netvisor"
            if not found:
                figures.lost += 1
                problem = "not in Netvisor"
            elif state == SENT and str(key) not in keys[org]:
                figures.lost += 1
                problem = f"sent with key {key}, which Netvisor does not hold"
            if state != SENT:
                figures.stuck += 1
                figures.stuck_states[state or "no voucher"] += 1
                problem = "; ".join(filter(None, [problem, f"state {state} ({category})"]))
            if problem:
                figures.problems.append(f"move {move_id} {reference} [{org}]: {problem}")
        figures.strays = sum(
            len(found)
            for org, by_reference in ledger.items()
            for reference, found in by_reference.items()
            if (org, reference) not in references
        )
        for log in (self.run_dir / "logs").glob("odoo-*.log"):
            text = log.read_text(errors="replace")
            figures.cron_failures += len(CRON_FAILED.findall(text))
            figures.log_errors.update(line[:160] for line in LOG_ERROR.findall(text))
        stats = self.faults.stats()[2]
        figures.overlaps = stats.get("overlaps", {})
        figures.requests = stats.get("requests", {})

    def report(self, wall):
        f, args = self.figures, self.args
        rows = [
            ("seed", args.seed),
            ("documents", f.documents),
            ("companies", f.companies),
            ("periods", f.periods),
            ("faults injected", sum(f.faults.values())),
            *[(f"  {kind}", count) for kind, count in sorted(f.faults.items())],
            ("kills (SIGKILL)", f.kills),
            ("vouchers in Netvisor", f.in_netvisor),
            ("duplicates", f.duplicates),
            ("lost", f.lost),
            ("stuck", f.stuck),
            *[(f"  {state}", count) for state, count in sorted(f.stuck_states.items())],
            ("strays in Netvisor", f.strays),
            *[
                (f"overlapping requests {org}", f"{f.overlaps[org]} of {f.requests.get(org, '?')}")
                for org in sorted(f.overlaps)
                if org
            ],
            ("server starts / own exits", f"{f.server_starts} / {f.unexpected_exits}"),
            ("cron nudges", f.nudges),
            ("Resend presses (conflicts)", f"{f.resend_presses} ({f.resend_conflicts})"),
            ("cron runs that raised", f.cron_failures),
            ("ERROR lines in the server log", f.log_errors.total()),
            ("cron active at the end", f.cron_active),
            ("wall time", f"{wall:.0f} s"),
            *[(f"  {name}", f"{seconds:.0f} s") for name, seconds in f.phases.items()],
        ]
        width = max(len(str(name)) for name, _v in rows)
        print("\nFault campaign", flush=True)
        for name, value in rows:
            print(f"  {name:<{width}}  {value}")
        for line, count in f.log_errors.most_common(5):
            print(f"  log {count} x {line}")
        for line in f.problems[:25]:
            print(f"  ! {line}")
        if len(f.problems) > 25:
            print(f"  ! ... {len(f.problems) - 25} more")
        for line in f.shortfalls:
            print(f"  ! target not reached: {line}")
        print(flush=True)
        return bool(f.duplicates or f.lost or f.stuck or f.shortfalls)

    # ------------------------------------------------------------------ whole run

    def run(self):
        started = time.monotonic()
        phases = self.figures.phases
        self.setup()
        phases["database"] = time.monotonic() - started
        mark = time.monotonic()
        self.load_registry()
        say(f"Building two companies and {self.args.documents} documents ...")
        companies, spans = self.build()
        phases["companies and documents"] = time.monotonic() - mark
        mark = time.monotonic()
        self.close_periods(companies, spans)
        phases["closing periods"] = time.monotonic() - mark
        say(f"{self.figures.periods} periods closed in {phases['closing periods']:.0f} s")
        self.faults = Chaos(self.sandbox, self.rng, self.args.hang_seconds)
        self.server = OdooServer(
            self.args.db,
            self.config,
            self.connection,
            self.run_dir / "logs",
            self.args.workers,
        )
        mark = time.monotonic()
        self.chaos_phase()
        phases["sending under chaos"] = time.monotonic() - mark
        mark = time.monotonic()
        self.resend_phase()
        phases["Resend rounds"] = time.monotonic() - mark
        self.server.stop()
        self.figures.server_starts = self.server.starts
        self.verify()
        self.failed = self.report(time.monotonic() - started)
        return 1 if self.failed else 0

    def cleanup(self):
        if self.server:
            self.server.stop()
        if self.sandbox:
            with contextlib.suppress(Exception):
                if self.faults:
                    self.faults.stop()
            self.sandbox.stop()
        if self.monitor:
            self.monitor.close()
        if self.registry:
            from odoo.modules.registry import Registry
            from odoo.sql_db import close_all

            Registry.delete_all()
            close_all()
        keep = self.args.keep or self.failed
        if self.connection and not self.args.keep:
            with contextlib.suppress(Exception):
                drop_database(self.connection, self.args.db)
        if keep:
            say(f"Logs and sandbox data kept in {self.run_dir}")
        else:
            shutil.rmtree(self.run_dir, ignore_errors=True)
        if self.started_pg:
            postgres.stop()


def say(text):
    print(text, flush=True)


def run_and_clean_up(runner):
    """``runner.run()``; Ctrl-C, kill and errors all end in ``runner.cleanup()``, which
    stops every process it started (its logs are kept when it failed)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return runner.run()
    except KeyboardInterrupt:
        say("\nInterrupted: stopping what was started ...")
        runner.failed = True
        return 130
    except Exception:
        runner.failed = True
        raise
    finally:
        runner.cleanup()


def main(argv=None):
    args = parse_args(argv)
    say(f"Fault campaign, seed {args.seed}")
    return run_and_clean_up(Campaign(args))


if __name__ == "__main__":
    sys.exit(main())
