"""accountlist.nv (§6.1), accountingperiodlist.nv (§6.2), vouchertypelist.nv (§6.3) and
the seeded data they show: the l10n_fi chart, default accounts, voucher types, periods."""

import csv
import datetime
import importlib.util
import re
from pathlib import Path

import pytest
import requests
from lxml import etree

from netvisor_sandbox import seed
from netvisor_sandbox.testing import sign_headers

L10N_FI_CHART = Path("l10n_fi/data/template/account.account-fi.csv")


def _odoo_l10n_fi_chart() -> Path:
    """The l10n_fi chart of the installed Odoo: the sandbox must find it by itself."""
    path = seed.chart_file()
    assert path is not None and path.parts[-4:] == L10N_FI_CHART.parts, path
    return path


def _seed_chart():
    return [
        {"number": number, "name_fi": name_fi, "name_en": name_en}
        for number, name_fi, name_en, active in seed.chart_accounts()
        if active
    ]


@pytest.fixture(scope="module")
def accounts(sandbox):
    url = f"{sandbox.url}/accountlist.nv"
    response = requests.get(url, headers=sign_headers(url), timeout=30)
    return etree.fromstring(response.content).find("AccountList")


def test_every_chart_account_is_an_active_posting_account(accounts):
    listed = {a.findtext("Number"): a for a in accounts.findall("Accounts/Account")}
    chart = _seed_chart()
    assert len(chart) >= 900
    for row in chart:
        account = listed[row["number"]]
        assert account.findtext("Name") == row["name_fi"]
        assert account.findtext("ForeignName") == row["name_en"]
        assert account.find("ForeignName").get("ISO-3166") == "en"
        assert account.findtext("AccountType") == "account"
        assert account.findtext("IsActive") == "1"


def test_chart_is_odoo_l10n_fi_codes_and_names():
    """With Odoo installed, the seeded chart is its l10n_fi chart, number for number."""
    with _odoo_l10n_fi_chart().open(encoding="utf-8") as handle:
        odoo = {r["code"]: r["name@fi"].strip() for r in csv.DictReader(handle)}
    assert {r["number"]: r["name_fi"] for r in _seed_chart()} == odoo


