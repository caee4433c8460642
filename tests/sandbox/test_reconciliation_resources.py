"""Read-back for reconciliation (API.md §11.4) and ledger tampering as a person in Netvisor
would: the admin's delete / edit-line / duplicate / add-voucher seen through
accountingledger.nv, deletedvouchers.nv and accountbalance.nv."""

import datetime
import json
import sqlite3
import subprocess
import sys
import time

import pytest

from netvisor_sandbox import control, seed, store
from netvisor_sandbox.testing import voucher_xml

A = seed.COMPANY_A
B = seed.COMPANY_B
ORG = A.organisation_id
VOUCHERS = f"companies/{ORG}/vouchers"
TODAY = datetime.datetime.now(datetime.timezone.utc).date()


@pytest.fixture(autouse=True)
def strict_flags(sandbox):
    """The two tolerance flags off before and after each test (conftest does not know them)."""
    flags = {"deleted_in_ledger": False, "account_balance_numbers": False}
    assert sandbox.admin("PATCH", "settings", flags).status_code == 200
    yield
    assert sandbox.admin("PATCH", "settings", flags).status_code == 200


def _ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def _lines(voucher):
    return [
        (
            line.findtext("LineSum"),
            line.findtext("AccountNumber"),
            line.findtext("VatCode"),
            line.findtext("VatPercent"),
            line.findtext("Description"),
        )
        for line in voucher.findall("VoucherLine")
    ]


def _keys(vouchers):
    return [v.findtext("NetvisorKey") for v in vouchers]


def _sales(lines, date="2025-01-31", description="Myyntilaskut [ext:X]"):
    """A sales voucher from (amount, account) pairs; VAT code NONE throughout."""
    return voucher_xml(
        [(amount, account, "NONE", "0", None) for amount, account in lines],
        date=date,
        description=description,
    )


JANUARY = "startdate=2025-01-01&enddate=2025-01-31"


# ---------------------------------------------------------------- deleting a voucher


def test_deleted_voucher_leaves_every_ledger_answer(sandbox, nv):
    key = nv.import_voucher(voucher_xml())
    kept = nv.import_voucher(voucher_xml())
    deleted = _ok(sandbox.admin("DELETE", f"{VOUCHERS}/{key}"))
    assert deleted["status"] == "deleted"
    assert deleted["deleted_at"].startswith(TODAY.isoformat())
    assert deleted["history"][-1]["comment"] == "deleted"
    for status in ("", "&voucherstatus=1", "&voucherstatus=2"):
        assert _keys(nv.ledger(JANUARY + status)) == [kept]
    assert nv.ledger(JANUARY + "&voucherstatus=3") == []  # invalidated or deleted
    assert nv.ledger(f"netvisorkey={key}") == []
    assert _keys(nv.ledger(f"netvisorkeylist={key},{kept}")) == [kept]
    assert _keys(nv.ledger(f"changedsince={TODAY.isoformat()}&voucherstatus=1")) == [kept]


def test_deleted_voucher_is_listed_by_deletedvouchers(sandbox, nv):
    key = nv.import_voucher(voucher_xml())
    nv.import_voucher(voucher_xml())
    before = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
    _ok(sandbox.admin("DELETE", f"{VOUCHERS}/{key}"))
    reply = nv.get("deletedvouchers.nv", f"deletedsince={TODAY - datetime.timedelta(days=1)}")
    assert reply.status == "OK", reply.error
    (item,) = reply.findall("DeletedVouchers/DeletedVoucher")
    assert item.findtext("NetvisorKey") == key
    stamp = item.find("DeleteDate")
    assert stamp.get("format") == "ansi"
    moment = datetime.datetime.strptime(stamp.text, "%Y-%m-%d %H:%M").replace(tzinfo=store.HELSINKI)
    assert before <= moment <= datetime.datetime.now(datetime.timezone.utc)


def test_deleted_voucher_shows_as_deleted_with_the_tolerant_flag(sandbox, nv):
    key = nv.import_voucher(voucher_xml())
    _ok(sandbox.admin("DELETE", f"{VOUCHERS}/{key}"))
    _ok(sandbox.admin("PATCH", "settings", {"deleted_in_ledger": True}))
    for query in (JANUARY + "&voucherstatus=1", JANUARY + "&voucherstatus=3", f"netvisorkey={key}"):
        (voucher,) = nv.ledger(query)
        assert (voucher.findtext("NetvisorKey"), voucher.get("Status")) == (key, "deleted")
    assert nv.ledger(JANUARY) == []  # voucherstatus=2, the default: valid only


