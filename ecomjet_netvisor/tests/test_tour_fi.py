"""The month in Finnish, in a real browser: what a Finnish accountant sees holds no English
of the addon's own texts (the check reads the texts the tour keeps of each screen)."""

import re
from pathlib import Path

import polib

from odoo.modules.module import get_module_path
from odoo.tests import tagged

from .test_tour import NetvisorTourCommon, seed

POT = Path(__file__).resolve().parents[1] / "i18n" / "ecomjet_netvisor.pot"
ORG = seed.COMPANY_A.organisation_id
SCREENS = ("wizard_locked", "wizard_open", "period_uncertain", "period_sent", "voucher")


def english_phrases():
    """The addon's English, as phrases of three words or more between its placeholders
    (shorter ones, like "Total", are Odoo's own words too, untranslated here)."""
    phrases = set()
    for entry in polib.pofile(str(POT)):
        text = re.sub(r"<[^>]+>", "\n", entry.msgid)
        for part in re.split(r"%(?:\([a-z_]+\))?[sd]|[\n.:;!?()\[\]]", text):
            part = " ".join(part.split())
            if len(re.findall(r"[A-Za-z]{2,}", part)) >= 3:
                phrases.add(part)
    return phrases


#: Odoo's own modules on these screens: their words are Odoo's to translate, not ours (this
#: Odoo carries no Finnish of its own), so the addon's short texts they share are not sought.
CORE_MODULES = ("base", "web", "mail", "bus", "account", "analytic", "product", "portal")
NAMES = {"Odoo", "Netvisor", "XML", "XLSX", "PDF", "HMAC", "SHA", "ID", "API", "URL", "NONE"}


def core_terms():
    terms = set()
    for module in CORE_MODULES:
        pot = Path(get_module_path(module)) / "i18n" / f"{module}.pot"
        terms.update(" ".join(entry.msgid.split()) for entry in polib.pofile(str(pot)))
    return terms


def english_words():
    """The addon's own short texts (one or two words, e.g. "Uncertain", "Resend") that
    Odoo's own modules do not have: sought as whole words."""
    core = core_terms()
    words = set()
    for entry in polib.pofile(str(POT)):
        text = " ".join(entry.msgid.split())
        found = re.findall(r"[A-Za-z]{2,}", text)
        if (
            1 <= len(found) <= 2
            and re.fullmatch(r"[A-Za-z][A-Za-z -]*[A-Za-z]", text)
            and text not in core
            and not set(found) <= NAMES
        ):
            words.add(text)
    return words


@tagged("post_install", "-at_install")
class TestNetvisorTourFinnish(NetvisorTourCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fi_FI")
        cls.env["ir.module.module"]._load_module_terms(
            ["ecomjet_netvisor"], ["fi_FI"], overwrite=True
        )
        cls.connect_company()
        # the administrator reads Finnish (the tour keeps each screen's text through
        # ir.config_parameter, which only an administrator may write)
        cls.env.ref("base.user_admin").write({"lang": "fi_FI", "tz": "Europe/Helsinki"})

    def lock(self, day):
        locks = {"accounting_lock_date": day}
        self.sandbox.admin("PUT", f"companies/{ORG}/locks", locks).raise_for_status()

    def test_the_month_in_finnish(self):
        self.addCleanup(self.lock, None)
        self.lock("2026-09-30")
        self.start_tour("/odoo/customer-invoices", "ecomjet_netvisor_fi_locked", login="admin")
        self.assertFalse(self.env["netvisor.period"].search([]), "nothing was closed")
        # the check below sees English: the same wizard in English is full of it
        english = (
            self.env["netvisor.period.close"]
            .with_context(lang="en_US", default_kind="sale")
            .create({"date_from": "2026-09-01", "date_to": "2026-09-30"})
        )
        shown = f"{english.problems} {english.scope_notice} {english.lock_notice}"
        self.assertGreaterEqual(len([p for p in english_phrases() if p in shown]), 3, shown)

        # Netvisor opened; it will book the first voucher, then answer TECHNICAL_ERROR
        self.lock(None)
        fault = {"mode": "technical_error_after_commit", "resource": "accounting", "count": 1}
        self.sandbox.admin("POST", "faults", fault).raise_for_status()
        self.start_tour("/odoo/customer-invoices", "ecomjet_netvisor_fi_month", login="admin")

        self.env.invalidate_all()
        period = self.env["netvisor.period"].search([])
        self.assertEqual(period.state, "sent")
        self.assertEqual(period.voucher_ids.move_id, self.invoices)
        self.assertEqual(len(self._sandbox_vouchers()), 3, "never booked twice")

        params = self.env["ir.config_parameter"].sudo()
        phrases = english_phrases()
        self.assertGreater(len(phrases), 200)
        words = english_words()
        self.assertIn("Uncertain", words)
        self.assertGreater(len(words), 50)
        for screen in SCREENS:
            text = " ".join(
                (params.get_param(f"ecomjet_netvisor.tour_text.{screen}") or "").split()
            )
            with self.subTest(screen=screen):
                self.assertGreater(len(text), 100, "the tour kept the screen's text")
                found = sorted(p for p in phrases if p in text)
                found += sorted(
                    w for w in words if re.search(rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])", text)
                )
                self.assertFalse(found, f"English of the addon on the screen: {found}")
