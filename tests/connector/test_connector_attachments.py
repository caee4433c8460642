"""Voucher attachments (API.md §11.3): the streamed accounting.nv body, its stored form, the
size cap, the wire format (Content-Length, never chunked), retries and the read-back."""

import base64
import dataclasses
import hashlib
import io
import re
import tracemalloc

import pytest
import requests
from lxml import etree
from urllib3.exceptions import MaxRetryError, NewConnectionError

from ecomjet_netvisor.netvisor import (
    AttachmentInfo,
    VoucherAttachment,
    VoucherBody,
    build_voucher_body,
    build_voucher_xml,
    errors,
    validate_voucher,
)
from ecomjet_netvisor.netvisor.responses import read_envelope
from ecomjet_netvisor.netvisor.vouchers import (
    READ_CHUNK,
    attachment_filename,
    is_mimetype,
    request_lines,
    voucher_problems,
)
from tests.connector.netvisor_test_support import (
    BASE_URL,
    INSERTED,
    RawServer,
    data,
    http_response,
    ok_envelope,
)

ACCOUNTING = f"{BASE_URL}/accounting.nv"
ATTACHMENTS = f"{BASE_URL}/getvoucherattachments.nv"
MB = 1024 * 1024


def refused():
    """What requests raises when nothing listens: connection refused, request not sent."""
    reason = NewConnectionError(None, "Failed to establish a new connection: Connection refused")
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/", reason=reason))


