"""Injected faults (checklist §8.8) exercise the client's error paths; each mode does what
it promises, for exactly N requests and only for the chosen resource."""

import time

import pytest
import requests

from netvisor_sandbox import seed
from netvisor_sandbox.testing import voucher_xml

ORG = seed.COMPANY_A.organisation_id


def _queue(sandbox, **fault):
    response = sandbox.admin("POST", "faults", fault)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("mode", "http_status"), [("SYSTEM_MAINTENANCE", 503), ("TECHNICAL_ERROR", 500)]
)
def test_maintenance_and_technical_error_for_next_n_requests(sandbox, nv, mode, http_status):
    _queue(sandbox, mode=mode, count=2)
    first = nv.get("vouchertypelist.nv", use_http_status_codes=True)
    assert (first.category, first.http_status) == (mode, http_status)
    second = nv.get("accountlist.nv")
    assert (second.category, second.http_status) == (mode, 200)
    assert nv.get("vouchertypelist.nv").status == "OK"


def test_fault_limited_to_one_resource_leaves_others_alone(sandbox, nv):
    _queue(sandbox, mode="SYSTEM_MAINTENANCE", count=1, resource="accounting.nv")
    assert nv.get("vouchertypelist.nv").status == "OK"
    assert nv.post("accounting.nv", voucher_xml()).category == "SYSTEM_MAINTENANCE"
    assert nv.import_voucher(voucher_xml())


def test_maintenance_does_not_store_the_voucher(sandbox, nv):
    _queue(sandbox, mode="SYSTEM_MAINTENANCE")
    nv.post("accounting.nv", voucher_xml())
    assert sandbox.admin("GET", f"companies/{ORG}/vouchers").json()["vouchers"] == []


def test_non_xml_502_returns_an_html_bad_gateway(sandbox, nv):
    _queue(sandbox, mode="non_xml_502")
    response = nv.raw("GET", "vouchertypelist.nv")
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert b"<Root>" not in response.content and b"502 Bad Gateway" in response.content
    assert nv.get("vouchertypelist.nv").status == "OK"


def test_drop_after_commit_stores_the_voucher_and_closes_the_socket(sandbox, nv):
    _queue(sandbox, mode="drop_after_commit", resource="accounting")
    with pytest.raises(requests.ConnectionError):
        nv.raw("POST", "accounting.nv", body=voucher_xml(description="lost answer"))
    stored = sandbox.admin("GET", f"companies/{ORG}/vouchers").json()["vouchers"]
    assert [v["description"] for v in stored] == ["lost answer"]
    assert len(stored[0]["lines"]) == 3
    # The client's recovery path: the voucher is in the ledger.
    (voucher,) = nv.ledger("startdate=2025-01-01&enddate=2025-01-31")
    assert voucher.findtext("VoucherDescription") == "lost answer"


def test_fail_mode_fails_the_next_n_imports_with_given_category_and_text(sandbox, nv):
    _queue(sandbox, mode="fail", count=2, category="INVALID_DATA", text="Injected: tili puuttuu")
    assert nv.get("accountlist.nv").status == "OK"  # defaults to accounting.nv only
    for _ in range(2):
        reply = nv.post("accounting.nv", voucher_xml(), use_http_status_codes=True)
        assert reply.error == "INVALID_DATA :: Injected: tili puuttuu"
        assert reply.http_status == 400
    assert sandbox.admin("GET", f"companies/{ORG}/vouchers").json()["vouchers"] == []
    assert nv.import_voucher(voucher_xml())


def test_fail_mode_with_period_lock_category(sandbox, nv):
    _queue(sandbox, mode="fail", category="PERIOD_LOCK")
    reply = nv.post("accounting.nv", voucher_xml(), use_http_status_codes=True)
    assert (reply.category, reply.http_status) == ("PERIOD_LOCK", 409)


def test_latency_delays_every_netvisor_request(sandbox, nv):
    assert sandbox.admin("POST", "latency", {"ms": 300}).status_code == 200
    started = time.monotonic()
    assert nv.get("vouchertypelist.nv").status == "OK"
    assert time.monotonic() - started >= 0.3
    assert sandbox.admin("POST", "latency", {"ms": 0}).json()["latency_ms"] == 0


def test_queued_faults_are_listed_and_consumed(sandbox, nv):
    _queue(sandbox, mode="TECHNICAL_ERROR", count=2, resource="accountlist")
    listed = sandbox.admin("GET", "faults").json()["faults"]
    assert listed == [
        {
            "mode": "TECHNICAL_ERROR",
            "remaining": 2,
            "resource": "accountlist",
            "category": None,
            "text": None,
        }
    ]
    nv.get("accountlist.nv")
    assert sandbox.admin("GET", "faults").json()["faults"][0]["remaining"] == 1
    nv.get("accountlist.nv")
    assert sandbox.admin("GET", "faults").json()["faults"] == []


@pytest.mark.parametrize(
    "fault",
    [
        {"mode": "explode"},
        {"mode": "fail"},
        {"mode": "fail", "category": "lower"},
        {"mode": "TECHNICAL_ERROR", "count": 0},
        {"mode": "hang", "seconds": 0},
        {"mode": "hang", "seconds": "long"},
        {"mode": "TECHNICAL_ERROR", "seconds": 1},
    ],
)
def test_bad_fault_requests_are_refused(sandbox, fault):
    assert sandbox.admin("POST", "faults", fault).status_code == 400
