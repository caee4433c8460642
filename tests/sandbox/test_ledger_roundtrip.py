"""A voucher comes back from accountingledger.nv exactly as imported (§6.4): decimal
commas, d.M.yyyy dates, `-` for NONE, Status attribute; the ledger filters; numbering."""

import pytest

from netvisor_sandbox.testing import voucher_xml

LINES = (
    ("1255,00", "1701", "NONE", "0", "Myyntisaamiset 02/2025"),
    ("-1000,00", "3000", "KOMY", "25,5", "Myynti 25,5 % 02/2025", [("Projekti", "P-100")]),
    ("-255,00", "2939", "NONE", "0", "Myynnin ALV 02/2025"),
)
EXPECTED_LINES = [
    ("1255,00", "Myyntisaamiset 02/2025", "1701", "0", "-", []),
    ("-1000,00", "Myynti 25,5 % 02/2025", "3000", "25,5", "KOMY", [("Projekti", "P-100")]),
    ("-255,00", "Myynnin ALV 02/2025", "2939", "0", "-", []),
]


def _lines_of(voucher):
    return [
        (
            line.findtext("LineSum"),
            line.findtext("Description"),
            line.findtext("AccountNumber"),
            line.findtext("VatPercent"),
            line.findtext("VatCode"),
            [
                (d.findtext("DimensionName"), d.findtext("DimensionItem"))
                for d in line.findall("Dimension")
            ],
        )
        for line in voucher.findall("VoucherLine")
    ]


def _assert_is_the_february_voucher(voucher, key):
    assert voucher.get("Status") == "valid"
    assert voucher.findtext("NetvisorKey") == key
    assert voucher.findtext("VoucherDate") == "5.2.2025"
    assert voucher.findtext("VoucherNumber") == "1"
    assert voucher.findtext("VoucherDescription") == "Myyntilaskut 02/2025 [ext:S-2025-02]"
    assert voucher.findtext("VoucherClass") == "Myyntilasku"
    assert voucher.find("LinkedSourceNetvisorKey").get("type") == ""
    assert voucher.findtext("VoucherNetvisorURI").endswith(f"id={key}")
    assert _lines_of(voucher) == EXPECTED_LINES
    assert all(line.findtext("NetvisorKey").isdigit() for line in voucher.findall("VoucherLine"))


@pytest.fixture
def february_key(nv):
    body = voucher_xml(LINES, date="2025-02-05", description="Myyntilaskut 02/2025 [ext:S-2025-02]")
    return nv.import_voucher(body)


def test_voucher_reads_back_identically_by_key(nv, february_key):
    (voucher,) = nv.ledger(f"netvisorkey={february_key}")
    _assert_is_the_february_voucher(voucher, february_key)


def test_voucher_reads_back_identically_by_date_range(nv, february_key):
    (voucher,) = nv.ledger("startdate=2025-02-01&enddate=2025-02-28")
    _assert_is_the_february_voucher(voucher, february_key)


def test_date_range_is_inclusive_on_both_ends(nv, february_key):
    assert len(nv.ledger("startdate=2025-02-05&enddate=2025-02-05")) == 1
    assert nv.ledger("startdate=2025-02-06&enddate=2025-02-28") == []
    assert nv.ledger("startdate=2025-01-01&enddate=2025-02-04") == []


def test_dot_decimal_input_reads_back_with_decimal_comma(nv):
    lines = (("12.5", "1701", "NONE", "0", None), ("-12.50", "3000", "NONE", "0", None))
    key = nv.import_voucher(voucher_xml(lines))
    (voucher,) = nv.ledger(f"netvisorkey={key}")
    assert [ln.findtext("LineSum") for ln in voucher.findall("VoucherLine")] == ["12,50", "-12,50"]
    assert voucher.findtext("VoucherDate") == "31.1.2025"


def test_empty_result_is_an_empty_vouchers_element(nv):
    reply = nv.get("accountingledger.nv", "startdate=2026-06-01&enddate=2026-06-30")
    assert reply.status == "OK"
    assert b"<Vouchers />" in reply.response.content


def test_netvisorkeylist_returns_the_listed_vouchers(nv):
    keys = [nv.import_voucher(voucher_xml()) for _ in range(3)]
    found = nv.ledger(f"netvisorkeylist={keys[0]},{keys[2]}")
    assert [v.findtext("NetvisorKey") for v in found] == [keys[0], keys[2]]
    found = nv.ledger(f"NetvisorKeyList={keys[1]}%2C{keys[2]}")
    assert [v.findtext("NetvisorKey") for v in found] == keys[1:]


