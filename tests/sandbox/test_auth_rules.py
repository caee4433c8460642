"""Authentication rules of API.md §2 and checklist §8.2, each with the documented
category, and the HTTP status with and without UseHTTPResponseStatusCodes (§3.4)."""

import time

import pytest
import requests

from netvisor_sandbox import seed
from netvisor_sandbox.testing import sign_headers

A, B, C = seed.COMPANY_A, seed.COMPANY_B, seed.COMPANY_C
REQUIRED = (
    "X-Netvisor-Authentication-Sender",
    "X-Netvisor-Authentication-CustomerId",
    "X-Netvisor-Authentication-PartnerId",
    "X-Netvisor-Authentication-Timestamp",
    "X-Netvisor-Authentication-TransactionId",
    "X-Netvisor-Organisation-ID",
    "X-Netvisor-Authentication-MAC",
)


def _send(sandbox, resource, headers, query=""):
    url = f"{sandbox.url}/{resource}" + (f"?{query}" if query else "")
    return requests.get(url, headers=headers, timeout=10)


@pytest.mark.parametrize("header", REQUIRED)
def test_missing_required_header_is_authentication_failed(sandbox, header):
    headers = sign_headers(f"{sandbox.url}/accountlist.nv")
    del headers[header]
    response = _send(sandbox, "accountlist.nv", headers)
    assert response.status_code == 200
    assert "AUTHENTICATION_FAILED :: " in response.text


def test_valid_hmacsha256_request_is_ok(nv):
    reply = nv.get("vouchertypelist.nv")
    assert (reply.status, reply.http_status) == ("OK", 200)


def test_unknown_partner_is_authentication_failed(nv):
    reply = nv.get("vouchertypelist.nv", partner_id="NO_SUCH_PARTNER")
    assert reply.category == "AUTHENTICATION_FAILED"
    assert reply.http_status == 200


def test_wrong_partner_key_is_authentication_failed_401_with_status_codes(nv):
    reply = nv.get("vouchertypelist.nv", partner_key="0" * 32, use_http_status_codes=True)
    assert (reply.category, reply.http_status) == ("AUTHENTICATION_FAILED", 401)


def test_wrong_customer_key_is_authentication_failed(nv):
    wrong_key = seed.SeedCompany(A.name, A.organisation_id, A.customer_id, "f" * 32, A.package)
    assert nv.get("vouchertypelist.nv", company=wrong_key).category == "AUTHENTICATION_FAILED"


def test_unknown_customer_is_authentication_failed(nv):
    stranger = seed.SeedCompany("X", A.organisation_id, "NO_SUCH_USER", A.customer_key, "premium")
    assert nv.get("vouchertypelist.nv", company=stranger).category == "AUTHENTICATION_FAILED"


def test_customer_not_linked_to_organisation_is_authentication_failed(nv):
    """Company A's API user asking for company B's organisation."""
    other = seed.SeedCompany("X", B.organisation_id, A.customer_id, A.customer_key, "premium")
    reply = nv.get("vouchertypelist.nv", company=other, use_http_status_codes=True)
    assert (reply.category, reply.http_status) == ("AUTHENTICATION_FAILED", 401)


def test_unknown_organisation_is_authentication_failed(nv):
    other = seed.SeedCompany("X", "9999999-9", A.customer_id, A.customer_key, "premium")
    assert nv.get("vouchertypelist.nv", company=other).category == "AUTHENTICATION_FAILED"


def test_unknown_algorithm_is_authentication_failed(nv):
    reply = nv.get(
        "vouchertypelist.nv",
        headers={"X-Netvisor-Authentication-MACHashCalculationAlgorithm": "SHA1"},
    )
    assert reply.category == "AUTHENTICATION_FAILED"


@pytest.mark.parametrize("algorithm", ["SHA256", "MD5", None])
def test_legacy_algorithms_accepted_by_default_absent_header_means_md5(nv, algorithm):
    assert nv.get("vouchertypelist.nv", algorithm=algorithm).status == "OK"


@pytest.mark.parametrize("algorithm", ["SHA256", "MD5", None])
def test_legacy_algorithms_rejected_when_switched_off(sandbox, nv, algorithm):
    sandbox.admin("PATCH", "settings", {"legacy_algorithms": False})
    reply = nv.get("vouchertypelist.nv", algorithm=algorithm)
    assert reply.category == "AUTHENTICATION_FAILED"
    assert nv.get("vouchertypelist.nv").status == "OK"  # HMACSHA256 still fine


def test_hmacsha256_without_timestamp_unix_is_authentication_failed(sandbox):
    url = f"{sandbox.url}/vouchertypelist.nv"
    headers = sign_headers(url)
    del headers["X-Netvisor-Authentication-TimestampUnix"]
    assert "AUTHENTICATION_FAILED :: " in _send(sandbox, "vouchertypelist.nv", headers).text


@pytest.mark.parametrize("offset", [-310, 310, -3600])
def test_timestamp_unix_outside_skew_window_is_authentication_failed(nv, offset):
    stamp = str(int(time.time()) + offset)
    reply = nv.get("vouchertypelist.nv", timestamp_unix=stamp, use_http_status_codes=True)
    assert (reply.category, reply.http_status) == ("AUTHENTICATION_FAILED", 401)


@pytest.mark.parametrize("offset", [-290, 290])
def test_timestamp_unix_inside_skew_window_is_ok(nv, offset):
    stamp = str(int(time.time()) + offset)
    assert nv.get("vouchertypelist.nv", timestamp_unix=stamp).status == "OK"


