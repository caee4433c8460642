"""Admin JSON API under /_sandbox/, guarded by X-Sandbox-Admin-Token (never by Netvisor
credentials). Used by tests and the demo to steer the sandbox."""

import datetime
import hmac
import json
import re
import secrets
from decimal import Decimal
from urllib.parse import parse_qsl, unquote

from . import seed
from .faults import STAGES
from .store import (
    MAX_DIMENSION_ITEM,
    DimensionExists,
    DimensionNotFound,
    VoucherNotFound,
    dimension_text,
)

TOKEN_HEADER = "X-Sandbox-Admin-Token"  # noqa: S105 - a header name, not a secret
LOCK_FIELDS = {
    "accounting_lock_date": "accounting_lock",
    "vat_lock_date": "vat_lock",
    "purchase_lock_date": "purchase_lock",
}


class AdminError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def handle(server, method: str, path: str, query: str, headers, body: bytes):
    """Return (HTTP status, JSON-able object)."""
    token = headers.get(TOKEN_HEADER) or ""
    if not hmac.compare_digest(
        token.encode("iso-8859-1", "replace"), server.admin_token.encode("ascii")
    ):
        return 401, {"error": f"missing or wrong {TOKEN_HEADER}"}
    try:
        data = json.loads(body) if body.strip() else {}
        if not isinstance(data, dict):
            raise AdminError(400, "JSON body must be an object")
        parts = [unquote(p) for p in path.strip("/").split("/")[1:]]
        return _route(server, method, parts, dict(parse_qsl(query)), data)
    except AdminError as error:
        return error.status, {"error": str(error)}
    except (ValueError, TypeError, KeyError, ArithmeticError) as error:
        return 400, {"error": f"bad request: {error}"}