def test_deletions_older_than_seven_days_are_forgotten(sandbox, nv):
    old, recent, today = (nv.import_voucher(voucher_xml()) for _ in range(3))
    _ok(sandbox.admin("DELETE", f"{VOUCHERS}/{old}", {"days_ago": 8}))
    _ok(sandbox.admin("DELETE", f"{VOUCHERS}/{recent}?days_ago=6"))
    _ok(sandbox.admin("DELETE", f"{VOUCHERS}/{today}"))
    since = TODAY - datetime.timedelta(days=30)
    reply = nv.get("deletedvouchers.nv", f"deletedsince={since.isoformat()}")
    assert _keys(reply.findall("DeletedVouchers/DeletedVoucher")) == [recent, today]
    # a day in Finnish time: two days ahead is after every deletion, whatever the hour
    reply = nv.get("deletedvouchers.nv", f"DeletedSince={TODAY + datetime.timedelta(days=2)}")
    assert reply.status == "OK" and reply.findall("DeletedVouchers/DeletedVoucher") == []
    assert reply.find("DeletedVouchers") is not None
    # forgotten by deletedvouchers.nv, still there for voucherstatus=3 with the flag
    _ok(sandbox.admin("PATCH", "settings", {"deleted_in_ledger": True}))
    assert _keys(nv.ledger(JANUARY + "&voucherstatus=3")) == [old, recent, today]


@pytest.mark.parametrize(
    "query, text",
    [
        ("", "deletedsince"),
        ("deletedsince=", "deletedsince"),
        ("deletedsince=8.6.2022", "deletedsince"),
        ("deletedsince=2022-13-01", "deletedsince"),
    ],
)
def test_deletedvouchers_needs_a_valid_deletedsince(nv, query, text):
    reply = nv.get("deletedvouchers.nv", query, use_http_status_codes=True)
    assert (reply.status, reply.category, reply.http_status) == ("FAILED", "INVALID_DATA", 400)
    assert text in reply.error


def test_deletedvouchers_is_get_only(nv):
    reply = nv.post("deletedvouchers.nv", "<root/>")
    assert reply.category == "INVALID_DATA"


def test_deleted_voucher_cannot_be_invalidated_or_deleted_again(sandbox, nv):
    key = nv.import_voucher(voucher_xml())
    _ok(sandbox.admin("DELETE", f"{VOUCHERS}/{key}"))
    reply = nv.post(
        "invalidatevouchers.nv",
        '<root><invalidatevouchers identifier="netvisorkey">'
        f"<invalidatevoucher>{key}</invalidatevoucher></invalidatevouchers></root>",
    )
    assert reply.category == "INVALID_DATA" and key in reply.error
    assert sandbox.admin("DELETE", f"{VOUCHERS}/{key}").status_code == 400
    (stored,) = _ok(sandbox.admin("GET", f"{VOUCHERS}?status=deleted"))["vouchers"]
    assert stored["status"] == "deleted"


def test_an_invalidated_voucher_can_still_be_deleted(sandbox, nv):
    key = nv.import_voucher(voucher_xml())
    nv.post(
        "invalidatevouchers.nv",
        '<root><invalidatevouchers identifier="netvisorkey">'
        f"<invalidatevoucher>{key}</invalidatevoucher></invalidatevouchers></root>",
    )
    assert _keys(nv.ledger(JANUARY + "&voucherstatus=3")) == [key]
    _ok(sandbox.admin("DELETE", f"{VOUCHERS}/{key}"))
    assert nv.ledger(JANUARY + "&voucherstatus=3") == []


@pytest.mark.parametrize("days_ago", [-1, "soon", True])
def test_delete_refuses_bad_days_ago(sandbox, nv, days_ago):
    key = nv.import_voucher(voucher_xml())
    assert sandbox.admin("DELETE", f"{VOUCHERS}/{key}", {"days_ago": days_ago}).status_code == 400
    assert len(nv.ledger(f"netvisorkey={key}")) == 1


# ---------------------------------------------------------------- editing a voucher's head


def test_edit_voucher_changes_description_and_date_under_the_same_key(sandbox, nv):
    key = nv.import_voucher(voucher_xml())
    edited = _ok(
        sandbox.admin("PATCH", f"{VOUCHERS}/{key}", {"description": "Käsin", "date": "2025-02-03"})
    )
    assert (edited["description"], edited["date"]) == ("Käsin", "2025-02-03")
    assert nv.ledger(JANUARY) == []  # moved out of January
    (voucher,) = nv.ledger(f"netvisorkey={key}")
    assert voucher.findtext("VoucherDescription") == "Käsin"
    assert voucher.findtext("VoucherDate") == "3.2.2025"
    assert sandbox.admin("PATCH", f"{VOUCHERS}/{key}", {"number": 5}).status_code == 400
    assert sandbox.admin("PATCH", f"{VOUCHERS}/{key}", {"date": "kesäkuu"}).status_code == 400


# ---------------------------------------------------------------- editing a line


