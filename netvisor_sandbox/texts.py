"""Error texts (Finnish, English). Only the category prefix is reliable Netvisor
behaviour; the free texts follow API.md §2.7/§3.3 where it quotes them."""

_FI = "Tietomuoto virheellinen:. "
_EN = "Data form incorrect:. "

TEXTS = {
    # authentication (API.md §2.7)
    "header_missing": (
        "Pakollinen otsake puuttuu: {header}",
        "Required header missing: {header}",
    ),
    "partner_unknown": (
        "Integraatiokumppania ei löydy, katso dokumentaatio",
        "Integration partner not found, see documentation",
    ),
    "customer_unknown": (
        "Käyttäjätunnusta ei löydy tai sillä ei ole oikeutta organisaatioon {org}",
        "Customer ID not found or not linked to organisation {org}",
    ),
    "algorithm_unknown": (
        "Tuntematon MAC-laskenta-algoritmi: {alg}",
        "Unknown MAC calculation algorithm: {alg}",
    ),
    "algorithm_retired": (
        "MAC-laskenta-algoritmi {alg} ei ole enää käytössä, käytä HMACSHA256",
        "MAC calculation algorithm {alg} is no longer accepted, use HMACSHA256",
    ),
    "timestamp_unix_invalid": (
        "X-Netvisor-Authentication-TimestampUnix puuttuu tai ei kelpaa",
        "X-Netvisor-Authentication-TimestampUnix is missing or invalid",
    ),
    "timestamp_skew": (
        "Pyynnön aikaleima ei ole sallitulla aikavälillä",
        "Request timestamp is outside the allowed time window",
    ),
    "mac_invalid": (
        "URI-metodi ei kelpaa, katso dokumentaatio. "
        "Käytä MAC-tiivisteen laskentaan merkkijonoa: {expected}",
        "URI method not valid, see documentation. "
        "Use this string for the MAC calculation: {expected}",
    ),
    "not_unique": (
        "Tapahtumatunniste on jo käytetty, sen pitää vaihtua jokaisella pyynnöllä",
        "The transaction ID has already been used; it must change on every request",
    ),
    "no_api_access": (
        "Ei käyttöoikeutta: yrityksen palvelupaketti ei sisällä rajapintaa "
        "(Professional tai Premium vaaditaan)",
        "No access rights: the company's service package does not include the API "
        "(Professional or Premium required)",
    ),
    # routing
    "resource_unknown": (
        _FI + "Tuntematon resurssi: {resource}",
        _EN + "Unknown resource: {resource}",
    ),
    "method_not_allowed": (
        _FI + "Metodia {method} ei sallita resurssille {resource}",
        _EN + "Method {method} is not allowed for resource {resource}",
    ),
    "body_malformed": (
        _FI + "HTTP-viestin runkoa ei voi lukea",
        _EN + "The HTTP message body cannot be read",
    ),
    "body_too_large": (
        "Viesti on liian suuri (enintään {limit} tavua)",
        "Message is too large (at most {limit} bytes)",
    ),
    # body
    "xml_invalid": (
        _EN + "XML message validation failed: Could not validate xml",
        _EN + "XML message validation failed: Could not validate xml",
    ),
    "calculationmode_invalid": (
        _FI + "Tuntematon laskentatapa: {value}",
        _EN + "Unknown calculation mode: {value}",
    ),
    "checked_invalid": (
        _FI + "Virheellinen checked-arvo: {value}",
        _EN + "Invalid checked value: {value}",
    ),
    "date_invalid": (_FI + "Virheellinen päivämäärä: {value}", _EN + "Invalid date: {value}"),
    "date_no_period": (
        _FI + "Päivämäärä {date} ei osu millekään tilikaudelle",
        _EN + "Date {date} is not within any accounting period",
    ),
    "period_lock": (
        "Tilikausi on lukittu päivämäärälle {date}",
        "Accounting period is locked for date {date}",
    ),
    "number_invalid": (
        _FI + "Virheellinen tositenumero: {value}",
        _EN + "Invalid voucher number: {value}",
    ),
    "too_long": (
        "{field} on liian pitkä ({length} merkkiä, enintään {limit})",
        "{field} is too long ({length} characters, at most {limit})",
    ),
    "voucherclass_unknown": (
        _FI + "Tositelajia ei löydy nimellä: {value}",
        _EN + "Voucher class not found with name: {value}",
    ),
    "linesum_invalid": (_FI + "Virheellinen rivisumma: {value}", _EN + "Invalid line sum: {value}"),
    "account_not_found": (
        _FI + "Tiliä ei löydy tilinumerolla: {number}",
        _EN + "Account not found with account number: {number}",
    ),
    "account_is_group": (
        _FI + "Tili {number} on tiliryhmä, eikä sille voi kirjata",
        _EN + "Account {number} is an account group and cannot be posted to",
    ),
    "account_inactive": (
        _FI + "Tili {number} ei ole käytössä",
        _EN + "Account {number} is not active",
    ),
    "vat_percent_invalid": (
        _FI + "Virheellinen ALV-prosentti: {value}",
        _EN + "Invalid VAT percent: {value}",
    ),
    "vat_code_unknown": (_FI + "Tuntematon ALV-koodi: {code}", _EN + "Unknown VAT code: {code}"),
    "vat_conflict": (
        _FI + "ALV-koodia {code} ei voi käyttää ALV-prosentilla {percent}",
        _EN + "VAT code {code} cannot be used with VAT percent {percent}",
    ),
    "unbalanced": (
        _FI + "Tosite ei täsmää: debet ja kredit eroavat {difference}",
        _EN + "Voucher does not balance: debit and credit differ by {difference}",
    ),
    # attachments (API.md §11.3)
    "attachment_data_invalid": (
        _FI + "Liitteen {position} ({filename}) documentdata ei ole kelvollista base64-dataa",
        _EN + "Attachment {position} ({filename}): documentdata is not valid base64",
    ),
    "attachment_mimetype_invalid": (
        _FI + "Liitteen {position} ({filename}) MIME-tyyppi ei kelpaa: {value}",
        _EN + "Attachment {position} ({filename}): invalid MIME type: {value}",
    ),
    # dimensions (API.md §11.2)
    "dimension_unknown": (
        _FI + "Dimensiota ei löydy nimellä: {name} (dimension on oltava olemassa Netvisorissa)",
        _EN + "Dimension not found with name: {name} (the dimension must exist in Netvisor)",
    ),
    "dimension_item_unknown": (
        _FI + "Dimensiolla {name} ei ole laskentakohdetta nimellä: {item}",
        _EN + "Dimension {name} has no item with name: {item}",
    ),
    "dimension_repeated": (
        _FI + "Tositerivillä on useampi laskentakohde dimensiolle: {name}",
        _EN + "The voucher line has more than one item of dimension: {name}",
    ),
    "dimension_item_exists": (
        "Laskentakohde {item} on jo olemassa dimensiolla {name}",
        "Dimension item {item} already exists in dimension {name}",
    ),
    "dimension_father_unknown": (
        _FI + "Dimensiolla {name} ei ole isälaskentakohdetta: {item}",
        _EN + "Dimension {name} has no father item: {item}",
    ),
    "dimension_text_invalid": (
        _FI + "{field} ei saa sisältää ohjausmerkkejä",
        _EN + "{field} must not contain control characters",
    ),
    "method_unsupported": (
        _FI + "Metodia {method} ei tueta hiekkalaatikossa",
        _EN + "Method {method} is not supported by the sandbox",
    ),
    # ledger and invalidation
    "parameter_missing": (
        _FI + "Pakollinen parametri puuttuu: {name}",
        _EN + "Required parameter missing: {name}",
    ),
    "parameter_invalid": (
        _FI + "Virheellinen parametri {name}: {value}",
        _EN + "Invalid parameter {name}: {value}",
    ),
    "too_many_keys": (
        "Liian monta tunnistetta ({count}, enintään {limit})",
        "Too many identifiers ({count}, at most {limit})",
    ),
    "voucher_not_found": (
        _FI + "Tositetta ei löydy Netvisor-tunnisteella: {key}",
        _EN + "Voucher not found with Netvisor identifier: {key}",
    ),
    # injected faults
    "maintenance": ("Järjestelmä on huoltotilassa", "System is under maintenance"),
    "technical": ("Tekninen virhe", "Technical error"),
}
