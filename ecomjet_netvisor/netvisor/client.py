"""HTTP client for Netvisor's XML web service: authentication (API.md §2), retries, limits.

The MAC covers the URL byte for byte, so the URL string is built here once, hashed, and
sent unchanged. ``accounting.nv`` has no idempotency (API.md §9): a POST that Netvisor may
have stored (``may_be_stored``, see ``errors``) is never sent again; the caller looks the
voucher up in the ledger first.

Every exception a request can raise is a ``NetvisorError``: failures before a byte left
become ``NotSentError``, failures after it ``OutcomeUnknownError`` or ``BadResponseError``,
and every text built from an answer is redacted (keys, IDs, digests, the echoed MAC input).
"""

import datetime
import hashlib
import hmac
import ipaddress
import logging
import math
import re
import ssl
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from . import responses, vouchers
from .errors import (
    BadResponseError,
    NetvisorError,
    NetvisorResponseError,
    NotSentError,
    OutcomeUnknownError,
)

try:  # urllib3 1.x matches host names itself and raises its own CertificateError
    from urllib3.packages.ssl_match_hostname import CertificateError as _HostnameMismatch
except ImportError:  # pragma: no cover - urllib3 2 leaves it to the ssl module
    _HostnameMismatch = ssl.CertificateError

_logger = logging.getLogger(__name__)

ALGORITHMS = ("HMACSHA256", "SHA256")
LANGUAGES = ("FI", "EN", "SE")
MAX_LEDGER_KEYS = 500
#: A month's ledger grows with the books (some 1.6 KB per voucher): its answer may be this
#: many times the usual limit (10 MB -> 200 MB, about 120,000 vouchers).
LARGE_ANSWER_FACTOR = 20
MAX_INVALIDATE_KEYS = 100
VOUCHER_STATUSES = {"all": "1", "valid": "2", "invalidated": "3", "1": "1", "2": "2", "3": "3"}
MAX_ACCOUNT_KEYS = 500
# accountbalance.nv intervaltype (API.md §11.4); None: the two dates as separate dates
BALANCE_INTERVALS = {None: "0", "day": "1", "week": "2", "month": "3", "year": "4"}
_TRANSACTION_ID = re.compile(r"[A-Za-z0-9-]{1,50}")
_HEADER_SAFE = re.compile(r"[\x20-\x7e]+")
_QUERY_SAFE = re.compile(r"[A-Za-z0-9,.-]*")
_CHUNK = 64 * 1024
CONNECT_TIMEOUT = 10.0
# Non-envelope answers of a gateway: Netvisor itself may still be working on the request.
_GATEWAY_STATUSES = (502, 503, 504)
# Requests refuses these before opening a connection: the settings cannot be sent.
_UNSENDABLE = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidHeader,
    requests.exceptions.URLRequired,
)


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
        check_base_url(self.base_url)
        for name in (*HEADER_FIELDS, *KEY_FIELDS):
            check_setting(name, getattr(self, name))
        if self.language not in LANGUAGES:
            raise ValueError(f"Netvisor language must be one of {', '.join(LANGUAGES)}")
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"Netvisor MAC algorithm must be one of {', '.join(ALGORITHMS)}")


#: Settings sent in request headers as they are (printable ASCII) ...
HEADER_FIELDS = ("sender", "customer_id", "partner_id", "organisation_id")
#: ... and the keys, which only enter the Latin-1 MAC.
KEY_FIELDS = ("customer_key", "partner_key")


def carries_reference(description, reference):
    """True when a voucher's description is ``reference`` or starts with it followed by a
    space (``ODOO-X-1`` is not ``ODOO-X-12``)."""
    description = description or ""
    return description == reference or description.startswith(reference + " ")


