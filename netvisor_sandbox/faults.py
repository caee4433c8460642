"""Injected faults for the next N Netvisor requests (optionally of one resource).

Each mode strikes at one point of the request: before authentication (nothing is
processed, except after a `hang`), after authentication, or after the work is committed
(the voucher is stored, then the answer is lost or wrong: the edges of "exactly once").
"""

import threading
from dataclasses import dataclass

from .envelope import E

# mode -> the point of the request where it strikes
STAGES = {
    "SYSTEM_MAINTENANCE": "before_auth",
    "TECHNICAL_ERROR": "before_auth",
    "non_xml_502": "before_auth",
    "reset_before": "before_auth",  # close without answering; nothing processed
    "hang": "before_auth",  # hold `seconds`, then process and store as usual
    "raw_amp_auth_failed": "before_auth",  # AUTHENTICATION_FAILED echoing the MAC string raw
    "fail": "after_auth",  # a FAILED envelope with the given category and text
    "drop_after_commit": "after_commit",  # do the work, then close without answering
    "technical_error_after_commit": "after_commit",  # store, then TECHNICAL_ERROR (500)
    "gateway_502_after_commit": "after_commit",  # store, then a load balancer's HTML 502
    "gateway_504_after_commit": "after_commit",  # store, then a load balancer's HTML 504
    "garbage_numbers": "after_commit",  # GET answers: numbers and dates garbled
}
GET_ONLY = frozenset({"garbage_numbers"})
STORE_THEN_FAIL = frozenset(m for m, s in STAGES.items() if s == "after_commit") - GET_ONLY
DEFAULT_HANG_SECONDS = 5.0
MAX_HANG_SECONDS = 3600.0


def resource_name(value: str | None) -> str | None:
    """`Accounting.nv` / `accounting` -> `accounting`."""
    if not value:
        return None
    value = value.strip().strip("/").lower()
    return value.removesuffix(".nv")


def applies(mode: str, method: str, chaos: bool = False) -> bool:
    """Only a GET answer has numbers to garble. Chaos stores-then-fails only POSTs (a
    GET stores nothing); a queued after-commit fault still hits whatever comes next."""
    if mode in GET_ONLY:
        return method == "GET"
    if chaos and mode in STORE_THEN_FAIL:
        return method == "POST"
    return True


def hang_seconds(value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("seconds must be a number")
    if not 0 < value <= MAX_HANG_SECONDS:
        raise ValueError(f"seconds must be above 0 and at most {MAX_HANG_SECONDS:g}")
    return float(value)


@dataclass
class Fault:
    mode: str
    remaining: int
    resource: str | None = None
    category: str | None = None
    text: str | None = None
    seconds: float | None = None  # hang only

    def as_json(self) -> dict:
        data = dict(vars(self))
        if self.seconds is None:
            del data["seconds"]
        return data


class FaultQueue:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        mode: str,
        count: int = 1,
        resource: str | None = None,
        category: str | None = None,
        text: str | None = None,
        seconds: float | None = None,
    ) -> Fault:
        if mode not in STAGES:
            raise ValueError(f"unknown fault mode {mode!r}; one of {sorted(STAGES)}")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ValueError("count must be a positive integer")
        if mode == "fail":
            if not category or not category.isupper():
                raise ValueError("fail needs an upper-case category, e.g. INVALID_DATA")
            resource = resource or "accounting"
        if mode == "hang":
            seconds = DEFAULT_HANG_SECONDS if seconds is None else hang_seconds(seconds)
        elif seconds is not None:
            raise ValueError("seconds is only for hang")
        fault = Fault(mode, count, resource_name(resource), category, text, seconds)
        with self._lock:
            self._faults.append(fault)
        return fault

    def _matches(self, fault: Fault, resource: str, method: str) -> bool:
        return fault.resource in (None, resource) and applies(fault.mode, method)

    def take(self, resource: str, stage: str, method: str) -> Fault | None:
        """Consume one use of the first queued fault matching this request and stage."""
        with self._lock:
            for fault in self._faults:
                if STAGES[fault.mode] == stage and self._matches(fault, resource, method):
                    fault.remaining -= 1
                    if not fault.remaining:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self, resource: str, method: str) -> bool:
        """Whether a queued fault may strike this request (then chaos stays out)."""
        with self._lock:
            return any(self._matches(f, resource, method) for f in self._faults)

    def list(self) -> list[dict]:
        with self._lock:
            return [f.as_json() for f in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


# -- garbage_numbers ---------------------------------------------------------------------
# Values a broken serializer might write; each fails a strict parser differently
# (ValueError, OverflowError, a wrong sign or magnitude if read leniently).
BAD_AMOUNTS = ("1,2,3", "12x", "--5,00", "1.234,56")
BAD_INTEGERS = ("12x", "1,2,3", "0x1F")
BAD_DATES = ("32.13.2025", "31.2.2025", "1.1.99999999999999999999", "2025-13-01", "12.x.2025")
GARBLED = {
    **dict.fromkeys(("LineSum", "VatPercent"), BAD_AMOUNTS),
    **dict.fromkeys(("VoucherNumber", "Sort", "EndSort"), BAD_INTEGERS),
    **dict.fromkeys(
        (
            "VoucherDate",
            "BeginDate",
            "EndDate",
            "AccountingPeriodLockDate",
            "VatPeriodLockDate",
            "PurchaseLockDate",
        ),
        BAD_DATES,
    ),
}


def garble_numbers(payload: list[E]) -> int:
    """Replace every non-empty amount, number and date of a GET answer in place, in a
    fixed rotation (so a seeded campaign sees the same answers); keys, names and
    structure stay, and the XML stays well-formed. Returns how many were replaced."""
    used = dict.fromkeys(GARBLED, 0)
    stack = list(payload)
    while stack:
        element = stack.pop(0)
        if isinstance(element.content, list):
            stack[:0] = element.content
        elif element.tag in GARBLED and str(element.content):
            choices = GARBLED[element.tag]
            element.content = choices[used[element.tag] % len(choices)]
            used[element.tag] += 1
    return sum(used.values())
