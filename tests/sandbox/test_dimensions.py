"""Dimensions (cost objects, API.md §11.2): dimensionlist.nv, dimensionitem.nv, dimensions on
accounting.nv lines (an unknown header refused, an unknown item created as Netvisor does or
refused with the setting), the admin API and CLI, and the seed of old database files."""

import itertools
import sqlite3
import subprocess
import sys
import uuid

import pytest
import requests

from netvisor_sandbox import control, seed, store
from netvisor_sandbox.testing import voucher_xml

A = seed.COMPANY_A
ORG = A.organisation_id
DIMENSIONS = f"companies/{ORG}/dimensions"
_ORG_NUMBERS = itertools.count(3456780)
WRONG_ORDER = "<ishidden>1</ishidden><fatheritem>P-100</fatheritem>"  # not the DTD order


@pytest.fixture(autouse=True)
def default_flags(sandbox):
    """Unknown items are created (the default) before and after each test."""
    flags = {"refuse_unknown_dimension_items": False}
    assert sandbox.admin("PATCH", "settings", flags).status_code == 200
    yield
    assert sandbox.admin("PATCH", "settings", flags).status_code == 200


def _new_company(sandbox) -> seed.SeedCompany:
    """A company of its own (seeded like every company), so a test sees exactly the seed."""
    while True:
        first = str(next(_ORG_NUMBERS))
        check = seed.business_id_check_digit(first)
        if check is not None:
            break
    company = seed.SeedCompany(
        "Dimensio Oy", f"{first}-{check}", f"DIM_{first}", uuid.uuid4().hex, "professional"
    )
    body = {
        "name": company.name,
        "organisation_id": company.organisation_id,
        "customer_id": company.customer_id,
        "customer_key": company.customer_key,
    }
    assert sandbox.admin("POST", "companies", body).status_code == 201
    return company


def _unique(prefix="P") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _listing(nv, query="", company=A) -> dict:
    """dimensionlist.nv as {header: (key, hidden, link type, [(item fields...)])}."""
    reply = nv.get("dimensionlist.nv", query, company=company)
    assert reply.status == "OK", reply.error
    result = {}
    for header in reply.findall("DimensionNameList/DimensionName"):
        items = [
            tuple(
                detail.findtext(tag)
                for tag in (
                    "Netvisorkey",
                    "Name",
                    "Code",
                    "Label",
                    "IsHidden",
                    "Level",
                    "Sort",
                    "EndSort",
                    "FatherId",
                )
            )
            for detail in header.findall("DimensionDetails/DimensionDetail")
        ]
        result[header.findtext("Name")] = (
            header.findtext("Netvisorkey"),
            header.findtext("IsHidden"),
            header.findtext("LinkType"),
            items,
        )
    return result


def _names(listing, header) -> list[str]:
    return [item[1] for item in listing[header][3]]


def _lines(*dimensions_per_line):
    """The sales voucher of testing.SALES_LINES with these dimensions on its three lines."""
    amounts = (("1255,00", "1701"), ("-1000,00", "3000"), ("-255,00", "2939"))
    return [
        (amount, account, "NONE", "0", None, list(dimensions))
        for (amount, account), dimensions in zip(amounts, dimensions_per_line, strict=True)
    ]


def _add_item(nv, body, query="method=add", **kwargs):
    return nv.call("POST", "dimensionitem.nv", query, body=body, **kwargs)


def _item_body(header, item, extra=""):
    return (
        f"<root><dimensionitem><name>{header}</name><item>{item}</item>{extra}"
        "</dimensionitem></root>"
    )


def _stored(sandbox) -> list:
    return sandbox.admin("GET", f"companies/{ORG}/vouchers").json()["vouchers"]


def _stats(sandbox) -> dict:
    return sandbox.admin("GET", "stats").json()


# ---------------------------------------------------------------- dimensionlist.nv


def test_dimensionlist_shows_the_seed_without_hidden_items(sandbox, nv):
    company = _new_company(sandbox)
    listing = _listing(nv, company=company)
    assert list(listing) == ["Kustannuspaikka", "Projekti"]
    _, hidden, link_type, items = listing["Kustannuspaikka"]
    assert (hidden, link_type) == ("False", "0")
    assert [(i[1], i[2], i[3], i[4], i[5], i[8]) for i in items] == [
        ("Myynti", "KP10", "Myynti", "False", "1", "0"),
        ("Hallinto", "KP20", "Hallinto", "False", "1", "0"),
    ]
    assert [(i[1], i[3]) for i in listing["Projekti"][3]] == [
        ("P-100", "Projekti 100"),
        ("P-200", "P-200"),
    ]
    assert all(i[0].isdigit() and i[6] == i[7] for i in items)


