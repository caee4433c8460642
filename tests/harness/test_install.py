"""The install refuses a wrong Odoo or Python with one clear message and leaves nothing behind."""

import os
import socket
import subprocess
import sys
import tarfile

import pytest

from dev import install

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_dev(*args, **env):
    """`python -m dev ARGS` with extra environment variables, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "dev", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def run_install(tmp_path, odoo_source):
    return run_dev("install", ODOO_SOURCE=str(odoo_source), ECOMJET_CACHE=str(tmp_path / "cache"))


def fake_odoo(folder, major):
    (folder / "odoo").mkdir(parents=True)
    (folder / "odoo" / "release.py").write_text(
        f"version_info = ({major}, 0, 0, 'final', 0, '')\nversion = '{major}.0'\n"
    )
    (folder / "addons" / "account").mkdir(parents=True)
    (folder / "addons" / "account" / "__manifest__.py").write_text("{}")
    return folder


def test_folder_that_is_not_odoo_is_refused(tmp_path):
    (tmp_path / "src").mkdir()
    result = run_install(tmp_path, tmp_path / "src")
    assert result.returncode == 2
    assert "does not hold Odoo 19.0" in result.stderr
    assert "has no odoo/release.py" in result.stderr
    assert not (tmp_path / "cache" / "stamps").exists()


def test_odoo_of_another_version_is_refused(tmp_path):
    result = run_install(tmp_path, fake_odoo(tmp_path / "odoo18", 18))
    assert result.returncode == 2
    assert "is Odoo 18.0, not 19.0" in result.stderr


def test_bad_archive_leaves_nothing_unpacked(tmp_path):
    tree = fake_odoo(tmp_path / "odoo-17.0", 17)
    archive = tmp_path / "odoo_17.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tree, arcname="odoo-17.0")
    result = run_install(tmp_path, archive)
    assert result.returncode == 2
    assert "not 19.0" in result.stderr
    assert list((tmp_path / "cache" / "odoo-src").iterdir()) == []


def test_missing_source_path_is_named(tmp_path):
    result = run_install(tmp_path, tmp_path / "nowhere")
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_unsupported_python_is_refused(monkeypatch):
    monkeypatch.setattr(sys, "version_info", (3, 9, 18, "final", 0))
    with pytest.raises(install.SetupError, match=r"cannot run Odoo 19\.0"):
        install.check_python()


def test_odoo_19_tree_is_accepted(tmp_path):
    assert install.tree_problem(fake_odoo(tmp_path / "odoo19", 19)) is None


def test_unreachable_own_postgresql_is_named(tmp_path):
    """With PGHOST set, a server that does not answer is reported, not a traceback."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_dev("test", PGHOST="127.0.0.1", PGPORT=str(port), PGUSER="odoo")
    assert result.returncode == 2
    assert f"cannot reach your PostgreSQL (PGHOST=127.0.0.1 PGPORT={port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_postgres_superuser_is_refused():
    result = run_dev("pg", "start", PGHOST="127.0.0.1", PGUSER="postgres")
    assert result.returncode == 2
    assert "refuses to connect as the PostgreSQL superuser 'postgres'" in result.stderr
