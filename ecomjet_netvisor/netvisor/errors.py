"""Exceptions of the Netvisor connector.

One class per Netvisor error category (API.md §3.3) so callers can react by type, plus
transport errors that say whether the request may have reached Netvisor: that decides
whether a voucher may be sent again (API.md §9). Messages never contain keys or MACs.
"""


class NetvisorError(Exception):
    """Base class: ``category``, Netvisor's own text and a short English explanation."""

    category = "NETVISOR_ERROR"
    explanation = "The Netvisor request failed."
    retryable = False
    may_have_reached_netvisor = True

    def __init__(
        self,
        netvisor_text="",
        explanation=None,
        *,
        category=None,
        retryable=None,
        transaction_id=None,
    ):
        self.netvisor_text = netvisor_text or ""
        if explanation is not None:
            self.explanation = explanation
        if category is not None:
            self.category = category
        if retryable is not None:
            self.retryable = retryable
        #: transaction id of the attempt that produced this error (None if none was made)
        self.transaction_id = transaction_id
        super().__init__(self._message())

    def _message(self):
        if self.netvisor_text:
            return f"{self.category}: {self.netvisor_text} ({self.explanation})"
        return f"{self.category}: {self.explanation}"


class NetvisorResponseError(NetvisorError):
    """Netvisor answered with a FAILED envelope; unknown categories use this class."""

    explanation = "Netvisor refused the request."


class AuthenticationFailed(NetvisorResponseError):
    category = "AUTHENTICATION_FAILED"
    explanation = (
        "Netvisor did not accept the credentials: check the API user ID and key, the partner "
        "ID and key, the organisation ID, and that the server clock is correct."
    )


class InvalidData(NetvisorResponseError):
    category = "INVALID_DATA"
    explanation = (
        "Netvisor found the data invalid, for example an account that is not in the chart of "
        "accounts, a VAT code that does not fit the VAT percent, or a malformed request."
    )


class InvalidDataSize(NetvisorResponseError):
    category = "INVALID_DATA_SIZE"
    explanation = "A value or list was too long for Netvisor (e.g. a text over 255 characters)."


class DuplicateData(NetvisorResponseError):
    category = "DUPLICATE_DATA"
    explanation = "The data already exists in Netvisor."


class RequestNotUnique(NetvisorResponseError):
    category = "REQUEST_NOT_UNIQUE"
    explanation = "Netvisor has already received a request with this transaction id."


class PeriodLock(NetvisorResponseError):
    category = "PERIOD_LOCK"
    explanation = (
        "The accounting period is locked in Netvisor for this date; open the period in "
        "Netvisor or choose another date."
    )


class ServiceAccessError(NetvisorResponseError):
    category = "SERVICE_ACCESS_ERROR"
    explanation = (
        "The company cannot use this Netvisor interface: the API is only included in the "
        "Professional and Premium service packages, and the resource must be allowed in the "
        "company's rights of interface resources."
    )


class SystemMaintenance(NetvisorResponseError):
    category = "SYSTEM_MAINTENANCE"
    explanation = "Netvisor is under maintenance and accepts no requests; try again later."
    retryable = True


class TechnicalError(NetvisorResponseError):
    category = "TECHNICAL_ERROR"
    explanation = "Netvisor had an internal error; try again later."
    retryable = True


class TransportError(NetvisorError):
    """No usable Netvisor answer was received."""

    category = "TRANSPORT_ERROR"
    explanation = "The connection to Netvisor failed."


class NotSentError(TransportError):
    category = "NOT_SENT"
    explanation = (
        "Netvisor could not be reached (connection refused, name or TLS failure); "
        "the request was not sent."
    )
    retryable = True
    may_have_reached_netvisor = False


class OutcomeUnknownError(TransportError):
    category = "OUTCOME_UNKNOWN"
    explanation = (
        "The connection failed after the request was sent (timeout or reset); Netvisor may "
        "have processed it. Look the data up in Netvisor before sending it again."
    )


class BadResponseError(TransportError):
    category = "BAD_RESPONSE"
    explanation = (
        "The answer was not a Netvisor XML response (empty, HTML, too large or unsafe); "
        "Netvisor may have processed the request."
    )


class VoucherValidationError(NetvisorError, ValueError):
    """The voucher was refused before sending; ``problems`` lists every reason."""

    category = "VALIDATION_ERROR"
    explanation = "The voucher was refused before sending."
    may_have_reached_netvisor = False

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


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
            text, category=category or "UNKNOWN", transaction_id=transaction_id
        )
    return cls(text, transaction_id=transaction_id)
