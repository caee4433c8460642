"""Cost of the Netvisor connector per voucher (DESIGN.md §7: small beside one round trip).

Run from the repository root:  python3 tests/benchmarks/bench_connector.py [-n 5000] [--e2e 500]

1. In-process: build + validate the XML of a 10-line voucher, sign (MAC + headers) and parse
   a typical OK answer, N times on one core -> vouchers/s (target >= 2,000/s).
2. End-to-end against the local sandbox (``python3 -m netvisor_sandbox --port 0``, zero
   latency, fresh temporary data directory): the client's POST accounting.nv and GET
   vouchertypelist.nv per request, minus a baseline of the same requests sent with
   ``http.client`` over one keep-alive connection with headers signed beforehand. The
   baseline contains the server's own time and bare HTTP, so the difference is what the
   connector adds per request. ``--stub`` uses a canned stdlib server instead.

Timings are printed, never asserted.
"""

import argparse
import datetime
import http.client
import http.server
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ecomjet_netvisor.netvisor import (  # noqa: E402
    Credentials,
    NetvisorClient,
    Voucher,
    VoucherLine,
    build_voucher_xml,
)
from ecomjet_netvisor.netvisor.responses import parse_inserted_key, read_envelope  # noqa: E402

ROUNDS = 3
OK_ANSWER = (
    b'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n<Root>\r\n'
    b"    <ResponseStatus>\r\n        <Status>OK</Status>\r\n"
    b"        <TimeStamp>3.2.2025 10:15:31</TimeStamp>\r\n    </ResponseStatus>\r\n"
    b"    <Replies>\r\n        <InsertedDataIdentifier>4711</InsertedDataIdentifier>\r\n"
    b"    </Replies>\r\n</Root>\r\n"
)

TYPES_ANSWER = OK_ANSWER.replace(
    b"<Replies>\r\n        <InsertedDataIdentifier>4711</InsertedDataIdentifier>\r\n    </Replies>",
    b"<VoucherTypeList><DefaultVoucherTypes><SalesInvoices><NetvisorKey>1</NetvisorKey>"
    b"</SalesInvoices></DefaultVoucherTypes><VoucherTypes><VoucherType>"
    b"<NetvisorKey>1</NetvisorKey><Abbreviation>ML</Abbreviation><Name>Myyntilasku</Name>"
    b"</VoucherType></VoucherTypes></VoucherTypeList>",
)


def ten_line_voucher(date=datetime.date(2025, 1, 31), voucher_class="Myyntilasku", n=0):
    """A balanced sales voucher: receivable, 8 revenue lines at 25.5 %/14 %/10 %, VAT."""
    revenue = []
    for i, (percent, net) in enumerate(
        [("25.5", "100.00"), ("14", "57.10"), ("10", "12.34"), ("25.5", "999.99")] * 2
    ):
        revenue.append(
            VoucherLine(
                -Decimal(net),
                "3000",
                Decimal(percent),
                "KOMY",
                f"Myynti {percent} % rivi {i} <&> äö",
                (("Projekti", f"P-{i}"),),
            )
        )
    vat_total = sum(
        (-line.amount * line.vat_percent / 100).quantize(Decimal("0.01")) for line in revenue
    )
    net_total = -sum(line.amount for line in revenue)
    lines = (
        VoucherLine(net_total + vat_total, "1701", description="Myyntisaamiset"),
        *revenue,
        VoucherLine(-vat_total, "2939", description="Myynnin ALV"),
    )
    return Voucher(
        date=date,
        voucher_class=voucher_class,
        lines=lines,
        description=f"ODOO-bench-{n} Lasku {n} Asiakas Oy",
    )


# ---------------------------------------------------------------- 1. in-process


def bench_in_process(iterations):
    creds = Credentials(
        base_url="https://isvapi.netvisor.fi",
        sender="Odoo ecomjet_netvisor",
        customer_id="TESTCUST_12345",
        customer_key="C0FFEE00C0FFEE00C0FFEE00C0FFEE00",
        partner_id="TESTPARTNER_1",
        partner_key="BADC0DE0BADC0DE0BADC0DE0BADC0DE0",
        organisation_id="1234567-8",
    )
    client = NetvisorClient(creds)
    url = client.build_url("accounting.nv")
    voucher = ten_line_voucher()
    assert len(voucher.lines) == 10

    def build():
        return build_voucher_xml(voucher)

    def sign():
        return client.build_headers(url, uuid.uuid4().hex)

    def parse():
        return parse_inserted_key(read_envelope(OK_ANSWER))

    def whole():
        build()
        sign()
        parse()

    results = {}
    for name, step in (
        ("build+validate XML", build),
        ("sign (MAC+headers)", sign),
        ("parse OK answer", parse),
        ("all three", whole),
    ):
        step()  # warm up
        runs = [_timed(step, iterations) for _ in range(5)]
        results[name] = (min(r[0] for r in runs), min(r[1] for r in runs))
    client.close()
    return results


