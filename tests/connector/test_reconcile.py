"""What differs between the vouchers Odoo sent and Netvisor's ledger (netvisor.reconcile)."""

import datetime
from decimal import Decimal

from ecomjet_netvisor.netvisor import reconcile
from ecomjet_netvisor.netvisor.responses import AccountBalance, LedgerLine, LedgerVoucher

D = Decimal
PREFIX = "ODOO-ABCDEF12-"
DAY = datetime.date(2025, 11, 15)
CLASSES = {"Myyntilasku"}
LINES = {("1701", "NONE", D(0)): D("125.50"), ("3000", "KOMY", D("25.5")): D("-100.00"),
         ("2939", "NONE", D(0)): D("-25.50")}  # fmt: skip


def ledger_voucher(key, description, lines=LINES, status="valid", voucher_class="Myyntilasku"):
    return LedgerVoucher(
        netvisor_key=str(key),
        date=DAY,
        number=int(key),
        description=description,
        voucher_class=voucher_class,
        status=status,
        lines=[
            LedgerLine(str(90000 + i), amount, "", account, percent, code)
            for i, ((account, code, percent), amount) in enumerate(lines.items())
        ],
    )


def expected(document_id, key, lines=LINES):
    return reconcile.Expected(document_id, str(key), dict(lines))


def outcomes(result):
    return {(f.document_id, f.outcome) for f in result.findings}


def test_everything_matches_and_sums_agree():
    result = reconcile.compare(
        [expected(7, 1001), expected(8, 1002)],
        [ledger_voucher(1001, f"{PREFIX}7 INV/1 Asiakas"), ledger_voucher(1002, f"{PREFIX}8")],
        PREFIX,
        CLASSES,
    )
    assert outcomes(result) == {(7, "matches"), (8, "matches")}
    assert result.matches
    assert result.sums[("3000", "KOMY", D("25.5"))] == (D("-200.00"), D("-200.00"))


def test_missing_invalidated_and_deleted():
    result = reconcile.compare(
        [expected(1, 1001), expected(2, 1002), expected(3, 1003)],
        [ledger_voucher(1002, f"{PREFIX}2", status="invalidated")],
        PREFIX,
        CLASSES,
        gone_keys={"1003"},
    )
    assert outcomes(result) == {(1, "missing"), (2, "invalidated"), (3, "invalidated")}
    assert not result.matches
    assert result.sums[("1701", "NONE", D(0))] == (D("376.50"), D(0))


def test_twice_keeps_the_voucher_odoo_points_to():
    result = reconcile.compare(
        [expected(5, 1009)],
        [ledger_voucher(1003, f"{PREFIX}5 INV/5"), ledger_voucher(1009, f"{PREFIX}5 INV/5")],
        PREFIX,
        CLASSES,
    )
    (finding,) = result.findings
    assert (finding.outcome, finding.netvisor_key, finding.extra_keys) == (
        "twice",
        "1009",
        ("1003",),
    )
    assert result.sums[("3000", "KOMY", D("25.5"))] == (D("-100.00"), D("-200.00"))


def test_different_names_the_lines_that_differ():
    edited = dict(LINES)
    edited[("3000", "KOMY", D("25.5"))] = D("-90.00")
    edited[("3001", "KOMY", D("25.5"))] = D("-10.00")
    result = reconcile.compare(
        [expected(4, 1004)], [ledger_voucher(1004, f"{PREFIX}4", edited)], PREFIX, CLASSES
    )
    (finding,) = result.findings
    assert finding.outcome == "different"
    assert finding.differences == (
        ("3000", "KOMY", D("25.5"), (), D("-100.00"), D("-90.00")),
        ("3001", "KOMY", D("25.5"), (), D(0), D("-10.00")),
    )


def test_a_dimension_item_changed_in_netvisor_is_different():
    projekti = (("Projekti", "P-100"),)
    ours = {
        ("3000", "KOMY", D("25.5"), projekti): D("-100.00"),
        ("1701", "NONE", D(0), ()): D("125.50"),
        ("2939", "NONE", D(0), ()): D("-25.50"),
    }
    theirs = LedgerVoucher(
        "1001", DAY, 1, f"{PREFIX}4", "Myyntilasku", "valid",
        [
            LedgerLine("1", D("125.50"), "", "1701", D(0), "NONE"),
            LedgerLine("2", D("-100.00"), "", "3000", D("25.5"), "KOMY", (("Projekti", "P-200"),)),
            LedgerLine("3", D("-25.50"), "", "2939", D(0), "NONE"),
        ],
    )  # fmt: skip
    result = reconcile.compare([expected(4, 1001, ours)], [theirs], PREFIX, CLASSES)
    (finding,) = result.findings
    assert finding.outcome == "different"
    assert [d[3] for d in finding.differences] == [projekti, (("Projekti", "P-200"),)]
    # per account and VAT code, the sums still agree
    assert result.sums[("3000", "KOMY", D("25.5"))] == (D("-100.00"), D("-100.00"))


def test_lines_split_by_netvisor_still_match_and_percent_forms_agree():
    split = LedgerVoucher(
        "1001", DAY, 1, f"{PREFIX}9", "Myyntilasku", "valid",
        [
            LedgerLine("1", D("100.00"), "", "1701", D(0), "NONE"),
            LedgerLine("2", D("25.50"), "", "1701", D("0.00"), "NONE"),
            LedgerLine("3", D("-100.00"), "", "3000", D("25.50"), "KOMY"),
            LedgerLine("4", D("-25.50"), "", "2939", D(0), "NONE"),
        ],
    )  # fmt: skip
    result = reconcile.compare([expected(9, 1001)], [split], PREFIX, CLASSES)
    assert outcomes(result) == {(9, "matches")}


