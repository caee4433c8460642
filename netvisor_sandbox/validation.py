"""Request bodies: decoding, DTD-like structure check (API.md §4.1, §4.6) and the
semantic rules of accounting.nv (§4, §5) and invalidatevouchers.nv."""

import base64
import binascii
import datetime
import hashlib
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from . import seed
from .errors import NetvisorFault, invalid, xml_invalid

# huge_tree: a document's base64 may exceed libxml2's 10 MB text-node limit; the body is
# bounded by Settings.max_body_bytes and entities are never resolved.
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=True,
    remove_comments=True,
    remove_pis=True,
)
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_LINESUM = re.compile(r"^-?\d+(?:[.,]\d{1,2})?$", re.ASCII)
_PERCENT = re.compile(r"^\d{1,3}(?:[.,]\d{1,4})?$", re.ASCII)
_ANSI_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$", re.ASCII)

FIELD_LIMIT = 255
MAX_INVALIDATE = 100
# dimensionitem.nv (API.md §11.2); an item created on import obeys the same limit
MAX_DIMENSION_NAME = 50
MAX_DIMENSION_ITEM = 200
_CONTROL = re.compile("[\x00-\x1f\x7f]")
# attachments (API.md §11.3): lengths UNCONFIRMED, the sandbox takes 255 like other texts
MAX_ATTACHMENT_TEXT = 255
_MIMETYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*")
_BASE64 = re.compile(rb"[A-Za-z0-9+/]*={0,2}")

# VAT codes (API.md §5): codes whose only allowed percent is 0, and the sides.
ZERO_ONLY_CODES = frozenset(
    {"NONE", "EUMY", "EUUM", "EUPM312", "EUPM309", "RAMY", "KOMY0", "EUUO", "100"}
)
MULTI_RATE_CODES = frozenset(
    {"KOMY", "KOOS", "EUOS", "EUPO", "EVTO", "EVPO", "RAOS", "EVRO", "KAVE", "EVKV", "MAAL", "EVMA"}
)
VAT_CODES = ZERO_ONLY_CODES | MULTI_RATE_CODES | {"MUUL"}
# Gross mode splits VAT off these codes (domestic sales / purchases).
GROSS_SPLIT = {"KOMY": "SalesVATDebt", "KOOS": "PurchaseVATReceivable"}


@dataclass(frozen=True)
class Rule:
    """One element of the DTD: name, occurrences, children (None = text leaf), attributes
    (name -> allowed values, lower case, or None for any) and required attributes."""

    name: str
    min: int = 1
    max: int | None = 1
    children: tuple["Rule", ...] | None = None
    attrs: dict = field(default_factory=dict)
    required_attrs: tuple[str, ...] = ()


def _leaf(name, occurs=(1, 1), attrs=None, required=()):
    return Rule(name, occurs[0], occurs[1], None, attrs or {}, required)


OPTIONAL = (0, 1)

VOUCHERLINE = Rule(
    "voucherline",
    1,
    None,
    (
        _leaf("linesum", attrs={"type": {"net", "gross"}}),
        _leaf("description", OPTIONAL),
        _leaf("accountnumber"),
        _leaf("vatpercent", attrs={"vatcode": None}),
        _leaf("accountdimension", OPTIONAL, {"type": {"netvisorkey", "name"}}, ("type",)),
        Rule("dimension", 0, None, (_leaf("dimensionname"), _leaf("dimensionitem"))),
    ),
)

ATTACHMENTS = Rule(
    "voucherattachments",
    0,
    1,
    (
        Rule(
            "voucherattachment",
            1,
            None,
            (
                _leaf("mimetype"),
                _leaf("attachmentdescription"),
                _leaf("filename"),
                _leaf("documentdata"),
            ),
        ),
    ),
)

ACCOUNTING = Rule(
    "root",
    children=(
        Rule(
            "voucher",
            children=(
                _leaf("calculationmode"),
                _leaf("voucherdate", attrs={"format": {"ansi"}}, required=("format",)),
                _leaf("number", OPTIONAL),
                _leaf("description", OPTIONAL),
                _leaf("voucherclass"),
                _leaf("checked", OPTIONAL),
                _leaf("comment", OPTIONAL),
                VOUCHERLINE,
                ATTACHMENTS,
            ),
        ),
    ),
)

