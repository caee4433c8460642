"""Every user-facing text about Netvisor's answers, defined once (as Odoo 19's
``account_peppol/exceptions.py`` does): a table from a category to a translated text.

The texts are functions of an environment so that they are translated in the language of
whoever reads them (the user who closed the period, not the cron user); callers never
spell these sentences again.
"""

from odoo.tools.misc import format_date, format_datetime

#: Ecom Jet's three errors (DESIGN.md §2), word for word.
OUTSIDE_PERIOD = "outside_period"
ACCOUNT_NOT_FOUND = "account_not_found"
SENDING_FAILED = "sending_failed"

TEXTS = {
    OUTSIDE_PERIOD: lambda env: env._(
        "The accounting period closing contains transactions outside the selected period!"
    ),
    ACCOUNT_NOT_FOUND: lambda env: env._(
        "An error occurred in the accounting integration. The account was not found in the "
        "Netvisor chart of accounts."
    ),
    SENDING_FAILED: lambda env: env._("Sending invoices to Netvisor failed."),
}
#: What each connector error category (API.md §3.3) means for the accountant.
CATEGORY_TEXTS = {
    "AUTHENTICATION_FAILED": lambda env: env._(
        "Netvisor did not accept the identifiers. Check the API user ID and key and the "
        "business ID in Settings > Integrations > Netvisor."
    ),
    "SERVICE_ACCESS_ERROR": lambda env: env._(
        "Netvisor refused access. The Netvisor API needs the Professional or Premium service "
        "package, and the API user must be allowed the accounting resources under 'Rights of "
        "interface resources' in Netvisor."
    ),
    "PERIOD_LOCK": lambda env: env._("The period is locked in Netvisor."),
    "SYSTEM_MAINTENANCE": lambda env: env._("Netvisor is under maintenance. Try again later."),
    "TECHNICAL_ERROR": lambda env: env._("Netvisor had an internal error. Odoo tries again later."),
    "DUPLICATE_DATA": lambda env: env._("Netvisor says the data is already there."),
    "REQUEST_NOT_UNIQUE": lambda env: env._("Netvisor says the data is already there."),
    "TRANSPORT": lambda env: env._("Netvisor could not be reached or answered unexpectedly."),
    "REFUSED": lambda env: env._("Netvisor refused the request."),
    "INVALID_DATA_SIZE": lambda env: env._(
        "Netvisor refused the voucher as too large, or a text in it as too long. If it "
        "carries a document, lower the largest document size in Settings > Integrations > "
        "Netvisor, or press Send without document on the voucher."
    ),
    # documents sent with vouchers (API.md §11.3)
    "ATTACHMENT_UNREADABLE": lambda env: env._(
        "The document could not be read from Odoo's file storage, so nothing was sent. "
        "Attach the document again, or press Send without document on the voucher."
    ),
}
#: The sender's own outcomes.
TEXTS |= {
    "NOT_POSTED": lambda env, name: env._("%s is no longer posted in Odoo; it is not sent.", name),
    "TAX_CODE": lambda env, tax: env._("The tax %s has no Netvisor VAT code.", tax),
    "FIXED_TAX": lambda env, tax: env._(
        "The tax %s is a fixed amount, but a Netvisor VAT code needs a percentage. Use a "
        "percentage tax on the line, or give the fixed tax the code NONE and book its "
        "amount as a line of its own.",
        tax,
    ),
    "ACCOUNT": lambda env, number: env._("Account: %s", number),
    "ACCOUNT_REFUSED": lambda env, number: env._(
        "Netvisor's chart of accounts has no account %s: correct the mapping.", number
    ),
    "MAY_BE_STORED": lambda env, when: env._(
        "Netvisor may have stored this voucher. Odoo looks it up in Netvisor's ledger from "
        "%s on, when the earlier request can no longer arrive, and sends it again only if "
        "it is not there: it is never booked twice.",
        when,
    ),
    "INTERRUPTED": lambda env: env._(
        "Sending was interrupted before Netvisor's answer was saved (the Odoo worker stopped)."
    ),
    "FOUND": lambda env, key: env._(
        "Found in Netvisor (key %s) after an unknown outcome: it was not sent again.", key
    ),
    "TWICE": lambda env, keys: env._(
        "This voucher is in Netvisor more than once (keys %s). Invalidate the extra ones in "
        "Netvisor, then press Resend.",
        keys,
    ),
    "INVALIDATED": lambda env, keys: env._(
        "Netvisor holds this voucher only as invalidated (key %s), so it is not booked. "
        "Press Resend to send it again.",
        keys,
    ),
    "LOOKUP_FAILED": lambda env, reference: env._(
        "Odoo could not look this voucher up in Netvisor after several tries. Check in "
        "Netvisor whether a voucher whose description starts with %s exists, then press "
        "Resend.",
        reference,
    ),
    "RETRY_LATER": lambda env, when: env._("Odoo tries again from %s on.", when),
    "REPORT": lambda env, sent, total: env._(
        "Netvisor: vouchers sent %(sent)s of %(total)s.", sent=sent, total=total
    ),
    "RESEND": lambda env, user: env._("Resend requested by %s.", user),
    "NOTHING_TO_RESEND": lambda env: env._(
        "Every voucher of this period has already been handled."
    ),
    # dimensions (laskentakohteet): the build problems of account.move._netvisor_voucher_data
    "DIMENSION_MISSING": lambda env, pair: env._(
        "Netvisor has no dimension item %s: correct the item (Netvisor > Dimensions) or "
        "fetch the dimensions again. Netvisor would create a new cost object from it.",
        pair,
    ),
    "DIMENSION_HIDDEN": lambda env, pair: env._(
        "The dimension item %s is hidden in Netvisor: show it in Netvisor or map the "
        "analytic account to another item.",
        pair,
    ),
    "ANALYTIC_SPLIT": lambda env, name: env._(
        "The analytic distribution of %s books the same amount on several plans in "
        "separate rows. Put the plans on the same row (one row per combination) so that "
        "each Netvisor line carries one item of each dimension.",
        name,
    ),
}


def text(env, key, *args):
    """The translated text ``key`` in ``env``'s language."""
    return TEXTS[key](env, *args)


def category_text(env, category, transport=False):
    """What a connector error category means, translated; a general text for the rest."""
    if category in CATEGORY_TEXTS:
        return CATEGORY_TEXTS[category](env)
    return CATEGORY_TEXTS["TRANSPORT" if transport else "REFUSED"](env)


def date_text(env, value):
    """A date as the reader's language writes it, with the year (31.1.2026, Jan 31, 2026)."""
    return format_date(env, value, date_format="medium") if value else ""


def moment_text(env, value):
    """A UTC moment in the reader's time zone and language, date included."""
    return format_datetime(env, value, tz=env.context.get("tz") or False) if value else ""
