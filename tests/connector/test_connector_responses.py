"""Response parsing (API.md §3, §6): envelope, error categories, hostile bodies, lists."""

import datetime
from decimal import Decimal

import pytest

from ecomjet_netvisor.netvisor import client as client_module
from ecomjet_netvisor.netvisor import errors, responses
from ecomjet_netvisor.netvisor.responses import parse_date, parse_decimal, read_envelope
from tests.connector.netvisor_test_support import data, failed_envelope, ok_envelope

D = Decimal
ACCOUNTLIST_URL = "https://isvapi.netvisor.fi/accountlist.nv"
LEDGER_URL = "https://isvapi.netvisor.fi/accountingledger.nv"

CATEGORIES = [
    ("AUTHENTICATION_FAILED", errors.AuthenticationFailed, 401),
    ("INVALID_DATA", errors.InvalidData, 400),
    ("INVALID_DATA_SIZE", errors.InvalidDataSize, 400),
    ("DUPLICATE_DATA", errors.DuplicateData, 409),
    ("REQUEST_NOT_UNIQUE", errors.RequestNotUnique, 409),
    ("PERIOD_LOCK", errors.PeriodLock, 409),
    ("SERVICE_ACCESS_ERROR", errors.ServiceAccessError, 403),
    ("SYSTEM_MAINTENANCE", errors.SystemMaintenance, 503),
    ("SYSTEM_MAINTANANCE", errors.SystemMaintenance, 503),
    ("TECHNICAL_ERROR", errors.TechnicalError, 500),
]


# ---------------------------------------------------------------- envelope


def test_ok_envelope_gives_the_inserted_voucher_key():
    root = read_envelope(data("accounting_ok.xml"))
    assert responses.parse_inserted_key(root) == "4711"


def test_ok_envelope_without_inserted_key_is_a_bad_response():
    with pytest.raises(errors.BadResponseError):
        responses.parse_inserted_key(read_envelope(ok_envelope()))


def test_failed_envelope_of_the_documentation_parsed():
    with pytest.raises(errors.InvalidData) as caught:
        read_envelope(data("failed_invalid_data.xml"))
    assert caught.value.category == "INVALID_DATA"
    assert caught.value.netvisor_text == (
        "Data form incorrect:. XML message validation failed: Could not validate xml"
    )


@pytest.mark.parametrize("category, cls, status", CATEGORIES)
@pytest.mark.parametrize("use_status_codes", [False, True])
def test_each_category_parsed_to_its_class_whatever_the_http_status(
    make_client, http, category, cls, status, use_status_codes
):
    """Never branch on the HTTP status: 200 and non-2xx carry the same envelope."""
    client = make_client(max_retries=0)
    text = f"Netvisor says {category.lower()} :: with detail"
    http.get(
        ACCOUNTLIST_URL,
        body=failed_envelope(f"{category} :: {text}"),
        status=status if use_status_codes else 200,
    )
    with pytest.raises(cls) as caught:
        client.get_account_list()
    error = caught.value
    assert type(error) is cls
    assert error.category == cls.category
    assert error.netvisor_text == text
    assert error.explanation and error.explanation.isascii()
    assert text in str(error) and error.explanation in str(error)
    assert (
        error.transaction_id
        == http.calls[0].request.headers["X-Netvisor-Authentication-TransactionId"]
    )


def test_misspelled_system_maintanance_is_system_maintenance():
    with pytest.raises(errors.SystemMaintenance) as caught:
        read_envelope(failed_envelope("SYSTEM_MAINTANANCE :: Huoltokatko"))
    assert caught.value.category == "SYSTEM_MAINTENANCE"
    assert caught.value.retryable is True


def test_failure_text_split_on_the_first_separator_only():
    detail = "AUTHENTICATION_FAILED :: URI-metodi ei kelpaa :: merkkijono :: F634C00C"
    with pytest.raises(errors.AuthenticationFailed) as caught:
        read_envelope(failed_envelope(detail))
    assert caught.value.netvisor_text == "URI-metodi ei kelpaa :: merkkijono :: F634C00C"


