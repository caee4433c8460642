"""Odoo's configuration file for this checkout, and running odoo-bin with it."""

import configparser
import os
import secrets
import subprocess
import sys

from .install import addons_paths
from .paths import LOCAL, ROOT, local

CONFIG = LOCAL / "odoo.conf"


def write_config(odoo_root, connection, **options):
    """(Re)write .local/odoo.conf; the admin master password is generated once and kept."""
    parser = configparser.ConfigParser(interpolation=None)
    if CONFIG.exists():
        parser.read(CONFIG)
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
    CONFIG.parent.mkdir(parents=True, exist_ok=True)
    with CONFIG.open("w") as handle:
        parser.write(handle)
    CONFIG.chmod(0o600)
    return CONFIG


def odoo_command(*args):
    return [sys.executable, "-m", "odoo", *args]


def run(args, connection, check=True, **kwargs):
    """Run odoo-bin with our configuration (through ODOO_RC, so that subcommands such as
    `shell` or `i18n export` take it too); returns the CompletedProcess."""
    env = {**os.environ, **connection.env(), "ODOO_RC": str(CONFIG), **kwargs.pop("env", {})}
    return subprocess.run(odoo_command(*args), env=env, check=check, cwd=ROOT, **kwargs)
