"""accounting.nv input rules: body decoding, DTD order (§4.1), accounts, VAT (§5),
amounts (§4.2), balance, voucher class (§4.3), dates and field sizes."""

import pytest

from netvisor_sandbox.testing import SALES_LINES, voucher_xml

XML_FAILED = (
    "INVALID_DATA :: Data form incorrect:. XML message validation failed: Could not validate xml"
)


def _lines(account_line):
    """A balanced voucher around one test line (amount, account, code, percent, text)."""
    amount = account_line[0]
    counter = amount[1:] if amount.startswith("-") else "-" + amount
    return (account_line, (counter, "1701", "NONE", "0", "vastakirjaus"))


def _failure(nv, body, **kwargs):
    reply = nv.post("accounting.nv", body, **kwargs)
    assert reply.status == "FAILED", "the sandbox accepted what it must reject"
    return reply


# -- body decoding and structure -------------------------------------------------------
def test_documented_example_voucher_is_accepted(nv):
    assert nv.import_voucher(voucher_xml()).isdigit()


def test_xml_declaration_is_tolerated(nv):
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + voucher_xml()
    assert nv.import_voucher(body)


def test_element_names_are_case_insensitive(nv):
    body = voucher_xml().replace("<root>", "<Root>").replace("</root>", "</Root>")
    body = body.replace("voucherline>", "VoucherLine>").replace("linesum", "lineSum")
    body = body.replace("calculationmode>", "CalculationMode>").replace("vatcode=", "vatCode=")
    assert nv.import_voucher(body)


def test_iso_8859_15_body_is_decoded_when_not_utf8(sandbox, nv):
    body = voucher_xml(description="Ostot €, Åland ja Öljy").encode("iso-8859-15")
    key = nv.import_voucher(body)
    stored = sandbox.admin("GET", "companies/1234567-1/vouchers").json()["vouchers"]
    assert [v["description"] for v in stored if str(v["netvisor_key"]) == key] == [
        "Ostot €, Åland ja Öljy"
    ]


def test_utf8_body_keeps_scandinavian_letters(sandbox, nv):
    key = nv.import_voucher(voucher_xml(description="Myyntilaskut äöå ÄÖÅ"))
    stored = sandbox.admin("GET", "companies/1234567-1/vouchers").json()["vouchers"]
    assert stored[0]["netvisor_key"] == int(key)
    assert stored[0]["description"] == "Myyntilaskut äöå ÄÖÅ"


@pytest.mark.parametrize(
    "mutate",
    [
        # voucherclass before voucherdate: order violated
        lambda b: b.replace('<voucherdate format="ansi">2025-01-31</voucherdate>', "").replace(
            "</voucherclass>", '</voucherclass><voucherdate format="ansi">2025-01-31</voucherdate>'
        ),
        # accountnumber before linesum inside a line
        lambda b: b.replace(
            '<linesum type="net">1255,00</linesum><description>Myyntisaamiset 01/2025'
            "</description><accountnumber>1701</accountnumber>",
            "<accountnumber>1701</accountnumber>"
            '<linesum type="net">1255,00</linesum>'
            "<description>Myyntisaamiset 01/2025</description>",
        ),
        lambda b: b.replace("<voucherclass>Myyntilasku</voucherclass>", ""),  # required
        lambda b: b.replace("<voucherclass>Myyntilasku</voucherclass>", "<voucherclass/>"),
        lambda b: b.replace("</voucher>", "<unknown>1</unknown></voucher>"),
        lambda b: b.replace('format="ansi"', 'format="finnish"'),
        lambda b: b.replace(' format="ansi"', ""),
        lambda b: b.replace('type="net"', 'type="brutto"', 1),
        lambda b: b.replace("<root>", '<root extra="1">'),
        lambda b: b.replace("<voucher>", "<voucher>stray text"),
        lambda b: b.replace("</root>", "<voucher/></root>"),  # two vouchers
        lambda b: b[:-20],  # not well-formed
        lambda b: "not xml at all",
        lambda b: '<!DOCTYPE root [<!ENTITY x "y">]>' + b,
        lambda b: b.replace("<root>", '<root xmlns="urn:x">'),
        lambda b: b.replace("<voucherline>", "<voucherline><linesum>1</linesum>", 1),
    ],
    ids=[
        "header-order",
        "line-order",
        "missing-voucherclass",
        "empty-voucherclass",
        "unknown-element",
        "bad-date-format-attr",
        "missing-date-format-attr",
        "bad-linesum-type",
        "unknown-attribute",
        "stray-text",
        "two-vouchers",
        "truncated",
        "not-xml",
        "doctype",
        "namespace",
        "duplicate-linesum",
    ],
)
def test_dtd_violations_give_the_documented_xml_validation_text(nv, mutate):
    reply = _failure(nv, mutate(voucher_xml()), use_http_status_codes=True)
    assert reply.error == XML_FAILED
    assert reply.http_status == 400


