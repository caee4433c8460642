"""Voucher data and its ``accounting.nv`` request XML (API.md §4).

Netvisor validates the body against a DTD, so elements are written in the DTD order of
API.md §4.1; amounts use a decimal comma. A voucher is validated completely before any
XML is built, so a bad voucher never leaves the process.

Attachments (API.md §11.3) travel base64 inside the XML. ``build_voucher_body`` streams
them: the body is written from the documents' files in chunks while it is sent, so a
document is never held in memory whole, and what is stored for the record has a short
``[sha256=… bytes=…]`` placeholder instead of the base64.
"""

import base64
import contextlib
import datetime
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

from lxml import etree

from . import vat
from .errors import (
    AttachmentTooLarge,
    AttachmentUnreadable,
    VoucherValidationError,
    attachment_cap_problem,
)
from .responses import AttachmentInfo

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
MAX_FILENAME = 255
# ``type/subtype`` as RFC 6838 names them, without parameters (what Odoo's mimetype holds).
_MIMETYPE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
)
#: Bytes read from a document at a time: a multiple of 3, so that the base64 of each
#: chunk ends without padding and the chunks concatenate to the base64 of the document.
READ_CHUNK = 48 * 1024
_DOCUMENT = b"<documentdata></documentdata>"


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
class VoucherAttachment:
    """A document sent with its voucher (an invoice PDF, a bill scan).

    ``open()`` must return a fresh binary file object on every call (e.g. opening a
    filestore path): the document is read once to hash it when the body is built and
    again while it is sent, in chunks, never whole. ``size`` is its length in bytes; the
    request's Content-Length is computed from it, and a document that reads otherwise
    is refused (``AttachmentUnreadable``). ``description`` defaults to the file name
    (Netvisor requires ``attachmentdescription``)."""

    filename: str
    mimetype: str
    size: int
    open: Callable[[], BinaryIO]
    description: str | None = None


@dataclass(frozen=True)
class Voucher:
    """One accounting voucher for ``accounting.nv``; ``attachments`` are
    ``VoucherAttachment``s (each one is billed by Netvisor, API.md §11.3)."""

    date: datetime.date
    voucher_class: str
    lines: tuple
    description: str | None = None
    number: int | None = None
    comment: str | None = None
    calculation_mode: str = "net"
    attachments: tuple = ()


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


def _is_size(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def is_mimetype(value):
    """Whether ``value`` is a MIME type Netvisor's ``mimetype`` can carry (type/subtype)."""
    return isinstance(value, str) and bool(_MIMETYPE.fullmatch(value))


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\\ufffe\uffff]")


def attachment_filename(name):
    """``name`` made a file name Netvisor takes: path separators and control characters
    replaced, at most 255 characters with a short extension kept ("document" if empty)."""
    name = _UNSAFE_NAME.sub("_", (name or "").strip()) or "document"
    if len(name) > MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) < 10:
            name = f"{stem[: MAX_FILENAME - len(extension) - 1]}.{extension}"
        else:
            name = name[:MAX_FILENAME]
    return name


def _attachment_problems(index, attachment, problems):
    if not isinstance(attachment, VoucherAttachment):
        problems.append(f"attachment {index} must be a VoucherAttachment, got {attachment!r}")
        return
    name = attachment.filename
    label = f"attachment {index}"
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{label}: file name is empty")
    elif len(name) > MAX_FILENAME:
        problems.append(f"{label}: file name is {len(name)} characters long (at most 255)")
    elif _CONTROL.search(name):
        problems.append(f"{label}: file name contains control characters")
    elif "/" in name or "\\" in name:
        problems.append(f"{label}: file name {name!r} contains a path separator")
    else:
        label = f"attachment {index} ({name})"
    mimetype = attachment.mimetype
    if not is_mimetype(mimetype):
        problems.append(f"{label}: MIME type must look like type/subtype, got {mimetype!r}")
    if not _is_size(attachment.size):
        problems.append(f"{label}: size must be a number of bytes, got {attachment.size!r}")
    elif attachment.size == 0:
        # documentdata is required and may not be sent empty (API.md §1.3, §4.1)
        problems.append(f"{label}: the document is empty")
    if not callable(attachment.open):
        problems.append(f"{label}: open must be a function returning a binary file")
    _check_text(problems, f"{label}: description", attachment.description)


