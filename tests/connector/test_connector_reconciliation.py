"""Read-back for reconciliation (API.md §11.4): accountbalance.nv and deletedvouchers.nv,
parsed in both revisions and asked for with the right query strings."""

import datetime
from decimal import Decimal

import pytest

from ecomjet_netvisor.netvisor import AccountBalance, DeletedVoucher, errors, responses
from ecomjet_netvisor.netvisor.responses import parse_datetime, read_envelope
from tests.connector.netvisor_test_support import data, failed_envelope, ok_envelope

D = Decimal
BASE = "https://isvapi.netvisor.fi"
BALANCE = f"{BASE}/accountbalance.nv"
DELETED = f"{BASE}/deletedvouchers.nv"
NOV = (datetime.date(2025, 11, 1), datetime.date(2025, 11, 30))
EMPTY_BALANCES = ok_envelope("<AccountBalances />")
EMPTY_DELETED = ok_envelope("<DeletedVouchers />")


def _balances(body):
    return responses.parse_account_balances(read_envelope(body))


def _deleted(body):
    return responses.parse_deleted_vouchers(read_envelope(body))


def _balance_answer(debet="1255,00", kredit="0,00", balance="1255,00", date="2025-11-30"):
    return ok_envelope(
        f'<AccountBalances><Account Netvisorkey="128"><AccountBalance Date="{date}" '
        f'format="ansi"><Debet>{debet}</Debet><Kredit>{kredit}</Kredit>'
        f"<Balance>{balance}</Balance></AccountBalance></Account></AccountBalances>"
    )


# ---------------------------------------------------------------- accountbalance.nv


def test_account_balances_of_the_older_revision_parsed():
    assert _balances(data("accountbalance.xml")) == [
        AccountBalance("128", None, None, datetime.date(2025, 11, 30), D("1255"), D(0), D("1255")),
        AccountBalance(
            "128", None, None, datetime.date(2025, 12, 31), D("10.01"), D("500.50"), D("764.51")
        ),
        AccountBalance("441", None, None, datetime.date(2025, 11, 30), D(0), D(1000), D(-1000)),
        AccountBalance("441", None, None, datetime.date(2025, 12, 31), D(0), D(0), D(-1000)),
    ]


def test_account_balances_of_the_newer_revision_with_finnish_dates_parsed():
    receivables, vat = _balances(data("accountbalance_numbers.xml"))
    assert receivables == AccountBalance(
        "128",
        "1701",
        "Myyntisaamiset",
        datetime.date(2025, 11, 30),
        D("1255.00"),
        D(0),
        D(1255),
    )
    assert (vat.account_key, vat.number, vat.name) == ("411", "2939", "Arvonlisäverovelka")
    assert (vat.date, vat.credit, vat.balance) == (datetime.date(2025, 12, 1), D(255), D(-255))


def test_account_balance_key_may_be_a_child_element():
    body = ok_envelope(
        "<AccountBalances><Account><NetvisorKey>7</NetvisorKey><AccountBalance>"
        "<Date>2025-11-30</Date><Debet>1</Debet><Kredit>2</Kredit><Balance>-1</Balance>"
        "</AccountBalance></Account></AccountBalances>"
    )
    [item] = _balances(body)
    assert (item.account_key, item.date, item.balance) == ("7", datetime.date(2025, 11, 30), -1)


@pytest.mark.parametrize(
    "body",
    [
        EMPTY_BALANCES,
        ok_envelope("<AccountBalances></AccountBalances>"),
        ok_envelope("<accountbalances/>"),
    ],
)
def test_empty_account_balances_are_an_empty_list(body):
    assert _balances(body) == []


def test_account_without_balances_gives_no_entries():
    body = ok_envelope('<AccountBalances><Account Netvisorkey="1"/></AccountBalances>')
    assert _balances(body) == []