def test_unknown_category_gives_a_plain_response_error():
    with pytest.raises(errors.NetvisorResponseError) as caught:
        read_envelope(failed_envelope("BRAND_NEW_CATEGORY :: something"))
    assert type(caught.value) is errors.NetvisorResponseError
    assert caught.value.category == "BRAND_NEW_CATEGORY"
    assert caught.value.netvisor_text == "something"


def test_failed_envelope_without_separator_keeps_the_text():
    with pytest.raises(errors.NetvisorResponseError) as caught:
        read_envelope(failed_envelope("Jotain meni pieleen"))
    assert caught.value.netvisor_text == "Jotain meni pieleen"
    with pytest.raises(errors.PeriodLock):
        read_envelope(failed_envelope("PERIOD_LOCK"))


def test_service_access_error_explains_package_and_resource_rights():
    explanation = errors.ServiceAccessError.explanation
    assert "Professional" in explanation and "Premium" in explanation
    assert "rights of interface resources" in explanation


@pytest.mark.parametrize("category, cls, _status", CATEGORIES)
def test_error_for_category_builds_the_right_class(category, cls, _status):
    error = errors.error_for_category(category, "teksti")
    assert type(error) is cls and error.netvisor_text == "teksti"
    assert isinstance(error, errors.NetvisorResponseError)
    assert error.retryable is (cls in (errors.SystemMaintenance, errors.TechnicalError))


def test_http_error_status_with_ok_envelope_is_success(client, http):
    http.get(ACCOUNTLIST_URL, body=data("accountlist.xml"), status=500)
    assert client.get_account_list().accounts


def test_status_element_casing_and_value_case_tolerated():
    body = b"<root><responsestatus><status>ok</status></responsestatus><Replies>"
    body += b"<InsertedDataIdentifier> 12 </InsertedDataIdentifier></Replies></root>"
    assert responses.parse_inserted_key(read_envelope(body)) == "12"


def test_transport_errors_say_whether_netvisor_may_have_the_request():
    assert errors.NotSentError("x").may_be_stored is False
    assert errors.NotSentError("x").retryable is True
    assert errors.OutcomeUnknownError("x").may_be_stored is True
    assert errors.BadResponseError("x").may_be_stored is True
    for cls in (errors.NotSentError, errors.OutcomeUnknownError, errors.BadResponseError):
        assert issubclass(cls, errors.TransportError)
        assert issubclass(cls, errors.NetvisorError)


# ---------------------------------------------------------------- hostile and broken bodies

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Root [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Root><ResponseStatus><Status>OK</Status></ResponseStatus>
<Replies><InsertedDataIdentifier>&xxe;</InsertedDataIdentifier></Replies></Root>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Root><ResponseStatus><Status>FAILED</Status><Status>INVALID_DATA :: &lol9;</Status>
</ResponseStatus></Root>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Root SYSTEM "http://attacker.example/netvisor.dtd">
<Root><ResponseStatus><Status>OK</Status></ResponseStatus></Root>"""


@pytest.mark.parametrize("body", [XXE, BILLION_LAUGHS, EXTERNAL_DTD], ids=["xxe", "lol", "dtd"])
def test_doctype_and_entity_declarations_refused(body):
    with pytest.raises(errors.BadResponseError) as caught:
        read_envelope(body)
    assert "DOCTYPE" in str(caught.value)


def test_doctype_hidden_in_utf16_refused_after_parsing():
    """The byte scan cannot see UTF-16; the parsed tree's docinfo still reveals the DTD."""
    body = XXE.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-16"?>')
    body = body.decode().encode("utf-16")
    with pytest.raises(errors.BadResponseError):
        read_envelope(body)


def test_billion_laughs_from_the_network_refused(make_client, http):
    client = make_client(max_retries=0)
    http.get(ACCOUNTLIST_URL, body=BILLION_LAUGHS)
    with pytest.raises(errors.BadResponseError):
        client.get_account_list()
    assert len(http.calls) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \r\n",
        b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
        b"502 Bad Gateway",
        b'{"status": "OK"}',
        b"<Root><Replies/></Root>",
        b"<Root><ResponseStatus></ResponseStatus></Root>",
        b"<Root><ResponseStatus><Status>MAYBE</Status></ResponseStatus></Root>",
        b"<Other><ResponseStatus><Status>OK</Status></ResponseStatus></Other>",
        b"<Root><ResponseStatus><Status>OK</Status></ResponseStatus>",
    ],
    ids=[
        "empty",
        "blank",
        "html",
        "text",
        "json",
        "no-status",
        "no-status-element",
        "odd-status",
        "wrong-root",
        "truncated",
    ],
)
def test_bodies_that_are_not_netvisor_xml_are_bad_responses(body):
    with pytest.raises(errors.BadResponseError):
        read_envelope(body)


