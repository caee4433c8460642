"""Hardened parsing of Netvisor responses (API.md §3, §6).

Responses come from the network, so the parser loads no DTD, resolves no entity, never
touches the network and refuses DOCTYPE declarations outright. Element names are matched
case-insensitively because Netvisor's documentation and real responses disagree on
casing and spelling in places (API.md §6); numbers use a decimal comma, dates ``d.M.yyyy``.
"""

import base64
import binascii
import datetime
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree

from .errors import BadResponseError, error_for_category

MAX_RESPONSE_BYTES = 10 * 1024 * 1024
# A FAILED answer that is not well-formed XML is searched for its status in this many bytes.
MAX_FALLBACK_BYTES = 64 * 1024
INVALIDATED_STATUSES = ("invalidated", "deleted")
_NUMBER = re.compile(r"[-+]?[0-9]{1,30}(\.[0-9]{1,30})?")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_FINNISH_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")
# DeleteDate: ``2022-06-08 15:14``, ISO with seconds (``T``, fraction, offset) or
# ``8.6.2022 15:14[:09]``; the time part is optional.
_ISO_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"(?:[T ]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]{1,7})?)?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?"
)
_FINNISH_DATETIME = re.compile(
    r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})(?: +([0-9]{1,2})[:.]([0-9]{2})(?:[:.]([0-9]{2}))?)?"
)
# Tags of the envelope the fallback reads; ``[^<>]*`` keeps the scan linear.
_ENVELOPE_TAG = re.compile(r"<\s*(/?)\s*(Root|ResponseStatus|Status)\b[^<>]*>", re.IGNORECASE)
_XML_REFERENCE = re.compile(r"&(lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});")
_XML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
# Runs of 64+ hex digits: MAC digests (SHA-256), whatever their case.
_DIGEST = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{64,}(?![0-9A-Fa-f])")
# The MAC input string Netvisor echoes: ``URL&Sender&CustomerId&...`` up to `` :: digest``.
_MAC_ECHO = re.compile(r"(https?://[^\s&]*)&.*?(?=\s::\s|\Z)", re.DOTALL)
_VOUCHER_NUMBER = re.compile(r"[0-9]{1,18}")
_DECLARATIONS = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _xml_parser(huge_tree):
    """Nothing resolved, loaded or kept but the elements and their text."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=huge_tree,
        remove_comments=True,
        remove_pis=True,
    )


_PARSER = _xml_parser(huge_tree=False)
# For answers carrying documents (getvoucherattachments.nv): libxml2 refuses a text node
# over 10 MB otherwise. Safe all the same: DOCTYPE and ENTITY declarations are refused
# before parsing, nothing is resolved, and the answer's size is capped.
_HUGE_PARSER = _xml_parser(huge_tree=True)
# base64 characters decoded at a time while hashing an attachment's Content (a multiple of 4)
_BASE64_SLICE = 64 * 1024
_WHITESPACE = re.compile(r"\s")


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Account:
    netvisor_key: str
    number: str
    name: str
    account_type: str
    is_active: bool
    foreign_names: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AccountList:
    default_accounts: dict
    accounts: list


@dataclass(frozen=True)
class Period:
    netvisor_key: str
    name: str
    begin: datetime.date
    end: datetime.date


@dataclass(frozen=True)
class PeriodInfo:
    accounting_lock_date: datetime.date | None
    vat_lock_date: datetime.date | None
    purchase_lock_date: datetime.date | None
    periods: list


@dataclass(frozen=True)
class VoucherType:
    netvisor_key: str
    abbreviation: str
    name: str
    foreign_names: dict = field(default_factory=dict)


@dataclass(frozen=True)
class VoucherTypeList:
    defaults: dict
    types: list


@dataclass(frozen=True)
class LedgerLine:
    netvisor_key: str
    amount: Decimal
    description: str
    account_number: str
    vat_percent: Decimal
    vat_code: str
    dimensions: tuple = ()
    #: the line's own status: an edit in Netvisor keeps the old lines as invalidated
    status: str = ""


@dataclass(frozen=True)
class LedgerVoucher:
    """A voucher read back from accountingledger.nv; ``number`` is an int or None."""

    netvisor_key: str
    date: datetime.date
    number: int | None
    description: str
    voucher_class: str
    status: str
    lines: list
    uri: str | None = None
    #: the invoice Netvisor made this voucher from (empty for imported vouchers)
    linked_source: str = ""

    @property
    def is_invalidated(self):
        """True for an invalidated or deleted voucher (``Status`` attribute, API.md §6.4)."""
        return self.status in INVALIDATED_STATUSES


@dataclass(frozen=True)
class AccountBalance:
    """One ``AccountBalance`` of accountbalance.nv (API.md §11.4), flattened with its
    account: ``account_key`` is the account's NetvisorKey (as in accountlist.nv);
    ``number`` and ``name`` only come with the newer revision (else None). With an
    interval, ``debit``/``credit`` are the interval's movements and ``balance`` the
    cumulative balance at ``date``; with separate dates all three are cumulative."""

    account_key: str
    number: str | None
    name: str | None
    date: datetime.date
    debit: Decimal
    credit: Decimal
    balance: Decimal


@dataclass(frozen=True)
class DeletedVoucher:
    """A voucher deletedvouchers.nv lists (deleted in Netvisor in the last 7 days).
    ``deleted_at`` is as Netvisor wrote it: naive (Netvisor's local time, presumably
    Finnish) unless the text carried an offset; None when empty."""

    netvisor_key: str
    deleted_at: datetime.datetime | None


@dataclass(frozen=True)
class DimensionItem:
    """One item (cost object) of a dimension, from dimensionlist.nv (API.md §11.2).

    A voucher line's ``dimensionitem`` is matched against ``name`` (the sandbox matches
    only the name; whether Netvisor also takes the label is unconfirmed). ``father_id``
    is the father item's key, ``"0"`` at the top level."""

    netvisor_key: str
    name: str
    code: str
    label: str
    is_hidden: bool
    father_id: str