def test_netvisorkeylist_over_500_is_invalid_data_size(nv):
    keys = ",".join(str(n) for n in range(1, 502))
    reply = nv.get("accountingledger.nv", f"netvisorkeylist={keys}", use_http_status_codes=True)
    assert (reply.category, reply.http_status) == ("INVALID_DATA_SIZE", 400)
    keys = ",".join(str(n) for n in range(1, 501))
    assert nv.get("accountingledger.nv", f"netvisorkeylist={keys}").status == "OK"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "startdate=2025-01-01",
        "enddate=2025-01-31",
        "netvisorkey=abc",
        "startdate=2025-13-01&enddate=2025-12-31",
        "netvisorkeylist=1,x",
        "startdate=2025-01-01&enddate=2025-01-31&voucherstatus=9",
        "vouchertype=1&changedsince=2025-01-01",
    ],
)
def test_missing_or_bad_ledger_parameters_are_invalid_data(nv, query):
    assert nv.get("accountingledger.nv", query).category == "INVALID_DATA"


def test_parameter_names_are_case_insensitive(nv, february_key):
    assert len(nv.ledger("StartDate=2025-02-01&EndDate=2025-02-28")) == 1


def test_vouchertype_filter(nv):
    nv.import_voucher(voucher_xml())
    purchase = nv.import_voucher(voucher_xml(voucher_class="Ostolasku"))
    found = nv.ledger("startdate=2025-01-01&enddate=2025-01-31&vouchertype=9")
    assert [v.findtext("NetvisorKey") for v in found] == [purchase]


def test_account_number_range_filter(nv):
    sales = nv.import_voucher(voucher_xml())
    lines = (("100,00", "4000", "KOOS", "0", None), ("-100,00", "2871", "NONE", "0", None))
    purchase = nv.import_voucher(voucher_xml(lines, voucher_class="Ostolasku"))
    query = "startdate=2025-01-01&enddate=2025-01-31"
    found = nv.ledger(query + "&accountnumberstart=4000&accountnumberend=4999")
    assert [v.findtext("NetvisorKey") for v in found] == [purchase]
    found = nv.ledger(query + "&accountnumberstart=3000&accountnumberend=3999")
    assert [v.findtext("NetvisorKey") for v in found] == [sales]


def test_changedsince_finds_new_vouchers(nv):
    key = nv.import_voucher(voucher_xml())
    assert [v.findtext("NetvisorKey") for v in nv.ledger("changedsince=2000-01-01")] == [key]
    assert nv.ledger("changedsince=2999-01-01") == []


def test_vouchers_of_other_companies_are_invisible(nv):
    from netvisor_sandbox import seed

    key = nv.import_voucher(voucher_xml())
    assert nv.ledger(f"netvisorkey={key}", company=seed.COMPANY_B) == []


def test_auto_numbering_runs_per_voucher_type(nv):
    def number(key):
        return nv.ledger(f"netvisorkey={key}")[0].findtext("VoucherNumber")

    sales = [nv.import_voucher(voucher_xml()) for _ in range(3)]
    purchase = nv.import_voucher(voucher_xml(voucher_class="Ostolasku"))
    assert [number(k) for k in sales] == ["1", "2", "3"]
    assert number(purchase) == "1"


def test_explicit_number_is_kept_and_auto_numbering_continues_after_it(nv):
    explicit = nv.import_voucher(voucher_xml(number="500"))
    following = nv.import_voucher(voucher_xml())
    found = {
        v.findtext("NetvisorKey"): v.findtext("VoucherNumber")
        for v in nv.ledger("startdate=2025-01-01&enddate=2025-12-31")
    }
    assert found == {explicit: "500", following: "501"}


def test_inserted_data_identifier_is_a_fresh_key_each_time(nv):
    keys = [nv.import_voucher(voucher_xml()) for _ in range(3)]
    assert len(set(keys)) == 3
    assert all(k.isdigit() for k in keys)


def test_transaction_history_lists_the_comment(nv):
    key = nv.import_voucher(voucher_xml(comment="Tuotu Odoosta"))
    query = "startdate=2025-01-01&enddate=2025-01-31&includetransactionhistory=1"
    (voucher,) = nv.ledger(query)
    assert voucher.findtext("NetvisorKey") == key
    assert voucher.findtext("TransactionHistory/Transaction/Comment") == "Tuotu Odoosta"
