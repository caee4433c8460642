"""Dimensions (cost objects, API.md §11.2): dimensionlist.nv read tolerantly,
dimensionitem.nv added with checked input and never re-sent blind, and voucher lines
with one item per dimension."""

import datetime
from decimal import Decimal

import pytest
import requests

from ecomjet_netvisor import netvisor
from ecomjet_netvisor.netvisor import (
    Dimension,
    DimensionItem,
    Voucher,
    VoucherLine,
    errors,
    responses,
    vouchers,
)
from ecomjet_netvisor.netvisor.responses import read_envelope
from tests.connector.netvisor_test_support import data, failed_envelope, ok_envelope

BASE = "https://isvapi.netvisor.fi"
LIST = f"{BASE}/dimensionlist.nv"
ITEM = f"{BASE}/dimensionitem.nv"
ADDED = ok_envelope("<Replies><InsertedDataIdentifier>117</InsertedDataIdentifier></Replies>")
MAINTENANCE = failed_envelope("SYSTEM_MAINTENANCE :: Netvisor huoltokatko")


def _parse(body):
    return responses.parse_dimension_list(read_envelope(body))


def _voucher(*dimensions_per_line):
    amounts = (("100.00", "1701"), ("-100.00", "3000"))
    return Voucher(
        date=datetime.date(2025, 1, 31),
        voucher_class="Myyntilasku",
        lines=tuple(
            VoucherLine(Decimal(amount), account, dimensions=tuple(dimensions))
            for (amount, account), dimensions in zip(amounts, dimensions_per_line, strict=True)
        ),
    )


# ---------------------------------------------------------------- dimensionlist.nv


def test_dimension_list_with_true_false_booleans_parsed():
    cost_centre, project, hidden = _parse(data("dimensionlist.xml"))
    assert cost_centre == Dimension(
        "1",
        "Kustannuspaikka",
        False,
        (
            DimensionItem("101", "Myynti", "KP10", "Myynti", False, "0"),
            DimensionItem("103", "Vanha", "KP90", "Vanha", True, "0"),
        ),
    )
    assert project.items == (
        DimensionItem("104", "P-100", "100", "Projekti 100", False, "0"),
        DimensionItem("116", "P-101", "", "P-101", False, "104"),
    )
    assert hidden == Dimension("3", "Piilossa", True, ())


def test_dimension_list_with_numeric_booleans_lower_case_and_missing_children_parsed():
    project, department = _parse(data("dimensionlist_numeric_lowercase.xml"))
    assert (project.netvisor_key, project.name, project.is_hidden) == ("7", "Projekti", False)
    assert project.items == (
        DimensionItem("70", "P-100", "", "", True, "0"),
        DimensionItem("71", "P-200", "200", "Projekti 200", True, "70"),
        DimensionItem("", "P-300", "", "", False, "0"),
    )
    assert department == Dimension("", "Osasto", True, ())


def test_empty_dimension_list_is_empty():
    assert _parse(ok_envelope("<DimensionNameList />")) == []


@pytest.mark.parametrize(
    "payload",
    [
        "",  # no DimensionNameList at all
        "<DimensionNameList><DimensionName><IsHidden>False</IsHidden></DimensionName>"
        "</DimensionNameList>",
        "<DimensionNameList><DimensionName><Name>P</Name><IsHidden>Ehkä</IsHidden>"
        "</DimensionName></DimensionNameList>",
        "<DimensionNameList><DimensionName><Name>P</Name><DimensionDetails><DimensionDetail>"
        "<Code>1</Code></DimensionDetail></DimensionDetails></DimensionName></DimensionNameList>",
    ],
    ids=["no-list", "header-without-name", "garbled-boolean", "item-without-name"],
)
def test_broken_dimension_list_is_a_bad_response(payload):
    with pytest.raises(errors.BadResponseError):
        _parse(ok_envelope(payload))


@pytest.mark.parametrize(
    "value, expected",
    [("True", True), ("true", True), ("1", True), ("False", False), ("0", False), ("", False)],
)
def test_flags_in_every_spelling(value, expected):
    assert responses.parse_flag(value) is expected


def test_get_dimensions_asks_for_hidden_ones_by_default(client, http):
    http.get(LIST, body=data("dimensionlist.xml"))
    dimensions = client.get_dimensions()
    assert [d.name for d in dimensions] == ["Kustannuspaikka", "Projekti", "Piilossa"]
    assert http.calls[0].request.url == f"{LIST}?showhidden=1"


def test_get_dimensions_without_hidden_ones(client, http):
    http.get(LIST, body=ok_envelope("<DimensionNameList />"))
    assert client.get_dimensions(show_hidden=False) == []
    assert http.calls[0].request.url == LIST


def test_get_dimensions_retried_after_maintenance(client, http, sleeps):
    http.get(LIST, body=MAINTENANCE, status=503)
    http.get(LIST, body=data("dimensionlist.xml"))
    assert len(client.get_dimensions()) == 3
    assert len(http.calls) == 2 and sleeps == [1.0]


# ---------------------------------------------------------------- dimensionitem.nv


def test_add_dimension_item_posts_the_item_and_returns_its_key(client, http):
    http.post(ITEM, body=ADDED)
    assert client.add_dimension_item("Projekti", "P-300") == "117"
    request = http.calls[0].request
    assert request.url == f"{ITEM}?method=add"
    assert request.body == (
        b"<root><dimensionitem><name>Projekti</name><item>P-300</item></dimensionitem></root>"
    )
    assert request.headers["Content-Type"] == "text/xml; charset=utf-8"


