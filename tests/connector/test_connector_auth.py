"""Authentication (API.md §2): the MAC, the headers, and the URL that is hashed."""

import datetime
import logging
import re
from decimal import Decimal

import pytest
import requests

from ecomjet_netvisor.netvisor import NetvisorClient, compute_mac, errors
from tests.connector.netvisor_test_support import (
    CUSTOMER_KEY,
    EMPTY_LEDGER,
    PARTNER_KEY,
    RawServer,
    data,
    failed_envelope,
    http_response,
    make_credentials,
)

# API.md §2.4 worked example.
EXAMPLE = {
    "url": "https://isvapi.netvisor.fi/accountingledger.nv?startdate=2025-01-01&enddate=2025-01-31",
    "sender": "Kuukausikirjaus Oy integraatio",
    "customer_id": "TESTCUST_12345",
    "timestamp": "2025-02-03 08:15:30.123",
    "language": "FI",
    "organisation_id": "1234567-8",
    "transaction_id": "7f3c2a9e4b1d4c5e8a6b0d2f1e3c4a5b",
    "timestamp_unix": "1738570530",
    "customer_key": CUSTOMER_KEY,
    "partner_key": PARTNER_KEY,
}
EXAMPLE_HMAC = "4d19334a05f51962e9d04e5e105e003a56d4abed585a681a1375a0a33fea2149"
EXAMPLE_SHA256 = "44d5e437fef00a9cd1f8a075301efcf807d547ae108f465113d3b3fc790b5e66"
HEX_TRANSACTION_ID = re.compile(r"[0-9a-f]{32}")


def header_mac(url, headers, customer_key=CUSTOMER_KEY, partner_key=PARTNER_KEY):
    """Recompute the MAC the way Netvisor does, from what was actually sent."""
    return compute_mac(
        headers["X-Netvisor-Authentication-MACHashCalculationAlgorithm"],
        url,
        headers["X-Netvisor-Authentication-Sender"],
        headers["X-Netvisor-Authentication-CustomerId"],
        headers["X-Netvisor-Authentication-Timestamp"],
        headers["X-Netvisor-Interface-Language"],
        headers["X-Netvisor-Organisation-ID"],
        headers["X-Netvisor-Authentication-TransactionId"],
        headers.get("X-Netvisor-Authentication-TimestampUnix", ""),
        customer_key,
        partner_key,
    )


# ---------------------------------------------------------------- MAC test vectors


def test_hmacsha256_mac_reproduces_worked_example():
    assert compute_mac("HMACSHA256", **EXAMPLE) == EXAMPLE_HMAC


def test_sha256_legacy_mac_reproduces_worked_example():
    assert compute_mac("SHA256", **EXAMPLE) == EXAMPLE_SHA256


def test_mac_string_is_encoded_latin1_not_utf8():
    """Only the Latin-1 digest authenticates (API.md §2.4 encoding sanity check)."""
    mac = compute_mac("HMACSHA256", **{**EXAMPLE, "sender": "Myyntijärjestelmä"})
    assert mac == "c53f2200ef153e7f7b79656b902e63436a4ad35b4770e263ce528f49581c597a"
    assert mac != "88fb14dd886aa4142edab828ff4b8aa17a9b92bbb74706b6512186b9a82b19f6"


def test_md5_and_unknown_algorithms_refused():
    with pytest.raises(ValueError):
        compute_mac("MD5", **EXAMPLE)
    with pytest.raises(ValueError):
        make_credentials(algorithm="MD5")


def test_client_headers_reproduce_worked_example_request():
    """Same inputs as §2.4 -> exactly the headers of the documented request."""
    client = NetvisorClient(make_credentials(), clock=lambda: 1738570530.123)
    headers = client.build_headers(EXAMPLE["url"], EXAMPLE["transaction_id"])
    assert headers == {
        "X-Netvisor-Authentication-Sender": "Kuukausikirjaus Oy integraatio",
        "X-Netvisor-Authentication-CustomerId": "TESTCUST_12345",
        "X-Netvisor-Authentication-PartnerId": "TESTPARTNER_1",
        "X-Netvisor-Authentication-Timestamp": "2025-02-03 08:15:30.123",
        "X-Netvisor-Authentication-TimestampUnix": "1738570530",
        "X-Netvisor-Authentication-TransactionId": "7f3c2a9e4b1d4c5e8a6b0d2f1e3c4a5b",
        "X-Netvisor-Interface-Language": "FI",
        "X-Netvisor-Organisation-ID": "1234567-8",
        "X-Netvisor-Authentication-MACHashCalculationAlgorithm": "HMACSHA256",
        "X-Netvisor-Authentication-UseHTTPResponseStatusCodes": "1",
        "X-Netvisor-Authentication-MAC": EXAMPLE_HMAC,
    }


