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

from . import vat

MATCHES = "matches"
MISSING = "missing"
DIFFERENT = "different"
INVALIDATED = "invalidated"
TWICE = "twice"
#: Netvisor holds the document under another key than the one Odoo points to
KEY_CHANGED = "key_changed"
#: Netvisor holds a document that Odoo has not as sent (failed, pending, ...)
UNEXPECTED = "unexpected"
FOREIGN = "foreign"
#: The outcomes of one document, worst first (the order the accountant reads them in).
OUTCOMES = (MISSING, DIFFERENT, INVALIDATED, TWICE, KEY_CHANGED, UNEXPECTED, FOREIGN, MATCHES)


@dataclass(frozen=True)
class Expected:
    """A document of the period: its lines as {(account, VAT code, percent): amount}, the
    key Odoo's voucher points to and the date it was sent with; ``sent`` False for a
    document Odoo has not (yet) as sent, which Netvisor should not hold."""

    document_id: int
    netvisor_key: str | None
    lines: dict
    date: object = None
    sent: bool = True


@dataclass(frozen=True)
class Finding:
    """One document's (or, for FOREIGN, one Netvisor voucher's) outcome."""

    outcome: str
    document_id: int | None = None
    #: the Netvisor voucher Odoo's voucher keeps (the one it points to when several)
    netvisor_key: str | None = None
    #: valid Netvisor vouchers of the document beyond the kept one (TWICE)
    extra_keys: tuple = ()
    #: (account, VAT code, percent, dimensions, Odoo amount, Netvisor amount) of each
    #: differing line
    differences: tuple = ()
    #: FOREIGN: what Netvisor says of the voucher
    description: str = ""
    date: object = None
    #: the key Odoo's voucher pointed to when compared
    odoo_key: str | None = None
    #: DIFFERENT: Netvisor's date is not the one sent (the date, else None)
    moved_to: object = None
    #: DIFFERENT: the reference was removed from the description in Netvisor
    reference_lost: bool = False


@dataclass
class Comparison:
    findings: list = field(default_factory=list)
    #: {(account, VAT code, percent): (Odoo sum, Netvisor sum)} over the period's vouchers
    sums: dict = field(default_factory=dict)

    def count(self, outcome):
        return sum(1 for finding in self.findings if finding.outcome == outcome)

    @property
    def matches(self):
        """Netvisor holds exactly Odoo's vouchers; a voucher booked there by hand is
        listed, not held against the period."""
        return all(f.outcome in (MATCHES, FOREIGN) for f in self.findings) and all(
            odoo == netvisor for odoo, netvisor in self.sums.values()
        )


def reference_pattern(prefix):
    """Matches a description that starts with this database's reference; group 1 is the
    document id."""
    return re.compile(re.escape(prefix) + r"([0-9]+)(?:-[0-9]+)?(?:\s|$)")


percent = vat.exact_percent


def line_sums(lines):
    """{(account, VAT code, percent, dimensions): amount} of the valid ledger lines, zero
    sums dropped: Netvisor may split or join lines, and keeps an edited voucher's old
    lines as invalidated; what is booked per account, VAT code and dimension items is what
    counts (the items as sorted (header, item) pairs)."""
    sums = defaultdict(Decimal)
    for line in lines:
        if line.status.lower() in ("invalidated", "deleted"):
            continue
        dimensions = tuple(sorted(tuple(pair) for pair in line.dimensions))
        key = (line.account_number, line.vat_code, percent(line.vat_percent), dimensions)
        sums[key] += line.amount
    return {key: amount for key, amount in sums.items() if amount}


def _normalized(lines):
    """Expected lines keyed as line_sums keys them (the dimensions may be left out)."""
    sums = defaultdict(Decimal)
    for key, amount in lines.items():
        account, code, rate, *rest = key
        dimensions = tuple(sorted(tuple(pair) for pair in (rest[0] if rest else ())))
        sums[account, code, percent(rate), dimensions] += amount
    return {key: amount for key, amount in sums.items() if amount}


def _per_account(sums):
    """{(account, VAT code, percent): amount}, the dimensions summed up."""
    collapsed = Counter()
    for (account, code, rate, _dimensions), amount in sums.items():
        collapsed[account, code, rate] += amount
    return collapsed


def _key_order(voucher):
    key = voucher.netvisor_key or ""
    return (0, int(key), key) if key.isdigit() else (1, 0, key)


def _differences(expected, actual):
    """(account, VAT code, percent, dimensions, Odoo amount, Netvisor amount) of each line
    that differs."""
    keys = sorted(set(expected) | set(actual))
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
    says were deleted. A valid voucher belongs to a document by its reference, or by the
    key Odoo holds for it (its description may have been edited in Netvisor). Netvisor's
    own invoice vouchers (with a linked source) and vouchers of this database's documents
    outside ``expected`` are not judged.
    """
    pattern = reference_pattern(prefix)
    mine = {item.document_id: item for item in expected}
    by_key = {item.netvisor_key: item.document_id for item in expected if item.netvisor_key}
    valid_of, dead, lost = defaultdict(list), set(gone_keys), set()
    findings = []
    for voucher in ledger:
        if voucher.is_invalidated:
            dead.add(voucher.netvisor_key)
            continue
        match = pattern.match(voucher.description or "")
        document_id = int(match.group(1)) if match else None
        if document_id not in mine and voucher.netvisor_key in by_key:
            document_id = by_key[voucher.netvisor_key]
            lost.add(voucher.netvisor_key)
        if document_id in mine:
            if voucher not in valid_of[document_id]:
                valid_of[document_id].append(voucher)
        elif (
            match is None and voucher.voucher_class in voucher_classes and not voucher.linked_source
        ):
            findings.append(
                Finding(
                    FOREIGN,
                    netvisor_key=voucher.netvisor_key,
                    description=voucher.description,
                    date=voucher.date,
                )
            )
    odoo_sums, netvisor_sums = Counter(), Counter()
    for document_id, item in mine.items():
        found = sorted(valid_of.get(document_id, ()), key=_key_order)
        if not item.sent:
            if found:
                keys = tuple(v.netvisor_key for v in found)
                findings.append(Finding(UNEXPECTED, document_id, keys[0], keys[1:]))
            continue
        lines = _normalized(item.lines)
        odoo_sums.update(_per_account(lines))
        for voucher in found:
            netvisor_sums.update(_per_account(line_sums(voucher.lines)))
        odoo_key = item.netvisor_key
        if not found:
            outcome = INVALIDATED if odoo_key in dead else MISSING
            findings.append(Finding(outcome, document_id, odoo_key, odoo_key=odoo_key))
            continue
        kept = next((v for v in found if v.netvisor_key == odoo_key), found[0])
        if len(found) > 1:
            extra = tuple(v.netvisor_key for v in found if v is not kept)
            findings.append(
                Finding(TWICE, document_id, kept.netvisor_key, extra, odoo_key=odoo_key)
            )
            continue
        if kept.netvisor_key != odoo_key:
            findings.append(Finding(KEY_CHANGED, document_id, kept.netvisor_key, odoo_key=odoo_key))
            continue
        differences = _differences(lines, line_sums(kept.lines))
        moved_to = kept.date if item.date and kept.date != item.date else None
        reference_lost = kept.netvisor_key in lost
        outcome = DIFFERENT if differences or moved_to or reference_lost else MATCHES
        findings.append(
            Finding(
                outcome,
                document_id,
                kept.netvisor_key,
                (),
                differences,
                odoo_key=odoo_key,
                moved_to=moved_to,
                reference_lost=reference_lost,
            )
        )
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
