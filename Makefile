# The two commands a newcomer types: `make demo` and `make test`.
PYTHON ?= python3
ODOO_PORT ?= 8069
SANDBOX_PORT ?= 8090

.PHONY: install demo test lint sandbox
install:
	$(PYTHON) -m dev install

demo:
	$(PYTHON) -m dev demo --port $(ODOO_PORT) --sandbox-port $(SANDBOX_PORT)

test:
	$(PYTHON) -m dev test

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m pylint --rcfile=.pylintrc ecomjet_netvisor

sandbox:
	$(PYTHON) -m netvisor_sandbox --port $(SANDBOX_PORT) --data .local/sandbox
