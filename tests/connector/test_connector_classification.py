"""One classification of every failure (errors.py table) and the client's retries by it.

Each row of the table is checked from a real envelope or a real socket behaviour; every
edge where a POST may have been stored is shown not to be re-POSTed; every stray
exception of the request path comes out as a NetvisorError without keys (API.md §9,
§11.1, DESIGN.md §6).
"""

import logging
import time
import traceback

import pytest
import requests

from ecomjet_netvisor.netvisor import NetvisorClient, errors, responses
from tests.connector.netvisor_test_support import (
    CUSTOMER_KEY,
    DECLARATION,
    EMPTY_LEDGER,
    INSERTED,
    PARTNER_KEY,
    RawServer,
    closed_port,
    data,
    failed_envelope,
    http_response,
    make_credentials,
    ok_envelope,
    self_signed_tls_context,
    unaccepting_port,
)

BASE = "https://isvapi.netvisor.fi"
ACCOUNTING = f"{BASE}/accounting.nv"
ACCOUNTLIST = f"{BASE}/accountlist.nv"
LEDGER = f"{BASE}/accountingledger.nv"
CUSTOMER_ID = "TESTCUST_12345"
PARTNER_ID = "TESTPARTNER_1"
SECRETS = (CUSTOMER_KEY, PARTNER_KEY, CUSTOMER_ID, PARTNER_ID)
GATEWAY_502 = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
GATEWAY_504 = b"<html><body><h1>504 Gateway Time-out</h1>\r\n<hr>nginx</body></html>"

# (category, HTTP status, class, may_be_stored, retryable, stops_company)
CATEGORY_ROWS = [
    ("AUTHENTICATION_FAILED", 401, errors.AuthenticationFailed, False, False, True),
    ("SERVICE_ACCESS_ERROR", 403, errors.ServiceAccessError, False, False, True),
    ("INVALID_DATA", 400, errors.InvalidData, False, False, False),
    ("INVALID_DATA_SIZE", 400, errors.InvalidDataSize, False, False, False),
    ("PERIOD_LOCK", 409, errors.PeriodLock, False, False, False),
    ("SYSTEM_MAINTENANCE", 503, errors.SystemMaintenance, False, True, False),
    ("TECHNICAL_ERROR", 500, errors.TechnicalError, True, True, False),
    ("DUPLICATE_DATA", 409, errors.DuplicateData, True, False, False),
    ("REQUEST_NOT_UNIQUE", 409, errors.RequestNotUnique, True, False, False),
    ("SOMETHING_NEW", 400, errors.NetvisorResponseError, True, False, False),
]


def flags(error):
    return (error.may_be_stored, error.retryable, error.stops_company)


def posts(server):
    return [line for line, _headers, _body in server.requests if line.startswith("POST ")]


def assert_no_secrets(error, log_text="", *extra):
    """Nothing secret in the error's texts, its chain, its traceback or the log."""
    texts = [
        str(error),
        repr(error),
        error.netvisor_text,
        error.category,
        *map(str, error.args),
        "".join(traceback.format_exception(error)),
        log_text,
    ]
    assert error.__cause__ is None and error.__context__ is None
    for secret in (*SECRETS, *extra):
        for text in texts:
            assert secret.lower() not in text.lower(), (secret, text)


# ---------------------------------------------------------------- the table, row by row


@pytest.mark.parametrize(
    "category, status, cls, may_be_stored, retryable, stops_company",
    CATEGORY_ROWS,
    ids=[row[0] for row in CATEGORY_ROWS],
)
def test_each_failed_category_is_classified_by_the_table(
    make_client, http, sales_voucher, category, status, cls, may_be_stored, retryable, stops_company
):
    client = make_client(max_retries=0)
    http.post(ACCOUNTING, body=failed_envelope(f"{category} :: Netvisor says no"), status=status)
    with pytest.raises(errors.NetvisorError) as caught:
        client.import_voucher(sales_voucher)
    error = caught.value
    assert type(error) is cls
    assert flags(error) == (may_be_stored, retryable, stops_company)
    assert error.may_still_run is False  # Netvisor answered completely
    assert error.transaction_id == client.last_transaction_id