def test_showhidden_lists_hidden_headers_and_items(sandbox, nv):
    company = _new_company(sandbox)
    path = f"companies/{company.organisation_id}/dimensions"
    hidden_header = {"name": "Piilossa", "hidden": True}
    assert sandbox.admin("POST", path, hidden_header).status_code == 201
    assert "Piilossa" not in _listing(nv, company=company)
    assert _listing(nv, "showhidden=0", company=company) == _listing(nv, company=company)
    everything = _listing(nv, "showhidden=1", company=company)
    assert list(everything) == ["Kustannuspaikka", "Projekti", "Piilossa"]
    assert everything["Piilossa"][1] == "True" and everything["Piilossa"][3] == []
    assert [(i[1], i[4]) for i in everything["Kustannuspaikka"][3]] == [
        ("Myynti", "False"),
        ("Hallinto", "False"),
        ("Vanha", "True"),
    ]
    reply = nv.get("dimensionlist.nv", company=company)
    assert reply.find("DimensionNameList/DimensionName/DimensionDetails") is not None
    assert nv.get("dimensionlist.nv", "showhidden=yes").category == "INVALID_DATA"


def test_dimensionlist_is_a_get_resource(nv):
    assert nv.post("dimensionlist.nv", "<root/>").category == "INVALID_DATA"


# ---------------------------------------------------------------- dimensionitem.nv


def test_dimensionitem_add_creates_an_item_and_counts_it(sandbox, nv):
    item = _unique()
    reply = _add_item(nv, _item_body("Projekti", item))
    assert reply.status == "OK", reply.error
    key = reply.find("Replies/InsertedDataIdentifier").text
    added = next(i for i in _listing(nv)["Projekti"][3] if i[1] == item)
    assert added[0] == key
    assert (added[3], added[4], added[5], added[8]) == (item, "False", "1", "0")
    stats = _stats(sandbox)
    assert stats["dimension_items_added"] == {ORG: 1}
    assert stats["dimension_items_created"] == {}


def test_dimensionitem_add_below_a_father_and_hidden(nv):
    father, child = _unique(), _unique()
    assert _add_item(nv, _item_body("Projekti", father)).status == "OK"
    extra = f"<fatheritem>{father}</fatheritem><ishidden>1</ishidden>"
    assert _add_item(nv, _item_body("Projekti", child, extra)).status == "OK"
    items = {i[1]: i for i in _listing(nv, "showhidden=1")["Projekti"][3]}
    assert items[child][8] == items[father][0]
    assert (items[child][4], items[child][5]) == ("True", "2")
    assert int(items[child][6]) == int(items[father][6]) + 10
    assert items[father][7] == items[child][6]  # EndSort covers the child
    assert child not in _names(_listing(nv), "Projekti")


def test_dimensionitem_duplicate_is_duplicate_data(sandbox, nv):
    item = _unique()
    assert _add_item(nv, _item_body("Projekti", item)).status == "OK"
    again = _add_item(nv, _item_body("Projekti", item), use_http_status_codes=True)
    assert again.category == "DUPLICATE_DATA" and again.http_status == 409
    assert item in again.error
    seeded = _add_item(nv, _item_body("Kustannuspaikka", "Vanha"))  # hidden, still there
    assert seeded.category == "DUPLICATE_DATA"
    assert _stats(sandbox)["dimension_items_added"] == {ORG: 1}


@pytest.mark.parametrize(
    "body, query, category",
    [
        (_item_body("Tuntematon", "X-1"), "method=add", "INVALID_DATA"),
        (_item_body("projekti", "X-1"), "method=add", "INVALID_DATA"),  # names are exact
        (_item_body("Projekti", "X" * 201), "method=add", "INVALID_DATA_SIZE"),
        (_item_body("P" * 51, "X-1"), "method=add", "INVALID_DATA_SIZE"),
        (_item_body("Projekti", "X-1", "<fatheritem>Ei ole</fatheritem>"), "method=add", None),
        (_item_body("Projekti", "X-1", "<ishidden>maybe</ishidden>"), "method=add", None),
        (_item_body("Projekti", "X-1", WRONG_ORDER), "method=add", None),
        ("<root><dimensionitem><item>X-1</item></dimensionitem></root>", "method=add", None),
        (_item_body("Projekti", "X-1"), "method=edit", None),
        (_item_body("Projekti", "X-1"), "method=delete", None),
        (_item_body("Projekti", "X-1"), "", None),
    ],
)
def test_dimensionitem_refusals(sandbox, nv, body, query, category):
    reply = _add_item(nv, body, query)
    assert reply.category == (category or "INVALID_DATA"), reply.error
    assert "X-1" not in _names(_listing(nv, "showhidden=1"), "Projekti")
    assert _stats(sandbox)["dimension_items_added"] == {}


