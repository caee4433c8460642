"""SQLite persistence: one connection guarded by a lock, small in-memory caches.

One connection keeps per-request cost low (no connect per request); the lock makes the
threaded server safe. Everything a restart must keep lives in the database file.
"""

import contextlib
import datetime
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from . import seed

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS partners (partner_id TEXT PRIMARY KEY, partner_key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS companies (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, organisation_id TEXT NOT NULL UNIQUE,
    package TEXT NOT NULL, accounting_lock TEXT, vat_lock TEXT, purchase_lock TEXT);
CREATE TABLE IF NOT EXISTS api_users (
    customer_id TEXT NOT NULL, company_id INTEGER NOT NULL REFERENCES companies(id),
    customer_key TEXT NOT NULL, PRIMARY KEY (customer_id, company_id));
CREATE TABLE IF NOT EXISTS accounts (
    company_id INTEGER NOT NULL, netvisor_key INTEGER NOT NULL, number TEXT, name TEXT NOT NULL,
    name_en TEXT, account_type TEXT NOT NULL, father_key INTEGER NOT NULL,
    is_active INTEGER NOT NULL, sort INTEGER NOT NULL, end_sort INTEGER NOT NULL,
    natural_negative INTEGER NOT NULL, vat_code TEXT NOT NULL,
    PRIMARY KEY (company_id, netvisor_key));
CREATE TABLE IF NOT EXISTS voucher_types (
    company_id INTEGER NOT NULL, netvisor_key INTEGER NOT NULL, abbreviation TEXT NOT NULL,
    name TEXT NOT NULL, name_en TEXT, PRIMARY KEY (company_id, netvisor_key));
CREATE TABLE IF NOT EXISTS periods (
    company_id INTEGER NOT NULL, netvisor_key INTEGER NOT NULL, name TEXT NOT NULL,
    begin_date TEXT NOT NULL, end_date TEXT NOT NULL, PRIMARY KEY (company_id, netvisor_key));
CREATE TABLE IF NOT EXISTS vouchers (
    netvisor_key INTEGER PRIMARY KEY AUTOINCREMENT, company_id INTEGER NOT NULL,
    type_key INTEGER NOT NULL,
    number INTEGER NOT NULL, voucher_date TEXT NOT NULL, description TEXT,
    voucher_class TEXT NOT NULL, calculation_mode TEXT NOT NULL, checked INTEGER NOT NULL,
    status TEXT NOT NULL, created_at TEXT NOT NULL, modified_at TEXT NOT NULL,
    attachment_count INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS vouchers_company_date ON vouchers (company_id, voucher_date);
-- the next voucher number without scanning the company's vouchers (a month of 10,000)
CREATE INDEX IF NOT EXISTS vouchers_company_type_number ON vouchers (company_id, type_key, number);
CREATE TABLE IF NOT EXISTS voucher_lines (
    netvisor_key INTEGER PRIMARY KEY AUTOINCREMENT, voucher_key INTEGER NOT NULL,
    position INTEGER NOT NULL,
    sum_cents INTEGER NOT NULL, description TEXT, account_number TEXT NOT NULL,
    vat_percent TEXT NOT NULL, vat_code TEXT NOT NULL, account_dimension TEXT,
    account_dimension_type TEXT, dimensions TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS voucher_lines_voucher ON voucher_lines (voucher_key);
CREATE TABLE IF NOT EXISTS voucher_history (
    voucher_key INTEGER NOT NULL, at TEXT NOT NULL, comment TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transactions (
    partner_id TEXT NOT NULL, customer_id TEXT NOT NULL, transaction_id TEXT NOT NULL,
    PRIMARY KEY (partner_id, customer_id, transaction_id)) WITHOUT ROWID;
"""

# Keys never repeat, even after an admin reset (AUTOINCREMENT), and look like Netvisor's.
FIRST_VOUCHER_KEY = 1001
FIRST_LINE_KEY = 90001


@dataclass(frozen=True)
class Company:
    id: int
    name: str
    organisation_id: str
    package: str
    accounting_lock: datetime.date | None
    vat_lock: datetime.date | None
    purchase_lock: datetime.date | None


@dataclass(frozen=True)
class Account:
    number: str
    account_type: str
    is_active: bool
    vat_code: str


def _chart_rows():
    """Account rows (without company id): groups first, each followed by its accounts;
    keys 1..n, Sort/EndSort in steps of 10. Groups 2 and 3 are naturally negative."""
    group_keys = {digit: key for key, (_, digit, _, _) in enumerate(seed.ACCOUNT_GROUPS, 1)}
    entries = [
        (number, name, name_en, "accountgroup", 0, True, "NONE")
        for number, _, name, name_en in seed.ACCOUNT_GROUPS
    ]
    entries += [
        (
            number,
            name,
            name_en,
            "account",
            group_keys[number[0]],
            active,
            seed.default_vat_code(number),
        )
        for number, name, name_en, active in seed.chart_accounts()
    ]
    keys = {entry[0]: key for key, entry in enumerate(entries, 1)}
    entries.sort(key=lambda e: (e[0][0], len(e[0]), e[0]))  # "300" before "3000"
    return [
        (
            keys[number],
            number,
            name,
            name_en,
            kind,
            father,
            int(active),
            pos * 10,
            pos * 10,
            int(number[0] in "23"),
            vat_code,
        )
        for pos, (number, name, name_en, kind, father, active, vat_code) in enumerate(entries, 1)
    ]


def _date(value):
    return datetime.date.fromisoformat(value) if value else None


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


class Store:
    """All sandbox state; thread-safe through a single lock."""

    def __init__(self, path: Path):
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._clear_caches()
        with self._lock:
            if not self._db.execute("SELECT 1 FROM meta WHERE key='seeded'").fetchone():
                self._seed()

    def close(self):
        with self._lock:
            self._db.close()

    def _clear_caches(self):
        self._companies = {}
        self._accounts = {}
        self._users = {}
        self._partners = {}
        self._voucher_types = {}
        self._periods = {}

    # -- seeding -------------------------------------------------------------------------
    @contextlib.contextmanager
    def _write(self):
        """One write transaction under the lock; rolled back on any error."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _seed(self):
        """Partner, the seed companies and the key counters of a fresh database."""
        with self._write() as db:
            db.execute("INSERT INTO partners VALUES (?, ?)", (seed.PARTNER_ID, seed.PARTNER_KEY))
            db.executemany(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                [("vouchers", FIRST_VOUCHER_KEY - 1), ("voucher_lines", FIRST_LINE_KEY - 1)],
            )
            for company in seed.COMPANIES:
                self._insert_company(company)
            db.execute("INSERT INTO meta VALUES ('seeded', ?)", (_now(),))

    def _insert_company(self, company: seed.SeedCompany) -> int:
        db = self._db
        cur = db.execute(
            "INSERT INTO companies (name, organisation_id, package) VALUES (?, ?, ?)",
            (company.name, company.organisation_id, company.package),
        )
        company_id = cur.lastrowid
        db.execute(
            "INSERT INTO api_users VALUES (?, ?, ?)",
            (company.customer_id, company_id, company.customer_key),
        )
        db.executemany(
            "INSERT INTO accounts VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [(company_id, *row) for row in _chart_rows()],
        )
        db.executemany(
            "INSERT INTO voucher_types VALUES (?,?,?,?,?)",
            [(company_id, *vt) for vt in seed.VOUCHER_TYPES],
        )
        db.executemany(
            "INSERT INTO periods VALUES (?,?,?,?,?)",
            [
                (company_id, 10 + i, name, begin.isoformat(), end.isoformat())
                for i, (name, begin, end) in enumerate(seed.PERIODS, start=1)
            ],
        )
        return company_id

    # -- lookups (cached) ----------------------------------------------------------------
    def partner_key(self, partner_id: str) -> str | None:
        with self._lock:
            if partner_id not in self._partners:
                row = self._db.execute(
                    "SELECT partner_key FROM partners WHERE partner_id=?", (partner_id,)
                ).fetchone()
                self._partners[partner_id] = row[0] if row else None
            return self._partners[partner_id]

    def customer_key(self, customer_id: str, company_id: int) -> str | None:
        with self._lock:
            cache_key = (customer_id, company_id)
            if cache_key not in self._users:
                row = self._db.execute(
                    "SELECT customer_key FROM api_users WHERE customer_id=? AND company_id=?",
                    cache_key,
                ).fetchone()
                self._users[cache_key] = row[0] if row else None
            return self._users[cache_key]

    def company(self, organisation_id: str) -> Company | None:
        with self._lock:
            if organisation_id not in self._companies:
                row = self._db.execute(
                    "SELECT * FROM companies WHERE organisation_id=?", (organisation_id,)
                ).fetchone()
                self._companies[organisation_id] = row and Company(
                    row["id"],
                    row["name"],
                    row["organisation_id"],
                    row["package"],
                    _date(row["accounting_lock"]),
                    _date(row["vat_lock"]),
                    _date(row["purchase_lock"]),
                )
            return self._companies[organisation_id]

    def accounts(self, company_id: int) -> dict[str, Account]:
        with self._lock:
            if company_id not in self._accounts:
                rows = self._db.execute(
                    "SELECT number, account_type, is_active, vat_code FROM accounts "
                    "WHERE company_id=? AND number IS NOT NULL",
                    (company_id,),
                ).fetchall()
                self._accounts[company_id] = {
                    r[0]: Account(r[0], r[1], bool(r[2]), r[3]) for r in rows
                }
            return self._accounts[company_id]

    def account_rows(self, company_id: int) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(
                "SELECT * FROM accounts WHERE company_id=? ORDER BY sort", (company_id,)
            ).fetchall()

    def voucher_types(self, company_id: int) -> list[sqlite3.Row]:
        with self._lock:
            if company_id not in self._voucher_types:
                self._voucher_types[company_id] = self._db.execute(
                    "SELECT * FROM voucher_types WHERE company_id=? ORDER BY netvisor_key",
                    (company_id,),
                ).fetchall()
            return self._voucher_types[company_id]

    def periods(self, company_id: int) -> list[tuple[int, str, datetime.date, datetime.date]]:
        with self._lock:
            if company_id not in self._periods:
                rows = self._db.execute(
                    "SELECT * FROM periods WHERE company_id=? ORDER BY begin_date", (company_id,)
                ).fetchall()
                self._periods[company_id] = [
                    (r["netvisor_key"], r["name"], _date(r["begin_date"]), _date(r["end_date"]))
                    for r in rows
                ]
            return self._periods[company_id]

    # -- transactions ----------------------------------------------------------------------
    def remember_transaction(self, partner_id: str, customer_id: str, transaction_id: str) -> bool:
        """Record a TransactionId; False when this partner+customer already used it."""
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO transactions VALUES (?, ?, ?)",
                (partner_id, customer_id, transaction_id),
            )
            return cur.rowcount == 1

    def forget_transactions(self) -> int:
        """Drop every remembered TransactionId (admin: replay a recorded request)."""
        with self._lock:
            return self._db.execute("DELETE FROM transactions").rowcount

    # -- vouchers --------------------------------------------------------------------------
    def insert_voucher(self, company_id: int, voucher: dict, lines: list[dict]) -> int:
        """Store a validated voucher; numbers it when it has no number. Returns its key."""
        with self._write() as db:
            number = voucher["number"]
            if number is None:
                row = db.execute(
                    "SELECT COALESCE(MAX(number), 0) + 1 FROM vouchers "
                    "WHERE company_id=? AND type_key=?",
                    (company_id, voucher["type_key"]),
                ).fetchone()
                number = row[0]
            now = _now()
            key = db.execute(
                "INSERT INTO vouchers VALUES (NULL,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    company_id,
                    voucher["type_key"],
                    number,
                    voucher["date"].isoformat(),
                    voucher["description"],
                    voucher["voucher_class"],
                    voucher["calculation_mode"],
                    int(voucher["checked"]),
                    "valid",
                    now,
                    now,
                    voucher["attachment_count"],
                ),
            ).lastrowid
            for position, line in enumerate(lines):
                db.execute(
                    "INSERT INTO voucher_lines VALUES (NULL,?,?,?,?,?,?,?,?,?,?)",
                    (
                        key,
                        position,
                        line["cents"],
                        line["description"],
                        line["account_number"],
                        str(line["vat_percent"]),
                        line["vat_code"],
                        line["account_dimension"],
                        line["account_dimension_type"],
                        json.dumps(line["dimensions"]),
                    ),
                )
            if voucher["comment"]:
                db.execute(
                    "INSERT INTO voucher_history VALUES (?,?,?)", (key, now, voucher["comment"])
                )
            return key

    def vouchers(self, company_id: int, where: str = "", params: tuple = ()) -> list[dict]:
        """Vouchers of a company with their lines; `where` is an extra SQL condition built
        by the caller from fixed fragments (values always go through `params`)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM vouchers WHERE company_id=? "  # noqa: S608
                + where
                + " ORDER BY voucher_date, netvisor_key",
                (company_id, *params),
            ).fetchall()
            vouchers = {r["netvisor_key"]: {**dict(r), "lines": [], "history": []} for r in rows}
            if not vouchers:
                return []
            keys = list(vouchers)
            for chunk_start in range(0, len(keys), 500):
                chunk = keys[chunk_start : chunk_start + 500]
                marks = ",".join("?" * len(chunk))
                for line in self._db.execute(
                    f"SELECT * FROM voucher_lines WHERE voucher_key IN ({marks}) "  # noqa: S608
                    "ORDER BY voucher_key, position",
                    chunk,
                ):
                    item = dict(line)
                    item["dimensions"] = json.loads(item["dimensions"])
                    vouchers[line["voucher_key"]]["lines"].append(item)
                for entry in self._db.execute(
                    f"SELECT * FROM voucher_history WHERE voucher_key IN ({marks}) "  # noqa: S608
                    "ORDER BY rowid",
                    chunk,
                ):
                    vouchers[entry["voucher_key"]]["history"].append(
                        {"at": entry["at"], "comment": entry["comment"]}
                    )
            return list(vouchers.values())

    def invalidate_vouchers(self, keys: list[int], comment: str | None) -> None:
        now = _now()
        with self._write() as db:
            for key in keys:
                if comment:
                    db.execute("INSERT INTO voucher_history VALUES (?,?,?)", (key, now, comment))
                db.execute("INSERT INTO voucher_history VALUES (?,?,?)", (key, now, "invalidated"))
                db.execute(
                    "UPDATE vouchers SET status='invalidated', modified_at=? WHERE netvisor_key=?",
                    (now, key),
                )

    # -- admin -----------------------------------------------------------------------------
    def list_companies(self) -> list[dict]:
        with self._lock:
            rows = self._db.execute(
                "SELECT c.*, GROUP_CONCAT(u.customer_id) AS customer_ids FROM companies c "
                "LEFT JOIN api_users u ON u.company_id = c.id GROUP BY c.id ORDER BY c.id"
            ).fetchall()
            return [
                {
                    "name": r["name"],
                    "organisation_id": r["organisation_id"],
                    "package": r["package"],
                    "customer_ids": (r["customer_ids"] or "").split(",")
                    if r["customer_ids"]
                    else [],
                    "accounting_lock_date": r["accounting_lock"],
                    "vat_lock_date": r["vat_lock"],
                    "purchase_lock_date": r["purchase_lock"],
                }
                for r in rows
            ]

    def create_company(self, company: seed.SeedCompany) -> None:
        with self._write():
            self._insert_company(company)
            self._clear_caches()

    def add_api_user(self, company_id: int, customer_id: str, customer_key: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO api_users VALUES (?, ?, ?)",
                (customer_id, company_id, customer_key),
            )
            self._clear_caches()

    def add_partner(self, partner_id: str, partner_key: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO partners VALUES (?, ?)", (partner_id, partner_key)
            )
            self._clear_caches()

    def set_locks(self, company_id: int, locks: dict) -> None:
        with self._lock:
            for column, value in locks.items():
                self._db.execute(
                    f"UPDATE companies SET {column}=? WHERE id=?",  # noqa: S608 - fixed names
                    (value.isoformat() if value else None, company_id),
                )
            self._clear_caches()

    def reset_vouchers(self, company_id: int) -> int:
        keys = "SELECT netvisor_key FROM vouchers WHERE company_id=?"
        with self._write() as db:
            for table in ("voucher_lines", "voucher_history"):
                db.execute(
                    f"DELETE FROM {table} WHERE voucher_key IN ({keys})",  # noqa: S608
                    (company_id,),
                )
            return db.execute("DELETE FROM vouchers WHERE company_id=?", (company_id,)).rowcount