@dataclass(frozen=True)
class Dimension:
    """A dimension header ("Projekti", "Kustannuspaikka") with its items in Netvisor's
    order; a voucher line's ``dimensionname`` is its ``name``."""

    netvisor_key: str
    name: str
    is_hidden: bool
    items: tuple


@dataclass(frozen=True)
class AttachmentInfo:
    """An attachment of a voucher: read back from getvoucherattachments.nv (API.md
    §11.3), or as sent (``VoucherBody.digests``). ``sha256`` is the hex digest of the
    document (None when the answer carried no ``Content``; ``size`` is None when it had
    neither ``SizeInBytes`` nor ``Content``); the content itself is not kept."""

    filename: str
    size: int | None
    mimetype: str
    sha256: str | None


# ---------------------------------------------------------------------------- helpers


def _name(element):
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def children(element, *names):
    """Child elements whose name matches one of ``names``, ignoring case."""
    wanted = {n.lower() for n in names}
    return [child for child in element if _name(child) in wanted]


def child(element, *names):
    """First matching child element or None."""
    if element is None:
        return None
    found = children(element, *names)
    return found[0] if found else None


def text(element, *names):
    """Stripped text of the first matching child ('' when absent or empty)."""
    node = child(element, *names) if names else element
    if node is None or node.text is None:
        return ""
    return node.text.strip()


def attribute(element, name):
    """Attribute value ignoring the attribute name's case, or None."""
    name = name.lower()
    for key, value in element.attrib.items():
        if key.rsplit("}", 1)[-1].lower() == name:
            return value
    return None


def parse_decimal(value):
    """Netvisor number: decimal comma (``-17,18``), dot tolerated; '' -> Decimal(0)."""
    cleaned = (value or "").strip().replace("\xa0", "").replace(" ", "").replace(",", ".")
    if not cleaned:
        return Decimal(0)
    if not _NUMBER.fullmatch(cleaned):
        raise BadResponseError(f"not a number: {value[:40]!r}")
    try:
        return Decimal(cleaned)
    except (ArithmeticError, ValueError):  # pragma: no cover - the pattern rules it out
        raise BadResponseError(f"not a number: {value[:40]!r}") from None


