"""Write files so that a crash never leaves a half-written file under the final name.

Shared by the trainer (models, reports, feature cache) and the app (job history,
recorded clips): write into a temporary file in the target's folder, then
``os.replace`` it over the target. The result gets the permissions a plain
``open(path, "w")`` would have given (the umask applies).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_path(path: str | Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; it replaces ``path`` when the block succeeds.

    The folder is created if needed. If the block raises, the temporary file is
    removed and ``path`` is left as it was. ``suffix`` is for writers that go by
    the file name's ending (e.g. ``.h5``).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` (str as UTF-8) to ``path`` atomically and durably (fsync); returns the path."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    return Path(path)
