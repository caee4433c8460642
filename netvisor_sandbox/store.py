"""SQLite persistence: one connection guarded by a lock, small in-memory caches.

One connection keeps per-request cost low (no connect per request); the lock makes the
threaded server safe. Everything a restart must keep lives in the database file.
"""

import bisect
import contextlib
import datetime
import json
import sqlite3
import threading
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from . import seed, validation
from .envelope import HELSINKI
from .stats import EventCounts

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
    attachment_count INTEGER NOT NULL DEFAULT 0, deleted_at TEXT);
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
-- documents imported with a voucher (API.md §11.3), in the order sent (position from 0)
CREATE TABLE IF NOT EXISTS voucher_attachments (
    voucher_key INTEGER NOT NULL, position INTEGER NOT NULL, filename TEXT NOT NULL,
    mimetype TEXT NOT NULL, description TEXT, size INTEGER NOT NULL, sha256 TEXT NOT NULL,
    data BLOB NOT NULL, PRIMARY KEY (voucher_key, position));
-- dimensions (cost objects, API.md §11.2): headers and their items, per company
CREATE TABLE IF NOT EXISTS dimension_headers (
    netvisor_key INTEGER PRIMARY KEY AUTOINCREMENT, company_id INTEGER NOT NULL,
    name TEXT NOT NULL, is_hidden INTEGER NOT NULL DEFAULT 0,
    link_type INTEGER NOT NULL DEFAULT 0, UNIQUE (company_id, name));
CREATE TABLE IF NOT EXISTS dimension_items (
    netvisor_key INTEGER PRIMARY KEY AUTOINCREMENT, company_id INTEGER NOT NULL,
    header_key INTEGER NOT NULL, name TEXT NOT NULL, code TEXT NOT NULL DEFAULT '',
    label TEXT NOT NULL DEFAULT '', is_hidden INTEGER NOT NULL DEFAULT 0,
    level INTEGER NOT NULL DEFAULT 1, sort INTEGER NOT NULL DEFAULT 0,
    end_sort INTEGER NOT NULL DEFAULT 0, father_id INTEGER NOT NULL DEFAULT 0,
    UNIQUE (header_key, name));
CREATE TABLE IF NOT EXISTS transactions (
    partner_id TEXT NOT NULL, customer_id TEXT NOT NULL, transaction_id TEXT NOT NULL,
    PRIMARY KEY (partner_id, customer_id, transaction_id)) WITHOUT ROWID;
