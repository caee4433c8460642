"""Shared helpers for the connector tests: Netvisor envelopes and a raw loopback server.

The raw server speaks just enough HTTP/1.1 to show what really went over the wire and to
produce real transport failures (no answer, connection reset) that mocks cannot imitate.
"""

import socket
import ssl
import struct
import subprocess
import threading
from pathlib import Path
from xml.sax.saxutils import escape

from ecomjet_netvisor.netvisor import Credentials

BASE_URL = "https://isvapi.netvisor.fi"
CUSTOMER_KEY = "C0FFEE00C0FFEE00C0FFEE00C0FFEE00"
PARTNER_KEY = "BADC0DE0BADC0DE0BADC0DE0BADC0DE0"


def make_credentials(base_url=BASE_URL, **overrides):
    values = {
        "base_url": base_url,
        "sender": "Kuukausikirjaus Oy integraatio",
        "customer_id": "TESTCUST_12345",
        "customer_key": CUSTOMER_KEY,
        "partner_id": "TESTPARTNER_1",
        "partner_key": PARTNER_KEY,
        "organisation_id": "1234567-8",
        "language": "FI",
    }
    values.update(overrides)
    return Credentials(**values)


DATA = Path(__file__).parent / "data"
DECLARATION = '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n'


def data(name):
    """Bytes of a sample file under tests/connector/data."""
    return (DATA / name).read_bytes()


def ok_envelope(payload=""):
    return (
        f"{DECLARATION}<Root>\r\n    <ResponseStatus>\r\n        <Status>OK</Status>\r\n"
        f"        <TimeStamp>3.2.2025 10:15:31</TimeStamp>\r\n    </ResponseStatus>\r\n"
        f"{payload}</Root>\r\n"
    ).encode()


def failed_envelope(detail):
    return (
        f"{DECLARATION}<Root>\r\n    <ResponseStatus>\r\n        <Status>FAILED</Status>\r\n"
        f"        <Status>{escape(detail)}</Status>\r\n"
        f"        <TimeStamp>3.2.2025 10:15:31</TimeStamp>\r\n    </ResponseStatus>\r\n</Root>\r\n"
    ).encode()


INSERTED = ok_envelope("<Replies><InsertedDataIdentifier>4711</InsertedDataIdentifier></Replies>")
EMPTY_LEDGER = ok_envelope("<Vouchers />")


def http_response(body, status="200 OK"):
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class RawServer:
    """Loopback HTTP server; ``behaviour(request)`` returns response bytes, 'hang' or 'reset'.

    ``requests`` records each request as (request line, headers dict, body);
    ``connections`` counts accepted TCP connections. With ``tls`` (an ``ssl.SSLContext``)
    the server speaks HTTPS on ``https://127.0.0.1:<port>``.
    """

    def __init__(self, behaviour, tls=None):
        self.behaviour = behaviour
        self.tls = tls
        self.requests = []
        self.connections = 0
        self._stop = threading.Event()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self.base_url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._threads = [threading.Thread(target=self._accept, daemon=True)]

    def __enter__(self):
        self._threads[0].start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._sock.close()

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _address = self._sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _read_request(self, conn, buffer):
        while b"\r\n\r\n" not in buffer:
            chunk = conn.recv(65536)
            if not chunk:
                return None, b""
            buffer += chunk
        head, buffer = buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("iso-8859-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _sep, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(buffer) < length:
            buffer += conn.recv(65536)
        return (lines[0], headers, buffer[:length]), buffer[length:]

    def _serve(self, conn):
        if self.tls is not None:
            conn.settimeout(5)
            try:
                conn = self.tls.wrap_socket(conn, server_side=True)
            except OSError:  # the client refused the certificate
                conn.close()
                return
        conn.settimeout(0.1)
        buffer = b""
        with conn:
            while not self._stop.is_set():
                try:
                    request, buffer = self._read_request(conn, buffer)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if request is None:
                    return
                self.requests.append(request)
                action = self.behaviour(request)
                if action == "hang":
                    self._stop.wait()
                    return
                if action == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                conn.sendall(action)


def closed_port():
    """A loopback port with nothing listening (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed_tls_context(directory):
    """Server TLS context with a fresh self-signed certificate for 127.0.0.1 (openssl CLI)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def unaccepting_port():
    """A loopback listener whose accept queue is full: a connect to it never completes.

    Returns (port, sockets to close). Linux drops further SYNs once the queue is full, so
    a client connecting now waits for its connect timeout, like a dead host.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    held = [listener]
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        held.append(filler)
    return port, held