@pytest.mark.parametrize(
    "body",
    [
        _balance_answer(debet="1,2,3"),
        _balance_answer(kredit="12x"),
        _balance_answer(balance="--5,00"),
        _balance_answer(debet="1.234,56"),
        _balance_answer(balance="9" * 5000),
        _balance_answer(date="32.13.2025"),
        _balance_answer(date="2025-02-30"),
        _balance_answer(date="1.1.99999999999999999999"),
        _balance_answer(date=""),
        ok_envelope(
            '<AccountBalances><Account Netvisorkey="1"><AccountBalance Date="2025-11-30">'
            "<Debet>1</Debet><Kredit>0</Kredit></AccountBalance></Account></AccountBalances>"
        ),
        ok_envelope(
            '<AccountBalances><Account><AccountBalance Date="2025-11-30"><Debet>1</Debet>'
            "<Kredit>0</Kredit><Balance>1</Balance></AccountBalance></Account></AccountBalances>"
        ),
        ok_envelope(),
    ],
    ids=[
        "debet-1,2,3",
        "kredit-12x",
        "balance--5",
        "thousands-dot",
        "huge",
        "date-32.13",
        "date-30.2",
        "date-overflow",
        "date-missing",
        "no-balance",
        "no-key",
        "no-payload",
    ],
)
def test_garbled_account_balances_are_bad_responses(body):
    with pytest.raises(errors.BadResponseError):
        _balances(body)


# ---------------------------------------------------------------- deletedvouchers.nv


def test_deleted_vouchers_parsed():
    assert _deleted(data("deletedvouchers.xml")) == [
        DeletedVoucher("4711", datetime.datetime(2022, 6, 8, 15, 14)),
        DeletedVoucher("4712", datetime.datetime(2022, 6, 7, 9, 1, 59)),
    ]


@pytest.mark.parametrize(
    "text, value",
    [
        ("2022-06-08 15:14", datetime.datetime(2022, 6, 8, 15, 14)),
        ("2022-06-08 15:14:09", datetime.datetime(2022, 6, 8, 15, 14, 9)),
        ("2022-06-08T15:14:09", datetime.datetime(2022, 6, 8, 15, 14, 9)),
        ("2022-06-08T15:14:09.123", datetime.datetime(2022, 6, 8, 15, 14, 9)),
        (
            "2022-06-08T15:14:09+03:00",
            datetime.datetime(
                2022, 6, 8, 15, 14, 9, tzinfo=datetime.timezone(datetime.timedelta(hours=3))
            ),
        ),
        (
            "2022-06-08T12:14:09Z",
            datetime.datetime(2022, 6, 8, 12, 14, 9, tzinfo=datetime.timezone.utc),
        ),
        ("8.6.2022 15:14", datetime.datetime(2022, 6, 8, 15, 14)),
        ("8.6.2022 9:05:01", datetime.datetime(2022, 6, 8, 9, 5, 1)),
        ("08.06.2022", datetime.datetime(2022, 6, 8)),
        ("2022-06-08", datetime.datetime(2022, 6, 8)),
        ("", None),
    ],
)
def test_delete_dates_in_every_format(text, value):
    assert parse_datetime(text) == value
    body = ok_envelope(
        "<DeletedVouchers><DeletedVoucher><NetvisorKey>1</NetvisorKey>"
        f'<DeleteDate format="ansi">{text}</DeleteDate></DeletedVoucher></DeletedVouchers>'
    )
    assert _deleted(body) == [DeletedVoucher("1", value)]


@pytest.mark.parametrize(
    "text",
    [
        "2022-06-32 15:14",
        "2022-13-08 15:14",
        "8.6.2022 25:14",
        "8.6.2022 15:61",
        "2022-06-08 15",
        "1.1.99999999999999999999 10:00",
        "yesterday",
        "2022/06/08 15:14",
        "2022-06-08T15:14:09+99:99",
    ],
)
def test_garbled_delete_dates_are_bad_responses(text):
    with pytest.raises(errors.BadResponseError):
        parse_datetime(text)


def test_deleted_voucher_casing_and_missing_date_tolerated():
    body = ok_envelope(
        "<deletedvouchers><deletedvoucher><netvisorkey>5</netvisorkey></deletedvoucher>"
        "</deletedvouchers>"
    )
    assert _deleted(body) == [DeletedVoucher("5", None)]


@pytest.mark.parametrize(
    "body", [EMPTY_DELETED, ok_envelope("<DeletedVouchers></DeletedVouchers>")]
)
def test_no_deleted_vouchers_is_an_empty_list(body):
    assert _deleted(body) == []


@pytest.mark.parametrize(
    "body",
    [
        ok_envelope(),
        ok_envelope(
            "<DeletedVouchers><DeletedVoucher><DeleteDate>2022-06-08 15:14</DeleteDate>"
            "</DeletedVoucher></DeletedVouchers>"
        ),
    ],
    ids=["no-payload", "no-key"],
)
def test_broken_deleted_vouchers_are_bad_responses(body):
    with pytest.raises(errors.BadResponseError):
        _deleted(body)


