"""`make demo`: PostgreSQL, the Netvisor sandbox and Odoo with a ready demo database.

The database is created once (a marker parameter says it is complete) and reused;
Ctrl-C stops Odoo, the sandbox and the embedded PostgreSQL.
"""

import os
import secrets
import signal
import subprocess
import time
import urllib.request

from netvisor_sandbox.testing import SandboxProcess

from . import install as installer
from . import odoo, postgres
from .paths import ROOT, local
from .testrun import drop_database

DEMO_DB = "ecomjet_netvisor_demo"
READY_MARKER = "ecomjet_netvisor.demo_ready"
LOGIN = PASSWORD = "admin"  # noqa: S105 - the demo database's documented login

SHELL_CONFIGURE = """
from dev import demo_data
demo_data.configure_company(env, {url!r})
env.cr.commit()
"""
SHELL_BUILD = """
from dev import demo_data
demo_data.build(env, {url!r})
env["ir.config_parameter"].sudo().set_param({marker!r}, "1")
env.cr.commit()
"""


def _query(connection, dbname, sql, params=()):
    import psycopg2

    try:
        conn = connection.connect(dbname)
    except psycopg2.OperationalError:
        return None  # no such database yet
    try:
        with conn.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall()
    except psycopg2.Error:
        return None  # a half-built database without the table
    finally:
        conn.close()


def demo_ready(connection):
    rows = _query(
        connection, DEMO_DB, "SELECT value FROM ir_config_parameter WHERE key = %s", (READY_MARKER,)
    )
    return bool(rows)


def _shell(connection, script):
    result = odoo.run(
        ["shell", "-d", DEMO_DB, "--no-http", "--log-level=warn"],
        connection,
        input=script,
        text=True,
        check=False,
    )
    if result.returncode:
        raise installer.SetupError("building the demo database failed (see the log above).")


def _odoo_step(connection, args):
    if odoo.run(args, connection, check=False).returncode:
        raise installer.SetupError("building the demo database failed (see the log above).")


def create_demo(connection, sandbox_url):
    print(f"Creating the demo database {DEMO_DB} (once; takes a few minutes) ...", flush=True)
    drop_database(connection, DEMO_DB)
    steps = (
        # Finnish is loaded so that a user can switch to it (Preferences > Language); the
        # addon's texts come in Finnish, Odoo's own as far as its source has them
        [
            "-d",
            DEMO_DB,
            "-i",
            "base",
            "--load-language=fi_FI",
            "--stop-after-init",
            "--no-http",
            "--log-level=warn",
        ],
        [
            "-d",
            DEMO_DB,
            "-i",
            "l10n_fi,ecomjet_netvisor",
            "--stop-after-init",
            "--no-http",
            "--log-level=warn",
        ],
    )
    _odoo_step(connection, steps[0])
    _shell(connection, SHELL_CONFIGURE.format(url=sandbox_url))  # Finnish company first,
    _odoo_step(connection, steps[1])  # so that account loads the Finnish chart for it
    _shell(connection, SHELL_BUILD.format(url=sandbox_url, marker=READY_MARKER))


def start_sandbox(port):
    data_dir = local("sandbox", "admin_token").parent
    token_file = data_dir / "admin_token"
    if not token_file.exists():  # kept, so that the README's admin calls work across runs
        token_file.write_text(secrets.token_hex(16))
        token_file.chmod(0o600)
    token = token_file.read_text().strip()
    sandbox = SandboxProcess(data_dir=data_dir, port=port, admin_token=token)
    try:
        sandbox.start()
    except RuntimeError as exc:
        raise installer.SetupError(
            f"the Netvisor sandbox did not start on port {port} ({exc})."
        ) from exc
    print(f"Netvisor sandbox listening on {sandbox.url}", flush=True)
    return sandbox


def wait_for_http(url, process, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise installer.SetupError("Odoo stopped while starting (see the log above).")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - loopback
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise installer.SetupError(f"Odoo did not answer on {url} within {seconds} s.")


def _stop(process, sig=signal.SIGINT, timeout=30):
    if process and process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()


def main(args):
    root = installer.install()
    # Ctrl-C and `kill` both stop everything, even when started from a script that
    # ignores SIGINT for background jobs
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    connection = postgres.start()
    sandbox = server = None
    try:
        odoo.write_config(root, connection)
        sandbox = start_sandbox(args.sandbox_port)
        sandbox_url = sandbox.url
        if not demo_ready(connection):
            create_demo(connection, sandbox_url)
        server = subprocess.Popen(
            odoo.odoo_command(
                "-c",
                str(odoo.CONFIG),
                "-d",
                DEMO_DB,
                "--db-filter",
                f"^{DEMO_DB}$",
                "--http-port",
                str(args.port),
            ),
            cwd=ROOT,
            env={**os.environ, **connection.env()},
        )
        url = f"http://localhost:{args.port}"
        wait_for_http(f"{url}/web/login", server)
        print(
            f"\n  Odoo demo is ready: {url}\n  Login: {LOGIN}   Password: {PASSWORD}\n"
            f"  Netvisor sandbox: {sandbox_url} (admin token in .local/sandbox/admin_token)\n"
            "  Stop with Ctrl-C.\n",
            flush=True,
        )
        server.wait()
    except KeyboardInterrupt:
        print("\nStopping Odoo, the sandbox and PostgreSQL ...", flush=True)
    finally:
        _stop(server)
        if sandbox:
            sandbox.stop()
        postgres.stop()
    return 0