def test_builtin_chart_without_odoo_holds_every_default_account(monkeypatch):
    """A sandbox on a machine without Odoo still seeds a usable chart."""
    monkeypatch.delenv("NETVISOR_SANDBOX_CHART", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert seed.chart_file() is None
    numbers = {r["number"] for r in _seed_chart()}
    assert set(seed.DEFAULT_ACCOUNTS.values()) <= numbers
    assert {"1701", "1763", "2871", "2930", "2939", "3000", "4000"} <= numbers


def test_chart_file_from_environment_in_either_column_format(monkeypatch, tmp_path):
    chart = tmp_path / "chart.csv"
    chart.write_text("number,name_fi,name_en\n3001,Myynti 2,Sales 2\n", encoding="utf-8")
    monkeypatch.setenv("NETVISOR_SANDBOX_CHART", str(chart))
    assert _seed_chart() == [{"number": "3001", "name_fi": "Myynti 2", "name_en": "Sales 2"}]


def test_company_default_accounts_exist_as_active_accounts(accounts):
    listed = {a.findtext("Number"): a for a in accounts.findall("Accounts/Account")}
    defaults = {e.tag: e.text for e in accounts.find("CompanyDefaultAccounts")}
    assert defaults == seed.DEFAULT_ACCOUNTS
    for name in (
        "SalesReceivables",
        "TradePayables",
        "SalesVATDebt",
        "PurchaseVATReceivable",
        "SalesDomesticDefault",
        "PurchaseDomesticDefault",
    ):
        assert defaults[name] in ("1701", "2871", "2939", "1763", "3000", "4000")
    for number in defaults.values():
        assert listed[number].findtext("AccountType") == "account"
        assert listed[number].findtext("IsActive") == "1"


def test_groups_and_inactive_account_are_listed(accounts):
    by_number = {a.findtext("Number"): a for a in accounts.findall("Accounts/Account")}
    assert by_number["300"].findtext("AccountType") == "accountgroup"
    assert by_number["3000"].findtext("FatherNetvisorKey") == by_number["300"].findtext(
        "NetvisorKey"
    )
    assert by_number["3999"].findtext("IsActive") == "0"


def test_account_elements_follow_documented_order(accounts):
    first = accounts.find("Accounts/Account[AccountType='account']")
    assert [child.tag for child in first] == [
        "NetvisorKey",
        "Number",
        "Name",
        "ForeignName",
        "AccountType",
        "FatherNetvisorKey",
        "IsActive",
        "IsCumulative",
        "Sort",
        "EndSort",
        "IsNaturalNegative",
    ]


def test_voucher_types_are_the_twelve_system_types(nv):
    reply = nv.get("vouchertypelist.nv")
    types = reply.findall("VoucherTypeList/VoucherTypes/VoucherType")
    names = {
        t.findtext("Abbreviation"): (t.findtext("Name"), t.findtext("ForeignName")) for t in types
    }
    assert len(names) == 12
    assert names["ML"] == ("Myyntilasku", "Sales invoice")
    assert names["OL"] == ("Ostolasku", "Purchase invoice")
    assert names["AT"][0] == "Järjestelmän muodostamat"
    assert types[0].find("ForeignName").get("ISO-639-1") == "en"
    defaults = reply.find("VoucherTypeList/DefaultVoucherTypes")
    assert defaults.findtext("SalesInvoices/NetvisorKey") == "1"
    assert defaults.findtext("PurchaseInvoices/NetvisorKey") == "9"


def test_periods_as_siblings_with_finnish_dates_by_default(nv):
    """API.md §11.1: the layout and date form captured from Netvisor."""
    reply = nv.get("accountingperiodlist.nv")
    periods = reply.findall("AccountingPeriodList/Period")
    assert [
        (p.findtext("Name"), p.findtext("BeginDate"), p.findtext("EndDate")) for p in periods
    ] == [("2025", "1.1.2025", "31.12.2025"), ("2026", "1.1.2026", "31.12.2026")]
    assert periods[0].find("BeginDate").get("format") == "ansi"
    assert reply.findall("AccountingPeriodList/PeriodLockInformation/Period") == []
    children = [e.tag for e in reply.find("AccountingPeriodList")]
    assert children == ["PeriodLockInformation", "Period", "Period"]


def test_periods_nested_with_iso_dates_when_switched(sandbox, nv):
    assert sandbox.admin("PATCH", "settings", {"period_list_layout": "nested"}).status_code == 200
    reply = nv.get("accountingperiodlist.nv")
    periods = reply.findall("AccountingPeriodList/PeriodLockInformation/Period")
    assert [
        (p.findtext("Name"), p.findtext("BeginDate"), p.findtext("EndDate")) for p in periods
    ] == [("2025", "2025-01-01", "2025-12-31"), ("2026", "2026-01-01", "2026-12-31")]
    assert periods[0].find("EndDate").get("format") == "ansi"
    assert reply.findall("AccountingPeriodList/Period") == []


def _period_info(reply) -> dict:
    """What a client reads, found by descendant search and either date form."""

    def day(text):
        if not text:
            return None
        if "-" in text:
            return datetime.date.fromisoformat(text)
        d, m, y = (int(part) for part in text.split("."))
        return datetime.date(y, m, d)

    lists = reply.find("AccountingPeriodList")
    locks = lists.find("PeriodLockInformation")
    return {
        "locks": [(e.tag, e.get("format"), day(e.text)) for e in locks if e.tag != "Period"],
        "periods": [
            (
                p.findtext("NetvisorKey"),
                p.findtext("Name"),
                day(p.findtext("BeginDate")),
                day(p.findtext("EndDate")),
            )
            for p in lists.iter("Period")
        ],
    }


def test_both_period_layouts_carry_the_same_information(sandbox, nv):
    locks = {"accounting_lock_date": "2025-03-31", "vat_lock_date": "2025-02-28"}
    assert sandbox.admin("PUT", f"companies/{seed.COMPANY_A.organisation_id}/locks", locks)
    sibling = nv.get("accountingperiodlist.nv")
    lock = sibling.find("AccountingPeriodList/PeriodLockInformation/AccountingPeriodLockDate")
    assert (lock.text, lock.get("format")) == ("31.3.2025", "ansi")
    sandbox.admin("PATCH", "settings", {"period_list_layout": "nested"})
    nested = nv.get("accountingperiodlist.nv")
    lock = nested.find("AccountingPeriodList/PeriodLockInformation/AccountingPeriodLockDate")
    assert lock.text == "2025-03-31"
    info = _period_info(sibling)
    assert info == _period_info(nested)
    assert info["locks"] == [
        ("AccountingPeriodLockDate", "ansi", datetime.date(2025, 3, 31)),
        ("VatPeriodLockDate", "ansi", datetime.date(2025, 2, 28)),
        ("PurchaseLockDate", "ansi", None),
    ]
    assert [p[1:] for p in info["periods"]] == [
        ("2025", datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)),
        ("2026", datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)),
    ]
    assert all(p[0].isdigit() for p in info["periods"])


def test_no_lock_dates_by_default(nv):
    info = nv.get("accountingperiodlist.nv").find("AccountingPeriodList/PeriodLockInformation")
    assert [e.text for e in info if e.tag.endswith("Date")] == [None, None, None]


def test_seeded_business_ids_have_valid_check_digits():
    for company in seed.COMPANIES:
        digits, check = company.organisation_id.split("-")
        assert re.fullmatch(r"\d{7}", digits)
        assert seed.business_id_check_digit(digits) == int(check), company.name


def test_business_id_check_digit_known_values():
    assert seed.business_id_check_digit("0112038") == 9  # Nokia Oyj, 0112038-9
    assert seed.business_id_check_digit("1111111") is None  # remainder 1: never issued


def test_every_seeded_company_has_its_own_working_credentials(nv):
    assert nv.get("vouchertypelist.nv", company=seed.COMPANY_A).status == "OK"
    assert nv.get("vouchertypelist.nv", company=seed.COMPANY_B).status == "OK"
    assert nv.get("vouchertypelist.nv", company=seed.COMPANY_C).category == "SERVICE_ACCESS_ERROR"
    keys = {c.customer_key for c in seed.COMPANIES}
    assert len(keys) == 3 and all(re.fullmatch(r"[0-9a-f]{32}", k) for k in keys)
