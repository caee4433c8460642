"""Developer harness: install Odoo, run PostgreSQL and the sandbox, the demo and the tests.

Nothing here is part of the addon; it is what `make demo` and `make test` run.
"""
