"""Voucher attachments (API.md §11.3) in the sandbox: kept with the voucher by
accounting.nv, read back by getvoucherattachments.nv and the admin API, the body size
limit, and the connector's streamed body against the real server."""

import base64
import datetime
import functools
import hashlib
import io
import json
import sqlite3
from decimal import Decimal
from xml.sax.saxutils import escape

import pytest

from ecomjet_netvisor.netvisor import (
    Credentials,
    NetvisorClient,
    Voucher,
    VoucherAttachment,
    VoucherLine,
    build_voucher_body,
    errors,
)
from netvisor_sandbox import control, seed
from netvisor_sandbox.store import Store
from netvisor_sandbox.testing import voucher_xml
from tests.sandbox.test_control_cli import control as run_control

A, B = seed.COMPANY_A, seed.COMPANY_B
ORG = A.organisation_id
VOUCHERS = f"companies/{ORG}/vouchers"
XML_FAILED = (
    "INVALID_DATA :: Data form incorrect:. XML message validation failed: Could not validate xml"
)


def document(size, seed_text="x"):
    block = hashlib.sha256(seed_text.encode()).digest() * 32 + bytes(range(256))
    return (block * (size // len(block) + 1))[:size]


PDF = document(150_001, "pdf")
PNG = document(2_000, "png")


def attachment_xml(filename, content, mimetype="application/pdf", description=None, data=None):
    data = base64.b64encode(content).decode() if data is None else data
    return (
        f"<voucherattachment><mimetype>{escape(mimetype)}</mimetype>"
        f"<attachmentdescription>{escape(description or filename)}</attachmentdescription>"
        f"<filename>{escape(filename)}</filename><documentdata>{data}</documentdata>"
        "</voucherattachment>"
    )


def with_attachments(*items, body=None):
    body = body or voucher_xml()
    return body.replace(
        "</voucher>", f"<voucherattachments>{''.join(items)}</voucherattachments></voucher>"
    )


def two_attachments():
    return with_attachments(
        attachment_xml("lasku 1001.pdf", PDF, description="Myyntilasku 1001"),
        attachment_xml("kuitti.png", PNG, mimetype="image/png"),
    )


def sha(content):
    return hashlib.sha256(content).hexdigest()


def _ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def stored(sandbox, org=ORG):
    return _ok(sandbox.admin("GET", f"companies/{org}/vouchers"))["vouchers"]


@pytest.fixture
def clean_b(sandbox):
    yield
    sandbox.admin("DELETE", f"companies/{B.organisation_id}/vouchers")


@pytest.fixture
def client(sandbox):
    credentials = Credentials(
        base_url=sandbox.url,
        sender="attachment tests",
        customer_id=A.customer_id,
        customer_key=A.customer_key,
        partner_id=seed.PARTNER_ID,
        partner_key=seed.PARTNER_KEY,
        organisation_id=A.organisation_id,
    )
    with NetvisorClient(credentials, timeout=30, max_retries=0) as netvisor:
        yield netvisor


# ---------------------------------------------------------------- import and read back


def test_two_attachments_are_kept_and_read_back_byte_identical(nv):
    key = nv.import_voucher(two_attachments())
    reply = nv.get("getvoucherattachments.nv", f"netvisorkey={key}")
    assert reply.status == "OK", reply.error
    items = reply.findall("Attachments/Attachment")
    assert [[child.tag for child in item] for item in items] == [
        ["Filename", "SizeInBytes", "MimeType", "Content"]
    ] * 2
    assert [
        (
            item.findtext("Filename"),
            item.findtext("SizeInBytes"),
            item.findtext("MimeType"),
            sha(base64.b64decode(item.findtext("Content"), validate=True)),
        )
        for item in items
    ] == [
        ("lasku 1001.pdf", str(len(PDF)), "application/pdf", sha(PDF)),
        ("kuitti.png", str(len(PNG)), "image/png", sha(PNG)),
    ]


def test_admin_lists_attachments_without_content_and_counts_them(sandbox, nv):
    key = nv.import_voucher(two_attachments())
    plain = nv.import_voucher(voucher_xml())
    listed = _ok(sandbox.admin("GET", f"{VOUCHERS}/{key}/attachments"))
    assert listed == {
        "attachments": [
            {
                "filename": "lasku 1001.pdf",
                "mimetype": "application/pdf",
                "description": "Myyntilasku 1001",
                "size": len(PDF),
                "sha256": sha(PDF),
            },
            {
                "filename": "kuitti.png",
                "mimetype": "image/png",
                "description": "kuitti.png",
                "size": len(PNG),
                "sha256": sha(PNG),
            },
        ]
    }
    counts = {str(v["netvisor_key"]): v["attachment_count"] for v in stored(sandbox)}
    assert counts == {key: 2, plain: 0}
    assert _ok(sandbox.admin("GET", f"{VOUCHERS}/{plain}/attachments")) == {"attachments": []}


def test_admin_listing_refuses_unknown_and_other_companies_keys(sandbox, nv, clean_b):
    other = nv.import_voucher(two_attachments(), company=B)
    assert sandbox.admin("GET", f"{VOUCHERS}/{other}/attachments").status_code == 404
    assert sandbox.admin("GET", f"{VOUCHERS}/999999/attachments").status_code == 404
    assert sandbox.admin("GET", f"{VOUCHERS}/abc/attachments").status_code == 404
    b_listing = _ok(
        sandbox.admin("GET", f"companies/{B.organisation_id}/vouchers/{other}/attachments")
    )
    assert len(b_listing["attachments"]) == 2


def test_control_cli_lists_attachments(sandbox, nv):
    key = nv.import_voucher(two_attachments())
    args = control.parse_args(["attachments", ORG, key])
    assert control.request_for(args) == ("GET", f"{VOUCHERS}/{key}/attachments", None)
    done = run_control(sandbox, "attachments", ORG, key)
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)["attachments"]
    assert [(a["filename"], a["sha256"]) for a in listed] == [
        ("lasku 1001.pdf", sha(PDF)),
        ("kuitti.png", sha(PNG)),
    ]


def test_ledger_shows_the_voucher_as_without_attachments(nv):
    with_docs = nv.import_voucher(two_attachments())
    without = nv.import_voucher(voucher_xml())

    def shape(key):
        (voucher,) = nv.ledger(f"netvisorkey={key}")
        return [
            child.tag
            for child in voucher
            if child.tag not in ("NetvisorKey", "VoucherNumber", "VoucherNetvisorURI")
        ], [
            [(c.tag, c.text) for c in line if c.tag != "NetvisorKey"]
            for line in voucher.findall("VoucherLine")
        ]

    assert shape(with_docs) == shape(without)


def test_duplicate_copies_the_attachments(sandbox, nv):
    key = nv.import_voucher(two_attachments())
    copy = _ok(sandbox.admin("POST", f"{VOUCHERS}/{key}/duplicate"), 201)["netvisor_key"]
    assert _ok(sandbox.admin("GET", f"{VOUCHERS}/{copy}/attachments")) == _ok(
        sandbox.admin("GET", f"{VOUCHERS}/{key}/attachments")
    )


def test_removing_attachments_empties_the_read_back_and_the_count(sandbox, nv, clean_b):
    key = nv.import_voucher(two_attachments())
    other = nv.import_voucher(two_attachments(), company=B)
    assert sandbox.admin("DELETE", f"{VOUCHERS}/{other}/attachments").status_code == 404
    done = run_control(sandbox, "delete-attachments", ORG, key)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"deleted": 2}
    reply = nv.get("getvoucherattachments.nv", f"netvisorkey={key}")
    assert reply.status == "OK", reply.error
    assert reply.findall("Attachments/Attachment") == []
    counts = {str(v["netvisor_key"]): v["attachment_count"] for v in stored(sandbox)}
    assert counts[key] == 0
    b_listing = _ok(
        sandbox.admin("GET", f"companies/{B.organisation_id}/vouchers/{other}/attachments")
    )
    assert len(b_listing["attachments"]) == 2