def test_xml_validation_text_is_the_same_in_english(nv):
    body = voucher_xml().replace("<voucherclass>Myyntilasku</voucherclass>", "")
    assert _failure(nv, body, language="EN").error == XML_FAILED


def test_optional_elements_in_documented_order_are_accepted(nv):
    body = voucher_xml(number="77", comment="Tuotu Odoosta").replace(
        "</voucherclass>", "</voucherclass><checked>true</checked>"
    )
    body = body.replace(
        "</voucher>",
        "<voucherattachments><voucherattachment><mimetype>application/pdf</mimetype>"
        "<attachmentdescription>Lasku</attachmentdescription><filename>a.pdf</filename>"
        "<documentdata>JVBERi0=</documentdata></voucherattachment></voucherattachments>"
        "</voucher>",
    )
    body = body.replace(
        '<vatpercent vatcode="KOMY">25,5</vatpercent>',
        '<vatpercent vatcode="KOMY">25,5</vatpercent>'
        '<accountdimension type="name">Kustannuspaikka</accountdimension>',
    )
    assert nv.import_voucher(body)


# -- accounts -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("account", "fragment"),
    [
        ("9999", "Account not found with account number: 9999"),
        ("300", "Account 300 is an account group"),
        ("3999", "Account 3999 is not active"),
        ("abc", "Account not found"),
    ],
    ids=["missing", "group", "inactive", "not-a-number"],
)
def test_account_must_exist_be_an_account_and_active(nv, account, fragment):
    lines = (("-100,00", account, "NONE", "0", None), ("100,00", "1701", "NONE", "0", None))
    reply = _failure(nv, voucher_xml(lines), language="EN", use_http_status_codes=True)
    assert (reply.category, reply.http_status) == ("INVALID_DATA", 400)
    assert fragment in reply.error


# -- VAT ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "percent"),
    [
        ("KOMY", "25,5"),
        ("KOMY", "24"),
        ("KOMY", "14"),
        ("KOMY", "13,5"),
        ("KOMY", "10"),
        ("KOMY", "0"),
        ("KOMY", "25.5"),
        ("EUMY", "0"),
        ("EUUM", "0"),
        ("EUPM312", "0"),
        ("EUPM309", "0"),
        ("MUUL", "24"),
        ("RAMY", "0"),
        ("KOMY0", "0"),
        ("KOOS", "25,5"),
        ("EUOS", "24"),
        ("EUPO", "14"),
        ("EUUO", "0"),
        ("EVTO", "10"),
        ("EVPO", "25,5"),
        ("RAOS", "25,5"),
        ("EVRO", "24"),
        ("KAVE", "25,5"),
        ("EVKV", "24"),
        ("MAAL", "25,5"),
        ("EVMA", "14"),
        ("100", "0"),
        ("NONE", "0"),
    ],
)
def test_allowed_vat_code_percent_combinations(nv, code, percent):
    assert nv.import_voucher(voucher_xml(_lines(("-100,00", "3000", code, percent, None))))


