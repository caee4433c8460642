"""Voucher XML (API.md §4) and the checks that refuse a voucher before anything is sent."""

import dataclasses
import datetime
from decimal import Decimal

import pytest
from lxml import etree

from ecomjet_netvisor.netvisor import (
    Voucher,
    VoucherLine,
    build_voucher_xml,
    errors,
    validate_voucher,
    vat,
)
from ecomjet_netvisor.netvisor.vouchers import (
    build_invalidate_xml,
    format_amount,
    format_percent,
)
from tests.connector.netvisor_test_support import data

D = Decimal


def line(amount, account="1701", percent=0, code="NONE", description=None, dimensions=()):
    return VoucherLine(D(amount), account, D(percent), code, description, dimensions)


def voucher(*lines, **fields):
    fields.setdefault("date", datetime.date(2025, 1, 31))
    fields.setdefault("voucher_class", "Myyntilasku")
    return Voucher(lines=lines or (line("10"), line("-10", "3000")), **fields)


def tags(element):
    return [child.tag for child in element]


# ---------------------------------------------------------------- golden XML


def test_sales_voucher_matches_the_section_4_5_example(sales_voucher):
    assert build_voucher_xml(sales_voucher) == data("voucher_sales_net.xml").strip()


def test_purchase_voucher_matches_the_section_4_5_example():
    purchase = Voucher(
        date=datetime.date(2025, 1, 31),
        voucher_class="Ostolasku",
        description="Ostolaskut 01/2025 [ext:PURCH-2025-01]",
        lines=(
            line("800.00", "4000", "25.5", "KOOS", "Ostot 25,5 % 01/2025"),
            line("204.00", "1763", description="Oston ALV 01/2025"),
            line("-1004.00", "2871", description="Ostovelat 01/2025"),
        ),
    )
    assert build_voucher_xml(purchase) == data("voucher_purchase_net.xml").strip()


def test_gross_voucher_matches_the_section_4_5_example_with_type_gross():
    gross = voucher(
        line("1255.00", "1701"),
        line("-1255.00", "3000", "25.5", "KOMY"),
        description="Myyntilaskut 01/2025 [ext:SALES-2025-01]",
        calculation_mode="gross",
    )
    assert build_voucher_xml(gross) == data("voucher_sales_gross.xml").strip()


def test_elements_follow_the_dtd_order_of_section_4_1():
    full = voucher(
        line("10", "1701", description="a", dimensions=(("Projekti", "P-1"), ("Kustannus", "K"))),
        line("-10", "3000", "24", "KOMY"),
        number=17,
        description="header",
        comment="history note",
    )
    root = etree.fromstring(build_voucher_xml(full))
    assert tags(root) == ["voucher"]
    node = root[0]
    assert tags(node) == [
        "calculationmode",
        "voucherdate",
        "number",
        "description",
        "voucherclass",
        "comment",
        "voucherline",
        "voucherline",
    ]
    assert tags(node[6]) == [
        "linesum",
        "description",
        "accountnumber",
        "vatpercent",
        "dimension",
        "dimension",
    ]
    assert tags(node[6][4]) == ["dimensionname", "dimensionitem"]
    assert node.findtext("number") == "17"
    assert node.find("voucherdate").attrib == {"format": "ansi"}


def test_empty_optional_elements_are_omitted():
    root = etree.fromstring(build_voucher_xml(voucher()))
    node = root[0]
    assert tags(node) == [
        "calculationmode",
        "voucherdate",
        "voucherclass",
        "voucherline",
        "voucherline",
    ]
    assert tags(node[3]) == ["linesum", "accountnumber", "vatpercent"]


def test_vatcode_and_linesum_type_are_always_sent():
    root = etree.fromstring(build_voucher_xml(voucher()))
    for voucher_line in root.iter("voucherline"):
        assert voucher_line.find("linesum").get("type") == "net"
        assert voucher_line.find("vatpercent").get("vatcode") == "NONE"


def test_body_is_utf8_without_xml_declaration():
    finnish = voucher(
        line("1", "1701", description="Myyntisaamiset ääkköset ÅÖ"),
        line("-1", "3000"),
        voucher_class="Järjestelmän muodostamat",
    )
    body = build_voucher_xml(finnish)
    assert body.startswith(b"<root>")
    assert b"<?xml" not in body
    assert "Järjestelmän muodostamat".encode() in body
    assert "ääkköset ÅÖ".encode() in body


def test_markup_characters_in_text_are_escaped():
    text = "Oy <Ab> & \"Co\" 'x'"
    body = build_voucher_xml(
        voucher(line("1", description=text), line("-1", "3000"), description=text)
    )
    assert b"&lt;Ab&gt; &amp;" in body
    root = etree.fromstring(body)
    assert root.findtext("voucher/description") == text
    assert root.findtext("voucher/voucherline/description") == text