def parse_date(value):
    """``YYYY-MM-DD`` or ``d.M.yyyy`` (a time part is ignored); '' -> None."""
    value = (value or "").strip()
    if not value:
        return None
    day_part = value.split()[0]
    iso = _ISO_DATE.fullmatch(day_part)
    finnish = None if iso else _FINNISH_DATE.fullmatch(day_part)
    try:
        if iso:
            year, month, day = iso.groups()
        elif finnish:
            day, month, year = finnish.groups()
        else:
            raise ValueError(day_part)
        return datetime.date(int(year), int(month), int(day))
    except (ValueError, OverflowError):
        raise BadResponseError(f"not a date: {value[:40]!r}") from None


def parse_datetime(value):
    """``2022-06-08 15:14``, ``2022-06-08T15:14:09[+03:00]``, ``8.6.2022 15:14[:09]`` or a
    bare date (midnight); '' -> None. Garbled -> BadResponseError."""
    value = (value or "").strip()
    if not value:
        return None
    iso = _ISO_DATETIME.fullmatch(value)
    finnish = None if iso else _FINNISH_DATETIME.fullmatch(value)
    try:
        if iso:
            year, month, day, hour, minute, second, zone = iso.groups()
        elif finnish:
            day, month, year, hour, minute, second = finnish.groups()
            zone = None
        else:
            raise ValueError(value)
        tzinfo = None
        if zone == "Z":
            tzinfo = datetime.timezone.utc
        elif zone:
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            tzinfo = datetime.timezone(sign * offset)
        return datetime.datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=tzinfo,
        )
    except (ValueError, OverflowError):
        raise BadResponseError(f"not a date and time: {value[:40]!r}") from None


def redact_echo(text):
    """``text`` without MAC digests and without the MAC input string Netvisor echoes.

    AUTHENTICATION_FAILED answers may end with ``URL&Sender&CustomerId&...&keys :: DIGEST``
    (API.md §2.7): everything between the URL and the `` :: `` becomes ``***``. The client
    also removes the keys and IDs it knows.
    """
    text = _MAC_ECHO.sub(r"\1&***", text)
    return _DIGEST.sub("***", text)


def _foreign_names(element):
    names = {}
    for node in children(element, "ForeignName"):
        language = next(iter(node.attrib.values()), "")
        if language and node.text:
            names[language.strip().lower()] = node.text.strip()
    return names


# ---------------------------------------------------------------------------- envelope


class _NotWellFormed(BadResponseError):
    """The body is not well-formed XML (the FAILED fallback may still read it)."""


def parse_xml(body, max_bytes=MAX_RESPONSE_BYTES, huge_tree=False):
    """Parse a response body safely; anything that is not plain XML -> BadResponseError.

    ``huge_tree``: allow text nodes over 10 MB (documents in base64)."""
    if not body or not body.strip():
        raise BadResponseError("empty response body")
    if len(body) > max_bytes:
        raise BadResponseError(f"response larger than {max_bytes} bytes")
    if _DECLARATIONS.search(body):
        raise BadResponseError("response contains a DOCTYPE or ENTITY declaration")
    try:
        root = etree.fromstring(body, _HUGE_PARSER if huge_tree else _PARSER)
    except Exception as exc:  # XMLSyntaxError, ValueError, LookupError (odd encodings), ...
        problem = str(exc)[:80]
    else:
        docinfo = root.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise BadResponseError("response contains a DOCTYPE or ENTITY declaration")
        return root
    raise _NotWellFormed(f"response is not XML ({problem})")