def test_dimensionitem_unknown_header_text_says_it_must_exist(nv):
    reply = _add_item(nv, _item_body("Tuntematon", "X-1"))
    assert "Tuntematon" in reply.error and "olemassa" in reply.error


def test_dimensionitem_edit_is_not_supported(nv):
    reply = _add_item(nv, _item_body("Projekti", "P-100"), "method=edit", language="EN")
    assert "not supported by the sandbox" in reply.error


def test_dimensionitem_is_a_post_resource(nv):
    assert nv.get("dimensionitem.nv", "method=add").category == "INVALID_DATA"


def test_dimensionitem_goes_through_faults(sandbox, nv):
    fault = {"mode": "drop_after_commit", "resource": "dimensionitem.nv"}
    assert sandbox.admin("POST", "faults", fault).status_code == 201
    item = _unique()
    with pytest.raises(requests.exceptions.ConnectionError):  # no answer
        _add_item(nv, _item_body("Projekti", item))
    assert item in _names(_listing(nv), "Projekti")  # stored before the answer was lost


# ---------------------------------------------------------------- accounting.nv lines


def test_voucher_with_known_items_is_read_back_with_its_dimensions(sandbox, nv):
    body = voucher_xml(
        _lines(
            [],
            [("Projekti", "P-100"), ("Kustannuspaikka", "Myynti")],
            [("Kustannuspaikka", "Vanha")],  # a hidden item is still an item
        )
    )
    key = nv.import_voucher(body)
    (voucher,) = nv.ledger(f"netvisorkey={key}")
    dimensions = [
        [(d.findtext("DimensionName"), d.findtext("DimensionItem")) for d in line]
        for line in (v.findall("Dimension") for v in voucher.findall("VoucherLine"))
    ]
    assert dimensions == [
        [],
        [("Projekti", "P-100"), ("Kustannuspaikka", "Myynti")],
        [("Kustannuspaikka", "Vanha")],
    ]
    assert _stats(sandbox)["dimension_items_created"] == {}


def test_unknown_item_is_created_on_import_and_counted(sandbox, nv):
    item = _unique()
    before = _listing(nv)["Projekti"][3]
    body = voucher_xml(_lines([("Projekti", item)], [("Projekti", item)], []))
    key = nv.import_voucher(body)
    after = _listing(nv)["Projekti"][3]
    assert after[: len(before)] == before
    (created,) = after[len(before) :]
    assert (created[1], created[2], created[3], created[4], created[5], created[8]) == (
        item,
        "",
        item,
        "False",
        "1",
        "0",
    )
    assert _stats(sandbox)["dimension_items_created"] == {ORG: 1}  # once for two lines
    (voucher,) = nv.ledger(f"netvisorkey={key}")
    assert voucher.find("VoucherLine/Dimension/DimensionItem").text == item
    nv.import_voucher(body)  # known now
    assert _stats(sandbox)["dimension_items_created"] == {ORG: 1}


def test_item_is_matched_by_name_not_label(sandbox, nv):
    sandbox.admin("PATCH", "settings", {"refuse_unknown_dimension_items": True})
    reply = nv.post("accounting.nv", voucher_xml(_lines([], [("Projekti", "Projekti 100")], [])))
    assert reply.category == "INVALID_DATA"
    assert nv.import_voucher(voucher_xml(_lines([], [("Projekti", "P-100")], [])))


def test_unknown_item_refused_with_the_setting_and_nothing_stored(sandbox, nv):
    settings = sandbox.admin("PATCH", "settings", {"refuse_unknown_dimension_items": True})
    assert settings.json()["refuse_unknown_dimension_items"] is True
    item = _unique()
    body = voucher_xml(_lines([], [("Projekti", "P-100"), ("Kustannuspaikka", item)], []))
    reply = nv.post("accounting.nv", body, language="EN", use_http_status_codes=True)
    assert reply.category == "INVALID_DATA" and reply.http_status == 400
    assert item in reply.error and "Kustannuspaikka" in reply.error
    assert _stored(sandbox) == []
    assert item not in _names(_listing(nv, "showhidden=1"), "Kustannuspaikka")
    assert _stats(sandbox)["dimension_items_created"] == {}