def attachments_size(voucher):
    """Bytes of the voucher's attachments together (sizes that are not numbers skipped)."""
    return sum(
        a.size
        for a in _attachments(voucher)
        if isinstance(a, VoucherAttachment) and _is_size(a.size)
    )


def _attachments(voucher):
    attachments = voucher.attachments
    return attachments if isinstance(attachments, (tuple, list)) else ()


def _over_cap(voucher, max_attachment_bytes):
    """The attachments' total size when it exceeds ``max_attachment_bytes``, else None."""
    if max_attachment_bytes is None:
        return None
    if not _is_size(max_attachment_bytes):
        raise ValueError("max_attachment_bytes must be None or a number of bytes (0 or more)")
    total = attachments_size(voucher)
    return total if total > max_attachment_bytes else None


def voucher_problems(voucher, max_attachment_bytes=None):
    """Every reason why Netvisor would (or should) refuse ``voucher``; empty if none.

    ``max_attachment_bytes``: the caller's cap on the attachments together (Netvisor
    documents none, API.md §11.3); None for no cap."""
    problems = _voucher_problems(voucher)
    total = _over_cap(voucher, max_attachment_bytes)
    if total is not None:
        problems.append(attachment_cap_problem(total, max_attachment_bytes))
    return problems


def _voucher_problems(voucher):
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
    if not isinstance(voucher.attachments, (tuple, list)):
        problems.append("attachments must be a tuple of VoucherAttachment")
    for index, attachment in enumerate(_attachments(voucher), start=1):
        _attachment_problems(index, attachment, problems)
    return problems


def validate_voucher(voucher, max_attachment_bytes=None):
    """Raise VoucherValidationError listing all problems, before any request is made.

    When the attachments' total over ``max_attachment_bytes`` is the only problem, the
    error is ``AttachmentTooLarge`` (with ``size`` and ``limit``), so the caller can say
    exactly that."""
    problems = _voucher_problems(voucher)
    total = _over_cap(voucher, max_attachment_bytes)
    if total is not None and not problems:
        raise AttachmentTooLarge(total, max_attachment_bytes)
    if total is not None:
        problems.append(attachment_cap_problem(total, max_attachment_bytes))
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
    """Validate ``voucher`` and return the accounting.nv body: UTF-8, no XML declaration.

    With attachments this is the whole body in memory, documents included: to send them,
    use ``build_voucher_body``, which streams them."""
    validate_voucher(voucher)
    if voucher.attachments:
        return b"".join(build_voucher_body(voucher).chunks())
    return _voucher_xml(voucher)


