"""The command line: port 0 prints the URL first, loopback by default, the admin token
file, CLI flags, clean stop on SIGTERM/SIGINT, and state that survives a restart."""

import os
import signal
import stat
import subprocess
import sys

import pytest
import requests
from lxml import etree

from netvisor_sandbox import seed
from netvisor_sandbox.__main__ import LAYOUT_ENV, parse_args
from netvisor_sandbox.testing import REPO_ROOT, SandboxProcess, sign_headers, voucher_xml

ORG = seed.COMPANY_A.organisation_id


def _get(sandbox, resource, query="", **sign):
    url = f"{sandbox.url}/{resource}" + (f"?{query}" if query else "")
    response = requests.get(url, headers=sign_headers(url, **sign), timeout=10)
    return etree.fromstring(response.content)


def _post(sandbox, resource, body, **sign):
    url = f"{sandbox.url}/{resource}"
    response = requests.post(url, data=body.encode(), headers=sign_headers(url, **sign), timeout=10)
    return etree.fromstring(response.content)


def test_restart_keeps_vouchers_numbers_locks_companies_and_transaction_ids(tmp_path):
    with SandboxProcess(data_dir=tmp_path) as sandbox:
        assert (tmp_path / "sandbox.sqlite3").exists()
        reply = _post(
            sandbox,
            "accounting.nv",
            voucher_xml(date="2025-03-31"),
            transaction_id="before-restart",
        )
        key = reply.findtext("Replies/InsertedDataIdentifier")
        sandbox.admin("PUT", f"companies/{ORG}/locks", {"accounting_lock_date": "2025-02-28"})
        created = sandbox.admin(
            "POST",
            "companies",
            {
                "name": "Pysyvä Oy",
                "organisation_id": "5678901-2",
                "customer_id": "KEEP_1",
                "customer_key": "e5" * 16,
            },
        )
        assert created.status_code == 201

        assert sandbox.restart().process.poll() is None

        vouchers = _get(sandbox, "accountingledger.nv", f"netvisorkey={key}")
        assert vouchers.findtext("Vouchers/Voucher/VoucherNumber") == "1"
        assert len(vouchers.findall("Vouchers/Voucher/VoucherLine")) == 3
        periods = _get(sandbox, "accountingperiodlist.nv")
        assert (
            periods.findtext("AccountingPeriodList/PeriodLockInformation/AccountingPeriodLockDate")
            == "28.2.2025"
        )
        replay = _get(sandbox, "vouchertypelist.nv", transaction_id="before-restart")
        assert replay.findall("ResponseStatus/Status")[1].text.startswith("REQUEST_NOT_UNIQUE")
        second = _post(sandbox, "accounting.nv", voucher_xml(date="2025-03-31"))
        second_key = second.findtext("Replies/InsertedDataIdentifier")
        assert int(second_key) > int(key)
        number = _get(sandbox, "accountingledger.nv", f"netvisorkey={second_key}")
        assert number.findtext("Vouchers/Voucher/VoucherNumber") == "2"
        new_company = _get(
            sandbox,
            "vouchertypelist.nv",
            customer_id="KEEP_1",
            customer_key="e5" * 16,
            organisation_id="5678901-2",
        )
        assert new_company.findtext("ResponseStatus/Status") == "OK"


def test_sigterm_stops_cleanly(tmp_path):
    sandbox = SandboxProcess(data_dir=tmp_path).start()
    assert sandbox.stop() == 0


def test_sigint_stops_cleanly(tmp_path):
    sandbox = SandboxProcess(data_dir=tmp_path).start()
    sandbox.process.send_signal(signal.SIGINT)
    assert sandbox.process.wait(10) == 0
    sandbox.stop()


def _start_plain(data_dir, *args):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "netvisor_sandbox", "--port", "0", "--data", str(data_dir), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    first, second = process.stdout.readline(), process.stdout.readline()
    return process, first, second


def test_port_zero_prints_loopback_url_first_and_generates_admin_token_file(tmp_path):
    process, first, second = _start_plain(tmp_path)
    try:
        assert first.startswith("netvisor-sandbox listening on http://127.0.0.1:")
        url = first.rsplit(" ", 1)[1].strip()
        token_file = tmp_path / "admin_token"
        token = token_file.read_text().strip()
        assert second.strip().endswith(token)
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        ok = requests.get(
            f"{url}/_sandbox/settings", headers={"X-Sandbox-Admin-Token": token}, timeout=10
        )
        assert ok.status_code == 200
    finally:
        process.terminate()
        assert process.wait(10) == 0
    process, _, second = _start_plain(tmp_path)  # the token is reused on the next start
    process.terminate()
    process.wait(10)
    assert second.strip().endswith(token)


def test_cli_flags_set_the_knobs(tmp_path):
    args = (
        "--no-legacy-algorithms",
        "--strict",
        "--period-list-layout",
        "nested",
        "--latency-ms",
        "20",
        "--timestamp-skew",
        "60",
        "--vat-percents",
        "0,24,25.5",
    )
    with SandboxProcess(*args, data_dir=tmp_path) as sandbox:
        settings = sandbox.admin("GET", "settings").json()
        assert settings["legacy_algorithms"] is False
        assert settings["description_limit"] == 100
        assert settings["period_list_layout"] == "nested"
        assert settings["latency_ms"] == 20
        assert settings["timestamp_skew_seconds"] == 60
        assert settings["vat_percents"] == ["0", "24", "25.5"]
        md5 = _get(sandbox, "vouchertypelist.nv", algorithm="MD5")
        assert md5.findall("ResponseStatus/Status")[1].text.startswith("AUTHENTICATION_FAILED")
        periods = _get(sandbox, "accountingperiodlist.nv")
        assert len(periods.findall("AccountingPeriodList/PeriodLockInformation/Period")) == 2
        long_text = _post(sandbox, "accounting.nv", voucher_xml(description="x" * 101))
        assert long_text.findall("ResponseStatus/Status")[1].text.startswith("INVALID_DATA_SIZE")


def test_period_list_layout_defaults_to_sibling_or_the_environment(monkeypatch, capsys):
    monkeypatch.delenv(LAYOUT_ENV, raising=False)
    assert parse_args([]).period_list_layout == "sibling"
    monkeypatch.setenv(LAYOUT_ENV, "nested")  # a whole suite against the other layout
    assert parse_args([]).period_list_layout == "nested"
    assert parse_args(["--period-list-layout", "sibling"]).period_list_layout == "sibling"
    monkeypatch.setenv(LAYOUT_ENV, "diagonal")
    with pytest.raises(SystemExit):
        parse_args([])
    assert LAYOUT_ENV in capsys.readouterr().err