def test_edit_line_amount_moves_the_difference_to_the_balance_line(sandbox, nv):
    key = nv.import_voucher(voucher_xml())
    edited = _ok(
        sandbox.admin(
            "PATCH", f"{VOUCHERS}/{key}/lines/2", {"amount": "-1100.10", "balance_position": 1}
        )
    )
    assert [line["amount"] for line in edited["lines"]] == ["1355.10", "-1100.10", "-255.00"]
    assert edited["history"][-1]["comment"] == "edited"
    (voucher,) = nv.ledger(f"netvisorkey={key}")
    assert [line[0] for line in _lines(voucher)] == ["1355,10", "-1100,10", "-255,00"]
    (voucher,) = nv.ledger(JANUARY + "&includetransactionhistory=1")
    assert voucher.findall("TransactionHistory/Transaction")[-1].findtext("Comment") == "edited"


def test_edit_line_account_vat_and_description(sandbox, nv):
    key = nv.import_voucher(voucher_xml())
    changes = {
        "account_number": "3001",
        "vat_code": "KOMY",
        "vat_percent": "14",
        "description": "Korjattu käsin",
    }
    _ok(sandbox.admin("PATCH", f"{VOUCHERS}/{key}/lines/2", changes))
    _ok(sandbox.admin("PATCH", f"{VOUCHERS}/{key}/lines/3", {"description": None}))
    (voucher,) = nv.ledger(f"netvisorkey={key}")
    assert _lines(voucher) == [
        ("1255,00", "1701", "-", "0", "Myyntisaamiset 01/2025"),
        ("-1000,00", "3001", "KOMY", "14", "Korjattu käsin"),
        ("-255,00", "2939", "-", "0", ""),
    ]


@pytest.mark.parametrize(
    "position, body, status",
    [
        (2, {"amount": "-1100.00"}, 400),  # no balance line: the voucher would not balance
        (2, {"amount": "-1100.00", "balance_position": 2}, 400),
        (2, {"amount": "-1100.00", "balance_position": 9}, 400),
        (2, {"amount": "-1100.001", "balance_position": 1}, 400),
        (2, {"amount": "lots", "balance_position": 1}, 400),
        (9, {"description": "x"}, 400),
        (0, {"description": "x"}, 400),
        (2, {"account_number": "9999999"}, 400),
        (2, {"account_number": "300"}, 400),  # an account group
        (2, {"vat_code": "komy"}, 400),
        (1, {"vat_percent": "24"}, 400),  # line 1 has VAT code NONE: 0 % only
        (2, {"vat_percent": "101"}, 400),
        (2, {"colour": "red"}, 400),
        (2, {}, 400),
    ],
)
def test_edit_line_refusals_change_nothing(sandbox, nv, position, body, status):
    key = nv.import_voucher(voucher_xml())
    (before,) = nv.ledger(f"netvisorkey={key}")
    response = sandbox.admin("PATCH", f"{VOUCHERS}/{key}/lines/{position}", body)
    assert response.status_code == status, response.text
    assert "error" in response.json()
    (after,) = nv.ledger(f"netvisorkey={key}")
    assert _lines(after) == _lines(before)


def test_invalidated_voucher_cannot_be_edited(sandbox, nv):
    key = nv.import_voucher(voucher_xml())
    nv.post(
        "invalidatevouchers.nv",
        '<root><invalidatevouchers identifier="netvisorkey">'
        f"<invalidatevoucher>{key}</invalidatevoucher></invalidatevouchers></root>",
    )
    response = sandbox.admin("PATCH", f"{VOUCHERS}/{key}/lines/1", {"description": "x"})
    assert response.status_code == 400


# ---------------------------------------------------------------- duplicate and manual vouchers


def test_duplicate_looks_like_the_same_voucher_imported_twice(sandbox, nv):
    key = nv.import_voucher(voucher_xml())
    copy = _ok(sandbox.admin("POST", f"{VOUCHERS}/{key}/duplicate"), 201)["netvisor_key"]
    assert str(copy) != key
    original, duplicate = nv.ledger(JANUARY)
    assert _keys([original, duplicate]) == [key, str(copy)]
    for tag in ("VoucherDate", "VoucherDescription", "VoucherClass"):
        assert original.findtext(tag) == duplicate.findtext(tag)
    assert int(duplicate.findtext("VoucherNumber")) == int(original.findtext("VoucherNumber")) + 1
    assert duplicate.get("Status") == "valid"
    assert _lines(duplicate) == _lines(original)
    assert not {ln.findtext("NetvisorKey") for ln in original.findall("VoucherLine")} & {
        ln.findtext("NetvisorKey") for ln in duplicate.findall("VoucherLine")
    }