def test_class_level_table_is_documented_in_the_module():
    rows = {
        errors.AuthenticationFailed: (False, False, True),
        errors.ServiceAccessError: (False, False, True),
        errors.InvalidData: (False, False, False),
        errors.InvalidDataSize: (False, False, False),
        errors.PeriodLock: (False, False, False),
        errors.SystemMaintenance: (False, True, False),
        errors.TechnicalError: (True, True, False),
        errors.DuplicateData: (True, False, False),
        errors.RequestNotUnique: (True, False, False),
        errors.NetvisorResponseError: (True, False, False),
        errors.NotSentError: (False, True, False),
        errors.OutcomeUnknownError: (True, True, False),
        errors.BadResponseError: (True, True, False),
        errors.VoucherValidationError: (False, False, False),
    }
    for cls, expected in rows.items():
        assert flags(cls) == expected, cls.__name__
        assert cls.__name__ in errors.__doc__ or cls.__name__ == "VoucherValidationError"
    assert errors.OutcomeUnknownError.may_still_run is True
    assert "VoucherValidationError" in errors.__doc__


def test_flags_can_be_overridden_per_instance():
    error = errors.NotSentError("x", retryable=False)
    assert flags(error) == (False, False, False)
    error = errors.BadResponseError("x", may_still_run=False, stops_company=True)
    assert (error.may_still_run, error.stops_company) == (False, True)
    assert errors.BadResponseError.may_still_run is True  # the class is untouched


def test_connection_refused_row(make_client, sales_voucher):
    client = make_client(f"http://127.0.0.1:{closed_port()}", max_retries=0)
    with pytest.raises(errors.NotSentError) as caught:
        client.import_voucher(sales_voucher)
    assert flags(caught.value) == (False, True, False)
    assert caught.value.may_still_run is False


def test_dead_host_fails_fast_on_the_connect_timeout(make_client, sales_voucher):
    port, held = unaccepting_port()
    try:
        client = make_client(f"http://127.0.0.1:{port}", max_retries=0, connect_timeout=0.3)
        started = time.monotonic()
        with pytest.raises(errors.NotSentError) as caught:
            client.import_voucher(sales_voucher)
        assert time.monotonic() - started < 5  # not the 360 s read timeout
    finally:
        for sock in held:
            sock.close()
    assert flags(caught.value) == (False, True, False)


@pytest.mark.parametrize("behaviour", ["hang", "reset"])
def test_timeout_and_reset_rows_real_socket(make_client, sales_voucher, behaviour):
    """No answer (read timeout) or a reset after the POST: may be stored, may still run."""
    with RawServer(lambda request: behaviour) as server:
        client = make_client(server.base_url, timeout=0.3)
        with pytest.raises(errors.OutcomeUnknownError) as caught:
            client.import_voucher(sales_voucher)
    assert len(posts(server)) == 1
    assert flags(caught.value) == (True, True, False)
    assert caught.value.may_still_run is True


def test_answer_cut_off_row_real_socket(make_client, sales_voucher):
    def truncated(request):
        return b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n<Root><ResponseSt"

    with RawServer(truncated) as server:
        client = make_client(server.base_url, timeout=0.5)
        with pytest.raises(errors.OutcomeUnknownError) as caught:
            client.import_voucher(sales_voucher)
    assert len(posts(server)) == 1
    assert caught.value.may_still_run is True


@pytest.mark.parametrize(
    "status, page", [("502 Bad Gateway", GATEWAY_502), ("504 Gateway Timeout", GATEWAY_504)]
)
def test_gateway_page_row_real_socket(make_client, sales_voucher, status, page):
    with RawServer(lambda request: http_response(page, status)) as server:
        client = make_client(server.base_url)
        with pytest.raises(errors.BadResponseError) as caught:
            client.import_voucher(sales_voucher)
    assert len(posts(server)) == 1
    assert flags(caught.value) == (True, True, False)
    assert caught.value.may_still_run is True  # Netvisor may still be working on it


def test_complete_but_unreadable_answer_may_not_still_run(make_client, http, sales_voucher):
    client = make_client(max_retries=0)
    http.post(ACCOUNTING, body=b"<html><body>Internal Server Error</body></html>", status=500)
    with pytest.raises(errors.BadResponseError) as caught:
        client.import_voucher(sales_voucher)
    assert flags(caught.value) == (True, True, False)
    assert caught.value.may_still_run is False