def test_gateway_error_page_is_a_bad_response_not_retried_for_post(client, http, sales_voucher):
    http.post(
        "https://isvapi.netvisor.fi/accounting.nv",
        body=b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        status=502,
    )
    with pytest.raises(errors.BadResponseError) as caught:
        client.import_voucher(sales_voucher)
    assert caught.value.may_be_stored is True
    assert caught.value.may_still_run is True  # a gateway answered
    assert len(http.calls) == 1


def test_oversize_body_refused_while_streaming(make_client, http):
    client = make_client(max_response_bytes=4096)
    http.get(ACCOUNTLIST_URL, body=ok_envelope("<AccountList>" + "x" * 5000 + "</AccountList>"))
    with pytest.raises(errors.BadResponseError) as caught:
        client.get_account_list()
    assert "exceeds 4096 bytes" in str(caught.value)


def test_oversize_body_refused_from_declared_length(make_client, http):
    client = make_client(max_response_bytes=4096)
    http.get(ACCOUNTLIST_URL, body=b"x" * 5000, auto_calculate_content_length=True)
    with pytest.raises(errors.BadResponseError) as caught:
        client.get_account_list()
    assert "5000 bytes exceeds 4096" in str(caught.value)


def test_a_months_ledger_may_be_larger_than_other_answers(make_client, http):
    """A month's ledger grows with the books: 10,000 vouchers are some 16 MB."""
    client = make_client(max_response_bytes=4096)
    voucher = (
        "<Voucher Status='valid'><NetvisorKey>{key}</NetvisorKey><VoucherDate>3.11.2025"
        "</VoucherDate><VoucherNumber>{key}</VoucherNumber><VoucherDescription>ODOO-X-{key}"
        "</VoucherDescription><VoucherClass>Myyntilasku</VoucherClass></Voucher>"
    )
    body = "<Vouchers>" + "".join(voucher.format(key=key) for key in range(1, 60)) + "</Vouchers>"
    assert 4096 < len(body) < 4096 * client_module.LARGE_ANSWER_FACTOR
    http.get(LEDGER_URL, body=ok_envelope(body))
    found = client.get_ledger(datetime.date(2025, 11, 1), datetime.date(2025, 11, 30))
    assert len(found) == 59
    http.get(LEDGER_URL, body=ok_envelope("<Vouchers>" + " " * 4096 * 21 + "</Vouchers>"))
    with pytest.raises(errors.BadResponseError):
        client.get_ledger(datetime.date(2025, 11, 1), datetime.date(2025, 11, 30))
    http.get(ACCOUNTLIST_URL, body=ok_envelope("<AccountList>" + "x" * 5000 + "</AccountList>"))
    with pytest.raises(errors.BadResponseError):
        client.get_account_list()


def test_default_cap_is_10_mib(client, http):
    padding = " " * (10 * 1024 * 1024)
    http.get(ACCOUNTLIST_URL, body=ok_envelope(f"<AccountList>{padding}</AccountList>"))
    with pytest.raises(errors.BadResponseError):
        client.get_account_list()
    assert responses.MAX_RESPONSE_BYTES == 10 * 1024 * 1024