INVALIDATE = Rule(
    "root",
    children=(
        Rule(
            "invalidatevouchers",
            children=(
                _leaf("comment", OPTIONAL),
                _leaf("invalidatevoucher", (1, None)),
            ),
            attrs={"identifier": {"netvisorkey"}},
            required_attrs=("identifier",),
        ),
    ),
)


# method=add (API.md §11.2): `fatheritem` names, `fatherid` keys the father (UNCONFIRMED
# order of the optional elements; the sandbox takes this one)
DIMENSION_ITEM = Rule(
    "root",
    children=(
        Rule(
            "dimensionitem",
            children=(
                _leaf("name"),
                _leaf("item"),
                _leaf("fatheritem", OPTIONAL),
                _leaf("fatherid", OPTIONAL),
                _leaf("ishidden", OPTIONAL),
            ),
        ),
    ),
)


# -- parsing and structure ---------------------------------------------------------------
def decode_body(raw: bytes) -> str:
    """UTF-8, falling back to ISO-8859-15; an XML declaration is dropped."""
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("iso-8859-15")
    return _DECLARATION.sub("", text, count=1)


def parse(raw: bytes, rule: Rule) -> etree._Element:
    """Parse, lower-case element and attribute names, check against `rule`."""
    try:
        root = etree.fromstring(decode_body(raw), _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        raise xml_invalid() from None
    if root.getroottree().docinfo.doctype:
        raise xml_invalid()
    for element in root.iter():
        if element.tag.startswith("{"):
            raise xml_invalid()
        element.tag = element.tag.lower()
        if element.attrib:
            attrs = {k.lower(): v for k, v in element.attrib.items()}
            element.attrib.clear()
            element.attrib.update(attrs)
    _check(root, rule)
    return root


def _check(element, rule: Rule) -> None:
    if element.tag != rule.name:
        raise xml_invalid()
    for name, value in element.attrib.items():
        if name not in rule.attrs:
            raise xml_invalid()
        allowed = rule.attrs[name]
        if allowed is not None and value.strip().lower() not in allowed:
            raise xml_invalid()
    if any(name not in element.attrib for name in rule.required_attrs):
        raise xml_invalid()
    if rule.children is None:
        if len(element) or (rule.min and not (element.text or "").strip()):
            raise xml_invalid()
        return
    if (element.text or "").strip() or any((c.tail or "").strip() for c in element):
        raise xml_invalid()
    children, i = list(element), 0
    for child_rule in rule.children:
        count = 0
        while (
            i < len(children)
            and children[i].tag == child_rule.name
            and (child_rule.max is None or count < child_rule.max)
        ):
            _check(children[i], child_rule)
            i, count = i + 1, count + 1
        if count < child_rule.min:
            raise xml_invalid()
    if i != len(children):
        raise xml_invalid()


def _text(parent, name) -> str | None:
    child = parent.find(name)
    if child is None:
        return None
    return (child.text or "").strip() or None


def _check_length(value: str | None, field_name: str, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise NetvisorFault(
            "INVALID_DATA_SIZE", "too_long", field=field_name, length=len(value), limit=limit
        )


def parse_ansi_date(value: str) -> datetime.date:
    """`YYYY-MM-DD`, also non-padded `2009-1-1` (API.md §1.3)."""
    match = _ANSI_DATE.match(value or "")
    try:
        if not match:
            raise ValueError(value)
        return datetime.date(*(int(g) for g in match.groups()))
    except ValueError:
        raise invalid("date_invalid", value=(value or "")[:40]) from None


def percent_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def allowed_percents(code: str, settings) -> frozenset:
    if code in ZERO_ONLY_CODES:
        return frozenset({Decimal(0)})
    if code == "MUUL":  # §5 lists 0, 10, 14, 24 (no general rate)
        return frozenset(p for p in settings.vat_percents if p != Decimal("25.5"))
    return settings.vat_percents


# -- accounting.nv -----------------------------------------------------------------------
def parse_voucher(raw: bytes, company, store, settings) -> tuple[dict, list[dict]]:
    """Validate an accounting.nv body; return voucher header and lines ready to store."""
    voucher_el = parse(raw, ACCOUNTING)[0]
    mode = _text(voucher_el, "calculationmode").lower()
    if mode not in ("net", "gross"):
        raise invalid("calculationmode_invalid", value=mode[:20])
    date = parse_ansi_date(_text(voucher_el, "voucherdate"))

    number = _text(voucher_el, "number")
    if number is not None:
        if not (number.isascii() and number.isdigit()):
            raise invalid("number_invalid", value=number[:20])
        _check_length(number, "number", 9)
    description = _text(voucher_el, "description")
    _check_length(description, "description", settings.description_limit)
    comment = _text(voucher_el, "comment")
    _check_length(comment, "comment", FIELD_LIMIT)
    voucher_class = _text(voucher_el, "voucherclass")
    type_key = _voucher_type_key(voucher_class, company, store, settings)
    checked = (_text(voucher_el, "checked") or "false").lower()
    if checked not in ("true", "false", "1", "0"):
        raise invalid("checked_invalid", value=checked[:20])

    if not any(begin <= date <= end for _, _, begin, end in store.periods(company.id)):
        raise invalid("date_no_period", date=date.isoformat())
    if company.accounting_lock and date <= company.accounting_lock:
        raise NetvisorFault("PERIOD_LOCK", "period_lock", date=date.isoformat())

    lines = [
        _parse_line(line_el, company, store, settings)
        for line_el in voucher_el.iterchildren("voucherline")
    ]
    if (
        company.vat_lock
        and date <= company.vat_lock
        and any(line["vat_code"] != "NONE" for line in lines)
    ):
        raise NetvisorFault("PERIOD_LOCK", "period_lock", date=date.isoformat())
    if mode == "gross":
        lines = _split_gross(lines)
    total = sum(line["cents"] for line in lines)
    if total and mode == "net":
        raise invalid("unbalanced", difference=_cents_text(total))
    attachments = _attachments(voucher_el)
    voucher = {
        "calculation_mode": mode,
        "date": date,
        "number": int(number) if number is not None else None,
        "description": description,
        "voucher_class": voucher_class,
        "type_key": type_key,
        "checked": checked in ("true", "1"),
        "comment": comment,
        "attachment_count": len(attachments),
        "attachments": attachments,
    }
    return voucher, lines


def _attachments(voucher_el) -> list[dict]:
    """`voucherattachments/voucherattachment` (order checked by the DTD rule): filename,
    mimetype, description and the decoded document with its size and SHA-256. Strict:
    `documentdata` must be plain base64 (no whitespace inside, correct padding), the
    MIME type `type/subtype`, file name and description at most 255 characters."""
    container = voucher_el.find("voucherattachments")
    found = []
    for position, element in enumerate(
        () if container is None else container.iterchildren("voucherattachment"), start=1
    ):
        filename = _text(element, "filename")
        description = _text(element, "attachmentdescription")
        mimetype = _text(element, "mimetype")
        _check_length(filename, "filename", MAX_ATTACHMENT_TEXT)
        _check_length(description, "attachmentdescription", MAX_ATTACHMENT_TEXT)
        if not _MIMETYPE.fullmatch(mimetype) or len(mimetype) > MAX_ATTACHMENT_TEXT:
            raise invalid(
                "attachment_mimetype_invalid",
                position=position,
                filename=filename[:100],
                value=mimetype[:60],
            )
        encoded = _text(element, "documentdata").encode("ascii", "replace")
        try:
            if len(encoded) % 4 or not _BASE64.fullmatch(encoded):
                raise ValueError(position)
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise invalid(
                "attachment_data_invalid", position=position, filename=filename[:100]
            ) from None
        found.append(
            {
                "filename": filename,
                "mimetype": mimetype,
                "description": description,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "data": data,
            }
        )
    return found


def _voucher_type_key(voucher_class, company, store, settings) -> int:
    """voucherclass must equal a voucher type's full Name (abbreviations never match)."""
    for row in store.voucher_types(company.id):
        names = [row["name"]]
        if settings.accept_foreign_voucher_class and row["name_en"]:
            names.append(row["name_en"])
        if voucher_class in names:
            return row["netvisor_key"]
    raise invalid("voucherclass_unknown", value=voucher_class[:100])


def _parse_line(line_el, company, store, settings) -> dict:
    raw_sum = _text(line_el, "linesum")
    if not _LINESUM.match(raw_sum):
        raise invalid("linesum_invalid", value=raw_sum[:40])
    cents = int(Decimal(raw_sum.replace(",", ".")) * 100)
    description = _text(line_el, "description")
    _check_length(description, "description", settings.description_limit)

    number = _text(line_el, "accountnumber")
    account = store.accounts(company.id).get(number)
    if account is None:
        raise invalid("account_not_found", number=number[:20])
    if account.account_type != "account":
        raise invalid("account_is_group", number=number)
    if not account.is_active:
        raise invalid("account_inactive", number=number)

    percent_el = line_el.find("vatpercent")
    raw_percent = (percent_el.text or "").strip()
    if not _PERCENT.match(raw_percent):
        raise invalid("vat_percent_invalid", value=raw_percent[:20])
    percent = Decimal(raw_percent.replace(",", "."))
    code = percent_el.get("vatcode")
    code = account.vat_code if code is None else code.strip()
    if code not in VAT_CODES:
        raise invalid("vat_code_unknown", code=code[:20])
    if percent not in allowed_percents(code, settings):
        raise invalid("vat_conflict", code=code, percent=percent_text(percent).replace(".", ","))

    dimension_el = line_el.find("accountdimension")
    return {
        "cents": cents,
        "description": description,
        "account_number": number,
        "vat_percent": percent_text(percent),
        "vat_code": code,
        "account_dimension": None if dimension_el is None else (dimension_el.text or "").strip(),
        "account_dimension_type": None if dimension_el is None else dimension_el.get("type"),
        "dimensions": _line_dimensions(line_el, company, store, settings),
    }


def _line_dimensions(line_el, company, store, settings) -> list[list[str]]:
    """(header, item) pairs of a line, matched exactly against the headers' and items'
    `Name`s (hidden ones included). An unknown header is refused; an unknown item is
    left for the store to create (Netvisor's behaviour, API.md §11.2) unless the
    settings refuse it; one item per header and line (the safe reading of §11.2)."""
    elements = list(line_el.iterchildren("dimension"))
    if not elements:
        return []
    known = store.dimension_names(company.id)
    pairs, seen = [], set()
    for element in elements:
        name, item = _text(element, "dimensionname"), _text(element, "dimensionitem")
        if name in seen:
            raise invalid("dimension_repeated", name=name[:MAX_DIMENSION_NAME])
        seen.add(name)
        if name not in known:
            raise invalid("dimension_unknown", name=name[:100])
        if item not in known[name]:
            if settings.refuse_unknown_dimension_items:
                raise invalid("dimension_item_unknown", name=name, item=item[:MAX_DIMENSION_ITEM])
            _check_length(item, "dimensionitem", MAX_DIMENSION_ITEM)
            if _CONTROL.search(item):
                raise invalid("dimension_text_invalid", field="dimensionitem")
        pairs.append([name, item])
    return pairs


def _split_gross(lines: list[dict]) -> list[dict]:
    """Gross mode: split VAT off KOMY/KOOS lines to the default VAT accounts, then book
    any difference to the rounding account (API.md §4, simplified)."""
    result = []
    for line in lines:
        percent = Decimal(line["vat_percent"])
        target = GROSS_SPLIT.get(line["vat_code"])
        if not target or not percent:
            result.append(line)
            continue
        net = (Decimal(line["cents"]) * 100 / (100 + percent)).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        result.append({**line, "cents": int(net)})
        result.append(
            _generated_line(
                line["cents"] - int(net), target, f"ALV {percent_text(percent).replace('.', ',')} %"
            )
        )
    total = sum(line["cents"] for line in result)
    if total:
        result.append(_generated_line(-total, "RoundingOffDifference", "Pyöristysero"))
    return result


def _generated_line(cents: int, default_account: str, description: str) -> dict:
    return {
        "cents": cents,
        "description": description,
        "account_number": seed.DEFAULT_ACCOUNTS[default_account],
        "vat_percent": "0",
        "vat_code": "NONE",
        "account_dimension": None,
        "account_dimension_type": None,
        "dimensions": [],
    }


def _cents_text(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100},{abs(cents) % 100:02d}"


# -- dimensionitem.nv --------------------------------------------------------------------
def parse_dimension_item(raw: bytes, company, store) -> dict:
    """Validate a dimensionitem.nv method=add body: the header must exist, the item must
    be new under it (DUPLICATE_DATA otherwise), a father must be an item of the header.
    Returns header, item, father (name), father_id (key) and hidden."""
    element = parse(raw, DIMENSION_ITEM)[0]
    name, item = _text(element, "name"), _text(element, "item")
    _check_length(name, "name", MAX_DIMENSION_NAME)
    _check_length(item, "item", MAX_DIMENSION_ITEM)
    for field_name, value in (("name", name), ("item", item)):
        if _CONTROL.search(value):
            raise invalid("dimension_text_invalid", field=field_name)
    header = next((h for h in store.dimensions(company.id) if h.name == name), None)
    if header is None:
        raise invalid("dimension_unknown", name=name)
    if any(existing.name == item for existing in header.items):
        raise NetvisorFault("DUPLICATE_DATA", "dimension_item_exists", name=name, item=item)
    father = _text(element, "fatheritem")
    father_id = _text(element, "fatherid")
    if father is not None and not any(i.name == father for i in header.items):
        raise invalid("dimension_father_unknown", name=name, item=father[:MAX_DIMENSION_ITEM])
    if father_id is not None and not any(
        str(i.netvisor_key) == father_id and (father is None or i.name == father)
        for i in header.items
    ):
        raise invalid("dimension_father_unknown", name=name, item=father_id[:20])
    hidden = (_text(element, "ishidden") or "0").lower()
    if hidden not in ("0", "1", "true", "false"):
        raise invalid("parameter_invalid", name="ishidden", value=hidden[:20])
    return {
        "header": name,
        "item": item,
        "father": father,
        "father_id": int(father_id) if father_id is not None else None,
        "hidden": hidden in ("1", "true"),
    }


# -- invalidatevouchers.nv ---------------------------------------------------------------
def parse_invalidation(raw: bytes, company, store) -> tuple[list[int], str | None]:
    """Validate an invalidatevouchers.nv body; return the keys and the comment."""
    element = parse(raw, INVALIDATE)[0]
    comment = _text(element, "comment")
    _check_length(comment, "comment", FIELD_LIMIT)
    texts = [(v.text or "").strip() for v in element.iterchildren("invalidatevoucher")]
    if len(texts) > MAX_INVALIDATE:
        raise NetvisorFault(
            "INVALID_DATA_SIZE", "too_many_keys", count=len(texts), limit=MAX_INVALIDATE
        )
    keys = []
    for text in texts:
        if not (text.isascii() and text.isdigit()):
            raise invalid("voucher_not_found", key=text[:20])
        keys.append(int(text))
    found = {
        v["netvisor_key"]: v
        for v in store.vouchers(
            company.id, f"AND netvisor_key IN ({','.join('?' * len(keys))})", tuple(keys)
        )
    }
    for key in keys:
        voucher = found.get(key)
        if voucher is None:
            raise invalid("voucher_not_found", key=key)
        date = datetime.date.fromisoformat(voucher["voucher_date"])
        if company.accounting_lock and date <= company.accounting_lock:
            raise NetvisorFault("PERIOD_LOCK", "period_lock", date=date.isoformat())
    return keys, comment
