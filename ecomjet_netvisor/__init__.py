# The connector (`netvisor/`) is plain Python and is also imported by plain pytest as
# `ecomjet_netvisor.netvisor`; the ORM layer only loads when Odoo loads the addon.
if __name__.startswith("odoo.addons."):
    from . import models, wizards
    from .hooks import _post_init_seed_tax_codes
