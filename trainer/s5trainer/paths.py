"""Default locations: the user's data folder and the standard sub-folders inside it."""
from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """``$S5_DATA_DIR``, else ``$XDG_DATA_HOME/s5-studio``, else ``~/.local/share/s5-studio``."""
    env = os.environ.get("S5_DATA_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg:
        return Path(xdg).expanduser() / "s5-studio"
    return Path.home() / ".local" / "share" / "s5-studio"


def default_library_dir() -> Path:
    return data_dir() / "library"


def default_rooms_dir() -> Path:
    return data_dir() / "rooms" / "default"


def default_cache_dir() -> Path:
    return data_dir() / "cache"
