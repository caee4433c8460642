"""Companies are kept apart: B's users see nothing of A's Netvisor records."""

from odoo.tests import new_test_user, tagged

from .common import NetvisorCommon


@tagged("post_install", "-at_install")
class TestMultiCompany(NetvisorCommon):
    def test_other_company_sees_none_of_our_periods_or_mappings(self):
        self.sale("2025-01-03")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        company_b = self.setup_other_company(name="Toinen Oy")["company"]
        user_b = new_test_user(
            self.env,
            login="nv_company_b",
            groups="account.group_account_manager",
            company_id=company_b.id,
            company_ids=[(6, 0, company_b.ids)],
        )
        env_b = self.env(user=user_b)
        for model in ("netvisor.period", "netvisor.voucher", "netvisor.account.map"):
            with self.subTest(model=model):
                self.assertTrue(self.env[model].search([]), "company A has records")
                self.assertFalse(env_b[model].search([]))
        self.assertFalse(env_b["netvisor.period"].search([("id", "=", period.id)]))

    def test_each_company_closes_its_own_periods(self):
        """Company B's period neither blocks nor includes company A's documents."""
        self.sale("2025-01-03")
        company_b = self.setup_other_company(name="Toinen Oy")["company"]
        company_b.write({"netvisor_start_date": "2025-01-01"})
        wizard = (
            self.env["netvisor.period.close"]
            .with_company(company_b)
            .with_context(default_kind="sale")
            .create({"date_from": "2025-01-01", "date_to": "2025-01-31"})
        )
        self.assertEqual(wizard.company_id, company_b)
        self.assertEqual(wizard.move_count, 0)
