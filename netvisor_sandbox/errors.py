"""The Netvisor failure a request ends with: category plus a text in FI or EN."""

from .texts import TEXTS

# UseHTTPResponseStatusCodes: 1 -> this status (API.md §3.4 simulator choice).
HTTP_STATUS = {
    "AUTHENTICATION_FAILED": 401,
    "SERVICE_ACCESS_ERROR": 403,
    "INVALID_DATA": 400,
    "INVALID_DATA_SIZE": 400,
    "DUPLICATE_DATA": 409,
    "REQUEST_NOT_UNIQUE": 409,
    "PERIOD_LOCK": 409,
    "SYSTEM_MAINTENANCE": 503,
    "TECHNICAL_ERROR": 500,
}


class NetvisorFault(Exception):
    """Ends a Netvisor request with a FAILED envelope."""

    raw_amp = False  # True: the text's `&` stay unescaped (API.md §11.1)

    def __init__(self, category: str, text_id: str | None = None, text: str | None = None, **args):
        super().__init__(category)
        self.category = category
        self.text_id = text_id
        self.text = text
        self.args_ = args

    def message(self, language: str) -> str:
        """`CATEGORY :: text`, text in FI unless the request asked for EN or SE."""
        if self.text is not None:
            body = self.text
        else:
            fi, en = TEXTS[self.text_id]
            body = (en if language in ("EN", "SE") else fi).format(**self.args_)
        return f"{self.category} :: {body}"

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.category, 400)


class RawAmpFault(NetvisorFault):
    """A FAILED envelope whose echoed text keeps its raw `&`: not well-formed XML."""

    raw_amp = True


def invalid(text_id: str, **args) -> NetvisorFault:
    return NetvisorFault("INVALID_DATA", text_id, **args)


def xml_invalid() -> NetvisorFault:
    return NetvisorFault("INVALID_DATA", "xml_invalid")
