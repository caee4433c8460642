"""Injected faults for the next N Netvisor requests (optionally of one resource)."""

import threading
from dataclasses import dataclass

# mode -> the point of the request where it strikes
STAGES = {
    "SYSTEM_MAINTENANCE": "before_auth",
    "TECHNICAL_ERROR": "before_auth",
    "non_xml_502": "before_auth",
    "fail": "after_auth",  # a FAILED envelope with the given category and text
    "drop_after_commit": "after_commit",  # do the work, then close without answering
}


def resource_name(value: str | None) -> str | None:
    """`Accounting.nv` / `accounting` -> `accounting`."""
    if not value:
        return None
    value = value.strip().strip("/").lower()
    return value.removesuffix(".nv")


@dataclass
class Fault:
    mode: str
    remaining: int
    resource: str | None = None
    category: str | None = None
    text: str | None = None

    def as_json(self) -> dict:
        return dict(vars(self))


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
    ) -> Fault:
        if mode not in STAGES:
            raise ValueError(f"unknown fault mode {mode!r}; one of {sorted(STAGES)}")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ValueError("count must be a positive integer")
        if mode == "fail":
            if not category or not category.isupper():
                raise ValueError("fail needs an upper-case category, e.g. INVALID_DATA")
            resource = resource or "accounting"
        fault = Fault(mode, count, resource_name(resource), category, text)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, resource: str, stage: str) -> Fault | None:
        """Consume one use of the first queued fault matching this request and stage."""
        with self._lock:
            for fault in self._faults:
                if STAGES[fault.mode] == stage and fault.resource in (None, resource):
                    fault.remaining -= 1
                    if not fault.remaining:
                        self._faults.remove(fault)
                    return fault
        return None

    def list(self) -> list[dict]:
        with self._lock:
            return [f.as_json() for f in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
