"""Benchmark: closing and sending a big month, and many companies on several cron workers.

Run from the repository root (a script that prints tables, not a timed test; `make test`
runs a short version, tests/campaign/test_bench_period_close.py):

    python3 tests/benchmarks/bench_period_close.py [--sizes 2000,10000] [--latencies 0,20]
        [--companies 4] [--cron-workers 1,2,4] [--per-company 500] [--template DB] [--keep]

Table 1, for each size N: N posted customer invoices of one company in one month (3
lines, domestic 25.5 %; creation time reported apart, not counted), then for each sandbox
latency (the same documents, their close undone in between):
- the bare limit: the same N vouchers, built beforehand, POSTed one after another by the
  connector alone (its own client, signing each request) to another sandbox organisation;
- the close wizard opened for the month and its checks computed; `action_confirm`;
- sending until all are sent, by the company's cron in a real Odoo server process
  (prefork without HTTP, 1 cron worker, started and warmed up before the close).
It prints wall times, vouchers/s, the ratio to the bare limit, the addon's own time per
voucher ((send - bare) / N, and as the sender logs it: its time outside requests), SQL
queries per voucher (logged by the sender), the peak RSS of the server's processes, and
the messages the sender left in the period's chatter.

Table 3 (issue 10), for each size N, after its last send: reading the period's ledger
(`accountingledger.nv` for its dates, by the connector alone, as the comparison reads it)
against *Compare with Netvisor* on the period (in-process, everything it reads and stores
included); the ratio, and the outcome (must be "matches").

Table 2: C companies × N invoices each, closed in one transaction, sent by a server with
W cron workers (the same documents for each W): wall time, speed-up over W = 1, the most
companies served at once, duplicates in the sandbox, and requests of one organisation
that overlapped (the sandbox counts them: must be 0).

Exits non-zero when a voucher is missing, duplicated or not sent, or requests overlapped.
"""

import argparse
import contextlib
import datetime
import os
import re
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fault_campaign as campaign
from fault_campaign import run_and_clean_up, say

from dev import demo_data
from netvisor_sandbox import seed

CREATE_BATCH = 250
POLL = 0.05
SEND_TIMEOUT = 3600.0
SENDER_LINE = re.compile(
    r"Netvisor: company (\d+): (\d+) vouchers in ([\d.]+) s, Netvisor ([\d.]+) s, (\d+) queries"
)
TAX = "tax_dom_sales_goods_25_5"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2000,10000", help="invoices per period (table 1)")
    parser.add_argument("--latencies", default="0,20", help="sandbox latency, ms (table 1)")
    parser.add_argument("--companies", type=int, default=4, help="companies (table 2)")
    parser.add_argument("--cron-workers", default="1,2,4", help="cron workers (table 2)")
    parser.add_argument("--per-company", type=int, default=500, help="invoices (table 2)")
    parser.add_argument("--parallel-latency", type=int, default=20, help="ms (table 2)")
    parser.add_argument("--db", default="ecomjet_netvisor_bench", help="database to create")
    parser.add_argument("--template", help="clone this database instead of installing")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    args = parser.parse_args(argv)
    args.sizes = [int(x) for x in args.sizes.split(",") if x]
    args.latencies = [int(x) for x in args.latencies.split(",") if x]
    args.cron_workers = [int(x) for x in args.cron_workers.split(",") if x]
    # what fault_campaign.Campaign reads
    args.seed, args.workers = 0, 2
    return args


@dataclass
class Sending:
    """One measured send."""

    vouchers: int = 0
    wall: float = 0.0
    logged_wall: float = 0.0
    logged_remote: float = 0.0
    queries: int = 0
    peak_rss_mb: float = 0.0
    overlaps: int = 0
    concurrent: int = 0  # the most organisations served at the same moment
    duplicates: int = 0
    missing: int = 0


def business_id(number):
    """A Finnish business ID with a valid check digit, from a 7-digit number."""
    while True:
        first = f"{number:07d}"
        digit = seed.business_id_check_digit(first)
        if digit is not None:
            return f"{first}-{digit}"
        number += 1