# ---------------------------------------------------------------- numbers and dates


@pytest.mark.parametrize(
    "text, value",
    [
        ("150,22", "150.22"),
        ("-17,18", "-17.18"),
        ("25,5", "25.5"),
        ("1255,00", "1255.00"),
        ("-10000.00", "-10000.00"),
        ("1 255,00", "1255.00"),
        ("0", "0"),
        ("", "0"),
    ],
)
def test_decimal_comma_parsed(text, value):
    assert parse_decimal(text) == D(value)


@pytest.mark.parametrize(
    "text", ["12,3,4", "abc", "NaN", "1e999999999999", "1.234,56", "--5,00", "9" * 5000, "٣"]
)
def test_garbage_numbers_are_bad_responses(text):
    with pytest.raises(errors.BadResponseError):
        parse_decimal(text)


@pytest.mark.parametrize(
    "text, value",
    [
        ("31.12.2023", datetime.date(2023, 12, 31)),
        ("1.1.2000", datetime.date(2000, 1, 1)),
        ("5.6.2023 16:12:09", datetime.date(2023, 6, 5)),
        ("2025-01-31", datetime.date(2025, 1, 31)),
        ("2009-1-1", datetime.date(2009, 1, 1)),
        ("", None),
    ],
)
def test_dates_parsed_in_both_formats(text, value):
    assert parse_date(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "31.13.2023",
        "32.13.2025",
        "31.2.2025",
        "2025/01/31",
        "yesterday",
        "1.1",
        "1.1.99999",
        "1.1.99999999999999999999",
        "99999999999999999999-1-1",
        "2025-13-01",
        "12.x.2025",
        "٣.١.٢٠٢٥",
    ],
)
def test_garbage_dates_are_bad_responses(text):
    with pytest.raises(errors.BadResponseError):
        parse_date(text)


# ---------------------------------------------------------------- §6 lists


def test_account_list_of_section_6_1_parsed():
    result = responses.parse_account_list(read_envelope(data("accountlist.xml")))
    assert len(result.default_accounts) == 22
    assert result.default_accounts["SalesReceivables"] == "1701"
    assert result.default_accounts["SalesVATDebt"] == "2939"
    assert result.default_accounts["PurchaseOutsideEUDefault"] == "4130"
    group, sales = result.accounts
    assert group == responses.Account("310", "300", "LIIKEVAIHTO", "accountgroup", True, {})
    assert sales == responses.Account("311", "3000", "Myynti", "account", True, {"en": "Sales"})


def test_account_list_tolerates_old_spellings_and_casing():
    body = ok_envelope(
        "<accountlist><companydefaultaccounts>"
        "<SalesVATdebt>2939</SalesVATdebt>"
        "<SalesExchangeRateDiffereces>3580</SalesExchangeRateDiffereces>"
        "<PurchaseDiscounts>4230</PurchaseDiscounts>"
        "<PurchaseOutsideEuDefault>4130</PurchaseOutsideEuDefault>"
        "<TradePayables></TradePayables>"
        "</companydefaultaccounts><accounts><account><netvisorkey>5</netvisorkey>"
        "<number>1701</number><name>Myyntisaamiset</name><accounttype>Account</accounttype>"
        "<isactive>0</isactive></account></accounts></accountlist>"
    )
    result = responses.parse_account_list(read_envelope(body))
    assert result.default_accounts == {
        "SalesVATDebt": "2939",
        "SalesExchangeRateDifferences": "3580",
        "PurchasesDiscounts": "4230",
        "PurchaseOutsideEUDefault": "4130",
    }
    [account] = result.accounts
    assert (account.number, account.account_type, account.is_active) == ("1701", "account", False)


