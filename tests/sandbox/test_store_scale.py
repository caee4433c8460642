"""The sandbox keeps its own cost flat as its ledger grows (benchmarks send 10,000 vouchers
to it and compare with a bare loop against the same sandbox)."""

from netvisor_sandbox.store import Store


def test_numbering_a_voucher_does_not_scan_the_companys_vouchers(tmp_path):
    store = Store(tmp_path / "sandbox.sqlite3")
    try:
        plan = store._db.execute(
            "EXPLAIN QUERY PLAN SELECT COALESCE(MAX(number), 0) + 1 FROM vouchers "
            "WHERE company_id=? AND type_key=?",
            (1, 1),
        ).fetchall()
    finally:
        store.close()
    details = " ".join(row[-1] for row in plan)
    assert "vouchers_company_type_number" in details, details
