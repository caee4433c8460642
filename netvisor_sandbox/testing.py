"""Helpers for tests and the demo: run the sandbox as a subprocess, sign requests.

`sign_headers` is written from API.md §2.3 on its own, independent of the connector, so
the sandbox's tests check the sandbox against the spec rather than against the client.
"""

import datetime
import hashlib
import hmac
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path
from xml.sax.saxutils import escape

import requests

from . import seed

REPO_ROOT = Path(__file__).resolve().parent.parent

# (linesum, account, vat code, vat percent, description): a balanced January sales voucher.
SALES_LINES = (
    ("1255,00", "1701", "NONE", "0", "Myyntisaamiset 01/2025"),
    ("-1000,00", "3000", "KOMY", "25,5", "Myynti 25,5 % 01/2025"),
    ("-255,00", "2939", "NONE", "0", "Myynnin ALV 01/2025"),
)


def voucher_xml(
    lines=SALES_LINES,
    *,
    date: str = "2025-01-31",
    voucher_class: str = "Myyntilasku",
    description: str | None = "Myyntilaskut 01/2025 [ext:SALES-2025-01]",
    number: str | None = None,
    mode: str = "net",
    comment: str | None = None,
) -> str:
    """An accounting.nv body in documented element order (API.md §4.1), lower case.

    A line is (linesum, account, vatcode or None, vatpercent, description or None[, dims]).
    """
    parts = [
        f"<root><voucher><calculationmode>{mode}</calculationmode>",
        f'<voucherdate format="ansi">{date}</voucherdate>',
    ]
    if number is not None:
        parts.append(f"<number>{number}</number>")
    if description is not None:
        parts.append(f"<description>{escape(description)}</description>")
    parts.append(f"<voucherclass>{escape(voucher_class)}</voucherclass>")
    if comment is not None:
        parts.append(f"<comment>{escape(comment)}</comment>")
    for amount, account, code, percent, text, *dimensions in lines:
        parts.append(f'<voucherline><linesum type="{mode}">{amount}</linesum>')
        if text is not None:
            parts.append(f"<description>{escape(text)}</description>")
        parts.append(f"<accountnumber>{account}</accountnumber>")
        code_attr = "" if code is None else f' vatcode="{code}"'
        parts.append(f"<vatpercent{code_attr}>{percent}</vatpercent>")
        for name, item in dimensions[0] if dimensions else ():
            parts.append(
                f"<dimension><dimensionname>{escape(name)}</dimensionname>"
                f"<dimensionitem>{escape(item)}</dimensionitem></dimension>"
            )
        parts.append("</voucherline>")
    parts.append("</voucher></root>")
    return "".join(parts)


def sign_headers(
    url: str,
    *,
    customer_id: str = seed.COMPANY_A.customer_id,
    customer_key: str = seed.COMPANY_A.customer_key,
    organisation_id: str = seed.COMPANY_A.organisation_id,
    partner_id: str = seed.PARTNER_ID,
    partner_key: str = seed.PARTNER_KEY,
    sender: str = "netvisor-sandbox tests",
    language: str = "FI",
    algorithm: str | None = "HMACSHA256",
    timestamp: str | None = None,
    timestamp_unix: str | None = None,
    transaction_id: str | None = None,
    use_http_status_codes: bool = False,
) -> dict[str, str]:
    """Netvisor headers for one request to `url` (the exact absolute URL that is sent).

    algorithm None sends no algorithm header (the server then assumes MD5).
    """
    now = datetime.datetime.now(datetime.timezone.utc)
    timestamp = timestamp or now.strftime("%Y-%m-%d %H:%M:%S.") + f"{now.microsecond // 1000:03d}"
    timestamp_unix = timestamp_unix or str(int(now.timestamp()))
    transaction_id = transaction_id or uuid.uuid4().hex
    effective = algorithm or "MD5"
    fields = [url, sender, customer_id, timestamp, language, organisation_id, transaction_id]
    if effective == "HMACSHA256":
        fields.append(timestamp_unix)
    message = "&".join([*fields, customer_key, partner_key]).encode("iso-8859-1")
    if effective == "HMACSHA256":
        key = (customer_key + "&" + partner_key).encode("iso-8859-1")
        mac = hmac.new(key, message, hashlib.sha256).hexdigest()
    elif effective == "SHA256":
        mac = hashlib.sha256(message).hexdigest()
    else:
        mac = hashlib.md5(message, usedforsecurity=False).hexdigest()
    headers = {
        "X-Netvisor-Authentication-Sender": sender,
        "X-Netvisor-Authentication-CustomerId": customer_id,
        "X-Netvisor-Authentication-PartnerId": partner_id,
        "X-Netvisor-Authentication-Timestamp": timestamp,
        "X-Netvisor-Authentication-TransactionId": transaction_id,
        "X-Netvisor-Interface-Language": language,
        "X-Netvisor-Organisation-ID": organisation_id,
        "X-Netvisor-Authentication-MAC": mac,
    }
    if algorithm:
        headers["X-Netvisor-Authentication-MACHashCalculationAlgorithm"] = algorithm
    if effective == "HMACSHA256":
        headers["X-Netvisor-Authentication-TimestampUnix"] = timestamp_unix
    if use_http_status_codes:
        headers["X-Netvisor-Authentication-UseHTTPResponseStatusCodes"] = "1"
    return headers


class SandboxProcess:
    """`with SandboxProcess() as sandbox:` runs `python3 -m netvisor_sandbox --port 0`.

    The demo passes a fixed `port` and its own `data_dir`.

    A temporary data directory is created (and removed) unless `data_dir` is given.
    """

    def __init__(
        self,
        *args: str,
        data_dir: str | Path | None = None,
        port: int = 0,
        admin_token: str | None = None,
        startup_timeout: float = 20.0,
    ):
        self.args = list(args)
        self.port = port
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="netvisor-sandbox-"))
        self.admin_token = admin_token or uuid.uuid4().hex
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.session = requests.Session()

    def start(self) -> "SandboxProcess":
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        self._stderr = (self.data_dir / "stderr.log").open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "netvisor_sandbox",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--data",
                str(self.data_dir),
                "--admin-token",
                self.admin_token,
                *self.args,
            ],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=env,
        )
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, args=(self.process.stdout, lines), daemon=True).start()
        try:
            first = lines.get(timeout=self.startup_timeout)
        except queue.Empty:
            first = ""
        if not first or " listening on " not in first:
            self.stop()
            raise RuntimeError(f"sandbox did not start: {first!r}")
        self.url = first.rsplit(" ", 1)[1].strip()
        return self

    @staticmethod
    def _pump(stream, lines: queue.Queue) -> None:
        for line in stream:
            lines.put(line)
        lines.put("")

    def admin(self, method: str, path: str, json=None) -> requests.Response:
        """Call the admin API, e.g. `admin("PUT", "companies/1234567-1/locks", {...})`."""
        return self.session.request(
            method,
            f"{self.url}/_sandbox/{path.lstrip('/')}",
            json=json,
            headers={"X-Sandbox-Admin-Token": self.admin_token},
            timeout=30,
        )

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM and wait; returns the exit code."""
        self.session.close()
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        code = self.process.returncode
        self._stderr.close()
        self.process = None
        return code

    def restart(self) -> "SandboxProcess":
        """Stop and start again on the same data directory (the port may change)."""
        self.stop()
        self.session = requests.Session()
        return self.start()

    def __enter__(self) -> "SandboxProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
