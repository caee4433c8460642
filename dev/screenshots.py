"""Screenshots of the running demo for the README, taken the way a user clicks through it.

Needs Playwright, kept out of the project's requirements (its greenlet clashes with
Odoo's pin), in a virtualenv of its own, and Debian's Chromium:

    python3 -m venv .local/shots && .local/shots/bin/pip install playwright
    make demo &          # in another terminal
    .local/shots/bin/python dev/screenshots.py

It closes the sales period of the demo's first month, compares it with Netvisor, then
tampers with the sandbox's ledger (deletes, edits and duplicates a voucher, as a person in
Netvisor would) and compares again; so run it on a demo you can throw away (`rm -rf
.local` starts over). Then, for the Finnish screenshots (`demo_fi_*.png`), as the demo's
Finnish accountant, it closes the same month's purchases:

    .local/shots/bin/python dev/screenshots.py --finnish
"""

import argparse
import json
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
SANDBOX = "http://127.0.0.1:8090"
ORG = "1234567-1"  # the demo company (netvisor_sandbox.seed.COMPANY_A)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


PREFIX = "demo_"


def shoot(page, name):
    page.wait_for_timeout(800)  # let animations settle
    page.screenshot(path=str(OUT / f"{PREFIX}{name}.png"))
    print(f"docs/screenshots/demo_{name}.png")


