"""Client behaviour: which failures are retried (API.md §7, §9), limits, resource calls."""

import datetime
import ssl

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from ecomjet_netvisor.netvisor import NetvisorClient, errors, vouchers
from tests.connector.netvisor_test_support import (
    EMPTY_LEDGER,
    INSERTED,
    RawServer,
    closed_port,
    data,
    failed_envelope,
    http_response,
    make_credentials,
    ok_envelope,
)

BASE = "https://isvapi.netvisor.fi"
ACCOUNTING = f"{BASE}/accounting.nv"
LEDGER = f"{BASE}/accountingledger.nv"
TYPES = f"{BASE}/vouchertypelist.nv"
INVALIDATE = f"{BASE}/invalidatevouchers.nv"
JAN = (datetime.date(2025, 1, 1), datetime.date(2025, 1, 31))
MAINTENANCE = failed_envelope("SYSTEM_MAINTENANCE :: Netvisor huoltokatko")


def transaction_ids(http):
    return [c.request.headers["X-Netvisor-Authentication-TransactionId"] for c in http.calls]


def refused():
    """What requests raises when nothing listens: connection refused, request not sent."""
    reason = NewConnectionError(None, "Failed to establish a new connection: Connection refused")
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/", reason=reason))


def reset():
    """What requests raises when the peer resets the connection after the request left."""
    cause = ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))
    return requests.exceptions.ConnectionError(cause)


# ---------------------------------------------------------------- safe retries


def test_get_retried_after_maintenance_with_new_transaction_ids(client, http, sleeps):
    http.get(TYPES, body=MAINTENANCE, status=503)
    http.get(TYPES, body=MAINTENANCE, status=503)
    http.get(TYPES, body=data("vouchertypelist.xml"))
    assert client.get_voucher_types().types
    ids = transaction_ids(http)
    assert len(ids) == 3 and len(set(ids)) == 3
    assert sleeps == [1.0, 2.0]


def test_each_retry_is_signed_with_a_new_timestamp(make_client, http):
    ticks = iter([1738570530.0, 1738570531.5, 1738570533.25])
    client = make_client(clock=lambda: next(ticks))
    http.get(TYPES, body=MAINTENANCE)
    http.get(TYPES, body=MAINTENANCE)
    http.get(TYPES, body=data("vouchertypelist.xml"))
    client.get_voucher_types()
    stamps = [c.request.headers["X-Netvisor-Authentication-Timestamp"] for c in http.calls]
    assert stamps == [
        "2025-02-03 08:15:30.000",
        "2025-02-03 08:15:31.500",
        "2025-02-03 08:15:33.250",
    ]
    macs = {c.request.headers["X-Netvisor-Authentication-MAC"] for c in http.calls}
    assert len(macs) == 3


def test_technical_error_retried(client, http, sleeps):
    http.get(TYPES, body=failed_envelope("TECHNICAL_ERROR :: Odottamaton virhe"), status=500)
    http.get(TYPES, body=data("vouchertypelist.xml"))
    client.get_voucher_types()
    assert len(http.calls) == 2 and sleeps == [1.0]


def test_retries_are_bounded_with_exponential_backoff(make_client, http, sleeps):
    client = make_client(max_retries=3, backoff=0.5)
    for _ in range(4):
        http.get(TYPES, body=MAINTENANCE, status=503)
    with pytest.raises(errors.SystemMaintenance):
        client.get_voucher_types()
    assert len(http.calls) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_no_retries_when_max_retries_is_zero(make_client, http, sleeps):
    client = make_client(max_retries=0)
    http.get(TYPES, body=MAINTENANCE)
    with pytest.raises(errors.SystemMaintenance):
        client.get_voucher_types()
    assert len(http.calls) == 1 and sleeps == []


