"""Routing (checklist §8.1) and the response envelope (§1.4, §3, §8.7)."""

import datetime
import re
import socket
from zoneinfo import ZoneInfo

import pytest


def test_resource_names_are_case_insensitive(nv):
    for name in ("AccountingPeriodList.nv", "ACCOUNTINGPERIODLIST.NV", "accountingperiodlist.nv"):
        assert nv.get(name).status == "OK", name


@pytest.mark.parametrize(
    ("method", "resource"),
    [
        ("POST", "accountlist.nv"),
        ("GET", "accounting.nv"),
        ("PUT", "accounting.nv"),
        ("GET", "invalidatevouchers.nv"),
        ("DELETE", "accountingledger.nv"),
    ],
)
def test_wrong_method_is_invalid_data(nv, method, resource):
    reply = nv.call(method, resource, body="<root/>")
    assert (reply.category, reply.http_status) == ("INVALID_DATA", 200)
    reply = nv.call(method, resource, body="<root/>", use_http_status_codes=True)
    assert (reply.category, reply.http_status) == ("INVALID_DATA", 400)


@pytest.mark.parametrize("resource", ["salesinvoice.nv", "accountlist", "x/accountlist.nv"])
def test_unknown_resource_is_invalid_data(nv, resource):
    assert nv.get(resource).category == "INVALID_DATA"


def test_success_envelope_layout(nv):
    raw = nv.raw("GET", "accountingperiodlist.nv").content
    text = raw.decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n<Root>\r\n')
    lines = text.split("\r\n")
    assert "\n" not in "".join(lines), "every line ends with CRLF"
    assert lines[2] == "    <ResponseStatus>"
    assert lines[3] == "        <Status>OK</Status>"
    assert all((len(ln) - len(ln.lstrip(" "))) % 4 == 0 for ln in lines)


def test_timestamp_is_helsinki_local_time(nv):
    reply = nv.get("vouchertypelist.nv")
    stamp = reply.find("ResponseStatus/TimeStamp").text
    assert re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4} \d{1,2}:\d{2}:\d{2}", stamp)
    parsed = datetime.datetime.strptime(stamp, "%d.%m.%Y %H:%M:%S")
    now = datetime.datetime.now(ZoneInfo("Europe/Helsinki")).replace(tzinfo=None)
    assert abs((now - parsed).total_seconds()) < 60
    day, month = stamp.split(".")[:2]
    assert not day.startswith("0") and not month.startswith("0")


def test_failure_envelope_has_two_status_elements(nv):
    reply = nv.get("vouchertypelist.nv", partner_id="NOBODY", language="EN")
    statuses = [s.text for s in reply.findall("ResponseStatus/Status")]
    assert statuses[0] == "FAILED"
    assert statuses[1].startswith("AUTHENTICATION_FAILED :: ")
    assert reply.find("ResponseStatus/TimeStamp") is not None
    assert [child.tag for child in reply.root] == ["ResponseStatus"]


def test_status_is_http_200_without_the_status_code_header(nv):
    reply = nv.get("nothing.nv")
    assert (reply.status, reply.http_status) == ("FAILED", 200)


def test_malformed_content_length_gets_a_netvisor_envelope_not_a_dead_socket(sandbox):
    host, port = sandbox.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(
            b"POST /accounting.nv HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n<root/>"
        )
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200")
    assert b"<Status>INVALID_DATA :: " in answer


def test_control_characters_echoed_from_headers_keep_the_envelope_valid_xml(nv):
    reply = nv.get(
        "vouchertypelist.nv", sender="bad\x01sender", headers={"X-Netvisor-Authentication-MAC": "0"}
    )
    assert reply.category == "AUTHENTICATION_FAILED"
    assert "bad?sender" in reply.error


def test_chunked_request_body_is_read(nv):
    from netvisor_sandbox.testing import voucher_xml

    body = voucher_xml().encode()
    reply = nv.call("POST", "accounting.nv", body=iter([body[:50], body[50:]]))
    assert reply.status == "OK", reply.error


def test_helsinki_timestamp_matches_the_captured_real_example():
    """API.md §1.4: a 13:12:09 UTC request on 5 June 2023 was stamped 5.6.2023 16:12:09."""
    from netvisor_sandbox.envelope import helsinki_timestamp

    utc = datetime.datetime(2023, 6, 5, 13, 12, 9, tzinfo=datetime.timezone.utc)
    assert helsinki_timestamp(utc) == "5.6.2023 16:12:09"
    winter = datetime.datetime(2025, 1, 3, 7, 5, 1, tzinfo=datetime.timezone.utc)
    assert helsinki_timestamp(winter) == "3.1.2025 9:05:01"