def test_legacy_sha256_client_signs_without_timestamp_unix():
    client = NetvisorClient(make_credentials(algorithm="SHA256"), clock=lambda: 1738570530.123)
    headers = client.build_headers(EXAMPLE["url"], EXAMPLE["transaction_id"])
    assert headers["X-Netvisor-Authentication-MACHashCalculationAlgorithm"] == "SHA256"
    assert headers["X-Netvisor-Authentication-MAC"] == EXAMPLE_SHA256
    assert "X-Netvisor-Authentication-TimestampUnix" not in headers


def test_timestamp_is_utc_with_milliseconds():
    client = NetvisorClient(make_credentials(), clock=lambda: 1738570530.0)
    headers = client.build_headers("https://isvapi.netvisor.fi/accountlist.nv", "x1")
    assert headers["X-Netvisor-Authentication-Timestamp"] == "2025-02-03 08:15:30.000"
    assert headers["X-Netvisor-Authentication-TimestampUnix"] == "1738570530"


# ---------------------------------------------------------------- headers on real requests


def test_every_request_carries_all_section_2_2_headers(client, http):
    http.get("https://isvapi.netvisor.fi/vouchertypelist.nv", body=data("vouchertypelist.xml"))
    client.get_voucher_types()
    request = http.calls[0].request
    headers = request.headers
    for name in (
        "X-Netvisor-Authentication-Sender",
        "X-Netvisor-Authentication-CustomerId",
        "X-Netvisor-Authentication-PartnerId",
        "X-Netvisor-Authentication-Timestamp",
        "X-Netvisor-Authentication-TimestampUnix",
        "X-Netvisor-Authentication-TransactionId",
        "X-Netvisor-Interface-Language",
        "X-Netvisor-Organisation-ID",
        "X-Netvisor-Authentication-MAC",
        "X-Netvisor-Authentication-MACHashCalculationAlgorithm",
        "X-Netvisor-Authentication-UseHTTPResponseStatusCodes",
    ):
        assert headers.get(name), name
    assert headers["X-Netvisor-Authentication-UseHTTPResponseStatusCodes"] == "1"
    assert headers["X-Netvisor-Authentication-MACHashCalculationAlgorithm"] == "HMACSHA256"
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", headers["X-Netvisor-Authentication-Timestamp"]
    )
    assert HEX_TRANSACTION_ID.fullmatch(headers["X-Netvisor-Authentication-TransactionId"])
    assert headers["X-Netvisor-Authentication-MAC"] == header_mac(request.url, headers)
    for secret in (CUSTOMER_KEY, PARTNER_KEY):
        assert all(secret not in value for value in headers.values())


def test_every_request_gets_a_fresh_transaction_id(client, http):
    http.get("https://isvapi.netvisor.fi/accountlist.nv", body=data("accountlist.xml"))
    http.get("https://isvapi.netvisor.fi/accountlist.nv", body=data("accountlist.xml"))
    client.get_account_list()
    client.get_account_list()
    ids = [c.request.headers["X-Netvisor-Authentication-TransactionId"] for c in http.calls]
    assert len(set(ids)) == 2
    assert client.last_transaction_id == ids[1]


def test_import_voucher_uses_the_callers_transaction_id(client, http, sales_voucher):
    http.post("https://isvapi.netvisor.fi/accounting.nv", body=data("accounting_ok.xml"))
    assert client.import_voucher(sales_voucher, transaction_id="odoo-42-1") == "4711"
    headers = http.calls[0].request.headers
    assert headers["X-Netvisor-Authentication-TransactionId"] == "odoo-42-1"
    assert headers["X-Netvisor-Authentication-MAC"] == header_mac(
        "https://isvapi.netvisor.fi/accounting.nv", headers
    )


@pytest.mark.parametrize("bad", ["", "has space", "x" * 51, "ä-1", "a&b"])
def test_caller_transaction_id_must_be_a_safe_token(client, http, sales_voucher, bad):
    with pytest.raises(ValueError):
        client.import_voucher(sales_voucher, transaction_id=bad)
    assert not http.calls


def test_resource_paths_are_lower_case(client, http):
    url = "https://isvapi.netvisor.fi/accountingperiodlist.nv"
    http.get(url, body=data("accountingperiodlist_nested.xml"))
    client.get_accounting_periods()
    assert http.calls[0].request.url == url