def read_envelope(body, transaction_id=None, max_bytes=MAX_RESPONSE_BYTES, huge_tree=False):
    """Return the ``Root`` element of an OK answer; raise the matching error otherwise.

    A FAILED envelope carries two ``Status`` elements, the second being
    ``CATEGORY :: text``; the text may contain ``::`` itself, so split on the first one.
    Netvisor's AUTHENTICATION_FAILED answers are not always well-formed XML (API.md
    §11.1: the echoed MAC string keeps its raw ``&``), so a body the parser refuses is
    searched for its ``Status`` elements; a FAILED one raises its category's error.
    """
    try:
        root = parse_xml(body, max_bytes, huge_tree)
    except _NotWellFormed as exc:
        statuses = _fallback_statuses(body)
        if not statuses or statuses[0].upper() != "FAILED":
            raise BadResponseError(exc.netvisor_text) from None
        _raise_failed(statuses, transaction_id)
    status_node = child(root, "ResponseStatus")
    if _name(root) != "root" or status_node is None:
        raise BadResponseError("response has no Netvisor ResponseStatus")
    statuses = [text(node) for node in children(status_node, "Status")]
    if not statuses:
        raise BadResponseError("response has no Netvisor status")
    outcome = statuses[0].upper()
    if outcome == "OK":
        return root
    if outcome != "FAILED":
        raise BadResponseError(f"unexpected Netvisor status {statuses[0][:40]!r}")
    _raise_failed(statuses, transaction_id)


def _raise_failed(statuses, transaction_id):
    detail = statuses[1] if len(statuses) > 1 else ""
    category, separator, message = detail.partition(" :: ")
    if not separator:
        category, message = (detail, "") if re.fullmatch(r"[A-Z_]+", detail) else ("", detail)
    raise error_for_category(category, redact_echo(message.strip()), transaction_id=transaction_id)


def _fallback_statuses(body):
    """Texts of the ``Status`` elements of ``Root/ResponseStatus``, read without a parser.

    Only the first ``MAX_FALLBACK_BYTES`` bytes are searched; entity references other than
    XML's five and character references are left as they are (nothing is resolved).
    """
    source = body[:MAX_FALLBACK_BYTES].decode("utf-8", "replace")
    statuses, seen_root, in_status_block, opened = [], False, False, None
    for tag in _ENVELOPE_TAG.finditer(source):
        closing, name = tag.group(1), tag.group(2).lower()
        if name == "root":
            seen_root = seen_root or not closing
        elif name == "responsestatus" and seen_root:
            if closing:
                break
            in_status_block = True
        elif name == "status" and in_status_block:
            if not closing:
                opened = tag.end()
            elif opened is not None:
                statuses.append(_unescape(source[opened : tag.start()]).strip())
                opened = None
    return statuses


def _unescape(value):
    def replace(match):
        name = match.group(1)
        if name in _XML_NAMED:
            return _XML_NAMED[name]
        code = int(name[2:], 16) if name.startswith("#x") else int(name[1:])
        return (
            chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group(0)
        )

    return _XML_REFERENCE.sub(replace, value)


# ---------------------------------------------------------------------------- payloads


def _payload(root, name):
    node = child(root, name)
    if node is None:
        raise BadResponseError(f"response has no {name}")
    return node


def parse_inserted_key(root):
    """The new voucher's Netvisor key from ``Replies/InsertedDataIdentifier``."""
    key = text(child(root, "Replies"), "InsertedDataIdentifier")
    if not key:
        raise BadResponseError("response has no InsertedDataIdentifier")
    return key


def parse_optional_key(root):
    """``Replies/InsertedDataIdentifier`` when the answer has one, else None (resources
    whose answer is not documented to carry a key, e.g. dimensionitem.nv)."""
    return text(child(root, "Replies"), "InsertedDataIdentifier") or None


