"""Chaos mode: every Netvisor request may draw a random fault, for long fault campaigns.

One seeded `random.Random` under a lock, one draw per request in arrival order: the same
seed and the same sequence of requests give the same faults. A drawn fault acts exactly as
a queued fault of its mode would; queued faults take precedence.
"""

import random
import secrets
import threading
from collections import Counter

from .faults import DEFAULT_HANG_SECONDS, STAGES, Fault, applies, hang_seconds, resource_name

KINDS = tuple(mode for mode in STAGES if mode != "fail")  # fail needs a category
FIELDS = {"probability", "kinds", "seed", "hang_seconds", "resources"}


class Chaos:
    def __init__(self):
        self._lock = threading.Lock()
        self._settings: dict | None = None  # None: off
        self._random = random.Random()
        self._injected: Counter = Counter()
        self._requests = 0

    def configure(self, data: dict) -> dict:
        """Turn chaos on (or re-seed it) from the admin JSON; counts start from zero."""
        unknown = set(data) - FIELDS
        if unknown:
            raise ValueError(f"unknown chaos settings {sorted(unknown)}; one of {sorted(FIELDS)}")
        probability = data.get("probability", 0.5)
        if isinstance(probability, bool) or not isinstance(probability, int | float):
            raise ValueError("probability must be a number")
        if not 0 <= probability <= 1:
            raise ValueError("probability must be between 0 and 1")
        kinds = data.get("kinds") or list(KINDS)
        if not isinstance(kinds, list) or any(kind not in KINDS for kind in kinds):
            raise ValueError(f"kinds must be a list of {list(KINDS)}")
        seed = data.get("seed")
        if seed is None:
            seed = secrets.randbelow(2**31)  # reported by status, so a run can be replayed
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError("seed must be an integer")
        resources = data.get("resources")
        if resources is not None:
            if not isinstance(resources, list) or not all(isinstance(r, str) for r in resources):
                raise ValueError("resources must be a list of resource names")
            resources = sorted({resource_name(r) for r in resources} - {None}) or None
        settings = {
            "probability": float(probability),
            "kinds": sorted(set(kinds), key=KINDS.index),
            "seed": seed,
            "hang_seconds": hang_seconds(data.get("hang_seconds", DEFAULT_HANG_SECONDS)),
            "resources": resources,
        }
        with self._lock:
            self._settings = settings
            self._random = random.Random(seed)
            self._injected.clear()
            self._requests = 0
        return self.status()

    def off(self) -> dict:
        """Stop drawing; the status (with the counts of the run) is returned once more."""
        with self._lock:
            self._settings = None
        return self.status()

    def status(self) -> dict:
        with self._lock:
            return {
                "enabled": self._settings is not None,
                **(self._settings or {}),
                "injected": dict(self._injected),
                "requests": self._requests,
            }

    def draw(self, resource: str, method: str) -> Fault | None:
        """One draw for one Netvisor request: a fault to apply, or None."""
        with self._lock:
            settings = self._settings
            if settings is None:
                return None
            self._requests += 1
            if self._random.random() >= settings["probability"]:
                return None
            kinds = [k for k in settings["kinds"] if applies(k, method, chaos=True)]
            allowed = settings["resources"]
            if not kinds or (allowed and resource not in allowed):
                return None
            kind = self._random.choice(kinds)
        seconds = settings["hang_seconds"] if kind == "hang" else None
        return Fault(kind, 1, resource, seconds=seconds)

    def count(self, mode: str) -> None:
        """A drawn fault was applied (one drawn for a request that failed earlier is not)."""
        with self._lock:
            self._injected[mode] += 1
