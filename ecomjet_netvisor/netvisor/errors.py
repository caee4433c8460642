"""Exceptions of the Netvisor connector, and the one place where they are classified.

Every exception a ``NetvisorClient`` request can raise is a ``NetvisorError``; one class
per Netvisor error category (API.md §3.3) plus transport errors. Each carries three
flags that decide what the caller may do next (API.md §9, DESIGN.md §6):

``may_be_stored``
    Netvisor may have stored, or may still store, what the request carried. A POST that
    failed this way must never be sent again blind: look the data up first.
``retryable``
    The same request may succeed later (a transient failure).
``stops_company``
    The credentials or the company's access were refused: nothing for this company can
    succeed until a person fixes the settings.

======================================  =============  =========  =============
class                                   may_be_stored  retryable  stops_company
======================================  =============  =========  =============
AuthenticationFailed                    False          False      True
ServiceAccessError                      False          False      True
InvalidData, InvalidDataSize            False          False      False
PeriodLock                              False          False      False
SystemMaintenance                       False          True       False
TechnicalError (1)                      True           True       False
DuplicateData, RequestNotUnique         True           False      False
NetvisorResponseError (other category)  True           False      False
NotSentError (2)                        False          True       False
OutcomeUnknownError                     True           True       False
BadResponseError                        True           True       False
VoucherValidationError (3)              False          False      False
======================================  =============  =========  =============

(1) HTTP 500 ``TECHNICAL_ERROR`` to a POST may come after Netvisor stored the voucher.
(2) ``retryable`` is False for a refused TLS certificate and for a request that could not
    be built from the settings (an invalid URL, a character that cannot be sent).
(3) and its subclasses ``AttachmentTooLarge`` (the attachments exceed the caller's cap)
    and ``AttachmentUnreadable`` (a document could not be read, or changed after the body
    was built; raised while sending too, before the body's end, so Netvisor never got a
    complete request).

``may_still_run`` (False unless said otherwise) is True when the request may still be
running on Netvisor's side: timeouts, resets, 502/503/504 gateway answers and answers cut
off while reading. It is False when Netvisor answered completely but unreadably. A caller
waits Netvisor's own timeout before its next request for the company when it is True.

The client retries a POST only when ``retryable and not may_be_stored`` and a GET when
``retryable``. Messages never contain keys, MACs or the echoed MAC input string.
"""


class NetvisorError(Exception):
    """Base class: ``category``, Netvisor's own text and a short English explanation."""

    category = "NETVISOR_ERROR"
    explanation = "The Netvisor request failed."
    may_be_stored = True
    retryable = False
    stops_company = False
    may_still_run = False

    def __init__(
        self,
        netvisor_text="",
        explanation=None,
        *,
        category=None,
        retryable=None,
        may_be_stored=None,
        stops_company=None,
        may_still_run=None,
        transaction_id=None,
    ):
        self.netvisor_text = netvisor_text or ""
        if explanation is not None:
            self.explanation = explanation
        if category is not None:
            self.category = category
        for name, value in (
            ("retryable", retryable),
            ("may_be_stored", may_be_stored),
            ("stops_company", stops_company),
            ("may_still_run", may_still_run),
        ):
            if value is not None:
                setattr(self, name, bool(value))
        #: transaction id of the attempt that produced this error (None if none was made)
        self.transaction_id = transaction_id
        super().__init__(self._message())

    def _message(self):
        if self.netvisor_text:
            return f"{self.category}: {self.netvisor_text} ({self.explanation})"
        return f"{self.category}: {self.explanation}"

    def _set_text(self, netvisor_text):
        """Replace Netvisor's text (e.g. redacted) and the message built from it."""
        self.netvisor_text = netvisor_text
        self.args = (self._message(),)


class NetvisorResponseError(NetvisorError):
    """Netvisor answered with a FAILED envelope; unknown categories use this class."""

    explanation = "Netvisor refused the request."


class AuthenticationFailed(NetvisorResponseError):
    category = "AUTHENTICATION_FAILED"
    explanation = (
        "Netvisor did not accept the credentials: check the API user ID and key, the partner "
        "ID and key, the organisation ID, and that the server clock is correct."
    )
    may_be_stored = False
    stops_company = True


class InvalidData(NetvisorResponseError):
    category = "INVALID_DATA"
    explanation = (
        "Netvisor found the data invalid, for example an account that is not in the chart of "
        "accounts, a VAT code that does not fit the VAT percent, or a malformed request."
    )
    may_be_stored = False


class InvalidDataSize(NetvisorResponseError):
    category = "INVALID_DATA_SIZE"
    explanation = "A value or list was too long for Netvisor (e.g. a text over 255 characters)."
    may_be_stored = False


