"""Each voucher state says in plain words what it means and what happens next."""

from odoo.tests import tagged

from ..models.netvisor_voucher import STATE_HELP, VOUCHER_STATES
from .common import NetvisorCommon


@tagged("post_install", "-at_install")
class TestStateHelp(NetvisorCommon):
    def test_every_state_is_explained_and_failures_come_before_sent(self):
        states = [state for state, _label in VOUCHER_STATES]
        self.assertEqual(set(STATE_HELP), set(states))
        for failure in ("failed", "uncertain", "to_check"):
            self.assertLess(states.index(failure), states.index("sent"))
        period_states = [s for s, _l in self.env["netvisor.period"]._fields["state"].selection]
        self.assertLess(period_states.index("failed"), period_states.index("sent"))
        self.assertLess(period_states.index("partial"), period_states.index("sent"))

    def test_uncertain_voucher_says_it_is_looked_up_first(self):
        self.sale("2025-01-03")
        self.fault("drop_after_commit")
        period = self.close("sale", "2025-01-01", "2025-01-31")
        self.send()
        voucher = period.voucher_ids
        self.assertEqual(voucher.state, "uncertain")
        self.assertIn("looks it up in Netvisor before any resend", voucher.state_help)
        self.env["res.lang"]._activate_lang("fi_FI")
        finnish = voucher.with_context(lang="fi_FI").state_help
        self.assertNotEqual(finnish, voucher.state_help)
        self.assertIn("Netvisor", finnish)
