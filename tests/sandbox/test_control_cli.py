"""The admin API from the command line (netvisor_sandbox.control), against a running sandbox."""

import json
import subprocess
import sys

from netvisor_sandbox.seed import COMPANY_A

ORG = COMPANY_A.organisation_id


def control(sandbox, *args, token=None):
    cmd = [
        sys.executable,
        "-m",
        "netvisor_sandbox.control",
        "--url",
        sandbox.url,
        "--token",
        token or sandbox.admin_token,
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60)


def test_lock_sets_the_companys_accounting_lock_date(sandbox):
    assert control(sandbox, "lock", ORG, "2025-06-30", "--vat", "2025-03-31").returncode == 0
    companies = sandbox.admin("GET", "companies").json()["companies"]
    company = next(c for c in companies if c["organisation_id"] == ORG)
    assert company["accounting_lock_date"] == "2025-06-30"
    assert company["vat_lock_date"] == "2025-03-31"
    assert control(sandbox, "lock", ORG, "none").returncode == 0
    companies = sandbox.admin("GET", "companies").json()["companies"]
    assert next(c for c in companies if c["organisation_id"] == ORG)["accounting_lock_date"] is None


def test_fault_is_queued_and_answered(sandbox, nv):
    assert control(sandbox, "fault", "SYSTEM_MAINTENANCE", "--count", "1").returncode == 0
    assert nv.get("vouchertypelist.nv").category in ("SYSTEM_MAINTENANCE", "SYSTEM_MAINTANANCE")
    assert nv.get("vouchertypelist.nv").status == "OK"


def test_fail_fault_with_category_and_clear(sandbox, nv):
    args = ("fault", "fail", "--category", "INVALID_DATA", "--text", "Nope", "--count", "5")
    assert control(sandbox, *args).returncode == 0
    (queued,) = sandbox.admin("GET", "faults").json()["faults"]
    assert (queued["mode"], queued["remaining"], queued["category"]) == ("fail", 5, "INVALID_DATA")
    assert control(sandbox, "clear-faults").returncode == 0
    assert sandbox.admin("GET", "faults").json() == {"faults": []}


def test_vouchers_lists_and_reset_empties(sandbox, nv):
    from netvisor_sandbox.testing import voucher_xml

    key = nv.import_voucher(voucher_xml())
    listed = json.loads(control(sandbox, "vouchers", ORG).stdout)
    assert [str(v["netvisor_key"]) for v in listed["vouchers"]] == [key]
    assert control(sandbox, "reset", ORG).returncode == 0
    assert json.loads(control(sandbox, "vouchers", ORG).stdout)["vouchers"] == []


def test_wrong_token_is_refused(sandbox):
    result = control(sandbox, "latency", "10", token="not-the-token")
    assert result.returncode == 1
    assert result.stderr.startswith("error: 40")


def test_new_fault_modes_are_accepted(sandbox, nv):
    assert control(sandbox, "fault", "hang", "--seconds", "0.2").returncode == 0
    assert control(sandbox, "fault", "technical_error_after_commit").returncode == 0
    (hang, after) = sandbox.admin("GET", "faults").json()["faults"]
    assert (hang["mode"], hang["seconds"]) == ("hang", 0.2)
    assert after["mode"] == "technical_error_after_commit"
    assert control(sandbox, "fault", "explode").returncode == 2


def test_chaos_on_status_off(sandbox, nv):
    on = control(
        sandbox,
        "chaos",
        "on",
        "--probability",
        "1",
        "--seed",
        "7",
        "--kinds",
        "SYSTEM_MAINTENANCE,TECHNICAL_ERROR",
        "--hang-seconds",
        "2",
    )
    assert on.returncode == 0, on.stderr
    settings = json.loads(on.stdout)
    assert (settings["enabled"], settings["seed"], settings["hang_seconds"]) == (True, 7, 2.0)
    assert settings["kinds"] == ["SYSTEM_MAINTENANCE", "TECHNICAL_ERROR"]
    assert nv.get("accountlist.nv").status == "FAILED"
    status = json.loads(control(sandbox, "chaos", "status").stdout)
    assert status["requests"] == 1 and sum(status["injected"].values()) == 1
    off = json.loads(control(sandbox, "chaos", "off").stdout)
    assert off["enabled"] is False
    assert nv.get("accountlist.nv").status == "OK"


def test_stats_and_reset(sandbox, nv):
    nv.get("accountlist.nv")
    stats = json.loads(control(sandbox, "stats").stdout)
    assert stats["requests"] == {ORG: 1} and stats["overlaps"] == {ORG: 0}
    assert json.loads(control(sandbox, "stats", "--reset").stdout)["requests"] == {}
