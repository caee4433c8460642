"""Chaos mode (seeded random faults for a fault campaign) and the request stats that show
overlapping requests of one organisation (API.md §7: one request at a time per company)."""

import threading
import time

import pytest
import requests
from lxml import etree

from netvisor_sandbox import seed
from netvisor_sandbox.chaos import KINDS
from netvisor_sandbox.testing import sign_headers, voucher_xml

A, B = seed.COMPANY_A, seed.COMPANY_B
LEDGER = "startdate=2025-01-01&enddate=2025-01-31"


def _chaos(sandbox, **settings) -> dict:
    response = sandbox.admin("PUT", "chaos", settings)
    assert response.status_code == 200, response.text
    return response.json()


def _outcomes(nv, count: int) -> list:
    return [nv.get("vouchertypelist.nv").category or "OK" for _ in range(count)]


# -- chaos -----------------------------------------------------------------------------
def test_chaos_is_reproducible_with_the_same_seed_and_counts_by_kind(sandbox, nv):
    kinds = ["SYSTEM_MAINTENANCE", "TECHNICAL_ERROR"]
    settings = _chaos(sandbox, probability=0.5, kinds=kinds, seed=123)
    assert settings["enabled"] and settings["seed"] == 123 and settings["kinds"] == kinds
    first = _outcomes(nv, 30)
    status = sandbox.admin("GET", "chaos").json()
    assert status["requests"] == 30
    assert status["injected"] == {k: first.count(k) for k in kinds if k in first}
    assert 0 < first.count("OK") < 30 and set(first) == {"OK", *kinds}

    _chaos(sandbox, probability=0.5, kinds=kinds, seed=123)
    assert _outcomes(nv, 30) == first
    _chaos(sandbox, probability=0.5, kinds=kinds, seed=124)
    assert _outcomes(nv, 30) != first
    assert sandbox.admin("GET", "stats").json()["injected"]["SYSTEM_MAINTENANCE"] >= 2


def test_chaos_off_stops_injecting_and_reports_the_run(sandbox, nv):
    _chaos(sandbox, probability=1, kinds=["TECHNICAL_ERROR"], seed=1)
    assert nv.get("accountlist.nv").category == "TECHNICAL_ERROR"
    final = sandbox.admin("DELETE", "chaos").json()
    assert final["enabled"] is False and final["injected"] == {"TECHNICAL_ERROR": 1}
    assert nv.get("accountlist.nv").status == "OK"
    assert sandbox.admin("GET", "chaos").json()["requests"] == 1


def test_chaos_defaults_to_every_kind_but_fail_and_reports_its_seed(sandbox):
    settings = _chaos(sandbox, probability=0.25)
    assert settings["kinds"] == list(KINDS) and "fail" not in KINDS
    assert isinstance(settings["seed"], int)
    assert settings["hang_seconds"] == 5.0 and settings["resources"] is None
    assert settings["injected"] == {} and settings["requests"] == 0


def test_chaos_garbage_only_for_gets_and_store_then_fail_only_for_posts(sandbox, nv):
    _chaos(sandbox, probability=1, kinds=["garbage_numbers", "technical_error_after_commit"])
    reply = nv.post("accounting.nv", voucher_xml(), use_http_status_codes=True)
    assert (reply.category, reply.http_status) == ("TECHNICAL_ERROR", 500)
    (stored,) = sandbox.admin("GET", f"companies/{A.organisation_id}/vouchers").json()["vouchers"]
    (voucher,) = nv.ledger(LEDGER)  # a GET: garbled, never a 500
    assert voucher.findtext("VoucherDate") != "31.1.2025"
    assert voucher.findtext("NetvisorKey") == str(stored["netvisor_key"])
    status = sandbox.admin("GET", "chaos").json()
    assert status["injected"] == {"technical_error_after_commit": 1, "garbage_numbers": 1}


def test_chaos_limited_to_resources(sandbox, nv):
    _chaos(sandbox, probability=1, kinds=["SYSTEM_MAINTENANCE"], resources=["Accounting.nv"])
    assert nv.get("accountlist.nv").status == "OK"
    assert nv.post("accounting.nv", voucher_xml()).category == "SYSTEM_MAINTENANCE"
    assert sandbox.admin("GET", "chaos").json()["resources"] == ["accounting"]


def test_chaos_hang_uses_hang_seconds_then_answers(sandbox, nv):
    _chaos(sandbox, probability=1, kinds=["hang"], hang_seconds=0.3, seed=5)
    started = time.monotonic()
    key = nv.import_voucher(voucher_xml())
    assert time.monotonic() - started >= 0.3
    assert nv.ledger(f"netvisorkey={key}")
    assert sandbox.admin("GET", "chaos").json()["injected"] == {"hang": 2}


def test_chaos_reset_and_raw_amp_store_nothing(sandbox, nv):
    _chaos(sandbox, probability=1, kinds=["reset_before", "raw_amp_auth_failed"], seed=3)
    for _ in range(6):
        try:
            response = nv.raw("POST", "accounting.nv", body=voucher_xml())
        except requests.ConnectionError:
            continue
        assert b"AUTHENTICATION_FAILED ::" in response.content
    assert sandbox.admin("GET", f"companies/{A.organisation_id}/vouchers").json()["vouchers"] == []
    injected = sandbox.admin("GET", "chaos").json()["injected"]
    assert sum(injected.values()) == 6 and set(injected) == {"reset_before", "raw_amp_auth_failed"}


