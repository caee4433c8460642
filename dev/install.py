"""Install Odoo 19.0 and the Python requirements, idempotently.

Odoo 19.0 Community is on no package index, so it comes from ODOO_SOURCE (a source
tree or archive), else from an already importable Odoo 19, else from Odoo's official
nightly source archive.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from .paths import CACHE, ROOT

PYTHON_RANGE = ((3, 10), (3, 13))
NIGHTLY_URL = "https://nightly.odoo.com/19.0/nightly/src/odoo_19.0.latest.tar.gz"
# Odoo's pinned sdists (cbor2, ...) do not build with setuptools 70 or newer.
BUILD_CONSTRAINTS = "setuptools<70\n"
# auth_ldap's dependency needs LDAP headers and is of no use to this addon.
SKIPPED_REQUIREMENTS = ("python-ldap",)


class SetupError(Exception):
    """A problem the user must fix; the message says how."""


def check_python():
    low, high = PYTHON_RANGE
    if not low <= sys.version_info[:2] <= high:
        raise SetupError(
            f"Python {sys.version.split()[0]} cannot run Odoo 19.0, which needs Python "
            f"{low[0]}.{low[1]} to {high[0]}.{high[1]}. Run with a supported interpreter, "
            "e.g. `make test PYTHON=python3.11`."
        )


def tree_problem(root):
    """Why `root` is not an Odoo 19.0 source tree, or None when it is one."""
    release = root / "odoo" / "release.py"
    if not release.is_file():
        return f"{root} has no odoo/release.py"
    scope = {}
    try:
        exec(compile(release.read_text(), str(release), "exec"), scope)  # noqa: S102
    except Exception as exc:  # a broken file is a wrong tree, whatever the exception
        return f"{release} cannot be read ({exc})"
    major = scope.get("version_info", (None,))[0]
    if major != 19:
        return f"{root} is Odoo {scope.get('version', major)}, not 19.0"
    if not addons_paths(root):
        return f"{root} has no 'account' addon (addons/ or odoo/addons/)"
    return None


def addons_paths(root):
    """The folders of `root` that hold Odoo addons, base first; empty if no account addon."""
    candidates = [root / "odoo" / "addons", root / "addons"]
    found = [str(path) for path in candidates if (path / "base").is_dir() or path.is_dir()]
    has_account = any((Path(path) / "account" / "__manifest__.py").is_file() for path in found)
    return found if has_account else []


def _checked(root, origin):
    problem = tree_problem(root)
    if problem:
        raise SetupError(
            f"{origin} does not hold Odoo 19.0: {problem}. Set ODOO_SOURCE to an Odoo 19.0 "
            "Community source tree or archive (e.g. odoo_19.0.latest.tar.gz), or unset it."
        )
    return root


def _fingerprint(path):
    stat = path.stat()
    key = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def _extract(archive, origin):
    """Unpack an archive into the cache, atomically: a bad archive leaves nothing behind."""
    target = CACHE / "odoo-src" / f"{archive.name.split('.')[0]}-{_fingerprint(archive)}"
    if target.is_dir():
        return _checked(_single_child(target), origin)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".unpack-", dir=target.parent))
    try:
        print(f"Unpacking {archive} ...", flush=True)
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)  # noqa: S202 (zipfile strips unsafe paths)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                tf.extractall(tmp, filter="data")
        else:
            raise SetupError(f"{origin} is neither a folder nor a .tar.gz/.zip archive.")
        _checked(_single_child(tmp), origin)
        tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return _single_child(target)


def _single_child(folder):
    children = [child for child in folder.iterdir() if not child.name.startswith(".")]
    return children[0] if len(children) == 1 and children[0].is_dir() else folder


def _importable_odoo():
    """The source root of an importable Odoo, with its major version, or (None, None)."""
    probe = "import odoo, odoo.release as r; print(r.version_info[0]); print(odoo.__path__[0])"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    if result.returncode:
        return None, None
    major, path = result.stdout.split("\n")[:2]
    return Path(path).parent, major


def _download_nightly():
    archive = CACHE / "odoo_19.0.latest.tar.gz"
    if not archive.is_file():
        archive.parent.mkdir(parents=True, exist_ok=True)
        print(f"Downloading Odoo 19.0 from {NIGHTLY_URL} ...", flush=True)
        partial = archive.with_suffix(".part")
        try:
            with urllib.request.urlopen(NIGHTLY_URL, timeout=120) as answer:
                with partial.open("wb") as out:
                    shutil.copyfileobj(answer, out)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise SetupError(
                f"Odoo 19.0 could not be downloaded from {NIGHTLY_URL} ({exc}). Without "
                "internet, set ODOO_SOURCE to an Odoo 19.0 source tree or archive."
            ) from exc
        partial.rename(archive)
    return _extract(archive, NIGHTLY_URL)


def find_odoo():
    """Odoo's source root, following ODOO_SOURCE, then an importable Odoo, then the nightly."""
    source = os.environ.get("ODOO_SOURCE")
    if source:
        path = Path(source).expanduser()
        origin = f"ODOO_SOURCE={source}"
        if path.is_dir():
            return _checked(path.resolve(), origin)
        if path.is_file():
            return _extract(path.resolve(), origin)
        raise SetupError(f"{origin} does not exist. Point it at an Odoo 19.0 tree or archive.")
    root, major = _importable_odoo()
    if root is not None:
        if major != "19":
            raise SetupError(
                f"The importable Odoo at {root} is version {major}, not 19.0. Use a "
                "virtualenv without it, or set ODOO_SOURCE to an Odoo 19.0 source."
            )
        return root
    return _download_nightly()


