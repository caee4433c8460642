"""The fault modes at the edges of "exactly once" (issue 7): what each one stores and what
it answers. Hang times are short so the suite stays fast."""

import datetime
import re
import time

import pytest
import requests
from lxml import etree

from netvisor_sandbox import seed
from netvisor_sandbox.testing import sign_headers, voucher_xml

A = seed.COMPANY_A
ORG = A.organisation_id
LEDGER = "startdate=2025-01-01&enddate=2025-01-31"


def _queue(sandbox, **fault):
    response = sandbox.admin("POST", "faults", fault)
    assert response.status_code == 201, response.text
    return response.json()["fault"]


def _stored(sandbox) -> list[str]:
    return [
        v["description"]
        for v in sandbox.admin("GET", f"companies/{ORG}/vouchers").json()["vouchers"]
    ]


def _wait_for_stored(sandbox, count: int, timeout: float = 5.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stored = _stored(sandbox)
        if len(stored) >= count:
            return stored
        time.sleep(0.05)
    return _stored(sandbox)


# -- store, then fail ----------------------------------------------------------------
def test_technical_error_after_commit_stores_and_answers_500(sandbox, nv):
    _queue(sandbox, mode="technical_error_after_commit", resource="accounting.nv")
    assert nv.get("accountlist.nv").status == "OK"  # other resources untouched
    reply = nv.post(
        "accounting.nv", voucher_xml(description="stored anyway"), use_http_status_codes=True
    )
    assert (reply.status, reply.category, reply.http_status) == ("FAILED", "TECHNICAL_ERROR", 500)
    assert _stored(sandbox) == ["stored anyway"]
    (voucher,) = nv.ledger(LEDGER)
    assert voucher.findtext("VoucherDescription") == "stored anyway"
    assert voucher.get("Status") == "valid"
    assert nv.import_voucher(voucher_xml())  # one request only


def test_technical_error_after_commit_follows_the_status_code_header(sandbox, nv):
    """Like every FAILED envelope: HTTP 200 unless UseHTTPResponseStatusCodes is 1."""
    _queue(sandbox, mode="technical_error_after_commit")
    reply = nv.post("accounting.nv", voucher_xml())
    assert (reply.category, reply.http_status) == ("TECHNICAL_ERROR", 200)
    assert len(_stored(sandbox)) == 1


@pytest.mark.parametrize(
    ("mode", "status", "title"),
    [
        ("gateway_502_after_commit", 502, b"502 Bad Gateway"),
        ("gateway_504_after_commit", 504, b"504 Gateway Time-out"),
    ],
)
def test_gateway_error_after_commit_stores_and_answers_html(sandbox, nv, mode, status, title):
    _queue(sandbox, mode=mode, resource="accounting")
    response = nv.raw(
        "POST",
        "accounting.nv",
        body=voucher_xml(description="behind the proxy"),
        use_http_status_codes=True,
    )
    assert response.status_code == status
    assert response.headers["Content-Type"] == "text/html"
    assert title in response.content and b"<Root>" not in response.content
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(response.content)
    assert _stored(sandbox) == ["behind the proxy"]
    assert nv.import_voucher(voucher_xml())


def test_queued_after_commit_fault_may_hit_a_get(sandbox, nv):
    _queue(sandbox, mode="gateway_504_after_commit")
    assert nv.raw("GET", "vouchertypelist.nv").status_code == 504
    assert nv.get("vouchertypelist.nv").status == "OK"


# -- hang ----------------------------------------------------------------------------
def test_hang_outlives_the_client_timeout_and_stores_later(sandbox, nv):
    fault = _queue(sandbox, mode="hang", seconds=1.5, resource="accounting")
    assert fault["seconds"] == 1.5
    url = f"{sandbox.url}/accounting.nv"
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        requests.post(
            url,
            data=voucher_xml(description="landed late").encode(),
            headers=sign_headers(url),
            timeout=(5, 1.0),
        )
    assert time.monotonic() - started < 1.5
    assert _stored(sandbox) == []  # still "running in Netvisor"
    assert _wait_for_stored(sandbox, 1) == ["landed late"]
    assert time.monotonic() - started >= 1.5
    time.sleep(0.2)  # the late answer went to a closed socket, quietly
    log = (sandbox.data_dir / "stderr.log").read_text(errors="replace")
    assert "Traceback" not in log


def test_hang_answers_normally_when_the_client_waits(sandbox, nv):
    _queue(sandbox, mode="hang", seconds=0.3)
    started = time.monotonic()
    assert nv.get("vouchertypelist.nv").status == "OK"
    assert time.monotonic() - started >= 0.3
    assert sandbox.admin("GET", "faults").json()["faults"] == []


def test_hang_checks_the_timestamp_as_it_arrived(sandbox, nv):
    """Held longer than the timestamp window, the request still lands (as in Netvisor,
    which checked it on arrival)."""
    sandbox.admin("PATCH", "settings", {"timestamp_skew_seconds": 1})
    _queue(sandbox, mode="hang", seconds=2.0)
    reply = nv.post("accounting.nv", voucher_xml(), timestamp_unix=str(int(time.time()) + 1))
    assert reply.status == "OK", reply.error
    assert len(_stored(sandbox)) == 1


def test_hang_defaults_to_five_seconds(sandbox):
    assert _queue(sandbox, mode="hang")["seconds"] == 5.0


# -- nothing processed -----------------------------------------------------------------
def test_reset_before_closes_without_answer_and_stores_nothing(sandbox, nv):
    _queue(sandbox, mode="reset_before", resource="accounting.nv")
    with pytest.raises(requests.ConnectionError):
        nv.raw("POST", "accounting.nv", body=voucher_xml())
    assert _stored(sandbox) == []
    assert nv.import_voucher(voucher_xml())


@pytest.mark.parametrize("use_status", [True, False])
def test_raw_amp_auth_failed_is_not_well_formed_and_echoes_the_keys(sandbox, use_status):
    _queue(sandbox, mode="raw_amp_auth_failed")
    url = f"{sandbox.url}/accounting.nv"
    headers = sign_headers(url, sender="kirjanpito & co", use_http_status_codes=use_status)
    response = requests.post(url, data=voucher_xml().encode(), headers=headers, timeout=10)
    assert response.status_code == (401 if use_status else 200)
    body = response.content
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(body)
    text = body.decode("utf-8")
    assert "<Status>FAILED</Status>" in text
    (detail,) = re.findall(r"<Status>(AUTHENTICATION_FAILED :: .*?)</Status>", text, re.S)
    echoed = detail.split(": ", 2)[-1]
    fields = [
        url,
        "kirjanpito & co",
        A.customer_id,
        headers["X-Netvisor-Authentication-Timestamp"],
        "FI",
        ORG,
        headers["X-Netvisor-Authentication-TransactionId"],
        headers["X-Netvisor-Authentication-TimestampUnix"],
        A.customer_key,
        seed.PARTNER_KEY,
    ]
    digest = headers["X-Netvisor-Authentication-MAC"].upper()
    assert echoed.endswith("&".join(fields) + " :: " + digest)
    assert re.fullmatch(r"[0-9A-F]{64}", digest)
    assert _stored(sandbox) == []


def test_raw_amp_auth_failed_does_not_use_up_the_transaction_id(sandbox):
    _queue(sandbox, mode="raw_amp_auth_failed")
    url = f"{sandbox.url}/vouchertypelist.nv"
    headers = sign_headers(url)
    assert b"AUTHENTICATION_FAILED" in requests.get(url, headers=headers, timeout=10).content
    again = etree.fromstring(requests.get(url, headers=headers, timeout=10).content)
    assert again.findtext("ResponseStatus/Status") == "OK"


# -- garbage_numbers -------------------------------------------------------------------
def _shape(root) -> list:
    return [(e.tag, dict(e.attrib)) for e in root.iter()]


AMOUNT = re.compile(r"-?\d+(,\d+)?")


def _valid_date(text: str) -> bool:
    """`d.M.yyyy` or `YYYY-MM-DD` naming a real day."""
    try:
        if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
            datetime.date.fromisoformat(text)
            return True
        day, month, year = (int(part) for part in text.split("."))
        datetime.date(year, month, day)
    except (ValueError, OverflowError):
        return False
    return True


def test_garbage_numbers_garbles_a_ledger_answer_only(sandbox, nv):
    key = nv.import_voucher(voucher_xml())
    clean = nv.get("accountingledger.nv", LEDGER)
    _queue(sandbox, mode="garbage_numbers")
    assert nv.import_voucher(voucher_xml(date="2025-01-15"))  # a POST is left alone
    assert len(sandbox.admin("GET", "faults").json()["faults"]) == 1
    garbled = nv.get("accountingledger.nv", LEDGER)  # still well-formed XML (Reply parsed it)
    assert garbled.status == "OK"
    vouchers = garbled.findall("Vouchers/Voucher")
    assert key in [v.findtext("NetvisorKey") for v in vouchers]
    assert [v.get("Status") for v in vouchers] == ["valid", "valid"]
    assert not any(_valid_date(v.findtext("VoucherDate")) for v in vouchers)
    assert not any(v.findtext("VoucherNumber").isdigit() for v in vouchers)
    sums = [line.findtext("LineSum") for line in garbled.findall("Vouchers/Voucher/VoucherLine")]
    assert sums and not any(AMOUNT.fullmatch(s) for s in sums)
    assert len(_shape(garbled.root)) > len(_shape(clean.root))  # two vouchers now
    again = nv.get("accountingledger.nv", LEDGER)
    assert all(_valid_date(v.findtext("VoucherDate")) for v in again.findall("Vouchers/Voucher"))
    assert _shape(again.root) == _shape(garbled.root)  # same structure, only values differ
    stats = sandbox.admin("GET", "stats").json()
    assert stats["injected"] == {"garbage_numbers": 1}


@pytest.mark.parametrize("layout", ["sibling", "nested"])
def test_garbage_numbers_garbles_the_period_list_dates(sandbox, nv, layout):
    sandbox.admin("PATCH", "settings", {"period_list_layout": layout})
    sandbox.admin("PUT", f"companies/{ORG}/locks", {"accounting_lock_date": "2025-01-31"})
    clean = nv.get("accountingperiodlist.nv")
    _queue(sandbox, mode="garbage_numbers", resource="accountingperiodlist.nv")
    garbled = nv.get("accountingperiodlist.nv")
    assert _shape(garbled.root) == _shape(clean.root)
    periods = list(garbled.root.iter("Period"))
    assert [p.findtext("Name") for p in periods] == ["2025", "2026"]
    for period in periods:
        assert not _valid_date(period.findtext("BeginDate"))
        assert not _valid_date(period.findtext("EndDate"))
    lock = garbled.root.find("AccountingPeriodList/PeriodLockInformation/AccountingPeriodLockDate")
    assert lock.text not in ("31.1.2025", "2025-01-31")
    empty = garbled.root.find("AccountingPeriodList/PeriodLockInformation/VatPeriodLockDate")
    assert not empty.text  # no lock stays no lock


def test_garbage_numbers_in_an_empty_ledger_is_not_counted(sandbox, nv):
    _queue(sandbox, mode="garbage_numbers", resource="accountingledger")
    assert nv.ledger(LEDGER) == []
    assert sandbox.admin("GET", "stats").json()["injected"] == {}