def test_queued_faults_take_precedence_over_chaos(sandbox, nv):
    _chaos(sandbox, probability=1, kinds=["SYSTEM_MAINTENANCE"], seed=9)
    sandbox.admin("POST", "faults", {"mode": "TECHNICAL_ERROR", "resource": "accountlist"})
    assert nv.get("accountlist.nv").category == "TECHNICAL_ERROR"
    assert nv.get("accountlist.nv").category == "SYSTEM_MAINTENANCE"
    status = sandbox.admin("GET", "chaos").json()
    assert status["injected"] == {"SYSTEM_MAINTENANCE": 1} and status["requests"] == 2
    injected = sandbox.admin("GET", "stats").json()["injected"]
    assert injected == {"SYSTEM_MAINTENANCE": 1, "TECHNICAL_ERROR": 1}


@pytest.mark.parametrize(
    "settings",
    [
        {"probability": 1.5},
        {"probability": "half"},
        {"kinds": ["fail"]},
        {"kinds": ["explode"]},
        {"kinds": "hang"},
        {"seed": "abc"},
        {"hang_seconds": 0},
        {"resources": "accounting.nv"},
        {"colour": "red"},
    ],
)
def test_bad_chaos_settings_are_refused(sandbox, settings):
    assert sandbox.admin("PUT", "chaos", settings).status_code == 400
    assert sandbox.admin("GET", "chaos").json()["enabled"] is False


# -- stats and overlaps ----------------------------------------------------------------
def _get_in_thread(sandbox, resource, company, results, key):
    url = f"{sandbox.url}/{resource}"
    headers = sign_headers(
        url,
        customer_id=company.customer_id,
        customer_key=company.customer_key,
        organisation_id=company.organisation_id,
    )

    def run():
        answer = requests.get(url, headers=headers, timeout=10)
        results[key] = etree.fromstring(answer.content).findtext("ResponseStatus/Status")

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_two_concurrent_requests_of_one_organisation_overlap(sandbox):
    sandbox.admin("POST", "faults", {"mode": "hang", "seconds": 0.8, "resource": "accountlist"})
    results = {}
    hanging = _get_in_thread(sandbox, "accountlist.nv", A, results, "hang")
    time.sleep(0.3)
    second = _get_in_thread(sandbox, "vouchertypelist.nv", A, results, "second")
    second.join()
    assert "hang" not in results  # answered while the first still hangs: truly concurrent
    hanging.join()
    assert results == {"hang": "OK", "second": "OK"}
    stats = sandbox.admin("GET", "stats").json()
    org = A.organisation_id
    assert stats["requests"] == {org: 2}
    assert stats["overlaps"] == {org: 1}
    assert stats["max_in_flight"] == {org: 2}
    assert stats["max_organisations_in_flight"] == 1
    assert stats["in_flight"] == {}


def test_concurrent_requests_of_two_organisations_do_not_overlap(sandbox):
    sandbox.admin("PATCH", "settings", {"latency_ms": 500})
    results = {}
    started = time.monotonic()
    threads = [
        _get_in_thread(sandbox, "accountlist.nv", A, results, "a"),
        _get_in_thread(sandbox, "accountlist.nv", B, results, "b"),
    ]
    for thread in threads:
        thread.join()
    assert time.monotonic() - started < 0.95  # served side by side
    assert results == {"a": "OK", "b": "OK"}
    stats = sandbox.admin("GET", "stats").json()
    assert stats["overlaps"] == {A.organisation_id: 0, B.organisation_id: 0}
    assert stats["max_in_flight"] == {A.organisation_id: 1, B.organisation_id: 1}
    assert stats["max_organisations_in_flight"] == 2


def test_back_to_back_requests_never_count_as_overlaps(sandbox, nv):
    for _ in range(15):
        assert nv.get("vouchertypelist.nv").status == "OK"  # one keep-alive connection
    url = f"{sandbox.url}/accountlist.nv"
    for _ in range(15):  # a new connection each time
        assert requests.get(url, headers=sign_headers(url), timeout=10).status_code == 200
    stats = sandbox.admin("GET", "stats").json()
    assert stats["requests"] == {A.organisation_id: 30}
    assert stats["overlaps"] == {A.organisation_id: 0}
    assert stats["max_organisations_in_flight"] == 1


def test_admin_requests_are_not_counted_and_delete_resets(sandbox, nv):
    nv.get("vouchertypelist.nv", company=B)
    sandbox.admin("GET", "settings")
    assert sandbox.admin("GET", "stats").json()["requests"] == {B.organisation_id: 1}
    reset = sandbox.admin("DELETE", "stats").json()
    assert reset == {
        "requests": {},
        "overlaps": {},
        "max_in_flight": {},
        "max_organisations_in_flight": 0,
        "in_flight": {},
        "injected": {},
        "dimension_items_created": {},
        "dimension_items_added": {},
    }