def test_url_hashed_is_the_url_on_the_wire_with_literal_commas(make_client):
    """Netvisor hashes scheme://host + the raw request target; commas must stay commas."""
    with RawServer(lambda request: http_response(EMPTY_LEDGER)) as server:
        client = make_client(server.base_url)
        client.get_ledger(netvisor_keys=[1, 2, 3])
        client.get_ledger(start_date=_date("2025-01-01"), end_date=_date("2025-01-31"))
    (line1, headers1, _), (line2, headers2, _) = server.requests
    assert line1 == "GET /accountingledger.nv?netvisorkeylist=1,2,3 HTTP/1.1"
    assert line2 == "GET /accountingledger.nv?startdate=2025-01-01&enddate=2025-01-31 HTTP/1.1"
    for line, headers in ((line1, headers1), (line2, headers2)):
        target = line.split()[1]
        wire = {_canonical(name): value for name, value in headers.items()}
        assert wire["X-Netvisor-Authentication-MAC"] == header_mac(server.base_url + target, wire)


def test_post_body_is_sent_as_utf8_xml(make_client, sales_voucher):
    with RawServer(lambda request: http_response(data("accounting_ok.xml"))) as server:
        client = make_client(server.base_url)
        assert client.import_voucher(sales_voucher) == "4711"
    line, headers, body = server.requests[0]
    assert line == "POST /accounting.nv HTTP/1.1"
    assert headers["content-type"] == "text/xml; charset=utf-8"
    assert body == client.build_voucher_xml(sales_voucher)


def test_one_keep_alive_session_serves_consecutive_requests(make_client):
    with RawServer(lambda request: http_response(data("vouchertypelist.xml"))) as server:
        client = make_client(server.base_url)
        client.get_voucher_types()
        client.get_voucher_types()
        client.get_voucher_types()
    assert len(server.requests) == 3
    assert server.connections == 1


# ---------------------------------------------------------------- credentials and transport


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8090", "http://127.1.2.3", "http://localhost:8090/", "http://[::1]:8090"],
)
def test_plain_http_allowed_for_loopback(url):
    assert make_credentials(url).base_url == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "http://isvapi.netvisor.fi",
        "http://10.0.0.1:8090",
        "http://192.168.1.10",
        "http://localhost.example.com",
        "ftp://127.0.0.1",
        "https://user:pw@isvapi.netvisor.fi",
        "https://isvapi.netvisor.fi?x=1",
        "isvapi.netvisor.fi",
    ],
)
def test_non_loopback_or_odd_base_urls_refused(url):
    with pytest.raises(ValueError):
        make_credentials(url)


@pytest.mark.parametrize(
    "field, value",
    [
        ("sender", "Myyntijärjestelmä"),
        ("sender", ""),
        ("customer_id", "bad\r\nX-Injected: 1"),
        ("organisation_id", ""),
        ("customer_key", ""),
        ("partner_key", "€uro"),
        ("language", "SV"),
    ],
)
def test_credentials_refuse_values_that_cannot_be_signed_or_sent(field, value):
    with pytest.raises(ValueError):
        make_credentials(**{field: value})


def test_repr_never_shows_keys(credentials, client):
    for text in (repr(credentials), str(credentials), repr(client)):
        assert CUSTOMER_KEY not in text
        assert PARTNER_KEY not in text