class DuplicateData(NetvisorResponseError):
    category = "DUPLICATE_DATA"
    explanation = "The data already exists in Netvisor."


class RequestNotUnique(NetvisorResponseError):
    category = "REQUEST_NOT_UNIQUE"
    explanation = (
        "Netvisor has already received a request with this transaction id; the data may "
        "already be in Netvisor."
    )


class PeriodLock(NetvisorResponseError):
    category = "PERIOD_LOCK"
    explanation = (
        "The accounting period is locked in Netvisor for this date; open the period in "
        "Netvisor or choose another date."
    )
    may_be_stored = False


class ServiceAccessError(NetvisorResponseError):
    category = "SERVICE_ACCESS_ERROR"
    explanation = (
        "The company cannot use this Netvisor interface: the API is only included in the "
        "Professional and Premium service packages, and the resource must be allowed in the "
        "company's rights of interface resources."
    )
    may_be_stored = False
    stops_company = True


class SystemMaintenance(NetvisorResponseError):
    category = "SYSTEM_MAINTENANCE"
    explanation = "Netvisor is under maintenance and accepts no requests; try again later."
    may_be_stored = False
    retryable = True


class TechnicalError(NetvisorResponseError):
    category = "TECHNICAL_ERROR"
    explanation = (
        "Netvisor had an internal error; it may have stored the data anyway. Try again later."
    )
    retryable = True


class TransportError(NetvisorError):
    """No usable Netvisor answer was received."""

    category = "TRANSPORT_ERROR"
    explanation = "The connection to Netvisor failed."


class NotSentError(TransportError):
    category = "NOT_SENT"
    explanation = (
        "Netvisor could not be reached (connection refused, name or TLS failure, or a setting "
        "that cannot be sent); the request was not sent."
    )
    may_be_stored = False
    retryable = True


class OutcomeUnknownError(TransportError):
    category = "OUTCOME_UNKNOWN"
    explanation = (
        "The connection failed after the request was sent (timeout or reset); Netvisor may "
        "have processed it. Look the data up in Netvisor before sending it again."
    )
    retryable = True
    may_still_run = True


class BadResponseError(TransportError):
    category = "BAD_RESPONSE"
    explanation = (
        "The answer was not a readable Netvisor XML response (empty, HTML, garbled, too large "
        "or unsafe); Netvisor may have processed the request."
    )
    retryable = True
    # the client sets False when the answer arrived complete; unknown -> assume it may run
    may_still_run = True


class VoucherValidationError(NetvisorError, ValueError):
    """The voucher was refused before sending; ``problems`` lists every reason."""

    category = "VALIDATION_ERROR"
    explanation = "The voucher was refused before sending."
    may_be_stored = False

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class AttachmentTooLarge(VoucherValidationError):
    """The voucher's attachments together exceed the cap the caller set (API.md §11.3:
    Netvisor documents no import limit, so the client keeps its own). ``size`` and
    ``limit`` are bytes, so the message can say exactly how much is too much."""

    category = "ATTACHMENT_TOO_LARGE"
    explanation = "The attachments are too large to send to Netvisor with the voucher."

    def __init__(self, size, limit):
        self.size = size
        self.limit = limit
        super().__init__([attachment_cap_problem(size, limit)])


class AttachmentUnreadable(VoucherValidationError):
    """A document could not be opened or read, or it is no longer what the body was built
    from (another size or SHA-256). While sending it is raised before the body's end: the
    request stays incomplete, so Netvisor cannot have stored the voucher."""

    category = "ATTACHMENT_UNREADABLE"
    explanation = "An attachment could not be read, or it changed after the voucher was built."


def attachment_cap_problem(size, limit):
    """The problem text of attachments over the cap, in bytes and MB."""
    return (
        f"attachments are {size} bytes ({size / 1_000_000:.1f} MB) together, more than the "
        f"limit of {limit} bytes ({limit / 1_000_000:.1f} MB)"
    )


_CATEGORY_CLASSES = {
    cls.category: cls
    for cls in (
        AuthenticationFailed,
        InvalidData,
        InvalidDataSize,
        DuplicateData,
        RequestNotUnique,
        PeriodLock,
        ServiceAccessError,
        SystemMaintenance,
        TechnicalError,
    )
}
# Two public clients map this misspelling; the documentation spells SYSTEM_MAINTENANCE.
_CATEGORY_CLASSES["SYSTEM_MAINTANANCE"] = SystemMaintenance


def error_for_category(category, text, *, transaction_id=None):
    """Build the exception for a FAILED envelope's category and text."""
    category = (category or "").strip().upper()
    cls = _CATEGORY_CLASSES.get(category)
    if cls is None:
        return NetvisorResponseError(
            text, category=category[:60] or "UNKNOWN", transaction_id=transaction_id
        )
    return cls(text, transaction_id=transaction_id)