def test_period_list_nested_layout_with_iso_dates():
    info = responses.parse_periods(read_envelope(data("accountingperiodlist_nested.xml")))
    assert info.accounting_lock_date == datetime.date(2024, 12, 31)
    assert info.vat_lock_date == datetime.date(2024, 12, 31)
    assert info.purchase_lock_date == datetime.date(2024, 12, 31)
    assert info.periods == [
        responses.Period("11", "2024", datetime.date(2024, 1, 1), datetime.date(2024, 12, 31)),
        responses.Period("12", "2025", datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)),
    ]


def test_period_list_sibling_layout_with_finnish_dates_and_empty_lock():
    body = data("accountingperiodlist_sibling_fi_dates.xml")
    info = responses.parse_periods(read_envelope(body))
    assert info.accounting_lock_date == datetime.date(2015, 12, 31)
    assert info.vat_lock_date == datetime.date(2016, 6, 30)
    assert info.purchase_lock_date is None
    assert [(p.netvisor_key, p.begin, p.end) for p in info.periods] == [
        ("1", datetime.date(2015, 1, 1), datetime.date(2015, 12, 31)),
        ("2", datetime.date(2016, 1, 1), datetime.date(2016, 12, 31)),
    ]


def _period_list(layout, dates):
    """accountingperiodlist.nv built in either layout of API.md §6.2/§11.1."""

    def day(iso):
        if dates == "iso":
            return iso
        value = datetime.date.fromisoformat(iso)
        return f"{value.day}.{value.month}.{value.year}"

    periods = "".join(
        f"<Period><NetvisorKey>{key}</NetvisorKey><Name>{year}</Name>"
        f'<BeginDate format="ansi">{day(f"{year}-01-01")}</BeginDate>'
        f'<EndDate format="ansi">{day(f"{year}-12-31")}</EndDate></Period>'
        for key, year in (("21", 2025), ("22", 2026))
    )
    locks = (
        f'<AccountingPeriodLockDate format="ansi">{day("2025-06-30")}</AccountingPeriodLockDate>'
        f'<VatPeriodLockDate format="ansi">{day("2025-05-31")}</VatPeriodLockDate>'
        '<PurchaseLockDate format="ansi"></PurchaseLockDate>'
    )
    if layout == "nested":
        body = f"<PeriodLockInformation>{locks}{periods}</PeriodLockInformation>"
    else:
        body = f"<PeriodLockInformation>{locks}</PeriodLockInformation>{periods}"
    return ok_envelope(f"<AccountingPeriodList>{body}</AccountingPeriodList>")


@pytest.mark.parametrize("dates", ["iso", "finnish"])
@pytest.mark.parametrize("layout", ["nested", "sibling"])
def test_period_list_read_in_both_layouts_and_both_date_formats(layout, dates):
    """API.md §11.1: Netvisor likely sends siblings with d.M.yyyy; the doc shows nesting."""
    info = responses.parse_periods(read_envelope(_period_list(layout, dates)))
    assert info == responses.PeriodInfo(
        accounting_lock_date=datetime.date(2025, 6, 30),
        vat_lock_date=datetime.date(2025, 5, 31),
        purchase_lock_date=None,
        periods=[
            responses.Period("21", "2025", datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)),
            responses.Period("22", "2026", datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)),
        ],
    )


@pytest.mark.parametrize("layout", ["nested", "sibling"])
def test_period_list_layouts_through_the_client(client, http, layout):
    http.get(
        "https://isvapi.netvisor.fi/accountingperiodlist.nv", body=_period_list(layout, "finnish")
    )
    info = client.get_accounting_periods()
    assert [p.netvisor_key for p in info.periods] == ["21", "22"]
    assert info.accounting_lock_date == datetime.date(2025, 6, 30)


def test_voucher_type_list_of_section_6_3_parsed():
    result = responses.parse_voucher_types(read_envelope(data("vouchertypelist.xml")))
    assert result.defaults == {
        "SalesInvoices": "1",
        "SalesInvoicePayments": "2",
        "PurchaseInvoices": "9",
        "PurchaseInvoicePayments": "10",
        "OtherSystemGeneratedVouchers": "7",
        "BankStatementViewVouchers": "3",
        "Accruals": "11",
    }
    sales, purchase = result.types
    assert sales == responses.VoucherType(
        "1", "ML", "Myyntilasku", {"en": "Sales invoice", "sv": "Försäljningsfaktura"}
    )
    assert (purchase.abbreviation, purchase.name) == ("OL", "Ostolasku")


