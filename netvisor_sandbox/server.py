"""The HTTP server: routing, the request pipeline of API.md §8, fault injection."""

import json
import socket
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import admin, envelope, seed
from .auth import H_HTTP_STATUS, authenticate, language_of
from .errors import NetvisorFault
from .faults import FaultQueue
from .resources import RESOURCES, Request

ADMIN_PREFIX = "/_sandbox"
BAD_GATEWAY_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
)


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, store, settings, admin_token: str):
        self.store = store
        self.settings = settings
        self.admin_token = admin_token
        self.faults = FaultQueue()
        super().__init__(address, Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse one connection
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms ACK wait
    server_version = "netvisor-sandbox"
    sys_version = ""

    def log_request(self, code="-", size="-"):
        """Quiet: one line per request would slow the benchmark and add only noise."""

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    # -- plumbing ------------------------------------------------------------------------
    def _read_body(self) -> bytes | None:
        """The request body, or None when it exceeds the size limit (not read then)."""
        limit = self.server.settings.max_body_bytes
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, size = [], 0
            while True:
                length = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if not length:
                    while self.rfile.readline().strip():  # trailers
                        pass
                    return b"".join(chunks)
                size += length
                if size > limit:
                    return None
                chunks.append(self.rfile.read(length))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > limit:
            return None
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _drop(self) -> None:
        """Close the socket without answering (the client sees a reset/EOF)."""
        self.close_connection = True
        try:
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
                self.close_connection = True
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
        language = language_of(self.headers)
        use_status = (self.headers.get(H_HTTP_STATUS) or "").strip() == "1"
        try:
            result = self._netvisor(url, path, query, body, problem)
        except NetvisorFault as fault:
            result = (
                fault.http_status if use_status else 200,
                envelope.failed(fault.message(language)),
            )
        except Exception:  # a sandbox bug must still look like Netvisor, not a dead socket
            self.log_error("unexpected error:\n%s", traceback.format_exc())
            fault = NetvisorFault("TECHNICAL_ERROR", "technical")
            result = (
                fault.http_status if use_status else 200,
                envelope.failed(fault.message(language)),
            )
        if result is None:
            self._drop()
        elif result[1] is BAD_GATEWAY_PAGE:
            self._send(502, BAD_GATEWAY_PAGE, "text/html")
        else:
            self._send(*result, "text/html; charset=utf-8")

    def _netvisor(self, url, path, query, body, problem):
        """Run one Netvisor request; (status, envelope), or None to drop the connection."""
        resource, handler = self._route(path)
        fault = self.server.faults.take(resource, "before_auth")
        if fault is not None and fault.mode == "non_xml_502":
            return 502, BAD_GATEWAY_PAGE
        if fault is not None:
            text_id = "maintenance" if fault.mode == "SYSTEM_MAINTENANCE" else "technical"
            raise NetvisorFault(fault.mode, text_id)
        if self.server.settings.latency_ms:
            time.sleep(self.server.settings.latency_ms / 1000)
        if problem is not None:
            raise problem
        company = authenticate(self.headers, url, self.server.store, self.server.settings)
        if company.package not in seed.PACKAGES_WITH_API:
            raise NetvisorFault("SERVICE_ACCESS_ERROR", "no_api_access")
        fault = self.server.faults.take(resource, "after_auth")
        if fault is not None:
            raise NetvisorFault(fault.category, text=fault.text or "Injected failure")
        scheme, _, host = url.split("/", 3)[:3]
        request = Request(body, query, f"{scheme}//{host}", self.server.store, self.server.settings)
        payload = handler(request, company)
        if self.server.faults.take(resource, "after_commit") is not None:
            return None
        return 200, envelope.ok(payload)

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