def test_ok_envelope_without_the_inserted_key_may_not_still_run(make_client, http, sales_voucher):
    client = make_client(max_retries=0)
    http.post(ACCOUNTING, body=ok_envelope(), status=502)
    with pytest.raises(errors.BadResponseError) as caught:
        client.import_voucher(sales_voucher)
    assert caught.value.may_still_run is False
    assert caught.value.transaction_id == client.last_transaction_id


def test_voucher_validation_row(client, http, sales_voucher):
    bad = sales_voucher.__class__(
        date=sales_voucher.date, voucher_class="Myyntilasku", lines=sales_voucher.lines[:1]
    )
    with pytest.raises(errors.VoucherValidationError) as caught:
        client.import_voucher(bad)
    assert flags(caught.value) == (False, False, False)
    assert not http.calls


# ---------------------------------------------------------------- never re-POSTed blind


def test_technical_error_answered_to_a_post_is_not_reposted(client, http, sales_voucher, sleeps):
    """Netvisor may have stored the voucher before failing: a re-POST would duplicate it."""
    http.post(ACCOUNTING, body=failed_envelope("TECHNICAL_ERROR :: Odottamaton virhe"), status=500)
    http.post(ACCOUNTING, body=INSERTED)
    with pytest.raises(errors.TechnicalError) as caught:
        client.import_voucher(sales_voucher, transaction_id="odoo-7-9")
    posted = [c for c in http.calls if c.request.method == "POST"]
    assert len(posted) == 1 and sleeps == []
    assert caught.value.may_be_stored is True
    assert caught.value.transaction_id == "odoo-7-9"
    http.reset()  # the second answer is never asked for


def test_technical_error_answered_to_a_post_is_not_reposted_real_socket(make_client, sales_voucher):
    answers = iter(
        [
            http_response(failed_envelope("TECHNICAL_ERROR :: virhe"), "500 Internal Server Error"),
            http_response(INSERTED),
        ]
    )
    with RawServer(lambda request: next(answers)) as server:
        client = make_client(server.base_url)
        with pytest.raises(errors.TechnicalError):
            client.import_voucher(sales_voucher)
    assert len(posts(server)) == 1


def test_technical_error_to_invalidate_is_not_reposted(client, http):
    http.post(f"{BASE}/invalidatevouchers.nv", body=failed_envelope("TECHNICAL_ERROR :: x"))
    with pytest.raises(errors.TechnicalError):
        client.invalidate_vouchers(["4711"])
    assert len(http.calls) == 1


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ReadTimeout("read timed out"),
        requests.exceptions.ConnectionError("Connection aborted."),
        requests.exceptions.ProxyError("Remote end closed connection without response"),
    ],
    ids=["timeout", "reset", "proxy"],
)
def test_transport_failures_after_a_post_are_not_reposted(client, http, sales_voucher, failure):
    http.post(ACCOUNTING, body=failure)
    with pytest.raises(errors.OutcomeUnknownError) as caught:
        client.import_voucher(sales_voucher)
    assert len(http.calls) == 1
    assert caught.value.may_be_stored and caught.value.may_still_run


@pytest.mark.parametrize("status, page", [(502, GATEWAY_502), (504, GATEWAY_504)])
def test_gateway_pages_after_a_post_are_not_reposted(client, http, sales_voucher, status, page):
    http.post(ACCOUNTING, body=page, status=status)
    with pytest.raises(errors.BadResponseError) as caught:
        client.import_voucher(sales_voucher)
    assert len(http.calls) == 1
    assert caught.value.may_still_run is True


def test_get_is_still_retried_on_technical_error(client, http, sleeps):
    http.get(ACCOUNTLIST, body=failed_envelope("TECHNICAL_ERROR :: virhe"), status=500)
    http.get(ACCOUNTLIST, body=data("accountlist.xml"))
    assert client.get_account_list().accounts
    assert len(http.calls) == 2 and sleeps == [1.0]


def test_get_is_not_retried_after_a_gateway_page(client, http, sleeps):
    """Behind a 502 Netvisor may still be working on the GET: no second request at once."""
    http.get(ACCOUNTLIST, body=GATEWAY_502, status=502)
    with pytest.raises(errors.BadResponseError) as caught:
        client.get_account_list()
    assert caught.value.may_still_run is True
    assert len(http.calls) == 1 and sleeps == []


