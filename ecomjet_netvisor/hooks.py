def _post_init_seed_tax_codes(env):
    """Give the taxes of already loaded Finnish charts their Netvisor VAT codes."""
    env["account.tax"]._netvisor_seed_vat_codes()