def month(index):
    """(first day, last day) of the index-th month from 2026-01 (the sandbox's year)."""
    return campaign.months(index + 1)[index]


class Bench(campaign.Campaign):
    def __init__(self, args):
        super().__init__(args)
        self.run_dir = campaign.LOCAL / "bench" / args.db
        self.config = campaign.LOCAL / "bench" / "odoo.conf"
        self.month_index = 0
        self.bare_client = None
        self.bare_org = None
        self.partner_id = None
        self.failed = False

    # ------------------------------------------------------------------ setup

    def prepare(self):
        self.setup()
        self.load_registry()
        with self.env() as env:
            env["ir.config_parameter"].sudo().set_param("database.uuid", str(uuid.uuid4()))
            env.ref("base.EUR").active = True
        with self.env() as env:
            customers, _vendors = self._partners(env)
            self.partner_id = customers["fi"]
        self.bare_client = self._bare_client()

    def _sandbox_company(self, name, number):
        org = business_id(number)
        answer = self.sandbox.admin(
            "POST",
            "companies",
            {"name": name, "organisation_id": org, "customer_id": f"BENCH_{number}"},
        )
        if answer.status_code != 201:
            raise RuntimeError(f"sandbox: {answer.status_code} {answer.text}")
        data = answer.json()
        return seed.SeedCompany(name, org, f"BENCH_{number}", data["customer_key"], "premium")

    def _bare_client(self):
        from odoo.addons.ecomjet_netvisor.netvisor import Credentials, NetvisorClient

        company = self._sandbox_company("Bare Oy", 5550000)
        self.bare_org = company.organisation_id
        credentials = Credentials(
            base_url=self.sandbox.url,
            sender="bench",
            customer_id=company.customer_id,
            customer_key=company.customer_key,
            partner_id=seed.PARTNER_ID,
            partner_key=seed.PARTNER_KEY,
            organisation_id=company.organisation_id,
        )
        return NetvisorClient(credentials, max_retries=1)

    def odoo_company(self, seed_company):
        with self.env() as env:
            company = self._company(env, seed_company)
            company_id = company.id
            self.orgs[company_id] = seed_company.organisation_id
        with self.env() as env:
            company = env["res.company"].browse(company_id)
            env["netvisor.account.map"].with_company(company).action_fetch_netvisor_chart()
        return company_id

    def invoices(self, company_id, count, span):
        """`count` posted customer invoices in the month; returns (move ids, seconds)."""
        started = time.monotonic()
        start, end = span
        days = (end - start).days + 1
        ids = []
        for offset in range(0, count, CREATE_BATCH):
            with self.env() as env:
                company = env["res.company"].browse(company_id)
                tax = demo_data._taxes(env, company, (TAX,))
                values = [
                    {
                        "move_type": "out_invoice",
                        "partner_id": self.partner_id,
                        "invoice_date": start + datetime.timedelta(days=number % days),
                        "invoice_line_ids": [
                            (
                                0,
                                0,
                                {
                                    "name": f"Rivi {line}",
                                    "quantity": 1,
                                    "price_unit": 10 + number % 97 + line,
                                    "tax_ids": [(6, 0, tax.ids)],
                                },
                            )
                            for line in range(3)
                        ],
                    }
                    for number in range(offset, min(offset + CREATE_BATCH, count))
                ]
                # no chatter on the invoices: their creation is not what is measured
                Move = env["account.move"].with_company(company).with_context(tracking_disable=True)
                moves = Move.create(values)
                moves.action_post()
                ids += moves.ids
        for move_id in ids:
            self.moves[move_id] = self.orgs[company_id]
        return ids, time.monotonic() - started

    def latency(self, ms):
        answer = self.sandbox.admin("POST", "latency", {"ms": ms})
        answer.raise_for_status()

    def reset_stats(self):
        self.sandbox.admin("DELETE", "stats").raise_for_status()

    def stats(self):
        return self.sandbox.admin("GET", "stats").json()

    # ------------------------------------------------------------------ the bare limit

    def bare(self, move_ids):
        """The same vouchers, built beforehand, POSTed one after another by the connector."""
        from odoo.addons.ecomjet_netvisor.netvisor import vouchers

        with self.env() as env:
            moves = env["account.move"].browse(move_ids)
            data, _problems = moves._netvisor_voucher_data({m: f"BARE-{m}" for m in move_ids})
            bodies = [vouchers.build_voucher_xml(data[m]) for m in move_ids]
        # the sandbox starts from the same empty ledger as the addon's send (reopen wipes
        # the company's): its cost per request may grow with the vouchers it holds
        self.sandbox.admin("DELETE", f"companies/{self.bare_org}/vouchers").raise_for_status()
        started = time.monotonic()
        for body in bodies:
            self.bare_client.import_voucher(body)
        return time.monotonic() - started

    # ------------------------------------------------------------------ closing

    def close(self, company_ids, span):
        """Close the month's sales of these companies in one transaction; returns
        ({company id: period id}, seconds to compute the wizard's checks, seconds of the
        confirms, commit included)."""
        periods, checks, confirms = {}, 0.0, 0.0
        with self.env() as env:
            for company_id in company_ids:
                company = env["res.company"].browse(company_id)
                started = time.monotonic()
                wizard = (
                    env["netvisor.period.close"]
                    .with_company(company)
                    .with_context(default_kind="sale")
                    .create({"kind": "sale", "date_from": span[0], "date_to": span[1]})
                )
                wizard.read(["move_count", "problems", "warning_message", "lock_notice"])
                checks += time.monotonic() - started
                if wizard.problems:
                    raise RuntimeError(f"the close is blocked: {wizard.problems}")
                started = time.monotonic()
                action = wizard.action_confirm()
                confirms += time.monotonic() - started
                periods[company_id] = action["res_id"]
            started = time.monotonic()
        confirms += time.monotonic() - started  # the commit
        return periods, checks, confirms

    # ------------------------------------------------------------------ sending

    def server_processes(self):
        """Pids of the Odoo server's process group (master and workers)."""
        group = self.server.process.pid
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError, IndexError):
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    if int(stat.rsplit(")", 1)[1].split()[2]) == group:
                        pids.append(int(entry))
        return pids

    @staticmethod
    def peak_rss_mb(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def wait_sent(self, period_ids, total):
        """Seconds until every voucher of these periods is sent; peak RSS on the way."""
        started = time.monotonic()
        peak = 0.0
        last_rss = 0.0
        while True:
            with self.monitor.cursor() as cr:
                cr.execute(
                    "SELECT count(*) FROM netvisor_voucher WHERE period_id = ANY(%s) AND"
                    " state = 'sent'",
                    [list(period_ids)],
                )
                sent = cr.fetchone()[0]
            now = time.monotonic()
            if sent >= total:
                wall = now - started
                break
            if now - last_rss > 1.0:
                peak = max([peak, *map(self.peak_rss_mb, self.server_processes())])
                last_rss = now
            if now - started > SEND_TIMEOUT:
                raise RuntimeError(f"only {sent} of {total} sent after {SEND_TIMEOUT} s")
            if not self.server.alive():
                raise RuntimeError("the Odoo server stopped")
            time.sleep(POLL)
        peak = max([peak, *map(self.peak_rss_mb, self.server_processes())])
        return wall, peak

    def warm_up(self, company_ids):
        """Let every cron worker load the registry before the clock runs, as in a server
        that has been up for a while: trigger the companies' crons (nothing is due, each
        returns at once) and wait until each has run."""
        with self.env() as env:
            crons = [
                env["res.company"].browse(company_id)._netvisor_sender_cron()
                for company_id in company_ids
            ]
            before = {cron.id: cron.lastcall for cron in crons}
            for cron in crons:
                cron._trigger()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with self.monitor.cursor() as cr:
                cr.execute("SELECT id, lastcall FROM ir_cron WHERE id = ANY(%s)", [list(before)])
                if all(last and last != before[cron] for cron, last in cr.fetchall()):
                    return
            time.sleep(0.2)
        raise RuntimeError("the cron workers did not run the warm-up jobs")

    def start_server(self, cron_threads):
        self.server = campaign.OdooServer(
            self.args.db,
            self.config,
            self.connection,
            self.run_dir / "logs",
            self.args.workers,
            cron_threads=cron_threads,
        )
        self.server.start()
        deadline = time.monotonic() + 60
        # ready when its cron workers exist (no HTTP: the master and its cron workers)
        while len(self.server_processes()) < 1 + cron_threads:
            if time.monotonic() > deadline or not self.server.alive():
                raise RuntimeError("the Odoo server did not start")
            time.sleep(0.2)
        time.sleep(2.0)  # the workers' registries loaded, LISTEN in place

    def stop_server(self):
        log = self.run_dir / "logs" / f"odoo-{self.server.starts:03d}.log"
        self.server.stop()
        return log.read_text(errors="replace")

    def sender_figures(self, log, result):
        for match in SENDER_LINE.finditer(log):
            result.logged_wall += float(match.group(3))
            result.logged_remote += float(match.group(4))
            result.queries += int(match.group(5))
        errors = [line for line in log.splitlines() if " ERROR " in line or " CRITICAL " in line]
        if errors:
            self.failed = True
            say("Errors in the Odoo log:\n  " + "\n  ".join(errors[:10]))

    def verify(self, move_ids, result):
        """Each move exactly once in the sandbox (by its reference), none missing."""
        with self.env() as env:
            Voucher = env["netvisor.voucher"]
            references = {Voucher._netvisor_reference(m): m for m in move_ids}
        seen = Counter()
        for org in {self.moves[m] for m in move_ids}:
            answer = self.sandbox.admin("GET", f"companies/{org}/vouchers?status=valid")
            for voucher in answer.json()["vouchers"]:
                reference = (voucher["description"] or "").split(" ", 1)[0]
                if reference in references:
                    seen[reference] += 1
        result.duplicates = sum(count - 1 for count in seen.values() if count > 1)
        result.missing = len(references) - len(seen)
        if result.duplicates or result.missing:
            self.failed = True

    def last_message_id(self):
        with self.monitor.cursor() as cr:
            cr.execute("SELECT coalesce(max(id), 0) FROM mail_message")
            return cr.fetchone()[0]

    def chatter(self, period_id, after):
        """Messages the sender left in the period's chatter (after the close's own)."""
        with self.monitor.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM mail_message WHERE model = 'netvisor.period' AND"
                " res_id = %s AND id > %s",
                [period_id, after],
            )
            return cr.fetchone()[0]

    def wait_idle(self, company_ids, timeout=60.0):
        """Until no sender holds these companies' lock: the run that sent the last voucher
        has also posted its report (a server stopped earlier would lose it)."""
        from odoo.addons.ecomjet_netvisor.models.netvisor_period import SEND_LOCK_NAMESPACE

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.monitor.cursor() as cr:
                cr.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND"
                    " classid = %s AND objid = ANY(%s) AND objsubid = 2",
                    [SEND_LOCK_NAMESPACE, list(company_ids)],
                )
                if not cr.fetchone()[0]:
                    return
            time.sleep(POLL)
        raise RuntimeError("the sender kept running after everything was sent")

    # ------------------------------------------------------------------ tables

    def reopen(self, periods):
        """Undo sent closes so that the same documents are closed and sent again (the next
        latency or number of workers), instead of creating as many new ones: the period
        and its vouchers go, the documents show "not sent", the lock date goes back, and
        the sandbox forgets the organisations' vouchers. Benchmark plumbing, in SQL: the
        addon itself never reopens what is in Netvisor."""
        with self.monitor.cursor() as cr:
            for company_id, period_id in periods.items():
                cr.execute(
                    "UPDATE account_move SET netvisor_state = 'not_sent' WHERE id IN"
                    " (SELECT move_id FROM netvisor_voucher WHERE period_id = %s)",
                    [period_id],
                )
                cr.execute("DELETE FROM netvisor_voucher WHERE period_id = %s", [period_id])
                cr.execute(
                    "UPDATE res_company SET sale_lock_date = period.previous_lock_date"
                    " FROM netvisor_period period WHERE period.id = %s AND res_company.id = %s",
                    [period_id, company_id],
                )
                cr.execute("DELETE FROM netvisor_period WHERE id = %s", [period_id])
                cr.execute(
                    "DELETE FROM mail_message WHERE model = 'netvisor.period' AND res_id = %s",
                    [period_id],
                )
                org = self.orgs[company_id]
                self.sandbox.admin("DELETE", f"companies/{org}/vouchers").raise_for_status()

    def company_client(self, seed_company):
        from odoo.addons.ecomjet_netvisor.netvisor import Credentials, NetvisorClient

        credentials = Credentials(
            base_url=self.sandbox.url,
            sender="bench",
            customer_id=seed_company.customer_id,
            customer_key=seed_company.customer_key,
            partner_id=seed.PARTNER_ID,
            partner_key=seed.PARTNER_KEY,
            organisation_id=seed_company.organisation_id,
        )
        return NetvisorClient(credentials, max_retries=1)

    def compare(self, period_id, span, size):
        """(seconds to read the ledger, seconds to compare, outcome) of a sent period."""
        client = self.company_client(seed.COMPANY_A)
        start, end = (datetime.date.fromisoformat(str(day)) for day in span)
        started = time.monotonic()
        ledger = client.get_ledger(start, end, voucher_status="all")
        read = time.monotonic() - started
        if len(ledger) != size:
            raise RuntimeError(f"the ledger holds {len(ledger)} vouchers, not {size}")
        with self.env() as env:
            period = env["netvisor.period"].browse(period_id)
            started = time.monotonic()
            period._netvisor_compare()
            env.flush_all()
            compared = time.monotonic() - started
            outcome = period.compare_state
        if outcome != "matches":
            self.failed = True
        return read, compared, outcome

    def single(self):
        company_id = self.odoo_company(seed.COMPANY_A)
        rows = []
        self.comparisons = []
        for size in self.args.sizes:
            span = month(self.month_index)
            self.month_index += 1
            say(f"N = {size}: creating {size} invoices ...")
            move_ids, created = self.invoices(company_id, size, span)
            say(f"  created in {created:.0f} s")
            periods = None
            for latency in self.args.latencies:
                if periods:
                    self.reopen(periods)
                # the send meets an empty ledger too, as the bare loop does
                org = self.orgs[company_id]
                self.sandbox.admin("DELETE", f"companies/{org}/vouchers").raise_for_status()
                self.latency(latency)
                bare = self.bare(move_ids)
                say(f"  latency {latency} ms: bare limit {bare:.1f} s")
                self.start_server(cron_threads=1)
                self.warm_up([company_id])
                self.reset_stats()
                before = self.last_message_id()
                periods, checks, confirm = self.close([company_id], span)
                after = self.last_message_id()  # the close's own messages
                wall, peak = self.wait_sent(periods.values(), size)
                self.wait_idle([company_id])
                result = Sending(vouchers=size, wall=wall, peak_rss_mb=peak)
                self.sender_figures(self.stop_server(), result)
                result.overlaps = sum(self.stats().get("overlaps", {}).values())
                self.verify(move_ids, result)
                messages = self.chatter(periods[company_id], max(before, after))
                rows.append((size, latency, created, bare, checks, confirm, result, messages))
                say(f"  sent in {wall:.1f} s ({wall / bare:.2f} x the bare limit)")
            read, compared, outcome = self.compare(periods[company_id], span, size)
            self.comparisons.append((size, read, compared, outcome))
            say(f"  compared in {compared:.1f} s (ledger read {read:.1f} s): {outcome}")
        return rows

    def parallel(self):
        args = self.args
        companies = []
        for number in range(args.companies):
            sandbox_company = self._sandbox_company(
                f"Rinnakkais {number + 1} Oy", 6660000 + number * 10
            )
            companies.append(self.odoo_company(sandbox_company))
        span = month(self.month_index)
        self.month_index += 1
        say(f"{len(companies)} companies x {args.per_company} invoices ...")
        move_ids = []
        for company_id in companies:
            move_ids += self.invoices(company_id, args.per_company, span)[0]
        self.latency(args.parallel_latency)
        rows, periods = [], None
        for workers in args.cron_workers:
            if periods:
                self.reopen(periods)
            say(f"  {workers} cron workers")
            self.start_server(cron_threads=workers)
            self.warm_up(companies)
            self.reset_stats()
            periods, _checks, _confirm = self.close(companies, span)
            wall, peak = self.wait_sent(periods.values(), len(move_ids))
            self.wait_idle(companies)
            result = Sending(vouchers=len(move_ids), wall=wall, peak_rss_mb=peak)
            self.sender_figures(self.stop_server(), result)
            stats = self.stats()
            result.overlaps = sum(stats.get("overlaps", {}).values())
            result.concurrent = stats.get("max_organisations_in_flight", 0)
            self.verify(move_ids, result)
            rows.append((workers, result))
            say(f"  sent in {wall:.1f} s, overlaps {result.overlaps}")
            if result.overlaps:
                self.failed = True
        return rows

    def report(self, single, parallel):
        say("")
        say("Table 1: one company, one cron worker (prefork server)")
        head = (
            f"{'N':>6} {'lat ms':>6} {'create s':>8} {'wizard s':>8} {'confirm s':>9} "
            f"{'bare s':>7} {'send s':>7} {'v/s':>6} {'ratio':>6} {'own ms':>7} "
            f"{'logged own ms':>13} {'q/v':>5} {'RSS MB':>7} {'chatter':>7} {'dup':>4} "
            f"{'miss':>4} {'ovl':>4}"
        )
        say(head)
        for size, latency, created, bare, checks, confirm, r, messages in single:
            own = 1000 * (r.wall - bare) / size
            logged = 1000 * (r.logged_wall - r.logged_remote) / size
            say(
                f"{size:>6} {latency:>6} {created:>8.0f} {checks:>8.2f} {confirm:>9.2f} "
                f"{bare:>7.1f} {r.wall:>7.1f} {size / r.wall:>6.0f} {r.wall / bare:>6.2f} "
                f"{own:>7.2f} {logged:>13.2f} {r.queries / size:>5.1f} {r.peak_rss_mb:>7.0f} "
                f"{messages:>7} {r.duplicates:>4} {r.missing:>4} {r.overlaps:>4}"
            )
        if getattr(self, "comparisons", None):
            say("")
            say("Table 3: Compare with Netvisor against reading the period's ledger")
            say(f"{'N':>6} {'ledger read s':>13} {'compare s':>9} {'ratio':>6} {'outcome':>8}")
            for size, read, compared, outcome in self.comparisons:
                say(
                    f"{size:>6} {read:>13.2f} {compared:>9.2f} {compared / read:>6.2f} {outcome:>8}"
                )
        if parallel:
            say("")
            say(
                f"Table 2: {self.args.companies} companies x {self.args.per_company} invoices, "
                f"latency {self.args.parallel_latency} ms"
            )
            say(
                f"{'cron workers':>12} {'send s':>7} {'v/s':>6} {'speed-up':>8} "
                f"{'companies at once':>17} {'dup':>4} {'miss':>4} {'overlaps':>8}"
            )
            base = parallel[0][1].wall
            for workers, r in parallel:
                say(
                    f"{workers:>12} {r.wall:>7.1f} {r.vouchers / r.wall:>6.0f} "
                    f"{base / r.wall:>8.2f} {r.concurrent:>17} {r.duplicates:>4} {r.missing:>4} "
                    f"{r.overlaps:>8}"
                )

    def run(self):
        self.prepare()
        single = self.single() if self.args.sizes else []
        parallel = self.parallel() if self.args.cron_workers else []
        self.report(single, parallel)
        return 1 if self.failed else 0


def main(argv=None):
    return run_and_clean_up(Bench(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
