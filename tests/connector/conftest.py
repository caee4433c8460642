import datetime
from decimal import Decimal

import pytest
import responses as responses_lib

from ecomjet_netvisor.netvisor import NetvisorClient, Voucher, VoucherLine
from tests.connector.netvisor_test_support import BASE_URL, make_credentials


@pytest.fixture
def credentials():
    return make_credentials()


@pytest.fixture
def sleeps():
    """Delays the client asked for; the injected sleep records instead of sleeping."""
    return []


@pytest.fixture
def make_client(sleeps):
    clients = []

    def factory(base_url=BASE_URL, **kwargs):
        kwargs.setdefault("sleep", sleeps.append)
        client = NetvisorClient(make_credentials(base_url), **kwargs)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def http():
    """responses mock: unregistered URLs fail and every registered one must be called."""
    with responses_lib.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def sales_voucher():
    """The §4.5 sales example of API.md as voucher data."""
    return Voucher(
        date=datetime.date(2025, 1, 31),
        voucher_class="Myyntilasku",
        description="Myyntilaskut 01/2025 [ext:SALES-2025-01]",
        lines=(
            VoucherLine(Decimal("1255.00"), "1701", description="Myyntisaamiset 01/2025"),
            VoucherLine(
                Decimal("-1000.00"),
                "3000",
                Decimal("25.5"),
                "KOMY",
                "Myynti 25,5 % 01/2025",
                (("Projekti", "P-100"),),
            ),
            VoucherLine(Decimal("-255.00"), "2939", description="Myynnin ALV 01/2025"),
        ),
    )
