"""Where the harness keeps things: state in the checkout, downloads in the user cache."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCAL = ROOT / ".local"
CACHE = Path(
    os.environ.get("ECOMJET_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ecomjet_netvisor"
)


def local(*parts):
    """A path under the git-ignored state folder, created on demand."""
    path = LOCAL.joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
