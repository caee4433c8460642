"""Seed data of a fresh sandbox: credentials, chart of accounts, voucher types, periods.

The constants are public test values; tests and the demo import them so that nobody
copies keys around.
"""

import csv
import datetime
from dataclasses import dataclass
from pathlib import Path

PARTNER_ID = "ECOMJET_SANDBOX_PARTNER"
PARTNER_KEY = "5a4e2d1c0b9a8f7e6d5c4b3a29181716"


def business_id_check_digit(first_seven: str) -> int | None:
    """Check digit of a Finnish business ID (Y-tunnus); None when no valid one exists."""
    weights = (7, 9, 10, 5, 8, 4, 2)
    remainder = sum(int(d) * w for d, w in zip(first_seven, weights, strict=True)) % 11
    if remainder == 0:
        return 0
    if remainder == 1:
        return None
    return 11 - remainder


@dataclass(frozen=True)
class SeedCompany:
    name: str
    organisation_id: str
    customer_id: str
    customer_key: str
    package: str  # basic | professional | premium | payroll


# Business IDs carry correct check digits (see business_id_check_digit).
COMPANY_A = SeedCompany("Demo Oy", "1234567-1", "SANDBOX_A_0001", "a1" * 16, "professional")
COMPANY_B = SeedCompany("Toinen Oy", "7654321-2", "SANDBOX_B_0002", "b2" * 16, "premium")
COMPANY_C = SeedCompany("Perus Oy", "1111112-8", "SANDBOX_C_0003", "c3" * 16, "basic")
COMPANIES = (COMPANY_A, COMPANY_B, COMPANY_C)

PACKAGES_WITH_API = frozenset({"professional", "premium", "payroll"})

# CompanyDefaultAccounts (API.md §6.1), all numbers exist in the l10n_fi chart.
DEFAULT_ACCOUNTS = {
    "TradePayables": "2871",
    "PurchaseVATReceivable": "1763",
    "RoundingOffDifference": "8570",
    "VATpayable": "2930",
    "TaxAccount": "2948",
    "AdvancePayments": "2861",
    "SalesReceivables": "1701",
    "SalesVATDebt": "2939",
    "Inventory": "1521",
    "SalesDiscount": "3500",
    "SalesExchangeRateDifferences": "3580",
    "Collection": "9170",
    "PurchasesDiscounts": "4230",
    "PurchasesExchangeRateDifferences": "4370",
    "PurchaseInvoiceAccrual": "1849",
    "SalesInvoiceAccrual": "1702",
    "PurchaseDomesticDefault": "4000",
    "PurchaseEUDefault": "4110",
    "PurchaseOutsideEUDefault": "4130",
    "SalesDomesticDefault": "3000",
    "SalesEUDefault": "3350",
    "SalesOutsideEUDefault": "3380",
}

# Top-level account groups (AccountType accountgroup); their numbers are 3 digits so they
# never clash with the 4-digit chart.
ACCOUNT_GROUPS = (
    ("100", "1", "VASTAAVAA", "ASSETS"),
    ("200", "2", "VASTATTAVAA", "EQUITY AND LIABILITIES"),
    ("300", "3", "LIIKEVAIHTO JA MUUT TUOTOT", "TURNOVER AND OTHER INCOME"),
    ("400", "4", "MATERIAALIT JA PALVELUT", "MATERIALS AND SERVICES"),
    ("500", "5", "HENKILÖSTÖKULUT", "PERSONNEL EXPENSES"),
    ("600", "6", "HENKILÖSIVUKULUT JA POISTOT", "SOCIAL COSTS AND DEPRECIATION"),
    ("700", "7", "LIIKETOIMINNAN MUUT KULUT", "OTHER OPERATING EXPENSES"),
    ("800", "8", "MUUT KULUT", "OTHER EXPENSES"),
    ("900", "9", "RAHOITUS, TILINPÄÄTÖSSIIRROT JA VEROT", "FINANCE, APPROPRIATIONS AND TAXES"),
)

# One extra account that exists but is not active, to exercise that rule.
INACTIVE_ACCOUNT = ("3999", "Vanha myyntitili (ei käytössä)", "Old sales account (inactive)")

# The twelve system voucher types (API.md §4.3): key, abbreviation, Finnish Name, EN name.
VOUCHER_TYPES = (
    (1, "ML", "Myyntilasku", "Sales invoice"),
    (2, "MS", "Myyntisuoritus", "Sales transaction"),
    (3, "PT", "Pankki", "Bank"),
    (4, "KT", "Kassa", "Treasury"),
    (5, "PUMP", "Tuodut tapahtumat", "Imported transactions"),
    (6, "T", "Automaattiset tilinpäätöskirjaukset", "Automatic financial statement entries"),
    (7, "AT", "Järjestelmän muodostamat", "System generated"),
    (8, "MU", "Muut", "Other"),
    (9, "OL", "Ostolasku", "Purchase invoice"),
    (10, "OS", "Ostosuoritus", "Purchase transaction"),
    (11, "JK", "Jaksotukset", "Accruals"),
    (12, "PA", "Palkka", "Pay"),
)

DEFAULT_VOUCHER_TYPES = {
    "SalesInvoices": 1,
    "SalesInvoicePayments": 2,
    "PurchaseInvoices": 9,
    "PurchaseInvoicePayments": 10,
    "OtherSystemGeneratedVouchers": 7,
    "BankStatementViewVouchers": 3,
    "Accruals": 11,
}

PERIODS = (
    ("2025", datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)),
    ("2026", datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)),
)

CHART_FILE = Path(__file__).with_name("data") / "chart_fi.csv"


def default_vat_code(number: str) -> str:
    """VAT code used when a line names none: domestic sales/purchases, else NONE."""
    if "3000" <= number < "3300":
        return "KOMY"
    if "4000" <= number < "4100":
        return "KOOS"
    return "NONE"


def chart_accounts():
    """Yield (number, name_fi, name_en, is_active) for every posting account."""
    with CHART_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            yield row["number"], row["name_fi"], row["name_en"], True
    yield (*INACTIVE_ACCOUNT, False)