@pytest.mark.parametrize(
    "amount, text",
    [
        ("-100", "-100,00"),
        ("-100.00", "-100,00"),
        ("0.5", "0,50"),
        ("1234567.89", "1234567,89"),
        ("-0.00", "0,00"),
        ("7", "7,00"),
    ],
)
def test_linesum_uses_decimal_comma_with_exactly_two_decimals(amount, text):
    assert format_amount(D(amount)) == text


@pytest.mark.parametrize(
    "percent, text",
    [
        ("25.5", "25,5"),
        ("25.50", "25,5"),
        ("24", "24"),
        ("24.00", "24"),
        ("0", "0"),
        ("0.0", "0"),
        ("13.5", "13,5"),
        ("10", "10"),
    ],
)
def test_vatpercent_has_no_trailing_zeros(percent, text):
    assert format_percent(D(percent)) == text


def test_invalidate_body_follows_section_4_6():
    body = build_invalidate_xml(["4711", "4712"], "Duplicate import of SALES-2025-01")
    assert body == (
        b'<root><invalidatevouchers identifier="netvisorkey">'
        b"<comment>Duplicate import of SALES-2025-01</comment>"
        b"<invalidatevoucher>4711</invalidatevoucher><invalidatevoucher>4712</invalidatevoucher>"
        b"</invalidatevouchers></root>"
    )


# ---------------------------------------------------------------- refusals before sending


def problems_of(bad):
    with pytest.raises(errors.VoucherValidationError) as caught:
        validate_voucher(bad)
    return caught.value.problems


def test_unbalanced_net_voucher_refused():
    [problem] = problems_of(voucher(line("100.00"), line("-99.99", "3000")))
    assert "not balanced" in problem and "0.01" in problem


def test_unbalanced_gross_voucher_left_to_netvisor_rounding():
    """In gross mode Netvisor books differences to the rounding account (API.md §4)."""
    validate_voucher(voucher(line("100.00"), line("-99.99", "3000"), calculation_mode="gross"))


@pytest.mark.parametrize("amount", ["0.001", "-10.005", "1.1234"])
def test_amount_with_more_than_two_decimals_refused(amount):
    problems = problems_of(voucher(line(amount), line("-" + amount.lstrip("-"), "3000")))
    assert any("more than 2 decimals" in p for p in problems)


def test_trailing_zero_decimals_are_not_extra_precision():
    validate_voucher(voucher(line("10.000"), line("-10.0000", "3000")))


@pytest.mark.parametrize("amount", [10.5, "10.5", None, D("NaN"), D("Infinity"), True])
def test_amount_must_be_a_finite_decimal(amount):
    bad = voucher(VoucherLine(amount, "1701"), line("-10.5", "3000"))
    assert any("finite Decimal" in p for p in problems_of(bad))


@pytest.mark.parametrize("code", ["EUPM", "SV", "komy", "", "KOMY ", None])
def test_unknown_vat_code_refused(code):
    bad = voucher(line("10", "3000", "0", code), line("-10"))
    assert any("unknown VAT code" in p for p in problems_of(bad))


@pytest.mark.parametrize(
    "code, percent",
    [
        ("KOMY", "7"),
        ("KOMY", "25.50001"),
        ("NONE", "24"),
        ("EUMY", "24"),
        ("EUUO", "10"),
        ("MUUL", "25.5"),
        ("RAMY", "25.5"),
        ("100", "24"),
        ("KOOS", "-24"),
    ],
)
def test_vat_percent_not_allowed_for_code_refused(code, percent):
    bad = voucher(line("10", "3000", percent, code), line("-10"))
    assert any(f"not allowed with VAT code {code}" in p for p in problems_of(bad))


@pytest.mark.parametrize("percent", ["0", "10", "13.5", "14", "24", "25.5"])
@pytest.mark.parametrize("code", ["KOMY", "KOOS", "EUOS", "EUPO", "RAOS", "KAVE", "MAAL"])
def test_multi_rate_codes_accept_every_finnish_rate(code, percent):
    validate_voucher(voucher(line("10", "3000", percent, code), line("-10")))


def test_text_of_255_characters_accepted_256_refused():
    ok = "x" * 255
    validate_voucher(
        voucher(line("1", description=ok), line("-1", "3000"), description=ok, comment=ok)
    )
    long = "x" * 256
    problems = problems_of(
        voucher(line("1", description=long), line("-1", "3000"), description=long, comment=long)
    )
    assert problems == [
        "description is 256 characters long (at most 255)",
        "comment is 256 characters long (at most 255)",
        "line 1: description is 256 characters long (at most 255)",
    ]


def test_voucher_without_lines_refused():
    assert "voucher has no lines" in problems_of(dataclasses.replace(voucher(), lines=()))


@pytest.mark.parametrize("voucher_class", ["", "   ", None])
def test_empty_voucher_class_refused(voucher_class):
    problems = problems_of(voucher(voucher_class=voucher_class))
    assert problems == ["voucher class (the voucher type name) is empty"]