def test_post_retried_after_maintenance_first_attempt_keeps_callers_id(
    client, http, sales_voucher, sleeps
):
    """Maintenance means Netvisor accepted nothing, so a new attempt cannot duplicate."""
    http.post(ACCOUNTING, body=MAINTENANCE, status=503)
    http.post(ACCOUNTING, body=INSERTED)
    assert client.import_voucher(sales_voucher, transaction_id="odoo-7-1") == "4711"
    first, second = transaction_ids(http)
    assert first == "odoo-7-1" and second != first
    assert client.last_transaction_id == second
    assert sleeps == [1.0]


@pytest.mark.parametrize(
    "category", ["INVALID_DATA", "PERIOD_LOCK", "AUTHENTICATION_FAILED", "REQUEST_NOT_UNIQUE"]
)
def test_data_and_configuration_errors_not_retried(client, http, sales_voucher, sleeps, category):
    http.post(ACCOUNTING, body=failed_envelope(f"{category} :: ei"), status=400)
    with pytest.raises(errors.NetvisorResponseError):
        client.import_voucher(sales_voucher)
    assert len(http.calls) == 1 and sleeps == []


# ---------------------------------------------------------------- unknown outcome: never re-POST


def test_accounting_post_after_timeout_not_retried(client, http, sales_voucher, sleeps):
    http.post(ACCOUNTING, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(errors.OutcomeUnknownError) as caught:
        client.import_voucher(sales_voucher, transaction_id="odoo-7-2")
    assert len(http.calls) == 1 and sleeps == []
    assert caught.value.may_be_stored is True
    assert caught.value.transaction_id == "odoo-7-2"


def test_accounting_post_after_connection_reset_not_retried(client, http, sales_voucher):
    http.post(ACCOUNTING, body=reset())
    with pytest.raises(errors.OutcomeUnknownError):
        client.import_voucher(sales_voucher)
    assert len(http.calls) == 1


def _wrapped(outer, inner):
    """How requests reports a urllib3 failure: outer(MaxRetryError(reason=inner))."""
    return outer(MaxRetryError(None, "/", reason=inner))


@pytest.mark.parametrize(
    "failure",
    [
        # urllib3 1.26 reports a reset behind a proxy as ProxyError, after the request left
        _wrapped(requests.exceptions.ProxyError, ProtocolError("aborted", ConnectionResetError())),
        # and a TLS failure while reading the answer as SSLError
        _wrapped(requests.exceptions.SSLError, ssl.SSLError("bad record mac")),
        requests.exceptions.ChunkedEncodingError("answer cut off"),
        requests.exceptions.RequestException("anything unforeseen"),
    ],
    ids=["proxy-reset", "tls-read", "chunked", "unknown"],
)
def test_post_failure_that_may_have_been_sent_is_unknown_and_not_retried(
    client, http, sales_voucher, sleeps, failure
):
    """Only a failure certainly before sending may be retried: a re-POST duplicates."""
    http.post(ACCOUNTING, body=failure)
    with pytest.raises(errors.OutcomeUnknownError):
        client.import_voucher(sales_voucher)
    assert len(http.calls) == 1 and sleeps == []


@pytest.mark.parametrize(
    "failure, retried",
    [
        (_wrapped(requests.exceptions.ProxyError, NewConnectionError(None, "refused")), True),
        (_wrapped(requests.exceptions.SSLError, ssl.SSLCertVerificationError("bad cert")), False),
    ],
    ids=["proxy-unreachable", "certificate-refused"],
)
def test_failure_before_sending_is_not_sent(client, http, sales_voucher, sleeps, failure, retried):
    http.post(ACCOUNTING, body=failure)
    if retried:
        http.post(ACCOUNTING, body=INSERTED)
        assert client.import_voucher(sales_voucher) == "4711"
        assert len(http.calls) == 2
    else:
        with pytest.raises(errors.NotSentError) as caught:
            client.import_voucher(sales_voucher)
        assert caught.value.may_be_stored is False
        assert caught.value.retryable is False
        assert len(http.calls) == 1


def test_invalidate_post_after_timeout_not_retried(client, http):
    http.post(INVALIDATE, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(errors.OutcomeUnknownError):
        client.invalidate_vouchers(["4711"])
    assert len(http.calls) == 1


def test_get_after_timeout_is_not_retried_while_it_may_still_run(client, http, sleeps):
    """One request at a time per company (API.md §7): a GET that timed out may still run
    in Netvisor, so it is not sent again at once; the caller waits Netvisor's timeout."""
    http.get(LEDGER, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(errors.OutcomeUnknownError) as caught:
        client.get_ledger(*JAN)
    assert caught.value.may_still_run is True
    assert len(http.calls) == 1 and sleeps == []


def test_connection_refused_is_not_sent_and_retried_even_for_post(
    client, http, sales_voucher, sleeps
):
    http.post(ACCOUNTING, body=refused())
    http.post(ACCOUNTING, body=INSERTED)
    assert client.import_voucher(sales_voucher) == "4711"
    assert len(http.calls) == 2 and sleeps == [1.0]


# ---------------------------------------------------------------- real sockets


def test_real_connection_refused_raises_not_sent_after_bounded_retries(
    make_client, sleeps, sales_voucher
):
    client = make_client(f"http://127.0.0.1:{closed_port()}", max_retries=2, timeout=5)
    with pytest.raises(errors.NotSentError) as caught:
        client.import_voucher(sales_voucher)
    assert caught.value.may_be_stored is False
    assert sleeps == [1.0, 2.0]


def test_real_read_timeout_on_post_is_outcome_unknown_and_sent_once(make_client, sales_voucher):
    with RawServer(lambda request: "hang") as server:
        client = make_client(server.base_url, timeout=0.3)
        with pytest.raises(errors.OutcomeUnknownError):
            client.import_voucher(sales_voucher)
    assert len(server.requests) == 1


def test_real_read_timeout_on_get_is_not_retried(make_client, sleeps):
    with RawServer(lambda request: "hang") as server:
        client = make_client(server.base_url, timeout=0.3, max_retries=2)
        with pytest.raises(errors.OutcomeUnknownError):
            client.get_voucher_types()
    assert len(server.requests) == 1
    assert sleeps == []


def test_real_connection_reset_after_post_is_outcome_unknown_and_sent_once(
    make_client, sales_voucher
):
    with RawServer(lambda request: "reset") as server:
        client = make_client(server.base_url)
        with pytest.raises(errors.OutcomeUnknownError):
            client.import_voucher(sales_voucher)
    assert len(server.requests) == 1


def test_real_answer_cut_off_mid_body_is_outcome_unknown(make_client, sales_voucher):
    def truncated(request):
        return b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n<Root><ResponseSt"

    with RawServer(truncated) as server:
        client = make_client(server.base_url, timeout=0.5)
        with pytest.raises(errors.OutcomeUnknownError):
            client.import_voucher(sales_voucher)
    assert len(server.requests) == 1


def test_real_maintenance_answer_retried_then_success(make_client, sales_voucher):
    answers = iter([http_response(MAINTENANCE, "503 Service Unavailable"), http_response(INSERTED)])
    with RawServer(lambda request: next(answers)) as server:
        client = make_client(server.base_url)
        assert client.import_voucher(sales_voucher) == "4711"
    ids = [headers["x-netvisor-authentication-transactionid"] for _, headers, _ in server.requests]
    assert len(ids) == 2 and ids[0] != ids[1]


# ---------------------------------------------------------------- limits before sending


def test_ledger_key_list_limited_to_500(client, http):
    with pytest.raises(ValueError):
        client.get_ledger(netvisor_keys=range(1, 502))
    assert not http.calls
    http.get(LEDGER, body=EMPTY_LEDGER)
    client.get_ledger(netvisor_keys=range(1, 501))
    assert http.calls[0].request.url == LEDGER + "?netvisorkeylist=" + ",".join(
        str(k) for k in range(1, 501)
    )


def test_invalidate_limited_to_100_keys(client, http):
    with pytest.raises(ValueError):
        client.invalidate_vouchers([str(k) for k in range(101)])
    with pytest.raises(ValueError):
        client.invalidate_vouchers([])
    with pytest.raises(ValueError):
        client.invalidate_vouchers(["1"], comment="x" * 256)
    assert not http.calls


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"start_date": JAN[0]},
        {"start_date": JAN[1], "end_date": JAN[0]},
        {"start_date": JAN[0], "end_date": JAN[1], "netvisor_key": 1},
        {"netvisor_key": 1, "netvisor_keys": [2]},
        {"netvisor_keys": []},
        {"netvisor_keys": ["1", "2;drop"]},
        {"netvisor_key": "1&x=2"},
        {"start_date": JAN[0], "end_date": JAN[1], "voucher_status": 4},
        {"netvisor_key": 5, "voucher_status": 1},
        {"netvisor_keys": [5, 6], "voucher_status": "all"},
    ],
)
def test_ledger_queries_netvisor_would_refuse_are_refused_first(client, http, kwargs):
    with pytest.raises(ValueError):
        client.get_ledger(**kwargs)
    assert not http.calls


