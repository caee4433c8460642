"""`make test`: plain pytest tests and Odoo tests (pytest-odoo) in one run.

The Odoo tests get a fresh database with the addon installed; the browser tour runs in
headless Chromium. A skipped test fails the run (see conftest.py).
"""

import os
import shutil
import subprocess
import sys
import time

from . import install as installer
from . import odoo, postgres
from .paths import LOCAL, ROOT

TEST_DB = "ecomjet_netvisor_test"
#: A pristine copy of the freshly installed test database, for tests that need a database
#: of their own (the fault campaign clones it instead of installing the addon again).
TEMPLATE_DB = "ecomjet_netvisor_template"
TEST_MODULES = "l10n_fi,ecomjet_netvisor"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def check_browser():
    """Odoo skips browser tests silently without Chromium or websocket-client: refuse instead."""
    problems = []
    if not any(shutil.which(name) for name in BROWSERS):
        problems.append("no Chromium on PATH (Debian/Ubuntu: sudo apt-get install -y chromium)")
    probe = subprocess.run(
        [sys.executable, "-c", "import websocket"], check=False, capture_output=True
    )
    if probe.returncode:
        problems.append(
            "the Python package websocket-client is missing (pip install websocket-client)"
        )
    if problems:
        raise installer.SetupError("the browser tour cannot run: " + "; ".join(problems) + ".")


def check_report_tools():
    """The period report's tests render its PDF through wkhtmltopdf, as Odoo does, and open
    its XLSX in LibreOffice Calc: refuse to start without them rather than fail late."""
    problems = []
    if not shutil.which("wkhtmltopdf"):
        problems.append("no wkhtmltopdf on PATH (sudo apt-get install -y wkhtmltopdf)")
    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        problems.append(
            "no LibreOffice on PATH (sudo apt-get install -y --no-install-recommends "
            "libreoffice-calc-nogui)"
        )
    if problems:
        raise installer.SetupError(
            "the period report tests cannot run: " + "; ".join(problems) + "."
        )


def drop_database(connection, name):
    conn = connection.connect()
    conn.autocommit = True
    with conn.cursor() as cr:
        cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()
    shutil.rmtree(LOCAL / "filestore" / "filestore" / name, ignore_errors=True)


def copy_database(connection, source, target, attempts=20):
    """(Re)create `target` as a copy of `source` (CREATE DATABASE ... TEMPLATE) with its
    filestore. PostgreSQL refuses while anyone is connected to `source`: a server that has
    just exited may still hold a connection for a moment, so this retries briefly."""
    import psycopg2

    drop_database(connection, target)
    conn = connection.connect()
    conn.autocommit = True
    try:
        for attempt in range(attempts):
            try:
                with conn.cursor() as cr:
                    cr.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
                break
            except psycopg2.errors.ObjectInUse:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.5)
    finally:
        conn.close()
    store = LOCAL / "filestore" / "filestore"
    if (store / source).is_dir():
        shutil.copytree(store / source, store / target)


def main(args):
    root = installer.install()
    check_browser()
    check_report_tools()
    started_here = not (LOCAL / "pgdata" / "postmaster.pid").exists()
    connection = postgres.start()
    try:
        drop_database(connection, TEST_DB)  # first: an unreachable server fails here
        odoo.write_config(root, connection)
        print(f"Creating the test database {TEST_DB} with {TEST_MODULES} ...", flush=True)
        created = odoo.run(
            [
                "-d",
                TEST_DB,
                "-i",
                TEST_MODULES,
                "--stop-after-init",
                "--log-level=warn",
                "--no-http",
            ],
            connection,
            check=False,
        )
        if created.returncode:
            print(
                "error: installing the addon into the test database failed (see above).",
                file=sys.stderr,
            )
            return created.returncode
        copy_database(connection, TEST_DB, TEMPLATE_DB)
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "pytest_odoo",
            "--odoo-config",
            str(odoo.CONFIG),
            "--odoo-database",
            TEST_DB,
            "--odoo-http",
            *args.pytest_args,
        ]
        env = {**os.environ, **connection.env()}
        return subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode
    finally:
        if started_here and connection.embedded:
            postgres.stop()