def test_manual_voucher_appears_in_the_ledger(sandbox, nv):
    body = {
        "date": "2025-01-15",
        "description": "Käsin kirjattu korjaus",
        "voucher_class": "Muut",
        "lines": [
            {"amount": "124.00", "account_number": "1910"},
            {"amount": "-100.00", "account_number": "3000", "vat_code": "KOMY", "vat_percent": 24},
            {"amount": "-24,00", "account_number": "2939", "description": "ALV"},
        ],
    }
    key = _ok(sandbox.admin("POST", VOUCHERS, body), 201)["netvisor_key"]
    (voucher,) = nv.ledger(JANUARY)
    assert voucher.findtext("NetvisorKey") == str(key)
    assert voucher.findtext("VoucherDate") == "15.1.2025"
    assert voucher.findtext("VoucherClass") == "Muut"
    assert voucher.findtext("VoucherDescription") == "Käsin kirjattu korjaus"
    assert voucher.findtext("VoucherNumber") == "1"
    assert _lines(voucher) == [
        ("124,00", "1910", "-", "0", ""),
        ("-100,00", "3000", "KOMY", "24", ""),
        ("-24,00", "2939", "-", "0", "ALV"),
    ]


def test_manual_voucher_class_defaults_to_the_first_voucher_type(sandbox, nv):
    lines = [
        {"amount": "1", "account_number": "1910"},
        {"amount": "-1", "account_number": "2948"},
    ]
    body = {"date": "2025-01-02", "description": "x", "lines": lines}
    _ok(sandbox.admin("POST", VOUCHERS, body), 201)
    (voucher,) = nv.ledger(JANUARY)
    assert voucher.findtext("VoucherClass") == seed.VOUCHER_TYPES[0][2]


@pytest.mark.parametrize(
    "change",
    [
        {"lines": [{"amount": "1", "account_number": "1910"}]},  # unbalanced
        {"lines": []},
        {"lines": None},
        {"date": "2024-12-31"},  # no accounting period
        {"date": "31.1.2025"},
        {"voucher_class": "Sales invoice"},
        {
            "lines": [
                {"amount": "1", "account_number": "0000"},
                {"amount": "-1", "account_number": "1910"},
            ]
        },
        {
            "lines": [
                {"amount": "1", "account_number": "1910", "vat_code": "XX"},
                {"amount": "-1", "account_number": "2948"},
            ]
        },
        {"lines": [{"account_number": "1910"}]},
    ],
)
def test_manual_voucher_refusals(sandbox, nv, change):
    body = {
        "date": "2025-01-15",
        "description": "x",
        "lines": [
            {"amount": "1", "account_number": "1910"},
            {"amount": "-1", "account_number": "2948"},
        ],
        **change,
    }
    response = sandbox.admin("POST", VOUCHERS, body)
    assert response.status_code == 400, response.text
    assert nv.ledger(JANUARY + "&voucherstatus=1") == []


# ---------------------------------------------------------------- another company's keys


def test_tampering_with_another_companys_voucher_is_refused(sandbox, nv):
    key_b = nv.import_voucher(voucher_xml(), company=B)
    try:
        for method, path, body in (
            ("DELETE", f"{VOUCHERS}/{key_b}", None),
            ("PATCH", f"{VOUCHERS}/{key_b}/lines/1", {"description": "x"}),
            ("POST", f"{VOUCHERS}/{key_b}/duplicate", None),
            ("DELETE", f"{VOUCHERS}/999999999", None),
            ("DELETE", f"{VOUCHERS}/abc", None),
        ):
            response = sandbox.admin(method, path, body)
            assert response.status_code == 404, (method, path, response.text)
        (voucher,) = nv.ledger(f"netvisorkey={key_b}", company=B)
        assert voucher.get("Status") == "valid"
        assert _lines(voucher)[0][4] == "Myyntisaamiset 01/2025"
        assert len(nv.ledger(JANUARY, company=B)) == 1
        assert nv.ledger(JANUARY) == []
    finally:
        sandbox.admin("DELETE", f"companies/{B.organisation_id}/vouchers")


def test_store_refuses_another_companys_key(tmp_path):
    db = store.Store(tmp_path / "sandbox.sqlite3")
    try:
        company_a, company_b = db.company(A.organisation_id).id, db.company(B.organisation_id).id
        lines = [
            {"amount": "5", "account_number": "1910"},
            {"amount": "-5", "account_number": "2948"},
        ]
        key = db.add_voucher(company_b, "2025-03-01", "B", "Muut", lines)
        for call in (
            lambda: db.delete_voucher(company_a, key),
            lambda: db.edit_line(company_a, key, 1, {"description": "x"}),
            lambda: db.duplicate_voucher(company_a, key),
        ):
            with pytest.raises(store.VoucherNotFound):
                call()
        assert db.vouchers(company_b)[0]["status"] == "valid"
        assert db.vouchers(company_a) == []
    finally:
        db.close()


# ---------------------------------------------------------------- accountbalance.nv