def check_base_url(base_url, ascii_only=False):
    """Raise ValueError (never echoing the value) unless ``base_url`` can be requested.

    ``ascii_only``: refuse any other character too, as saved settings do (a client made
    with one refuses each request instead: the MAC covers the URL as written)."""
    if not isinstance(base_url, str) or (ascii_only and not base_url.isascii()):
        raise ValueError("Netvisor base URL must be plain ASCII (no spaces or accents)")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("Netvisor base URL must be an http(s) URL with a host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("Netvisor base URL must not contain credentials, query or fragment")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError("Netvisor base URL must use https (plain http only for loopback)")
    if not _valid_port(parts) or not _requestable(base_url):
        raise ValueError("Netvisor base URL is not a valid URL (check the host and port)")


def check_setting(name, value):
    """Raise ValueError (never echoing the value) unless the header value or key ``name``
    can be sent: ``HEADER_FIELDS`` printable ASCII, ``KEY_FIELDS`` Latin-1; non-empty."""
    if name in KEY_FIELDS:
        if not isinstance(value, str) or not value or not _is_latin1(value):
            raise ValueError(f"Netvisor {name} must be non-empty Latin-1 text")
    elif not isinstance(value, str) or not _HEADER_SAFE.fullmatch(value):
        raise ValueError(f"Netvisor {name} must be non-empty printable ASCII")


def _valid_port(parts):
    try:
        return parts.port != 0
    except ValueError:  # not a number or out of 0..65535
        return False


def _requestable(base_url):
    """True when requests can build a request to ``base_url`` (host, port, IDNA)."""
    try:
        requests.models.PreparedRequest().prepare_url(f"{base_url}/accountlist.nv", None)
    except (requests.exceptions.RequestException, ValueError, UnicodeError):
        return False
    return True


def _seconds(value, name):
    """A positive, finite number of seconds as float (int, float or Decimal)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise TypeError(f"{name} must be a number of seconds")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{name} must be a positive number of seconds")
    return seconds


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


def _day(value, name):
    """``YYYY-MM-DD`` of a date (a datetime is refused: its day would depend on a zone)."""
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise TypeError(f"{name} must be a datetime.date")
    return value.isoformat()


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
    """Map a requests exception raised while sending to NotSentError or OutcomeUnknownError.

    Only failures that certainly happen before a byte of the request left (no
    connection, a refused certificate, a URL requests will not send) are "not sent";
    everything else may have reached Netvisor, because a re-POST of accounting.nv would
    create a duplicate. urllib3 reports proxy and TLS errors at any stage under the same
    classes, so those are judged by what they wrap.
    """
    summary = f"{type(exc).__name__}"
    chain = _chain(exc)
    if isinstance(exc, _UNSENDABLE):
        return NotSentError(f"{summary}: the Netvisor URL cannot be requested", retryable=False)
    if isinstance(exc, requests.exceptions.ConnectTimeout) or any(
        isinstance(item, (NewConnectionError, ConnectTimeoutError)) for item in chain
    ):
        return NotSentError(f"{summary}: could not connect")
    if any(isinstance(item, (ssl.SSLCertVerificationError, _HostnameMismatch)) for item in chain):
        return NotSentError(f"{summary}: TLS certificate refused", retryable=False)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return OutcomeUnknownError(f"{summary}: no answer within the timeout")
    return OutcomeUnknownError(f"{summary}: connection lost, the request may have been sent")


def _unreadable(exc):
    """A parser stray: the answer came complete but could not be read."""
    text = f"{type(exc).__name__}: the answer could not be read"
    return BadResponseError(text, may_still_run=False)


def _unsendable(exc):
    """Short English text for a request that could not be built (never the values)."""
    if isinstance(exc, UnicodeError):
        return (
            f"{type(exc).__name__}: the Netvisor URL or a header contains a character that "
            "cannot be sent"
        )
    if isinstance(exc, _UNSENDABLE):
        return f"{type(exc).__name__}: the Netvisor URL is not valid (check the host and port)"
    return f"{type(exc).__name__}: the request could not be built from the settings"


class NetvisorClient:
    """One company's Netvisor connection: a keep-alive session, signing and retries.

    Requests are made one at a time (Netvisor allows no overlapping requests per company).
    ``timeout`` is the read timeout in seconds (API.md §7: 360 s), ``connect_timeout`` the
    time to open a connection (never longer than ``timeout``), so a dead host fails fast.
    ``sleep`` and ``clock`` are injectable so tests neither wait nor depend on the time.
    """

    def __init__(
        self,
        credentials,
        timeout=360.0,
        max_retries=3,
        backoff=1.0,
        *,
        connect_timeout=CONNECT_TIMEOUT,
        sleep=time.sleep,
        clock=time.time,
        max_response_bytes=responses.MAX_RESPONSE_BYTES,
        session=None,
    ):
        if not isinstance(credentials, Credentials):
            raise TypeError("credentials must be a Credentials instance")
        self.credentials = credentials
        self.timeout = _seconds(timeout, "timeout")
        self.connect_timeout = min(_seconds(connect_timeout, "connect_timeout"), self.timeout)
        self.max_retries = max(0, int(max_retries))
        self.backoff = backoff
        self.max_response_bytes = max_response_bytes
        self.last_transaction_id = None
        self._sleep = sleep
        self._clock = clock
        self._session = session or requests.Session()
        #: Seconds spent in requests (retries and waits included): the caller's own time
        #: is the rest.
        self.request_seconds = 0.0
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

    def _request(
        self,
        method,
        resource,
        params=(),
        body=None,
        transaction_id=None,
        parse=None,
        large=False,
        huge_tree=False,
    ):
        """Send with bounded retries of the safe cases; return ``parse(root)`` of the OK answer.

        The classification of ``errors`` decides: a POST is retried only when the failure
        is ``retryable`` and Netvisor cannot have stored anything (``may_be_stored`` False),
        a GET whenever it is ``retryable``. Every attempt gets a new transaction id and
        timestamp; ``transaction_id`` is used for the first one. ``large``: an answer that
        grows with the books (a month's ledger) may be ``LARGE_ANSWER_FACTOR`` times the
        usual size limit. ``huge_tree``: the answer carries documents (text nodes over
        10 MB). ``body``: bytes, or a ``VoucherBody`` streamed afresh on every attempt.
        """
        started = time.monotonic()
        limit = self.max_response_bytes * (LARGE_ANSWER_FACTOR if large else 1)
        try:
            return self._request_with_retries(
                method, resource, params, body, transaction_id, parse, (limit, huge_tree)
            )
        finally:
            self.request_seconds += time.monotonic() - started

    def _request_with_retries(self, method, resource, params, body, transaction_id, parse, answer):
        url = self.build_url(resource, params)
        for attempt in range(self.max_retries + 1):
            tid = transaction_id if attempt == 0 and transaction_id else uuid.uuid4().hex
            try:
                return self._attempt(method, url, body, tid, parse, answer)
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
        """POSTs only when nothing may be stored; never while the earlier request may still
        run in Netvisor (one request at a time per company, API.md §7), GETs included."""
        if not err.retryable or err.may_still_run:
            return False
        return method == "GET" or not err.may_be_stored

    def _attempt(self, method, url, body, transaction_id, parse, answer=(None, False)):
        """One signed request; every failure comes out as a redacted NetvisorError.

        Each phase returns ``(value, error)`` and the error is raised here, outside any
        ``except`` block, so no wrapped exception (whose arguments may hold the MAC input
        string with the keys) travels along as its context. ``answer``: the answer's size
        limit and whether it may hold huge text nodes.
        """
        limit, huge_tree = answer
        self.last_transaction_id = transaction_id
        prepared, error = self._prepare(method, url, body, transaction_id)
        if error is None:
            _logger.debug("Netvisor %s %s transaction %s", method, url, transaction_id)
            started = time.monotonic()
            response, error = self._send(prepared)
        if error is None:
            payload, error = self._receive(response, limit)
        if error is None:
            _logger.debug(
                "Netvisor answered HTTP %s, %d bytes in %.3f s (transaction %s)",
                response.status_code,
                len(payload),
                time.monotonic() - started,
                transaction_id,
            )
            result, error = self._parse(
                payload, response.status_code, transaction_id, parse, limit, huge_tree
            )
        if error is not None:
            raise self._scrubbed(error, transaction_id)
        return result

    def _prepare(self, method, url, body, transaction_id):
        """The signed request, or NotSentError: nothing has left yet.

        A ``VoucherBody`` goes as a fresh iterator of its chunks with its exact
        Content-Length. Requests marks any iterator ``Transfer-Encoding: chunked`` (it
        cannot know the length), even beside an explicit Content-Length; that header is
        dropped again, so the body is sent plain and http.client adds no chunk framing.
        """
        if not url.isascii():
            # the MAC covers this exact string, but requests would send it percent-encoded
            text = "the Netvisor URL contains a character that cannot be sent (not ASCII)"
            return None, NotSentError(text, retryable=False)
        streamed = isinstance(body, vouchers.VoucherBody)
        try:
            headers = self.build_headers(url, transaction_id)
            if body is not None:
                headers["Content-Type"] = "text/xml; charset=utf-8"
            data = body.chunks() if streamed else body
            prepared = self._session.prepare_request(
                requests.Request(method, url, headers=headers, data=data)
            )
        except Exception as exc:  # UnicodeEncodeError in the MAC, InvalidURL, InvalidHeader
            return None, NotSentError(_unsendable(exc), retryable=False)
        prepared.url = url  # hashed string == requested string, never re-encoded
        if streamed:
            prepared.headers.pop("Transfer-Encoding", None)
            prepared.headers["Content-Length"] = str(body.length)
        return prepared, None

    def _send(self, prepared):
        try:
            response = self._session.send(
                prepared,
                timeout=(self.connect_timeout, self.timeout),
                stream=True,
                verify=self._verify,
                proxies=self._proxies,
                allow_redirects=False,
            )
        except requests.exceptions.RequestException as exc:
            return None, _classify(exc)
        except NetvisorError as err:  # a streamed document failed before the body's end
            return None, err
        except UnicodeError as exc:  # http.client encodes the request line and headers first
            return None, NotSentError(_unsendable(exc), retryable=False)
        except Exception as exc:
            text = f"{type(exc).__name__}: unexpected failure, the request may have been sent"
            return None, OutcomeUnknownError(text)
        return response, None

    def _receive(self, response, limit=None):
        try:
            return self._read_body(response, limit), None
        except NetvisorError as err:
            return None, err
        except Exception as exc:  # ChunkedEncodingError, ConnectionError, ReadTimeout, ...
            return None, OutcomeUnknownError(f"{type(exc).__name__}: answer cut off while reading")
        finally:
            response.close()

    def _parse(self, payload, status_code, transaction_id, parse, limit=None, huge_tree=False):
        try:
            root = responses.read_envelope(
                payload, transaction_id, limit or self.max_response_bytes, huge_tree
            )
        except BadResponseError as err:
            # not a Netvisor envelope: a gateway's own page (502/503/504) means Netvisor may
            # still be working on the request; any other answer came complete
            err.may_still_run = status_code in _GATEWAY_STATUSES
            return None, err
        except NetvisorError as err:
            return None, err
        except Exception as exc:  # pragma: no cover - read_envelope raises NetvisorErrors
            return None, _unreadable(exc)
        try:
            return (parse(root) if parse is not None else root), None
        except NetvisorError as err:  # a complete Netvisor envelope whose payload is broken
            err.may_still_run = False
            return None, err
        except Exception as exc:  # a parser stray (ValueError, OverflowError, IndexError, ...)
            return None, _unreadable(exc)

    def _read_body(self, response, limit=None):
        """Read at most ``limit`` (default ``max_response_bytes``) bytes; a larger body is
        refused unparsed."""
        limit = limit or self.max_response_bytes
        declared = response.headers.get("Content-Length", "").strip()
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            raise BadResponseError(
                f"response of {declared[:20]} bytes exceeds {limit}", may_still_run=False
            )
        chunks, size = [], 0
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise BadResponseError(f"response exceeds {limit} bytes", may_still_run=False)
            chunks.append(chunk)
        return b"".join(chunks)

    def _scrubbed(self, err, transaction_id):
        """``err`` with the attempt's transaction id, redacted texts and no wrapped cause."""
        err.transaction_id = transaction_id
        err.__cause__ = err.__context__ = None
        err.__suppress_context__ = True
        self._redact(err)
        if not isinstance(err, NetvisorResponseError):
            _logger.debug("Netvisor transport error %s (transaction %s)", err, transaction_id)
        return err

    def _redact(self, err):
        """Keep keys, IDs, digests and the echoed MAC input string out of error texts."""
        cleaned = self._redact_text(err.netvisor_text)
        if type(err) is NetvisorResponseError:  # an unknown category is Netvisor's text too
            err.category = self._redact_text(err.category)
        if cleaned != err.netvisor_text or err.args != (err._message(),):
            err._set_text(cleaned)

    def _redact_text(self, text):
        """``text`` without this client's keys and IDs, digests or an echoed MAC string."""
        creds = self.credentials
        secrets = (creds.customer_key, creds.partner_key, creds.customer_id, creds.partner_id)
        for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
            text = re.sub(re.escape(secret), "***", text, flags=re.IGNORECASE)
        return responses.redact_echo(text)

    # ------------------------------------------------------------------ resources

    def build_voucher_xml(self, voucher):
        return vouchers.build_voucher_xml(voucher)

    def import_voucher(self, voucher, transaction_id=None, *, max_attachment_bytes=None):
        """POST accounting.nv; return the new voucher's Netvisor key.

        ``voucher``: a ``Voucher``, the bytes ``build_voucher_xml`` already returned, or the
        ``VoucherBody`` ``build_voucher_body`` returned, sent as they are (a caller that
        stores the request builds it once, and stores exactly what was sent: for a
        ``VoucherBody`` its ``stored`` form). A ``VoucherBody`` streams its documents from
        their files with an explicit Content-Length, afresh for a retry; a ``Voucher``
        with attachments is streamed the same way (``max_attachment_bytes`` caps them).
        Never re-sent after an unknown outcome (OutcomeUnknownError / BadResponseError):
        Netvisor has no idempotency, so the caller must look the voucher up first.
        """
        if transaction_id is not None and not _TRANSACTION_ID.fullmatch(str(transaction_id)):
            raise ValueError("transaction id must be 1-50 characters of A-Z, a-z, 0-9 and '-'")
        if isinstance(voucher, (bytes, vouchers.VoucherBody)):
            body = voucher
        elif isinstance(voucher, vouchers.Voucher) and voucher.attachments:
            body = vouchers.build_voucher_body(voucher, max_attachment_bytes)
        elif isinstance(voucher, vouchers.Voucher):
            body = vouchers.build_voucher_xml(voucher)
        else:
            raise TypeError(
                "voucher must be a Voucher, the bytes build_voucher_xml returned or the "
                "VoucherBody build_voucher_body returned"
            )
        return self._request(
            "POST",
            "accounting.nv",
            body=body,
            transaction_id=transaction_id,
            parse=responses.parse_inserted_key,
        )

    def get_voucher_attachments(self, netvisor_key):
        """GET getvoucherattachments.nv: list[AttachmentInfo] of one voucher (API.md §11.3).

        Each document's base64 is decoded only to compute its SHA-256 (compare with
        ``VoucherBody.digests``), then dropped. The answer may be large (Netvisor keeps up
        to 200 MB per voucher): it is allowed ``LARGE_ANSWER_FACTOR`` times the usual size
        limit and is held in memory while it is parsed.
        """
        params = [("netvisorkey", _digits([netvisor_key], "netvisor_key")[0])]
        return self._request(
            "GET",
            "getvoucherattachments.nv",
            params,
            parse=responses.parse_voucher_attachments,
            large=True,
            huge_tree=True,
        )

    def get_account_list(self):
        return self._request("GET", "accountlist.nv", parse=responses.parse_account_list)

    def get_accounting_periods(self):
        return self._request("GET", "accountingperiodlist.nv", parse=responses.parse_periods)

    def get_voucher_types(self):
        return self._request("GET", "vouchertypelist.nv", parse=responses.parse_voucher_types)

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
        return self._request(
            "GET", "accountingledger.nv", params, parse=responses.parse_ledger, large=True
        )

    def find_vouchers_by_reference(self, reference, start_date, end_date, voucher_status="all"):
        """Vouchers dated in the range whose description is ``reference`` or starts with it
        followed by a space (``ODOO-X-1`` does not find ``ODOO-X-12``).

        By default valid *and* invalidated vouchers are returned (``voucherstatus=1``):
        ``LedgerVoucher.is_invalidated`` tells them apart, so a caller checking whether a
        voucher is already in Netvisor sees an invalidated one instead of missing it.
        """
        if not isinstance(reference, str) or not reference.strip():
            raise ValueError("reference must be non-empty text")
        reference = reference.strip()
        found = self.get_ledger(start_date, end_date, voucher_status=voucher_status)
        return [v for v in found if carries_reference(v.description, reference)]

    def get_account_balances(self, start_date, end_date, interval="month", account_keys=None):
        """GET accountbalance.nv: list[AccountBalance] for ``start_date``..``end_date``.

        ``interval`` ``day`` / ``week`` / ``month`` / ``year`` splits the range (each entry
        has the interval's debit and credit movements and the cumulative balance at its last
        day); None asks for the two dates as separate dates (cumulative figures at each).
        ``account_keys``: up to 500 account NetvisorKeys (accountlist.nv), default all
        accounts Netvisor reports.
        """
        if interval not in BALANCE_INTERVALS:
            raise ValueError("interval must be day, week, month, year or None")
        start, end = _day(start_date, "start_date"), _day(end_date, "end_date")
        if start_date > end_date:
            raise ValueError("start_date is after end_date")
        params = [("balancedates", f"{start},{end}"), ("intervaltype", BALANCE_INTERVALS[interval])]
        if account_keys is not None:
            keys = _digits(account_keys, "account_keys")
            if not keys or len(keys) > MAX_ACCOUNT_KEYS:
                raise ValueError(f"account_keys must hold 1 to {MAX_ACCOUNT_KEYS} keys")
            params.append(("netvisorkeylist", ",".join(keys)))
        return self._request(
            "GET", "accountbalance.nv", params, parse=responses.parse_account_balances
        )

    def get_deleted_vouchers(self, since):
        """GET deletedvouchers.nv: list[DeletedVoucher] deleted on or after ``since``.

        Netvisor lists only the deletions of the last 7 days (API.md §11.4): an older
        deletion shows only as a voucher missing from the ledger.
        """
        params = [("deletedsince", _day(since, "since"))]
        return self._request(
            "GET", "deletedvouchers.nv", params, parse=responses.parse_deleted_vouchers
        )

    def get_dimensions(self, show_hidden=True):
        """GET dimensionlist.nv: list[Dimension], each header with its items.

        ``show_hidden`` (the default) asks for hidden headers and items too
        (``showhidden=1``): a hidden item still exists, so a voucher naming it does not
        create a new one, and a check against the list must see it.
        """
        params = [("showhidden", "1")] if show_hidden else []
        return self._request(
            "GET", "dimensionlist.nv", params, parse=responses.parse_dimension_list
        )

    def add_dimension_item(self, header, item, father_item=None, hidden=False):
        """POST dimensionitem.nv?method=add: a new item under the existing ``header``,
        below ``father_item`` when given. Returns the new item's key when Netvisor
        answers one (``Replies/InsertedDataIdentifier``), else None.

        ``header`` at most 50 characters, ``item`` and ``father_item`` at most 200, none
        blank or with control characters (ValueError before anything is sent). An unknown
        header is ``InvalidData``, an item the header has already ``DuplicateData``. Like
        accounting.nv, never re-sent after an unknown outcome: read the list first.
        """
        body = vouchers.build_dimension_item_xml(header, item, father_item, hidden)
        return self._request(
            "POST",
            "dimensionitem.nv",
            [("method", "add")],
            body=body,
            parse=responses.parse_optional_key,
        )

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
