"""The short fault campaign: at least 100 documents and 100 injected faults and a few
SIGKILLed Odoo servers end with every document in Netvisor exactly once.

Runs tests/benchmarks/fault_campaign.py as a subprocess on a clone of the database that
`make test` keeps pristine (dev/testrun.py: TEMPLATE_DB); without it the script installs
the addon itself (a minute longer). The seed is random unless FAULT_CAMPAIGN_SEED is set;
it is printed, and a failure is replayed with `--seed`.
"""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from dev.testrun import TEMPLATE_DB

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "benchmarks" / "fault_campaign.py"
DOCUMENTS, FAULTS, KILLS = 100, 100, 3
TIMEOUT = 480  # the script bounds itself well below this


def run_campaign(*args, script=SCRIPT):
    """(exit code, output) of the script; on a timeout it is interrupted so that it stops
    the Odoo server and the sandbox it started."""
    process = subprocess.Popen(
        [sys.executable, str(script), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        output += f"\n(test: interrupted after {TIMEOUT} s)"
    return process.returncode, output


def figure(output, name):
    match = re.search(rf"^\s+{re.escape(name)}\s+(\d+)\s*$", output, re.MULTILINE)
    assert match, f"no '{name}' in the campaign's table:\n{output[-6000:]}"
    return int(match.group(1))


def test_short_fault_campaign():
    seed = os.environ.get("FAULT_CAMPAIGN_SEED")
    code, output = run_campaign(
        *(["--seed", seed] if seed else []),
        "--documents",
        str(DOCUMENTS),
        "--faults",
        str(FAULTS),
        "--kills",
        str(KILLS),
        "--db",
        "ecomjet_netvisor_campaign_test",
        "--template",
        TEMPLATE_DB,
        "--chaos-seconds",
        "200",
        "--resend-seconds",
        "90",
    )
    tail = output[-6000:]
    assert figure(output, "documents") >= DOCUMENTS, tail
    assert figure(output, "faults injected") >= FAULTS, tail
    assert figure(output, "kills (SIGKILL)") >= KILLS, tail
    counts = {name: figure(output, name) for name in ("duplicates", "lost", "stuck")}
    assert counts == {"duplicates": 0, "lost": 0, "stuck": 0}, tail
    assert code == 0, tail