def _account_keys(nv):
    reply = nv.get("accountlist.nv")
    return {
        a.findtext("Number"): a.findtext("NetvisorKey")
        for a in reply.findall("AccountList/Accounts/Account")
    }


def _balances(nv, query, **kwargs):
    """{account key: [(Date, Debet, Kredit, Balance), ...]} of an OK answer."""
    reply = nv.get("accountbalance.nv", query, **kwargs)
    assert reply.status == "OK", reply.error
    result = {}
    for account in reply.findall("AccountBalances/Account"):
        result[account.get("Netvisorkey")] = [
            (
                item.get("Date"),
                item.findtext("Debet"),
                item.findtext("Kredit"),
                item.findtext("Balance"),
            )
            for item in account.findall("AccountBalance")
        ]
    return result


@pytest.fixture
def ledger_for_balances(nv, sandbox):
    """Valid vouchers in January-March 2025, plus an invalidated and a deleted one."""
    nv.import_voucher(_sales([("1255,00", "1701"), ("-1000,00", "3000"), ("-255,00", "2939")]))
    nv.import_voucher(
        _sales([("10,01", "1701"), ("-10,01", "3000")], date="2025-01-05")
    )  # before a range start on the 15th
    nv.import_voucher(_sales([("-500,50", "1701"), ("500,50", "1910")], date="2025-02-14"))
    nv.import_voucher(_sales([("0,99", "1701"), ("-0,99", "3000")], date="2025-03-10"))
    invalidated = nv.import_voucher(_sales([("7000,00", "1701"), ("-7000,00", "4000")]))
    nv.post(
        "invalidatevouchers.nv",
        '<root><invalidatevouchers identifier="netvisorkey">'
        f"<invalidatevoucher>{invalidated}</invalidatevoucher></invalidatevouchers></root>",
    )
    deleted = nv.import_voucher(_sales([("9000,00", "1701"), ("-9000,00", "2948")]))
    _ok(sandbox.admin("DELETE", f"{VOUCHERS}/{deleted}"))
    return _account_keys(nv)


def test_balances_at_separate_dates(nv, ledger_for_balances):
    keys = ledger_for_balances
    found = _balances(nv, "balancedates=2025-01-31,2025-02-28,2025-01-04")
    assert found[keys["1701"]] == [
        ("2025-01-04", "0,00", "0,00", "0,00"),
        ("2025-01-31", "1265,01", "0,00", "1265,01"),
        ("2025-02-28", "1265,01", "500,50", "764,51"),
    ]
    assert found[keys["3000"]] == [
        ("2025-01-04", "0,00", "0,00", "0,00"),
        ("2025-01-31", "0,00", "1010,01", "-1010,01"),
        ("2025-02-28", "0,00", "1010,01", "-1010,01"),
    ]
    assert found[keys["1910"]][-1] == ("2025-02-28", "500,50", "0,00", "500,50")
    # 4000 and 2948 have lines only on the invalidated / deleted voucher: listed, all zero
    assert (
        found[keys["4000"]]
        == found[keys["2948"]]
        == [(day, "0,00", "0,00", "0,00") for day in ("2025-01-04", "2025-01-31", "2025-02-28")]
    )
    assert set(found) == {keys[n] for n in ("1701", "3000", "2939", "1910", "4000", "2948")}


def test_monthly_intervals_give_movements_and_a_cumulative_balance(nv, ledger_for_balances):
    keys = ledger_for_balances
    found = _balances(nv, "balancedates=2025-01-15,2025-03-10&intervaltype=3")
    # the 10,01 of 5 January is before the range: in the balance, not in January's movement
    assert found[keys["1701"]] == [
        ("2025-01-31", "1255,00", "0,00", "1265,01"),
        ("2025-02-28", "0,00", "500,50", "764,51"),
        ("2025-03-10", "0,99", "0,00", "765,50"),
    ]
    assert found[keys["3000"]] == [
        ("2025-01-31", "0,00", "1000,00", "-1010,01"),
        ("2025-02-28", "0,00", "0,00", "-1010,01"),
        ("2025-03-10", "0,00", "0,99", "-1011,00"),
    ]


@pytest.mark.parametrize(
    "query, dates",
    [
        (
            "balancedates=2025-01-30,2025-02-01&intervaltype=1",
            ["2025-01-30", "2025-01-31", "2025-02-01"],
        ),
        ("balancedates=2025-01-29,2025-02-09&intervaltype=2", ["2025-02-02", "2025-02-09"]),
        (
            "balancedates=2025-01-29,2025-02-10&intervaltype=2",
            ["2025-02-02", "2025-02-09", "2025-02-10"],
        ),
        (
            "balancedates=2024-06-01,2026-02-01&intervaltype=4",
            ["2024-12-31", "2025-12-31", "2026-02-01"],
        ),
        ("balancedates=2025-02-01,2025-02-01&intervaltype=3", ["2025-02-01"]),
        ("balancedates=2025-03-01&intervaltype=0", ["2025-03-01"]),
    ],
)
def test_interval_dates(nv, ledger_for_balances, query, dates):
    found = _balances(nv, query)
    assert [row[0] for row in found[ledger_for_balances["1701"]]] == dates