@pytest.mark.parametrize(
    ("code", "percent", "fragment"),
    [
        ("KOMY", "7", "VAT code KOMY cannot be used with VAT percent 7"),
        ("NONE", "24", "VAT code NONE cannot be used with VAT percent 24"),
        ("EUMY", "24", "cannot be used"),
        ("EUUO", "25,5", "cannot be used"),
        ("MUUL", "25,5", "cannot be used"),
        ("EUPM", "0", "Unknown VAT code: EUPM"),
        ("SV", "0", "Unknown VAT code"),
        ("komy", "24", "Unknown VAT code: komy"),
        ("KOMY", "abc", "Invalid VAT percent"),
    ],
)
def test_conflicting_or_unknown_vat_is_invalid_data(nv, code, percent, fragment):
    body = voucher_xml(_lines(("-100,00", "3000", code, percent, None)))
    reply = _failure(nv, body, language="EN")
    assert reply.category == "INVALID_DATA"
    assert fragment in reply.error


def test_allowed_vat_percents_are_configurable(sandbox, nv):
    body = voucher_xml(_lines(("-100,00", "3000", "KOMY", "13,5", None)))
    sandbox.admin("PATCH", "settings", {"vat_percents": ["0", "10", "14", "24", "25.5"]})
    assert _failure(nv, body).category == "INVALID_DATA"
    sandbox.admin("PATCH", "settings", {"vat_percents": ["0", "10", "13.5", "14", "24", "25.5"]})
    assert nv.import_voucher(body)


def test_missing_vat_code_takes_the_accounts_code(sandbox, nv):
    nv.import_voucher(voucher_xml(_lines(("-100,00", "3000", None, "25,5", None))))
    lines = sandbox.admin("GET", "companies/1234567-1/vouchers").json()["vouchers"][0]["lines"]
    assert lines[0]["vat_code"] == "KOMY"
    reply = _failure(nv, voucher_xml(_lines(("-100,00", "2939", None, "25,5", None))))
    assert reply.category == "INVALID_DATA"  # 2939 defaults to NONE, which allows only 0


# -- amounts and balance ---------------------------------------------------------------------
@pytest.mark.parametrize("amount", ["-100,00", "-100.00", "-100,5", "-100", "-0,01"])
def test_linesum_accepts_comma_or_dot_and_up_to_two_decimals(nv, amount):
    cents = round(float(amount.replace(",", ".")) * 100)
    counter = f"{-cents / 100:.2f}"
    lines = ((amount, "3000", "NONE", "0", None), (counter, "1701", "NONE", "0", None))
    assert nv.import_voucher(voucher_xml(lines))


@pytest.mark.parametrize(
    "amount", ["-100,555", "-1 000,00", "-1.000,00", "-1,000.00", "+100,00", "100,", "1e3", ""]
)
def test_linesum_with_too_many_decimals_or_thousands_separator_is_invalid(nv, amount):
    lines = ((amount, "3000", "NONE", "0", None), ("100,00", "1701", "NONE", "0", None))
    reply = _failure(nv, voucher_xml(lines))
    assert reply.category == "INVALID_DATA"


def test_unbalanced_net_voucher_is_invalid_data(nv):
    lines = (("100,00", "1701", "NONE", "0", None), ("-99,99", "3000", "NONE", "0", None))
    reply = _failure(nv, voucher_xml(lines), language="EN", use_http_status_codes=True)
    assert (reply.category, reply.http_status) == ("INVALID_DATA", 400)
    assert "differ by 0,01" in reply.error


def test_gross_voucher_gets_vat_line_generated(sandbox, nv):
    lines = (("1255,00", "1701", "NONE", "0", None), ("-1255,00", "3000", "KOMY", "25,5", None))
    nv.import_voucher(voucher_xml(lines, mode="gross"))
    stored = sandbox.admin("GET", "companies/1234567-1/vouchers").json()["vouchers"][0]
    assert [(ln["account_number"], ln["amount"]) for ln in stored["lines"]] == [
        ("1701", "1255.00"),
        ("3000", "-1000.00"),
        ("2939", "-255.00"),
    ]