# ---------------------------------------------------------------- getvoucherattachments.nv


def test_voucher_without_attachments_answers_an_empty_list(nv):
    key = nv.import_voucher(voucher_xml())
    reply = nv.get("getvoucherattachments.nv", f"NetvisorKey={key}")  # any casing
    assert reply.status == "OK"
    assert reply.find("Attachments") is not None
    assert len(reply.find("Attachments")) == 0


def test_lookup_failures_are_invalid_data(nv, clean_b):
    other = nv.import_voucher(two_attachments(), company=B)
    missing = nv.get("getvoucherattachments.nv")
    assert missing.category == "INVALID_DATA" and "netvisorkey" in missing.error
    for key in ("999999", other):  # unknown, and another company's voucher
        reply = nv.get("getvoucherattachments.nv", f"netvisorkey={key}", language="EN")
        assert reply.error == (
            "INVALID_DATA :: Data form incorrect:. Voucher not found with Netvisor "
            f"identifier: {key}"
        )
    bad = nv.get("getvoucherattachments.nv", "netvisorkey=12a", use_http_status_codes=True)
    assert (bad.category, bad.http_status) == ("INVALID_DATA", 400)
    assert nv.post("getvoucherattachments.nv", "<root/>").category == "INVALID_DATA"


def test_deleted_voucher_is_not_found_but_an_invalidated_one_answers(sandbox, nv):
    deleted = nv.import_voucher(two_attachments())
    invalidated = nv.import_voucher(two_attachments())
    _ok(sandbox.admin("DELETE", f"{VOUCHERS}/{deleted}"))
    body = (
        '<root><invalidatevouchers identifier="netvisorkey">'
        f"<invalidatevoucher>{invalidated}</invalidatevoucher></invalidatevouchers></root>"
    )
    assert nv.post("invalidatevouchers.nv", body).status == "OK"
    gone = nv.get("getvoucherattachments.nv", f"netvisorkey={deleted}")
    assert gone.category == "INVALID_DATA"
    kept = nv.get("getvoucherattachments.nv", f"netvisorkey={invalidated}")
    assert len(kept.findall("Attachments/Attachment")) == 2
    try:
        _ok(sandbox.admin("PATCH", "settings", {"deleted_in_ledger": True}))
        shown = nv.get("getvoucherattachments.nv", f"netvisorkey={deleted}")
        assert len(shown.findall("Attachments/Attachment")) == 2
    finally:
        _ok(sandbox.admin("PATCH", "settings", {"deleted_in_ledger": False}))


