# The two commands a newcomer types: `make demo` and `make test`.
PYTHON ?= python3

.PHONY: install demo test lint sandbox
install:
	$(PYTHON) -m dev install

demo:
	$(PYTHON) -m dev demo

test:
	$(PYTHON) -m dev test

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

sandbox:
	$(PYTHON) -m netvisor_sandbox --data .local/sandbox