"""

# Keys never repeat, even after an admin reset (AUTOINCREMENT), and look like Netvisor's.
FIRST_VOUCHER_KEY = 1001
FIRST_LINE_KEY = 90001
# deletedvouchers.nv lists the deletions of the last 7 days only (API.md §11.4).
DELETED_MEMORY = datetime.timedelta(days=7)
# accountbalance.nv intervaltype: 0 separate dates | 1 day | 2 week | 3 month | 4 year
INTERVAL_TYPES = (0, 1, 2, 3, 4)
MAX_BALANCE_INTERVALS = 1000
LINE_CHANGES = ("amount", "account_number", "vat_code", "vat_percent", "description")
# Item keys start apart from header keys so that the two are never mistaken for each other.
FIRST_DIMENSION_ITEM_KEY = 101
# dimensionitem.nv (API.md §11.2): header name at most 50 characters, item at most 200.
MAX_DIMENSION_NAME = 50
MAX_DIMENSION_ITEM = 200
_LAST_SORT = 1 << 40  # a new item sorts after its siblings until renumbered


class VoucherNotFound(ValueError):
    """The key is not a voucher of this company (another company's keys included)."""


class DimensionNotFound(ValueError):
    """No such dimension header (or father item) in this company."""


class DimensionExists(ValueError):
    """The header, or the item under its header, exists already (names are unique)."""


@dataclass(frozen=True)
class DimensionItem:
    """One item (cost object) of a header; `father_id` 0 = top level."""

    netvisor_key: int
    name: str
    code: str
    label: str
    is_hidden: bool
    level: int
    sort: int
    end_sort: int
    father_id: int


@dataclass(frozen=True)
class DimensionHeader:
    """A dimension header ("Projekti") with its items in Sort order."""

    netvisor_key: int
    name: str
    is_hidden: bool
    link_type: int
    items: tuple


def dimension_text(value, what: str, limit: int) -> str:
    """A header or item name as stored: text, stripped, not empty, at most `limit`
    characters, no control characters (ValueError otherwise)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be non-empty text")
    value = value.strip()
    if len(value) > limit:
        raise ValueError(f"{what} is {len(value)} characters long (at most {limit})")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        raise ValueError(f"{what} must not contain control characters")
    return value


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


def _now(days_ago: float = 0) -> str:
    moment = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days_ago)
    return moment.isoformat(timespec="seconds")


def _cents(amount) -> int:
    """Euros as text or number (`12.34`, `-12,34`, at most two decimals) -> cents."""
    try:
        value = Decimal(str(amount).strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"amount {str(amount)[:40]!r} is not a number") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise ValueError(f"amount {str(amount)[:40]!r} must have at most two decimals")
    return int(value * 100)


def _percent(value) -> str:
    try:
        percent = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"vat_percent {str(value)[:20]!r} is not a number") from None
    if not percent.is_finite() or not 0 <= percent <= 100:
        raise ValueError("vat_percent must be between 0 and 100")
    return validation.percent_text(percent)


def balance_intervals(
    dates: list[datetime.date], interval_type: int
) -> list[tuple[datetime.date | None, datetime.date]]:
    """The (first day, last day) of each AccountBalance of accountbalance.nv.

    Type 0: one per distinct date, from the beginning of the books (first day None).
    Types 1-4: the range of the two dates split into days, ISO weeks, calendar months or
    years, clipped to the range. Bad input raises ValueError.
    """
    if interval_type not in INTERVAL_TYPES:
        raise ValueError(f"interval type must be one of {INTERVAL_TYPES}")
    if not dates:
        raise ValueError("at least one date is needed")
    if interval_type == 0:
        unique = sorted(set(dates))
        if len(unique) > MAX_BALANCE_INTERVALS:
            raise ValueError(f"at most {MAX_BALANCE_INTERVALS} dates")
        return [(None, day) for day in unique]
    if len(dates) != 2:
        raise ValueError("an interval needs exactly two dates: start,end")
    start, end = dates
    if start > end:
        raise ValueError("the start date is after the end date")
    intervals = []
    first = start
    while first <= end:
        if interval_type == 1:
            last = first
        elif interval_type == 2:
            last = first + datetime.timedelta(days=6 - first.weekday())
        elif interval_type == 3:
            following = datetime.date(first.year + first.month // 12, first.month % 12 + 1, 1)
            last = following - datetime.timedelta(days=1)
        else:
            last = datetime.date(first.year, 12, 31)
        last = min(last, end)
        intervals.append((first, last))
        if len(intervals) > MAX_BALANCE_INTERVALS:
            raise ValueError(f"at most {MAX_BALANCE_INTERVALS} intervals")
        first = last + datetime.timedelta(days=1)
    return intervals


class Store:
    """All sandbox state; thread-safe through a single lock."""

    def __init__(self, path: Path):
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._migrate()
        self._clear_caches()
        #: things done for an organisation (dimension items created or added), for stats
        self.counts = EventCounts()
        with self._lock:
            if not self._db.execute("SELECT 1 FROM meta WHERE key='seeded'").fetchone():
                self._seed()
            self._seed_missing_dimensions()

    def close(self):
        with self._lock:
            self._db.close()

    def _migrate(self):
        """Bring a database file of an older sandbox up to the current schema."""
        columns = {row["name"] for row in self._db.execute("PRAGMA table_info(vouchers)")}
        if "deleted_at" not in columns:
            self._db.execute("ALTER TABLE vouchers ADD COLUMN deleted_at TEXT")
        # Older sandboxes counted attachments without keeping them: the count is what is
        # kept, so such vouchers have none (the attachment table is new in their files).
        self._db.execute(
            "UPDATE vouchers SET attachment_count = 0 WHERE attachment_count > 0 "
            "AND netvisor_key NOT IN (SELECT voucher_key FROM voucher_attachments)"
        )
        # the dimension tables are new in older files (CREATE TABLE IF NOT EXISTS made them)
        self._db.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'dimension_items', ? "
            "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'dimension_items')",
            (FIRST_DIMENSION_ITEM_KEY - 1,),
        )

    def _clear_caches(self):
        self._companies = {}
        self._accounts = {}
        self._users = {}
        self._partners = {}
        self._voucher_types = {}
        self._periods = {}
        self._dimensions = {}
        self._dimension_names = {}

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
        self._insert_seed_dimensions(company_id)
        return company_id

    def _insert_seed_dimensions(self, company_id: int) -> None:
        for header, items in seed.DIMENSIONS:
            header_key = self._db.execute(
                "INSERT INTO dimension_headers (company_id, name) VALUES (?, ?)",
                (company_id, header),
            ).lastrowid
            for name, code, label, hidden in items:
                self._insert_item(company_id, header_key, name, 0, hidden, code, label)

    def _seed_missing_dimensions(self) -> None:
        """Companies without any dimension header (a database file of an older sandbox)
        get the seed dimensions."""
        missing = [
            row[0]
            for row in self._db.execute(
                "SELECT id FROM companies WHERE id NOT IN "
                "(SELECT company_id FROM dimension_headers) ORDER BY id"
            )
        ]
        if missing:
            with self._write():
                for company_id in missing:
                    self._insert_seed_dimensions(company_id)
            self._clear_caches()

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

    # -- dimensions (API.md §11.2) ---------------------------------------------------------
    def dimensions(self, company_id: int) -> list[DimensionHeader]:
        """The company's headers (by key) with their items (by Sort), hidden included."""
        with self._lock:
            if company_id not in self._dimensions:
                items: dict[int, list[DimensionItem]] = {}
                for row in self._db.execute(
                    "SELECT * FROM dimension_items WHERE company_id=? "
                    "ORDER BY header_key, sort, netvisor_key",
                    (company_id,),
                ):
                    items.setdefault(row["header_key"], []).append(
                        DimensionItem(
                            row["netvisor_key"],
                            row["name"],
                            row["code"],
                            row["label"],
                            bool(row["is_hidden"]),
                            row["level"],
                            row["sort"],
                            row["end_sort"],
                            row["father_id"],
                        )
                    )
                self._dimensions[company_id] = [
                    DimensionHeader(
                        row["netvisor_key"],
                        row["name"],
                        bool(row["is_hidden"]),
                        row["link_type"],
                        tuple(items.get(row["netvisor_key"], ())),
                    )
                    for row in self._db.execute(
                        "SELECT * FROM dimension_headers WHERE company_id=? ORDER BY netvisor_key",
                        (company_id,),
                    )
                ]
            return self._dimensions[company_id]

    def dimension_names(self, company_id: int) -> dict[str, frozenset[str]]:
        """Header name -> the names of its items (hidden included): what a voucher line's
        `dimensionname` / `dimensionitem` are matched against, exactly."""
        with self._lock:
            if company_id not in self._dimension_names:
                self._dimension_names[company_id] = {
                    header.name: frozenset(item.name for item in header.items)
                    for header in self.dimensions(company_id)
                }
            return self._dimension_names[company_id]

    def add_dimension_header(self, company_id: int, name: str, hidden: bool = False) -> int:
        """A new header; DimensionExists when the company has one of that name."""
        name = dimension_text(name, "dimension name", MAX_DIMENSION_NAME)
        with self._lock:
            if name in self.dimension_names(company_id):
                raise DimensionExists(f"dimension {name!r} exists")
            with self._write() as db:
                key = db.execute(
                    "INSERT INTO dimension_headers (company_id, name, is_hidden) VALUES (?, ?, ?)",
                    (company_id, name, int(bool(hidden))),
                ).lastrowid
            self._forget_dimensions(company_id)
            return key

    def add_dimension_item(
        self,
        company_id: int,
        header: str,
        item: str,
        *,
        father: str | None = None,
        father_id: int | None = None,
        hidden: bool = False,
        code: str = "",
        label: str | None = None,
        count_as: str | None = None,
    ) -> int:
        """A new item under `header`, below the item named `father` (or keyed
        `father_id`) when given; `label` defaults to the name. DimensionNotFound for an
        unknown header or father, DimensionExists for a name the header has already.
        `count_as`: the stats counter of the company's organisation to add 1 to."""
        header = dimension_text(header, "dimension name", MAX_DIMENSION_NAME)
        item = dimension_text(item, "dimension item", MAX_DIMENSION_ITEM)
        with self._lock:
            found = next((h for h in self.dimensions(company_id) if h.name == header), None)
            if found is None:
                raise DimensionNotFound(f"no dimension {header!r}")
            if any(existing.name == item for existing in found.items):
                raise DimensionExists(f"dimension {header!r} has an item {item!r}")
            father_key = 0
            if father is not None or father_id is not None:
                parent = next(
                    (
                        i
                        for i in found.items
                        if (father is None or i.name == father)
                        and (father_id is None or i.netvisor_key == father_id)
                    ),
                    None,
                )
                if parent is None:
                    what = father if father is not None else father_id
                    raise DimensionNotFound(f"dimension {header!r} has no item {what!r}")
                father_key = parent.netvisor_key
            label = item if label is None else str(label)
            with self._write():
                key = self._insert_item(
                    company_id, found.netvisor_key, item, father_key, hidden, code or "", label
                )
            self._forget_dimensions(company_id)
            if count_as:
                self.counts.add(count_as, self._organisation_of(company_id))
            return key

    def _insert_item(self, company_id, header_key, name, father_key, hidden, code, label) -> int:
        """Insert an item (inside a write) and renumber the header's Sort/EndSort/Level."""
        key = self._db.execute(
            "INSERT INTO dimension_items (company_id, header_key, name, code, label, "
            "is_hidden, sort, father_id) VALUES (?,?,?,?,?,?,?,?)",
            (company_id, header_key, name, code, label, int(bool(hidden)), _LAST_SORT, father_key),
        ).lastrowid
        self._renumber_items(header_key)
        return key

    def _renumber_items(self, header_key: int) -> None:
        """Depth-first order, children after their father: Sort in steps of 10, EndSort =
        the Sort of the last descendant (the item's own for a leaf), Level from 1."""
        rows = self._db.execute(
            "SELECT netvisor_key, father_id FROM dimension_items WHERE header_key=? "
            "ORDER BY sort, netvisor_key",
            (header_key,),
        ).fetchall()
        fathers = dict(rows)
        children: dict[int, list[int]] = {}
        for key, father in rows:
            children.setdefault(father if father in fathers else 0, []).append(key)
        placed: dict[int, list[int]] = {}  # key -> [level, sort, end_sort]
        stack = [(key, 1) for key in reversed(children.get(0, []))]
        order = []
        while stack:
            key, level = stack.pop()
            order.append(key)
            placed[key] = [level, len(order) * 10, len(order) * 10]
            stack += [(child, level + 1) for child in reversed(children.get(key, []))]
        for key in reversed(order):  # children come after their father: fold ends upwards
            if fathers[key] in placed:
                father = placed[fathers[key]]
                father[2] = max(father[2], placed[key][2])
        self._db.executemany(
            "UPDATE dimension_items SET level=?, sort=?, end_sort=? WHERE netvisor_key=?",
            [(*placed[key], key) for key in order],
        )

    def _forget_dimensions(self, company_id: int) -> None:
        self._dimensions.pop(company_id, None)
        self._dimension_names.pop(company_id, None)

    def _organisation_of(self, company_id: int) -> str:
        row = self._db.execute(
            "SELECT organisation_id FROM companies WHERE id=?", (company_id,)
        ).fetchone()
        return row[0] if row else str(company_id)

    def _create_missing_items(self, company_id: int, lines: list[dict]) -> int:
        """Inside insert_voucher's write: create the lines' unknown items under their
        (existing) headers, as Netvisor does on import. Returns how many were created."""
        names = self.dimension_names(company_id)
        keys = {header.name: header.netvisor_key for header in self.dimensions(company_id)}
        created: set[tuple[str, str]] = set()
        for line in lines:
            for header, item in line["dimensions"]:
                if item in names.get(header, ()) or (header, item) in created:
                    continue
                if header not in keys:  # validation refuses unknown headers first
                    raise DimensionNotFound(f"no dimension {header!r}")
                self._insert_item(company_id, keys[header], item, 0, False, "", item)
                created.add((header, item))
        return len(created)

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
        """Store a validated voucher; numbers it when it has no number. Returns its key.
        Unknown dimension items of its lines are created with it (in one transaction:
        a voucher that is not stored creates none) and counted as
        `dimension_items_created`. `voucher["attachments"]` (optional: filename, mimetype,
        description, size, sha256, data) are stored with it; `attachment_count` is
        their number."""
        with self._lock:
            key, created = self._insert_voucher(company_id, voucher, lines)
            if created:
                self._forget_dimensions(company_id)
                self.counts.add(
                    "dimension_items_created", self._organisation_of(company_id), created
                )
            return key

    def _insert_voucher(self, company_id: int, voucher: dict, lines: list[dict]):
        with self._write() as db:
            created = self._create_missing_items(company_id, lines)
            number = voucher["number"]
            if number is None:
                row = db.execute(
                    "SELECT COALESCE(MAX(number), 0) + 1 FROM vouchers "
                    "WHERE company_id=? AND type_key=?",
                    (company_id, voucher["type_key"]),
                ).fetchone()
                number = row[0]
            now = _now()
            attachments = voucher.get("attachments") or ()
            key = db.execute(
                "INSERT INTO vouchers (company_id, type_key, number, voucher_date, description, "
                "voucher_class, calculation_mode, checked, status, created_at, modified_at, "
                "attachment_count) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
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
                    len(attachments),
                ),
            ).lastrowid
            db.executemany(
                "INSERT INTO voucher_attachments VALUES (?,?,?,?,?,?,?,?)",
                [
                    (
                        key,
                        position,
                        item["filename"],
                        item["mimetype"],
                        item["description"],
                        item["size"],
                        item["sha256"],
                        item["data"],
                    )
                    for position, item in enumerate(attachments)
                ],
            )
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
        return key, created

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

    def attachments(self, company_id: int, key, with_data: bool = False) -> list[dict]:
        """The attachments of the company's voucher `key` in the order sent: filename,
        mimetype, description, size, sha256 (and `data` with `with_data`).
        VoucherNotFound for a key that is not a voucher of this company."""
        with self._lock:
            voucher = self._own_voucher(company_id, key)
            columns = "filename, mimetype, description, size, sha256" + (
                ", data" if with_data else ""
            )
            rows = self._db.execute(
                f"SELECT {columns} FROM voucher_attachments "  # noqa: S608 - fixed names
                "WHERE voucher_key=? ORDER BY position",
                (voucher["netvisor_key"],),
            ).fetchall()
            return [dict(row) for row in rows]

    def delete_attachments(self, company_id: int, key) -> int:
        """Remove the attachments of the company's voucher `key`, as a person can in
        Netvisor (tampering); how many were removed."""
        with self._write() as db:
            voucher = self._own_voucher(company_id, key)
            removed = db.execute(
                "DELETE FROM voucher_attachments WHERE voucher_key=?", (voucher["netvisor_key"],)
            ).rowcount
            db.execute(
                "UPDATE vouchers SET attachment_count = 0, modified_at = ? WHERE netvisor_key = ?",
                (_now(), voucher["netvisor_key"]),
            )
            return removed

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

    def deleted_vouchers(
        self, company_id: int, since_date: datetime.date
    ) -> list[tuple[int, datetime.datetime]]:
        """(key, deleted_at in UTC) of vouchers deleted on or after `since_date` (a day in
        Finnish time, like Netvisor's) and within the last 7 days: older deletions are
        forgotten (API.md §11.4)."""
        forget_before = _now(DELETED_MEMORY.days)
        since = datetime.datetime.combine(since_date, datetime.time(), HELSINKI)
        since_text = since.astimezone(datetime.timezone.utc).isoformat(timespec="seconds")
        with self._lock:
            rows = self._db.execute(
                "SELECT netvisor_key, deleted_at FROM vouchers WHERE company_id=? "
                "AND status='deleted' AND deleted_at >= ? AND deleted_at >= ? "
                "ORDER BY deleted_at, netvisor_key",
                (company_id, since_text, forget_before),
            ).fetchall()
        return [(r[0], datetime.datetime.fromisoformat(r[1])) for r in rows]

    def account_balances(
        self, company_id: int, dates: list[datetime.date], interval_type: int
    ) -> dict[str, list[tuple[datetime.date, int, int, int]]]:
        """accountbalance.nv: account number -> one (date, debit, credit, balance) in cents
        per interval of `balance_intervals`, for every account with any line in the company
        (any voucher status; only valid vouchers count towards the sums).

        One GROUP BY per account and day, then prefix sums: the cost follows the number of
        (account, day) pairs, not the number of vouchers.
        """
        intervals = balance_intervals(dates, interval_type)
        last_day = intervals[-1][1].isoformat()
        with self._lock:
            rows = self._db.execute(
                "SELECT l.account_number, CASE WHEN v.status = 'valid' AND v.voucher_date <= ? "
                "THEN v.voucher_date END AS day, "
                "SUM(CASE WHEN l.sum_cents > 0 THEN l.sum_cents ELSE 0 END), "
                "SUM(CASE WHEN l.sum_cents < 0 THEN -l.sum_cents ELSE 0 END) "
                "FROM vouchers v JOIN voucher_lines l ON l.voucher_key = v.netvisor_key "
                "WHERE v.company_id = ? GROUP BY l.account_number, day "
                "ORDER BY l.account_number, day",
                (last_day, company_id),
            ).fetchall()
        days: dict[str, list[str]] = {}
        sums: dict[str, list[tuple[int, int]]] = {}  # prefix sums (debit, credit) per day
        for number, day, debit, credit in rows:
            days.setdefault(number, [])
            sums.setdefault(number, [(0, 0)])
            if day is not None:  # None: lines not counted (other status, later date)
                before_debit, before_credit = sums[number][-1]
                days[number].append(day)
                sums[number].append((before_debit + debit, before_credit + credit))

        def upto(number: str, day: datetime.date | None) -> tuple[int, int]:
            if day is None:
                return 0, 0
            return sums[number][bisect.bisect_right(days[number], day.isoformat())]

        result = {}
        for number in days:
            entries = []
            for first, last in intervals:
                debit, credit = upto(number, last)
                balance = debit - credit
                if first is not None:  # movements of the interval only
                    before = upto(number, first - datetime.timedelta(days=1))
                    debit, credit = debit - before[0], credit - before[1]
                entries.append((last, debit, credit, balance))
            result[number] = entries
        return result

    # -- tampering: what a person does in Netvisor's UI (admin) ---------------------------
    def _own_voucher(self, company_id: int, key) -> dict:
        """The company's voucher `key` with its lines; VoucherNotFound otherwise."""
        if isinstance(key, bool) or not str(key).strip().isdigit():
            raise VoucherNotFound(f"no voucher {str(key)[:20]!r} in this company")
        found = self.vouchers(company_id, "AND netvisor_key = ?", (int(str(key).strip()),))
        if not found:
            raise VoucherNotFound(f"no voucher {key} in this company")
        return found[0]

    def delete_voucher(self, company_id: int, key, days_ago: float = 0) -> None:
        """Delete as a person does in the UI: status 'deleted', `deleted_at` now minus
        `days_ago` days (to age a deletion past deletedvouchers.nv's 7 days)."""
        if isinstance(days_ago, bool) or not isinstance(days_ago, int | float) or days_ago < 0:
            raise ValueError("days_ago must be a non-negative number")
        with self._lock:
            voucher = self._own_voucher(company_id, key)
            if voucher["status"] == "deleted":
                raise ValueError(f"voucher {voucher['netvisor_key']} is already deleted")
            at = _now(days_ago)
            with self._write() as db:
                db.execute(
                    "UPDATE vouchers SET status='deleted', deleted_at=?, modified_at=? "
                    "WHERE netvisor_key=?",
                    (at, at, voucher["netvisor_key"]),
                )
                db.execute(
                    "INSERT INTO voucher_history VALUES (?,?,?)",
                    (voucher["netvisor_key"], at, "deleted"),
                )

    def edit_line(
        self,
        company_id: int,
        key,
        position: int,
        changes: dict,
        balance_position: int | None = None,
    ) -> None:
        """Edit line `position` (1-based) of a valid voucher as a person would. `changes`:
        amount (euros), account_number, vat_code, vat_percent, description. A new amount
        needs `balance_position`, the line that absorbs the difference (Netvisor keeps a
        voucher balanced)."""
        unknown = sorted(set(changes) - set(LINE_CHANGES))
        if unknown or not changes:
            raise ValueError(f"changes must be some of {LINE_CHANGES}, got {unknown or 'none'}")
        with self._lock:
            voucher = self._own_voucher(company_id, key)
            if voucher["status"] != "valid":
                raise ValueError(f"voucher {voucher['netvisor_key']} is {voucher['status']}")
            lines = voucher["lines"]
            line = self._line_at(lines, position, "position")
            edited = dict(line)
            other = None
            if "amount" in changes:
                if balance_position is None:
                    raise ValueError(
                        "an amount change needs balance_position (the line that "
                        "absorbs the difference)"
                    )
                other = dict(self._line_at(lines, balance_position, "balance_position"))
                if other["netvisor_key"] == line["netvisor_key"]:
                    raise ValueError("balance_position must be another line")
                edited["sum_cents"] = _cents(changes["amount"])
                other["sum_cents"] -= edited["sum_cents"] - line["sum_cents"]
            if "account_number" in changes:
                number = str(changes["account_number"]).strip()
                account = self.accounts(company_id).get(number)
                if account is None or account.account_type != "account":
                    raise ValueError(f"account {number[:20]} is not in the company's chart")
                edited["account_number"] = number
            if "vat_code" in changes:
                edited["vat_code"] = str(changes["vat_code"]).strip()
                if edited["vat_code"] not in validation.VAT_CODES:
                    raise ValueError(f"unknown VAT code {edited['vat_code'][:20]!r}")
            if "vat_percent" in changes:
                edited["vat_percent"] = _percent(changes["vat_percent"])
            if edited["vat_code"] in validation.ZERO_ONLY_CODES and Decimal(edited["vat_percent"]):
                raise ValueError(f"VAT code {edited['vat_code']} takes 0 %")
            if "description" in changes:
                edited["description"] = changes["description"]
                if edited["description"] is not None and not isinstance(edited["description"], str):
                    raise ValueError("description must be text or null")
            now = _now()
            with self._write() as db:
                for item in filter(None, (edited, other)):
                    db.execute(
                        "UPDATE voucher_lines SET sum_cents=?, account_number=?, vat_code=?, "
                        "vat_percent=?, description=? WHERE netvisor_key=?",
                        (
                            item["sum_cents"],
                            item["account_number"],
                            item["vat_code"],
                            item["vat_percent"],
                            item["description"],
                            item["netvisor_key"],
                        ),
                    )
                db.execute(
                    "UPDATE vouchers SET modified_at=? WHERE netvisor_key=?",
                    (now, voucher["netvisor_key"]),
                )
                db.execute(
                    "INSERT INTO voucher_history VALUES (?,?,?)",
                    (voucher["netvisor_key"], now, "edited"),
                )

    def edit_voucher(self, company_id: int, key, changes: dict) -> None:
        """Edit a valid voucher's head as a person would: `description` (text) and/or
        `date` (ISO); the key stays."""
        unknown = sorted(set(changes) - {"description", "date"})
        if unknown or not changes:
            raise ValueError(f"changes must be description and/or date, got {unknown or 'none'}")
        with self._lock:
            voucher = self._own_voucher(company_id, key)
            if voucher["status"] != "valid":
                raise ValueError(f"voucher {voucher['netvisor_key']} is {voucher['status']}")
            description = changes.get("description", voucher["description"])
            if description is not None and not isinstance(description, str):
                raise ValueError("description must be text or null")
            day = voucher["voucher_date"]
            if "date" in changes:
                day = datetime.date.fromisoformat(str(changes["date"])).isoformat()
            now = _now()
            with self._write() as db:
                db.execute(
                    "UPDATE vouchers SET description=?, voucher_date=?, modified_at=? "
                    "WHERE netvisor_key=?",
                    (description, day, now, voucher["netvisor_key"]),
                )
                db.execute(
                    "INSERT INTO voucher_history VALUES (?,?,?)",
                    (voucher["netvisor_key"], now, "edited"),
                )

    @staticmethod
    def _line_at(lines: list[dict], position, name: str) -> dict:
        if isinstance(position, bool) or not str(position).strip().isdigit():
            raise ValueError(f"{name} must be a line number from 1")
        index = int(str(position).strip()) - 1
        if not 0 <= index < len(lines):
            raise ValueError(f"{name} {index + 1} is not a line of the voucher (1-{len(lines)})")
        return lines[index]

    def duplicate_voucher(self, company_id: int, key) -> int:
        """A copy under a new key and the type's next number, status valid: what the same
        voucher imported twice looks like. Returns the new key."""
        with self._lock:
            voucher = self._own_voucher(company_id, key)
            header = {
                "type_key": voucher["type_key"],
                "number": None,
                "date": datetime.date.fromisoformat(voucher["voucher_date"]),
                "description": voucher["description"],
                "voucher_class": voucher["voucher_class"],
                "calculation_mode": voucher["calculation_mode"],
                "checked": voucher["checked"],
                "comment": None,
                "attachment_count": voucher["attachment_count"],
                "attachments": self.attachments(company_id, key, with_data=True),
            }
            lines = [
                {
                    "cents": line["sum_cents"],
                    "description": line["description"],
                    "account_number": line["account_number"],
                    "vat_percent": line["vat_percent"],
                    "vat_code": line["vat_code"],
                    "account_dimension": line["account_dimension"],
                    "account_dimension_type": line["account_dimension_type"],
                    "dimensions": line["dimensions"],
                }
                for line in voucher["lines"]
            ]
            return self.insert_voucher(company_id, header, lines)

    def add_voucher(
        self,
        company_id: int,
        date,
        description: str | None,
        voucher_class: str,
        lines: list[dict],
    ) -> int:
        """A voucher booked by hand in Netvisor. `lines`: {amount, account_number,
        vat_code (NONE), vat_percent (0), description (None)}; they must balance to 0 and
        the date must fall in an accounting period. Returns the new key."""
        if isinstance(date, str):
            date = datetime.date.fromisoformat(date.strip())
        if not isinstance(date, datetime.date):
            raise ValueError("date must be YYYY-MM-DD")
        if not any(begin <= date <= end for _, _, begin, end in self.periods(company_id)):
            raise ValueError(f"{date.isoformat()} is not in any accounting period")
        type_key = next(
            (
                t["netvisor_key"]
                for t in self.voucher_types(company_id)
                if t["name"] == voucher_class
            ),
            None,
        )
        if type_key is None:
            raise ValueError(f"no voucher type named {str(voucher_class)[:100]!r}")
        if description is not None and not isinstance(description, str):
            raise ValueError("description must be text")
        if not isinstance(lines, list) or not lines:
            raise ValueError("a voucher needs lines")
        stored = []
        for line in lines:
            if not isinstance(line, dict) or "amount" not in line or "account_number" not in line:
                raise ValueError("each line needs amount and account_number")
            number = str(line["account_number"]).strip()
            account = self.accounts(company_id).get(number)
            if account is None or account.account_type != "account":
                raise ValueError(f"account {number[:20]} is not in the company's chart")
            code = str(line.get("vat_code") or "NONE").strip()
            if code not in validation.VAT_CODES:
                raise ValueError(f"unknown VAT code {code[:20]!r}")
            percent = _percent(line.get("vat_percent", 0))
            if code in validation.ZERO_ONLY_CODES and Decimal(percent):
                raise ValueError(f"VAT code {code} takes 0 %, not {percent}")
            stored.append(
                {
                    "cents": _cents(line["amount"]),
                    "description": line.get("description"),
                    "account_number": number,
                    "vat_percent": percent,
                    "vat_code": code,
                    "account_dimension": None,
                    "account_dimension_type": None,
                    "dimensions": [],
                }
            )
        total = sum(line["cents"] for line in stored)
        if total:
            raise ValueError(f"the lines do not balance: they sum to {Decimal(total).scaleb(-2)}")
        header = {
            "type_key": type_key,
            "number": None,
            "date": date,
            "description": description,
            "voucher_class": voucher_class,
            "calculation_mode": "net",
            "checked": False,
            "comment": "booked by hand",
            "attachment_count": 0,
        }
        return self.insert_voucher(company_id, header, stored)

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
            for table in ("voucher_lines", "voucher_history", "voucher_attachments"):
                db.execute(
                    f"DELETE FROM {table} WHERE voucher_key IN ({keys})",  # noqa: S608
                    (company_id,),
                )
            return db.execute("DELETE FROM vouchers WHERE company_id=?", (company_id,)).rowcount