# Canonical names of CompanyDefaultAccounts; older spellings map onto them (API.md §6.1).
DEFAULT_ACCOUNT_NAMES = (
    "TradePayables",
    "PurchaseVATReceivable",
    "RoundingOffDifference",
    "VATpayable",
    "TaxAccount",
    "AdvancePayments",
    "SalesReceivables",
    "SalesVATDebt",
    "Inventory",
    "SalesDiscount",
    "SalesExchangeRateDifferences",
    "Collection",
    "PurchasesDiscounts",
    "PurchasesExchangeRateDifferences",
    "PurchaseInvoiceAccrual",
    "SalesInvoiceAccrual",
    "PurchaseDomesticDefault",
    "PurchaseEUDefault",
    "PurchaseOutsideEUDefault",
    "SalesDomesticDefault",
    "SalesEUDefault",
    "SalesOutsideEUDefault",
)
_DEFAULT_ACCOUNT_ALIASES = {name.lower(): name for name in DEFAULT_ACCOUNT_NAMES} | {
    "salesexchangeratedifferences": "SalesExchangeRateDifferences",
    "salesexchangeratediffereces": "SalesExchangeRateDifferences",
    "purchasediscounts": "PurchasesDiscounts",
}


def _children_of(parent, container, name):
    """Elements ``name`` inside the optional child ``container`` of ``parent``."""
    node = child(parent, container)
    return children(node, name) if node is not None else []


def parse_account_list(root):
    """accountlist.nv -> AccountList; default account names normalised to one spelling."""
    node = _payload(root, "AccountList")
    defaults = {}
    defaults_node = child(node, "CompanyDefaultAccounts")
    for item in defaults_node if defaults_node is not None else ():
        value = text(item)
        if _name(item) and value:
            defaults[_DEFAULT_ACCOUNT_ALIASES.get(_name(item), item.tag)] = value
    accounts = [
        Account(
            netvisor_key=text(account, "NetvisorKey"),
            number=text(account, "Number"),
            name=text(account, "Name"),
            account_type=text(account, "AccountType").lower(),
            is_active=text(account, "IsActive") == "1",
            foreign_names=_foreign_names(account),
        )
        for account in _children_of(node, "Accounts", "Account")
    ]
    return AccountList(default_accounts=defaults, accounts=accounts)


def parse_periods(root):
    """accountingperiodlist.nv -> PeriodInfo.

    ``Period`` sits inside ``PeriodLockInformation`` (documentation) or beside it (Visma's
    own client); dates come as ``YYYY-MM-DD`` or ``d.M.yyyy``. Both are accepted.
    """
    node = _payload(root, "AccountingPeriodList")
    locks = child(node, "PeriodLockInformation")
    periods = [
        Period(
            netvisor_key=text(period, "NetvisorKey"),
            name=text(period, "Name"),
            begin=_required_date(period, "BeginDate"),
            end=_required_date(period, "EndDate"),
        )
        for period in node.iter()
        if _name(period) == "period"
    ]
    return PeriodInfo(
        accounting_lock_date=parse_date(text(locks, "AccountingPeriodLockDate")),
        vat_lock_date=parse_date(text(locks, "VatPeriodLockDate")),
        purchase_lock_date=parse_date(text(locks, "PurchaseLockDate")),
        periods=periods,
    )


def _required_date(element, name):
    value = parse_date(text(element, name))
    if value is None:
        raise BadResponseError(f"{name} missing in response")
    return value


def parse_voucher_types(root):
    """vouchertypelist.nv -> VoucherTypeList (``defaults`` maps e.g. SalesInvoices -> key)."""
    node = _payload(root, "VoucherTypeList")
    defaults = {}
    defaults_node = child(node, "DefaultVoucherTypes")
    for item in defaults_node if defaults_node is not None else ():
        key = text(item, "NetvisorKey")
        if _name(item) and key:
            defaults[item.tag.rsplit("}", 1)[-1]] = key
    types = [
        VoucherType(
            netvisor_key=text(item, "NetvisorKey"),
            abbreviation=text(item, "Abbreviation"),
            name=text(item, "Name"),
            foreign_names=_foreign_names(item),
        )
        for item in _children_of(node, "VoucherTypes", "VoucherType")
    ]
    return VoucherTypeList(defaults=defaults, types=types)