# ---------------------------------------------------------------- client requests


@pytest.mark.parametrize(
    "interval, code", [("day", "1"), ("week", "2"), ("month", "3"), ("year", "4"), (None, "0")]
)
def test_account_balances_query_string(client, http, interval, code):
    http.get(BALANCE, body=data("accountbalance.xml"))
    found = client.get_account_balances(*NOV, interval=interval)
    assert len(found) == 4
    assert http.calls[0].request.url == (
        f"{BALANCE}?balancedates=2025-11-01,2025-11-30&intervaltype={code}"
    )


def test_account_balances_default_to_months_and_take_account_keys(client, http):
    http.get(BALANCE, body=EMPTY_BALANCES)
    http.get(BALANCE, body=EMPTY_BALANCES)
    assert client.get_account_balances(*NOV, account_keys=["128", 441]) == []
    client.get_account_balances(*NOV, account_keys=range(1, 501))
    assert http.calls[0].request.url == (
        f"{BALANCE}?balancedates=2025-11-01,2025-11-30&intervaltype=3&netvisorkeylist=128,441"
    )
    assert http.calls[1].request.url.endswith(
        "&netvisorkeylist=" + ",".join(str(k) for k in range(1, 501))
    )


@pytest.mark.parametrize(
    "args, kwargs, exception",
    [
        ((NOV[1], NOV[0]), {}, ValueError),
        (NOV, {"interval": "quarter"}, ValueError),
        (NOV, {"interval": 3}, ValueError),
        (NOV, {"account_keys": []}, ValueError),
        (NOV, {"account_keys": range(501)}, ValueError),
        (NOV, {"account_keys": ["1", "2;x"]}, ValueError),
        (NOV, {"account_keys": ["1&intervaltype=0"]}, ValueError),
        ((datetime.datetime(2025, 11, 1, 12), NOV[1]), {}, TypeError),
        (("2025-11-01", NOV[1]), {}, TypeError),
        ((NOV[0], None), {}, TypeError),
    ],
)
def test_account_balance_queries_refused_before_sending(client, http, args, kwargs, exception):
    with pytest.raises(exception):
        client.get_account_balances(*args, **kwargs)
    assert not http.calls


def test_deleted_vouchers_query_string_and_result(client, http):
    http.get(DELETED, body=data("deletedvouchers.xml"))
    found = client.get_deleted_vouchers(datetime.date(2022, 6, 1))
    assert [v.netvisor_key for v in found] == ["4711", "4712"]
    assert http.calls[0].request.url == f"{DELETED}?deletedsince=2022-06-01"


@pytest.mark.parametrize("since", ["2022-06-01", datetime.datetime(2022, 6, 1), None])
def test_deleted_vouchers_need_a_date(client, http, since):
    with pytest.raises(TypeError):
        client.get_deleted_vouchers(since)
    assert not http.calls


def test_both_reads_are_retried_like_other_gets(client, http, sleeps):
    maintenance = failed_envelope("SYSTEM_MAINTENANCE :: Netvisor huoltokatko")
    http.get(BALANCE, body=maintenance, status=503)
    http.get(BALANCE, body=EMPTY_BALANCES)
    http.get(DELETED, body=failed_envelope("TECHNICAL_ERROR :: virhe"), status=500)
    http.get(DELETED, body=EMPTY_DELETED)
    assert client.get_account_balances(*NOV) == []
    assert client.get_deleted_vouchers(NOV[0]) == []
    assert sleeps == [1.0, 1.0]
    ids = [c.request.headers["X-Netvisor-Authentication-TransactionId"] for c in http.calls]
    assert len(set(ids)) == 4


def test_garbled_balance_answer_is_a_complete_bad_response(make_client, http):
    client = make_client(max_retries=0)
    http.get(BALANCE, body=_balance_answer(debet="1,2,3"))
    with pytest.raises(errors.BadResponseError) as caught:
        client.get_account_balances(*NOV)
    assert caught.value.may_still_run is False
    assert caught.value.transaction_id == client.last_transaction_id


def test_invalid_data_answer_is_not_retried(client, http, sleeps):
    http.get(DELETED, body=failed_envelope("INVALID_DATA :: deletedsince puuttuu"), status=400)
    with pytest.raises(errors.InvalidData):
        client.get_deleted_vouchers(NOV[0])
    assert len(http.calls) == 1 and sleeps == []
