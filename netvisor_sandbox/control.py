"""`python3 -m netvisor_sandbox.control`: the admin API from the command line.

For the demo, fault campaigns and trying failure paths by hand: lock a period, queue
faults or turn chaos on, add latency, read request stats, list or reset stored vouchers,
and tamper with the ledger as a person in Netvisor would (delete a voucher, edit a line,
duplicate a voucher, book one by hand) to exercise reconciliation; list a voucher's
attachments; list a company's dimensions (cost objects) and add headers or items.
The admin token is read from DATA/admin_token (as `make demo` and the sandbox itself keep
it) unless --token is given.
"""

import argparse
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

from .faults import STAGES


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def _days(value: str) -> int | float:
    days = float(value)
    if not days >= 0:
        raise argparse.ArgumentTypeError("days must be a number of days, 0 or more")
    return int(days) if days.is_integer() else days


def _line(value: str) -> dict:
    """`AMOUNT:ACCOUNT[:VATCODE:PERCENT]`, e.g. `-100.00:3000:KOMY:25.5`."""
    parts = [part.strip() for part in value.split(":")]
    if len(parts) not in (2, 4) or not all(parts):
        raise argparse.ArgumentTypeError("a line is AMOUNT:ACCOUNT[:VATCODE:PERCENT]")
    line = {"amount": parts[0].replace(",", "."), "account_number": parts[1]}
    if len(parts) == 4:
        line.update(vat_code=parts[2], vat_percent=parts[3].replace(",", "."))
    return line


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python3 -m netvisor_sandbox.control", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--url", default="http://127.0.0.1:8090", help="the running sandbox")
    parser.add_argument("--data", default=".local/sandbox", help="where admin_token lives")
    parser.add_argument("--token", help="admin token (default: DATA/admin_token)")
    sub = parser.add_subparsers(dest="command", required=True)
    lock = sub.add_parser("lock", help="set (or clear with 'none') a company's lock dates")
    lock.add_argument("organisation_id")
    lock.add_argument("accounting_lock_date", help="YYYY-MM-DD or none")
    lock.add_argument("--vat", dest="vat_lock_date", help="VAT lock date, YYYY-MM-DD")
    fault = sub.add_parser("fault", help="queue a fault for the next requests")
    fault.add_argument("mode", choices=tuple(STAGES))
    fault.add_argument("--count", type=int, default=1)
    fault.add_argument("--resource", help="only for this resource, e.g. accounting.nv")
    fault.add_argument("--category", help="with 'fail': e.g. INVALID_DATA")
    fault.add_argument("--text", help="with 'fail': Netvisor's text")
    fault.add_argument("--seconds", type=float, help="with 'hang': how long (default 5)")
    sub.add_parser("clear-faults", help="drop queued faults")
    chaos = sub.add_parser("chaos", help="random faults on every request: on, off or status")
    chaos.add_argument("action", choices=("on", "off", "status"))
    chaos.add_argument("--probability", type=float, default=0.5, help="per request (0..1)")
    chaos.add_argument("--seed", type=int, help="default: a random one, shown by status")
    chaos.add_argument("--kinds", type=_names, help="comma-separated modes (default all but fail)")
    chaos.add_argument("--hang-seconds", type=float, help="how long a drawn hang lasts")
    chaos.add_argument("--resources", type=_names, help="comma-separated, default all")
    stats = sub.add_parser("stats", help="requests, overlaps and faults per organisation")
    stats.add_argument("--reset", action="store_true", help="and start counting afresh")
    latency = sub.add_parser("latency", help="answer every request this much later")
    latency.add_argument("ms", type=int)
    vouchers = sub.add_parser("vouchers", help="list a company's stored vouchers (JSON)")
    vouchers.add_argument("organisation_id")
    attachments = sub.add_parser(
        "attachments", help="a voucher's stored attachments (JSON, without their content)"
    )
    attachments.add_argument("organisation_id")
    attachments.add_argument("key", help="the voucher's NetvisorKey")
    remove = sub.add_parser(
        "delete-attachments", help="remove a voucher's attachments as a person in Netvisor would"
    )
    remove.add_argument("organisation_id")
    remove.add_argument("key", help="the voucher's NetvisorKey")
    reset = sub.add_parser("reset", help="delete a company's stored vouchers")
    reset.add_argument("organisation_id")
    delete = sub.add_parser("delete", help="delete one voucher as a person in Netvisor would")
    delete.add_argument("organisation_id")
    delete.add_argument("key", help="the voucher's NetvisorKey")
    delete.add_argument("--days-ago", type=_days, help="date the deletion back (8: forgotten)")
    edit = sub.add_parser("edit-line", help="edit one line of a voucher (position from 1)")
    edit.add_argument("organisation_id")
    edit.add_argument("key", help="the voucher's NetvisorKey")
    edit.add_argument("position", type=int, help="the line, 1 = first")
    edit.add_argument("--amount", help="new amount in euros, e.g. 12.34 or -5.00")
    edit.add_argument("--balance-line", type=int, help="with --amount: the line that absorbs it")
    edit.add_argument("--account", help="new account number")
    edit.add_argument("--vat-code", help="new VAT code, e.g. KOMY")
    edit.add_argument("--vat-percent", help="new VAT percent, e.g. 25.5")
    edit.add_argument("--description", help="new line description")
    head = sub.add_parser("edit-voucher", help="change a voucher's description or date")
    head.add_argument("organisation_id")
    head.add_argument("key", help="the voucher's NetvisorKey")
    head.add_argument("--description", help="new description")
    head.add_argument("--date", help="new voucher date, YYYY-MM-DD")
    duplicate = sub.add_parser("duplicate", help="copy a voucher (as if imported twice)")
    duplicate.add_argument("organisation_id")
    duplicate.add_argument("key", help="the voucher's NetvisorKey")
    add = sub.add_parser("add-voucher", help="book a voucher by hand")
    add.add_argument("organisation_id")
    add.add_argument("date", help="YYYY-MM-DD")
    add.add_argument("description")
    add.add_argument(
        "--line",
        dest="lines",
        type=_line,
        action="append",
        required=True,
        help="AMOUNT:ACCOUNT[:VATCODE:PERCENT], repeatable; a negative amount as --line=-5:3000",
    )
    add.add_argument("--voucher-class", help="voucher type name (default: the first type)")
    dimensions = sub.add_parser("dimensions", help="a company's dimensions, hidden included")
    dimensions.add_argument("organisation_id")
    add_dimension = sub.add_parser(
        "add-dimension", help="add a dimension item (and its header when it is new)"
    )
    add_dimension.add_argument("organisation_id")
    add_dimension.add_argument("header", help="dimension name, e.g. Projekti")
    add_dimension.add_argument("item", nargs="?", help="item name (none: only the header)")
    add_dimension.add_argument("--hidden", action="store_true", help="hide the item (header)")
    add_dimension.add_argument("--label", help="item label (default: its name)")
    add_dimension.add_argument("--code", help="item code")
    add_dimension.add_argument("--father", help="the father item's name")
    args = parser.parse_args(argv)
    if args.command == "edit-line":
        if (args.amount is None) != (args.balance_line is None):
            parser.error("edit-line: --amount and --balance-line go together")
        if all(
            getattr(args, name) is None
            for name in ("amount", "account", "vat_code", "vat_percent", "description")
        ):
            parser.error("edit-line: nothing to change")
    if args.command == "edit-voucher" and args.description is None and args.date is None:
        parser.error("edit-voucher: nothing to change")
    return args


