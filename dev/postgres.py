"""PostgreSQL for Odoo: an embedded pgserver by default, the user's own server on request.

The user's server is used when PGHOST is set (with the usual PGPORT, PGUSER,
PGPASSWORD). Otherwise an embedded server keeps its data in .local/pgdata and is
reused between runs. Odoo refuses the superuser `postgres`, so the embedded server
gets its own role.
"""

import os
import subprocess
from dataclasses import dataclass

from .install import SetupError
from .paths import LOCAL

ROLE = "ecomjet"


@dataclass
class Connection:
    host: str
    port: str
    user: str
    password: str
    embedded: bool

    def odoo_options(self):
        values = {
            "db_host": self.host,
            "db_port": self.port,
            "db_user": self.user,
            "db_password": self.password,
        }
        return {key: value for key, value in values.items() if value}

    def connect(self, dbname="postgres"):
        """A psycopg2 connection (psycopg2 comes with Odoo's requirements)."""
        import psycopg2

        params = {"host": self.host, "port": self.port, "password": self.password}
        params = {key: value for key, value in params.items() if value}
        try:
            return psycopg2.connect(dbname=dbname, user=self.user, **params)
        except psycopg2.OperationalError as exc:
            if self.embedded or dbname != "postgres":
                raise
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else exc
            raise SetupError(
                f"cannot reach your PostgreSQL (PGHOST={self.host} PGPORT={self.port or 5432} "
                f"PGUSER={self.user}): {first_line}. Check those settings, or unset PGHOST "
                "to use the embedded server."
            ) from exc

    def env(self):
        """Environment for libpq tools (psql, createdb, dropdb) and pytest-odoo's xdist copies."""
        values = {
            "PGHOST": self.host,
            "PGPORT": self.port,
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": "postgres",
        }
        return {key: value for key, value in values.items() if value}


def external():
    """The user's own server, from the standard PG* variables, or None."""
    if not os.environ.get("PGHOST"):
        return None
    user = os.environ.get("PGUSER") or os.environ.get("USER") or ""
    if user == "postgres":
        raise SetupError(
            "Odoo refuses to connect as the PostgreSQL superuser 'postgres'. Set PGUSER to a "
            "role with CREATEDB (createuser --createdb odoo)."
        )
    return Connection(
        os.environ["PGHOST"],
        os.environ.get("PGPORT", ""),
        user,
        os.environ.get("PGPASSWORD", ""),
        embedded=False,
    )


def _server():
    import pgserver

    return pgserver.get_server(LOCAL / "pgdata", cleanup_mode=None)


def start():
    """Start (or reuse) PostgreSQL and return how to reach it."""
    connection = external()
    if connection:
        return connection
    LOCAL.mkdir(parents=True, exist_ok=True)
    server = _server()
    exists = server.psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}';")  # noqa: S608
    if "1 row" not in exists:
        server.psql(f"CREATE ROLE {ROLE} LOGIN CREATEDB;")
    socket_dir = server.get_postmaster_info().socket_dir
    return Connection(str(socket_dir), "", ROLE, "", embedded=True)


def stop():
    """Stop the embedded server if it runs; the user's own server is left alone."""
    if external() or not (LOCAL / "pgdata" / "postmaster.pid").exists():
        return
    from pgserver._commands import pg_ctl

    # pgserver runs the server as its own system user when we are root
    user = "pgserver" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=LOCAL / "pgdata", user=user)
    except subprocess.CalledProcessError:
        pass  # already stopped, e.g. by the terminal's Ctrl-C reaching the postmaster
