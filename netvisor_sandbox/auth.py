"""Header and MAC verification (API.md §2, checklist §8.2).

Order: required headers, partner, customer linked to the organisation, algorithm,
TimestampUnix window (HMACSHA256), MAC, TransactionId replay.
"""

import hashlib
import hmac
import time

from .errors import NetvisorFault
from .store import Company, Store

H_SENDER = "X-Netvisor-Authentication-Sender"
H_CUSTOMER = "X-Netvisor-Authentication-CustomerId"
H_PARTNER = "X-Netvisor-Authentication-PartnerId"
H_TIMESTAMP = "X-Netvisor-Authentication-Timestamp"
H_TIMESTAMP_UNIX = "X-Netvisor-Authentication-TimestampUnix"
H_TRANSACTION = "X-Netvisor-Authentication-TransactionId"
H_LANGUAGE = "X-Netvisor-Interface-Language"
H_ORGANISATION = "X-Netvisor-Organisation-ID"
H_MAC = "X-Netvisor-Authentication-MAC"
H_ALGORITHM = "X-Netvisor-Authentication-MACHashCalculationAlgorithm"
H_HTTP_STATUS = "X-Netvisor-Authentication-UseHTTPResponseStatusCodes"

REQUIRED_HEADERS = (
    H_SENDER,
    H_CUSTOMER,
    H_PARTNER,
    H_TIMESTAMP,
    H_TRANSACTION,
    H_ORGANISATION,
    H_MAC,
)
ALGORITHMS = ("HMACSHA256", "SHA256", "MD5")
LEGACY_ALGORITHMS = ("SHA256", "MD5")
KEY_PLACEHOLDER = "YOUR_PRIVATE_KEY_HERE"


def mac_fields(
    algorithm,
    url,
    sender,
    customer_id,
    timestamp,
    language,
    organisation_id,
    transaction_id,
    timestamp_unix,
) -> list[str]:
    """The public part of the MAC message, in order; the keys follow it."""
    fields = [url, sender, customer_id, timestamp, language, organisation_id, transaction_id]
    if algorithm == "HMACSHA256":
        fields.append(timestamp_unix)
    return fields


def compute_mac(algorithm: str, fields: list[str], customer_key: str, partner_key: str) -> str:
    """Lower-case hex digest over the Latin-1 bytes of `fields & keys` (API.md §2.3)."""
    message = "&".join([*fields, customer_key, partner_key]).encode("iso-8859-1")
    if algorithm == "HMACSHA256":
        key = f"{customer_key}&{partner_key}".encode("iso-8859-1")
        return hmac.new(key, message, hashlib.sha256).hexdigest()
    if algorithm == "SHA256":
        return hashlib.sha256(message).hexdigest()
    return hashlib.md5(message, usedforsecurity=False).hexdigest()


def language_of(headers) -> str:
    """Interface language: FI (default), EN or SE."""
    value = (headers.get(H_LANGUAGE) or "FI").strip().upper()
    return value if value in ("FI", "EN", "SE") else "FI"


def authenticate(headers, url: str, store: Store, settings, now: float | None = None) -> Company:
    """Return the company the request may act on, or raise AUTHENTICATION_FAILED /
    REQUEST_NOT_UNIQUE."""
    for name in REQUIRED_HEADERS:
        if not headers.get(name):
            raise NetvisorFault("AUTHENTICATION_FAILED", "header_missing", header=name)
    partner_id = headers[H_PARTNER]
    partner_key = store.partner_key(partner_id)
    if partner_key is None:
        raise NetvisorFault("AUTHENTICATION_FAILED", "partner_unknown")
    customer_id = headers[H_CUSTOMER]
    organisation_id = headers[H_ORGANISATION]
    company = store.company(organisation_id)
    customer_key = company and store.customer_key(customer_id, company.id)
    if not customer_key:
        raise NetvisorFault("AUTHENTICATION_FAILED", "customer_unknown", org=organisation_id)

    algorithm = (headers.get(H_ALGORITHM) or "MD5").strip().upper()
    if algorithm not in ALGORITHMS:
        raise NetvisorFault("AUTHENTICATION_FAILED", "algorithm_unknown", alg=algorithm[:20])
    if algorithm in LEGACY_ALGORITHMS and not settings.legacy_algorithms:
        raise NetvisorFault("AUTHENTICATION_FAILED", "algorithm_retired", alg=algorithm)
    timestamp_unix = headers.get(H_TIMESTAMP_UNIX) or ""
    if algorithm == "HMACSHA256":
        if not timestamp_unix.isascii() or not timestamp_unix.isdigit():
            raise NetvisorFault("AUTHENTICATION_FAILED", "timestamp_unix_invalid")
        now = time.time() if now is None else now
        if abs(now - int(timestamp_unix)) > settings.timestamp_skew_seconds:
            raise NetvisorFault("AUTHENTICATION_FAILED", "timestamp_skew")

    # The MAC covers the Language header as sent; absent means Netvisor's default FI.
    fields = mac_fields(
        algorithm,
        url,
        headers[H_SENDER],
        customer_id,
        headers[H_TIMESTAMP],
        headers.get(H_LANGUAGE) or "FI",
        organisation_id,
        headers[H_TRANSACTION],
        timestamp_unix,
    )
    try:
        expected = compute_mac(algorithm, fields, customer_key, partner_key)
    except UnicodeEncodeError:
        expected = None
    given = headers[H_MAC].strip().lower().encode("iso-8859-1", "replace")
    if expected is None or not hmac.compare_digest(expected.encode("ascii"), given):
        # Echo the string to hash (keys hidden) as the ISV environment does, never the digest.
        hint = "&".join([*fields, KEY_PLACEHOLDER])
        raise NetvisorFault("AUTHENTICATION_FAILED", "mac_invalid", expected=hint)

    if not store.remember_transaction(partner_id, customer_id, headers[H_TRANSACTION]):
        raise NetvisorFault("REQUEST_NOT_UNIQUE", "not_unique")
    return company


def echoed_mac_input(headers, url: str, store: Store) -> str:
    """The MAC input string with the caller's real keys, then ` :: ` and its upper-case
    digest: what an AUTHENTICATION_FAILED answer may echo (API.md §2.7, §11.1), at its
    worst, so a client's redaction is put to the test. Nothing is verified."""
    algorithm = (headers.get(H_ALGORITHM) or "MD5").strip().upper()
    algorithm = algorithm if algorithm in ALGORITHMS else "MD5"
    customer_id = headers.get(H_CUSTOMER) or ""
    organisation_id = headers.get(H_ORGANISATION) or ""
    company = store.company(organisation_id)
    customer_key = (company and store.customer_key(customer_id, company.id)) or KEY_PLACEHOLDER
    partner_key = store.partner_key(headers.get(H_PARTNER) or "") or KEY_PLACEHOLDER
    fields = mac_fields(
        algorithm,
        url,
        headers.get(H_SENDER) or "",
        customer_id,
        headers.get(H_TIMESTAMP) or "",
        headers.get(H_LANGUAGE) or "FI",
        organisation_id,
        headers.get(H_TRANSACTION) or "",
        headers.get(H_TIMESTAMP_UNIX) or "",
    )
    try:
        digest = compute_mac(algorithm, fields, customer_key, partner_key)
    except UnicodeEncodeError:
        digest = "0" * 64
    return "&".join([*fields, customer_key, partner_key]) + " :: " + digest.upper()