def test_add_dimension_item_below_a_father_and_hidden(client, http):
    http.post(ITEM, body=ok_envelope())
    assert client.add_dimension_item("Projekti", "P-101 & co", "P-100", hidden=True) is None
    assert http.calls[0].request.body == (
        b"<root><dimensionitem><name>Projekti</name><item>P-101 &amp; co</item>"
        b"<fatheritem>P-100</fatheritem><ishidden>1</ishidden></dimensionitem></root>"
    )


def test_add_dimension_item_sends_utf8(client, http):
    http.post(ITEM, body=ADDED)
    client.add_dimension_item("Kustannuspaikka", "Hämeenlinna")
    assert "Hämeenlinna".encode() in http.calls[0].request.body


@pytest.mark.parametrize(
    "args, kwargs",
    [
        (("P" * 51, "X"), {}),
        (("Projekti", "X" * 201), {}),
        (("Projekti", "X", "F" * 201), {}),
        (("", "X"), {}),
        (("Projekti", "  "), {}),
        (("Projekti", "X", ""), {}),
        (("Projekti", "rivi\nrivi"), {}),
        (("Projekti", "tab\there"), {}),
        (("Proj\x00ekti", "X"), {}),
        (("Projekti", None), {}),
        (("Projekti", 300), {}),
        (("Projekti", "X"), {"hidden": 1}),
    ],
)
def test_add_dimension_item_refuses_bad_input_before_sending(client, http, args, kwargs):
    with pytest.raises(ValueError):
        client.add_dimension_item(*args, **kwargs)
    assert not http.calls


def test_add_dimension_item_accepts_the_longest_names(client, http):
    http.post(ITEM, body=ADDED)
    assert client.add_dimension_item("P" * 50, "X" * 200, "F" * 200) == "117"


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ReadTimeout("read timed out"),
        requests.exceptions.ChunkedEncodingError("answer cut off"),
    ],
    ids=["timeout", "cut-off"],
)
def test_add_dimension_item_not_resent_after_an_unknown_outcome(client, http, sleeps, failure):
    http.post(ITEM, body=failure)
    with pytest.raises(errors.OutcomeUnknownError) as caught:
        client.add_dimension_item("Projekti", "P-300")
    assert caught.value.may_be_stored is True
    assert len(http.calls) == 1 and sleeps == []


def test_add_dimension_item_not_resent_after_technical_error(client, http, sleeps):
    http.post(ITEM, body=failed_envelope("TECHNICAL_ERROR :: virhe"), status=500)
    with pytest.raises(errors.NetvisorError):
        client.add_dimension_item("Projekti", "P-300")
    assert len(http.calls) == 1 and sleeps == []


def test_add_dimension_item_retried_when_nothing_was_accepted(client, http, sleeps):
    http.post(ITEM, body=MAINTENANCE, status=503)
    http.post(ITEM, body=ADDED)
    assert client.add_dimension_item("Projekti", "P-300") == "117"
    assert len(http.calls) == 2 and sleeps == [1.0]


@pytest.mark.parametrize(
    "detail, error",
    [
        ("DUPLICATE_DATA :: Laskentakohde P-300 on jo olemassa", errors.DuplicateData),
        ("INVALID_DATA :: Dimensiota ei löydy nimellä: Osasto", errors.InvalidData),
    ],
)
def test_add_dimension_item_refusals_raise_their_category(client, http, sleeps, detail, error):
    http.post(ITEM, body=failed_envelope(detail), status=409)
    with pytest.raises(error):
        client.add_dimension_item("Projekti", "P-300")
    assert len(http.calls) == 1 and sleeps == []


# ---------------------------------------------------------------- voucher lines


def test_two_items_of_one_dimension_on_a_line_refused():
    voucher = _voucher([("Projekti", "P-100"), ("Projekti", "P-200")], [])
    problems = vouchers.voucher_problems(voucher)
    assert problems == ["line 1: dimension 'Projekti' is given more than once"]
    with pytest.raises(errors.VoucherValidationError):
        vouchers.build_voucher_xml(voucher)


def test_same_dimension_in_another_case_counts_as_the_same():
    voucher = _voucher([], [("Projekti", "P-100"), (" projekti", "P-200")])
    assert vouchers.voucher_problems(voucher) == [
        "line 2: dimension ' projekti' is given more than once"
    ]


def test_one_dimension_on_several_lines_is_fine_and_order_is_kept():
    voucher = _voucher(
        [("Projekti", "P-100")],
        [("Kustannuspaikka", "Myynti"), ("Projekti", "P-100")],
    )
    assert vouchers.voucher_problems(voucher) == []
    xml = vouchers.build_voucher_xml(voucher)
    assert [line["dimensions"] for line in vouchers.request_lines(xml)] == [
        [("Projekti", "P-100")],
        [("Kustannuspaikka", "Myynti"), ("Projekti", "P-100")],
    ]
    assert xml.count(b"<dimension><dimensionname>") == 3
    assert b"</vatpercent><dimension>" in xml  # after vatpercent, as the DTD orders


@pytest.mark.parametrize(
    "pair, problem",
    [
        (("P" * 51, "X"), "dimension name is 51 characters long (at most 50)"),
        (("Projekti", "X" * 201), "dimension item is 201 characters long (at most 200)"),
        (("Projekti", "a\nb"), "dimension item contains control characters"),
    ],
)
def test_dimension_names_are_checked_like_netvisor_does(pair, problem):
    assert vouchers.voucher_problems(_voucher([pair], [])) == [f"line 1: {problem}"]


def test_new_names_are_exported():
    assert netvisor.Dimension is Dimension and netvisor.DimensionItem is DimensionItem
    assert {"Dimension", "DimensionItem"} <= set(netvisor.__all__)
