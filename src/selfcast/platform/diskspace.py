"""Writes that survive a full disk: whole or not at all, and a clear ``DiskFull`` (507) naming
the directory that is full instead of an opaque 500 with a half-written file left behind."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selfcast.errors import DiskFull

_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def is_disk_full(exc: BaseException) -> bool:
    """An OSError saying there is no room left (no space, quota, file size limit)."""
    return isinstance(exc, OSError) and exc.errno in _FULL


def disk_full(where: Path | str) -> DiskFull:
    return DiskFull(f"the server's disk is full at {where}; free space there (or raise the quota) and retry")


@contextmanager
def translate_disk_full(where: Path | str) -> Iterator[None]:
    """Turn a no-space OSError raised in the block into ``DiskFull`` naming ``where``."""
    try:
        yield
    except OSError as exc:
        if is_disk_full(exc):
            raise disk_full(where) from exc
        raise


def atomic_write(path: Path, data: bytes) -> Path:
    """Write ``data`` to a temp file beside ``path``, fsync, then rename over it (private, 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with translate_disk_full(path.parent):
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return path


def atomic_copy(src: Path, path: Path, *, chunk: int = 1 << 20) -> Path:
    """``atomic_write`` for a file too big to hold in memory: copied in chunks, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with translate_disk_full(path.parent):
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
                while block := inp.read(chunk):
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return path
