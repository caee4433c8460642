"""PERIOD_LOCK on or before AccountingPeriodLockDate (§6.2) and invalidatevouchers.nv
(§4.6): invalidated vouchers stay visible only when asked for."""

import pytest

from netvisor_sandbox import seed
from netvisor_sandbox.testing import voucher_xml

ORG = seed.COMPANY_A.organisation_id


def _lock(sandbox, **dates):
    response = sandbox.admin("PUT", f"companies/{ORG}/locks", dates)
    assert response.status_code == 200, response.text


def _invalidate_xml(*keys, comment=None, identifier="netvisorkey"):
    inner = f"<comment>{comment}</comment>" if comment else ""
    inner += "".join(f"<invalidatevoucher>{k}</invalidatevoucher>" for k in keys)
    return (
        f'<root><invalidatevouchers identifier="{identifier}">{inner}</invalidatevouchers></root>'
    )


@pytest.mark.parametrize("date", ["2025-01-31", "2025-01-30", "2025-01-01"])
def test_voucher_on_or_before_lock_date_is_period_lock(sandbox, nv, date):
    _lock(sandbox, accounting_lock_date="2025-01-31")
    reply = nv.post("accounting.nv", voucher_xml(date=date))
    assert (reply.category, reply.http_status) == ("PERIOD_LOCK", 200)
    reply = nv.post("accounting.nv", voucher_xml(date=date), use_http_status_codes=True)
    assert (reply.category, reply.http_status) == ("PERIOD_LOCK", 409)


def test_voucher_after_lock_date_is_accepted(sandbox, nv):
    _lock(sandbox, accounting_lock_date="2025-01-31")
    assert nv.import_voucher(voucher_xml(date="2025-02-01"))


def test_locked_voucher_is_not_stored(sandbox, nv):
    _lock(sandbox, accounting_lock_date="2025-01-31")
    nv.post("accounting.nv", voucher_xml(date="2025-01-15"))
    assert sandbox.admin("GET", f"companies/{ORG}/vouchers").json()["vouchers"] == []


def test_vat_lock_blocks_vat_coded_lines_only(sandbox, nv):
    _lock(sandbox, vat_lock_date="2025-01-31")
    assert nv.post("accounting.nv", voucher_xml()).category == "PERIOD_LOCK"  # has KOMY
    no_vat = (("100,00", "1701", "NONE", "0", None), ("-100,00", "3000", "NONE", "0", None))
    assert nv.import_voucher(voucher_xml(no_vat))


def test_lock_dates_are_listed_in_accountingperiodlist(sandbox, nv):
    _lock(sandbox, accounting_lock_date="2025-03-31", vat_lock_date="2025-02-28")
    reply = nv.get("accountingperiodlist.nv")
    info = reply.find("AccountingPeriodList/PeriodLockInformation")
    assert info.findtext("AccountingPeriodLockDate") == "31.3.2025"
    assert info.find("AccountingPeriodLockDate").get("format") == "ansi"
    assert info.findtext("VatPeriodLockDate") == "28.2.2025"
    assert info.findtext("PurchaseLockDate") == ""


def test_invalidated_voucher_is_excluded_from_default_ledger_query(nv):
    keep = nv.import_voucher(voucher_xml())
    drop = nv.import_voucher(voucher_xml())
    reply = nv.post("invalidatevouchers.nv", _invalidate_xml(drop, comment="Tupla"))
    assert reply.status == "OK", reply.error
    query = "startdate=2025-01-01&enddate=2025-01-31"
    assert [v.findtext("NetvisorKey") for v in nv.ledger(query)] == [keep]
    assert [v.findtext("NetvisorKey") for v in nv.ledger(query + "&voucherstatus=2")] == [keep]
    every = {
        v.findtext("NetvisorKey"): v.get("Status") for v in nv.ledger(query + "&voucherstatus=1")
    }
    assert every == {keep: "valid", drop: "invalidated"}
    only = nv.ledger(query + "&voucherstatus=3")
    assert [(v.findtext("NetvisorKey"), v.get("Status")) for v in only] == [(drop, "invalidated")]


def test_invalidated_voucher_is_still_readable_by_key(nv):
    key = nv.import_voucher(voucher_xml())
    nv.post("invalidatevouchers.nv", _invalidate_xml(key))
    (voucher,) = nv.ledger(f"netvisorkey={key}")
    assert voucher.get("Status") == "invalidated"


