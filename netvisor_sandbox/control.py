"""`python3 -m netvisor_sandbox.control`: the admin API from the command line.

For the demo and for trying failure paths by hand: lock a period, queue faults, add
latency, list or reset stored vouchers. The admin token is read from DATA/admin_token
(as `make demo` and the sandbox itself keep it) unless --token is given.
"""

import argparse
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

FAULT_MODES = ("SYSTEM_MAINTENANCE", "TECHNICAL_ERROR", "non_xml_502", "drop_after_commit", "fail")


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
    fault.add_argument("mode", choices=FAULT_MODES)
    fault.add_argument("--count", type=int, default=1)
    fault.add_argument("--resource", help="only for this resource, e.g. accounting.nv")
    fault.add_argument("--category", help="with 'fail': e.g. INVALID_DATA")
    fault.add_argument("--text", help="with 'fail': Netvisor's text")
    sub.add_parser("clear-faults", help="drop queued faults")
    latency = sub.add_parser("latency", help="answer every request this much later")
    latency.add_argument("ms", type=int)
    vouchers = sub.add_parser("vouchers", help="list a company's stored vouchers (JSON)")
    vouchers.add_argument("organisation_id")
    reset = sub.add_parser("reset", help="delete a company's stored vouchers")
    reset.add_argument("organisation_id")
    return parser.parse_args(argv)


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
                for key in ("resource", "category", "text")
                if (value := getattr(args, key))
            }
        )
        return "POST", "faults", body
    if args.command == "clear-faults":
        return "DELETE", "faults", None
    if args.command == "latency":
        return "POST", "latency", {"ms": args.ms}
    if args.command == "vouchers":
        return "GET", f"companies/{args.organisation_id}/vouchers", None
    return "DELETE", f"companies/{args.organisation_id}/vouchers", None


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