def test_post_is_retried_on_maintenance_only_because_nothing_was_stored(
    client, http, sales_voucher
):
    http.post(ACCOUNTING, body=failed_envelope("SYSTEM_MAINTENANCE :: huolto"), status=503)
    http.post(ACCOUNTING, body=INSERTED)
    assert client.import_voucher(sales_voucher) == "4711"
    assert len(http.calls) == 2


# ---------------------------------------------------------------- certificate refusal


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory):
    try:
        return self_signed_tls_context(tmp_path_factory.mktemp("tls"))
    except (OSError, ValueError) as exc:  # pragma: no cover - no openssl on this machine
        pytest.skip(f"cannot make a test certificate: {exc}")


def test_refused_certificate_is_not_sent_and_not_retried(make_client, sleeps, tls_context):
    with RawServer(lambda request: http_response(INSERTED), tls=tls_context) as server:
        client = make_client(server.base_url, max_retries=5)
        with pytest.raises(errors.NotSentError) as caught:
            client.get_account_list()
    assert server.connections == 1 and server.requests == []
    assert sleeps == []
    assert flags(caught.value) == (False, False, False)
    assert "certificate" in str(caught.value)


# ---------------------------------------------------------------- no strays


def test_credentials_refuse_an_invalid_port_up_front():
    for url in ("http://127.0.0.1:99999", "http://127.0.0.1:0", "https://isvapi.netvisor.fi:x"):
        with pytest.raises(ValueError) as caught:
            make_credentials(url)
        assert "port" in str(caught.value)


def _bypassed(base_url=BASE, **fields):
    """Credentials with values the constructor would refuse (as a broken caller might)."""
    creds = make_credentials()
    object.__setattr__(creds, "base_url", base_url)
    for name, value in fields.items():
        object.__setattr__(creds, name, value)
    return creds


def test_invalid_url_is_not_sent_and_not_retried(sleeps, caplog):
    client = NetvisorClient(_bypassed("http://127.0.0.1:99999"), sleep=sleeps.append)
    with caplog.at_level(logging.DEBUG, logger="ecomjet_netvisor.netvisor"):
        with pytest.raises(errors.NotSentError) as caught:
            client.get_account_list()
    assert flags(caught.value) == (False, False, False)
    assert "URL is not valid" in str(caught.value)
    assert sleeps == []
    assert_no_secrets(caught.value, caplog.text)


@pytest.mark.parametrize("path", ["/€", "/ä"], ids=["not-latin1", "latin1"])
def test_non_ascii_url_is_not_sent(make_client, caplog, path):
    with RawServer(lambda request: http_response(EMPTY_LEDGER)) as server:
        client = make_client(server.base_url + path)
        with caplog.at_level(logging.DEBUG, logger="ecomjet_netvisor.netvisor"):
            with pytest.raises(errors.NotSentError) as caught:
                client.get_account_list()
    assert server.connections == 0
    assert flags(caught.value) == (False, False, False)
    assert "cannot be sent" in str(caught.value)
    assert_no_secrets(caught.value, caplog.text)


@pytest.mark.parametrize(
    "field, value", [("customer_key", "€" + CUSTOMER_KEY), ("sender", "Myyntijärjestelmä €")]
)
def test_character_the_mac_cannot_encode_is_not_sent_and_keys_stay_out(
    sleeps, caplog, field, value
):
    """UnicodeEncodeError's arguments hold the whole MAC input string, keys included."""
    client = NetvisorClient(_bypassed(**{field: value}), sleep=sleeps.append)
    with caplog.at_level(logging.DEBUG, logger="ecomjet_netvisor.netvisor"):
        with pytest.raises(errors.NotSentError) as caught:
            client.get_account_list()
    assert flags(caught.value) == (False, False, False)
    assert "UnicodeEncodeError" in str(caught.value)
    assert sleeps == []
    assert_no_secrets(caught.value, caplog.text, value)


def test_header_that_http_cannot_carry_is_not_sent(sleeps):
    creds = _bypassed(organisation_id="1234567-8\r\nX-Evil: 1")
    client = NetvisorClient(creds, sleep=sleeps.append)
    with pytest.raises(errors.NotSentError) as caught:
        client.get_account_list()
    assert caught.value.retryable is False
    assert_no_secrets(caught.value)