def _vat_code(value):
    """Ledger answers use '-' for "no VAT"; the connector calls it NONE everywhere."""
    return "NONE" if value in ("", "-") else value


def _ledger_line(node):
    if child(node, "LineSum") is None:
        raise BadResponseError("voucher line without LineSum in response")
    return LedgerLine(
        netvisor_key=text(node, "NetvisorKey"),
        amount=parse_decimal(text(node, "LineSum")),
        description=text(node, "Description"),
        account_number=text(node, "AccountNumber"),
        vat_percent=parse_decimal(text(node, "VatPercent")),
        vat_code=_vat_code(text(node, "VatCode")),
        dimensions=tuple(
            (text(dim, "DimensionName"), text(dim, "DimensionItem"))
            for dim in children(node, "Dimension")
        ),
        status=(attribute(node, "status") or "").strip().lower(),
    )


def _voucher_number(value):
    """``VoucherNumber``: '' -> None, digits -> int, anything else is a garbled answer."""
    if not value:
        return None
    if not _VOUCHER_NUMBER.fullmatch(value):
        raise BadResponseError(f"not a voucher number: {value[:40]!r}")
    return int(value)


def parse_ledger(root):
    """accountingledger.nv -> list[LedgerVoucher]."""
    vouchers = []
    for node in children(_payload(root, "Vouchers"), "Voucher"):
        number = text(node, "VoucherNumber")
        date = parse_date(text(node, "VoucherDate"))
        if date is None:
            raise BadResponseError("voucher without VoucherDate in response")
        vouchers.append(
            LedgerVoucher(
                netvisor_key=text(node, "NetvisorKey"),
                date=date,
                number=_voucher_number(number),
                description=text(node, "VoucherDescription"),
                voucher_class=text(node, "VoucherClass"),
                status=(attribute(node, "Status") or "").strip().lower(),
                lines=[_ledger_line(line) for line in children(node, "VoucherLine")],
                uri=text(node, "VoucherNetvisorURI") or None,
                linked_source=text(node, "LinkedSourceNetvisorKey"),
            )
        )
    return vouchers


def _balance_amount(node, name):
    """Debet / Kredit / Balance: required (a missing one is a broken answer)."""
    if child(node, name) is None:
        raise BadResponseError(f"AccountBalance without {name} in response")
    return parse_decimal(text(node, name))


def parse_account_balances(root):
    """accountbalance.nv -> list[AccountBalance], one per ``Account/AccountBalance``.

    Tolerant of both revisions (with or without ``Number``/``Name``), of the key as
    ``@Netvisorkey`` in any casing (or a ``NetvisorKey`` child) and of ``@Date`` written
    ``YYYY-MM-DD`` or ``d.M.yyyy``. An empty ``AccountBalances`` is an empty list.
    """
    balances = []
    for account in children(_payload(root, "AccountBalances"), "Account"):
        key = (attribute(account, "Netvisorkey") or text(account, "NetvisorKey")).strip()
        if not key:
            raise BadResponseError("Account without Netvisorkey in response")
        number = text(account, "Number") or None
        name = text(account, "Name") or None
        for item in children(account, "AccountBalance"):
            day = parse_date(attribute(item, "Date") or text(item, "Date"))
            if day is None:
                raise BadResponseError("AccountBalance without Date in response")
            balances.append(
                AccountBalance(
                    account_key=key,
                    number=number,
                    name=name,
                    date=day,
                    debit=_balance_amount(item, "Debet"),
                    credit=_balance_amount(item, "Kredit"),
                    balance=_balance_amount(item, "Balance"),
                )
            )
    return balances


_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no", "")


def parse_flag(value):
    """A Netvisor boolean: ``True``/``False`` (dimensionlist.nv), ``1``/``0``
    (accountlist.nv) or lower case; '' -> False, anything else is a garbled answer."""
    cleaned = (value or "").strip().lower()
    if cleaned in _TRUE:
        return True
    if cleaned in _FALSE:
        return False
    raise BadResponseError(f"not a boolean: {value[:40]!r}")


