"""A posting that commits while the month is being closed, or just after, is never left
locked in no period (tests/benchmarks/close_race.py, two real transactions)."""

from dev.testrun import TEMPLATE_DB
from tests.campaign.test_fault_campaign import ROOT, run_campaign

SCRIPT = ROOT / "tests" / "benchmarks" / "close_race.py"


def test_an_invoice_posted_during_the_close_is_in_the_period():
    code, output = run_campaign(
        "--db", "ecomjet_netvisor_race_test", "--template", TEMPLATE_DB, script=SCRIPT
    )
    tail = output[-4000:]
    assert code == 0, tail
    # the first Confirm met the posting in progress, waited for it and refused
    assert "The close refused" in output, tail
    assert "in the period (4 vouchers)" in output, tail
    # a posting that began before the next close committed is refused once, then dated
    # after the closed month
    assert "OK: the late posting is dated after the closed month." in output, tail