@pytest.mark.parametrize("account", ["", "17O1", "1701 ", "١٧٠١", 1701])
def test_account_number_must_be_digits(account):
    bad = voucher(VoucherLine(D(1), account), line("-1", "3000"))
    assert any("account number must be digits" in p for p in problems_of(bad))


@pytest.mark.parametrize("number", [0, -1, 10**9, "17", True])
def test_voucher_number_must_be_positive_with_at_most_9_digits(number):
    assert any("voucher number" in p for p in problems_of(voucher(number=number)))


def test_control_characters_refused_instead_of_breaking_the_xml():
    assert any("control characters" in p for p in problems_of(voucher(description="a\x01b")))


def test_bad_calculation_mode_and_date_refused():
    problems = problems_of(voucher(calculation_mode="brutto", date="2025-01-31"))
    assert len(problems) == 2


def test_bad_dimension_refused():
    bad = voucher(
        line("1", dimensions=(("Projekti",),)), line("-1", "3000", dimensions=(("", "x"),))
    )
    assert len([p for p in problems_of(bad) if "dimension" in p]) == 2


def test_all_problems_are_listed_at_once():
    bad = voucher(
        line("10.001", "17x1", "24", "NONE"),
        line("-5", "3000", "0", "XX"),
        voucher_class="",
        description="d" * 300,
    )
    problems = problems_of(bad)
    assert problems == [
        "voucher class (the voucher type name) is empty",
        "description is 300 characters long (at most 255)",
        "line 1: amount 10.001 has more than 2 decimals",
        "line 1: account number must be digits, got '17x1'",
        "line 1: VAT percent 24 is not allowed with VAT code NONE",
        "line 2: unknown VAT code 'XX'",
        "voucher is not balanced: lines sum to 5.001, not 0",
    ]
    with pytest.raises(errors.VoucherValidationError) as caught:
        validate_voucher(bad)
    for problem in problems:
        assert problem in str(caught.value)


def test_validation_error_is_a_value_error_that_never_reached_netvisor():
    with pytest.raises(ValueError) as caught:
        validate_voucher(voucher(line("1"), line("-2", "3000")))
    assert isinstance(caught.value, errors.NetvisorError)
    assert caught.value.may_be_stored is False


def test_build_refuses_invalid_voucher():
    with pytest.raises(errors.VoucherValidationError):
        build_voucher_xml(voucher(line("1"), line("-2", "3000")))


INVALID_VOUCHERS = {
    "unbalanced": voucher(line("1"), line("-2", "3000")),
    "three_decimals": voucher(line("1.001"), line("-1.001", "3000")),
    "unknown_vat_code": voucher(line("1", code="EUPM"), line("-1", "3000")),
    "vat_percent_not_allowed": voucher(line("1", "3000", "24", "EUMY"), line("-1")),
    "description_too_long": voucher(description="x" * 256),
    "comment_too_long": voucher(comment="x" * 256),
    "line_description_too_long": voucher(line("1", description="x" * 256), line("-1", "3000")),
    "no_lines": dataclasses.replace(voucher(), lines=()),
    "empty_voucher_class": voucher(voucher_class=""),
}


@pytest.mark.parametrize("bad", INVALID_VOUCHERS.values(), ids=INVALID_VOUCHERS.keys())
def test_invalid_voucher_is_refused_before_any_request(client, http, bad):
    """``http`` has no registered URL, and no call may be recorded."""
    with pytest.raises(errors.VoucherValidationError):
        client.import_voucher(bad, transaction_id="odoo-1-1")
    with pytest.raises(errors.VoucherValidationError):
        client.build_voucher_xml(bad)
    assert len(http.calls) == 0
    assert client.last_transaction_id is None


# ---------------------------------------------------------------- VAT table


def test_vat_table_knows_side_label_and_percents_for_every_code():
    assert len(vat.VAT_CODES) == 22
    for code, entry in vat.VAT_CODES.items():
        assert entry.code == code
        assert entry.side in (vat.SALES, vat.PURCHASES, vat.BOTH)
        assert entry.label and entry.label.isascii()
        assert D(0) in entry.percents


def test_vat_codes_by_side():
    sales = vat.codes_for_side(vat.SALES)
    purchases = vat.codes_for_side(vat.PURCHASES)
    assert {"KOMY", "EUMY", "EUUM", "RAMY", "NONE"} <= set(sales)
    assert {"KOOS", "EUOS", "RAOS", "MAAL", "NONE"} <= set(purchases)
    assert "KOOS" not in sales and "KOMY" not in purchases


def test_multi_rate_percent_set():
    assert vat.MULTI_RATE_PERCENTS == {D(0), D(10), D("13.5"), D(14), D(24), D("25.5")}
    assert vat.is_allowed("KOMY", 25.5) and vat.is_allowed("KOMY", "13.5")
    assert not vat.is_allowed("KOMY", "abc") and not vat.is_allowed("NOPE", 0)