def test_weekly_movements(nv, ledger_for_balances):
    found = _balances(nv, "balancedates=2025-01-27,2025-02-16&intervaltype=2")
    assert found[ledger_for_balances["1701"]] == [
        ("2025-02-02", "1255,00", "0,00", "1265,01"),
        ("2025-02-09", "0,00", "0,00", "1265,01"),
        ("2025-02-16", "0,00", "500,50", "764,51"),
    ]


def test_balances_of_requested_accounts_only(nv, ledger_for_balances):
    keys = ledger_for_balances
    found = _balances(nv, f"balancedates=2025-12-31&netvisorkey={keys['1701']}")
    assert found == {keys["1701"]: [("2025-12-31", "1266,00", "500,50", "765,50")]}
    wanted = f"{keys['1910']},{keys['7680']},{keys['1910']}"
    found = _balances(nv, f"balancedates=2025-12-31&NetvisorKeyList={wanted}")
    assert list(found) == [keys["1910"], keys["7680"]]
    assert found[keys["7680"]] == [("2025-12-31", "0,00", "0,00", "0,00")]  # no lines at all


def test_balances_in_an_empty_company(nv):
    reply = nv.get("accountbalance.nv", "balancedates=2025-12-31")
    assert reply.status == "OK"
    assert reply.find("AccountBalances") is not None
    assert reply.findall("AccountBalances/Account") == []


def test_numbers_and_names_only_with_the_newer_revision_flag(sandbox, nv):
    nv.import_voucher(voucher_xml())
    reply = nv.get("accountbalance.nv", "balancedates=2025-01-31")
    account = reply.findall("AccountBalances/Account")[0]
    assert account.find("Number") is None and account.find("Name") is None
    assert [child.tag for child in account] == ["AccountBalance"]
    _ok(sandbox.admin("PATCH", "settings", {"account_balance_numbers": True}))
    reply = nv.get("accountbalance.nv", "balancedates=2025-01-31")
    accounts = reply.findall("AccountBalances/Account")
    assert [a.findtext("Number") for a in accounts] == ["1701", "2939", "3000"]
    assert [child.tag for child in accounts[0]] == ["Number", "Name", "AccountBalance"]
    assert accounts[0].findtext("Name")
    assert accounts[0].find("AccountBalance/Balance").text == "1255,00"


def test_balances_follow_tampering(sandbox, nv):
    key = nv.import_voucher(voucher_xml())
    keys = _account_keys(nv)
    query = "balancedates=2025-01-31"
    _ok(sandbox.admin("PATCH", f"{VOUCHERS}/{key}/lines/2", {"account_number": "3001"}))
    copy = _ok(sandbox.admin("POST", f"{VOUCHERS}/{key}/duplicate"), 201)["netvisor_key"]
    found = _balances(nv, query)
    assert found[keys["1701"]] == [("2025-01-31", "2510,00", "0,00", "2510,00")]
    assert found[keys["3001"]] == [("2025-01-31", "0,00", "2000,00", "-2000,00")]
    assert keys["3000"] not in found
    _ok(sandbox.admin("DELETE", f"{VOUCHERS}/{copy}"))
    assert _balances(nv, query)[keys["1701"]] == [("2025-01-31", "1255,00", "0,00", "1255,00")]


@pytest.mark.parametrize(
    "query, name",
    [
        ("", "balancedates"),
        ("intervaltype=3", "balancedates"),
        ("balancedates=", "balancedates"),
        ("balancedates=31.1.2025", "balancedates"),
        ("balancedates=2025-02-30", "balancedates"),
        ("balancedates=2025-01-01,,2025-02-01", "balancedates"),
        ("balancedates=2025-01-01&intervaltype=5", "intervaltype"),
        ("balancedates=2025-01-01&intervaltype=month", "intervaltype"),
        ("balancedates=2025-01-01&intervaltype=3", "balancedates"),  # needs start,end
        ("balancedates=2025-01-01,2025-02-01,2025-03-01&intervaltype=3", "balancedates"),
        ("balancedates=2025-03-01,2025-01-01&intervaltype=3", "balancedates"),  # reversed
        ("balancedates=2000-01-01,2025-01-01&intervaltype=1", "balancedates"),  # > 1000 days
        ("balancedates=2025-01-01&netvisorkey=abc", "netvisorkey"),
        ("balancedates=2025-01-01&netvisorkey=999999", "netvisorkey"),
        ("balancedates=2025-01-01&netvisorkeylist=", "netvisorkeylist"),
        ("balancedates=2025-01-01&netvisorkey=1&netvisorkeylist=2", "netvisorkeylist"),
    ],
)
def test_bad_accountbalance_parameters_are_invalid_data(nv, query, name):
    reply = nv.get("accountbalance.nv", query, use_http_status_codes=True)
    assert (reply.status, reply.category, reply.http_status) == ("FAILED", "INVALID_DATA", 400)
    assert name in reply.error