def test_timestamp_skew_window_is_configurable(sandbox, nv):
    sandbox.admin("PATCH", "settings", {"timestamp_skew_seconds": 30})
    stamp = str(int(time.time()) - 60)
    assert nv.get("vouchertypelist.nv", timestamp_unix=stamp).category == "AUTHENTICATION_FAILED"


def test_mac_compared_case_insensitively(sandbox):
    url = f"{sandbox.url}/vouchertypelist.nv"
    headers = sign_headers(url)
    headers["X-Netvisor-Authentication-MAC"] = headers["X-Netvisor-Authentication-MAC"].upper()
    assert "<Status>OK</Status>" in _send(sandbox, "vouchertypelist.nv", headers).text


def test_mac_over_different_url_is_authentication_failed(sandbox):
    headers = sign_headers(f"{sandbox.url}/accountlist.nv")
    assert "AUTHENTICATION_FAILED :: " in _send(sandbox, "vouchertypelist.nv", headers).text


def test_mac_covers_raw_query_string_as_received(sandbox):
    """netvisorkeylist sent as %2C must be signed as %2C; signing the literal commas fails."""
    encoded = "netvisorkeylist=1%2C2"
    good = sign_headers(f"{sandbox.url}/accountingledger.nv?{encoded}")
    assert "<Status>OK</Status>" in _send(sandbox, "accountingledger.nv", good, encoded).text
    bad = sign_headers(f"{sandbox.url}/accountingledger.nv?netvisorkeylist=1,2")
    assert "AUTHENTICATION_FAILED" in _send(sandbox, "accountingledger.nv", bad, encoded).text


def test_mac_covers_path_casing_as_received(sandbox):
    headers = sign_headers(f"{sandbox.url}/VoucherTypeList.nv")
    assert "<Status>OK</Status>" in _send(sandbox, "VoucherTypeList.nv", headers).text
    wrong = sign_headers(f"{sandbox.url}/vouchertypelist.nv")
    assert "AUTHENTICATION_FAILED" in _send(sandbox, "VoucherTypeList.nv", wrong).text


def test_mac_is_over_latin1_bytes_of_headers(sandbox):
    """requests sends str header values as Latin-1, the MAC is over Latin-1: they agree."""
    url = f"{sandbox.url}/vouchertypelist.nv"
    headers = sign_headers(url, sender="Myyntijärjestelmä")
    assert "<Status>OK</Status>" in _send(sandbox, "vouchertypelist.nv", headers).text


def test_replayed_transaction_id_is_request_not_unique(nv):
    assert nv.get("vouchertypelist.nv", transaction_id="replay-1").status == "OK"
    reply = nv.get("vouchertypelist.nv", transaction_id="replay-1", use_http_status_codes=True)
    assert (reply.category, reply.http_status) == ("REQUEST_NOT_UNIQUE", 409)
    reply = nv.get("vouchertypelist.nv", transaction_id="replay-1")
    assert (reply.category, reply.http_status) == ("REQUEST_NOT_UNIQUE", 200)


def test_transaction_ids_are_unique_per_partner_and_customer(nv):
    assert nv.get("vouchertypelist.nv", transaction_id="shared-2").status == "OK"
    assert nv.get("vouchertypelist.nv", transaction_id="shared-2", company=B).status == "OK"


def test_failed_authentication_does_not_consume_transaction_id(nv):
    assert nv.get("vouchertypelist.nv", transaction_id="t-3", partner_key="0" * 32).category == (
        "AUTHENTICATION_FAILED"
    )
    assert nv.get("vouchertypelist.nv", transaction_id="t-3").status == "OK"


def test_basic_package_is_service_access_error(nv):
    reply = nv.get("vouchertypelist.nv", company=C)
    assert (reply.category, reply.http_status) == ("SERVICE_ACCESS_ERROR", 200)
    reply = nv.get("vouchertypelist.nv", company=C, use_http_status_codes=True)
    assert (reply.category, reply.http_status) == ("SERVICE_ACCESS_ERROR", 403)


def test_premium_package_has_api_access(nv):
    assert nv.get("vouchertypelist.nv", company=B).status == "OK"


def test_error_text_follows_interface_language(nv):
    fi = nv.get("vouchertypelist.nv", company=C, language="FI")
    en = nv.get("vouchertypelist.nv", company=C, language="EN")
    assert fi.error.startswith("SERVICE_ACCESS_ERROR :: Ei käyttöoikeutta")
    assert en.error.startswith("SERVICE_ACCESS_ERROR :: No access rights")


def test_missing_language_header_means_fi_in_texts_and_mac(sandbox):
    url = f"{sandbox.url}/vouchertypelist.nv"
    headers = sign_headers(url, language="FI")
    del headers["X-Netvisor-Interface-Language"]
    assert "<Status>OK</Status>" in _send(sandbox, "vouchertypelist.nv", headers).text
    headers = sign_headers(url, language="FI", partner_id="NOBODY")
    del headers["X-Netvisor-Interface-Language"]
    assert "Integraatiokumppania ei löydy" in _send(sandbox, "vouchertypelist.nv", headers).text


def test_swedish_interface_gets_english_texts(nv):
    reply = nv.get("vouchertypelist.nv", company=C, language="SE")
    assert reply.error.startswith("SERVICE_ACCESS_ERROR :: No access rights")


def test_header_names_are_case_insensitive(sandbox):
    """Heltti spells X-Netvisor-Organisation-Id; HTTP header names ignore case."""
    url = f"{sandbox.url}/vouchertypelist.nv"
    headers = sign_headers(url)
    headers = {name.lower(): value for name, value in headers.items()}
    headers["X-Netvisor-Organisation-Id"] = headers.pop("x-netvisor-organisation-id")
    assert "<Status>OK</Status>" in _send(sandbox, "vouchertypelist.nv", headers).text
