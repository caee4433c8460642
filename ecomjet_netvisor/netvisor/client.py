"""HTTP client for Netvisor's XML web service: authentication (API.md §2), retries, limits.

The MAC covers the URL byte for byte, so the URL string is built here once, hashed, and
sent unchanged. ``accounting.nv`` has no idempotency (API.md §9): a POST whose outcome is
unknown is never sent again; the caller looks the voucher up in the ledger first.
"""

import datetime
import hashlib
import hmac
import ipaddress
import logging
import re
import ssl
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from . import responses, vouchers
from .errors import (
    BadResponseError,
    NetvisorError,
    NotSentError,
    OutcomeUnknownError,
)

_logger = logging.getLogger(__name__)

ALGORITHMS = ("HMACSHA256", "SHA256")
LANGUAGES = ("FI", "EN", "SE")
MAX_LEDGER_KEYS = 500
MAX_INVALIDATE_KEYS = 100
VOUCHER_STATUSES = {"all": "1", "valid": "2", "invalidated": "3", "1": "1", "2": "2", "3": "3"}
_TRANSACTION_ID = re.compile(r"[A-Za-z0-9-]{1,50}")
_HEADER_SAFE = re.compile(r"[\x20-\x7e]+")
_QUERY_SAFE = re.compile(r"[A-Za-z0-9,.-]*")
_DIGEST = re.compile(r"\b[0-9A-Fa-f]{64}\b")
_CHUNK = 64 * 1024


def compute_mac(
    algorithm,
    url,
    sender,
    customer_id,
    timestamp,
    language,
    organisation_id,
    transaction_id,
    timestamp_unix,
    customer_key,
    partner_key,
):
    """Hex digest for ``X-Netvisor-Authentication-MAC`` (API.md §2.3, Latin-1 encoded)."""
    fields = [url, sender, customer_id, timestamp, language, organisation_id, transaction_id]
    if algorithm == "HMACSHA256":
        message = "&".join([*fields, timestamp_unix, customer_key, partner_key])
        key = f"{customer_key}&{partner_key}".encode("iso-8859-1")
        return hmac.new(key, message.encode("iso-8859-1"), hashlib.sha256).hexdigest()
    if algorithm == "SHA256":
        message = "&".join([*fields, customer_key, partner_key])
        return hashlib.sha256(message.encode("iso-8859-1")).hexdigest()
    raise ValueError(f"unsupported MAC algorithm {algorithm!r}")