# -- voucher class, dates, sizes, number -------------------------------------------------------
@pytest.mark.parametrize("voucher_class", ["ML", "Sales invoice", "myyntilasku", "Myyntilaskut"])
def test_voucherclass_must_be_a_voucher_type_name(nv, voucher_class):
    reply = _failure(nv, voucher_xml(voucher_class=voucher_class))
    assert reply.category == "INVALID_DATA"


@pytest.mark.parametrize("voucher_class", ["Ostolasku", "Muut", "Järjestelmän muodostamat"])
def test_any_existing_voucher_type_name_is_accepted(nv, voucher_class):
    assert nv.import_voucher(voucher_xml(voucher_class=voucher_class))


def test_english_voucher_class_accepted_only_when_configured(sandbox, nv):
    sandbox.admin("PATCH", "settings", {"accept_foreign_voucher_class": True})
    assert nv.import_voucher(voucher_xml(voucher_class="Sales invoice"))


@pytest.mark.parametrize("date", ["2024-12-31", "2027-01-01"])
def test_date_outside_every_accounting_period_is_invalid_data(nv, date):
    reply = _failure(nv, voucher_xml(date=date), language="EN")
    assert reply.category == "INVALID_DATA"
    assert "not within any accounting period" in reply.error


@pytest.mark.parametrize("date", ["2025-02-30", "31.1.2025", "2025/01/31", "20250131"])
def test_unparsable_date_is_invalid_data(nv, date):
    assert _failure(nv, voucher_xml(date=date)).category == "INVALID_DATA"


def test_non_padded_ansi_date_is_accepted(nv):
    assert nv.import_voucher(voucher_xml(date="2025-1-5"))


def test_description_over_255_is_invalid_data_size(nv):
    assert nv.import_voucher(voucher_xml(description="x" * 255))
    reply = _failure(nv, voucher_xml(description="x" * 256), use_http_status_codes=True)
    assert (reply.category, reply.http_status) == ("INVALID_DATA_SIZE", 400)


def test_line_description_over_limit_is_invalid_data_size(nv):
    lines = ((*SALES_LINES[0][:4], "y" * 256), *SALES_LINES[1:])
    assert _failure(nv, voucher_xml(lines)).category == "INVALID_DATA_SIZE"


def test_strict_description_limit_is_100(sandbox, nv):
    sandbox.admin("PATCH", "settings", {"description_limit": 100})
    assert nv.import_voucher(voucher_xml(description="x" * 100))
    assert _failure(nv, voucher_xml(description="x" * 101)).category == "INVALID_DATA_SIZE"


def test_comment_over_255_is_invalid_data_size(nv):
    assert _failure(nv, voucher_xml(comment="c" * 256)).category == "INVALID_DATA_SIZE"


def test_number_must_be_digits_and_at_most_nine(nv):
    assert nv.import_voucher(voucher_xml(number="123456789"))
    assert _failure(nv, voucher_xml(number="1234567890")).category == "INVALID_DATA_SIZE"
    assert _failure(nv, voucher_xml(number="A1")).category == "INVALID_DATA"


@pytest.mark.parametrize("mode", ["netto", "NETT"])
def test_unknown_calculation_mode_is_invalid_data(nv, mode):
    body = voucher_xml().replace("<calculationmode>net<", f"<calculationmode>{mode}<")
    assert _failure(nv, body).category == "INVALID_DATA"


def test_body_over_size_limit_is_invalid_data_size(sandbox, nv):
    sandbox.admin("PATCH", "settings", {"max_body_bytes": 1000})
    body = voucher_xml(description="x" * 200) + " " * 1000
    assert _failure(nv, body).category == "INVALID_DATA_SIZE"


def test_iso_8859_15_declared_body_is_accepted(sandbox, nv):
    body = '<?xml version="1.0" encoding="ISO-8859-15"?>' + voucher_xml(description="Öljy €")
    key = nv.import_voucher(body.encode("iso-8859-15"))
    (voucher,) = nv.ledger(f"netvisorkey={key}")
    assert voucher.findtext("VoucherDescription") == "Öljy €"