def test_unknown_header_refused_and_nothing_stored(sandbox, nv):
    item = _unique()
    body = voucher_xml(_lines([], [("Projekti", item), ("Osasto", "Myynti")], []))
    reply = nv.post("accounting.nv", body)
    assert reply.category == "INVALID_DATA"
    assert "Osasto" in reply.error and "olemassa" in reply.error
    assert _stored(sandbox) == []
    assert "Osasto" not in _listing(nv, "showhidden=1")
    assert item not in _names(_listing(nv, "showhidden=1"), "Projekti")
    assert _stats(sandbox)["dimension_items_created"] == {}


def test_refused_voucher_creates_no_item(sandbox, nv):
    item = _unique()
    lines = _lines([], [("Projekti", item)], [])
    lines[0] = ("1254,00", *lines[0][1:])  # unbalanced
    assert nv.post("accounting.nv", voucher_xml(lines)).category == "INVALID_DATA"
    assert item not in _names(_listing(nv, "showhidden=1"), "Projekti")
    assert _stats(sandbox)["dimension_items_created"] == {}


def test_two_items_of_one_header_on_a_line_refused(sandbox, nv):
    body = voucher_xml(_lines([], [("Projekti", "P-100"), ("Projekti", "P-200")], []))
    reply = nv.post("accounting.nv", body)
    assert reply.category == "INVALID_DATA" and "Projekti" in reply.error
    assert _stored(sandbox) == []


def test_two_headers_on_one_line_accepted_in_order(sandbox, nv):
    pairs = [("Kustannuspaikka", "Hallinto"), ("Projekti", "P-200")]
    nv.import_voucher(voucher_xml(_lines([], pairs, [])))
    (voucher,) = _stored(sandbox)
    assert [line["dimensions"] for line in voucher["lines"]] == [[], [list(p) for p in pairs], []]


def test_too_long_new_item_on_a_line_is_invalid_data_size(sandbox, nv):
    body = voucher_xml(_lines([], [("Projekti", "P" * 201)], []))
    assert nv.post("accounting.nv", body).category == "INVALID_DATA_SIZE"
    assert _stored(sandbox) == []


def test_dimensions_of_another_company_are_not_shared(sandbox, nv):
    company = _new_company(sandbox)
    item = _unique()
    assert _add_item(nv, _item_body("Projekti", item)).status == "OK"
    assert item not in _names(_listing(nv, company=company), "Projekti")
    assert _add_item(nv, _item_body("Projekti", item), company=company).status == "OK"


# ---------------------------------------------------------------- admin API and CLI


def test_admin_lists_dimensions_with_hidden_ones(sandbox):
    company = _new_company(sandbox)
    answer = sandbox.admin("GET", f"companies/{company.organisation_id}/dimensions")
    assert answer.status_code == 200
    headers = answer.json()["dimensions"]
    assert [h["name"] for h in headers] == ["Kustannuspaikka", "Projekti"]
    assert [(i["name"], i["is_hidden"]) for i in headers[0]["items"]] == [
        ("Myynti", False),
        ("Hallinto", False),
        ("Vanha", True),
    ]
    p100 = headers[1]["items"][0]
    assert {k: p100[k] for k in ("name", "code", "label", "level", "father_id")} == {
        "name": "P-100",
        "code": "100",
        "label": "Projekti 100",
        "level": 1,
        "father_id": 0,
    }
    assert sandbox.admin("GET", "companies/0000000-0/dimensions").status_code == 404


