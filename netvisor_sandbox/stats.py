"""Request counts per organisation, and overlaps: API.md §7 asks for one request at a
time per company, so a request that starts while another of the same organisation is
still running (a hanging one included) is counted. Also the most organisations served at
the same moment (several companies sending in parallel), and the faults injected; and
the dimension items the sandbox created for an organisation (EventCounts)."""

import contextlib
import threading
from collections import Counter


class RequestStats:
    def __init__(self):
        self._lock = threading.Lock()
        self._in_flight: Counter = Counter()
        self._reset()

    def _reset(self) -> None:
        self._requests: Counter = Counter()
        self._overlaps: Counter = Counter()
        self._max_in_flight = dict(+self._in_flight)
        self._max_organisations = len(+self._in_flight)
        self._injected: Counter = Counter()

    @contextlib.contextmanager
    def request(self, organisation_id: str):
        """Count one Netvisor request of this organisation while it runs."""
        with self._lock:
            self._requests[organisation_id] += 1
            if self._in_flight[organisation_id]:
                self._overlaps[organisation_id] += 1
            self._in_flight[organisation_id] += 1
            self._max_in_flight[organisation_id] = max(
                self._max_in_flight.get(organisation_id, 0), self._in_flight[organisation_id]
            )
            self._max_organisations = max(self._max_organisations, len(+self._in_flight))
        try:
            yield
        finally:
            with self._lock:
                self._in_flight[organisation_id] -= 1

    def injected(self, mode: str) -> None:
        with self._lock:
            self._injected[mode] += 1

    def as_json(self) -> dict:
        with self._lock:
            return {
                "requests": dict(self._requests),
                "overlaps": {org: self._overlaps[org] for org in self._requests},
                "max_in_flight": dict(self._max_in_flight),
                "max_organisations_in_flight": self._max_organisations,
                "in_flight": dict(+self._in_flight),
                "injected": dict(self._injected),
            }

    def reset(self) -> dict:
        """Forget the counts; requests still running stay in flight."""
        with self._lock:
            self._reset()
        return self.as_json()


class EventCounts:
    """What the sandbox did for an organisation beyond answering, by kind: dimension
    items created automatically on import (`dimension_items_created`) and added through
    dimensionitem.nv (`dimension_items_added`). Kept by the store, which does the work;
    shown and reset with the request stats."""

    KINDS = ("dimension_items_created", "dimension_items_added")

    def __init__(self):
        self._lock = threading.Lock()
        self._counts = {kind: Counter() for kind in self.KINDS}

    def add(self, kind: str, organisation_id: str, count: int = 1) -> None:
        with self._lock:
            self._counts[kind][organisation_id] += count

    def as_json(self) -> dict:
        with self._lock:
            return {kind: dict(+counter) for kind, counter in self._counts.items()}

    def reset(self) -> dict:
        with self._lock:
            for counter in self._counts.values():
                counter.clear()
        return self.as_json()