def sandbox(method, path, body=None):
    """The sandbox's admin API, as `python3 -m netvisor_sandbox.control` calls it."""
    token = (ROOT / ".local" / "sandbox" / "admin_token").read_text().strip()
    request = urllib.request.Request(  # noqa: S310 - the local sandbox
        f"{SANDBOX}/_sandbox/{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"X-Sandbox-Admin-Token": token, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        return json.loads(answer.read() or b"{}")


def compare(page):
    page.click("button[name='action_netvisor_compare']")
    page.wait_for_selector(".o_notification")
    page.click(".o_notebook a[name='comparison']")
    page.wait_for_timeout(500)


def wait_sent(page):
    """The period form follows the sending by itself (the bus): wait until nothing is
    pending or being sent (those vouchers wear the "info" badge)."""
    page.wait_for_selector(".o_form_view .o_field_widget[name='voucher_ids'] .o_data_row")
    for _ in range(60):
        if not page.locator(".o_field_widget[name='voucher_ids'] .badge.text-bg-info").count():
            return
        time.sleep(1)


def open_close_wizard(page, list_url):
    """Select every document of the list and open the close wizard from its Actions menu
    (its label in English or Finnish, as the user reads)."""
    page.goto(list_url)
    page.wait_for_selector(".o_list_view .o_data_row")
    page.click(".o_list_view thead .o_list_record_selector input")
    page.click(".o_cp_action_menus button:has(.fa-cog)")
    page.click(
        ".o-dropdown--menu .o-dropdown-item:has-text('Close accounting period (Netvisor)'),"
        ".o-dropdown--menu .o-dropdown-item:has-text('Sulje kirjanpitokausi (Netvisor)')"
    )


def login(page, args, login, password):
    page.goto(f"{args.url}/web/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/odoo**")


def finnish(args):
    """The Finnish accountant's screens: mapping, the purchases' close, the period."""
    global PREFIX
    PREFIX = "demo_fi_"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 800})
        login(page, args, "kirjanpitaja", "kirjanpitaja")
        page.goto(f"{args.url}/odoo/netvisor-account-mapping")
        page.wait_for_selector(".o_list_view .o_data_row")
        shoot(page, "02_account_mapping")
        open_close_wizard(page, f"{args.url}/odoo/vendor-bills")
        page.wait_for_selector(".modal button[name='action_confirm']")
        shoot(page, "03_close_wizard")
        page.click(".modal button[name='action_confirm']")
        wait_sent(page)
        shoot(page, "04_closed_period")
        page.click(".o_field_widget[name='voucher_ids'] .o_data_row td[name='move_name']")
        page.wait_for_selector(".modal .o_field_widget[name='state_help']")
        shoot(page, "10_voucher")
        page.click(".modal .btn-close")
        compare(page)
        shoot(page, "06_compare_matches")
        page.goto(f"{args.url}/odoo/vendor-bills")
        page.wait_for_selector(".o_list_view .o_data_row")
        shoot(page, "05_bill_list")

        # December's sales with December locked "in Netvisor": the wizard says so before
        # Confirm, and offers no Confirm
        sandbox("PUT", f"companies/{ORG}/locks", {"accounting_lock_date": "2025-12-31"})
        open_close_wizard(page, f"{args.url}/odoo/customer-invoices")
        page.wait_for_selector(".modal .o_field_widget[name='problems']")
        shoot(page, "07_close_wizard_locked")
        page.click(".modal footer button.btn-secondary")
        sandbox("PUT", f"companies/{ORG}/locks", {"accounting_lock_date": None})
        browser.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument(
        "--finnish", action="store_true", help="as kirjanpitaja: the purchases, demo_fi_*.png"
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.finnish:
        return finnish(args)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 800})
        login(page, args, args.login, args.password)

        page.goto(f"{args.url}/odoo/settings")
        page.locator("#netvisor_setting").scroll_into_view_if_needed()
        page.click("#netvisor_setting button[name='action_netvisor_test_connection']")
        page.wait_for_selector(".o_notification")
        shoot(page, "01_settings_test_connection")

        page.click("#netvisor_setting button[name='action_netvisor_open_account_map']")
        page.wait_for_selector(".o_list_view .o_data_row")
        shoot(page, "02_account_mapping")

        open_close_wizard(page, f"{args.url}/odoo/customer-invoices")
        page.wait_for_selector(".modal button[name='action_confirm']")
        shoot(page, "03_close_wizard")

        page.click(".modal button[name='action_confirm']")
        wait_sent(page)
        shoot(page, "04_closed_period")

        compare(page)
        shoot(page, "06_compare_matches")
        page.click(".o_notebook a[name='report']")
        page.locator(".o_netvisor_report_accounts").scroll_into_view_if_needed()
        shoot(page, "08_period_report")
        vouchers = [
            v
            for v in sandbox("GET", f"companies/{ORG}/vouchers")["vouchers"]
            if v["status"] == "valid"
        ]
        deleted, edited, doubled = sorted(vouchers, key=lambda v: v["netvisor_key"])[:3]
        sandbox("DELETE", f"companies/{ORG}/vouchers/{deleted['netvisor_key']}")
        amount = float(edited["lines"][0]["amount"]) + 10
        sandbox(
            "PATCH",
            f"companies/{ORG}/vouchers/{edited['netvisor_key']}/lines/1",
            {"amount": f"{amount:.2f}", "balance_position": 2},
        )
        sandbox("POST", f"companies/{ORG}/vouchers/{doubled['netvisor_key']}/duplicate")
        page.reload()
        page.wait_for_selector("button[name='action_netvisor_compare']")
        compare(page)
        page.locator(".o_field_widget[name='compare_line_ids']").scroll_into_view_if_needed()
        shoot(page, "07_compare_differs")

        page.goto(f"{args.url}/odoo/customer-invoices")
        page.wait_for_selector(".o_list_view .o_data_row")
        shoot(page, "05_invoice_list")
        page.click(".o_list_view .o_data_row:last-child td[name='name']")
        page.click(".o_form_view .o_notebook a[name='other_info']")  # where Netvisor's group is
        page.wait_for_selector(".o_form_view .o_field_widget[name='netvisor_state']")
        page.locator(
            ".o_form_view .o_field_widget[name='netvisor_state']"
        ).scroll_into_view_if_needed()
        shoot(page, "11_invoice_form")

        page.goto(f"{args.url}/odoo/netvisor-dimension-items")
        page.wait_for_selector(".o_list_view .o_group_header")
        for header in page.locator(".o_list_view .o_group_header").all():
            header.click()  # open each dimension's items
            page.wait_for_timeout(300)
        shoot(page, "09_dimension_mapping")
        browser.close()


if __name__ == "__main__":
    main()
