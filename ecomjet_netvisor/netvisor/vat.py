"""Netvisor VAT codes and the VAT percents each accepts (API.md §5).

Netvisor refuses a line whose ``@vatcode`` does not fit its ``vatpercent``; keeping the
table here lets the connector refuse such a voucher before anything is sent.
"""

from dataclasses import dataclass
from decimal import Decimal

SALES = "sales"
PURCHASES = "purchases"
BOTH = "both"

#: Percents of the multi-rate codes: the documented rates plus 13.5 % (the Finnish
#: reduced rate since 1.1.2026, API.md §5 notes).
MULTI_RATE_PERCENTS = frozenset(Decimal(p) for p in ("0", "10", "13.5", "14", "24", "25.5"))
ZERO_ONLY = frozenset({Decimal(0)})


@dataclass(frozen=True)
class VatCode:
    """One Netvisor VAT code: which side uses it and which percents it allows."""

    code: str
    side: str
    label: str
    percents: frozenset


def _code(code, side, label, percents=MULTI_RATE_PERCENTS):
    return VatCode(code, side, label, frozenset(percents))


VAT_CODES = {
    vc.code: vc
    for vc in (
        _code("NONE", BOTH, "No VAT processing", ZERO_ONLY),
        _code("KOMY", SALES, "Domestic sales"),
        _code("EUMY", SALES, "EU sales (goods)", ZERO_ONLY),
        _code("EUUM", SALES, "Sales outside the EU", ZERO_ONLY),
        _code("EUPM312", SALES, "EU service sales (VAT return box 312)", ZERO_ONLY),
        _code("EUPM309", SALES, "EU service sales (VAT return box 309)", ZERO_ONLY),
        # The documentation lists 0, 10, 14, 24 for MUUL (no 25.5); 13.5 is the 2026 rate.
        _code(
            "MUUL",
            SALES,
            "Other VAT-free turnover (box 310)",
            MULTI_RATE_PERCENTS - {Decimal("25.5")},
        ),
        _code("RAMY", SALES, "Sale of construction services (reverse charge)", ZERO_ONLY),
        _code("KOMY0", SALES, "Domestic sales 0 %", ZERO_ONLY),
        _code("KOOS", PURCHASES, "Domestic purchase"),
        _code("EUOS", PURCHASES, "EU purchase (goods)"),
        _code("EUPO", PURCHASES, "EU service purchase"),
        _code("EUUO", PURCHASES, "Purchase from outside the EU", ZERO_ONLY),
        _code("EVTO", PURCHASES, "Non-deductible EU goods purchase"),
        _code("EVPO", PURCHASES, "Non-deductible EU service purchase"),
        _code("RAOS", PURCHASES, "Purchase of construction services (reverse charge)"),
        _code("EVRO", PURCHASES, "Non-deductible purchase of construction services"),
        _code("KAVE", PURCHASES, "Domestic reverse charge (reverse tax liability)"),
        _code("EVKV", PURCHASES, "Non-deductible reverse tax liability"),
        _code("MAAL", PURCHASES, "Import VAT, outside the EU"),
        _code("EVMA", PURCHASES, "Non-deductible import VAT, outside the EU"),
        _code("100", PURCHASES, "100 % deductible tax", ZERO_ONLY),
    )
}


#: Codes whose VAT the buyer reports itself (reverse charge, import): the supplier's invoice
#: holds no VAT, so the document's gross is its net.
SELF_ASSESSED = frozenset(
    ("EUOS", "EUPO", "EVTO", "EVPO", "RAOS", "EVRO", "KAVE", "EVKV", "MAAL", "EVMA")
)


def exact_percent(value):
    """A VAT percent in one spelling, the shortest exact Decimal (a tax's float 24.0 -> 24,
    Netvisor's 25,50 -> 25.5, never 1E+1)."""
    number = Decimal(str(round(value, 4))) if isinstance(value, float) else Decimal(value)
    number = number.normalize()
    return number.quantize(Decimal(1)) if number == number.to_integral() else number


def sent_percent(code, percent):
    """The percent a line is sent with: a code that takes 0 % only gets 0 %."""
    known = VAT_CODES.get(code)
    return Decimal(0) if known and known.percents == ZERO_ONLY else percent


def is_known_code(code):
    """True when ``code`` is a Netvisor VAT code (exact, upper case as Netvisor spells it)."""
    return code in VAT_CODES


def is_allowed(code, percent):
    """True when Netvisor accepts ``percent`` together with ``code``."""
    vat_code = VAT_CODES.get(code)
    if vat_code is None:
        return False
    try:
        return Decimal(percent) in vat_code.percents
    except (TypeError, ValueError, ArithmeticError):
        return False


def codes_for_side(side):
    """The codes usable on sales or purchases (codes marked ``both`` included)."""
    return [vc.code for vc in VAT_CODES.values() if vc.side in (side, BOTH)]
