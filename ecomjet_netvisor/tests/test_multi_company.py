"""Companies are kept apart: B's users see nothing of A's Netvisor records."""

from unittest.mock import patch

from odoo import Command
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import NetvisorCommon, seed


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

    def company_b_with_a_closed_invoice(self):
        """Company B connected to its own Netvisor organisation, January closed with one
        invoice; returns (company B, its invoice, its period)."""
        company_b = self.setup_other_company(name="Toinen Oy")["company"]
        self.connect_company(company_b, seed.COMPANY_B)
        self.sandbox.admin("DELETE", f"companies/{seed.COMPANY_B.organisation_id}/vouchers")
        self.env["netvisor.account.map"].with_company(company_b).action_fetch_netvisor_chart()
        env_b = self.env(context=dict(self.env.context, allowed_company_ids=company_b.ids))
        customer_b = env_b["res.partner"].create(
            {"name": "Asiakas B Oy", "company_id": company_b.id}
        )
        tax_b = env_b["account.chart.template"].ref("tax_dom_sales_goods_25_5")
        invoice_b = env_b["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer_b.id,
                "invoice_date": "2025-01-05",
                "invoice_line_ids": [
                    Command.create({"name": "B", "price_unit": 50.0, "tax_ids": tax_b.ids})
                ],
            }
        )
        invoice_b.action_post()
        action = (
            env_b["netvisor.period.close"]
            .with_context(default_kind="sale")
            .create({"date_from": "2025-01-01", "date_to": "2025-01-31"})
            .action_confirm()
        )
        return company_b, invoice_b, env_b["netvisor.period"].browse(action["res_id"])

    def test_each_company_sends_to_its_own_netvisor(self):
        """Two companies, two Netvisor organisations: every voucher lands in its own ledger."""
        invoice_a = self.sale("2025-01-03")
        self.close("sale", "2025-01-01", "2025-01-31")
        company_b, invoice_b, period_b = self.company_b_with_a_closed_invoice()
        self.assertEqual(period_b.company_id, company_b)
        self.assertEqual(period_b.voucher_ids.move_id, invoice_b)

        self.send()
        self.assertEqual((invoice_a | invoice_b).mapped("netvisor_state"), ["sent", "sent"])
        ledger_a = self.ledger()
        ledger_b = self.sandbox.admin(
            "GET", f"companies/{seed.COMPANY_B.organisation_id}/vouchers"
        ).json()["vouchers"]
        self.assertEqual([v["description"].split()[1] for v in ledger_a], [invoice_a.name])
        self.assertEqual([v["description"].split()[1] for v in ledger_b], [invoice_b.name])

    def test_one_companys_stray_error_never_stops_another(self):
        """A bug or a broken setting of one company is logged and rolled back; the other
        companies are sent in the same run and the cron itself never fails."""
        invoice_a = self.sale("2025-01-03")
        period_a = self.close("sale", "2025-01-01", "2025-01-31")
        _company_b, invoice_b, _period_b = self.company_b_with_a_closed_invoice()
        Voucher = type(self.env["netvisor.voucher"])
        original = Voucher._netvisor_send_batch

        def broken_for_a(vouchers, client, deadline):
            if vouchers.company_id == self.company:
                raise RuntimeError("a stray bug in company A's sending")
            return original(vouchers, client, deadline)

        with (
            patch.object(Voucher, "_netvisor_send_batch", broken_for_a),
            mute_logger("odoo.addons.ecomjet_netvisor.models.netvisor_period"),
        ):
            self.send()  # never raises
        self.assertEqual(invoice_b.netvisor_state, "sent")
        self.assertEqual(invoice_a.netvisor_state, "pending", "rolled back, tried again later")
        self.assertEqual(period_a.voucher_ids.attempts, 0)
        self.send()
        self.assertEqual(invoice_a.netvisor_state, "sent")

    def test_each_company_has_its_own_sender_cron(self):
        """One cron per company, so that several cron workers send for several companies
        at once: the close wakes its company's cron, which sends that company only; the
        hourly cron only wakes the companies' crons."""
        invoice_a = self.sale("2025-01-03")
        Trigger = self.env["ir.cron.trigger"]
        self.close("sale", "2025-01-01", "2025-01-31")
        cron_a = self.company._netvisor_sender_cron()
        self.assertEqual(cron_a, self.company._netvisor_sender_cron(), "created once")
        self.assertEqual(cron_a.code, f"model._cron_send_vouchers([{self.company.id}])")
        self.assertTrue(Trigger.search([("cron_id", "=", cron_a.id)]), "the close woke it")
        company_b, invoice_b, _period_b = self.company_b_with_a_closed_invoice()
        cron_b = company_b._netvisor_sender_cron()
        self.assertNotEqual(cron_a, cron_b)
        self.assertEqual(
            self.env["ir.model.data"]
            .search([("model", "=", "ir.cron"), ("res_id", "=", cron_b.id)])
            .mapped("complete_name"),
            [f"ecomjet_netvisor.ir_cron_netvisor_send_company_{company_b.id}"],
            "owned by the module: kept by an upgrade, removed by an uninstall",
        )

        cron_b.ir_actions_server_id.run()
        self.assertEqual(invoice_b.netvisor_state, "sent")
        self.assertEqual(invoice_a.netvisor_state, "pending", "not company B's cron's work")

        # the cron workers delete a job's triggers when it starts
        Trigger.search([("cron_id", "in", (cron_a | cron_b).ids)]).unlink()
        hourly = self.env.ref("ecomjet_netvisor.ir_cron_netvisor_send")
        hourly.ir_actions_server_id.run()
        self.assertEqual(invoice_a.netvisor_state, "pending", "the hourly cron only wakes")
        self.assertTrue(Trigger.search([("cron_id", "=", cron_a.id)]))
        self.assertFalse(Trigger.search([("cron_id", "=", cron_b.id)]), "nothing due in B")

        cron_a.ir_actions_server_id.run()
        self.assertEqual(invoice_a.netvisor_state, "sent")