def test_admin_adds_headers_and_items(sandbox, nv):
    header, item = _unique("Osasto"), _unique()
    created = sandbox.admin("POST", DIMENSIONS, {"name": header, "item": item, "hidden": True})
    assert created.status_code == 201, created.text
    dimension = created.json()["dimension"]
    assert (dimension["name"], dimension["is_hidden"]) == (header, False)
    assert [(i["name"], i["is_hidden"], i["label"]) for i in dimension["items"]] == [
        (item, True, item)
    ]
    labelled = {"name": header, "item": "L-1", "label": "Ensimmäinen", "code": "L1"}
    assert sandbox.admin("POST", DIMENSIONS, labelled).status_code == 201
    assert sandbox.admin("POST", DIMENSIONS, {"name": header, "item": item}).status_code == 409
    assert sandbox.admin("POST", DIMENSIONS, {"name": header}).status_code == 409
    assert sandbox.admin("POST", DIMENSIONS, {"name": "x" * 51}).status_code == 400
    assert sandbox.admin("POST", DIMENSIONS, {"name": header, "item": ""}).status_code == 400
    assert sandbox.admin("POST", DIMENSIONS, {"item": "X"}).status_code == 400
    missing_father = {"name": _unique("Uusi"), "item": "X", "father": "Y"}
    assert sandbox.admin("POST", DIMENSIONS, missing_father).status_code == 404
    assert missing_father["name"] not in _listing(nv, "showhidden=1")
    listing = _listing(nv)
    assert _names(listing, header) == ["L-1"]  # the hidden item is left out
    assert nv.import_voucher(voucher_xml(_lines([], [(header, "L-1")], [])))
    assert _stats(sandbox)["dimension_items_added"] == {}  # admin additions are not counted


def test_stats_show_and_reset_the_dimension_counters(sandbox, nv):
    nv.import_voucher(voucher_xml(_lines([], [("Projekti", _unique())], [])))
    assert _add_item(nv, _item_body("Projekti", _unique())).status == "OK"
    stats = _stats(sandbox)
    assert stats["dimension_items_created"] == {ORG: 1}
    assert stats["dimension_items_added"] == {ORG: 1}
    reset = sandbox.admin("DELETE", "stats").json()
    assert reset["dimension_items_created"] == {} and reset["dimension_items_added"] == {}


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["dimensions", ORG], ("GET", DIMENSIONS, None)),
        (
            ["add-dimension", ORG, "Projekti", "P-300"],
            ("POST", DIMENSIONS, {"name": "Projekti", "item": "P-300", "hidden": False}),
        ),
        (
            ["add-dimension", ORG, "Projekti", "P-301", "--hidden", "--label", "Kolme"],
            (
                "POST",
                DIMENSIONS,
                {"name": "Projekti", "item": "P-301", "hidden": True, "label": "Kolme"},
            ),
        ),
        (
            ["add-dimension", ORG, "Osasto", "--hidden"],
            ("POST", DIMENSIONS, {"name": "Osasto", "hidden": True}),
        ),
    ],
)
def test_control_requests_for_dimensions(argv, expected):
    assert control.request_for(control.parse_args(argv)) == expected


def _run(sandbox, *args):
    cmd = [sys.executable, "-m", "netvisor_sandbox.control", "--url", sandbox.url]
    cmd += ["--token", sandbox.admin_token, *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60)


def test_control_cli_lists_and_adds(sandbox, nv):
    item = _unique()
    added = _run(sandbox, "add-dimension", ORG, "Projekti", item, "--hidden")
    assert added.returncode == 0, added.stderr
    listed = _run(sandbox, "dimensions", ORG)
    assert listed.returncode == 0 and item in listed.stdout
    assert item not in _names(_listing(nv), "Projekti")
    assert _run(sandbox, "add-dimension", ORG, "Projekti", item).returncode == 1


# ---------------------------------------------------------------- old database files


def test_old_database_file_gets_the_tables_and_the_seed(tmp_path):
    path = tmp_path / "sandbox.sqlite3"
    db = store.Store(path)
    db.close()
    with sqlite3.connect(path) as connection:  # what a sandbox before dimensions left
        connection.executescript(
            "DROP TABLE dimension_items; DROP TABLE dimension_headers;"
            "DELETE FROM sqlite_sequence WHERE name LIKE 'dimension_%';"
        )
    connection.close()
    db = store.Store(path)
    try:
        for company in seed.COMPANIES:
            headers = db.dimensions(db.company(company.organisation_id).id)
            assert [(h.name, [i.name for i in h.items]) for h in headers] == [
                ("Kustannuspaikka", ["Myynti", "Hallinto", "Vanha"]),
                ("Projekti", ["P-100", "P-200"]),
            ]
        company_id = db.company(ORG).id
        keys = [i.netvisor_key for h in db.dimensions(company_id) for i in h.items]
        assert min(keys) >= store.FIRST_DIMENSION_ITEM_KEY
    finally:
        db.close()
    db = store.Store(path)  # a second start adds nothing
    try:
        assert len(db.dimensions(db.company(ORG).id)) == 2
    finally:
        db.close()
