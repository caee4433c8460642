"""Voucher data and its ``accounting.nv`` request XML (API.md §4).

Netvisor validates the body against a DTD, so elements are written in the DTD order of
API.md §4.1; amounts use a decimal comma. A voucher is validated completely before any
XML is built, so a bad voucher never leaves the process.
"""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from . import vat
from .errors import VoucherValidationError

MAX_TEXT = 255
# Dimension header and item names (API.md §11.2: dimensionitem.nv name <= 50, item <= 200).
MAX_DIMENSION_NAME = 50
MAX_DIMENSION_ITEM = 200
CENT = Decimal("0.01")
CALCULATION_MODES = ("net", "gross")
# Characters XML 1.0 cannot carry (lxml would raise deep inside the builder).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# ... and for dimension names also tab, line breaks and DEL (a name is one line).
_CONTROL = re.compile("[\x00-\x1f\x7f\ufffe\uffff]")


@dataclass(frozen=True)
class VoucherLine:
    """One posting: + is debit, - is credit; ``dimensions`` are (name, item) pairs."""

    amount: Decimal
    account_number: str
    vat_percent: Decimal = Decimal(0)
    vat_code: str = "NONE"
    description: str | None = None
    dimensions: tuple = ()


@dataclass(frozen=True)
class Voucher:
    """One accounting voucher for ``accounting.nv``."""

    date: datetime.date
    voucher_class: str
    lines: tuple
    description: str | None = None
    number: int | None = None
    comment: str | None = None
    calculation_mode: str = "net"


def _is_amount(value):
    return isinstance(value, (Decimal, int)) and not isinstance(value, bool)


def _check_text(problems, label, value):
    if value is None:
        return
    if not isinstance(value, str):
        problems.append(f"{label} must be text")
    elif len(value) > MAX_TEXT:
        problems.append(f"{label} is {len(value)} characters long (at most {MAX_TEXT})")
    elif _XML_ILLEGAL.search(value):
        problems.append(f"{label} contains control characters")


def _check_dimension(problems, label, value, limit):
    if len(value) > limit:
        problems.append(f"{label} is {len(value)} characters long (at most {limit})")
    elif _CONTROL.search(value):
        problems.append(f"{label} contains control characters")


def _line_problems(index, line, problems):
    label = f"line {index}"
    amount = line.amount
    amount_ok = _is_amount(amount) and Decimal(amount).is_finite()
    if not amount_ok:
        problems.append(f"{label}: amount must be a finite Decimal, got {amount!r}")
    elif Decimal(amount) != Decimal(amount).quantize(CENT):
        problems.append(f"{label}: amount {amount} has more than 2 decimals")
    number = line.account_number
    if not isinstance(number, str) or not number.isascii() or not number.isdigit():
        problems.append(f"{label}: account number must be digits, got {number!r}")
    if not vat.is_known_code(line.vat_code):
        problems.append(f"{label}: unknown VAT code {line.vat_code!r}")
    elif not _is_amount(line.vat_percent) or not vat.is_allowed(line.vat_code, line.vat_percent):
        problems.append(
            f"{label}: VAT percent {line.vat_percent} is not allowed with VAT code {line.vat_code}"
        )
    _check_text(problems, f"{label}: description", line.description)
    headers = set()
    for pair in line.dimensions:
        if (
            not isinstance(pair, tuple)
            or len(pair) != 2
            or not all(isinstance(part, str) and part.strip() for part in pair)
        ):
            problems.append(f"{label}: dimension {pair!r} must be a (name, item) pair of text")
            continue
        _check_dimension(problems, f"{label}: dimension name", pair[0], MAX_DIMENSION_NAME)
        _check_dimension(problems, f"{label}: dimension item", pair[1], MAX_DIMENSION_ITEM)
        # one item per header and line is what is known to work (API.md §11.2); compared
        # without case, in case Netvisor matches names that way
        header = pair[0].strip().casefold()
        if header in headers:
            problems.append(f"{label}: dimension {pair[0]!r} is given more than once")
        headers.add(header)
    return amount_ok


def voucher_problems(voucher):
    """Every reason why Netvisor would (or should) refuse ``voucher``; empty if none."""
    problems = []
    if not isinstance(voucher.date, datetime.date):
        problems.append(f"voucher date must be a date, got {voucher.date!r}")
    if not isinstance(voucher.voucher_class, str) or not voucher.voucher_class.strip():
        problems.append("voucher class (the voucher type name) is empty")
    else:
        _check_text(problems, "voucher class", voucher.voucher_class)
    if voucher.calculation_mode not in CALCULATION_MODES:
        problems.append(f"calculation mode must be net or gross, got {voucher.calculation_mode!r}")
    if voucher.number is not None and (
        not isinstance(voucher.number, int)
        or isinstance(voucher.number, bool)
        or not 0 < voucher.number < 10**9
    ):
        problems.append("voucher number must be a positive integer of at most 9 digits")
    _check_text(problems, "description", voucher.description)
    _check_text(problems, "comment", voucher.comment)
    if not voucher.lines:
        problems.append("voucher has no lines")
    amounts_ok = True
    for index, line in enumerate(voucher.lines or (), start=1):
        amounts_ok = _line_problems(index, line, problems) and amounts_ok
    if amounts_ok and voucher.lines and voucher.calculation_mode == "net":
        total = sum((Decimal(line.amount) for line in voucher.lines), Decimal(0))
        if total != 0:
            problems.append(f"voucher is not balanced: lines sum to {total}, not 0")
    return problems


