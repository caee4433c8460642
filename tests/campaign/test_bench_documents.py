"""The short version of tests/benchmarks/bench_documents.py: a real prefork Odoo server
sends a month of invoices with their PDFs through its cron.

Its memory figures are printed, not asserted (they are noisy at this size); what is
asserted is behaviour: every voucher sent, each carrying exactly its invoice's PDF in the
sandbox, and the voucher table not growing by the documents' size.
"""

import re

from dev.testrun import TEMPLATE_DB
from tests.campaign.test_fault_campaign import ROOT, run_campaign

SCRIPT = ROOT / "tests" / "benchmarks" / "bench_documents.py"
ROW = re.compile(
    r"^\s+(\d+)\s+(baseline|documents)\s+(\d+)\s+[\d.]+\s+[\d.]+\s+-?[\d.]+\s+(\d+)\s+(\d+)\s+(\d+)\s*$"
)


def test_short_documents_benchmark():
    code, output = run_campaign(
        "--vouchers",
        "12",
        "--document-mb",
        "1",
        "--rounds",
        "1",
        "--no-memory-limit",
        "--db",
        "ecomjet_netvisor_bench_documents_test",
        "--template",
        TEMPLATE_DB,
        script=SCRIPT,
    )
    tail = output[-4000:]
    assert code == 0, tail
    rows = [m.groups() for m in map(ROW.match, output.splitlines()) if m]
    # round, month, sent, table growth KiB, stored bytes per voucher, documents wrong
    assert [(r[1], r[2], r[5]) for r in rows] == [
        ("baseline", "12", "0"),
        ("documents", "12", "0"),
    ], tail
    stored_per_voucher = int(rows[1][4])
    assert 0 < stored_per_voucher < 3000, tail  # the request with a placeholder, not 1.3 MB
    assert "x the largest document" in output, tail
