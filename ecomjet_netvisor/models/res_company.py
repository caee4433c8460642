import re
import threading
from contextlib import closing, contextmanager

from odoo import SUPERUSER_ID, api, fields, models, sql_db, tools
from odoo.exceptions import AccessError, UserError, ValidationError

from .. import messages
from ..netvisor import Credentials, NetvisorClient, errors
from ..netvisor import client as connector

NETVISOR_URLS = {
    "production": "https://integration.netvisor.fi",
    "test": "https://isvapi.netvisor.fi",
}
SENDER = "Odoo ecomjet_netvisor"

#: Netvisor's texts (Finnish, English) refusing an account of a voucher line; one group
#: holds the account number. Netvisor's exact wording is unconfirmed (API.md §3.3).
ACCOUNT_REFUSED = re.compile(
    r"account not found with account number:?\s*([^\s,;]+)"
    r"|account ([^\s,;]+) (?:is not active|is an account group)"
    r"|tiliä ei löydy tilinumerolla:?\s*([^\s,;]+)"
    r"|tili ([^\s,;]+) (?:ei ole käytössä|on tiliryhmä)",
    re.IGNORECASE,
)

#: One connector client (one HTTP session with keep-alive) per database, company and
#: thread; replaced when the company's settings change.
_CLIENTS = {}
_CLIENTS_LOCK = threading.Lock()
#: The xmlid (module ecomjet_netvisor) of each company's own sender cron.
SENDER_CRON_XMLID = "ir_cron_netvisor_send_company_%s"
#: The PostgreSQL advisory lock namespace of "one Netvisor request at a time per company"
#: (key: the company id), held by the sender for its run and by a user's call for its
#: transaction.
SEND_LOCK_NAMESPACE = 0x4E560001
#: Retries inside the client of a request that surely stored nothing (the sender's
#: time budget counts them).
CLIENT_RETRIES = 1
#: The default and the largest cap on a voucher's document, in MB (10**6 bytes): Netvisor
#: documents no import limit, keeps up to 200 MB per voucher, and bills every attachment
#: (API.md §11.3).
DEFAULT_DOCUMENT_MAX_MB = 10
LARGEST_DOCUMENT_MAX_MB = 200


