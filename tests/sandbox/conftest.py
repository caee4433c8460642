"""One sandbox subprocess per test session, reached over real loopback HTTP.

Every test starts from the same state: default settings, no queued faults, chaos off,
fresh request stats, no lock dates and no vouchers in company A.
"""

import pytest
import requests
from lxml import etree

from netvisor_sandbox import seed
from netvisor_sandbox.testing import SandboxProcess, sign_headers

A = seed.COMPANY_A


class Reply:
    """A parsed Netvisor answer."""

    def __init__(self, response: requests.Response):
        self.response = response
        self.http_status = response.status_code
        self.root = etree.fromstring(response.content)
        statuses = self.root.findall("ResponseStatus/Status")
        self.status = statuses[0].text
        self.error = statuses[1].text if len(statuses) > 1 else None
        self.category = self.error.split(" :: ", 1)[0] if self.error else None

    def find(self, path):
        return self.root.find(path)

    def findall(self, path):
        return self.root.findall(path)


class Netvisor:
    """Signed requests to the sandbox as company A (or another seeded company)."""

    def __init__(self, sandbox: SandboxProcess):
        self.sandbox = sandbox
        self.session = requests.Session()

    def raw(self, method, resource, query="", body=None, company=A, headers=None, **sign):
        url = f"{self.sandbox.url}/{resource}" + (f"?{query}" if query else "")
        signed = sign_headers(
            url,
            customer_id=company.customer_id,
            customer_key=company.customer_key,
            organisation_id=company.organisation_id,
            **sign,
        )
        signed.update(headers or {})
        if isinstance(body, str):
            body = body.encode("utf-8")
        return self.session.request(method, url, data=body, headers=signed, timeout=30)

    def call(self, method, resource, query="", body=None, **kwargs) -> Reply:
        return Reply(self.raw(method, resource, query, body, **kwargs))

    def get(self, resource, query="", **kwargs) -> Reply:
        return self.call("GET", resource, query, **kwargs)

    def post(self, resource, body, **kwargs) -> Reply:
        return self.call("POST", resource, body=body, **kwargs)

    def import_voucher(self, body, **kwargs) -> str:
        """POST accounting.nv that must succeed; returns the new Netvisor key."""
        reply = self.post("accounting.nv", body, **kwargs)
        assert reply.status == "OK", reply.error
        return reply.find("Replies/InsertedDataIdentifier").text

    def ledger(self, query, **kwargs) -> list:
        reply = self.get("accountingledger.nv", query, **kwargs)
        assert reply.status == "OK", reply.error
        return reply.findall("Vouchers/Voucher")


@pytest.fixture(scope="session")
def sandbox():
    with SandboxProcess() as process:
        yield process


@pytest.fixture(autouse=True)
def clean_state(sandbox):
    defaults = {
        "latency_ms": 0,
        "legacy_algorithms": True,
        "timestamp_skew_seconds": 300,
        "description_limit": 255,
        "period_list_layout": "sibling",
        "vat_percents": ["0", "10", "13.5", "14", "24", "25.5"],
        "accept_foreign_voucher_class": False,
        "max_body_bytes": 16 * 1024 * 1024,
    }
    assert sandbox.admin("PATCH", "settings", defaults).status_code == 200
    assert sandbox.admin("DELETE", "faults").status_code == 200
    assert sandbox.admin("DELETE", "chaos").status_code == 200
    assert sandbox.admin("DELETE", "stats").status_code == 200
    assert sandbox.admin("DELETE", f"companies/{A.organisation_id}/vouchers").status_code == 200
    locks = {"accounting_lock_date": None, "vat_lock_date": None, "purchase_lock_date": None}
    assert sandbox.admin("PUT", f"companies/{A.organisation_id}/locks", locks).status_code == 200


@pytest.fixture
def nv(sandbox):
    client = Netvisor(sandbox)
    yield client
    client.session.close()