def _ledger(voucher_date="31.1.2025", line_sum="1255,00", number="17", percent="0"):
    return ok_envelope(
        '<Vouchers><Voucher Status="valid"><NetvisorKey>4711</NetvisorKey>'
        f"<VoucherDate>{voucher_date}</VoucherDate><VoucherNumber>{number}</VoucherNumber>"
        "<VoucherDescription>ODOO-1-7 INV/1</VoucherDescription>"
        f"<VoucherLine><NetvisorKey>1</NetvisorKey><LineSum>{line_sum}</LineSum>"
        f"<AccountNumber>1701</AccountNumber><VatPercent>{percent}</VatPercent>"
        "<VatCode>-</VatCode></VoucherLine></Voucher></Vouchers>"
    )


GARBLED_LEDGERS = {
    "number-1,2,3": _ledger(line_sum="1,2,3"),
    "number-1.234,56": _ledger(line_sum="1.234,56"),
    "percent--5": _ledger(percent="--5,00"),
    "huge-number": _ledger(line_sum="9" * 5000),
    "date-32.13.2025": _ledger(voucher_date="32.13.2025"),
    "date-31.2.2025": _ledger(voucher_date="31.2.2025"),
    "date-year-overflow": _ledger(voucher_date="1.1.99999999999999999999"),
    "date-year-99999": _ledger(voucher_date="1.1.99999"),
    "voucher-number-garbled": _ledger(number="1,2,3"),
    "voucher-number-superscript": _ledger(number="²"),
    "voucher-number-4301-digits": _ledger(number="1" * 4301),
}


@pytest.mark.parametrize("body", GARBLED_LEDGERS.values(), ids=GARBLED_LEDGERS.keys())
def test_garbled_ledger_answer_is_a_bad_response_with_the_transaction_id(
    make_client, http, caplog, body
):
    client = make_client(max_retries=0)
    http.get(LEDGER, body=body)
    with caplog.at_level(logging.DEBUG, logger="ecomjet_netvisor.netvisor"):
        with pytest.raises(errors.BadResponseError) as caught:
            client.get_ledger(netvisor_key=4711)
    error = caught.value
    assert flags(error) == (True, True, False)
    assert error.may_still_run is False  # the answer came complete
    assert (
        error.transaction_id
        == http.calls[0].request.headers["X-Netvisor-Authentication-TransactionId"]
    )
    assert_no_secrets(error, caplog.text)


@pytest.mark.parametrize(
    "body",
    [
        ok_envelope(
            "<AccountingPeriodList><PeriodLockInformation><AccountingPeriodLockDate>"
            "1.1.99999999999999999999</AccountingPeriodLockDate></PeriodLockInformation>"
            "</AccountingPeriodList>"
        ),
        ok_envelope(
            "<AccountingPeriodList><Period><NetvisorKey>1</NetvisorKey><BeginDate>32.13.2025"
            "</BeginDate><EndDate>31.12.2025</EndDate></Period></AccountingPeriodList>"
        ),
    ],
    ids=["lock-date-overflow", "period-date"],
)
def test_garbled_period_list_is_a_bad_response(make_client, http, body):
    client = make_client(max_retries=0)
    http.get(f"{BASE}/accountingperiodlist.nv", body=body)
    with pytest.raises(errors.BadResponseError) as caught:
        client.get_accounting_periods()
    assert caught.value.transaction_id == client.last_transaction_id


def test_garbled_content_length_is_not_a_stray(client, http):
    http.get(
        ACCOUNTLIST,
        body=data("accountlist.xml"),
        headers={"Content-Length": "²"},
        auto_calculate_content_length=False,
    )
    assert client.get_account_list().accounts


@pytest.mark.parametrize("stray", [IndexError, ValueError, OverflowError, KeyError, RuntimeError])
def test_any_parser_stray_becomes_a_bad_response(make_client, http, monkeypatch, stray):
    def broken(root):
        raise stray(f"{CUSTOMER_KEY} deep inside the parser")

    monkeypatch.setattr(responses, "parse_account_list", broken)
    client = make_client(max_retries=0)
    http.get(ACCOUNTLIST, body=data("accountlist.xml"))
    with pytest.raises(errors.BadResponseError) as caught:
        client.get_account_list()
    assert caught.value.may_still_run is False
    assert caught.value.transaction_id == client.last_transaction_id
    assert stray.__name__ in str(caught.value)
    assert_no_secrets(caught.value)


