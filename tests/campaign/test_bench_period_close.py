"""The short version of tests/benchmarks/bench_period_close.py: a real prefork Odoo server
sends a closed month through its cron, and two companies on two cron workers are sent at
the same time, never two requests of one company at once.

Its figures are printed, not asserted (timings are noisy); what is asserted is behaviour:
every voucher once, the period's chatter short, the sent month matching Netvisor, two
companies served side by side with two cron workers and one after the other with one.
"""

import re

from dev.testrun import TEMPLATE_DB
from tests.campaign.test_fault_campaign import ROOT, run_campaign

SCRIPT = ROOT / "tests" / "benchmarks" / "bench_period_close.py"
ROW_1 = re.compile(r"^\s+(\d+)\s+(\d+)(?:\s+-?[\d.]+){11}\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$")
ROW_3 = re.compile(r"^\s+(\d+)\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+(\w+)\s*$")
ROW_2 = re.compile(r"^\s+(\d+)(?:\s+-?[\d.]+){3}\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$")


def table(output, title, row):
    lines = output.split(title, 1)[1].splitlines()[2:] if title in output else []
    rows = []
    for line in lines:
        match = row.match(line)
        if not match:
            break
        rows.append(tuple(int(value) for value in match.groups()))
    return rows


def test_short_period_close_benchmark():
    code, output = run_campaign(
        "--sizes",
        "150",
        "--latencies",
        "20",
        "--companies",
        "2",
        "--per-company",
        "60",
        "--cron-workers",
        "1,2",
        "--db",
        "ecomjet_netvisor_bench_test",
        "--template",
        TEMPLATE_DB,
        script=SCRIPT,
    )
    tail = output[-6000:]
    assert code == 0, tail
    single = table(output, "Table 1:", ROW_1)
    # N, latency, chatter messages, duplicates, missing, overlapping requests
    assert single == [(150, 20, single[0][2], 0, 0, 0)], tail
    assert 1 <= single[0][2] <= 3, tail
    # the comparison of the sent month finds it matching Netvisor
    lines = output.split("Table 3:", 1)[1].splitlines()[2:] if "Table 3:" in output else []
    compared = [m.groups() for m in map(ROW_3.match, lines[:1]) if m]
    assert compared == [("150", "matches")], tail
    parallel = table(output, "Table 2:", ROW_2)
    # cron workers, companies served at once, duplicates, missing, overlapping requests
    assert parallel == [(1, 1, 0, 0, 0), (2, 2, 0, 0, 0)], tail