# ---------------------------------------------------------------- resource calls


@pytest.mark.parametrize(
    "kwargs, query",
    [
        ({"start_date": JAN[0], "end_date": JAN[1]}, "startdate=2025-01-01&enddate=2025-01-31"),
        ({"netvisor_key": 4711}, "netvisorkey=4711"),
        ({"netvisor_keys": ["1", 2, "3"]}, "netvisorkeylist=1,2,3"),
        (
            {"start_date": JAN[0], "end_date": JAN[1], "voucher_status": "invalidated"},
            "startdate=2025-01-01&enddate=2025-01-31&voucherstatus=3",
        ),
    ],
)
def test_ledger_query_strings(client, http, kwargs, query):
    http.get(LEDGER, body=EMPTY_LEDGER)
    client.get_ledger(**kwargs)
    assert http.calls[0].request.url == f"{LEDGER}?{query}"


def test_import_voucher_posts_the_built_xml_and_returns_the_key(client, http, sales_voucher):
    http.post(ACCOUNTING, body=INSERTED)
    assert client.import_voucher(sales_voucher) == "4711"
    request = http.calls[0].request
    assert request.body == client.build_voucher_xml(sales_voucher)
    assert request.headers["Content-Type"] == "text/xml; charset=utf-8"


def test_import_voucher_sends_the_xml_the_caller_built_once(
    client, http, sales_voucher, monkeypatch
):
    """The sender stores the request it sends: the same bytes, not built a second time."""
    http.post(ACCOUNTING, body=INSERTED)
    xml = client.build_voucher_xml(sales_voucher)
    builds = []
    monkeypatch.setattr(vouchers, "build_voucher_xml", builds.append)
    assert client.import_voucher(xml, transaction_id="odoo-7-3") == "4711"
    assert http.calls[0].request.body == xml
    assert builds == []


