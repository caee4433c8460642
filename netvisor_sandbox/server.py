"""The HTTP server: routing, the request pipeline of API.md §8, fault injection."""

import json
import socket
import struct
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import admin, envelope, seed
from .auth import H_HTTP_STATUS, H_ORGANISATION, authenticate, echoed_mac_input, language_of
from .chaos import Chaos
from .errors import NetvisorFault, RawAmpFault
from .faults import STAGES, FaultQueue, garble_numbers
from .resources import RESOURCES, Request
from .stats import RequestStats

ADMIN_PREFIX = "/_sandbox"
NETVISOR_TYPE = "text/html; charset=utf-8"
RESET = object()  # answer of a request whose connection is reset
GATEWAY_REASONS = {502: "Bad Gateway", 504: "Gateway Time-out"}
# A body over Settings.max_body_bytes is read and dropped up to this size, so that its
# sender gets the INVALID_DATA_SIZE answer; a larger one is not read (the socket closes).
DRAIN_LIMIT = 256 * 1024 * 1024
DRAIN_CHUNK = 64 * 1024
GATEWAY_FAULTS = {
    "non_xml_502": 502,
    "gateway_502_after_commit": 502,
    "gateway_504_after_commit": 504,
}


def gateway_page(status: int) -> tuple[int, bytes, str]:
    """A load balancer's HTML error page (nginx's, `<hr>` unclosed): no Netvisor
    envelope, not even well-formed XML (API.md §3.2)."""
    title = f"{status} {GATEWAY_REASONS[status]}"
    body = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return status, body.encode(), "text/html"


