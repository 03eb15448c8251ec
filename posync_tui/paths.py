"""Where posync keeps things: the config file, the data directory, the default database.

Read without pydantic: the console opens the database for its first page of POs before the
settings (pydantic-settings costs about 0.2 s of start-up) are loaded.
"""

from __future__ import annotations

import errno
import os
import re
import tomllib
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

APP_NAME = "posync"


def default_config_path() -> Path:
    return Path(user_config_dir(APP_NAME)) / "config.toml"


def config_path(given: Path | None = None) -> Path:
    """The config file: the one given, else POSYNC_CONFIG, else the user config dir's."""
    return given or Path(os.environ.get("POSYNC_CONFIG") or default_config_path())


def data_dir() -> Path:
    path = Path(os.environ.get("POSYNC_DATA_DIR") or user_data_dir(APP_NAME))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        # mkdir says "File exists", which reads as if nothing were wrong.
        raise NotADirectoryError(
            errno.ENOTDIR, "the data directory is a file (set POSYNC_DATA_DIR)", str(path)
        ) from None
    return path


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'posync.db'}"


def masked_url(url: str) -> str:
    """The URL with its password as ``***`` (postgresql://user:***@host/db), fit to show."""
    # Up to the last "@": a password typed with a raw "@" is still masked whole. libpq also
    # takes one as a query parameter (?password=...).
    url = re.sub(r"^([\w+.-]+://[^:/@]*:).*@", r"\1***@", url)
    return re.sub(r"([?&]password=)[^&]*", r"\1***", url, flags=re.IGNORECASE)


def database_url(given_config: Path | None = None) -> str | None:
    """The database URL the settings will resolve, as they resolve it (POSYNC_DATABASE_URL,
    else the config file's ``database_url``, else the default), or None when the file cannot
    be read as plain TOML: the settings then report the problem."""
    for name, value in os.environ.items():
        if name.upper() == "POSYNC_DATABASE_URL":  # pydantic-settings ignores the case
            return value or default_database_url()
    path = config_path(given_config)
    if not path.exists():
        return None if given_config is not None else default_database_url()
    try:
        found = tomllib.loads(path.read_text()).get("database_url")
    except (OSError, ValueError):
        return None
    if found is not None and not isinstance(found, str):
        return None
    return found or default_database_url()