def is_loopback_host(host):
    """True for localhost, 127.0.0.0/8 and ::1: the only hosts plain http may reach."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Credentials:
    """Where and as whom to call Netvisor. The two keys never appear in ``repr``."""

    base_url: str
    sender: str
    customer_id: str
    customer_key: str = field(repr=False)
    partner_id: str
    partner_key: str = field(repr=False)
    organisation_id: str
    language: str = "FI"
    algorithm: str = "HMACSHA256"

    def __post_init__(self):
        object.__setattr__(self, "base_url", (self.base_url or "").rstrip("/"))
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("Netvisor base URL must be an http(s) URL with a host")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise ValueError("Netvisor base URL must not contain credentials, query or fragment")
        if parts.scheme == "http" and not is_loopback_host(parts.hostname):
            raise ValueError("Netvisor base URL must use https (plain http only for loopback)")
        for name in ("sender", "customer_id", "partner_id", "organisation_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _HEADER_SAFE.fullmatch(value):
                raise ValueError(f"Netvisor {name} must be non-empty printable ASCII")
        for name in ("customer_key", "partner_key"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value or not _is_latin1(value):
                raise ValueError(f"Netvisor {name} must be non-empty Latin-1 text")
        if self.language not in LANGUAGES:
            raise ValueError(f"Netvisor language must be one of {', '.join(LANGUAGES)}")
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"Netvisor MAC algorithm must be one of {', '.join(ALGORITHMS)}")


def _is_latin1(value):
    try:
        value.encode("iso-8859-1")
    except UnicodeEncodeError:
        return False
    return True


def _timestamps(now):
    """UTC ``YYYY-MM-DD HH:MM:SS.fff`` and the matching Unix seconds."""
    moment = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
    text = moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
    return text, str(int(moment.timestamp()))


def _digits(values, what):
    keys = [str(value) for value in values]
    bad = [key for key in keys if not key.isascii() or not key.isdigit()]
    if bad:
        raise ValueError(f"{what} must be numeric Netvisor keys, got {bad[:5]!r}")
    return keys


def _chain(exc):
    """The exception and everything it wraps (args, causes, urllib3 reasons)."""
    seen, todo = [], [exc]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or any(item is s for s in seen):
            continue
        seen.append(item)
        todo += [*item.args, item.__cause__, item.__context__, getattr(item, "reason", None)]
    return seen


def _classify(exc):
    """Map a requests exception to NotSentError or OutcomeUnknownError.

    Only failures that certainly happen before a byte of the request left (no
    connection, a refused certificate) are "not sent"; everything else may have
    reached Netvisor, because a re-POST of accounting.nv would create a duplicate.
    urllib3 reports proxy and TLS errors at any stage under the same classes, so
    those are judged by what they wrap.
    """
    summary = f"{type(exc).__name__}"
    chain = _chain(exc)
    if isinstance(exc, requests.exceptions.ConnectTimeout) or any(
        isinstance(item, (NewConnectionError, ConnectTimeoutError)) for item in chain
    ):
        return NotSentError(f"{summary}: could not connect")
    if any(isinstance(item, ssl.SSLCertVerificationError) for item in chain):
        return NotSentError(f"{summary}: TLS certificate refused", retryable=False)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return OutcomeUnknownError(f"{summary}: no answer within the timeout")
    return OutcomeUnknownError(f"{summary}: connection lost, the request may have been sent")


class NetvisorClient:
    """One company's Netvisor connection: a keep-alive session, signing and retries.

    Requests are made one at a time (Netvisor allows no overlapping requests per company).
    ``sleep`` and ``clock`` are injectable so tests neither wait nor depend on the time.
    """

    def __init__(
        self,
        credentials,
        timeout=360.0,
        max_retries=3,
        backoff=1.0,
        *,
        sleep=time.sleep,
        clock=time.time,
        max_response_bytes=responses.MAX_RESPONSE_BYTES,
        session=None,
    ):
        if not isinstance(credentials, Credentials):
            raise TypeError("credentials must be a Credentials instance")
        self.credentials = credentials
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self.backoff = backoff
        self.max_response_bytes = max_response_bytes
        self.last_transaction_id = None
        self._sleep = sleep
        self._clock = clock
        self._session = session or requests.Session()
        # Environment settings (proxies, CA bundle) resolved once: requests would re-read
        # the whole environment on every send. TLS verification can never be turned off.
        env = self._session.merge_environment_settings(credentials.base_url, {}, None, None, None)
        self._proxies = env["proxies"]
        self._verify = env["verify"] if isinstance(env["verify"], str) else True

    def __repr__(self):
        return (
            f"NetvisorClient(base_url={self.credentials.base_url!r}, "
            f"organisation_id={self.credentials.organisation_id!r})"
        )

    def close(self):
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # ------------------------------------------------------------------ requests

    def build_url(self, resource, params=()):
        """The exact URL string that is hashed and requested (lower-case resource)."""
        url = f"{self.credentials.base_url}/{resource.lower()}"
        if params:
            for name, value in params:
                if not _QUERY_SAFE.fullmatch(name) or not _QUERY_SAFE.fullmatch(value):
                    raise ValueError(f"query parameter {name!r} needs URL encoding")
            url += "?" + "&".join(f"{name}={value}" for name, value in params)
        return url

    def build_headers(self, url, transaction_id, now=None):
        """All headers of API.md §2.2 for one attempt, MAC included."""
        creds = self.credentials
        timestamp, timestamp_unix = _timestamps(self._clock() if now is None else now)
        mac = compute_mac(
            creds.algorithm,
            url,
            creds.sender,
            creds.customer_id,
            timestamp,
            creds.language,
            creds.organisation_id,
            transaction_id,
            timestamp_unix,
            creds.customer_key,
            creds.partner_key,
        )
        headers = {
            "X-Netvisor-Authentication-Sender": creds.sender,
            "X-Netvisor-Authentication-CustomerId": creds.customer_id,
            "X-Netvisor-Authentication-PartnerId": creds.partner_id,
            "X-Netvisor-Authentication-Timestamp": timestamp,
            "X-Netvisor-Authentication-TransactionId": transaction_id,
            "X-Netvisor-Interface-Language": creds.language,
            "X-Netvisor-Organisation-ID": creds.organisation_id,
            "X-Netvisor-Authentication-MACHashCalculationAlgorithm": creds.algorithm,
            "X-Netvisor-Authentication-UseHTTPResponseStatusCodes": "1",
            "X-Netvisor-Authentication-MAC": mac,
        }
        if creds.algorithm == "HMACSHA256":
            headers["X-Netvisor-Authentication-TimestampUnix"] = timestamp_unix
        return headers

    def _request(self, method, resource, params=(), body=None, transaction_id=None):
        """Send with bounded retries of the safe cases; return the OK envelope's root.

        Retried: maintenance / technical-error answers and requests that certainly did
        not leave (NotSentError); timeouts and resets only for GET. Every attempt gets a
        new transaction id and timestamp; ``transaction_id`` is used for the first one.
        """
        url = self.build_url(resource, params)
        for attempt in range(self.max_retries + 1):
            tid = transaction_id if attempt == 0 and transaction_id else uuid.uuid4().hex
            try:
                return self._attempt(method, url, body, tid)
            except NetvisorError as err:
                if attempt >= self.max_retries or not self._may_retry(method, err):
                    raise
                delay = self.backoff * 2**attempt
                _logger.info(
                    "Netvisor %s %s: %s, retry %d of %d in %.1f s",
                    method,
                    resource,
                    err.category,
                    attempt + 1,
                    self.max_retries,
                    delay,
                )
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _may_retry(method, err):
        if isinstance(err, OutcomeUnknownError):
            return method == "GET"
        if isinstance(err, BadResponseError):
            return False
        return err.retryable

    def _attempt(self, method, url, body, transaction_id):
        self.last_transaction_id = transaction_id
        headers = self.build_headers(url, transaction_id)
        if body is not None:
            headers["Content-Type"] = "text/xml; charset=utf-8"
        prepared = self._session.prepare_request(
            requests.Request(method, url, headers=headers, data=body)
        )
        prepared.url = url  # hashed string == requested string, never re-encoded
        _logger.debug("Netvisor %s %s transaction %s", method, url, transaction_id)
        started = time.monotonic()
        try:
            response = self._session.send(
                prepared,
                timeout=self.timeout,
                stream=True,
                verify=self._verify,
                proxies=self._proxies,
                allow_redirects=False,
            )
        except requests.exceptions.RequestException as exc:
            raise self._transport_error(exc, transaction_id) from None
        try:
            payload = self._read_body(response, transaction_id)
        finally:
            response.close()
        _logger.debug(
            "Netvisor answered HTTP %s, %d bytes in %.3f s (transaction %s)",
            response.status_code,
            len(payload),
            time.monotonic() - started,
            transaction_id,
        )
        try:
            return responses.read_envelope(payload, transaction_id, self.max_response_bytes)
        except NetvisorError as err:
            err.transaction_id = transaction_id
            self._redact(err)
            raise

    def _read_body(self, response, transaction_id):
        """Read at most ``max_response_bytes``; a larger body is refused unparsed."""
        limit = self.max_response_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise BadResponseError(
                f"response of {declared} bytes exceeds {limit}", transaction_id=transaction_id
            )
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise BadResponseError(
                        f"response exceeds {limit} bytes", transaction_id=transaction_id
                    )
                chunks.append(chunk)
        except requests.exceptions.RequestException as exc:
            error = OutcomeUnknownError(
                f"{type(exc).__name__}: answer cut off while reading",
                transaction_id=transaction_id,
            )
            raise error from None
        return b"".join(chunks)

    def _transport_error(self, exc, transaction_id):
        error = _classify(exc)
        error.transaction_id = transaction_id
        _logger.debug("Netvisor transport error %s (transaction %s)", error, transaction_id)
        return error

    def _redact(self, err):
        """Keep keys and digests out of error texts even if Netvisor echoes them."""
        cleaned = err.netvisor_text
        for secret in (self.credentials.customer_key, self.credentials.partner_key):
            cleaned = cleaned.replace(secret, "***")
        cleaned = _DIGEST.sub("***", cleaned)
        if cleaned != err.netvisor_text:
            err.netvisor_text = cleaned
            err.args = (err._message(),)

    # ------------------------------------------------------------------ resources

    def build_voucher_xml(self, voucher):
        return vouchers.build_voucher_xml(voucher)

    def import_voucher(self, voucher, transaction_id=None, xml=None):
        """POST accounting.nv; return the new voucher's Netvisor key.

        ``xml``: the bytes ``build_voucher_xml(voucher)`` already returned, sent as they
        are, so a caller that stores the request builds it once.
        Never re-sent after an unknown outcome (OutcomeUnknownError / BadResponseError):
        Netvisor has no idempotency, so the caller must look the voucher up first.
        """
        if transaction_id is not None and not _TRANSACTION_ID.fullmatch(str(transaction_id)):
            raise ValueError("transaction id must be 1-50 characters of A-Z, a-z, 0-9 and '-'")
        if xml is not None and not isinstance(xml, bytes):
            raise TypeError("xml must be the bytes build_voucher_xml returned")
        body = vouchers.build_voucher_xml(voucher) if xml is None else xml
        root = self._request("POST", "accounting.nv", body=body, transaction_id=transaction_id)
        return responses.parse_inserted_key(root)

    def get_account_list(self):
        return responses.parse_account_list(self._request("GET", "accountlist.nv"))

    def get_accounting_periods(self):
        return responses.parse_periods(self._request("GET", "accountingperiodlist.nv"))

    def get_voucher_types(self):
        return responses.parse_voucher_types(self._request("GET", "vouchertypelist.nv"))

    def get_ledger(
        self,
        start_date=None,
        end_date=None,
        netvisor_key=None,
        netvisor_keys=None,
        voucher_status=None,
    ):
        """GET accountingledger.nv by date range, one key or up to 500 keys."""
        params = []
        if (start_date is None) != (end_date is None):
            raise ValueError("start_date and end_date must be given together")
        selectors = sum(x is not None for x in (start_date, netvisor_key, netvisor_keys))
        if selectors != 1:
            raise ValueError("give exactly one of: a date range, netvisor_key, netvisor_keys")
        if start_date is not None:
            if start_date > end_date:
                raise ValueError("start_date is after end_date")
            params += [("startdate", start_date.isoformat()), ("enddate", end_date.isoformat())]
        elif netvisor_key is not None:
            params.append(("netvisorkey", _digits([netvisor_key], "netvisor_key")[0]))
        else:
            keys = _digits(netvisor_keys, "netvisor_keys")
            if not keys or len(keys) > MAX_LEDGER_KEYS:
                raise ValueError(f"netvisor_keys must hold 1 to {MAX_LEDGER_KEYS} keys")
            params.append(("netvisorkeylist", ",".join(keys)))
        if voucher_status is not None:
            if start_date is None:
                # API.md §6.4: only showgenerator may be combined with netvisorkey(list)
                raise ValueError("voucher_status cannot be combined with a key lookup")
            status = VOUCHER_STATUSES.get(str(voucher_status).lower())
            if status is None:
                raise ValueError("voucher_status must be 1/all, 2/valid or 3/invalidated")
            params.append(("voucherstatus", status))
        return responses.parse_ledger(self._request("GET", "accountingledger.nv", params))

    def find_vouchers_by_reference(self, reference, start_date, end_date, voucher_status=None):
        """Vouchers dated in the range whose description starts with ``reference``."""
        if not reference:
            raise ValueError("reference must not be empty")
        found = self.get_ledger(start_date, end_date, voucher_status=voucher_status)
        return [v for v in found if v.description.startswith(reference)]

    def invalidate_vouchers(self, keys, comment=None):
        """POST invalidatevouchers.nv for 1..100 keys; like accounting.nv, never re-sent
        after an unknown outcome."""
        keys = _digits(keys, "keys")
        if not keys or len(keys) > MAX_INVALIDATE_KEYS:
            raise ValueError(f"invalidate_vouchers takes 1 to {MAX_INVALIDATE_KEYS} keys")
        if comment is not None and len(comment) > vouchers.MAX_TEXT:
            raise ValueError(f"comment is longer than {vouchers.MAX_TEXT} characters")
        body = vouchers.build_invalidate_xml(keys, comment)
        self._request("POST", "invalidatevouchers.nv", body=body)
