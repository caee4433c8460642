"""Runtime settings of the sandbox; CLI flags set them, the admin API may change them."""

from dataclasses import dataclass, field
from decimal import Decimal

DEFAULT_VAT_PERCENTS = frozenset(Decimal(p) for p in ("0", "10", "13.5", "14", "24", "25.5"))
# accountingperiodlist.nv: `sibling` (Period beside PeriodLockInformation, d.M.yyyy dates,
# as captured from Netvisor) or `nested` (inside it, ISO dates, as documented); API.md §11.1
PERIOD_LIST_LAYOUTS = ("sibling", "nested")


@dataclass
class Settings:
    latency_ms: int = 0
    legacy_algorithms: bool = True
    timestamp_skew_seconds: int = 300
    description_limit: int = 255
    period_list_layout: str = PERIOD_LIST_LAYOUTS[0]
    vat_percents: frozenset = field(default_factory=lambda: DEFAULT_VAT_PERCENTS)
    accept_foreign_voucher_class: bool = False
    # room for a 10 MB document (the addon's default cap) as base64 in its voucher
    max_body_bytes: int = 16 * 1024 * 1024
    # Whether deleted vouchers stay visible to accountingledger.nv (Status="deleted", with
    # voucherstatus 1/3 and key lookups). API.md §11.4 leaves it open; strict: never.
    deleted_in_ledger: bool = False
    # accountbalance.nv: `Number` and `Name` under each Account (the newer revision of
    # API.md §11.4); strict: the older shape without them.
    account_balance_numbers: bool = False
    # accounting.nv: an item unknown under an existing dimension header is created, as
    # Netvisor does (API.md §11.2); true refuses the voucher instead (INVALID_DATA).
    refuse_unknown_dimension_items: bool = False

    def as_json(self) -> dict:
        data = dict(vars(self))
        data["vat_percents"] = sorted(str(p) for p in self.vat_percents)
        return data

    def update(self, changes: dict) -> None:
        """Apply a partial JSON update; unknown keys or bad values raise ValueError."""
        for key, value in changes.items():
            if key not in vars(self):
                raise ValueError(f"unknown setting: {key}")
            if key == "vat_percents":
                value = frozenset(Decimal(str(p)) for p in value)
            elif key == "period_list_layout" and value not in PERIOD_LIST_LAYOUTS:
                raise ValueError(f"period_list_layout must be one of {PERIOD_LIST_LAYOUTS}")
            elif isinstance(getattr(self, key), bool):
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false")
            elif isinstance(getattr(self, key), int):
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"{key} must be a non-negative integer")
            setattr(self, key, value)