def test_key_list_lookup_returns_every_status_with_its_status_attribute(nv):
    """What a client's "is it there already?" lookup sees: valid and invalidated alike."""
    keep = nv.import_voucher(voucher_xml())
    drop = nv.import_voucher(voucher_xml())
    nv.post("invalidatevouchers.nv", _invalidate_xml(drop))
    found = nv.ledger(f"netvisorkeylist={keep},{drop}")
    assert {v.findtext("NetvisorKey"): v.get("Status") for v in found} == {
        keep: "valid",
        drop: "invalidated",
    }
    changed = nv.ledger("changedsince=2000-01-01")  # a modification query: valid only
    assert [v.findtext("NetvisorKey") for v in changed] == [keep]


def test_key_lookup_combined_with_other_filters_is_refused(nv):
    """§6.4: only showgenerator may be combined with netvisorkey or netvisorkeylist."""
    key = nv.import_voucher(voucher_xml())
    assert len(nv.ledger(f"netvisorkey={key}&showgenerator=1")) == 1
    for extra in ("voucherstatus=2", "includetransactionhistory=1", "startdate=2025-01-01"):
        for selector in (f"netvisorkey={key}", f"netvisorkeylist={key}"):
            reply = nv.get("accountingledger.nv", f"{selector}&{extra}")
            assert reply.category == "INVALID_DATA", (selector, extra)


def test_invalidation_comment_goes_to_history(nv):
    key = nv.import_voucher(voucher_xml())
    nv.post("invalidatevouchers.nv", _invalidate_xml(key, comment="Korvattu"))
    query = "startdate=2025-01-01&enddate=2025-01-31&voucherstatus=1&includetransactionhistory=1"
    (voucher,) = nv.ledger(query)
    comments = [t.findtext("Comment") for t in voucher.findall("TransactionHistory/Transaction")]
    assert comments == ["Korvattu", "invalidated"]


def test_invalidating_several_vouchers_at_once(nv):
    keys = [nv.import_voucher(voucher_xml()) for _ in range(3)]
    assert nv.post("invalidatevouchers.nv", _invalidate_xml(*keys)).status == "OK"
    assert nv.ledger("startdate=2025-01-01&enddate=2025-01-31") == []


def test_more_than_100_vouchers_is_invalid_data_size(nv):
    reply = nv.post(
        "invalidatevouchers.nv", _invalidate_xml(*range(1, 102)), use_http_status_codes=True
    )
    assert (reply.category, reply.http_status) == ("INVALID_DATA_SIZE", 400)


def test_unknown_voucher_key_is_invalid_data_and_nothing_is_invalidated(nv):
    key = nv.import_voucher(voucher_xml())
    reply = nv.post("invalidatevouchers.nv", _invalidate_xml(key, 99999999), language="EN")
    assert reply.category == "INVALID_DATA"
    assert "Voucher not found with Netvisor identifier: 99999999" in reply.error
    assert nv.ledger(f"netvisorkey={key}")[0].get("Status") == "valid"


def test_other_companys_voucher_cannot_be_invalidated(nv):
    key = nv.import_voucher(voucher_xml())
    reply = nv.post("invalidatevouchers.nv", _invalidate_xml(key), company=seed.COMPANY_B)
    assert reply.category == "INVALID_DATA"


@pytest.mark.parametrize(
    "body",
    [
        _invalidate_xml(1, identifier="number"),
        "<root><invalidatevouchers><invalidatevoucher>1</invalidatevoucher></invalidatevouchers>"
        "</root>",
        '<root><invalidatevouchers identifier="netvisorkey"></invalidatevouchers></root>',
        '<root><invalidatevouchers identifier="netvisorkey"><invalidatevoucher>1'
        "</invalidatevoucher><comment>late</comment></invalidatevouchers></root>",
    ],
    ids=["wrong-identifier", "missing-identifier", "no-vouchers", "comment-after-vouchers"],
)
def test_invalidation_dtd_violations_are_xml_validation_failures(nv, body):
    reply = nv.post("invalidatevouchers.nv", body)
    assert reply.error == (
        "INVALID_DATA :: Data form incorrect:. XML message validation failed: "
        "Could not validate xml"
    )


def test_invalidating_in_locked_period_is_period_lock(sandbox, nv):
    key = nv.import_voucher(voucher_xml(date="2025-01-31"))
    _lock(sandbox, accounting_lock_date="2025-01-31")
    assert nv.post("invalidatevouchers.nv", _invalidate_xml(key)).category == "PERIOD_LOCK"
