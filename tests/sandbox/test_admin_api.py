"""The admin API answers only to X-Sandbox-Admin-Token, never to Netvisor credentials,
and steers companies, locks and stored vouchers."""

import requests

from netvisor_sandbox import seed
from netvisor_sandbox.testing import sign_headers, voucher_xml

ORG = seed.COMPANY_A.organisation_id


def test_admin_without_token_is_refused(sandbox):
    response = requests.get(f"{sandbox.url}/_sandbox/companies", timeout=10)
    assert response.status_code == 401


def test_admin_with_wrong_token_is_refused(sandbox):
    response = requests.get(
        f"{sandbox.url}/_sandbox/companies", headers={"X-Sandbox-Admin-Token": "wrong"}, timeout=10
    )
    assert response.status_code == 401


def test_admin_refuses_valid_netvisor_credentials(sandbox):
    url = f"{sandbox.url}/_sandbox/companies/{ORG}/vouchers"
    for method in ("GET", "DELETE"):
        response = requests.request(method, url, headers=sign_headers(url), timeout=10)
        assert response.status_code == 401
        assert "vouchers" not in response.json()


def test_admin_token_is_not_a_netvisor_credential(sandbox):
    response = requests.get(
        f"{sandbox.url}/accountlist.nv",
        headers={"X-Sandbox-Admin-Token": sandbox.admin_token},
        timeout=10,
    )
    assert "AUTHENTICATION_FAILED :: " in response.text


def test_unknown_admin_endpoint_is_404(sandbox):
    assert sandbox.admin("GET", "nothing").status_code == 404
    assert sandbox.admin("GET", "companies/0000000-0/vouchers").status_code == 404


def test_list_companies_shows_seeded_companies_without_keys(sandbox):
    response = sandbox.admin("GET", "companies")
    companies = {c["organisation_id"]: c for c in response.json()["companies"]}
    assert companies[ORG]["name"] == "Demo Oy"
    assert companies[ORG]["customer_ids"] == [seed.COMPANY_A.customer_id]
    assert companies[seed.COMPANY_C.organisation_id]["package"] == "basic"
    assert seed.COMPANY_A.customer_key not in response.text


def test_list_vouchers_gives_full_lines_and_reset_removes_them(sandbox, nv):
    key = nv.import_voucher(voucher_xml())
    (voucher,) = sandbox.admin("GET", f"companies/{ORG}/vouchers").json()["vouchers"]
    assert voucher["netvisor_key"] == int(key)
    assert voucher["date"] == "2025-01-31"
    assert voucher["voucher_class"] == "Myyntilasku"
    assert [
        (ln["account_number"], ln["amount"], ln["vat_code"], ln["vat_percent"])
        for ln in voucher["lines"]
    ] == [
        ("1701", "1255.00", "NONE", "0"),
        ("3000", "-1000.00", "KOMY", "25.5"),
        ("2939", "-255.00", "NONE", "0"),
    ]
    assert sandbox.admin("DELETE", f"companies/{ORG}/vouchers").json() == {"deleted": 1}
    assert sandbox.admin("GET", f"companies/{ORG}/vouchers").json()["vouchers"] == []
    assert nv.ledger(f"netvisorkey={key}") == []


def test_list_vouchers_by_status(sandbox, nv):
    key = nv.import_voucher(voucher_xml())
    nv.import_voucher(voucher_xml())
    nv.post(
        "invalidatevouchers.nv",
        '<root><invalidatevouchers identifier="netvisorkey">'
        f"<invalidatevoucher>{key}</invalidatevoucher></invalidatevouchers></root>",
    )
    listed = sandbox.admin("GET", f"companies/{ORG}/vouchers?status=invalidated").json()
    assert [v["netvisor_key"] for v in listed["vouchers"]] == [int(key)]


def test_reset_does_not_touch_other_companies(sandbox, nv):
    key_b = nv.import_voucher(voucher_xml(), company=seed.COMPANY_B)
    sandbox.admin("DELETE", f"companies/{ORG}/vouchers")
    assert len(nv.ledger(f"netvisorkey={key_b}", company=seed.COMPANY_B)) == 1
    sandbox.admin("DELETE", f"companies/{seed.COMPANY_B.organisation_id}/vouchers")


def test_created_company_gets_credentials_chart_and_works(sandbox, nv):
    response = sandbox.admin(
        "POST",
        "companies",
        {
            "name": "Uusi Oy",
            "organisation_id": "2345678-0",
            "customer_id": "SANDBOX_NEW_1",
            "package": "premium",
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()
    company = seed.SeedCompany(
        "Uusi Oy", "2345678-0", "SANDBOX_NEW_1", created["customer_key"], "premium"
    )
    assert nv.import_voucher(voucher_xml(), company=company)
    duplicate = sandbox.admin(
        "POST", "companies", {"name": "Uusi Oy", "organisation_id": "2345678-0", "customer_id": "X"}
    )
    assert duplicate.status_code == 409


def test_created_basic_company_is_service_access_error(sandbox, nv):
    created = sandbox.admin(
        "POST",
        "companies",
        {
            "name": "Pieni Oy",
            "organisation_id": "4567890-7",
            "customer_id": "SANDBOX_SMALL",
            "customer_key": "d4" * 16,
            "package": "basic",
        },
    )
    assert created.status_code == 201
    company = seed.SeedCompany("Pieni Oy", "4567890-7", "SANDBOX_SMALL", "d4" * 16, "basic")
    assert nv.get("accountlist.nv", company=company).category == "SERVICE_ACCESS_ERROR"


def test_bad_admin_input_is_400(sandbox):
    assert sandbox.admin("POST", "companies", {"name": "X"}).status_code == 400
    assert (
        sandbox.admin(
            "PUT", f"companies/{ORG}/locks", {"accounting_lock_date": "31.1.2025"}
        ).status_code
        == 400
    )
    assert sandbox.admin("PATCH", "settings", {"period_list_layout": "diagonal"}).status_code == 400
    assert sandbox.admin("PATCH", "settings", {"no_such": 1}).status_code == 400


def test_added_api_user_can_use_the_company(sandbox, nv):
    response = sandbox.admin("POST", f"companies/{ORG}/users", {"customer_id": "SANDBOX_A_0002"})
    assert response.status_code == 201
    user = seed.SeedCompany(
        "Demo Oy", ORG, "SANDBOX_A_0002", response.json()["customer_key"], "professional"
    )
    assert nv.get("vouchertypelist.nv", company=user).status == "OK"