def _pip(*args, env=None):
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    result = subprocess.run(cmd, env=env, check=False)
    if result.returncode:
        raise SetupError(
            f"pip failed ({' '.join(args[:2])} ...). Read pip's message above; a missing "
            "system library usually shows as 'pg_config not found' (apt-get install "
            "libpq-dev) or a compiler error (apt-get install build-essential python3-dev)."
        )


def _pip_build_constraint_args(constraints):
    """pip 26 applies build constraints only through --build-constraint; older pips via env."""
    help_text = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--help"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    if "--build-constraint" in help_text:
        return ["--build-constraint", str(constraints)], None
    return [], {**os.environ, "PIP_CONSTRAINT": str(constraints)}


def install_requirements(root):
    requirements = [
        line
        for line in (root / "requirements.txt").read_text().splitlines()
        if not line.strip().lower().startswith(SKIPPED_REQUIREMENTS)
    ]
    ours = (ROOT / "requirements-dev.txt").read_text()
    digest = hashlib.sha256(
        "\n".join([sys.executable, str(root), *requirements, ours]).encode()
    ).hexdigest()[:16]
    stamp = CACHE / "stamps" / f"install-{digest}"
    if stamp.is_file() and _importable_odoo()[0] == root:
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    odoo_requirements = CACHE / "odoo-requirements.txt"
    odoo_requirements.write_text("\n".join(requirements) + "\n")
    constraints = CACHE / "build-constraints.txt"
    constraints.write_text(BUILD_CONSTRAINTS)
    extra, env = _pip_build_constraint_args(constraints)
    print("Installing Python requirements (Odoo's and ours) ...", flush=True)
    _pip(
        "install",
        "-q",
        "-r",
        str(odoo_requirements),
        "-r",
        str(ROOT / "requirements-dev.txt"),
        *extra,
        env=env,
    )
    if _importable_odoo()[0] != root:
        print(f"Installing Odoo from {root} (editable) ...", flush=True)
        _pip("install", "-q", "--no-deps", "-e", str(root), *extra, env=env)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(str(root) + "\n")


def install():
    """Make Odoo 19 and every requirement importable; return Odoo's source root."""
    check_python()
    root = find_odoo()
    install_requirements(root)
    return root
