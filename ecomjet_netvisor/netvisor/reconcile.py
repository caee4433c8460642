"""Compare the vouchers a period should have in Netvisor with what Netvisor's ledger holds.

Plain data in, plain data out: the addon reads both sides, this module decides what
differs. A Netvisor voucher belongs to a document through the reference that starts its
description (``<prefix><document id>``, ``-<n>`` after the n-th correction); Netvisor has
no other handle (API.md §11.4).
"""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

MATCHES = "matches"
MISSING = "missing"
DIFFERENT = "different"
INVALIDATED = "invalidated"
TWICE = "twice"
FOREIGN = "foreign"
#: The outcomes of one document, worst first (the order the accountant reads them in).
OUTCOMES = (MISSING, DIFFERENT, INVALIDATED, TWICE, FOREIGN, MATCHES)


@dataclass(frozen=True)
class Expected:
    """A document that Odoo says Netvisor holds: its lines as {(account, VAT code,
    percent): amount} and the key Odoo's voucher points to."""

    document_id: int
    netvisor_key: str | None
    lines: dict


@dataclass(frozen=True)
class Finding:
    """One document's (or, for FOREIGN, one Netvisor voucher's) outcome."""

    outcome: str
    document_id: int | None = None
    #: the Netvisor voucher Odoo's voucher keeps (the one it points to when several)
    netvisor_key: str | None = None
    #: valid Netvisor vouchers of the document beyond the kept one (TWICE)
    extra_keys: tuple = ()
    #: (account, VAT code, percent, Odoo amount, Netvisor amount) of each differing line
    differences: tuple = ()
    #: FOREIGN: what Netvisor says of the voucher
    description: str = ""
    date: object = None


@dataclass
class Comparison:
    findings: list = field(default_factory=list)
    #: {(account, VAT code, percent): (Odoo sum, Netvisor sum)} over the period's vouchers
    sums: dict = field(default_factory=dict)

    def count(self, outcome):
        return sum(1 for finding in self.findings if finding.outcome == outcome)

    @property
    def matches(self):
        return all(f.outcome == MATCHES for f in self.findings) and all(
            odoo == netvisor for odoo, netvisor in self.sums.values()
        )


def reference_pattern(prefix):
    """Matches a description that starts with this database's reference; group 1 is the
    document id."""
    return re.compile(re.escape(prefix) + r"([0-9]+)(?:-[0-9]+)?(?:\s|$)")


def line_sums(lines):
    """{(account, VAT code, percent): amount} of ledger lines, zero sums dropped: Netvisor
    may split or join lines, what is booked per account and VAT code is what counts."""
    sums = defaultdict(Decimal)
    for line in lines:
        sums[line.account_number, line.vat_code, Decimal(line.vat_percent).normalize()] += (
            line.amount
        )
    return {key: amount for key, amount in sums.items() if amount}


def _normalized(lines):
    sums = defaultdict(Decimal)
    for (account, code, percent), amount in lines.items():
        sums[account, code, Decimal(percent).normalize()] += amount
    return {key: amount for key, amount in sums.items() if amount}


def _differences(expected, actual):
    keys = sorted(set(expected) | set(actual), key=lambda k: (k[0], k[1], k[2]))
    return tuple(
        (*key, expected.get(key, Decimal(0)), actual.get(key, Decimal(0)))
        for key in keys
        if expected.get(key, Decimal(0)) != actual.get(key, Decimal(0))
    )


def compare(expected, ledger, prefix, voucher_classes, gone_keys=()):
    """The outcome of each expected document, and the period's per-account sums.

    ``ledger``: LedgerVouchers read for the period (any status); ``voucher_classes``: the
    voucher types of the period's kind, to tell a voucher booked by hand in Netvisor
    (FOREIGN) from one of the other kind on the same dates; ``gone_keys``: keys Netvisor
    says were deleted. Netvisor vouchers of this database's documents outside
    ``expected`` are ignored: they belong to another period or are not Odoo's to judge.
    """
    pattern = reference_pattern(prefix)
    mine = {item.document_id: item for item in expected}
    valid_of, dead = defaultdict(list), set(gone_keys)
    findings = []
    for voucher in ledger:
        match = pattern.match(voucher.description or "")
        if voucher.is_invalidated:
            dead.add(voucher.netvisor_key)
            continue
        if match is None:
            if voucher.voucher_class in voucher_classes:
                findings.append(
                    Finding(
                        FOREIGN,
                        netvisor_key=voucher.netvisor_key,
                        description=voucher.description,
                        date=voucher.date,
                    )
                )
            continue
        document_id = int(match.group(1))
        if document_id in mine:
            valid_of[document_id].append(voucher)
    odoo_sums, netvisor_sums = Counter(), Counter()
    for document_id, item in mine.items():
        lines = _normalized(item.lines)
        odoo_sums.update(lines)
        found = sorted(valid_of.get(document_id, ()), key=lambda v: int(v.netvisor_key))
        for voucher in found:
            netvisor_sums.update(line_sums(voucher.lines))
        if not found:
            outcome = INVALIDATED if item.netvisor_key in dead else MISSING
            findings.append(Finding(outcome, document_id, item.netvisor_key))
            continue
        kept = next((v for v in found if v.netvisor_key == item.netvisor_key), found[0])
        if len(found) > 1:
            extra = tuple(v.netvisor_key for v in found if v is not kept)
            findings.append(Finding(TWICE, document_id, kept.netvisor_key, extra))
            continue
        differences = _differences(lines, line_sums(kept.lines))
        outcome = DIFFERENT if differences else MATCHES
        findings.append(Finding(outcome, document_id, kept.netvisor_key, (), differences))
    sums = {
        key: (odoo_sums.get(key, Decimal(0)), netvisor_sums.get(key, Decimal(0)))
        for key in sorted(set(odoo_sums) | set(netvisor_sums))
    }
    return Comparison(findings, sums)


def balance_movements(balances, start, end):
    """{account key: debit − credit} of accountbalance.nv entries dated in the range."""
    movements = defaultdict(Decimal)
    for balance in balances:
        if start <= balance.date <= end:
            movements[balance.account_key] += balance.debit - balance.credit
    return dict(movements)