def _edit_line_body(args) -> dict:
    body = {}
    for option, name in (
        ("amount", "amount"),
        ("account", "account_number"),
        ("vat_code", "vat_code"),
        ("vat_percent", "vat_percent"),
        ("description", "description"),
    ):
        if getattr(args, option) is not None:
            body[name] = getattr(args, option)
    for name in ("amount", "vat_percent"):
        if name in body:
            body[name] = body[name].replace(",", ".")
    if args.balance_line is not None:
        body["balance_position"] = args.balance_line
    return body


def request_for(args):
    """(method, path, body) of the admin call the command stands for."""
    if args.command == "lock":
        day = None if args.accounting_lock_date == "none" else args.accounting_lock_date
        return (
            "PUT",
            f"companies/{args.organisation_id}/locks",
            {"accounting_lock_date": day, "vat_lock_date": args.vat_lock_date},
        )
    if args.command == "fault":
        body = {"mode": args.mode, "count": args.count}
        body.update(
            {
                key: value
                for key in ("resource", "category", "text", "seconds")
                if (value := getattr(args, key)) is not None
            }
        )
        return "POST", "faults", body
    if args.command == "edit-voucher":
        body = {name: getattr(args, name) for name in ("description", "date")}
        return (
            "PATCH",
            f"companies/{args.organisation_id}/vouchers/{args.key}",
            {name: value for name, value in body.items() if value is not None},
        )
    if args.command == "clear-faults":
        return "DELETE", "faults", None
    if args.command == "chaos":
        if args.action != "on":
            return ("GET" if args.action == "status" else "DELETE"), "chaos", None
        body = {"probability": args.probability}
        for key in ("seed", "kinds", "hang_seconds", "resources"):
            if getattr(args, key) is not None:
                body[key] = getattr(args, key)
        return "PUT", "chaos", body
    if args.command == "stats":
        return ("DELETE" if args.reset else "GET"), "stats", None
    if args.command == "latency":
        return "POST", "latency", {"ms": args.ms}
    if args.command == "dimensions":
        return "GET", f"companies/{args.organisation_id}/dimensions", None
    if args.command == "add-dimension":
        body = {"name": args.header, "hidden": args.hidden}
        for key in ("item", "label", "code", "father"):
            if getattr(args, key) is not None:
                body[key] = getattr(args, key)
        return "POST", f"companies/{args.organisation_id}/dimensions", body
    vouchers = f"companies/{args.organisation_id}/vouchers"
    if args.command == "vouchers":
        return "GET", vouchers, None
    if args.command == "attachments":
        return "GET", f"{vouchers}/{args.key}/attachments", None
    if args.command == "delete-attachments":
        return "DELETE", f"{vouchers}/{args.key}/attachments", None
    if args.command == "delete":
        body = None if args.days_ago is None else {"days_ago": args.days_ago}
        return "DELETE", f"{vouchers}/{args.key}", body
    if args.command == "edit-line":
        return "PATCH", f"{vouchers}/{args.key}/lines/{args.position}", _edit_line_body(args)
    if args.command == "duplicate":
        return "POST", f"{vouchers}/{args.key}/duplicate", None
    if args.command == "add-voucher":
        body = {"date": args.date, "description": args.description, "lines": args.lines}
        if args.voucher_class:
            body["voucher_class"] = args.voucher_class
        return "POST", vouchers, body
    return "DELETE", vouchers, None


def main(argv=None):
    args = parse_args(argv)
    token = args.token or (Path(args.data) / "admin_token").read_text().strip()
    method, path, body = request_for(args)
    if not args.url.startswith(("http://", "https://")):
        print("error: --url must be an http(s) URL", file=sys.stderr)
        return 2
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        f"{args.url.rstrip('/')}/_sandbox/{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"X-Sandbox-Admin-Token": token, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
            print(answer.read().decode() or "{}")
    except urllib.error.HTTPError as error:
        print(f"error: {error.code} {error.read().decode()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