def _dimension_item(node):
    name = text(node, "Name")
    if not name:
        raise BadResponseError("DimensionDetail without Name in response")
    return DimensionItem(
        netvisor_key=text(node, "Netvisorkey"),
        name=name,
        code=text(node, "Code"),
        label=text(node, "Label"),
        is_hidden=parse_flag(text(node, "IsHidden")),
        father_id=text(node, "FatherId") or "0",
    )


def parse_dimension_list(root):
    """dimensionlist.nv -> list[Dimension] in the order of the answer.

    Element names in any casing (``Netvisorkey`` as documented, ``NetvisorKey`` as
    elsewhere); booleans ``True``/``False`` or ``1``/``0``; missing optional children
    (``Code``, ``Label``, ``IsHidden``, ``FatherId``, ``DimensionDetails``) read as empty,
    False, ``"0"`` and no items. A header or item without a ``Name`` is a broken answer.
    """
    dimensions = []
    for node in children(_payload(root, "DimensionNameList"), "DimensionName"):
        name = text(node, "Name")
        if not name:
            raise BadResponseError("DimensionName without Name in response")
        dimensions.append(
            Dimension(
                netvisor_key=text(node, "Netvisorkey"),
                name=name,
                is_hidden=parse_flag(text(node, "IsHidden")),
                items=tuple(
                    _dimension_item(item)
                    for item in _children_of(node, "DimensionDetails", "DimensionDetail")
                ),
            )
        )
    return dimensions


def parse_deleted_vouchers(root):
    """deletedvouchers.nv -> list[DeletedVoucher]; an empty ``DeletedVouchers`` is []."""
    deleted = []
    for node in children(_payload(root, "DeletedVouchers"), "DeletedVoucher"):
        key = text(node, "NetvisorKey")
        if not key:
            raise BadResponseError("DeletedVoucher without NetvisorKey in response")
        deleted.append(
            DeletedVoucher(netvisor_key=key, deleted_at=parse_datetime(text(node, "DeleteDate")))
        )
    return deleted


def _content_digest(value):
    """(SHA-256 hex, decoded length) of base64 text, decoded a slice at a time so the
    document is never held decoded as a whole. Whitespace (line breaks) is ignored."""
    if _WHITESPACE.search(value):  # rare: only then a copy without it
        value = "".join(value.split())
    if len(value) % 4:
        raise BadResponseError("attachment Content is not base64")
    digest, size = hashlib.sha256(), 0
    for start in range(0, len(value), _BASE64_SLICE):
        try:
            block = base64.b64decode(value[start : start + _BASE64_SLICE], validate=True)
        except (binascii.Error, ValueError):
            raise BadResponseError("attachment Content is not base64") from None
        digest.update(block)
        size += len(block)
    return digest.hexdigest(), size


def _attachment_size(value):
    if not value:
        return None
    if not value.isascii() or not value.isdigit():
        raise BadResponseError(f"not a size in bytes: {value[:40]!r}")
    return int(value)


def parse_voucher_attachments(root):
    """getvoucherattachments.nv -> list[AttachmentInfo] in the answer's order.

    ``Content`` is decoded only to compute the SHA-256, then dropped. Tolerant: names in
    any casing, no ``Content`` -> sha256 None, no ``SizeInBytes`` -> the decoded length
    (None when neither is there). A garbled size or Content is a broken answer."""
    found = []
    for node in children(_payload(root, "Attachments"), "Attachment"):
        size = _attachment_size(text(node, "SizeInBytes"))
        content = child(node, "Content")
        sha256 = None
        if content is not None and content.text and content.text.strip():
            sha256, decoded = _content_digest(content.text)
            size = decoded if size is None else size
        found.append(
            AttachmentInfo(
                filename=text(node, "Filename"),
                size=size,
                mimetype=text(node, "MimeType"),
                sha256=sha256,
            )
        )
    return found
