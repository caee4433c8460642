"""API.md §2.4: the worked MAC example must be what the sandbox's verifier computes, and a
request carrying exactly those headers must authenticate over HTTP."""

import pytest
import requests

from netvisor_sandbox.auth import compute_mac, mac_fields
from netvisor_sandbox.testing import sign_headers

URL = "https://isvapi.netvisor.fi/accountingledger.nv?startdate=2025-01-01&enddate=2025-01-31"
EXAMPLE = {
    "sender": "Kuukausikirjaus Oy integraatio",
    "customer_id": "TESTCUST_12345",
    "customer_key": "C0FFEE00C0FFEE00C0FFEE00C0FFEE00",
    "partner_id": "TESTPARTNER_1",
    "partner_key": "BADC0DE0BADC0DE0BADC0DE0BADC0DE0",
    "timestamp": "2025-02-03 08:15:30.123",
    "timestamp_unix": "1738570530",
    "language": "FI",
    "organisation_id": "1234567-8",
    "transaction_id": "7f3c2a9e4b1d4c5e8a6b0d2f1e3c4a5b",
}
EXPECTED = {
    "HMACSHA256": "4d19334a05f51962e9d04e5e105e003a56d4abed585a681a1375a0a33fea2149",
    "SHA256": "44d5e437fef00a9cd1f8a075301efcf807d547ae108f465113d3b3fc790b5e66",
    "MD5": "e663f44f431f87254bc88e142fa3c637",
}


def _verifier_mac(algorithm, url=URL, sender=EXAMPLE["sender"]):
    fields = mac_fields(
        algorithm,
        url,
        sender,
        EXAMPLE["customer_id"],
        EXAMPLE["timestamp"],
        EXAMPLE["language"],
        EXAMPLE["organisation_id"],
        EXAMPLE["transaction_id"],
        EXAMPLE["timestamp_unix"],
    )
    return compute_mac(algorithm, fields, EXAMPLE["customer_key"], EXAMPLE["partner_key"])


def test_verifier_reproduces_worked_example_for_all_three_algorithms():
    for algorithm, digest in EXPECTED.items():
        assert _verifier_mac(algorithm) == digest, algorithm


def test_verifier_hashes_latin1_not_utf8():
    """§2.4 encoding check: only the Latin-1 digest of a non-ASCII Sender is right."""
    digest = _verifier_mac("HMACSHA256", sender="Myyntijärjestelmä")
    assert digest == "c53f2200ef153e7f7b79656b902e63436a4ad35b4770e263ce528f49581c597a"


def test_independent_test_signer_matches_worked_example():
    for algorithm, digest in EXPECTED.items():
        headers = sign_headers(URL, algorithm=algorithm, **EXAMPLE)
        assert headers["X-Netvisor-Authentication-MAC"] == digest
        assert ("X-Netvisor-Authentication-TimestampUnix" in headers) == (algorithm == "HMACSHA256")


@pytest.fixture
def example_company(sandbox):
    """The §2.4 credentials, registered once per session; the example's old TimestampUnix
    needs a wide skew window."""
    sandbox.admin(
        "POST",
        "partners",
        {"partner_id": EXAMPLE["partner_id"], "partner_key": EXAMPLE["partner_key"]},
    )
    created = sandbox.admin(
        "POST",
        "companies",
        {
            "name": "Esimerkki Oy",
            "organisation_id": EXAMPLE["organisation_id"],
            "customer_id": EXAMPLE["customer_id"],
            "customer_key": EXAMPLE["customer_key"],
        },
    )
    assert created.status_code in (201, 409), created.text
    sandbox.admin("PATCH", "settings", {"timestamp_skew_seconds": 10**10})
    sandbox.admin("DELETE", "transactions")


def _example_headers(algorithm):
    headers = {
        "Host": "isvapi.netvisor.fi",
        "X-Forwarded-Proto": "https",
        "X-Netvisor-Authentication-Sender": EXAMPLE["sender"],
        "X-Netvisor-Authentication-CustomerId": EXAMPLE["customer_id"],
        "X-Netvisor-Authentication-PartnerId": EXAMPLE["partner_id"],
        "X-Netvisor-Authentication-Timestamp": EXAMPLE["timestamp"],
        "X-Netvisor-Authentication-TransactionId": EXAMPLE["transaction_id"],
        "X-Netvisor-Interface-Language": "FI",
        "X-Netvisor-Organisation-ID": EXAMPLE["organisation_id"],
        "X-Netvisor-Authentication-MACHashCalculationAlgorithm": algorithm,
        "X-Netvisor-Authentication-UseHTTPResponseStatusCodes": "1",
        "X-Netvisor-Authentication-MAC": EXPECTED[algorithm],
    }
    if algorithm == "HMACSHA256":
        headers["X-Netvisor-Authentication-TimestampUnix"] = EXAMPLE["timestamp_unix"]
    return headers


TARGET = URL.split("isvapi.netvisor.fi", 1)[1]


@pytest.mark.parametrize("algorithm", list(EXPECTED))
def test_worked_example_request_authenticates_over_http(sandbox, example_company, algorithm):
    """The literal §2.4 request with its literal MAC: https://isvapi.netvisor.fi comes from
    the Host and X-Forwarded-Proto headers, the target is sent as is."""
    headers = _example_headers(algorithm)
    response = requests.get(sandbox.url + TARGET, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert "<Status>OK</Status>" in response.text

    again = requests.get(sandbox.url + TARGET, headers=headers, timeout=10)
    assert again.status_code == 409
    assert "REQUEST_NOT_UNIQUE :: " in again.text


def test_worked_example_mac_fails_for_a_different_scheme(sandbox, example_company):
    """Without the forwarded scheme the URL is http://..., so the same MAC is wrong."""
    headers = _example_headers("HMACSHA256")
    del headers["X-Forwarded-Proto"]
    plain = requests.get(sandbox.url + TARGET, headers=headers, timeout=10)
    assert plain.status_code == 401
    assert "AUTHENTICATION_FAILED :: " in plain.text


def test_wrong_mac_echoes_the_string_to_hash_without_keys_or_digest(sandbox, nv):
    reply = nv.get("accountlist.nv", headers={"X-Netvisor-Authentication-MAC": "00" * 32})
    assert reply.category == "AUTHENTICATION_FAILED"
    assert f"{sandbox.url}/accountlist.nv&netvisor-sandbox tests&" in reply.error
    assert reply.error.endswith("&YOUR_PRIVATE_KEY_HERE")
    from netvisor_sandbox import seed

    for secret in (seed.COMPANY_A.customer_key, seed.PARTNER_KEY):
        assert secret not in reply.response.text