def test_corrected_reference_belongs_to_the_document():
    result = reconcile.compare(
        [expected(12, 2001)],
        [
            ledger_voucher(1500, f"{PREFIX}12 INV/12", status="invalidated"),
            ledger_voucher(2001, f"{PREFIX}12-1 INV/12"),
        ],
        PREFIX,
        CLASSES,
    )
    assert outcomes(result) == {(12, "matches")}


def test_foreign_only_for_the_period_kind_and_never_a_prefix_lookalike():
    ledger = [
        ledger_voucher(3001, "Käsin kirjattu"),
        ledger_voucher(3002, "Ostolasku käsin", voucher_class="Ostolasku"),
        ledger_voucher(3003, "ODOO-99999999-7 another database"),
        ledger_voucher(3004, f"{PREFIX}77x not a reference"),
        ledger_voucher(3005, f"{PREFIX}8 another period's document"),
        ledger_voucher(3006, "Mitätöity käsin", status="invalidated"),
    ]
    result = reconcile.compare([], ledger, PREFIX, CLASSES)
    assert {f.netvisor_key for f in result.findings} == {"3001", "3003", "3004"}
    assert {f.outcome for f in result.findings} == {"foreign"}


def test_balance_movements_of_the_range():
    def balance(key, day, debit, credit):
        return AccountBalance(key, None, None, day, D(debit), D(credit), D(debit) - D(credit))

    movements = reconcile.balance_movements(
        [
            balance("11", datetime.date(2025, 11, 30), "125.50", "0"),
            balance("12", datetime.date(2025, 11, 30), "0", "100"),
            balance("12", datetime.date(2025, 12, 31), "0", "999"),
        ],
        datetime.date(2025, 11, 1),
        datetime.date(2025, 11, 30),
    )
    assert movements == {"11": D("125.50"), "12": D("-100")}


def test_a_voucher_found_by_key_whose_reference_was_removed_is_different_not_missing():
    """Someone edited the description in Netvisor: the key still says whose it is, and
    sending it again would book it twice."""
    result = reconcile.compare(
        [expected(6, 1006)], [ledger_voucher(1006, "Muokattu käsin")], PREFIX, CLASSES
    )
    (finding,) = result.findings
    assert (finding.outcome, finding.reference_lost) == ("different", True)


def test_another_key_in_netvisor_is_named_not_matched():
    result = reconcile.compare(
        [expected(6, 1006)], [ledger_voucher(2222, f"{PREFIX}6 INV/6")], PREFIX, CLASSES
    )
    (finding,) = result.findings
    assert (finding.outcome, finding.netvisor_key, finding.odoo_key) == (
        "key_changed",
        "2222",
        "1006",
    )


def test_a_document_not_sent_in_odoo_but_in_netvisor_is_unexpected():
    pending = reconcile.Expected(7, None, dict(LINES), sent=False)
    quiet = reconcile.Expected(8, None, dict(LINES), sent=False)
    result = reconcile.compare(
        [pending, quiet], [ledger_voucher(1007, f"{PREFIX}7")], PREFIX, CLASSES
    )
    assert outcomes(result) == {(7, "unexpected")}
    assert result.sums == {}  # what Odoo has not sent is not summed


def test_a_voucher_moved_to_another_date_is_different():
    item = reconcile.Expected(3, "1003", dict(LINES), date=datetime.date(2025, 11, 14))
    result = reconcile.compare([item], [ledger_voucher(1003, f"{PREFIX}3")], PREFIX, CLASSES)
    (finding,) = result.findings
    assert (finding.outcome, finding.moved_to) == ("different", DAY)


def test_invalidated_lines_of_an_edited_voucher_do_not_count():
    voucher = ledger_voucher(1001, f"{PREFIX}9")
    old = LedgerLine("99", D("-999.00"), "", "3000", D("25.5"), "KOMY", status="invalidated")
    old_debit = LedgerLine("98", D("999.00"), "", "1701", D(0), "NONE", status="Invalidated")
    edited = LedgerVoucher(
        voucher.netvisor_key, DAY, 1, voucher.description, "Myyntilasku", "valid",
        [*voucher.lines, old, old_debit],
    )  # fmt: skip
    result = reconcile.compare([expected(9, 1001)], [edited], PREFIX, CLASSES)
    assert outcomes(result) == {(9, "matches")}


def test_foreign_is_listed_but_netvisors_own_invoice_vouchers_are_not_judged():
    own = LedgerVoucher("3100", DAY, 1, "Myyntilasku 123", "Myyntilasku", "valid", [],
                        linked_source="555")  # fmt: skip
    result = reconcile.compare(
        [expected(1, 1001)],
        [ledger_voucher(1001, f"{PREFIX}1"), ledger_voucher(3001, "Käsin"), own],
        PREFIX,
        CLASSES,
    )
    assert {(f.outcome, f.netvisor_key) for f in result.findings} == {
        ("matches", "1001"),
        ("foreign", "3001"),
    }
    assert result.matches  # listed, never held against the period


def test_percent_spellings_and_garbled_keys():
    assert str(reconcile.percent(D("10.00"))) == "10"
    assert str(reconcile.percent(D("25.50"))) == "25.5"
    odd = ledger_voucher(1001, f"{PREFIX}4")
    garbled = LedgerVoucher("", DAY, None, f"{PREFIX}4", "Myyntilasku", "valid", odd.lines)
    result = reconcile.compare([expected(4, 1001)], [odd, garbled], PREFIX, CLASSES)
    assert outcomes(result) == {(4, "twice")}