def _voucher_xml(voucher):
    """The body with every ``documentdata`` empty (``<documentdata></documentdata>``)."""
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
    if voucher.attachments:  # after the lines, children in DTD order (API.md §4.1)
        container = _sub(node, "voucherattachments")
        for attachment in voucher.attachments:
            item = _sub(container, "voucherattachment")
            _sub(item, "mimetype", attachment.mimetype)
            _sub(item, "attachmentdescription", attachment.description or attachment.filename)
            _sub(item, "filename", attachment.filename)
            _sub(item, "documentdata", "")
    return etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def _base64_length(size):
    return 4 * ((size + 2) // 3)


def placeholder(info):
    """What stands for a document in the stored body: ``[sha256=<hex> bytes=<n>]``."""
    return f"[sha256={info.sha256} bytes={info.size}]".encode("ascii")


def _unreadable(index, attachment, problem):
    return AttachmentUnreadable([f"attachment {index} ({attachment.filename}): {problem}"])


def _reason(exc):
    """Short cause of a read failure: the exception's name and the OS's words, no path."""
    detail = getattr(exc, "strerror", None)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _blocks(index, attachment):
    """The document's bytes from a freshly opened file, ``READ_CHUNK`` at a time (a file
    may return fewer); any failure to open or read is ``AttachmentUnreadable``."""
    try:
        handle = attachment.open()
    except Exception as exc:
        raise _unreadable(index, attachment, f"cannot be opened ({_reason(exc)})") from None
    try:
        while True:
            try:
                block = handle.read(READ_CHUNK)
            except Exception as exc:
                raise _unreadable(index, attachment, f"cannot be read ({_reason(exc)})") from None
            if not block:
                return
            if not isinstance(block, (bytes, bytearray)):
                raise _unreadable(index, attachment, "open() must return a binary file")
            yield bytes(block)
    finally:
        with contextlib.suppress(Exception):  # closing after reading: nothing left to lose
            handle.close()


def _digest(index, attachment):
    """One streaming pass: the document's SHA-256, and its size checked."""
    digest, size = hashlib.sha256(), 0
    for block in _blocks(index, attachment):
        size += len(block)
        if size > attachment.size:
            break
        digest.update(block)
    if size != attachment.size:
        raise _unreadable(index, attachment, f"reads differently than its size {attachment.size}")
    return AttachmentInfo(
        attachment.filename, attachment.size, attachment.mimetype, digest.hexdigest()
    )


def _encoded(index, attachment, info):
    """Base64 of the document in chunks, read afresh. A document that no longer matches
    ``info`` (size or SHA-256) raises before its closing tag: the body stays incomplete."""
    digest, size, carry = hashlib.sha256(), 0, b""
    for block in _blocks(index, attachment):
        size += len(block)
        if size > info.size:
            raise _unreadable(index, attachment, "changed after the voucher was built (larger)")
        digest.update(block)
        if carry:
            block = carry + block
        cut = len(block) - len(block) % 3
        carry = block[cut:]
        if cut:
            yield base64.b64encode(block[:cut])
    if size != info.size or digest.hexdigest() != info.sha256:
        raise _unreadable(index, attachment, "changed after the voucher was built")
    if carry:
        yield base64.b64encode(carry)


@dataclass(frozen=True)
class VoucherBody:
    """An accounting.nv body whose documents are streamed from their files.

    ``stored``: the complete XML to keep for the record, each ``documentdata`` holding
    ``[sha256=<hex> bytes=<n>]`` instead of the base64. ``length``: the exact byte
    length of the real body (its Content-Length). ``digests``: an ``AttachmentInfo``
    per attachment, comparable with what ``get_voucher_attachments`` reads back.
    ``chunks()`` returns a fresh iterator of the real body's bytes on every call (for a
    retry): the XML up to the first document, its base64 in chunks, the XML between
    documents, and so on; memory stays at a chunk whatever the documents' size."""

    stored: bytes
    length: int
    digests: tuple = ()
    _segments: tuple = field(default=(), repr=False, compare=False)
    _attachments: tuple = field(default=(), repr=False, compare=False)

    def chunks(self):
        return self._stream()

    def _stream(self):
        yield self._segments[0]
        pairs = zip(self._attachments, self.digests, strict=True)
        for index, (attachment, info) in enumerate(pairs, start=1):
            yield from _encoded(index, attachment, info)
            yield self._segments[index]


def build_voucher_body(voucher, max_attachment_bytes=None):
    """Validate ``voucher`` (attachments over ``max_attachment_bytes`` together are
    ``AttachmentTooLarge``) and return its ``VoucherBody``. Each document is read once
    here, streaming, for its SHA-256 and to check its size (``AttachmentUnreadable``).

    Element order and escaping are ``build_voucher_xml``'s; without attachments the body
    is exactly its bytes."""
    validate_voucher(voucher, max_attachment_bytes)
    xml = _voucher_xml(voucher)
    attachments = tuple(voucher.attachments)
    if not attachments:
        return VoucherBody(stored=xml, length=len(xml), _segments=(xml,))
    # Text is escaped, so the tag only occurs where an empty document was written.
    parts = xml.split(_DOCUMENT)
    if len(parts) != len(attachments) + 1:  # pragma: no cover - the builder wrote them
        raise AssertionError("documentdata elements do not match the attachments")
    digests = tuple(_digest(i, a) for i, a in enumerate(attachments, start=1))
    segments = (
        parts[0] + b"<documentdata>",
        *(b"</documentdata>" + part + b"<documentdata>" for part in parts[1:-1]),
        b"</documentdata>" + parts[-1],
    )
    stored = parts[0] + b"".join(
        b"<documentdata>" + placeholder(info) + b"</documentdata>" + part
        for info, part in zip(digests, parts[1:], strict=True)
    )
    length = sum(map(len, segments)) + sum(_base64_length(a.size) for a in attachments)
    return VoucherBody(
        stored=stored,
        length=length,
        digests=digests,
        _segments=segments,
        _attachments=attachments,
    )


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
