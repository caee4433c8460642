"""Seed data of a fresh sandbox: credentials, chart of accounts, voucher types, periods.

The constants are public test values; tests and the demo import them so that nobody
copies keys around.
"""

import csv
import datetime
import importlib.util
import os
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

# Dimensions (cost objects, "laskentakohteet", API.md §11.2) of every company: header ->
# items (name, code, label, hidden). One label differs from its name (P-100) and one item
# is hidden (Vanha), so matching by name and `showhidden` can be tested.
DIMENSIONS = (
    (
        "Kustannuspaikka",
        (
            ("Myynti", "KP10", "Myynti", False),
            ("Hallinto", "KP20", "Hallinto", False),
            ("Vanha", "KP90", "Vanha", True),
        ),
    ),
    (
        "Projekti",
        (
            ("P-100", "100", "Projekti 100", False),
            ("P-200", "200", "P-200", False),
        ),
    ),
)

PERIODS = (
    ("2025", datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)),
    ("2026", datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)),
)

ODOO_CHART = Path("l10n_fi") / "data" / "template" / "account.account-fi.csv"

# The sandbox's own compact chart, for a machine without Odoo: the default accounts above
# and what a small company's invoices and bills use. With Odoo installed, the sandbox
# takes the full l10n_fi chart of that installation instead (see chart_file()).
BUILTIN_CHART = (
    ("1521", "Aineet ja tarvikkeet", "Materials and supplies"),
    ("1701", "Myyntisaamiset", "Trade receivables"),
    ("1702", "Myyntilaskujen jaksotukset", "Sales invoice accruals"),
    ("1763", "Arvonlisäverosaamiset", "VAT receivable"),
    ("1849", "Ostolaskujen jaksotukset", "Purchase invoice accruals"),
    ("1910", "Pankkitili", "Bank account"),
    ("2861", "Saadut ennakot", "Advances received"),
    ("2871", "Ostovelat", "Trade payables"),
    ("2930", "Arvonlisäverovelka", "VAT payable"),
    ("2939", "Myynnin arvonlisävero", "Output VAT"),
    ("2948", "Verotili", "Tax account"),
    ("3000", "Myynti", "Sales"),
    ("3350", "Tavaramyynti EU-maihin", "Sales of goods to EU countries"),
    ("3360", "Palvelumyynti EU-maihin", "Sales of services to EU countries"),
    ("3380", "Myynti EU:n ulkopuolelle", "Sales outside the EU"),
    ("3400", "Rakennuspalvelujen myynti", "Sales of construction services"),
    ("3500", "Myynnin alennukset", "Sales discounts"),
    ("3580", "Myynnin kurssierot", "Sales exchange differences"),
    ("4000", "Ostot", "Purchases"),
    ("4110", "Tavaraostot EU-maista", "Purchases of goods from EU countries"),
    ("4120", "Palveluostot EU-maista", "Purchases of services from EU countries"),
    ("4130", "Ostot EU:n ulkopuolelta", "Purchases outside the EU"),
    ("4140", "Rakennuspalvelujen ostot", "Purchases of construction services"),
    ("4230", "Ostojen alennukset", "Purchase discounts"),
    ("4370", "Ostojen kurssierot", "Purchase exchange differences"),
    ("4450", "Ulkopuoliset palvelut", "External services"),
    ("7680", "Toimistotarvikkeet", "Office supplies"),
    ("8570", "Pyöristyserot", "Rounding differences"),
    ("9170", "Perintäkulut", "Collection costs"),
)


def chart_file():
    """Where the chart comes from: NETVISOR_SANDBOX_CHART, else the installed Odoo's l10n_fi
    chart (located, not imported), else None for the built-in chart."""
    if os.environ.get("NETVISOR_SANDBOX_CHART"):
        return Path(os.environ["NETVISOR_SANDBOX_CHART"])
    spec = importlib.util.find_spec("odoo")
    for location in (spec.submodule_search_locations or []) if spec else []:
        for addons in (Path(location) / "addons", Path(location).parent / "addons"):
            if (addons / ODOO_CHART).is_file():
                return addons / ODOO_CHART
    return None


def default_vat_code(number: str) -> str:
    """VAT code used when a line names none: domestic sales/purchases, else NONE."""
    if "3000" <= number < "3300":
        return "KOMY"
    if "4000" <= number < "4100":
        return "KOOS"
    return "NONE"


def chart_accounts():
    """Yield (number, name_fi, name_en, is_active) for every posting account.

    A chart file is Odoo's template CSV (code, name@fi, name) or the same with the
    columns number, name_fi, name_en.
    """
    path = chart_file()
    if path is None:
        for number, name_fi, name_en in BUILTIN_CHART:
            yield number, name_fi, name_en, True
    else:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                number = row.get("code") or row["number"]
                name_fi = (row.get("name@fi") or row.get("name_fi") or "").strip()
                name_en = (row.get("name_en") or row.get("name") or "").strip()
                yield number, name_fi or name_en, name_en, True
    yield (*INACTIVE_ACCOUNT, False)
