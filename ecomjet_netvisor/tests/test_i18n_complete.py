"""The Finnish translation is complete: Finnish accountants see no English in the addon."""

import io
import re
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import trans_export

FI_PO = Path(__file__).resolve().parents[1] / "i18n" / "fi.po"
PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[sd]")
#: DESIGN.md §2: the English sources and Ecom Jet's Finnish, verbatim.
OUTSIDE = "The accounting period closing contains transactions outside the selected period!"
ACCOUNT = (
    "An error occurred in the accounting integration. "
    "The account was not found in the Netvisor chart of accounts."
)
SENDING = "Sending invoices to Netvisor failed."
DESIGN_MESSAGES = {
    OUTSIDE: "Kirjanpitosyklin päätös sisältää valitun ajanjakson ulkopuolisia tapahtumia!",
    ACCOUNT: "Kirjanpito integraatiossa tapahtui virhe. Tiliä ei löydy Netvisorin tilikartasta.",
    SENDING: "Laskujen lähetys Netvisoriin epäonnistui.",
}


@tagged("post_install", "-at_install")
class TestI18nComplete(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.po = polib.pofile(str(FI_PO))
        cls.env["res.lang"]._activate_lang("fi_FI")
        cls.env["ir.module.module"]._load_module_terms(
            ["ecomjet_netvisor"], ["fi_FI"], overwrite=True
        )
        cls.env_fi = cls.env(context=dict(cls.env.context, lang="fi_FI"))

    def test_every_exported_term_has_a_finnish_translation(self):
        """What Odoo's exporter finds in the code and views today, fi.po translates."""
        buffer = io.BytesIO()
        self.assertTrue(trans_export(None, ["ecomjet_netvisor"], buffer, "po", self.env))
        exported = polib.pofile(buffer.getvalue().decode())
        translated = {entry.msgid for entry in self.po if entry.msgstr.strip()}
        missing = [entry.msgid for entry in exported if entry.msgid not in translated]
        self.assertFalse(missing, "terms missing from i18n/fi.po")
        self.assertGreater(len(exported), 100)

    def test_no_entry_is_empty_fuzzy_or_loses_a_placeholder(self):
        for entry in self.po:
            with self.subTest(msgid=entry.msgid):
                self.assertTrue(entry.msgstr.strip())
                self.assertNotIn("fuzzy", entry.flags)
                self.assertEqual(
                    sorted(PLACEHOLDER.findall(entry.msgid)),
                    sorted(PLACEHOLDER.findall(entry.msgstr)),
                )

    def test_no_english_source_is_its_own_finnish(self):
        """A term copied over untranslated reads as English in Finnish: only names (Odoo,
        Netvisor, XML, ...), numbers, URLs and code expressions may stay as they are."""
        names = {"Odoo", "Netvisor", "XML", "HMAC", "SHA", "ID", "http"}
        for entry in self.po:
            if entry.msgstr.strip() != entry.msgid.strip() or entry.msgid.startswith("'"):
                continue
            prose = re.sub(r"%\([a-z_]+\)s|<[^>]+>", " ", entry.msgid)
            words = set(re.findall(r"[A-Za-z]{2,}", prose)) - names
            with self.subTest(msgid=entry.msgid):
                self.assertFalse(words, "English used as the Finnish translation")

    def test_design_messages_are_ecom_jet_finnish_verbatim(self):
        for english, finnish in DESIGN_MESSAGES.items():
            with self.subTest(english=english):
                self.assertEqual(self.env_fi._(english), finnish)

    def test_views_and_fields_show_finnish(self):
        period_form = self.env_fi["netvisor.period"].get_views([(False, "form")])
        arch = period_form["views"]["form"]["arch"]
        self.assertIn("Lähetä uudelleen", arch)
        self.assertIn("Avaa uudelleen", arch)
        settings = self.env_fi["res.config.settings"].get_views([(False, "form")])
        self.assertIn("Testaa yhteys", settings["views"]["form"]["arch"])
        self.assertIn("Hae tositetyypit", settings["views"]["form"]["arch"])
        kinds = dict(self.env_fi["netvisor.period"].fields_get(["kind"])["kind"]["selection"])
        self.assertEqual(kinds, {"sale": "Myynti", "purchase": "Ostot"})
        action = self.env_fi.ref("ecomjet_netvisor.action_netvisor_period_close")
        self.assertEqual(action.name, "Sulje kirjanpitokausi (Netvisor)")