def _timed(step, iterations):
    """(CPU seconds, wall seconds) per call; CPU time ignores other processes on the box."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(iterations):
        step()
    return (
        (time.process_time() - cpu) / iterations,
        (time.perf_counter() - wall) / iterations,
    )


# ---------------------------------------------------------------- 2. end to end


class Sandbox:
    """``python3 -m netvisor_sandbox --port 0`` in a temporary data directory."""

    def __init__(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-sandbox-")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "netvisor_sandbox", "--port", "0", "--data", self._tmp.name],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.url = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            if "listening on" in line:
                self.url = line.rsplit(" ", 1)[-1].strip()
                break
        if not self.url:
            self.close()
            raise RuntimeError("the sandbox did not start")
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def close(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._tmp.cleanup()


def _serve_stub(port_queue):
    """Child process: stdlib HTTP server answering with canned OK envelopes."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else headers and body wait for a delayed ACK

        def log_message(self, *args):
            pass

        def _answer(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = OK_ANSWER if self.command == "POST" else TYPES_ANSWER
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


class Stub:
    """The canned server in its own process, so it does not share the client's GIL."""

    def __init__(self):
        ports = multiprocessing.Queue()
        self.process = multiprocessing.Process(target=_serve_stub, args=(ports,), daemon=True)
        self.process.start()
        self.url = f"http://127.0.0.1:{ports.get(timeout=30)}"

    def close(self):
        self.process.terminate()
        self.process.join(10)


def sandbox_credentials(url):
    from netvisor_sandbox import seed

    company = seed.COMPANY_A
    return Credentials(
        base_url=url,
        sender="Odoo ecomjet_netvisor benchmark",
        customer_id=company.customer_id,
        customer_key=company.customer_key,
        partner_id=seed.PARTNER_ID,
        partner_key=seed.PARTNER_KEY,
        organisation_id=company.organisation_id,
    )


def stub_credentials(url):
    return Credentials(
        base_url=url,
        sender="Odoo ecomjet_netvisor benchmark",
        customer_id="STUB",
        customer_key="k" * 32,
        partner_id="STUB",
        partner_key="p" * 32,
        organisation_id="1234567-8",
    )


def open_date_and_class(client):
    """A voucher date after the lock date inside a period, and the sales voucher type name."""
    info = client.get_accounting_periods()
    lock = info.accounting_lock_date or datetime.date.min
    date = next(
        max(period.begin, lock + datetime.timedelta(days=1))
        for period in info.periods
        if period.end > lock
    )
    types = client.get_voucher_types()
    sales_key = types.defaults.get("SalesInvoices")
    name = next((t.name for t in types.types if t.netvisor_key == sales_key), "Myyntilasku")
    return date, name


class Clock:
    """Wall and this process's CPU time per request (the server runs in another process)."""

    def __init__(self, count):
        self.count = count
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self):
        return (
            (time.perf_counter() - self.wall) / self.count,
            (time.process_time() - self.cpu) / self.count,
        )


def bench_client(client, requests_count, vouchers):
    """Connector per request: POST accounting.nv, GET vouchertypelist -> ((wall, cpu), ...)."""
    clock = Clock(requests_count)
    for voucher in vouchers[:requests_count]:
        client.import_voucher(voucher)
    post = clock.stop()
    clock = Clock(requests_count)
    for _ in range(requests_count):
        client.get_voucher_types()
    return post, clock.stop()


def bench_raw(signer, base_url, requests_count, bodies):
    """Same requests with http.client, keep-alive, every header signed beforehand."""
    parts = urlsplit(base_url)
    post_url = signer.build_url("accounting.nv")
    get_url = signer.build_url("vouchertypelist.nv")
    posts = [
        (
            {
                **signer.build_headers(post_url, uuid.uuid4().hex),
                "Content-Type": "text/xml; charset=utf-8",
            },
            body,
        )
        for body in bodies[:requests_count]
    ]
    gets = [signer.build_headers(get_url, uuid.uuid4().hex) for _ in range(requests_count)]
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    times = []
    for method, path, batch in (
        ("POST", "/accounting.nv", posts),
        ("GET", "/vouchertypelist.nv", [(headers, None) for headers in gets]),
    ):
        clock = Clock(len(batch))
        for headers, body in batch:
            conn.request(method, path, body=body, headers=headers)
            answer = conn.getresponse()
            payload = answer.read()
            if b"<Status>OK</Status>" not in payload:
                raise RuntimeError(f"baseline {method} failed: {payload[:300]!r}")
        times.append(clock.stop())
    conn.close()
    return times