class ResCompany(models.Model):
    _inherit = "res.company"

    netvisor_enabled = fields.Boolean("Netvisor")
    netvisor_customer_id = fields.Char("API user ID", groups="base.group_system", copy=False)
    netvisor_customer_key = fields.Char("API key", groups="base.group_system", copy=False)
    netvisor_partner_id = fields.Char("Partner ID", groups="base.group_system", copy=False)
    netvisor_partner_key = fields.Char("Partner key", groups="base.group_system", copy=False)
    netvisor_organisation_id = fields.Char(
        "Business ID", help="The company's Finnish business ID; empty means the company registry."
    )
    netvisor_environment = fields.Selection(
        [
            ("production", "Production"),
            ("test", "Netvisor test (ISV)"),
            ("custom", "Custom URL"),
        ],
        default="production",
        required=True,
    )
    netvisor_custom_url = fields.Char("Custom URL")
    netvisor_language = fields.Selection(
        [("FI", "Finnish"), ("EN", "English"), ("SE", "Swedish")],
        string="Interface language",
        default="FI",
        required=True,
    )
    netvisor_sale_voucher_class = fields.Char("Sales voucher type", default="Myyntilasku")
    netvisor_purchase_voucher_class = fields.Char("Purchase voucher type", default="Ostolasku")
    netvisor_start_date = fields.Date(
        "Integration start date",
        help="Documents dated before this date are never sent to Netvisor.",
    )
    netvisor_create_dimension_items = fields.Boolean(
        "Create missing dimension items in Netvisor",
        help="When a closed period uses an analytic account Netvisor has no dimension item "
        "for, the close creates the item in Netvisor before sending. Off: the close is "
        "refused and names the items (a typo never makes a new cost object).",
    )
    netvisor_compare_nightly = fields.Boolean(
        "Compare with Netvisor every night",
        help="Each night Odoo compares the closed periods of the last year with what "
        "Netvisor holds, and flags a period that differs.",
    )
    netvisor_send_sale_documents = fields.Boolean(
        "Send invoice PDFs with the vouchers",
        help="Each sales voucher carries the invoice's PDF (Odoo's own, made when the "
        "invoice has none yet). Netvisor charges a fee for every attachment it imports.",
    )
    netvisor_send_purchase_documents = fields.Boolean(
        "Send bill images with the vouchers",
        help="Each purchase voucher carries the bill's main attachment (the scan or the "
        "e-invoice image); a bill without one is sent without. Netvisor charges a fee for "
        "every attachment it imports.",
    )
    netvisor_document_max_mb = fields.Integer(
        "Largest document (MB)",
        default=DEFAULT_DOCUMENT_MAX_MB,
        help="A voucher whose document is larger is not sent: it waits, with the reason, "
        "until the limit is raised or it is sent without its document.",
    )
    netvisor_send_after = fields.Datetime(
        "Netvisor sending paused until",
        readonly=True,
        copy=False,
        help="No request goes to Netvisor for this company before this time: Netvisor was "
        "away, or an earlier request may still be running there.",
    )
    netvisor_neutralized = fields.Boolean(
        "Neutralized copy",
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="Set when the database was neutralized (data/neutralize.sql): nothing is sent "
        "until the API key is entered again.",
    )
    netvisor_mac_algorithm = fields.Selection(
        [("HMACSHA256", "HMAC-SHA256"), ("SHA256", "SHA-256 (legacy)")],
        string="MAC algorithm",
        default="HMACSHA256",
        groups="base.group_system",
    )

    @api.constrains(
        "netvisor_environment",
        "netvisor_custom_url",
        "netvisor_customer_id",
        "netvisor_customer_key",
        "netvisor_partner_id",
        "netvisor_partner_key",
        "netvisor_organisation_id",
    )
    def _check_netvisor_settings(self):
        """Refuse, when saved, a setting that could not be sent: the error names the setting,
        never its value (a key pasted with a stray character must not travel back)."""
        for company in self.sudo():
            problems = []
            if company.netvisor_environment == "custom" and company.netvisor_custom_url:
                try:
                    connector.check_base_url(company._netvisor_base_url(), ascii_only=True)
                except ValueError:
                    problems.append(
                        self.env._(
                            "The Netvisor custom URL is not valid. Use an address such as "
                            "https://netvisor.example.fi or https://host:port (port 1 to "
                            "65535), without spaces or accented letters; plain http only for "
                            "this machine."
                        )
                    )
            for name in ("customer_id", "partner_id", "organisation_id", *connector.KEY_FIELDS):
                value = (company[f"netvisor_{name}"] or "").strip()
                if not value:
                    continue
                try:
                    connector.check_setting(name, value)
                except ValueError:
                    label = company._fields[f"netvisor_{name}"]._description_string(self.env)
                    problems.append(
                        self.env._(
                            "The Netvisor setting %s contains a character Netvisor cannot "
                            "receive (such as an accented letter or a line break). Copy it "
                            "again from Netvisor.",
                            label,
                        )
                    )
            if problems:
                raise ValidationError("\n".join(problems))

    @api.constrains("netvisor_document_max_mb")
    def _check_netvisor_document_max_mb(self):
        for company in self:
            if not 1 <= company.netvisor_document_max_mb <= LARGEST_DOCUMENT_MAX_MB:
                raise ValidationError(
                    self.env._(
                        "The largest document sent with a Netvisor voucher must be between "
                        "1 and %s MB.",
                        LARGEST_DOCUMENT_MAX_MB,
                    )
                )

    def _netvisor_sends_documents(self, kind):
        """Whether this company's vouchers of ``kind`` ('sale' or 'purchase') carry their
        document (its root company's choice: a branch books in the root's organisation)."""
        root = self.sudo().root_id
        if kind == "sale":
            return root.netvisor_send_sale_documents
        return root.netvisor_send_purchase_documents

    def _netvisor_document_cap(self):
        """The root company's cap on a voucher's document, in bytes."""
        return self.sudo().root_id.netvisor_document_max_mb * 1_000_000

    def write(self, vals):
        # a neutralized copy sends again only once someone has entered an API key in it
        if vals.get("netvisor_customer_key"):
            vals = {**vals, "netvisor_neutralized": False}
        return super().write(vals)

    def _netvisor_sender_cron(self):
        """The company's own sender cron, created on first use.

        Odoo runs one ``ir.cron`` in one worker at a time, so one cron per company lets
        several cron workers (processes or machines) send for several companies at once;
        the PostgreSQL advisory lock of the sending loop keeps one request at a time per
        company. Its xmlid (noupdate) belongs to this module, so that an upgrade keeps it
        and an uninstall removes it.
        """
        self.ensure_one()
        xmlid = "ecomjet_netvisor." + SENDER_CRON_XMLID % self.id
        cron = self.env.ref(xmlid, raise_if_not_found=False)
        if cron:
            return cron.sudo()
        # two transactions creating it at once: the second waits here, then finds it
        self.env.cr.execute("SELECT id FROM res_company WHERE id = %s FOR NO KEY UPDATE", [self.id])
        cron = self.env.ref(xmlid, raise_if_not_found=False)
        if cron:
            return cron.sudo()
        cron = (
            self.env["ir.cron"]
            .sudo()
            .create(
                {
                    "name": f"Netvisor: send for {self.name}",
                    "model_id": self.env["ir.model"]._get_id("netvisor.period"),
                    "state": "code",
                    "code": f"model._cron_send_vouchers([{self.id}])",
                    "user_id": SUPERUSER_ID,
                    "interval_number": 1,
                    "interval_type": "days",
                    "active": True,
                }
            )
        )
        self.env["ir.model.data"].sudo()._update_xmlids(
            [{"xml_id": xmlid, "record": cron, "noupdate": True}]
        )
        return cron

    def _netvisor_base_url(self):
        self.ensure_one()
        if self.netvisor_environment == "custom":
            return (self.netvisor_custom_url or "").strip().rstrip("/")
        return NETVISOR_URLS[self.netvisor_environment or "production"]

    def _netvisor_settings(self):
        """The company's connection settings, read as superuser (keys never leave here)."""
        self.ensure_one()
        company = self.sudo()
        return {
            "base_url": company._netvisor_base_url(),
            "customer_id": (company.netvisor_customer_id or "").strip(),
            "customer_key": (company.netvisor_customer_key or "").strip(),
            "partner_id": (
                company.netvisor_partner_id or tools.config.get("netvisor_partner_id") or ""
            ).strip(),
            "partner_key": (
                company.netvisor_partner_key or tools.config.get("netvisor_partner_key") or ""
            ).strip(),
            "organisation_id": (
                company.netvisor_organisation_id or company.company_registry or ""
            ).strip(),
            "language": company.netvisor_language or "FI",
            "algorithm": company.netvisor_mac_algorithm or "HMACSHA256",
        }

    def _netvisor_problems(self, require_enabled=True):
        """Translated texts naming every missing setting; an empty list means ready to send."""
        self.ensure_one()
        settings = self._netvisor_settings()
        labels = {
            "base_url": self.env._("Custom URL"),
            "customer_id": self.env._("API user ID"),
            "customer_key": self.env._("API key"),
            "partner_id": self.env._("Partner ID"),
            "partner_key": self.env._("Partner key"),
            "organisation_id": self.env._("Business ID"),
        }
        problems = []
        if require_enabled and not self.netvisor_enabled:
            problems.append(
                self.env._("The Netvisor integration is not enabled for %s.", self.name)
            )
        if self.sudo().netvisor_neutralized:
            problems.append(
                self.env._(
                    "This database is a neutralized copy: nothing is sent to Netvisor from "
                    "it until the API key of %s is entered again in Settings > General "
                    "Settings > Integrations > Netvisor.",
                    self.name,
                )
            )
        missing = [label for key, label in labels.items() if not settings[key]]
        if missing:
            problems.append(
                self.env._(
                    "Netvisor settings missing for %(company)s: %(settings)s. Fill them in "
                    "Settings > General Settings > Integrations > Netvisor.",
                    company=self.name,
                    settings=", ".join(missing),
                )
            )
        if self.currency_id.name != "EUR":
            problems.append(
                self.env._(
                    "Netvisor keeps its books in euros, but the currency of %(company)s is "
                    "%(currency)s.",
                    company=self.name,
                    currency=self.currency_id.name,
                )
            )
        return problems

    def _netvisor_client(self, require_enabled=True, timeout=None):
        """The connector client of this company, reused across calls in the same thread.

        Configuration calls (test connection, fetch lists) work before Netvisor is enabled.
        ``timeout``: the read timeout in seconds (default: the connector's, API.md §7).
        """
        self.ensure_one()
        if not self.env.is_superuser() and self not in self.env.user.company_ids:
            # a company id passed over RPC must not borrow another company's keys
            raise AccessError(
                self.env._("You cannot use the Netvisor connection of %s.", self.name)
            )
        problems = self._netvisor_problems(require_enabled)
        if problems:
            raise UserError("\n".join(problems))
        settings = self._netvisor_settings()
        try:
            credentials = Credentials(sender=SENDER, **settings)
        except ValueError as error:
            raise UserError(self.env._("The Netvisor settings are not valid: %s", error)) from None
        key = (self.env.cr.dbname, self.id, threading.get_ident())
        fingerprint = (tuple(sorted(settings.items())), timeout)
        with _CLIENTS_LOCK:
            cached = _CLIENTS.get(key)
            if cached and cached[0] == fingerprint:
                return cached[1]
            if cached:
                cached[1].close()
            options = {} if timeout is None else {"timeout": timeout}
            client = NetvisorClient(credentials, max_retries=CLIENT_RETRIES, **options)
            _CLIENTS[key] = (fingerprint, client)
            return client

    @contextmanager
    def _netvisor_connection(self, require_enabled=True):
        """The company's client for a user's call (test connection, fetches, the close's
        checks), while holding the sender's lock: Netvisor takes one request at a time per
        company, so the call is refused while the sender, or another user's call, runs.

        The lock is taken on a connection of its own and released before it is closed, so
        it never outlives the call, whatever happens to the user's transaction."""
        client = self._netvisor_client(require_enabled)
        with closing(sql_db.db_connect(self.env.cr.dbname).cursor()) as cr:
            cr.execute("SELECT pg_try_advisory_lock(%s, %s)", (SEND_LOCK_NAMESPACE, self.id))
            if not cr.fetchone()[0]:
                raise UserError(
                    self.env._(
                        "Odoo is talking to Netvisor for %s right now (sending vouchers or "
                        "another user's request), and Netvisor takes one request at a time "
                        "per company. Nothing was asked from Netvisor: try again in a moment.",
                        self.name,
                    )
                )
            try:
                yield client
            finally:
                cr.execute("SELECT pg_advisory_unlock(%s, %s)", (SEND_LOCK_NAMESPACE, self.id))

    @contextmanager
    def _netvisor_request(self, require_enabled=True):
        """``_netvisor_connection`` for a user's button: a Netvisor error becomes its
        translated explanation in a UserError (never the keys, never the traceback)."""
        try:
            with self._netvisor_connection(require_enabled) as client:
                yield client
        except errors.NetvisorError as error:
            raise UserError(self._netvisor_error_text(error)) from None

    def _netvisor_config_error(self):
        """The company's settings error in this environment's language (False: none)."""
        try:
            self._netvisor_client()
        except UserError as error:
            return str(error)
        return False

    def _netvisor_error_text(self, error):
        """A translated plain-language explanation of a connector error (never keys)."""
        refused = isinstance(error, errors.InvalidData) and ACCOUNT_REFUSED.search(
            error.netvisor_text
        )
        if refused:
            number = next(group for group in refused.groups() if group).rstrip(".")
            explanation = "\n".join(
                [
                    messages.text(self.env, messages.ACCOUNT_NOT_FOUND),
                    messages.text(self.env, "ACCOUNT_REFUSED", number),
                ]
            )
        else:
            transport = isinstance(error, errors.TransportError)
            explanation = messages.category_text(self.env, error.category, transport)
        details = getattr(error, "netvisor_text", None) or str(error)
        category = getattr(error, "category", None)
        if category:
            details = f"{category}: {details}"
        return f"{explanation}\n{details}" if details else explanation

    def action_netvisor_test_connection(self):
        """Ask Netvisor for its accounting periods and show what it answered."""
        self.ensure_one()
        self.env["netvisor.account.map"].check_access("write")
        try:
            with self._netvisor_connection(require_enabled=False) as client:
                info = client.get_accounting_periods()
        except errors.NetvisorError as error:
            return self._netvisor_notification(
                self.env._("Netvisor connection failed"),
                self._netvisor_error_text(error),
                "danger",
            )
        lock = info.accounting_lock_date
        message = self.env._("Netvisor answered OK.")
        if lock:
            message += " " + self.env._("Accounting is locked in Netvisor up to %s.", lock)
        return self._netvisor_notification(self.env._("Netvisor connection"), message, "success")

    def _netvisor_notification(self, title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": kind,
                "sticky": kind != "success",
            },
        }
