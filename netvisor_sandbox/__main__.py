"""`python3 -m netvisor_sandbox`: start the sandbox and serve until SIGTERM/SIGINT."""

import argparse
import os
import secrets
import signal
import sys
import threading
from decimal import Decimal
from pathlib import Path

from .config import PERIOD_LIST_LAYOUTS, Settings
from .server import SandboxServer
from .store import Store

# Lets a whole test suite run against the other layout without touching its code.
LAYOUT_ENV = "NETVISOR_SANDBOX_PERIOD_LIST_LAYOUT"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 -m netvisor_sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default loopback)")
    parser.add_argument("--port", type=int, default=8090, help="0 picks a free port")
    parser.add_argument("--data", default=".local/sandbox", help="directory for the SQLite state")
    parser.add_argument("--admin-token", help="admin token (default: DATA/admin_token)")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument(
        "--legacy-algorithms",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="accept SHA256/MD5 MACs (default yes)",
    )
    parser.add_argument(
        "--timestamp-skew",
        type=int,
        default=300,
        help="allowed |now - TimestampUnix| in seconds (HMACSHA256)",
    )
    parser.add_argument("--description-limit", type=int, default=255)
    parser.add_argument(
        "--strict",
        action="store_true",
        help="description limit 100, as production integrators report",
    )
    parser.add_argument(
        "--period-list-layout",
        choices=PERIOD_LIST_LAYOUTS,
        default=os.environ.get(LAYOUT_ENV) or PERIOD_LIST_LAYOUTS[0],
        help=f"accountingperiodlist.nv: sibling with d.M.yyyy dates (default, or ${LAYOUT_ENV})"
        " or nested with ISO dates",
    )
    parser.add_argument(
        "--vat-percents",
        default="0,10,13.5,14,24,25.5",
        help="allowed percents of the multi-rate VAT codes",
    )
    parser.add_argument(
        "--accept-foreign-voucher-class",
        action="store_true",
        help="voucherclass may also be a type's English name",
    )
    args = parser.parse_args(argv)
    if args.period_list_layout not in PERIOD_LIST_LAYOUTS:  # a bad environment value
        parser.error(f"{LAYOUT_ENV} must be one of {', '.join(PERIOD_LIST_LAYOUTS)}")
    return args


def admin_token(data_dir: Path, given: str | None) -> str:
    """The given token, else the one stored in DATA/admin_token (created once)."""
    if given:
        return given
    path = data_dir / "admin_token"
    if path.exists():
        return path.read_text().strip()
    token = secrets.token_hex(16)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token


def main(argv=None) -> int:
    args = parse_args(argv)
    data_dir = Path(args.data)
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        latency_ms=args.latency_ms,
        legacy_algorithms=args.legacy_algorithms,
        timestamp_skew_seconds=args.timestamp_skew,
        description_limit=100 if args.strict else args.description_limit,
        period_list_layout=args.period_list_layout,
        vat_percents=frozenset(Decimal(p) for p in args.vat_percents.split(",")),
        accept_foreign_voucher_class=args.accept_foreign_voucher_class,
    )
    store = Store(data_dir / "sandbox.sqlite3")
    server = SandboxServer(
        (args.host, args.port), store, settings, admin_token(data_dir, args.admin_token)
    )

    def stop(_signum, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"netvisor-sandbox listening on {server.url}", flush=True)
    print(f"netvisor-sandbox admin token: {server.admin_token}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        store.close()
    print("netvisor-sandbox stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