def test_unexpected_failure_while_sending_is_an_unknown_outcome(
    make_client, monkeypatch, sales_voucher
):
    client = make_client()

    def send(*args, **kwargs):
        raise RuntimeError(f"socket layer broke with {PARTNER_KEY}")

    monkeypatch.setattr(client._session, "send", send)
    with pytest.raises(errors.OutcomeUnknownError) as caught:
        client.import_voucher(sales_voucher)
    assert caught.value.may_be_stored and caught.value.may_still_run
    assert_no_secrets(caught.value)


def test_unexpected_failure_while_reading_is_an_unknown_outcome(
    make_client, http, monkeypatch, sales_voucher
):
    client = make_client()
    http.post(ACCOUNTING, body=INSERTED)

    def iter_content(self, *args, **kwargs):
        raise OSError(f"read broke with {CUSTOMER_KEY}")

    monkeypatch.setattr(requests.Response, "iter_content", iter_content)
    with pytest.raises(errors.OutcomeUnknownError) as caught:
        client.import_voucher(sales_voucher)
    assert len(http.calls) == 1
    assert caught.value.may_still_run is True
    assert_no_secrets(caught.value)


def test_unexpected_failure_while_preparing_is_not_sent(make_client, monkeypatch, sales_voucher):
    client = make_client()

    def build_headers(*args, **kwargs):
        raise KeyError(CUSTOMER_KEY)

    monkeypatch.setattr(client, "build_headers", build_headers)
    with pytest.raises(errors.NotSentError) as caught:
        client.import_voucher(sales_voucher)
    assert caught.value.retryable is False
    assert_no_secrets(caught.value)


# ---------------------------------------------------------------- tolerant FAILED envelopes

DIGEST = "F634" + "A1B2C3D4" * 7 + "C00C"
MAC_INPUT = (
    f"&Kuukausikirjaus Oy integraatio&{CUSTOMER_ID}&2025-02-03 08:15:30.123&FI&1234567-8"
    f"&7f3c2a9e4b1d4c5e8a6b0d2f1e3c4a5b&1738570530&{CUSTOMER_KEY}&{PARTNER_KEY}"
)


def raw_amp_auth_failed(url=ACCOUNTLIST, mac_input=MAC_INPUT, digest=DIGEST):
    """Netvisor's AUTHENTICATION_FAILED echo with raw ``&``: not well-formed XML."""
    detail = (
        "AUTHENTICATION_FAILED :: URI-metodi ei kelpaa, katso dokumentaatio. Käytä "
        f"MAC-tiivisteen laskentaan merkkijonoa: {url}{mac_input} :: {digest}"
    )
    return (
        f"{DECLARATION}<Root>\r\n    <ResponseStatus>\r\n        <Status>FAILED</Status>\r\n"
        f"        <Status>{detail}</Status>\r\n"
        "        <TimeStamp>3.2.2025 10:15:31</TimeStamp>\r\n    </ResponseStatus>\r\n</Root>\r\n"
    ).encode()


def test_raw_amp_envelope_is_really_not_well_formed():
    with pytest.raises(errors.BadResponseError):
        responses.parse_xml(raw_amp_auth_failed())


def test_raw_amp_authentication_failed_stops_the_company_with_everything_redacted(
    make_client, http, caplog
):
    client = make_client()
    http.get(ACCOUNTLIST, body=raw_amp_auth_failed(), status=401)
    with caplog.at_level(logging.DEBUG, logger="ecomjet_netvisor.netvisor"):
        with pytest.raises(errors.AuthenticationFailed) as caught:
            client.get_account_list()
    error = caught.value
    assert len(http.calls) == 1  # not retried, not an unknown outcome
    assert flags(error) == (False, False, True)
    assert error.transaction_id == client.last_transaction_id
    assert error.netvisor_text.startswith("URI-metodi ei kelpaa, katso dokumentaatio.")
    assert f"{ACCOUNTLIST}&***" in error.netvisor_text
    assert_no_secrets(error, caplog.text, DIGEST, DIGEST.lower(), MAC_INPUT[1:30], "&FI&1234567-8&")


