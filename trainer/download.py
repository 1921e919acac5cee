"""``kws-train download-data DIR``: fetch Speech Commands v0.02 and lay it out for training.

The archive is streamed from its official address into ``DIR/<name>.part`` with a
progress bar (tqdm; plain lines if tqdm is missing). An interrupted download is
resumed with an HTTP ``Range`` request on the next run. The finished file is checked
against the official size and SHA-256 (the values TensorFlow Datasets and
torchaudio publish); a file that fails is deleted, never left looking complete.
With ``sha256=None`` (e.g. a mirror with other content) the size, when known, and
the gzip stream's own CRC and length are checked instead.

Extraction is safe: only regular files and folders are taken, names are checked
against path traversal and ``tarfile``'s ``"data"`` filter is applied, and the
decompressed stream and the number of files are bounded by what Speech Commands
holds (with a margin) and, for another address, by a multiple of the archive's size
(:func:`extract_limits`): a decompression bomb is refused after a few MB, before it
fills the disk. Everything is extracted into a temporary folder that is renamed to
``DIR/speech_commands_v0.02`` only when complete, with a marker file, so a second
call returns at once. (A single top-level folder inside the archive is flattened away.)

Only ``http://`` and ``https://`` addresses are accepted; every failure is a
:class:`DownloadError` with a message (no traceback), and a failed check removes
what was downloaded (an interrupted download is kept to be resumed).

No TensorFlow here.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import http.client
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from pathlib import Path, PurePosixPath
from typing import Any

OFFICIAL_URL = "http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz"
#: The same file over HTTPS from the bucket behind download.tensorflow.org.
OFFICIAL_MIRRORS = (
    OFFICIAL_URL,
    "https://download.tensorflow.org/data/speech_commands_v0.02.tar.gz",
    "https://storage.googleapis.com/download.tensorflow.org/data/speech_commands_v0.02.tar.gz",
)
#: From tensorflow_datasets/url_checksums/speech_commands.txt (also in torchaudio).
OFFICIAL_SHA256 = "af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58"
OFFICIAL_SIZE = 2_428_923_189
DATASET_DIRNAME = "speech_commands_v0.02"
MARKER_NAME = ".kws-download-complete.json"
CHUNK_BYTES = 1 << 20
#: Free space wanted beyond the archive for extraction (WAV compresses little).
EXTRACT_FACTOR = 1.3
#: Speech Commands v0.02 as published: 105,829 one-second clips of at most 32,044 bytes
#: (16-bit 16 kHz WAV), six background-noise recordings (~12 MB), lists and docs.
OFFICIAL_FILES = 105_829 + 16
OFFICIAL_EXTRACTED_BYTES = 105_829 * 32_044 + 20_000_000
#: Margin on the official figures for the bounds on extraction.
EXTRACT_MARGIN = 1.25
#: Another address's archive may decompress to at most this multiple of its size
#: (WAV barely compresses: the official archive decompresses to ~1.4x) ...
MAX_COMPRESSION_RATIO = 8
#: ... or to this much, whichever is larger (small test sets compress better).
MIN_EXTRACT_ALLOWANCE = 64 * 1024 * 1024
#: ``tarfile.FilterError`` where extraction filters exist (3.12, and 3.8.17+/3.11.4+ backports).
_FILTER_ERRORS: tuple[type[Exception], ...] = tuple(
    e for e in (getattr(tarfile, "FilterError", None),) if e is not None
)


class DownloadError(RuntimeError):
    """A download that failed; the message says why and what to do, for people."""


class ArchiveContentError(DownloadError):
    """The archive is intact but its content is unsafe or not Speech Commands."""


# --------------------------------------------------------------------------- progress
class _Progress:
    """A tqdm bar on stderr, or a line every 5 % if tqdm is missing, or nothing."""

    def __init__(self, enabled: bool, total: int | None, initial: int, desc: str) -> None:
        self.enabled, self.total, self.done, self.desc = enabled, total, initial, desc
        self._bar: Any = None
        self._next_report = 0.0
        if not enabled:
            return
        try:
            from tqdm import tqdm
        except ImportError:
            print(f"{desc}: {_mb(initial)} of {_mb(total)}", file=sys.stderr, flush=True)
            return
        self._bar = tqdm(
            total=total,
            initial=initial,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=desc,
            file=sys.stderr,
        )

    def update(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(n)
        elif self.total and self.done / self.total >= self._next_report:
            print(
                f"{self.desc}: {_mb(self.done)} of {_mb(self.total)} ({100 * self.done / self.total:.0f} %)",
                file=sys.stderr,
                flush=True,
            )
            self._next_report = self.done / self.total + 0.05

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _mb(n: int | None) -> str:
    return "?" if n is None else f"{n / 1e6:.1f} MB"


def _say(enabled: bool, message: str) -> None:
    if enabled:
        print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- fetching
def _check_space(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise DownloadError(
            f"not enough free space in {folder}: {_mb(needed)} needed, {_mb(free)} free; "
            "free some space or choose another folder"
        )


def _fetch(url: str, part: Path, expected_size: int | None, progress: bool, timeout: float) -> None:
    """Download ``url`` into ``part``, resuming what is there; returns when complete."""
    existing = part.stat().st_size if part.exists() else 0
    if expected_size is not None and existing > expected_size:
        part.unlink()
        existing = 0
    if expected_size is not None and existing == expected_size:
        return
    headers = {"User-Agent": "kws-train"}
    if existing:
        headers["Range"] = f"bytes={existing}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and existing:  # nothing left to fetch: the checks decide
            return
        raise DownloadError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"cannot download {url}: {reason} (check the address and the network)") from exc
    with response:
        resumed = existing > 0 and response.status == 206
        if resumed:
            match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
            if not match or int(match.group(1)) != existing:
                raise DownloadError(f"cannot resume {url}: the server answered an unexpected range")
        else:
            existing = 0
        length = response.headers.get("Content-Length")
        total = existing + int(length) if length and length.isdigit() else None
        if expected_size is not None and total is not None and total != expected_size:
            raise DownloadError(
                f"{url} is {total} bytes, expected {expected_size}: not the expected archive "
                "(pass the right --sha256, or none, for another file)"
            )
        size_hint = total or expected_size
        if size_hint:
            _check_space(part.parent, size_hint - existing + int(EXTRACT_FACTOR * size_hint))
        bar = _Progress(progress, size_hint, existing, part.name.removesuffix(".part"))
        written = existing
        try:
            with open(part, "ab" if resumed else "wb") as handle:
                while True:
                    chunk = response.read(CHUNK_BYTES)
                    if not chunk:
                        break
                    handle.write(chunk)
                    written += len(chunk)
                    bar.update(len(chunk))
        except (OSError, http.client.HTTPException) as exc:
            raise DownloadError(
                f"download of {url} interrupted after {_mb(written)}: {exc}; run the command again to resume"
            ) from exc
        finally:
            bar.close()
    if total is not None and written < total:
        raise DownloadError(
            f"download of {url} interrupted after {_mb(written)} of {_mb(total)}; "
            "run the command again to resume"
        )


def sha256_of(path: Path, progress: bool = False) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    bar = _Progress(progress, path.stat().st_size, 0, f"checking {path.name}")
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                digest.update(chunk)
                bar.update(len(chunk))
    finally:
        bar.close()
    return digest.hexdigest()


def extract_limits(archive_size: int, official: bool) -> tuple[int, int]:
    """(bytes of the decompressed tar stream, number of entries) an archive may hold.

    The official archive is bounded by the published dataset with
    :data:`EXTRACT_MARGIN`; another one also by :data:`MAX_COMPRESSION_RATIO` times
    its size (at least :data:`MIN_EXTRACT_ALLOWANCE`), so a 2 MB gzip bomb is refused
    after 64 MB instead of filling the disk.
    """
    max_bytes = int(OFFICIAL_EXTRACTED_BYTES * EXTRACT_MARGIN)
    max_files = int(OFFICIAL_FILES * EXTRACT_MARGIN)
    if not official:
        max_bytes = min(max_bytes, max(archive_size * MAX_COMPRESSION_RATIO, MIN_EXTRACT_ALLOWANCE))
    return max_bytes, max_files


def _too_big(name: str, max_bytes: int) -> ArchiveContentError:
    return ArchiveContentError(
        f"{name} decompresses to more than {_mb(max_bytes)}, more than Speech Commands needs "
        "(a damaged or hostile archive): refused"
    )


def _check_gzip(path: Path, max_bytes: int) -> None:
    """Read a .gz to its end (at most ``max_bytes``) so that its CRC and length are verified."""
    total = 0
    try:
        with gzip.open(path, "rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                total += len(chunk)
                if total > max_bytes:
                    raise _too_big(path.name, max_bytes)
    except (OSError, EOFError, zlib.error) as exc:
        raise DownloadError(f"{path.name} is damaged ({exc}); it was deleted, run the command again") from exc


# ------------------------------------------------------------------------- extracting
def _unsafe_name(name: str) -> bool:
    posix = PurePosixPath(name.replace("\\", "/"))
    return posix.is_absolute() or ".." in posix.parts or re.match(r"^[A-Za-z]:", name) is not None


def _extract(archive: Path, into: Path, progress: bool, max_bytes: int, max_files: int) -> int:
    """Extract regular files and folders of ``archive`` into ``into``; returns the file count.

    Refused (:class:`ArchiveContentError`) as soon as the decompressed tar stream would
    pass ``max_bytes`` or the archive holds more than ``max_files`` entries.
    """
    files = skipped = entries = 0
    kwargs: dict[str, Any] = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                entries += 1
                if entries > max_files:
                    raise ArchiveContentError(
                        f"{archive.name} holds more than {max_files} entries, more than Speech Commands: "
                        "refused"
                    )
                if tar.offset + member.size > max_bytes:
                    raise _too_big(archive.name, max_bytes)
                if _unsafe_name(member.name):
                    raise ArchiveContentError(
                        f"{archive.name} contains an unsafe path {member.name!r}; nothing was extracted"
                    )
                if not (member.isfile() or member.isdir()):
                    skipped += 1
                    continue
                tar.extract(member, into, **kwargs)
                files += member.isfile()
                if progress and files and files % 10000 == 0:
                    _say(True, f"extracted {files} files")
    except DownloadError:
        raise
    except _FILTER_ERRORS as exc:
        raise ArchiveContentError(
            f"{archive.name} holds an unsafe entry ({exc}); nothing was extracted"
        ) from exc
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise DownloadError(f"cannot extract {archive.name}: {exc}") from exc
    if skipped:
        _say(progress, f"ignored {skipped} links or special files in {archive.name}")
    return files


def _content_root(folder: Path) -> Path:
    """The extracted dataset root: ``folder``, or its only sub-folder if it wraps everything."""
    entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        inner = entries[0]
        if _looks_like_speech_commands(inner):
            return inner
    return folder


def _looks_like_speech_commands(root: Path) -> bool:
    return any(p.is_dir() and next(p.glob("*.wav"), None) is not None for p in root.iterdir())


# ------------------------------------------------------------------------------- main
def download_speech_commands(
    dest: str | Path,
    url: str = OFFICIAL_URL,
    sha256: str | None = OFFICIAL_SHA256,
    progress: bool = True,
    size: int | None = None,
    keep_archive: bool = False,
    timeout: float = 60.0,
) -> Path:
    """Download and lay out Speech Commands as ``dest/speech_commands_v0.02/<word>/*.wav``.

    Returns that folder. Idempotent: when it is complete (marker file) nothing is
    fetched. ``sha256`` is the archive's expected SHA-256 (the official value by
    default; ``None`` for another file, then only size and gzip integrity are
    checked); ``size`` its expected length in bytes (the official size is assumed
    with the official checksum). Raises :class:`DownloadError` with a clear message on
    network, space or integrity failures; a failed check deletes the download.
    """
    _check_url(url)
    dest = Path(dest).expanduser()
    target = dest / DATASET_DIRNAME
    if (target / MARKER_NAME).is_file():
        _say(progress, f"{target} is already complete")
        return target
    if target.exists():
        raise DownloadError(
            f"{target} exists but was not completed by download-data; remove it or choose another folder"
        )
    if sha256 is not None:
        sha256 = sha256.strip().lower()
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise DownloadError(f"--sha256 must be 64 hexadecimal digits, got {sha256!r}")
    expected_size = size if size is not None else (OFFICIAL_SIZE if sha256 == OFFICIAL_SHA256 else None)
    try:
        dest.mkdir(parents=True, exist_ok=True)
        archive = _download_archive(url, dest, sha256, expected_size, progress, timeout)
        _extract_into_place(archive, target, url, sha256, progress, keep_archive)
    except OSError as exc:  # anything the steps above did not turn into a message
        raise DownloadError(f"cannot download or extract into {dest}: {exc.strerror or exc}") from exc
    _say(progress, f"Speech Commands is ready in {target}")
    return target


def _check_url(url: str) -> None:
    """Only http(s) addresses with a host; :class:`DownloadError` says what is wrong."""
    try:
        parsed = urllib.parse.urlparse(url)
        has_host = bool(parsed.hostname)
    except ValueError as exc:  # e.g. a malformed port or IPv6 address
        raise DownloadError(f"--url {url!r} is not a valid address: {exc}") from exc
    if parsed.scheme not in ("http", "https") or not has_host:
        raise DownloadError(f"--url must be an http:// or https:// address with a host, got {url!r}")


def _archive_name(url: str) -> str:
    """The local file name for ``url``'s archive: its last path part when that is a plain name."""
    name = PurePosixPath(urllib.parse.urlparse(url).path).name
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}", name) and not name.endswith(".part"):
        return name
    return f"{DATASET_DIRNAME}.tar.gz"


def _download_archive(
    url: str, dest: Path, sha256: str | None, expected_size: int | None, progress: bool, timeout: float
) -> Path:
    """Fetch (or resume) and check the archive; returns its path in ``dest``."""
    name = _archive_name(url)
    archive = dest / name
    part = dest / f"{name}.part"
    if not archive.is_file():
        _fetch(url, part, expected_size, progress, timeout)
        actual_size = part.stat().st_size
        if expected_size is not None and actual_size != expected_size:
            part.unlink()
            raise DownloadError(
                f"{name} has {actual_size} bytes, expected {expected_size}; "
                "it was deleted, run the command again"
            )
        if sha256 is not None:
            actual = sha256_of(part, progress)
            if actual != sha256:
                part.unlink()
                raise DownloadError(
                    f"checksum mismatch for {name}: expected sha256 {sha256}, got {actual}; "
                    "the download was deleted, run the command again"
                )
        os.replace(part, archive)
    elif sha256 is not None and sha256_of(archive, progress) != sha256:
        archive.unlink()
        raise DownloadError(f"{archive} does not match sha256 {sha256}; it was deleted, run again")
    return archive


def _extract_into_place(
    archive: Path, target: Path, url: str, sha256: str | None, progress: bool, keep_archive: bool
) -> None:
    """Check and extract ``archive`` within bounds, then rename the result to ``target``."""
    max_bytes, max_files = extract_limits(archive.stat().st_size, official=sha256 == OFFICIAL_SHA256)
    if sha256 is None:
        try:
            _check_gzip(archive, max_bytes)
        except DownloadError:  # damaged or a bomb: never kept
            archive.unlink(missing_ok=True)
            raise
    work = Path(tempfile.mkdtemp(prefix=f".{DATASET_DIRNAME}.extracting-", dir=target.parent))
    try:
        _say(progress, f"extracting {archive.name} ...")
        started = time.monotonic()
        files = _extract(archive, work, progress, max_bytes, max_files)
        root = _content_root(work)
        if not _looks_like_speech_commands(root):
            raise ArchiveContentError(
                f"{archive.name} does not look like Speech Commands: no word folders with .wav files"
            )
        marker = {
            "url": url,
            "sha256": sha256,
            "size": archive.stat().st_size,
            "files": files,
            "seconds": round(time.monotonic() - started, 1),
        }
        (root / MARKER_NAME).write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")
        os.replace(root, target)
    except ArchiveContentError:
        if not keep_archive:
            archive.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not keep_archive:
        archive.unlink(missing_ok=True)


# -------------------------------------------------------------------------------- CLI
def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register ``download-data DIR [--url URL] [--sha256 HEX]`` with a ``func`` default."""
    parser = subparsers.add_parser(
        "download-data",
        help="download Speech Commands v0.02 and lay it out for training",
        description=(
            "Download Speech Commands v0.02 (2.4 GB) into DIR/speech_commands_v0.02/, "
            "verify it and extract it. Interrupted downloads resume; a complete folder is kept."
        ),
    )
    parser.add_argument("dir", type=Path, metavar="DIR", help="folder that receives speech_commands_v0.02/")
    parser.add_argument("--url", default=OFFICIAL_URL, help=f"archive address (default {OFFICIAL_URL})")
    parser.add_argument(
        "--sha256",
        default=None,
        help="expected SHA-256 of the archive (default: the official value for the official "
        "address; for other addresses only size and gzip integrity are checked)",
    )
    parser.add_argument("--keep-archive", action="store_true", help="keep the .tar.gz after extracting")
    parser.add_argument(
        "--progress", choices=("bar", "none"), default="bar", help="progress display on stderr (default bar)"
    )
    parser.set_defaults(func=run_cli)


def run_cli(args: argparse.Namespace) -> int:
    """Run ``download-data``; prints the dataset folder, returns an exit code."""
    sha256 = args.sha256 or (OFFICIAL_SHA256 if args.url in OFFICIAL_MIRRORS else None)
    quiet = getattr(args, "progress", "bar") == "none"
    try:
        path = download_speech_commands(
            args.dir,
            url=args.url,
            sha256=sha256,
            progress=not quiet,
            keep_archive=getattr(args, "keep_archive", False),
        )
    except DownloadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0