def _route(server, method, parts, params, data):
    store = server.store
    match method, parts:
        case "GET", ["settings"]:
            return 200, server.settings.as_json()
        case "PATCH", ["settings"]:
            server.settings.update(data)
            return 200, server.settings.as_json()
        case "POST", ["latency"]:
            server.settings.update({"latency_ms": data["ms"]})
            return 200, server.settings.as_json()
        case "GET", ["faults"]:
            return 200, {"faults": server.faults.list()}
        case "POST", ["faults"]:
            fault = server.faults.add(
                data["mode"],
                data.get("count", 1),
                data.get("resource"),
                data.get("category"),
                data.get("text"),
                data.get("seconds"),
            )
            return 201, {"fault": fault.as_json(), "modes": sorted(STAGES)}
        case "DELETE", ["faults"]:
            server.faults.clear()
            return 200, {"faults": []}
        case "GET", ["chaos"]:
            return 200, server.chaos.status()
        case "PUT" | "POST", ["chaos"]:
            return 200, server.chaos.configure(data)
        case "DELETE", ["chaos"]:
            return 200, server.chaos.off()
        case "GET", ["stats"]:
            return 200, {**server.stats.as_json(), **store.counts.as_json()}
        case "DELETE", ["stats"]:
            return 200, {**server.stats.reset(), **store.counts.reset()}
        case "DELETE", ["transactions"]:
            return 200, {"forgotten": store.forget_transactions()}
        case "POST", ["partners"]:
            store.add_partner(_required(data, "partner_id"), _required(data, "partner_key"))
            return 201, {"partner_id": data["partner_id"]}
        case "GET", ["companies"]:
            return 200, {"companies": store.list_companies()}
        case "POST", ["companies"]:
            return 201, _create_company(store, data)
        case "PUT" | "PATCH", ["companies", org, "locks"]:
            company = _company(store, org)
            locks = {}
            for name, column in LOCK_FIELDS.items():
                if name in data:
                    value = data[name]
                    locks[column] = datetime.date.fromisoformat(value) if value else None
            store.set_locks(company.id, locks)
            return 200, _company_json(store, org)
        case "POST", ["companies", org, "users"]:
            company = _company(store, org)
            key = data.get("customer_key") or secrets.token_hex(16)
            store.add_api_user(company.id, _required(data, "customer_id"), key)
            return 201, {"customer_id": data["customer_id"], "customer_key": key}
        case "GET", ["companies", org, "dimensions"]:
            company = _company(store, org)
            return 200, {"dimensions": [_dimension_json(h) for h in store.dimensions(company.id)]}
        case "POST", ["companies", org, "dimensions"]:
            company = _company(store, org)
            return 201, _add_dimension(store, company.id, data)
        case "GET", ["companies", org, "vouchers"]:
            company = _company(store, org)
            where, args = "", ()
            if params.get("status"):
                where, args = "AND status = ?", (params["status"],)
            return 200, {
                "vouchers": [_voucher_json(v) for v in store.vouchers(company.id, where, args)]
            }
        case "DELETE", ["companies", org, "vouchers"]:
            company = _company(store, org)
            return 200, {"deleted": store.reset_vouchers(company.id)}
        case "POST", ["companies", org, "vouchers"]:
            company = _company(store, org)
            types = store.voucher_types(company.id)
            key = _tamper(
                store.add_voucher,
                company.id,
                _required(data, "date"),
                data.get("description"),
                data.get("voucher_class") or types[0]["name"],
                data.get("lines"),
            )
            return 201, {"netvisor_key": key}
        case "DELETE", ["companies", org, "vouchers", key]:
            company = _company(store, org)
            days_ago = data.get("days_ago", params.get("days_ago", 0))
            if isinstance(days_ago, str):
                days_ago = float(days_ago) if "." in days_ago else int(days_ago)
            _tamper(store.delete_voucher, company.id, key, days_ago)
            return 200, _one_voucher(store, company.id, key)
        case "PATCH", ["companies", org, "vouchers", key]:
            company = _company(store, org)
            _tamper(store.edit_voucher, company.id, key, data)
            return 200, _one_voucher(store, company.id, key)
        case "PATCH", ["companies", org, "vouchers", key, "lines", position]:
            company = _company(store, org)
            changes = {k: v for k, v in data.items() if k != "balance_position"}
            balance = data.get("balance_position")
            _tamper(store.edit_line, company.id, key, position, changes, balance)
            return 200, _one_voucher(store, company.id, key)
        case "GET", ["companies", org, "vouchers", key, "attachments"]:
            company = _company(store, org)
            return 200, {"attachments": _tamper(store.attachments, company.id, key)}
        case "DELETE", ["companies", org, "vouchers", key, "attachments"]:
            company = _company(store, org)
            return 200, {"deleted": _tamper(store.delete_attachments, company.id, key)}
        case "POST", ["companies", org, "vouchers", key, "duplicate"]:
            company = _company(store, org)
            return 201, {"netvisor_key": _tamper(store.duplicate_voucher, company.id, key)}
    raise AdminError(404, f"no admin endpoint {method} /_sandbox/{'/'.join(parts)}")


