"""Keeping a file the app could not use: a copy or the file itself as ``<name>.<UTC time>.bad``.

One rule for every file people may have edited or damaged (the job history, the
settings INI): the backup goes beside the file, named after it and the current UTC
time, and an earlier backup is never overwritten (a ``-2``, ``-3``... suffix is added
within the same second), so nothing a person had is lost.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path


def backup_name(path: str | Path) -> Path:
    """``<name>.<UTC time>.bad`` beside ``path``, never the name of an existing file."""
    p = Path(path)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    candidate = p.with_name(f"{p.name}.{stamp}.bad")
    n = 1
    while candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = p.with_name(f"{p.name}.{stamp}-{n}.bad")
    return candidate


def back_up(path: str | Path, move: bool = False) -> Path:
    """Copy ``path`` (``move=True``: move it) to :func:`backup_name`; returns the backup.

    ``OSError`` propagates: the caller says that the file could not be kept and leaves it as it is.
    """
    p = Path(path)
    backup = backup_name(p)
    if move:
        os.replace(p, backup)
    else:
        shutil.copy2(p, backup)
    return backup
