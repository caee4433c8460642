"""The Netvisor resources: what each one does once the request is authenticated.

Each handler takes (request, company) and returns the payload elements of an OK
envelope, or raises NetvisorFault.
"""

import base64
import datetime
from dataclasses import dataclass
from urllib.parse import parse_qsl

from . import seed, validation
from . import store as store_module
from .envelope import HELSINKI, E
from .errors import NetvisorFault, invalid

MAX_KEYLIST = 500


@dataclass
class Request:
    """What a resource handler needs from the HTTP request."""

    body: bytes
    query: str
    base_url: str
    store: object
    settings: object


def finnish_date(value: datetime.date) -> str:
    return f"{value.day}.{value.month}.{value.year}"


def amount_text(cents: int) -> str:
    """Decimal comma, two decimals, leading minus (e.g. `-1000,00`)."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100},{abs(cents) % 100:02d}"


# -- writes ------------------------------------------------------------------------------
def accounting(request: Request, company) -> list[E]:
    voucher, lines = validation.parse_voucher(
        request.body, company, request.store, request.settings
    )
    key = request.store.insert_voucher(company.id, voucher, lines)
    return [E("Replies", [E("InsertedDataIdentifier", key)])]


def invalidatevouchers(request: Request, company) -> list[E]:
    keys, comment = validation.parse_invalidation(request.body, company, request.store)
    marks = ",".join("?" * len(keys))
    for voucher in request.store.vouchers(
        company.id, f"AND netvisor_key IN ({marks}) AND status = 'deleted'", tuple(keys)
    ):  # deleted in the UI: gone for the API, as for the ledger
        raise invalid("voucher_not_found", key=voucher["netvisor_key"])
    request.store.invalidate_vouchers(keys, comment)
    return []


def dimensionitem(request: Request, company) -> list[E]:
    """API.md §11.2, `method=add`: a new item under an existing header (the new item's
    key in `Replies/InsertedDataIdentifier`); counted as `dimension_items_added`.
    `method=edit` is not supported by the sandbox."""
    params = _params(request)
    if "method" not in params:
        raise invalid("parameter_missing", name="method")
    method = params["method"].strip().lower()
    if method == "edit":
        raise invalid("method_unsupported", method="edit")
    if method != "add":
        raise invalid("parameter_invalid", name="method", value=params["method"][:20])
    wanted = validation.parse_dimension_item(request.body, company, request.store)
    try:
        key = request.store.add_dimension_item(
            company.id,
            wanted["header"],
            wanted["item"],
            father=wanted["father"],
            father_id=wanted["father_id"],
            hidden=wanted["hidden"],
            count_as="dimension_items_added",
        )
    except store_module.DimensionExists:  # added by a concurrent request meanwhile
        raise NetvisorFault(
            "DUPLICATE_DATA", "dimension_item_exists", name=wanted["header"], item=wanted["item"]
        ) from None
    return [E("Replies", [E("InsertedDataIdentifier", key)])]


# -- reads -------------------------------------------------------------------------------
def accountlist(request: Request, company) -> list[E]:
    defaults = [E(name, number) for name, number in seed.DEFAULT_ACCOUNTS.items()]
    accounts = []
    for row in request.store.account_rows(company.id):
        children = [
            E("NetvisorKey", row["netvisor_key"]),
            E("Number", row["number"] or ""),
            E("Name", row["name"]),
        ]
        if row["name_en"]:
            children.append(E("ForeignName", row["name_en"], {"ISO-3166": "en"}))
        children += [
            E("AccountType", row["account_type"]),
            E("FatherNetvisorKey", row["father_key"]),
            E("IsActive", row["is_active"]),
            E("IsCumulative", 0),
            E("Sort", row["sort"]),
            E("EndSort", row["end_sort"]),
            E("IsNaturalNegative", row["natural_negative"]),
        ]
        accounts.append(E("Account", children))
    return [E("AccountList", [E("CompanyDefaultAccounts", defaults), E("Accounts", accounts)])]


def accountingperiodlist(request: Request, company) -> list[E]:
    """The sibling layout with `d.M.yyyy` dates (captured from Netvisor, the default) or
    the documented nested one with ISO dates; both say `format="ansi"` (API.md §11.1)."""
    sibling = request.settings.period_list_layout == "sibling"
    date_text = finnish_date if sibling else datetime.date.isoformat

    def date(tag: str, value: datetime.date | None) -> E:
        return E(tag, date_text(value) if value else "", {"format": "ansi"})

    locks = [
        date("AccountingPeriodLockDate", company.accounting_lock),
        date("VatPeriodLockDate", company.vat_lock),
        date("PurchaseLockDate", company.purchase_lock),
    ]
    periods = [
        E(
            "Period",
            [
                E("NetvisorKey", key),
                E("Name", name),
                date("BeginDate", begin),
                date("EndDate", end),
            ],
        )
        for key, name, begin, end in request.store.periods(company.id)
    ]
    if sibling:
        content = [E("PeriodLockInformation", locks), *periods]
    else:
        content = [E("PeriodLockInformation", locks + periods)]
    return [E("AccountingPeriodList", content)]


def vouchertypelist(request: Request, company) -> list[E]:
    defaults = [
        E(name, [E("NetvisorKey", key)]) for name, key in seed.DEFAULT_VOUCHER_TYPES.items()
    ]
    types = []
    for row in request.store.voucher_types(company.id):
        children = [
            E("NetvisorKey", row["netvisor_key"]),
            E("Abbreviation", row["abbreviation"]),
            E("Name", row["name"]),
        ]
        if row["name_en"]:
            children.append(E("ForeignName", row["name_en"], {"ISO-639-1": "en"}))
        types.append(E("VoucherType", children))
    return [E("VoucherTypeList", [E("DefaultVoucherTypes", defaults), E("VoucherTypes", types)])]


def _flag(value: bool) -> str:
    """Booleans of dimensionlist.nv as Netvisor writes them there: True / False."""
    return "True" if value else "False"


def dimensionlist(request: Request, company) -> list[E]:
    """API.md §11.2: headers with their items; hidden ones only with `showhidden=1`."""
    params = _params(request)
    show_hidden = params.get("showhidden", "0").strip()
    if show_hidden not in ("0", "1"):
        raise invalid("parameter_invalid", name="showhidden", value=show_hidden[:10])
    headers = []
    for header in request.store.dimensions(company.id):
        if header.is_hidden and show_hidden != "1":
            continue
        details = [
            E(
                "DimensionDetail",
                [
                    E("Netvisorkey", item.netvisor_key),
                    E("Name", item.name),
                    E("Code", item.code),
                    E("Label", item.label),
                    E("IsHidden", _flag(item.is_hidden)),
                    E("Level", item.level),
                    E("Sort", item.sort),
                    E("EndSort", item.end_sort),
                    E("FatherId", item.father_id),
                ],
            )
            for item in header.items
            if show_hidden == "1" or not item.is_hidden
        ]
        headers.append(
            E(
                "DimensionName",
                [
                    E("Netvisorkey", header.netvisor_key),
                    E("Name", header.name),
                    E("IsHidden", _flag(header.is_hidden)),
                    E("LinkType", header.link_type),
                    E("DimensionDetails", details),
                ],
            )
        )
    return [E("DimensionNameList", headers)]


def _params(request: Request) -> dict[str, str]:
    """Query parameters by lower-case name (Netvisor's names are case-insensitive)."""
    return {k.lower(): v for k, v in parse_qsl(request.query, keep_blank_values=True)}


def _int_param(params, name) -> int:
    value = params[name].strip()
    if not (value.isascii() and value.isdigit()):
        raise invalid("parameter_invalid", name=name, value=value[:40])
    return int(value)


def _date_param(params, name) -> datetime.date:
    try:
        return validation.parse_ansi_date(params[name].strip())
    except NetvisorFault:
        raise invalid("parameter_invalid", name=name, value=params[name][:40]) from None


def accountingledger(request: Request, company) -> list[E]:
    """Filters of API.md §6.4. A key lookup returns the voucher whatever its status (a
    deleted one only with `deleted_in_ledger`)."""
    params = _params(request)
    where, args = [], []
    by_key = "netvisorkey" in params or "netvisorkeylist" in params
    if by_key:
        # §6.4: only showgenerator may be combined with a key lookup; the sandbox is strict
        extra = sorted(set(params) - {"netvisorkey", "netvisorkeylist", "showgenerator"})
        if extra or ("netvisorkey" in params and "netvisorkeylist" in params):
            name = extra[0] if extra else "netvisorkeylist"
            raise invalid("parameter_invalid", name=name, value=params[name][:40])
    if "netvisorkey" in params:
        where.append("netvisor_key = ?")
        args.append(_int_param(params, "netvisorkey"))
    elif "netvisorkeylist" in params:
        parts = [p.strip() for p in params["netvisorkeylist"].split(",") if p.strip()]
        if len(parts) > MAX_KEYLIST:
            raise NetvisorFault(
                "INVALID_DATA_SIZE", "too_many_keys", count=len(parts), limit=MAX_KEYLIST
            )
        if not parts or not all(p.isascii() and p.isdigit() for p in parts):
            raise invalid(
                "parameter_invalid", name="netvisorkeylist", value=params["netvisorkeylist"][:40]
            )
        where.append(f"netvisor_key IN ({','.join('?' * len(parts))})")
        args += [int(p) for p in parts]
    else:
        has_range = "startdate" in params or "enddate" in params
        if has_range:
            for name in ("startdate", "enddate"):
                if name not in params:
                    raise invalid("parameter_missing", name=name)
            where.append("voucher_date BETWEEN ? AND ?")
            args += [
                _date_param(params, "startdate").isoformat(),
                _date_param(params, "enddate").isoformat(),
            ]
        modified = False
        for name, op in (("changedsince", ">="), ("lastmodifiedstart", ">=")):
            if name in params:
                where.append(f"modified_at {op} ?")
                args.append(_date_param(params, name).isoformat())
                modified = True
        if "lastmodifiedend" in params:
            end = _date_param(params, "lastmodifiedend") + datetime.timedelta(days=1)
            where.append("modified_at < ?")
            args.append(end.isoformat())
            modified = True
        if not has_range and not modified:
            raise invalid(
                "parameter_missing",
                name="netvisorkey | netvisorkeylist | startdate+enddate | changedsince",
            )
        if "vouchertype" in params:
            if (
                not has_range
                and "lastmodifiedstart" not in params
                and "lastmodifiedend" not in params
            ):
                raise invalid("parameter_missing", name="startdate+enddate")
            where.append("type_key = ?")
            args.append(_int_param(params, "vouchertype"))

    status = params.get("voucherstatus")
    if status is None and not by_key:
        status = "2"  # the documented default for date and modification queries
    if status not in (None, "1", "2", "3"):
        raise invalid("parameter_invalid", name="voucherstatus", value=status[:10])
    if status == "2":
        where.append("status = 'valid'")
    elif status == "3":
        where.append("status IN ('invalidated', 'deleted')")
    if not request.settings.deleted_in_ledger:  # strict: only deletedvouchers.nv knows them
        where.append("status != 'deleted'")

    vouchers = request.store.vouchers(company.id, "".join(f" AND {w}" for w in where), tuple(args))
    low = _int_param(params, "accountnumberstart") if "accountnumberstart" in params else None
    high = _int_param(params, "accountnumberend") if "accountnumberend" in params else None
    if low is not None or high is not None:
        vouchers = [
            v
            for v in vouchers
            if any(
                (low is None or int(line["account_number"]) >= low)
                and (high is None or int(line["account_number"]) <= high)
                for line in v["lines"]
            )
        ]
    history = params.get("includetransactionhistory", "0").strip() == "1"
    return [E("Vouchers", [_ledger_voucher(v, request.base_url, history) for v in vouchers])]


def _ledger_voucher(voucher: dict, base_url: str, history: bool) -> E:
    date = datetime.date.fromisoformat(voucher["voucher_date"])
    children = [
        E("NetvisorKey", voucher["netvisor_key"]),
        E("VoucherDate", finnish_date(date)),
        E("VoucherNumber", voucher["number"]),
        E("VoucherDescription", voucher["description"] or ""),
        E("VoucherClass", voucher["voucher_class"]),
        E("LinkedSourceNetvisorKey", "", {"type": ""}),
        E("VoucherNetvisorURI", f"{base_url}/voucher.nv?id={voucher['netvisor_key']}"),
    ]
    for line in voucher["lines"]:
        line_children = [
            E("NetvisorKey", line["netvisor_key"]),
            E("LineSum", amount_text(line["sum_cents"])),
            E("Description", line["description"] or ""),
            E("AccountNumber", line["account_number"]),
            E("VatPercent", line["vat_percent"].replace(".", ",")),
            E("VatCode", "-" if line["vat_code"] == "NONE" else line["vat_code"]),
        ]
        if line["account_dimension"] is not None:
            key = (
                line["account_dimension"] if line["account_dimension_type"] == "netvisorkey" else ""
            )
            line_children.append(
                E("AccountDimension", line["account_dimension"], {"netvisorkey": key})
            )
        for name, item in line["dimensions"]:
            line_children.append(
                E("Dimension", [E("DimensionName", name), E("DimensionItem", item)])
            )
        children.append(E("VoucherLine", line_children))
    if history:
        children.append(
            E(
                "TransactionHistory",
                [
                    E("Transaction", [E("Comment", h["comment"]), E("TimeStamp", h["at"])])
                    for h in voucher["history"]
                ],
            )
        )
    return E("Voucher", children, {"Status": voucher["status"]})


def deletedvouchers(request: Request, company) -> list[E]:
    """API.md §11.4: vouchers deleted since `deletedsince`, the last 7 days at most;
    `DeleteDate` in Finnish time like the envelope's TimeStamp."""
    params = _params(request)
    if "deletedsince" not in params:
        raise invalid("parameter_missing", name="deletedsince")
    since = _date_param(params, "deletedsince")
    return [
        E(
            "DeletedVouchers",
            [
                E(
                    "DeletedVoucher",
                    [
                        E("NetvisorKey", key),
                        E(
                            "DeleteDate",
                            at.astimezone(HELSINKI).strftime("%Y-%m-%d %H:%M"),
                            {"format": "ansi"},
                        ),
                    ],
                )
                for key, at in request.store.deleted_vouchers(company.id, since)
            ],
        )
    ]


def getvoucherattachments(request: Request, company) -> list[E]:
    """API.md §11.3: the documents of one voucher, `netvisorkey` required, as
    `Attachments/Attachment` → `Filename`, `SizeInBytes`, `MimeType`, `Content` (base64),
    in the order imported; none is an empty `<Attachments />`. A key that is not a
    voucher of this company (another company's included) is `INVALID_DATA` "not found",
    as a deleted one is (unless `deleted_in_ledger`); an invalidated one still answers."""
    params = _params(request)
    if "netvisorkey" not in params:
        raise invalid("parameter_missing", name="netvisorkey")
    key = _int_param(params, "netvisorkey")
    found = request.store.vouchers(company.id, "AND netvisor_key = ?", (key,))
    if not found or (found[0]["status"] == "deleted" and not request.settings.deleted_in_ledger):
        raise invalid("voucher_not_found", key=key)
    return [
        E(
            "Attachments",
            [
                E(
                    "Attachment",
                    [
                        E("Filename", item["filename"]),
                        E("SizeInBytes", item["size"]),
                        E("MimeType", item["mimetype"]),
                        E("Content", base64.b64encode(item["data"]).decode("ascii")),
                    ],
                )
                for item in request.store.attachments(company.id, key, with_data=True)
            ],
        )
    ]


def _account_keys(params, rows) -> list | None:
    """The accounts `netvisorkey` / `netvisorkeylist` ask for (None: not filtered); a key
    that is not one of the company's posting accounts is refused."""
    if "netvisorkey" in params and "netvisorkeylist" in params:
        raise invalid(
            "parameter_invalid", name="netvisorkeylist", value=params["netvisorkeylist"][:40]
        )
    if "netvisorkey" in params:
        name, parts = "netvisorkey", [params["netvisorkey"].strip()]
    elif "netvisorkeylist" in params:
        name = "netvisorkeylist"
        parts = [p.strip() for p in params[name].split(",") if p.strip()]
        if len(parts) > MAX_KEYLIST:
            raise NetvisorFault(
                "INVALID_DATA_SIZE", "too_many_keys", count=len(parts), limit=MAX_KEYLIST
            )
    else:
        return None
    by_key = {row["netvisor_key"]: row for row in rows if row["account_type"] == "account"}
    if not parts or not all(p.isascii() and p.isdigit() and int(p) in by_key for p in parts):
        raise invalid("parameter_invalid", name=name, value=params[name][:40])
    return [by_key[int(p)] for p in dict.fromkeys(parts)]


def accountbalance(request: Request, company) -> list[E]:
    """API.md §11.4. intervaltype 0: Debet/Kredit/Balance of all valid lines up to each
    date; 1-4: the two dates' range split into days, ISO weeks, months or years, the
    movements of each interval and the cumulative Balance at its last day."""
    params = _params(request)
    if "balancedates" not in params:
        raise invalid("parameter_missing", name="balancedates")
    texts = [p.strip() for p in params["balancedates"].split(",")]
    try:
        dates = [validation.parse_ansi_date(t) for t in texts]
    except NetvisorFault:
        raise invalid(
            "parameter_invalid", name="balancedates", value=params["balancedates"][:40]
        ) from None
    interval_type = 0
    if "intervaltype" in params:
        raw = params["intervaltype"].strip()
        if raw not in ("0", "1", "2", "3", "4"):
            raise invalid("parameter_invalid", name="intervaltype", value=raw[:10])
        interval_type = int(raw)
    try:
        intervals = store_module.balance_intervals(dates, interval_type)
    except ValueError:
        raise invalid(
            "parameter_invalid", name="balancedates", value=params["balancedates"][:40]
        ) from None
    rows = request.store.account_rows(company.id)
    wanted = _account_keys(params, rows)
    balances = request.store.account_balances(company.id, dates, interval_type)
    if wanted is None:
        wanted = [row for row in rows if row["number"] in balances]
    zeros = [(last, 0, 0, 0) for _, last in intervals]
    accounts = []
    for row in wanted:
        children = []
        if request.settings.account_balance_numbers:
            children += [E("Number", row["number"] or ""), E("Name", row["name"])]
        for day, debit, credit, balance in balances.get(row["number"], zeros):
            children.append(
                E(
                    "AccountBalance",
                    [
                        E("Debet", amount_text(debit)),
                        E("Kredit", amount_text(credit)),
                        E("Balance", amount_text(balance)),
                    ],
                    {"Date": day.isoformat(), "format": "ansi"},
                )
            )
        accounts.append(E("Account", children, {"Netvisorkey": row["netvisor_key"]}))
    return [E("AccountBalances", accounts)]


# resource name -> (HTTP method, handler)
RESOURCES = {
    "accounting": ("POST", accounting),
    "invalidatevouchers": ("POST", invalidatevouchers),
    "dimensionitem": ("POST", dimensionitem),
    "accountingledger": ("GET", accountingledger),
    "accountlist": ("GET", accountlist),
    "accountingperiodlist": ("GET", accountingperiodlist),
    "vouchertypelist": ("GET", vouchertypelist),
    "deletedvouchers": ("GET", deletedvouchers),
    "accountbalance": ("GET", accountbalance),
    "dimensionlist": ("GET", dimensionlist),
    "getvoucherattachments": ("GET", getvoucherattachments),
}