def _required(data: dict, name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise AdminError(400, f"{name} is required")
    return value.strip()


def _company(store, org):
    company = store.company(org)
    if company is None:
        raise AdminError(404, f"no company with organisation id {org}")
    return company


def _tamper(method, company_id, *args):
    """Run a tampering method of the store; a key not of this company is 404."""
    try:
        return method(company_id, *args)
    except VoucherNotFound as error:
        raise AdminError(404, str(error)) from None


def _one_voucher(store, company_id, key) -> dict:
    return _voucher_json(store.vouchers(company_id, "AND netvisor_key = ?", (int(key),))[0])


def _company_json(store, org) -> dict:
    return next(c for c in store.list_companies() if c["organisation_id"] == org)


def _create_company(store, data) -> dict:
    org = _required(data, "organisation_id")
    if not re.fullmatch(r"\d{7}-\d", org):
        raise AdminError(400, "organisation_id must look like 1234567-8")
    if store.company(org) is not None:
        raise AdminError(409, f"company {org} exists")
    package = data.get("package", "professional")
    if package not in ("basic", *seed.PACKAGES_WITH_API):
        raise AdminError(400, "package must be basic, professional, premium or payroll")
    company = seed.SeedCompany(
        _required(data, "name"),
        org,
        _required(data, "customer_id"),
        data.get("customer_key") or secrets.token_hex(16),
        package,
    )
    store.create_company(company)
    return {**_company_json(store, org), "customer_key": company.customer_key}


def _add_dimension(store, company_id: int, data: dict) -> dict:
    """{"name": header, "item"?: item, "hidden"?: bool, "label"?, "code"?, "father"?}:
    the header is created when missing (hidden with `hidden` and no item); with `item`
    the item too (`hidden` then hides the item). Answers the header with its items."""
    name, item = _required(data, "name"), data.get("item")
    hidden = data.get("hidden", False)
    if not isinstance(hidden, bool):
        raise AdminError(400, "hidden must be true or false")
    for field_name in ("label", "code", "father"):
        if data.get(field_name) is not None and not isinstance(data[field_name], str):
            raise AdminError(400, f"{field_name} must be text")
    exists = name in store.dimension_names(company_id)
    if item is not None:  # checked before a new header is written
        item = dimension_text(item, "item", MAX_DIMENSION_ITEM)
        if data.get("father") is not None and not exists:
            raise AdminError(404, f"dimension {name!r} has no item {data['father']!r}")
    try:
        if item is None:
            if exists:
                raise AdminError(409, f"dimension {name!r} exists")
            store.add_dimension_header(company_id, name, hidden)
        else:
            if not exists:
                store.add_dimension_header(company_id, name)
            store.add_dimension_item(
                company_id,
                name,
                item,
                father=data.get("father"),
                hidden=hidden,
                code=data.get("code") or "",
                label=data.get("label"),
            )
    except DimensionExists as error:
        raise AdminError(409, str(error)) from None
    except DimensionNotFound as error:
        raise AdminError(404, str(error)) from None
    header = next(h for h in store.dimensions(company_id) if h.name == name)
    return {"dimension": _dimension_json(header)}


def _dimension_json(header) -> dict:
    return {
        "netvisor_key": header.netvisor_key,
        "name": header.name,
        "is_hidden": header.is_hidden,
        "link_type": header.link_type,
        "items": [
            {
                "netvisor_key": item.netvisor_key,
                "name": item.name,
                "code": item.code,
                "label": item.label,
                "is_hidden": item.is_hidden,
                "level": item.level,
                "sort": item.sort,
                "end_sort": item.end_sort,
                "father_id": item.father_id,
            }
            for item in header.items
        ],
    }


def _voucher_json(voucher: dict) -> dict:
    return {
        "netvisor_key": voucher["netvisor_key"],
        "number": voucher["number"],
        "date": voucher["voucher_date"],
        "description": voucher["description"],
        "voucher_class": voucher["voucher_class"],
        "calculation_mode": voucher["calculation_mode"],
        "checked": bool(voucher["checked"]),
        "status": voucher["status"],
        "attachment_count": voucher["attachment_count"],
        "created_at": voucher["created_at"],
        "modified_at": voucher["modified_at"],
        "deleted_at": voucher["deleted_at"],
        "lines": [
            {
                "netvisor_key": line["netvisor_key"],
                "amount": str(Decimal(line["sum_cents"]).scaleb(-2)),
                "description": line["description"],
                "account_number": line["account_number"],
                "vat_percent": line["vat_percent"],
                "vat_code": line["vat_code"],
                "account_dimension": line["account_dimension"],
                "dimensions": line["dimensions"],
            }
            for line in voucher["lines"]
        ],
        "history": voucher["history"],
    }
