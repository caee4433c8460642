"""Odoo's configuration file for this checkout, and running odoo-bin with it."""

import configparser
import os
import secrets
import subprocess
import sys

from .install import addons_paths
from .paths import LOCAL, ROOT, local

CONFIG = LOCAL / "odoo.conf"


def write_config(odoo_root, connection, path=CONFIG, **options):
    """(Re)write .local/odoo.conf (or `path`); the admin master password is generated once
    and kept."""
    parser = configparser.ConfigParser(interpolation=None)
    if path.exists():
        parser.read(path)
    section = parser["options"] if parser.has_section("options") else {}
    master = section.get("admin_passwd") or secrets.token_urlsafe(18)
    values = {
        "addons_path": ",".join([*addons_paths(odoo_root), str(ROOT)]),
        "data_dir": str(local("filestore")),
        "admin_passwd": master,
        "http_interface": "127.0.0.1",
        "without_demo": "True",
        "log_level": "info",
        **connection.odoo_options(),
        **{key: str(value) for key, value in options.items()},
    }
    parser["options"] = values
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        parser.write(handle)
    path.chmod(0o600)
    return path


def odoo_command(*args):
    return [sys.executable, "-m", "odoo", *args]


def run(args, connection, check=True, config=CONFIG, **kwargs):
    """Run odoo-bin with our configuration (through ODOO_RC, so that subcommands such as
    `shell` or `i18n export` take it too); returns the CompletedProcess."""
    env = {**os.environ, **connection.env(), "ODOO_RC": str(config), **kwargs.pop("env", {})}
    return subprocess.run(odoo_command(*args), env=env, check=check, cwd=ROOT, **kwargs)