def test_import_voucher_refuses_xml_that_is_not_bytes(client, http, sales_voucher):
    with pytest.raises(TypeError):
        client.import_voucher(client.build_voucher_xml(sales_voucher).decode())
    assert not http.calls


def test_invalidate_posts_keys_and_comment(client, http):
    http.post(INVALIDATE, body=data("accounting_ok.xml").replace(b"4711", b""))
    client.invalidate_vouchers([4711, "4712"], comment="Duplicate of 4710")
    body = http.calls[0].request.body
    assert b"<comment>Duplicate of 4710</comment>" in body
    assert b"<invalidatevoucher>4711</invalidatevoucher>" in body
    assert b"<invalidatevoucher>4712</invalidatevoucher>" in body


def test_find_vouchers_by_reference_matches_description_prefix(client, http):
    two = data("accountingledger.xml").replace(b"</Vouchers>", b"")
    other = (
        b'<Voucher Status="valid"><NetvisorKey>4712</NetvisorKey><VoucherDate>31.1.2025'
        b"</VoucherDate><VoucherDescription>Manual [ext:SALES-2025-01]</VoucherDescription>"
        b"</Voucher></Vouchers>"
    )
    http.get(LEDGER, body=two.replace(b"</Root>", other + b"</Root>"))
    found = client.find_vouchers_by_reference("Myyntilaskut 01/2025", *JAN)
    assert [v.netvisor_key for v in found] == ["4711"]
    assert http.calls[0].request.url == (
        f"{LEDGER}?startdate=2025-01-01&enddate=2025-01-31&voucherstatus=1"
    )