def bench_end_to_end(requests_count, use_stub):
    server = Stub() if use_stub else Sandbox()
    make_creds = stub_credentials if use_stub else sandbox_credentials
    try:
        client = NetvisorClient(make_creds(server.url), timeout=30, max_retries=0)
        if use_stub:
            date, voucher_class = datetime.date(2025, 1, 31), "Myyntilasku"
        else:
            date, voucher_class = open_date_and_class(client)
        total = requests_count * ROUNDS + 20
        vouchers = [ten_line_voucher(date, voucher_class, n) for n in range(total)]
        # warm-up: both paths, both keep-alive connections
        for voucher in vouchers[:10]:
            client.import_voucher(voucher)
        client.get_voucher_types()
        rounds = []
        for round_no in range(ROUNDS):
            chunk = vouchers[10 + round_no * requests_count : 10 + (round_no + 1) * requests_count]
            bodies = [build_voucher_xml(v) for v in chunk]
            raw_post, raw_get = bench_raw(client, server.url, requests_count, bodies)
            post, get = bench_client(client, requests_count, chunk)
            rounds.append((post, get, raw_post, raw_get))
        client.close()
        return rounds, server.url
    finally:
        server.close()


# ---------------------------------------------------------------- report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--iterations", type=int, default=5000, help="in-process loops")
    parser.add_argument("--e2e", type=int, default=500, help="requests per end-to-end batch")
    parser.add_argument("--stub", action="store_true", help="canned stdlib server, no sandbox")
    parser.add_argument("--skip-e2e", action="store_true")
    args = parser.parse_args(argv)

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load}")
    print(f"\n1. In-process, 10-line voucher, {args.iterations} iterations, best of 5")
    results = bench_in_process(args.iterations)
    print(f"   {'step':<22} {'CPU us':>8} {'per s (CPU)':>12} {'wall us':>9}")
    for name, (cpu, wall) in results.items():
        print(f"   {name:<22} {cpu * 1e6:8.1f} {1 / cpu:12,.0f} {wall * 1e6:9.1f}")
    cpu, wall = results["all three"]
    verdict = "meets" if 1 / cpu >= 2000 else "MISSES"
    print(
        f"   -> {1 / cpu:,.0f} vouchers/s per core of CPU ({verdict} the 2,000/s target); "
        f"{1 / wall:,.0f}/s by wall clock on this machine now"
    )

    if args.skip_e2e:
        return 0
    kind = "canned stdlib stub server" if args.stub else "netvisor_sandbox, latency 0"
    print(f"\n2. End-to-end over loopback ({kind}), {args.e2e} requests per batch, {ROUNDS} rounds")
    rounds, url = bench_end_to_end(args.e2e, args.stub)
    print(f"   server {url}; times in ms per request; raw = http.client, pre-signed")
    for label, index in (("wall clock", 0), ("client process CPU", 1)):
        print(f"   {label}:")
        print("   round  client POST  raw POST  overhead | client GET  raw GET  overhead")
        for i, (post, get, raw_post, raw_get) in enumerate(rounds, start=1):
            p, g, rp, rg = post[index], get[index], raw_post[index], raw_get[index]
            print(
                f"   {i:>5}  {p * 1e3:11.3f} {rp * 1e3:9.3f} {(p - rp) * 1e3:9.3f}"
                f" | {g * 1e3:10.3f} {rg * 1e3:8.3f} {(g - rg) * 1e3:9.3f}"
            )
    for label, index in (("wall clock", 0), ("client CPU", 1)):
        post_overhead = statistics.median(r[0][index] - r[2][index] for r in rounds)
        get_overhead = statistics.median(r[1][index] - r[3][index] for r in rounds)
        print(
            f"   -> connector overhead beyond server + bare HTTP ({label}, median): "
            f"POST accounting.nv {post_overhead * 1e3:.3f} ms, GET {get_overhead * 1e3:.3f} ms"
        )
    post_rate = 1 / statistics.median(r[0][0] for r in rounds)
    print(f"   -> {post_rate:,.0f} vouchers/s end to end at zero latency (POST incl. server)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
