"""`make test`: plain pytest tests and Odoo tests (pytest-odoo) in one run.

The Odoo tests get a fresh database with the addon installed; the browser tour runs in
headless Chromium. A skipped test fails the run (see conftest.py).
"""

import os
import shutil
import subprocess
import sys

from . import install as installer
from . import odoo, postgres
from .paths import LOCAL, ROOT

TEST_DB = "ecomjet_netvisor_test"
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


def drop_database(connection, name):
    conn = connection.connect()
    conn.autocommit = True
    with conn.cursor() as cr:
        cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()
    shutil.rmtree(LOCAL / "filestore" / "filestore" / name, ignore_errors=True)


def main(args):
    root = installer.install()
    check_browser()
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