# ---------------------------------------------------------------- refused bodies


@pytest.mark.parametrize(
    "data",
    ["not base64!", "YWJ", "YW Jj", "YWJj\nZGVm", "YQ===", "w6Q=ä"],
    ids=["garbage", "length", "space", "line-break", "padding", "non-ascii"],
)
def test_bad_base64_is_invalid_data_naming_the_attachment(sandbox, nv, data):
    body = with_attachments(
        attachment_xml("ok.pdf", b"fine"), attachment_xml("rikki.pdf", b"", data=data)
    )
    reply = nv.post("accounting.nv", body, language="EN")
    assert reply.error == (
        "INVALID_DATA :: Data form incorrect:. Attachment 2 (rikki.pdf): documentdata is not "
        "valid base64"
    )
    assert stored(sandbox) == []


def test_attachment_texts_are_checked(sandbox, nv):
    bad_type = with_attachments(attachment_xml("a.pdf", b"x", mimetype="pdf"))
    assert "invalid MIME type: pdf" in nv.post("accounting.nv", bad_type, language="EN").error
    long_name = with_attachments(attachment_xml("a" * 256, b"x"))
    assert nv.post("accounting.nv", long_name).category == "INVALID_DATA_SIZE"
    long_text = with_attachments(attachment_xml("a.pdf", b"x", description="d" * 256))
    assert nv.post("accounting.nv", long_text).category == "INVALID_DATA_SIZE"
    assert stored(sandbox) == []


@pytest.mark.parametrize(
    "mutate",
    [
        # attachments before the lines: not the DTD order
        lambda body: body.replace(
            "<voucherline>", "<voucherattachments>X</voucherattachments><voucherline>", 1
        ),
        # children out of order
        lambda body: body.replace(
            "<mimetype>application/pdf</mimetype><attachmentdescription>a.pdf</attachmentdescription>",
            "<attachmentdescription>a.pdf</attachmentdescription><mimetype>application/pdf</mimetype>",
        ),
        # an empty document (required, may not be empty)
        lambda body: body.replace(
            "<documentdata>eA==</documentdata>", "<documentdata></documentdata>"
        ),
        # a container without any attachment
        lambda body: body.replace(attachment_xml("a.pdf", b"x"), ""),
    ],
    ids=["before-lines", "child-order", "empty-document", "empty-container"],
)
def test_attachment_structure_follows_the_dtd(sandbox, nv, mutate):
    body = mutate(with_attachments(attachment_xml("a.pdf", b"x")))
    assert nv.post("accounting.nv", body).error == XML_FAILED
    assert stored(sandbox) == []


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_over_the_limit_is_invalid_data_size_and_nothing_is_stored(sandbox, nv, chunked):
    _ok(sandbox.admin("PATCH", "settings", {"max_body_bytes": 200_000}))
    assert _ok(sandbox.admin("GET", "settings"))["max_body_bytes"] == 200_000
    body = with_attachments(attachment_xml("iso.pdf", document(3_000_000))).encode()
    data = iter([body[i : i + 65536] for i in range(0, len(body), 65536)]) if chunked else body
    response = nv.raw(
        "POST", "accounting.nv", body=data, headers={}, use_http_status_codes=True, language="EN"
    )
    reply_status = response.status_code
    assert reply_status == 400
    assert b"INVALID_DATA_SIZE :: Message is too large (at most 200000 bytes)" in response.content
    assert stored(sandbox) == []
    # the refused body was read to its end; the sandbox goes on answering
    assert nv.import_voucher(with_attachments(attachment_xml("pieni.pdf", b"small")))
    assert len(stored(sandbox)) == 1


