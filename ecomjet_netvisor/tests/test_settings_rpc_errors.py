"""What an Accounting Administrator's browser receives from the settings' error paths:
the whole JSON-RPC answer (message, arguments, debug traceback) holds no key and no API
user ID."""

import json

from odoo.tests import HttpCase, new_test_user, tagged

from .common import LoopbackRequestsMixin, seed


@tagged("post_install", "-at_install")
class TestSettingsErrorsOverRpc(LoopbackRequestsMixin, HttpCase):
    SECRETS = (seed.COMPANY_A.customer_key, seed.PARTNER_KEY, seed.COMPANY_A.customer_id)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.write(
            {
                "netvisor_environment": "custom",
                "netvisor_custom_url": "https://127.0.0.1:9",
                "netvisor_customer_id": seed.COMPANY_A.customer_id,
                "netvisor_customer_key": seed.COMPANY_A.customer_key,
                "netvisor_partner_id": seed.PARTNER_ID,
                "netvisor_partner_key": seed.PARTNER_KEY,
                "netvisor_organisation_id": seed.COMPANY_A.organisation_id,
            }
        )
        new_test_user(
            cls.env,
            login="netvisor_accountant",
            groups="account.group_account_manager",
            company_id=cls.company.id,
        )

    def call(self, model, method, args):
        """The raw JSON text the browser receives."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"model": model, "method": method, "args": args, "kwargs": {}},
        }
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        return response.text

    def stored_url(self, url):
        """A URL saved by an older version, before settings were validated when saved."""
        self.env.cr.execute(
            "UPDATE res_company SET netvisor_custom_url = %s WHERE id = %s", [url, self.company.id]
        )
        self.env.invalidate_all()

    def assert_clean(self, what, text):
        for secret in self.SECRETS:
            self.assertNotIn(secret, text, f"{what}: the answer holds a secret")
            self.assertNotIn(secret.lower(), text.lower(), f"{what}: the answer holds a secret")

    def test_every_settings_error_path_answers_without_keys(self):
        self.authenticate("netvisor_accountant", "netvisor_accountant")
        test_connection = ("res.company", "action_netvisor_test_connection", [self.company.ids])
        cases = {
            "bad URL characters": "https://nétvisor.example.fi/\u20ac",
            "bad port": "https://netvisor.example.fi:99999",
            "unreachable host": "https://127.0.0.1:9",
        }
        for name, url in cases.items():
            with self.subTest(case=name):
                self.stored_url(url)
                answer = self.call(*test_connection)
                self.assert_clean(name, answer)
                # an answer the user can act on: an error or Netvisor's failure notice
                self.assertTrue('"error"' in answer or "Netvisor connection failed" in answer)
        with self.subTest(case="saving a URL with bad characters"):
            answer = self.call(
                "res.company",
                "write",
                [self.company.ids, {"netvisor_custom_url": "https://nétvisor.example.fi"}],
            )
            self.assertIn('"error"', answer)
            self.assert_clean("saving", answer)
