"""The addon's own cost per voucher: ORM -> voucher data -> XML, without the round trip.

DESIGN.md §7 wants it small beside one Netvisor round trip. Run in `odoo shell` on the
demo database (it creates invoices in a transaction it rolls back):

    python3 -m dev odoo -- shell -d ecomjet_netvisor_demo < tests/benchmarks/bench_addon.py
"""

import datetime
import time
import tracemalloc

from odoo.addons.ecomjet_netvisor.netvisor import vouchers as nv_vouchers

SIZES = (50, 200, 800)
company = env.company  # noqa: F821 - provided by odoo shell
partner = env["res.partner"].search([("customer_rank", ">", 0)], limit=1)  # noqa: F821
tax = env["account.chart.template"].with_company(company).ref("tax_dom_sales_goods_25_5")  # noqa: F821


def make_invoices(count):
    values = [
        {
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "invoice_date": datetime.date(2025, 11, 1 + i % 28),
            "invoice_line_ids": [
                (
                    0,
                    0,
                    {
                        "name": f"Rivi {j}",
                        "quantity": 1,
                        "price_unit": 10 + i + j,
                        "tax_ids": [(6, 0, tax.ids)],
                    },
                )
                for j in range(3)
            ],
        }
        for i in range(count)
    ]
    moves = env["account.move"].create(values)  # noqa: F821
    moves.action_post()
    return moves


print(
    f"{'moves':>6} {'build ms':>9} {'per voucher us':>15} {'xml per voucher us':>19} "
    f"{'queries':>8} {'peak KiB':>9}"
)
for size in SIZES:
    moves = make_invoices(size)
    env.invalidate_all()  # noqa: F821 - measure cold reads, as the sender sees them
    queries_before = env.cr.sql_log_count  # noqa: F821
    tracemalloc.start()
    start = time.perf_counter()
    built, problems = moves._netvisor_voucher_data()
    build = time.perf_counter() - start
    start = time.perf_counter()
    for voucher in built.values():
        nv_vouchers.build_voucher_xml(voucher)
    xml = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    queries = env.cr.sql_log_count - queries_before  # noqa: F821
    assert not problems, problems[:3]
    print(
        f"{size:>6} {build * 1000:>9.1f} {build / size * 1e6:>15.0f} {xml / size * 1e6:>19.0f} "
        f"{queries:>8} {peak / 1024:>9.0f}"
    )
env.cr.rollback()  # noqa: F821