def test_the_connector_sees_invalid_data_size_not_a_lost_connection(sandbox, client, tmp_path):
    _ok(sandbox.admin("PATCH", "settings", {"max_body_bytes": 1_000_000}))
    path = tmp_path / "iso.pdf"
    path.write_bytes(document(5_000_000))
    voucher = sales_voucher(
        VoucherAttachment(
            "iso.pdf", "application/pdf", 5_000_000, functools.partial(path.open, "rb")
        )
    )
    with pytest.raises(errors.InvalidDataSize) as caught:
        client.import_voucher(build_voucher_body(voucher))
    assert not caught.value.may_be_stored
    assert stored(sandbox) == []


# ---------------------------------------------------------------- the connector's streamed body


def sales_voucher(*attachments):
    return Voucher(
        date=datetime.date(2025, 1, 31),
        voucher_class="Myyntilasku",
        description="Myyntilaskut 01/2025 [ext:ATT-1]",
        lines=(
            VoucherLine(Decimal("1255.00"), "1701"),
            VoucherLine(Decimal("-1000.00"), "3000", Decimal("25.5"), "KOMY"),
            VoucherLine(Decimal("-255.00"), "2939"),
        ),
        attachments=attachments,
    )


def test_connector_streamed_body_is_accepted_and_stored_byte_identical(sandbox, client, tmp_path):
    scan = document(3_000_002, "scan")
    path = tmp_path / "skannaus.pdf"
    path.write_bytes(scan)
    voucher = sales_voucher(
        VoucherAttachment(
            "skannaus.pdf", "application/pdf", len(scan), functools.partial(path.open, "rb")
        ),
        VoucherAttachment("kuitti.png", "image/png", len(PNG), lambda: io.BytesIO(PNG), "Kuitti"),
    )
    body = build_voucher_body(voucher)
    key = client.import_voucher(body)
    assert client.get_voucher_attachments(key) == list(body.digests)
    assert [d.sha256 for d in body.digests] == [sha(scan), sha(PNG)]
    listed = _ok(sandbox.admin("GET", f"{VOUCHERS}/{key}/attachments"))["attachments"]
    assert [(a["filename"], a["description"], a["size"], a["sha256"]) for a in listed] == [
        ("skannaus.pdf", "skannaus.pdf", len(scan), sha(scan)),
        ("kuitti.png", "Kuitti", len(PNG), sha(PNG)),
    ]
    (ledger,) = client.get_ledger(netvisor_key=key)
    assert [line.amount for line in ledger.lines] == [line.amount for line in voucher.lines]
    assert f"[sha256={sha(scan)} bytes={len(scan)}]".encode() in body.stored


def test_document_changed_after_building_is_refused_and_nothing_stored(sandbox, client, tmp_path):
    path = tmp_path / "lasku.pdf"
    path.write_bytes(document(400_000))
    body = build_voucher_body(
        sales_voucher(
            VoucherAttachment(
                "lasku.pdf", "application/pdf", 400_000, functools.partial(path.open, "rb")
            )
        )
    )
    path.write_bytes(document(400_000, "changed"))
    with pytest.raises(errors.AttachmentUnreadable) as caught:
        client.import_voucher(body)
    assert not caught.value.may_be_stored
    assert stored(sandbox) == []
    assert client.get_voucher_types().types  # the client still works


# ---------------------------------------------------------------- an older database file


def test_older_database_gets_the_table_and_real_counts(tmp_path, sandbox, nv):
    path = tmp_path / "old.sqlite3"
    store = Store(path)
    try:
        company = store.company(ORG)
        header = {
            "type_key": store.voucher_types(company.id)[0]["netvisor_key"],
            "number": None,
            "date": datetime.date(2025, 1, 31),
            "description": "vanha",
            "voucher_class": "Myyntilasku",
            "calculation_mode": "net",
            "checked": False,
            "comment": None,
            "attachment_count": 0,
        }
        line = {
            "cents": 0,
            "description": None,
            "account_number": "1701",
            "vat_percent": "0",
            "vat_code": "NONE",
            "account_dimension": None,
            "account_dimension_type": None,
            "dimensions": [],
        }
        key = store.insert_voucher(company.id, header, [line])
    finally:
        store.close()
    with sqlite3.connect(path) as db:  # what an older sandbox left: counted, not kept
        db.execute("DROP TABLE voucher_attachments")
        db.execute("UPDATE vouchers SET attachment_count = 1")
    db.close()
    store = Store(path)
    try:
        (voucher,) = store.vouchers(company.id)
        assert voucher["attachment_count"] == 0
        assert store.attachments(company.id, key) == []
    finally:
        store.close()