def test_account_group_key_is_refused(nv):
    group_key = nv.get("accountlist.nv").find("AccountList/Accounts/Account/NetvisorKey").text
    reply = nv.get("accountbalance.nv", f"balancedates=2025-01-01&netvisorkey={group_key}")
    assert reply.category == "INVALID_DATA"


def test_more_than_500_account_keys_is_invalid_data_size(nv):
    keys = ",".join(str(k) for k in range(1, 502))
    reply = nv.get("accountbalance.nv", f"balancedates=2025-01-01&netvisorkeylist={keys}")
    assert reply.category == "INVALID_DATA_SIZE"


def _fill(db, company_id, vouchers):
    """`vouchers` valid sales vouchers over 2025 (3 lines each) in one transaction."""
    first = datetime.date(2025, 1, 1)
    with db._write() as sql:
        for i in range(vouchers):
            day = (first + datetime.timedelta(days=i % 365)).isoformat()
            key = sql.execute(
                "INSERT INTO vouchers (company_id, type_key, number, voucher_date, description, "
                "voucher_class, calculation_mode, checked, status, created_at, modified_at) "
                "VALUES (?, 1, ?, ?, 'x', 'Myyntilasku', 'net', 0, 'valid', '', '')",
                (company_id, i + 1, day),
            ).lastrowid
            cents = 100 + i
            sql.executemany(
                "INSERT INTO voucher_lines (voucher_key, position, sum_cents, account_number, "
                "vat_percent, vat_code, dimensions) VALUES (?, ?, ?, ?, '0', 'NONE', '[]')",
                [
                    (key, 0, cents + cents // 4, "1701"),
                    (key, 1, -cents, "3000"),
                    (key, 2, -(cents // 4), "2939"),
                ],
            )


def test_balances_of_10000_vouchers_are_fast(tmp_path):
    db = store.Store(tmp_path / "sandbox.sqlite3")
    try:
        company_id = db.company(A.organisation_id).id
        _fill(db, company_id, 10_000)
        dates = [datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)]
        started = time.perf_counter()
        monthly = db.account_balances(company_id, dates, 3)
        separate = db.account_balances(company_id, [datetime.date(2025, 12, 31)], 0)
        elapsed = time.perf_counter() - started
        plan = db._db.execute(
            "EXPLAIN QUERY PLAN SELECT 1 FROM vouchers v JOIN voucher_lines l "
            "ON l.voucher_key = v.netvisor_key WHERE v.company_id = ?",
            (company_id,),
        ).fetchall()
    finally:
        db.close()
    assert elapsed < 2.0, elapsed
    assert "voucher_lines_voucher" in " ".join(row[-1] for row in plan)
    revenue = sum(100 + i for i in range(10_000))
    vat = sum((100 + i) // 4 for i in range(10_000))
    assert separate["3000"] == [(datetime.date(2025, 12, 31), 0, revenue, -revenue)]
    assert separate["1701"] == [(datetime.date(2025, 12, 31), revenue + vat, 0, revenue + vat)]
    assert len(monthly["1701"]) == 12
    assert sum(row[1] for row in monthly["1701"]) == revenue + vat
    assert monthly["2939"][-1][3] == -vat


def test_old_database_files_get_the_deleted_at_column(tmp_path):
    path = tmp_path / "sandbox.sqlite3"
    old_schema = store.SCHEMA.replace(", deleted_at TEXT", "")
    assert old_schema != store.SCHEMA
    with sqlite3.connect(path) as connection:
        connection.executescript(old_schema)
    connection.close()
    db = store.Store(path)
    try:
        columns = [row["name"] for row in db._db.execute("PRAGMA table_info(vouchers)")]
        assert columns[-1] == "deleted_at"
        company_id = db.company(A.organisation_id).id
        lines = [
            {"amount": "5", "account_number": "1910"},
            {"amount": "-5", "account_number": "2948"},
        ]
        key = db.add_voucher(company_id, "2025-03-01", "manual", "Muut", lines)
        db.delete_voucher(company_id, key)
        assert [k for k, _ in db.deleted_vouchers(company_id, datetime.date(2025, 1, 1))] == [key]
    finally:
        db.close()
    db = store.Store(path)  # and a second start leaves it alone
    db.close()


# ---------------------------------------------------------------- control CLI


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["delete", ORG, "1001"], ("DELETE", f"{VOUCHERS}/1001", None)),
        (
            ["delete", ORG, "1001", "--days-ago", "8"],
            ("DELETE", f"{VOUCHERS}/1001", {"days_ago": 8}),
        ),
        (
            ["edit-line", ORG, "1001", "2", "--amount", "-5.00", "--balance-line", "1"],
            ("PATCH", f"{VOUCHERS}/1001/lines/2", {"amount": "-5.00", "balance_position": 1}),
        ),
        (
            [
                "edit-line",
                ORG,
                "1001",
                "1",
                "--account",
                "3001",
                "--vat-code",
                "KOMY",
                "--vat-percent",
                "25,5",
                "--description",
                "Korjaus",
            ],
            (
                "PATCH",
                f"{VOUCHERS}/1001/lines/1",
                {
                    "account_number": "3001",
                    "vat_code": "KOMY",
                    "vat_percent": "25.5",
                    "description": "Korjaus",
                },
            ),
        ),
        (["duplicate", ORG, "1001"], ("POST", f"{VOUCHERS}/1001/duplicate", None)),
        (
            ["edit-voucher", ORG, "1001", "--description", "Käsin", "--date", "2025-02-03"],
            ("PATCH", f"{VOUCHERS}/1001", {"description": "Käsin", "date": "2025-02-03"}),
        ),
        (
            [
                "add-voucher",
                ORG,
                "2025-02-01",
                "Käsin",
                "--line",
                "124:1910",
                "--line=-100,00:3000:KOMY:24",
                "--line=-24:2939",
                "--voucher-class",
                "Muut",
            ],
            (
                "POST",
                VOUCHERS,
                {
                    "date": "2025-02-01",
                    "description": "Käsin",
                    "lines": [
                        {"amount": "124", "account_number": "1910"},
                        {
                            "amount": "-100.00",
                            "account_number": "3000",
                            "vat_code": "KOMY",
                            "vat_percent": "24",
                        },
                        {"amount": "-24", "account_number": "2939"},
                    ],
                    "voucher_class": "Muut",
                },
            ),
        ),
    ],
)
def test_control_request_for_new_commands(argv, expected):
    assert control.request_for(control.parse_args(argv)) == expected