def validate_voucher(voucher):
    """Raise VoucherValidationError listing all problems, before any request is made."""
    problems = voucher_problems(voucher)
    if problems:
        raise VoucherValidationError(problems)


def format_amount(amount):
    """Netvisor line sum: decimal comma, exactly two decimals, no sign on zero."""
    amount = Decimal(amount).quantize(CENT)
    if amount == 0:
        amount = abs(amount)
    return f"{amount:f}".replace(".", ",")


def format_percent(percent):
    """VAT percent with a decimal comma and no trailing zeros: 25,5 / 24 / 0."""
    percent = Decimal(percent)
    text = f"{percent.normalize():f}" if percent else "0"
    return text.replace(".", ",")


def _sub(parent, tag, text=None, **attrib):
    element = etree.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def build_voucher_xml(voucher):
    """Validate ``voucher`` and return the accounting.nv body: UTF-8, no XML declaration."""
    validate_voucher(voucher)
    root = etree.Element("root")
    node = _sub(root, "voucher")
    _sub(node, "calculationmode", voucher.calculation_mode)
    _sub(node, "voucherdate", voucher.date.isoformat(), format="ansi")
    if voucher.number is not None:
        _sub(node, "number", str(voucher.number))
    if voucher.description:
        _sub(node, "description", voucher.description)
    _sub(node, "voucherclass", voucher.voucher_class)
    if voucher.comment:
        _sub(node, "comment", voucher.comment)
    for line in voucher.lines:
        line_node = _sub(node, "voucherline")
        _sub(line_node, "linesum", format_amount(line.amount), type=voucher.calculation_mode)
        if line.description:
            _sub(line_node, "description", line.description)
        _sub(line_node, "accountnumber", line.account_number)
        _sub(line_node, "vatpercent", format_percent(line.vat_percent), vatcode=line.vat_code)
        for name, item in line.dimensions:
            dimension = _sub(line_node, "dimension")
            _sub(dimension, "dimensionname", name)
            _sub(dimension, "dimensionitem", item)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def build_invalidate_xml(keys, comment=None):
    """Body of invalidatevouchers.nv (API.md §4.6); keys are checked by the caller."""
    root = etree.Element("root")
    node = _sub(root, "invalidatevouchers", identifier="netvisorkey")
    if comment:
        _sub(node, "comment", comment)
    for key in keys:
        _sub(node, "invalidatevoucher", str(key))
    return etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def _dimension_text(value, what, limit):
    """Raise ValueError unless ``value`` is a dimension name Netvisor can take."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be non-empty text")
    if len(value) > limit:
        raise ValueError(f"{what} is {len(value)} characters long (at most {limit})")
    if _CONTROL.search(value):
        raise ValueError(f"{what} contains control characters")
    return value


def build_dimension_item_xml(header, item, father_item=None, hidden=False):
    """Body of dimensionitem.nv method=add (API.md §11.2), checked first (ValueError):
    ``header`` <= 50, ``item`` and ``father_item`` <= 200 characters, no control
    characters. ``ishidden`` is only sent for a hidden item."""
    _dimension_text(header, "dimension name", MAX_DIMENSION_NAME)
    _dimension_text(item, "dimension item", MAX_DIMENSION_ITEM)
    if father_item is not None:
        _dimension_text(father_item, "father item", MAX_DIMENSION_ITEM)
    if not isinstance(hidden, bool):
        raise ValueError("hidden must be True or False")
    root = etree.Element("root")
    node = _sub(root, "dimensionitem")
    _sub(node, "name", header)
    _sub(node, "item", item)
    if father_item is not None:
        _sub(node, "fatheritem", father_item)
    if hidden:
        _sub(node, "ishidden", "1")
    return etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def request_lines(xml):
    """The lines of an accounting.nv body this module built, as dicts (account, VAT code,
    percent, debit, credit, description, dimensions): for showing what was sent."""
    root = etree.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml)
    lines = []
    for node in root.iter("voucherline"):
        amount = Decimal(node.findtext("linesum", "0").replace(",", "."))
        percent = node.find("vatpercent")
        lines.append(
            {
                "account": node.findtext("accountnumber", ""),
                "vat_code": percent.get("vatcode", "") if percent is not None else "",
                "vat_percent": Decimal((percent.text or "0").replace(",", "."))
                if percent is not None
                else Decimal(0),
                "debit": amount if amount > 0 else Decimal(0),
                "credit": -amount if amount < 0 else Decimal(0),
                "description": node.findtext("description", ""),
                "dimensions": [
                    (d.findtext("dimensionname", ""), d.findtext("dimensionitem", ""))
                    for d in node.iter("dimension")
                ],
            }
        )
    return lines