class SandboxServer(ThreadingHTTPServer):
    """One thread per connection: requests really run concurrently (overlaps, hangs)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64  # a fault campaign opens many connections at once

    def __init__(self, address, store, settings, admin_token: str):
        self.store = store
        self.settings = settings
        self.admin_token = admin_token
        self.faults = FaultQueue()
        self.chaos = Chaos()
        self.stats = RequestStats()
        super().__init__(address, Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class RequestFaults:
    """The faults of one Netvisor request: a queued one where it matches, else the single
    chaos draw of the request (only when no queued fault could strike it)."""

    def __init__(self, server: SandboxServer, resource: str, method: str):
        self.server = server
        self.resource = resource
        self.method = method
        drawn = server.chaos.draw(resource, method)
        self.drawn = None if server.faults.pending(resource, method) else drawn

    def take(self, stage: str):
        fault = self.server.faults.take(self.resource, stage, self.method)
        if fault is None and self.drawn is not None and STAGES[self.drawn.mode] == stage:
            fault = self.drawn
        return fault

    def applied(self, fault) -> None:
        """Count a fault that did strike (garbage in an empty list does not)."""
        self.server.stats.injected(fault.mode)
        if fault is self.drawn:
            self.server.chaos.count(fault.mode)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse one connection
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms ACK wait
    server_version = "netvisor-sandbox"
    sys_version = ""

    def log_request(self, code="-", size="-"):
        """Quiet: one line per request would slow the benchmark and add only noise."""

    def handle(self):
        try:
            super().handle()
        except ConnectionError:  # the client went away (its read timeout, a reset): fine
            self.close_connection = True

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    # -- plumbing ------------------------------------------------------------------------
    def _read_body(self) -> bytes | None:
        """The request body, or None when it exceeds the size limit.

        A body over the limit is still read to its end (and dropped, a chunk at a time),
        up to `DRAIN_LIMIT`: a client that is still sending when the answer comes and
        the socket closes gets a reset instead of the answer, and could not tell a
        refused request from a lost one. Beyond that the connection is closed unread."""
        limit = self.server.settings.max_body_bytes
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, size = [], 0
            while True:
                length = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if not length:
                    while self.rfile.readline().strip():  # trailers
                        pass
                    return None if size > limit else b"".join(chunks)
                size += length
                if size > DRAIN_LIMIT:
                    self.close_connection = True
                    return None
                if size > limit:
                    chunks = []
                    self._discard(length)
                else:
                    chunks.append(self.rfile.read(length))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > limit:
            if length > DRAIN_LIMIT:
                self.close_connection = True
            else:
                self._discard(length)
            return None
        return self.rfile.read(length) if length else b""

    def _discard(self, length: int) -> None:
        while length > 0:
            got = self.rfile.read(min(length, DRAIN_CHUNK))
            if not got:  # the client stopped sending: nothing more to read on this socket
                self.close_connection = True
                return
            length -= len(got)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except ConnectionError:  # e.g. the late answer of a hang: nobody is listening
            self.close_connection = True

    def _drop(self, reset: bool = False) -> None:
        """Close the socket without answering (the client sees EOF, or a reset)."""
        self.close_connection = True
        try:
            if reset:  # linger 0: close() sends RST instead of FIN
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _split_target(self) -> tuple[str, str, str]:
        """(url for the MAC, path, query) from the raw request target."""
        target = self.path
        if target.startswith(("http://", "https://")):
            url = target
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        else:
            host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
            # Behind a TLS-terminating proxy the client signed https://; trust its header.
            forwarded = (self.headers.get("X-Forwarded-Proto") or "").strip().lower()
            scheme = forwarded if forwarded in ("http", "https") else "http"
            url = f"{scheme}://{host}{target}"
        path, _, query = target.partition("?")
        return url, path, query

    # -- pipeline --------------------------------------------------------------------------
    def _dispatch(self):
        url, path, query = self._split_target()
        try:
            body = self._read_body()
        except ValueError:  # bad Content-Length or chunk size: the stream is unusable
            body = b""
            self.close_connection = True
            problem = NetvisorFault("INVALID_DATA", "body_malformed")
        else:
            problem = None
            if body is None:
                problem = NetvisorFault(
                    "INVALID_DATA_SIZE", "body_too_large", limit=self.server.settings.max_body_bytes
                )
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            status, data = (
                (400, {"error": "unreadable or too large body"})
                if problem
                else admin.handle(self.server, self.command, path, query, self.headers, body)
            )
            self._send(status, json.dumps(data).encode(), "application/json")
            return
        organisation_id = (self.headers.get(H_ORGANISATION) or "").strip()
        with self.server.stats.request(organisation_id):  # answered after it ends
            result = self._answer(url, path, query, body, problem)
        if result is RESET:
            self._drop(reset=True)
        elif result is None:
            self._drop()
        else:
            self._send(*result)

    def _answer(self, url, path, query, body, problem):
        """(status, body, content type) of one Netvisor request, or None / RESET to
        close the connection without an answer."""
        language = language_of(self.headers)
        use_status = (self.headers.get(H_HTTP_STATUS) or "").strip() == "1"
        try:
            return self._netvisor(url, path, query, body, problem)
        except NetvisorFault as error:
            fault = error
        except Exception:  # a sandbox bug must still look like Netvisor, not a dead socket
            self.log_error("unexpected error:\n%s", traceback.format_exc())
            fault = NetvisorFault("TECHNICAL_ERROR", "technical")
        return (
            fault.http_status if use_status else 200,
            envelope.failed(fault.message(language), raw_amp=fault.raw_amp),
            NETVISOR_TYPE,
        )

    def _netvisor(self, url, path, query, body, problem):
        """Run one Netvisor request through the pipeline of API.md §8 and the faults."""
        arrived = time.time()  # a held request was on time when it arrived
        resource, handler = self._route(path)
        faults = RequestFaults(self.server, resource, self.command)
        fault = faults.take("before_auth")
        if fault is not None:
            faults.applied(fault)
            if fault.mode == "hang":  # still running in Netvisor after the client gave up
                time.sleep(fault.seconds)
            else:
                return self._before_auth(fault, url)
        if self.server.settings.latency_ms:
            time.sleep(self.server.settings.latency_ms / 1000)
        if problem is not None:
            raise problem
        company = authenticate(
            self.headers, url, self.server.store, self.server.settings, now=arrived
        )
        if company.package not in seed.PACKAGES_WITH_API:
            raise NetvisorFault("SERVICE_ACCESS_ERROR", "no_api_access")
        fault = faults.take("after_auth")
        if fault is not None:
            faults.applied(fault)
            raise NetvisorFault(fault.category, text=fault.text or "Injected failure")
        scheme, _, host = url.split("/", 3)[:3]
        request = Request(body, query, f"{scheme}//{host}", self.server.store, self.server.settings)
        payload = handler(request, company)
        fault = faults.take("after_commit")
        if fault is None:
            return 200, envelope.ok(payload), NETVISOR_TYPE
        if fault.mode == "garbage_numbers":
            if garble_numbers(payload):
                faults.applied(fault)
            return 200, envelope.ok(payload), NETVISOR_TYPE
        faults.applied(fault)
        if fault.mode == "drop_after_commit":
            return None
        if fault.mode in GATEWAY_FAULTS:
            return gateway_page(GATEWAY_FAULTS[fault.mode])
        raise NetvisorFault("TECHNICAL_ERROR", "technical")  # technical_error_after_commit

    def _before_auth(self, fault, url):
        """A fault that ends the request before anything is processed."""
        if fault.mode == "reset_before":
            return RESET
        if fault.mode in GATEWAY_FAULTS:
            return gateway_page(GATEWAY_FAULTS[fault.mode])
        if fault.mode == "raw_amp_auth_failed":
            echoed = echoed_mac_input(self.headers, url, self.server.store)
            raise RawAmpFault("AUTHENTICATION_FAILED", "mac_invalid", expected=echoed)
        text_id = "maintenance" if fault.mode == "SYSTEM_MAINTENANCE" else "technical"
        raise NetvisorFault(fault.mode, text_id)

    def _route(self, path: str):
        """Case-insensitive `/<resource>.nv`; wrong method or unknown name -> INVALID_DATA."""
        name = path.strip("/").lower()
        resource = name.removesuffix(".nv")
        if not name.endswith(".nv") or "/" in resource or resource not in RESOURCES:
            raise NetvisorFault("INVALID_DATA", "resource_unknown", resource=name[:60])
        method, handler = RESOURCES[resource]
        if self.command != method:
            raise NetvisorFault(
                "INVALID_DATA", "method_not_allowed", method=self.command, resource=f"{resource}.nv"
            )
        return resource, handler