@pytest.mark.parametrize(
    "argv",
    [
        ["edit-line", ORG, "1001", "2", "--amount", "-5.00"],  # no --balance-line
        ["edit-line", ORG, "1001", "2", "--balance-line", "1"],
        ["edit-line", ORG, "1001", "2"],  # nothing to change
        ["add-voucher", ORG, "2025-02-01", "x"],  # no --line
        ["add-voucher", ORG, "2025-02-01", "x", "--line", "5"],
        ["add-voucher", ORG, "2025-02-01", "x", "--line", "5:1910:KOMY"],
        ["delete", ORG, "1001", "--days-ago", "-1"],
        ["edit-voucher", ORG, "1001"],  # nothing to change
    ],
)
def test_control_refuses_incomplete_commands(argv, capsys):
    with pytest.raises(SystemExit) as caught:
        control.parse_args(argv)
    assert caught.value.code == 2


def run(sandbox, *args):
    """`python3 -m netvisor_sandbox.control` against the test sandbox."""
    cmd = [sys.executable, "-m", "netvisor_sandbox.control", "--url", sandbox.url]
    cmd += ["--token", sandbox.admin_token, *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60)


def test_control_cli_tampers_through_the_admin_api(sandbox, nv):
    result = run(
        sandbox, "add-voucher", ORG, "2025-01-20", "Käsin", "--line", "10:1910", "--line=-10:2948"
    )
    assert result.returncode == 0, result.stderr
    key = str(json.loads(result.stdout)["netvisor_key"])
    result = run(sandbox, "edit-line", ORG, key, "1", "--amount", "12.5", "--balance-line", "2")
    assert result.returncode == 0, result.stderr
    assert [ln[0] for ln in _lines(nv.ledger(f"netvisorkey={key}")[0])] == ["12,50", "-12,50"]
    result = run(sandbox, "duplicate", ORG, key)
    assert result.returncode == 0, result.stderr
    copy = str(json.loads(result.stdout)["netvisor_key"])
    assert run(sandbox, "delete", ORG, copy, "--days-ago", "2").returncode == 0
    assert _keys(nv.ledger(JANUARY + "&voucherstatus=1")) == [key]
    reply = nv.get("deletedvouchers.nv", f"deletedsince={TODAY - datetime.timedelta(days=3)}")
    assert _keys(reply.findall("DeletedVouchers/DeletedVoucher")) == [copy]
    failed = run(sandbox, "delete", ORG, copy)
    assert failed.returncode == 1 and "already deleted" in failed.stderr