def test_tls_verified_and_timeout_default_360_seconds(credentials, http, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    session = _RecordingSession()
    client = NetvisorClient(credentials, session=session)
    http.get("https://isvapi.netvisor.fi/accountlist.nv", body=data("accountlist.xml"))
    client.get_account_list()
    assert session.sent[0]["verify"] is True
    assert session.sent[0]["timeout"] == (10.0, 360.0)  # (connect, read)
    assert session.sent[0]["allow_redirects"] is False


def test_tls_verification_cannot_be_switched_off_by_the_session(credentials, http, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    session = _RecordingSession()
    session.verify = False
    client = NetvisorClient(credentials, session=session)
    http.get("https://isvapi.netvisor.fi/accountlist.nv", body=data("accountlist.xml"))
    client.get_account_list()
    assert session.sent[0]["verify"] is True


def test_ca_bundle_and_proxy_of_the_environment_are_honoured(credentials, http, monkeypatch):
    """Company CA bundles and proxies keep working; they are read once per client."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/company-ca.pem")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session = _RecordingSession()
    client = NetvisorClient(credentials, session=session)
    http.get("https://isvapi.netvisor.fi/accountlist.nv", body=data("accountlist.xml"))
    client.get_account_list()
    assert session.sent[0]["verify"] == "/etc/ssl/company-ca.pem"
    assert session.sent[0]["proxies"]["https"] == "http://proxy.example:3128"


def test_timeout_is_configurable(credentials, http):
    session = _RecordingSession()
    client = NetvisorClient(credentials, timeout=42.5, session=session)
    http.get("https://isvapi.netvisor.fi/accountlist.nv", body=data("accountlist.xml"))
    client.get_account_list()
    assert session.sent[0]["timeout"] == (10.0, 42.5)


@pytest.mark.parametrize(
    "timeout, connect_timeout, sent",
    [
        (123.4, None, (10.0, 123.4)),  # what a caller computes from its time limit
        (Decimal("42.5"), None, (10.0, 42.5)),
        (300, 2.5, (2.5, 300.0)),
        (3.0, None, (3.0, 3.0)),  # connecting never takes longer than reading may
    ],
)
def test_read_and_connect_timeouts(credentials, http, timeout, connect_timeout, sent):
    session = _RecordingSession()
    kwargs = {} if connect_timeout is None else {"connect_timeout": connect_timeout}
    client = NetvisorClient(credentials, timeout=timeout, session=session, **kwargs)
    http.get("https://isvapi.netvisor.fi/accountlist.nv", body=data("accountlist.xml"))
    client.get_account_list()
    assert session.sent[0]["timeout"] == sent
    assert all(type(value) is float for value in session.sent[0]["timeout"])


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"timeout": 0}, ValueError),
        ({"timeout": -1.0}, ValueError),
        ({"timeout": float("nan")}, ValueError),
        ({"timeout": float("inf")}, ValueError),
        ({"timeout": None}, TypeError),
        ({"timeout": "360"}, TypeError),
        ({"timeout": True}, TypeError),
        ({"connect_timeout": 0}, ValueError),
    ],
)
def test_timeouts_must_be_positive_seconds(credentials, kwargs, error):
    with pytest.raises(error):
        NetvisorClient(credentials, **kwargs)


def test_keys_and_mac_never_logged(client, http, caplog, sales_voucher):
    http.post(
        "https://isvapi.netvisor.fi/accounting.nv",
        body=failed_envelope("INVALID_DATA :: Data form incorrect:. Account not found: 9999"),
        status=400,
    )
    http.get("https://isvapi.netvisor.fi/accountlist.nv", body=data("accountlist.xml"))
    with caplog.at_level(logging.DEBUG, logger="ecomjet_netvisor.netvisor"):
        with pytest.raises(errors.InvalidData):
            client.import_voucher(sales_voucher)
        client.get_account_list()
    assert "accounting.nv" in caplog.text  # debug lines exist ...
    macs = [c.request.headers["X-Netvisor-Authentication-MAC"] for c in http.calls]
    for secret in (CUSTOMER_KEY, PARTNER_KEY, *macs):
        assert secret not in caplog.text  # ... but never with secrets


def test_error_text_never_carries_keys_or_digests_netvisor_echoes(client, http):
    """Netvisor's ISV environment echoes the expected MAC string and digest (API.md §2.7)."""
    echo = (
        "AUTHENTICATION_FAILED :: URI-metodi ei kelpaa. Käytä merkkijonoa: "
        f"https://isvapi.netvisor.fi/accountlist.nv&x&{CUSTOMER_KEY}&{PARTNER_KEY} :: " + "F6" * 32
    )
    http.get("https://isvapi.netvisor.fi/accountlist.nv", body=failed_envelope(echo), status=401)
    with pytest.raises(errors.AuthenticationFailed) as caught:
        client.get_account_list()
    for text in (str(caught.value), caught.value.netvisor_text, repr(caught.value)):
        assert CUSTOMER_KEY not in text
        assert PARTNER_KEY not in text
        assert "F6" * 32 not in text
    assert caught.value.netvisor_text.startswith("URI-metodi ei kelpaa")


# ---------------------------------------------------------------- helpers


class _RecordingSession(requests.Session):
    def __init__(self):
        super().__init__()
        self.sent = []

    def send(self, request, **kwargs):
        self.sent.append(kwargs)
        return super().send(request, **kwargs)


def _date(text):
    return datetime.date.fromisoformat(text)


def _canonical(name):
    """Header names as the raw server lower-cased them -> the names compute uses."""
    names = {n.lower(): n for n in _HEADER_NAMES}
    return names.get(name, name)


_HEADER_NAMES = list(
    NetvisorClient(make_credentials(), clock=lambda: 0.0).build_headers("https://x/a.nv", "t")
)