def test_raw_amp_authentication_failed_from_a_real_socket(make_client):
    answer = raw_amp_auth_failed(url="http://127.0.0.1/accountlist.nv")
    with RawServer(lambda request: http_response(answer, "401 Unauthorized")) as server:
        client = make_client(server.base_url)
        with pytest.raises(errors.AuthenticationFailed) as caught:
            client.get_account_list()
    assert len(server.requests) == 1
    assert caught.value.stops_company is True
    assert_no_secrets(caught.value, "", DIGEST)


def test_raw_amp_echo_of_a_query_url_is_redacted_after_the_url():
    url = f"{LEDGER}?startdate=2025-01-01&enddate=2025-01-31"
    with pytest.raises(errors.AuthenticationFailed) as caught:
        responses.read_envelope(raw_amp_auth_failed(url=url, digest=DIGEST.lower()))
    text = caught.value.netvisor_text
    assert "Kuukausikirjaus" not in text and CUSTOMER_KEY not in text
    assert DIGEST.lower() not in text
    assert text.endswith(":: ***")


def test_echoed_ids_and_lower_case_keys_are_redacted(make_client, http):
    detail = (
        f"AUTHENTICATION_FAILED :: Integraatiokumppania {PARTNER_ID} ei löydy käyttäjälle "
        f"{CUSTOMER_ID.lower()}, avain {CUSTOMER_KEY.lower()}"
    )
    client = make_client()
    http.get(ACCOUNTLIST, body=failed_envelope(detail), status=401)
    with pytest.raises(errors.AuthenticationFailed) as caught:
        client.get_account_list()
    assert caught.value.netvisor_text.startswith("Integraatiokumppania *** ei löydy")
    assert_no_secrets(caught.value)


def test_unknown_category_text_is_redacted_too(make_client, http):
    client = make_client(max_retries=0)
    http.get(ACCOUNTLIST, body=failed_envelope(f"ODD_{CUSTOMER_ID} :: key {PARTNER_KEY}"))
    with pytest.raises(errors.NetvisorResponseError) as caught:
        client.get_account_list()
    assert_no_secrets(caught.value)


@pytest.mark.parametrize(
    "body, cls",
    [
        (raw_amp_auth_failed().replace(b"AUTHENTICATION_FAILED", b"INVALID_DATA"), "InvalidData"),
        (
            raw_amp_auth_failed().replace(b"AUTHENTICATION_FAILED", b"TECHNICAL_ERROR"),
            "TechnicalError",
        ),
        (raw_amp_auth_failed().replace(b"<Status>FAILED", b"<Status>OK"), "BadResponseError"),
        (b"<Root><ResponseStatus><Status>FAILED & broken", "BadResponseError"),
        (b"<html><body>FAILED & <Status>FAILED</Status></body>", "BadResponseError"),
        (raw_amp_auth_failed().decode().lower().encode(), "AuthenticationFailed"),
    ],
    ids=["invalid-data", "technical", "ok-not-trusted", "no-status", "not-an-envelope", "casing"],
)
def test_not_well_formed_bodies_read_only_for_their_failed_status(body, cls):
    with pytest.raises(errors.NetvisorError) as caught:
        responses.read_envelope(body)
    assert type(caught.value).__name__ == cls


def test_fallback_unescapes_only_xml_references():
    body = (
        b"<Root><ResponseStatus><Status>FAILED</Status><Status>INVALID_DATA :: a &amp; b &lt;c&gt;"
        b" &#228; &notes & raw</Status></ResponseStatus></Root>"
    )
    with pytest.raises(errors.InvalidData) as caught:
        responses.read_envelope(body)
    assert caught.value.netvisor_text == "a & b <c> ä &notes & raw"


def test_fallback_reads_at_most_its_cap():
    padding = b" " * responses.MAX_FALLBACK_BYTES
    body = b"<Root>" + padding + raw_amp_auth_failed().split(b"<Root>", 1)[1]
    with pytest.raises(errors.BadResponseError):
        responses.read_envelope(body)


def test_fallback_stays_fast_on_hostile_bodies():
    started = time.monotonic()
    for body in (b"<Root><ResponseStatus>" + b"<Status" * 20000, b"<" * 65536 + b"&"):
        with pytest.raises(errors.BadResponseError):
            responses.read_envelope(body)
    assert time.monotonic() - started < 2