def _ledger_with(*vouchers):
    items = "".join(
        f'<Voucher Status="{status}"><NetvisorKey>{key}</NetvisorKey>'
        f"<VoucherDate>31.1.2025</VoucherDate><VoucherNumber>{key}</VoucherNumber>"
        f"<VoucherDescription>{description}</VoucherDescription></Voucher>"
        for key, description, status in vouchers
    )
    return ok_envelope(f"<Vouchers>{items}</Vouchers>")


def test_find_vouchers_by_reference_matches_the_whole_reference_only(client, http):
    """ODOO-X-1 must not find ODOO-X-12: the reference ends at a space or the end."""
    http.get(
        LEDGER,
        body=_ledger_with(
            ("1", "ODOO-X-1 INV/2025/0001 Asiakas Oy", "valid"),
            ("2", "ODOO-X-12 INV/2025/0012 Asiakas Oy", "valid"),
            ("3", "ODOO-X-1", "valid"),
            ("4", "ODOO-X-1/2 something", "valid"),
            ("5", "Copy of ODOO-X-1 INV/2025/0001", "valid"),
            ("6", "ODOO-X-1 INV/2025/0001 Asiakas Oy", "invalidated"),
            ("7", "ODOO-X-10", "deleted"),
        ),
    )
    found = client.find_vouchers_by_reference("ODOO-X-1", *JAN)
    assert [(v.netvisor_key, v.is_invalidated) for v in found] == [
        ("1", False),
        ("3", False),
        ("6", True),
    ]


def test_find_vouchers_by_reference_asks_for_valid_and_invalidated_vouchers(client, http):
    http.get(LEDGER, body=EMPTY_LEDGER)
    http.get(LEDGER, body=EMPTY_LEDGER)
    assert client.find_vouchers_by_reference("ODOO-X-1", *JAN) == []
    assert client.find_vouchers_by_reference("ODOO-X-1", *JAN, voucher_status="valid") == []
    assert [c.request.url for c in http.calls] == [
        f"{LEDGER}?startdate=2025-01-01&enddate=2025-01-31&voucherstatus=1",
        f"{LEDGER}?startdate=2025-01-01&enddate=2025-01-31&voucherstatus=2",
    ]


@pytest.mark.parametrize("reference", ["", "   ", None])
def test_find_vouchers_by_reference_needs_a_reference(client, http, reference):
    with pytest.raises(ValueError):
        client.find_vouchers_by_reference(reference, *JAN)
    assert not http.calls


def test_account_and_period_lists_fetched(client, http):
    http.get(f"{BASE}/accountlist.nv", body=data("accountlist.xml"))
    http.get(f"{BASE}/accountingperiodlist.nv", body=data("accountingperiodlist_nested.xml"))
    assert [a.number for a in client.get_account_list().accounts] == ["300", "3000"]
    assert len(client.get_accounting_periods().periods) == 2


def test_client_is_a_context_manager_that_closes_its_session():
    closed = []

    class Session(requests.Session):
        def close(self):
            closed.append(True)
            super().close()

    with NetvisorClient(make_credentials(), session=Session()) as client:
        assert isinstance(client, NetvisorClient)
    assert closed == [True]
