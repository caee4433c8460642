"""What differs between a sales and a purchase period, kept as data (one engine).

Sales and purchases are closed separately, from the invoice and the vendor bill list;
they differ only in these facts (STYLE.md: "sales and purchases as data, not copies").
"""

KINDS = {
    "sale": {
        # receipts are sales and purchases too, locked by the same lock date
        "move_types": ("out_invoice", "out_refund", "out_receipt"),
        "journal_type": "sale",
        "lock_field": "sale_lock_date",
        "voucher_class_field": "netvisor_sale_voucher_class",
        "default_voucher_class": "Myyntilasku",
    },
    "purchase": {
        "move_types": ("in_invoice", "in_refund", "in_receipt"),
        "journal_type": "purchase",
        "lock_field": "purchase_lock_date",
        "voucher_class_field": "netvisor_purchase_voucher_class",
        "default_voucher_class": "Ostolasku",
    },
}
KIND_OF_MOVE_TYPE = {
    move_type: kind for kind, facts in KINDS.items() for move_type in facts["move_types"]
}
