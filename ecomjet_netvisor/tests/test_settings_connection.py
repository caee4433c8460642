"""Test connection explains Netvisor's answer in plain words; settings never leak keys."""

from pathlib import Path
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import Form, tagged
from odoo.tools import config

from odoo.addons.ecomjet_netvisor.hooks import _post_init_seed_tax_codes

from .common import NetvisorCommon, seed


@tagged("post_install", "-at_install")
class TestSettingsConnection(NetvisorCommon):
    def test_connection_ok_even_before_enabling(self):
        """The user checks the identifiers first, then ticks Netvisor."""
        self.company.netvisor_enabled = False
        action = self.company.action_netvisor_test_connection()
        self.assertEqual(action["params"]["type"], "success")

    def test_basic_package_is_explained(self):
        """A company without the Professional or Premium package cannot use the API."""
        self.connect_company(self.company, seed.COMPANY_C)
        params = self.company.action_netvisor_test_connection()["params"]
        self.assertEqual(params["type"], "danger")
        self.assertIn("Professional or Premium", params["message"])
        self.assertIn("SERVICE_ACCESS_ERROR", params["message"])

    def test_wrong_key_points_to_the_identifiers(self):
        self.company.netvisor_customer_key = "f" * 32
        params = self.company.action_netvisor_test_connection()["params"]
        self.assertEqual(params["type"], "danger")
        self.assertIn("API user ID and key", params["message"])
        self.assertNotIn("f" * 32, params["message"])

    def test_missing_settings_are_listed(self):
        self.company.write({"netvisor_customer_id": False, "netvisor_partner_key": False})
        with self.assertRaises(UserError) as caught:
            self.company.action_netvisor_test_connection()
        self.assertIn("API user ID", str(caught.exception))
        self.assertIn("Partner key", str(caught.exception))

    def test_voucher_types_are_cached_per_company(self):
        settings = self.env["res.config.settings"].create({})
        settings.action_netvisor_fetch_voucher_types()
        types = self.env["netvisor.voucher.type"].search([("company_id", "=", self.company.id)])
        self.assertIn("Myyntilasku", types.mapped("name"))
        self.assertIn("Ostolasku", types.mapped("name"))
        settings.action_netvisor_fetch_voucher_types()
        self.assertEqual(
            self.env["netvisor.voucher.type"].search_count([("company_id", "=", self.company.id)]),
            len(types),
            "fetching again replaces, never duplicates",
        )

    def test_chosen_voucher_type_is_the_voucher_class_sent(self):
        """Settings offer Netvisor's fetched types; vouchers carry the chosen type's name."""
        self.env["res.config.settings"].create({}).action_netvisor_fetch_voucher_types()
        types = self.env["netvisor.voucher.type"].search([("company_id", "=", self.company.id)])
        other = types.filtered(lambda t: t.name == "Muut")
        self.assertTrue(other, "the sandbox offers the system type 'Muut'")
        # The fixture's cash-basis tax needs this, or the settings form warns on open.
        self.company.tax_exigibility = True
        form = Form(self.env["res.config.settings"])
        self.assertEqual(form.netvisor_sale_voucher_type_id.name, "Myyntilasku")
        self.assertEqual(form.netvisor_purchase_voucher_type_id.name, "Ostolasku")
        form.netvisor_sale_voucher_type_id = other
        form.save().execute()
        self.assertEqual(self.company.netvisor_sale_voucher_class, "Muut")
        self.assertEqual(self.company.netvisor_purchase_voucher_class, "Ostolasku")

        self.sale("2025-01-03")
        self.bill("2025-01-04")
        self.close("sale", "2025-01-01", "2025-01-31")
        self.close("purchase", "2025-01-01", "2025-01-31")
        self.send()
        classes = sorted(voucher["voucher_class"] for voucher in self.ledger())
        self.assertEqual(classes, ["Muut", "Ostolasku"])

    def test_fetch_chart_maps_same_numbers_and_finnish_taxes_have_codes(self):
        maps = self.env["netvisor.account.map"].search([("company_id", "=", self.company.id)])
        numbers = {m.account_id.code: m.netvisor_account_number for m in maps}
        for code in ("1701", "1763", "2871", "2930", "3000", "4000"):
            self.assertEqual(numbers.get(code), code)
        self.assertTrue(all(maps.mapped("netvisor_account_found")))
        self.assertEqual(self.tax_sale.netvisor_vat_code, "KOMY")
        self.assertEqual(self.tax_purchase.netvisor_vat_code, "KOOS")
        self.assertEqual(self.fi_tax("tax_eu_purchase_goods_24").netvisor_vat_code, "EUOS")
        self.assertEqual(self.fi_tax("tax_construct_purchase_24_finland").netvisor_vat_code, "RAOS")

    def test_neutralized_copy_sends_nothing(self):
        """A database copy neutralized by Odoo must never push vouchers to the real Netvisor."""
        self.sale("2025-01-03")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.env.flush_all()
        self.env.cr.execute((Path(__file__).parents[1] / "data" / "neutralize.sql").read_text())
        self.env.invalidate_all()
        self.send()
        self.assertEqual(period.voucher_ids.state, "failed")
        self.assertEqual(period.voucher_ids.error_category, "CONFIGURATION")
        self.assertFalse(self.ledger())

    def test_neutralized_copy_stays_silent_until_an_api_key_is_entered_again(self):
        """Ticking Netvisor back on in a neutralized copy must not reach the production books
        with the copied keys (before: it sent at once); entering an API key again does."""
        self.sale("2025-01-03")
        self.env.flush_all()
        self.env.cr.execute((Path(__file__).parents[1] / "data" / "neutralize.sql").read_text())
        self.env.invalidate_all()
        self.assertFalse(self.company.netvisor_customer_key)
        self.company.netvisor_enabled = True
        period = self.close_wizard("sale", "2025-01-01", "2025-01-31")
        self.assertIn("neutralized copy", period.problems)
        self.company.write(
            {
                "netvisor_customer_key": seed.COMPANY_A.customer_key,
                "netvisor_partner_key": seed.PARTNER_KEY,
            }
        )
        self.assertFalse(self.company.netvisor_neutralized)
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        self.assertEqual(period.voucher_ids.state, "sent")
        self.assertEqual(len(self.ledger()), 1)

    def test_partner_identifiers_may_come_from_the_server_configuration(self):
        """The integrator's partner ID and key can live in odoo.conf instead of the database."""
        self.company.write({"netvisor_partner_id": False, "netvisor_partner_key": False})
        options = {"netvisor_partner_id": seed.PARTNER_ID, "netvisor_partner_key": seed.PARTNER_KEY}
        with patch.dict(config.options, options):
            action = self.company.action_netvisor_test_connection()
        self.assertEqual(action["params"]["type"], "success")

    def test_seeding_keeps_codes_the_user_chose(self):
        """Installing the addon gives Finnish taxes their codes without overwriting edits."""
        self.tax_sale.netvisor_vat_code = "MUUL"
        self.tax_purchase.netvisor_vat_code = False
        _post_init_seed_tax_codes(self.env)
        self.assertEqual(self.tax_sale.netvisor_vat_code, "MUUL")
        self.assertEqual(self.tax_purchase.netvisor_vat_code, "KOOS")
