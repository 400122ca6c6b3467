"""The data dir is private: 0700 directories and 0600 files (the database, the signing secret,
uploads, voices, avatars all live there). Created that way; an existing looser one is tightened
at start with a warning, so an upgrade from a release that made it 0755/0644 closes by itself."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("selfcast.datadir")

DIR_MODE, FILE_MODE = 0o700, 0o600


def make_private(data_dir: Path) -> Path:
    """Create ``data_dir`` 0700 if missing; tighten it and its direct entries if group/other can read.

    One level is enough (and cheap on every call): nothing below a 0700 directory is reachable by
    other users, whatever its own bits.
    """
    data_dir.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    loose: list[str] = []
    _tighten(data_dir, DIR_MODE, loose)
    for entry in os.scandir(data_dir):
        if not entry.is_symlink():
            _tighten(Path(entry.path), DIR_MODE if entry.is_dir() else FILE_MODE, loose)
    if loose:
        log.warning("data dir %s was readable by other users; made %d paths private (0700/0600), e.g. %s",
                    data_dir, len(loose), ", ".join(loose[:3]))
    return data_dir


def _tighten(path: Path, mode: int, loose: list[str]) -> None:
    try:
        st = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode) or st.st_uid != os.geteuid():
        return  # never follow links; a file we do not own is not ours to change
    if st.st_mode & 0o077:
        path.chmod(stat.S_IMODE(st.st_mode) & mode)
        loose.append(str(path))


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with 0600 if it does not exist (SQLite then keeps those bits for -wal/-shm)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
