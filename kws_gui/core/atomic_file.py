"""Write files so that a crash never leaves a half-written file under the final name.

Shared by the trainer (models, reports, feature cache) and the app (job history,
recorded clips): write into a temporary file in the target's folder, then
``os.replace`` it over the target. The result gets the permissions a plain
``open(path, "w")`` would have given (the umask applies).

Files that belong together (a model and its report) use :func:`atomic_group`: all
are written first, then moved into place with the describing file first, so a kill
at any moment never leaves a file without the one that describes it. A killed
writer's temporaries (``.<name>.<random><suffix>`` beside the target) are removed by
:func:`remove_stray_temporaries` on the next run.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
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
    tmp = _temporary_beside(target, suffix)
    try:
        yield tmp
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _temporary_beside(target: Path, suffix: str) -> Path:
    """A new empty file ``.<target name>.<8 random characters><suffix>`` in the target's folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    return Path(name)


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_folder(folder: Path) -> None:
    """Make renames in ``folder`` durable (POSIX; a no-op where folders cannot be opened)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextmanager
def atomic_group(paths: Sequence[str | Path], suffixes: Sequence[str] | None = None) -> Iterator[list[Path]]:
    """Temporary paths for several files that take their places together when the block succeeds.

    When the block returns, every temporary is flushed to disk, the old targets
    except the first are removed, and the temporaries replace their targets in the
    order given. Put the file that describes the others first (a report): a kill at
    any moment leaves either the old first file alone, or the new first file with
    some of the new others, never a file of the group without the first one of its
    own run. If the block raises, the temporaries are removed and the targets kept.
    ``suffixes`` (one per path, default ``.tmp``) are for writers that go by the name.
    """
    targets = [Path(p) for p in paths]
    endings = list(suffixes) if suffixes is not None else [".tmp"] * len(targets)
    if len(endings) != len(targets):
        raise ValueError("one suffix per path")
    temporaries: list[Path] = []
    try:
        for target, suffix in zip(targets, endings, strict=True):
            temporaries.append(_temporary_beside(target, suffix))
        yield list(temporaries)
        mode = _umask_mode()
        for tmp in temporaries:
            os.chmod(tmp, mode)
            _fsync(tmp)
        for target in targets[1:]:
            target.unlink(missing_ok=True)
        for tmp, target in zip(temporaries, targets, strict=True):
            os.replace(tmp, target)
        for folder in {t.parent for t in targets}:
            _fsync_folder(folder)
    except BaseException:
        for tmp in temporaries:
            tmp.unlink(missing_ok=True)
        raise


def remove_stray_temporaries(paths: Iterable[str | Path]) -> list[Path]:
    """Remove the temporaries a killed writer left beside ``paths``; returns what was removed."""
    removed = []
    for target in (Path(p) for p in paths):
        pattern = re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}(\.[A-Za-z0-9]+)?")
        if not target.parent.is_dir():
            continue
        for candidate in target.parent.iterdir():
            if pattern.fullmatch(candidate.name) and candidate.is_file():
                with contextlib.suppress(OSError):
                    candidate.unlink()
                    removed.append(candidate)
    return removed


def atomic_write(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` (str as UTF-8) to ``path`` atomically and durably (fsync); returns the path."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    return Path(path)