def document(size, seed=0):
    """``size`` bytes that are not a repetition aligned to anything base64 cares about."""
    block = hashlib.sha256(str(seed).encode()).digest() * 64 + bytes(range(251))
    return (block * (size // len(block) + 1))[:size]


class Opener:
    """``open`` for an attachment: a fresh file object per call, counted."""

    def __init__(self, path):
        self.path = path
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.path.open("rb")


def attachment_file(tmp_path, content, name="lasku.pdf", **kwargs):
    path = tmp_path / name
    path.write_bytes(content)
    kwargs.setdefault("mimetype", "application/pdf")
    return VoucherAttachment(name, size=len(content), open=Opener(path), **kwargs)


def in_memory(content, name="kuitti.jpg", mimetype="image/jpeg", **kwargs):
    return VoucherAttachment(name, mimetype, len(content), lambda: io.BytesIO(content), **kwargs)


def with_attachments(voucher, *attachments):
    return dataclasses.replace(voucher, attachments=tuple(attachments))


def documents_of(body_bytes):
    """(filename, mimetype, description, decoded document) of each attachment of a body."""
    root = etree.fromstring(body_bytes)
    return [
        (
            node.findtext("filename"),
            node.findtext("mimetype"),
            node.findtext("attachmentdescription"),
            base64.b64decode(node.findtext("documentdata"), validate=True),
        )
        for node in root.iter("voucherattachment")
    ]


# ---------------------------------------------------------------- the body


def test_body_without_attachments_is_build_voucher_xml_byte_for_byte(sales_voucher):
    expected = build_voucher_xml(sales_voucher)
    assert expected == data("voucher_sales_net.xml").strip()  # the golden file, unchanged
    body = build_voucher_body(sales_voucher)
    assert isinstance(body, VoucherBody)
    assert body.stored == expected
    assert b"".join(body.chunks()) == expected
    assert body.length == len(expected)
    assert body.digests == ()
    assert sales_voucher.attachments == ()


@pytest.mark.parametrize(
    "size",
    [1, 2, 3, 4, READ_CHUNK - 1, READ_CHUNK, READ_CHUNK + 1, 1_000_000, MB + 2],
)
def test_streamed_body_decodes_to_the_same_documents(tmp_path, sales_voucher, size):
    content = document(size)
    first = attachment_file(tmp_path, content)
    second = in_memory(document(7, seed=1), description="Kuitti & <alkuperäinen>")
    voucher = with_attachments(sales_voucher, first, second)
    body = build_voucher_body(voucher)
    streamed = b"".join(body.chunks())
    assert len(streamed) == body.length
    assert documents_of(streamed) == [
        ("lasku.pdf", "application/pdf", "lasku.pdf", content),  # description: the name
        ("kuitti.jpg", "image/jpeg", "Kuitti & <alkuperäinen>", document(7, seed=1)),
    ]
    # the voucher part is build_voucher_xml's, the attachments come last (DTD order)
    root = etree.fromstring(streamed)
    assert [child.tag for child in root[0]][-2:] == ["voucherline", "voucherattachments"]
    assert [child.tag for child in root[0][-1][0]] == [
        "mimetype",
        "attachmentdescription",
        "filename",
        "documentdata",
    ]
    plain = build_voucher_xml(sales_voucher)
    assert streamed.startswith(plain[: plain.index(b"</voucher>")])
    assert build_voucher_xml(voucher) == streamed


def test_short_reads_still_give_correct_base64(sales_voucher):
    """A file may return fewer bytes than asked: the 3-byte remainder is carried over."""
    content = document(100_003)

    class Trickle(io.RawIOBase):
        def __init__(self):
            self.source = io.BytesIO(content)
            self.sizes = iter([1, 2, 1000, 7, 5, 4096] * 10_000)

        def readable(self):
            return True

        def read(self, size=-1):
            return self.source.read(min(size, next(self.sizes)))

    voucher = with_attachments(
        sales_voucher, VoucherAttachment("a.bin", "application/octet-stream", len(content), Trickle)
    )
    body = build_voucher_body(voucher)
    streamed = b"".join(body.chunks())
    assert documents_of(streamed)[0][3] == content
    assert len(streamed) == body.length


def test_chunks_are_fresh_each_call_and_each_reads_the_file_again(tmp_path, sales_voucher):
    attachment = attachment_file(tmp_path, document(200_000))
    body = build_voucher_body(with_attachments(sales_voucher, attachment))
    assert attachment.open.calls == 1  # hashed once while building
    first, second = body.chunks(), body.chunks()
    assert first is not second
    assert b"".join(first) == b"".join(second)
    assert attachment.open.calls == 3
    assert len(b"".join(body.chunks())) == body.length


def test_stored_form_has_the_placeholder_not_the_base64(tmp_path, sales_voucher):
    content = document(1_000_000)
    body = build_voucher_body(
        with_attachments(sales_voucher, attachment_file(tmp_path, content), in_memory(b"xyz"))
    )
    digest = hashlib.sha256(content).hexdigest()
    assert len(body.stored) < 3000  # not a megabyte of base64
    assert base64.b64encode(content[:300]) not in body.stored
    root = etree.fromstring(body.stored)  # still XML, the same voucher
    assert [node.text for node in root.iter("documentdata")] == [
        f"[sha256={digest} bytes=1000000]",
        f"[sha256={hashlib.sha256(b'xyz').hexdigest()} bytes=3]",
    ]
    assert request_lines(body.stored) == request_lines(build_voucher_xml(sales_voucher))
    assert body.digests == (
        AttachmentInfo("lasku.pdf", 1_000_000, "application/pdf", digest),
        AttachmentInfo("kuitti.jpg", 3, "image/jpeg", hashlib.sha256(b"xyz").hexdigest()),
    )
    # the stored form is the streamed body with each document swapped for its placeholder
    streamed = b"".join(body.chunks())
    swapped = re.sub(
        rb"<documentdata>[^<]*</documentdata>", b"<documentdata></documentdata>", streamed
    )
    stored = re.sub(
        rb"<documentdata>[^<]*</documentdata>", b"<documentdata></documentdata>", body.stored
    )
    assert swapped == stored


def test_streaming_a_20_mb_document_stays_small_in_memory(tmp_path, sales_voucher):
    path = tmp_path / "scan.pdf"
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        for index in range(20):
            part = document(MB, seed=index)
            digest.update(part)
            handle.write(part)
    attachment = VoucherAttachment("scan.pdf", "application/pdf", 20 * MB, Opener(path))
    voucher = with_attachments(sales_voucher, attachment)
    tracemalloc.start()
    try:
        body = build_voucher_body(voucher)
        length, biggest = 0, 0
        for chunk in body.chunks():
            length += len(chunk)
            biggest = max(biggest, len(chunk))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert length == body.length > 20 * MB * 4 // 3
    assert biggest <= 4 * READ_CHUNK // 3 + len(body.stored)
    assert peak < 2 * MB, f"peak {peak} bytes while streaming 20 MB"
    assert body.digests[0].sha256 == digest.hexdigest()


# ---------------------------------------------------------------- validation and the cap


def test_cap_alone_is_attachment_too_large_with_size_and_limit(sales_voucher):
    voucher = with_attachments(sales_voucher, in_memory(b"a" * 600), in_memory(b"b" * 500))
    validate_voucher(voucher, max_attachment_bytes=1100)  # exactly the cap is fine
    with pytest.raises(errors.AttachmentTooLarge) as caught:
        validate_voucher(voucher, max_attachment_bytes=1099)
    err = caught.value
    assert (err.size, err.limit, err.category) == (1100, 1099, "ATTACHMENT_TOO_LARGE")
    assert isinstance(err, errors.VoucherValidationError)
    assert not err.may_be_stored and not err.retryable
    assert "1100 bytes" in str(err) and "1099 bytes" in str(err)
    assert voucher_problems(voucher, 1099) == err.problems
    assert voucher_problems(voucher) == []
    with pytest.raises(errors.AttachmentTooLarge):
        build_voucher_body(voucher, max_attachment_bytes=1000)


def test_cap_with_other_problems_lists_them_all(sales_voucher):
    voucher = with_attachments(
        dataclasses.replace(sales_voucher, voucher_class=""), in_memory(b"a" * 600)
    )
    with pytest.raises(errors.VoucherValidationError) as caught:
        validate_voucher(voucher, max_attachment_bytes=100)
    assert type(caught.value) is errors.VoucherValidationError
    assert len(caught.value.problems) == 2
    assert "more than the limit of 100 bytes" in caught.value.problems[1]


def test_import_voucher_refuses_over_the_cap_before_any_request(client, http, sales_voucher):
    voucher = with_attachments(sales_voucher, in_memory(b"a" * 600))
    with pytest.raises(errors.AttachmentTooLarge):
        client.import_voucher(voucher, max_attachment_bytes=599)
    assert len(http.calls) == 0


@pytest.mark.parametrize("cap", [-1, 1.5, True, "10"])
def test_a_cap_that_is_no_size_is_a_programming_error(sales_voucher, cap):
    with pytest.raises(ValueError, match="max_attachment_bytes"):
        validate_voucher(with_attachments(sales_voucher, in_memory(b"a")), cap)


def _opener():
    return io.BytesIO(b"x")


@pytest.mark.parametrize(
    ("attachment", "fragment"),
    [
        (VoucherAttachment("", "application/pdf", 1, _opener), "file name is empty"),
        (VoucherAttachment("   ", "application/pdf", 1, _opener), "file name is empty"),
        (VoucherAttachment("a" * 256, "application/pdf", 1, _opener), "at most 255"),
        (VoucherAttachment("a\tb.pdf", "application/pdf", 1, _opener), "control characters"),
        (VoucherAttachment("../x.pdf", "application/pdf", 1, _opener), "path separator"),
        (VoucherAttachment("c:\\x.pdf", "application/pdf", 1, _opener), "path separator"),
        (VoucherAttachment("a.pdf", "pdf", 1, _opener), "type/subtype"),
        (VoucherAttachment("a.pdf", "text/plain; charset=utf-8", 1, _opener), "type/subtype"),
        (VoucherAttachment("a.pdf", None, 1, _opener), "type/subtype"),
        (VoucherAttachment("a.pdf", "application/pdf", -1, _opener), "size must be"),
        (VoucherAttachment("a.pdf", "application/pdf", True, _opener), "size must be"),
        (VoucherAttachment("a.pdf", "application/pdf", 1.0, _opener), "size must be"),
        (VoucherAttachment("a.pdf", "application/pdf", 0, _opener), "document is empty"),
        (VoucherAttachment("a.pdf", "application/pdf", 1, b"x"), "open must be a function"),
        (VoucherAttachment("a.pdf", "application/pdf", 1, _opener, "d" * 256), "at most 255"),
        (VoucherAttachment("a.pdf", "application/pdf", 1, _opener, "a\x00"), "control"),
        ("a.pdf", "must be a VoucherAttachment"),
    ],
)
def test_attachment_problems_are_found_before_anything_is_read(sales_voucher, attachment, fragment):
    voucher = with_attachments(sales_voucher, attachment)
    problems = voucher_problems(voucher)
    assert len(problems) == 1 and fragment in problems[0], problems
    assert problems[0].startswith("attachment 1")
    with pytest.raises(errors.VoucherValidationError):
        build_voucher_body(voucher)


def test_attachments_must_be_a_tuple(sales_voucher):
    voucher = dataclasses.replace(sales_voucher, attachments=in_memory(b"x"))
    assert voucher_problems(voucher) == ["attachments must be a tuple of VoucherAttachment"]


# ---------------------------------------------------------------- unreadable documents


def test_missing_file_is_unreadable_when_the_body_is_built(tmp_path, sales_voucher):
    attachment = VoucherAttachment("x.pdf", "application/pdf", 10, Opener(tmp_path / "gone"))
    with pytest.raises(errors.AttachmentUnreadable) as caught:
        build_voucher_body(with_attachments(sales_voucher, attachment))
    assert caught.value.category == "ATTACHMENT_UNREADABLE"
    assert "FileNotFoundError" in str(caught.value)
    assert str(tmp_path) not in str(caught.value)  # no filestore paths in the message


@pytest.mark.parametrize("declared", [9, 11])
def test_size_that_does_not_match_the_file_is_unreadable(sales_voucher, declared):
    attachment = VoucherAttachment(
        "x.pdf", "application/pdf", declared, lambda: io.BytesIO(b"0" * 10)
    )
    with pytest.raises(errors.AttachmentUnreadable, match="reads differently"):
        build_voucher_body(with_attachments(sales_voucher, attachment))


def test_text_mode_file_is_unreadable(sales_voucher):
    attachment = VoucherAttachment("x.txt", "text/plain", 3, lambda: io.StringIO("abc"))
    with pytest.raises(errors.AttachmentUnreadable, match="binary"):
        build_voucher_body(with_attachments(sales_voucher, attachment))


@pytest.mark.parametrize("change", ["content", "longer", "shorter", "deleted"])
def test_document_changed_after_building_stops_the_body_before_its_end(
    tmp_path, sales_voucher, change
):
    attachment = attachment_file(tmp_path, document(150_000))
    body = build_voucher_body(with_attachments(sales_voucher, attachment))
    path = attachment.open.path
    if change == "content":
        path.write_bytes(document(150_000, seed=9))
    elif change == "longer":
        path.write_bytes(document(150_001))
    elif change == "shorter":
        path.write_bytes(document(149_999))
    else:
        path.unlink()
    sent = []
    with pytest.raises(errors.AttachmentUnreadable):
        for chunk in body.chunks():
            sent.append(chunk)
    assert b"</documentdata>" not in b"".join(sent)  # never a complete body


def test_client_reports_a_document_changed_while_sending_as_not_stored(
    client, http, tmp_path, sales_voucher
):
    attachment = attachment_file(tmp_path, document(150_000))
    body = build_voucher_body(with_attachments(sales_voucher, attachment))
    attachment.open.path.write_bytes(document(150_000, seed=3))

    def consume(request):
        b"".join(request.body)  # what urllib3 does with the iterator
        return 200, {}, INSERTED

    http.add_callback("POST", ACCOUNTING, callback=consume)
    with pytest.raises(errors.AttachmentUnreadable) as caught:
        client.import_voucher(body)
    assert not caught.value.may_be_stored and not caught.value.retryable
    assert caught.value.transaction_id
    assert len(http.calls) == 1  # not retried


# ---------------------------------------------------------------- the client


def test_content_length_sent_and_never_chunked_on_the_wire(make_client, tmp_path, sales_voucher):
    content = document(300_001)
    body = build_voucher_body(
        with_attachments(sales_voucher, attachment_file(tmp_path, content), in_memory(b"ab"))
    )
    with RawServer(lambda request: http_response(INSERTED)) as server:
        client = make_client(server.base_url)
        assert client.import_voucher(body) == "4711"
    ((request_line, headers, sent),) = server.requests
    assert request_line.startswith("POST /accounting.nv ")
    assert headers["content-length"] == str(body.length)
    assert "transfer-encoding" not in headers
    assert headers["content-type"] == "text/xml; charset=utf-8"
    assert sent == b"".join(body.chunks())
    assert [doc for *_, doc in documents_of(sent)] == [content, b"ab"]


def test_voucher_with_attachments_is_streamed_by_import_voucher(client, http, sales_voucher):
    voucher = with_attachments(sales_voucher, in_memory(document(70_000)))
    seen = {}

    def record(request):
        seen["streamed"] = not isinstance(request.body, (bytes, str))
        seen["body"] = b"".join(request.body)
        seen["headers"] = dict(request.headers)
        return 200, {}, INSERTED

    http.add_callback("POST", ACCOUNTING, callback=record)
    assert client.import_voucher(voucher) == "4711"
    assert seen["streamed"]
    assert seen["body"] == build_voucher_xml(voucher)
    assert seen["headers"]["Content-Length"] == str(len(seen["body"]))
    assert "Transfer-Encoding" not in seen["headers"]


def test_retry_after_connection_refused_sends_the_whole_body_again(
    client, http, sleeps, tmp_path, sales_voucher
):
    attachment = attachment_file(tmp_path, document(250_000))
    body = build_voucher_body(with_attachments(sales_voucher, attachment))
    attempts = []

    def first(request):
        attempts.append(next(iter(request.body)))  # part of it went into the dead socket
        return refused()

    def second(request):
        attempts.append(b"".join(request.body))
        return 200, {}, INSERTED

    http.add_callback("POST", ACCOUNTING, callback=first)
    http.add_callback("POST", ACCOUNTING, callback=second)
    assert client.import_voucher(body) == "4711"
    assert sleeps == [1.0]
    assert attempts[1] == b"".join(body.chunks())
    assert len(attempts[1]) == body.length
    assert attempts[0] == attempts[1][: len(attempts[0])]
    lengths = [call.request.headers["Content-Length"] for call in http.calls]
    assert lengths == [str(body.length)] * 2


def test_bytes_are_still_sent_as_they_are(client, http, sales_voucher):
    xml = build_voucher_xml(sales_voucher)
    http.post(ACCOUNTING, body=INSERTED)
    assert client.import_voucher(xml) == "4711"
    assert http.calls[0].request.body == xml


def test_import_voucher_refuses_other_types(client):
    with pytest.raises(TypeError, match="VoucherBody"):
        client.import_voucher("<root/>")


# ---------------------------------------------------------------- read-back


def _attachments_answer(*items):
    parts = []
    for filename, size, mimetype, content in items:
        inner = f"<Filename>{filename}</Filename>"
        if size is not None:
            inner += f"<SizeInBytes>{size}</SizeInBytes>"
        inner += f"<MimeType>{mimetype}</MimeType>"
        if content is not None:
            inner += f"<Content>{content}</Content>"
        parts.append(f"<Attachment>{inner}</Attachment>")
    return ok_envelope(f"<Attachments>{''.join(parts)}</Attachments>")


def test_get_voucher_attachments_hashes_and_drops_the_content(client, http):
    pdf, scan = document(5000), document(301, seed=2)
    wrapped = base64.encodebytes(scan).decode()  # line breaks every 76 characters
    http.get(
        ATTACHMENTS,
        body=_attachments_answer(
            ("lasku.pdf", 5000, "application/pdf", base64.b64encode(pdf).decode()),
            ("skannaus.png", None, "image/png", wrapped),
            ("tyhjä.txt", 12, "text/plain", None),
            ("ei-mitään.txt", None, "text/plain", None),
        ),
    )
    found = client.get_voucher_attachments(4711)
    assert http.calls[0].request.url == f"{ATTACHMENTS}?netvisorkey=4711"
    assert found == [
        AttachmentInfo("lasku.pdf", 5000, "application/pdf", hashlib.sha256(pdf).hexdigest()),
        AttachmentInfo("skannaus.png", 301, "image/png", hashlib.sha256(scan).hexdigest()),
        AttachmentInfo("tyhjä.txt", 12, "text/plain", None),
        AttachmentInfo("ei-mitään.txt", None, "text/plain", None),
    ]


def test_get_voucher_attachments_reads_a_document_over_libxml2s_text_limit(client, http):
    """libxml2 refuses a text node over 10 MB that arrives in more than one piece (here:
    the base64 between line breaks) unless the parser allows huge trees."""
    big = document(8 * MB)  # 11.2 MB of base64
    content = "\r\n" + base64.b64encode(big).decode() + "\r\n"
    answer = _attachments_answer(("iso.pdf", 8 * MB, "application/pdf", content))
    with pytest.raises(errors.BadResponseError, match="huge text node"):
        read_envelope(answer, max_bytes=100 * MB)
    http.get(ATTACHMENTS, body=answer)
    (found,) = client.get_voucher_attachments("4711")
    assert found.sha256 == hashlib.sha256(big).hexdigest()


def test_get_voucher_attachments_compares_with_what_was_sent(client, http, sales_voucher):
    voucher = with_attachments(sales_voucher, in_memory(document(999)), in_memory(b"z", "b.txt"))
    body = build_voucher_body(voucher)
    items = [
        (info.filename, info.size, info.mimetype, base64.b64encode(doc).decode())
        for info, doc in zip(body.digests, [document(999), b"z"], strict=True)
    ]
    http.get(ATTACHMENTS, body=_attachments_answer(*items))
    assert client.get_voucher_attachments(1) == list(body.digests)


def test_no_attachments_is_an_empty_list(client, http):
    http.get(ATTACHMENTS, body=ok_envelope("<Attachments />"))
    assert client.get_voucher_attachments(7) == []


@pytest.mark.parametrize(
    "answer",
    [
        ok_envelope(""),
        _attachments_answer(("a.pdf", 3, "application/pdf", "not base64!")),
        _attachments_answer(("a.pdf", 3, "application/pdf", "YWJ")),
        _attachments_answer(("a.pdf", "3x", "application/pdf", "YWJj")),
    ],
    ids=["no-attachments-element", "garbled", "truncated", "bad-size"],
)
def test_broken_attachments_answer_is_bad_response(client, http, answer):
    http.get(ATTACHMENTS, body=answer)
    with pytest.raises(errors.BadResponseError):
        client.get_voucher_attachments(7)


def test_voucher_key_must_be_digits(client):
    with pytest.raises(ValueError, match="netvisor_key"):
        client.get_voucher_attachments("12a")


# ---------------------------------------------------------------- names and types from Odoo


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("lasku 17.pdf", "lasku 17.pdf"),
        ("Toimittaja/lasku\\17.pdf", "Toimittaja_lasku_17.pdf"),
        ("rivi\nvaihto\t.pdf", "rivi_vaihto_.pdf"),
        ("  ", "document"),
        (None, "document"),
    ],
)
def test_attachment_filename_is_one_that_netvisor_takes(name, expected):
    assert attachment_filename(name) == expected


def test_long_attachment_filename_keeps_its_extension():
    name = attachment_filename("x" * 300 + ".pdf")
    assert len(name) == 255
    assert name.endswith("x.pdf")
    assert len(attachment_filename("y" * 300)) == 255


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("application/pdf", True),
        ("image/png", True),
        ("text/plain; charset=utf-8", False),
        ("pdf", False),
        ("", False),
        (None, False),
    ],
)
def test_is_mimetype(value, ok):
    assert is_mimetype(value) is ok