def test_voucher_type_defaults_accept_netvisorkey_spelling_of_the_doc():
    body = ok_envelope(
        "<VoucherTypeList><DefaultVoucherTypes><PurchaseInvoices><Netvisorkey>9</Netvisorkey>"
        "</PurchaseInvoices></DefaultVoucherTypes><VoucherTypes/></VoucherTypeList>"
    )
    result = responses.parse_voucher_types(read_envelope(body))
    assert result.defaults == {"PurchaseInvoices": "9"}
    assert result.types == []


def test_ledger_of_section_6_4_parsed():
    [voucher] = responses.parse_ledger(read_envelope(data("accountingledger.xml")))
    assert voucher.netvisor_key == "4711"
    assert voucher.date == datetime.date(2025, 1, 31)
    assert voucher.number == 17
    assert voucher.description == "Myyntilaskut 01/2025 [ext:SALES-2025-01]"
    assert voucher.voucher_class == "Myyntilasku"
    assert voucher.status == "valid"
    assert voucher.uri == "https://isvapi.netvisor.fi/voucher.nv?id=4711"
    receivable, revenue, vat_line = voucher.lines
    assert receivable == responses.LedgerLine(
        "90001", D("1255.00"), "Myyntisaamiset 01/2025", "1701", D(0), "NONE"
    )
    assert (revenue.amount, revenue.vat_percent, revenue.vat_code) == (
        D("-1000"),
        D("25.5"),
        "KOMY",
    )
    assert revenue.dimensions == (("Projekti", "P-100"),)
    assert vat_line.amount == D("-255.00") and vat_line.vat_code == "NONE"
    assert sum(line.amount for line in voucher.lines) == 0


def test_ledger_tolerates_casing_variants():
    body = ok_envelope(
        '<Vouchers><Voucher status="INVALIDATED"><NetvisorKey>5</NetvisorKey>'
        "<VoucherDate>1.2.2025</VoucherDate><VoucherNumber></VoucherNumber>"
        "<VoucherNetvisorUri>https://x/5</VoucherNetvisorUri>"
        "<voucherline><netvisorkey>9</netvisorkey><linesum>-1,5</linesum>"
        "<vatpercent>13,5</vatpercent><vatcode>KOOS</vatcode></voucherline>"
        "</Voucher></Vouchers>"
    )
    [voucher] = responses.parse_ledger(read_envelope(body))
    assert voucher.status == "invalidated"
    assert voucher.uri == "https://x/5"
    assert voucher.number is None
    assert voucher.lines[0].amount == D("-1.5")
    assert voucher.lines[0].vat_percent == D("13.5")


@pytest.mark.parametrize(
    "status, invalidated",
    [("valid", False), ("invalidated", True), ("deleted", True), ("Invalidated", True)],
)
def test_ledger_voucher_tells_invalidated_from_valid(status, invalidated):
    """The sandbox (and API.md §6.4) write Status="valid" | "invalidated" | "deleted"."""
    body = ok_envelope(
        f'<Vouchers><Voucher Status="{status}"><NetvisorKey>5</NetvisorKey>'
        "<VoucherDate>1.2.2025</VoucherDate></Voucher></Vouchers>"
    )
    [voucher] = responses.parse_ledger(read_envelope(body))
    assert voucher.is_invalidated is invalidated


def test_empty_ledger_is_an_empty_list():
    assert responses.parse_ledger(read_envelope(ok_envelope("<Vouchers />"))) == []


def test_missing_payload_is_a_bad_response():
    with pytest.raises(errors.BadResponseError):
        responses.parse_ledger(read_envelope(ok_envelope()))
    with pytest.raises(errors.BadResponseError):
        responses.parse_account_list(read_envelope(ok_envelope()))
