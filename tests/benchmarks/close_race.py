"""A close and a posting in two real transactions at the same moment (issue: integrity
around the close). Run from the repository root:

    python3 tests/benchmarks/close_race.py [--template DB] [--keep]

Another user posts an invoice dated in the month and keeps the transaction open for a
moment (as a slow posting does) while the accountant closes the month through the wizard.
The posted invoice must end up in the closed period, or dated after it (Odoo moves a
document's date past a lock date): never locked inside the period and in no period. Then
a posting whose transaction began before the next month's close committed posts after it:
it must meet the new lock date (a serialization failure, retried as Odoo retries a
request), not the old one its snapshot still shows.
Prints what happened and exits non-zero when the invoice is lost.
"""

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_period_close as bench
from fault_campaign import run_and_clean_up, say

from netvisor_sandbox import seed

HOLD = 2.0  # seconds the posting transaction stays open after posting


class Race(bench.Bench):
    def post_invoice(self, env, company_id, day, name):
        """Create and post a one-line invoice in ``env``'s transaction; its id."""
        invoice = (
            env["account.move"]
            .with_company(company_id)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.partner_id,
                    "invoice_date": day,
                    "invoice_line_ids": [(0, 0, {"name": name, "quantity": 1, "price_unit": 42})],
                }
            )
        )
        invoice.action_post()
        return invoice.id

    @staticmethod
    def outcome(env, invoice_id, period_id, span):
        """(invoice, period, lost): lost when dated inside the closed span yet in no voucher."""
        invoice = env["account.move"].browse(invoice_id)
        period = env["netvisor.period"].browse(period_id)
        inside = span[0] <= invoice.date <= span[1]
        return invoice, period, inside and invoice not in period.voucher_ids.move_id

    def run(self):
        from odoo import SUPERUSER_ID, api

        self.prepare()
        company_id = self.odoo_company(seed.COMPANY_A)
        span = bench.month(0)
        self.invoices(company_id, 3, span)
        posted, result = threading.Event(), {}

        def post_slowly():
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                result["invoice"] = self.post_invoice(env, company_id, span[1], "Kiireellinen")
                posted.set()
                time.sleep(HOLD)
            result["committed"] = time.monotonic()

        poster = threading.Thread(target=post_slowly)
        poster.start()
        if not posted.wait(60):
            raise RuntimeError("the posting never happened")
        from odoo.exceptions import UserError

        started = time.monotonic()
        try:
            periods, _checks, _confirm = self.close([company_id], span)
        except UserError as error:
            closed = time.monotonic()
            poster.join()
            say(f"The close refused after {closed - started:.1f} s: {error}")
            say("Confirm again ...")
            periods, _checks, _confirm = self.close([company_id], span)
        else:
            closed = time.monotonic()
            poster.join()
        with self.env() as env:
            invoice, period, lost = self.outcome(env, result["invoice"], periods[company_id], span)
            in_period = invoice in period.voucher_ids.move_id
            say(
                f"Close took {closed - started:.1f} s; the posting committed "
                f"{result['committed'] - started:.1f} s after the close began."
            )
            say(
                f"Invoice {invoice.name} dated {invoice.date}: "
                f"{'in the period' if in_period else 'not in the period'} "
                f"({period.voucher_count} vouchers), lock date {period.date_to}."
            )
        if lost:
            say("LOST: locked inside the closed period, in no period, never sent.")
            self.failed = True
            return 1
        say("OK: the invoice is in the period or dated after it.")
        return self.posting_after_the_close(company_id, span)

    def posting_after_the_close(self, company_id, span):
        """A posting whose transaction began before the next month's close committed: it
        must not post into the closed month with the old lock date it could still see."""
        import psycopg2

        from odoo import SUPERUSER_ID, api

        span = bench.month(1)
        self.invoices(company_id, 2, span)
        began, closed, result = threading.Event(), threading.Event(), {}

        def post_late(attempt):
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                cr.execute("SELECT sale_lock_date FROM res_company")  # the snapshot begins
                if attempt == 0:
                    began.set()
                    closed.wait(60)
                result["invoice"] = self.post_invoice(env, company_id, span[1], "Myöhässä")

        def poster():
            for attempt in range(3):  # what Odoo's request retry does
                try:
                    post_late(attempt)
                    return
                except psycopg2.errors.SerializationFailure:
                    result.setdefault("retries", 0)
                    result["retries"] = result["retries"] + 1
                    began.set()

        thread = threading.Thread(target=poster)
        thread.start()
        began.wait(60)
        periods, _checks, _confirm = self.close([company_id], span)
        closed.set()
        thread.join()
        with self.env() as env:
            invoice, period, lost = self.outcome(env, result["invoice"], periods[company_id], span)
            in_period = invoice in period.voucher_ids.move_id
            say(
                f"Posting after the close: {result.get('retries', 0)} serialization "
                f"failure(s), then {invoice.name} dated {invoice.date} "
                f"({'in' if in_period else 'not in'} the period closed up to {period.date_to})."
            )
        if lost:
            say("LOST: posted into the closed month with the old lock date.")
            self.failed = True
            return 1
        say("OK: the late posting is dated after the closed month.")
        return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="ecomjet_netvisor_race")
    parser.add_argument("--template")
    parser.add_argument("--keep", action="store_true")
    args = bench.parse_args(["--db", "x"])
    parsed = parser.parse_args(argv)
    args.db, args.template, args.keep = parsed.db, parsed.template, parsed.keep
    return run_and_clean_up(Race(args))


if __name__ == "__main__":
    sys.exit(main())
