"""trainer.download against an HTTP server on 127.0.0.1 serving archives the tests build."""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import socket
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.trainer.conftest import make_tiny_dataset
from trainer import download
from trainer.data import scan_dataset
from trainer.download import DownloadError, download_speech_commands


@dataclass
class Served:
    """What the test server serves and what it saw."""

    files: dict[str, bytes] = field(default_factory=dict)
    cut_first_response_at: int | None = None
    requests: list[dict[str, str]] = field(default_factory=list)
    base_url: str = ""

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"


@pytest.fixture
def server() -> Iterator[Served]:
    served = Served()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep pytest output clean
            pass

        def do_GET(self) -> None:
            served.requests.append({"path": self.path, "range": self.headers.get("Range", "")})
            body = served.files.get(self.path.lstrip("/"))
            if body is None:
                self.send_error(404, "Not Found")
                return
            start = 0
            if self.headers.get("Range", "").startswith("bytes="):
                start = int(self.headers["Range"][6:].split("-")[0])
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            payload = body[start:]
            if served.cut_first_response_at is not None:
                payload = payload[: served.cut_first_response_at]
                served.cut_first_response_at = None
            self.wfile.write(payload)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def build_archive(source: Path, prefix: str = ".", extra: dict[str, bytes] | None = None) -> bytes:
    """A .tar.gz of ``source`` with member names ``<prefix>/<relative path>``, as the official one."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in sorted(source.rglob("*")):
            tar.add(path, arcname=f"{prefix}/{path.relative_to(source).as_posix()}", recursive=False)
        for name, data in (extra or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def archive(tmp_path: Path) -> tuple[bytes, str, Path]:
    source = make_tiny_dataset(tmp_path / "source", speakers=3, clips_per_speaker=1)
    data = build_archive(source)
    return data, hashlib.sha256(data).hexdigest(), source


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_verifies_and_lays_out(server: Served, archive, tmp_path: Path) -> None:
    data, sha, source = archive
    server.files["sc.tar.gz"] = data
    dest = tmp_path / "dest"
    target = download_speech_commands(dest, url=server.url("sc.tar.gz"), sha256=sha, progress=False)
    assert target == dest / "speech_commands_v0.02"
    for word in ("yes", "no", "up", "_background_noise_"):
        assert sorted(p.name for p in (target / word).iterdir()) == sorted(
            p.name for p in (source / word).iterdir()
        )
    assert (target / "validation_list.txt").read_bytes() == (source / "validation_list.txt").read_bytes()
    assert _leftovers(dest) == ["speech_commands_v0.02"]  # no .part, archive removed, no temp folder
    assert scan_dataset(target).counts()["test"] == {"yes": 1, "no": 1}
    # A second call finds it complete and does not touch the network.
    n_requests = len(server.requests)
    assert download_speech_commands(dest, url=server.url("sc.tar.gz"), sha256=sha, progress=False) == target
    assert len(server.requests) == n_requests


def test_bad_checksum_extracts_nothing(server: Served, archive, tmp_path: Path) -> None:
    server.files["sc.tar.gz"] = archive[0]
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download_speech_commands(dest, url=server.url("sc.tar.gz"), sha256="0" * 64, progress=False)
    assert _leftovers(dest) == []


def test_interrupted_download_resumes(server: Served, archive, tmp_path: Path) -> None:
    data, sha, _ = archive
    server.files["sc.tar.gz"] = data
    server.cut_first_response_at = len(data) // 2
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match="interrupted.*run the command again to resume"):
        download_speech_commands(dest, url=server.url("sc.tar.gz"), sha256=sha, progress=False)
    assert _leftovers(dest) == ["sc.tar.gz.part"]
    assert (dest / "sc.tar.gz.part").stat().st_size == len(data) // 2
    target = download_speech_commands(dest, url=server.url("sc.tar.gz"), sha256=sha, progress=False)
    assert server.requests[-1]["range"] == f"bytes={len(data) // 2}-"
    assert (target / "yes").is_dir() and _leftovers(dest) == ["speech_commands_v0.02"]


def test_size_mismatch_is_refused_before_downloading(server: Served, archive, tmp_path: Path) -> None:
    server.files["sc.tar.gz"] = archive[0]
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match="expected 123"):
        download_speech_commands(
            dest, url=server.url("sc.tar.gz"), sha256=archive[1], size=123, progress=False
        )
    assert _leftovers(dest) == []


def test_path_traversal_is_refused(server: Served, archive, tmp_path: Path) -> None:
    data = build_archive(archive[2], extra={"../evil.wav": b"RIFF"})
    server.files["evil.tar.gz"] = data
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match="unsafe"):
        download_speech_commands(
            dest, url=server.url("evil.tar.gz"), sha256=hashlib.sha256(data).hexdigest(), progress=False
        )
    assert not (tmp_path / "evil.wav").exists()
    assert _leftovers(dest) == []


def test_top_level_folder_is_flattened(server: Served, archive, tmp_path: Path) -> None:
    data = build_archive(archive[2], prefix="speech_commands_v0.02")
    server.files["wrapped.tar.gz"] = data
    target = download_speech_commands(
        tmp_path / "d", url=server.url("wrapped.tar.gz"), sha256=None, progress=False
    )
    assert (target / "yes").is_dir() and (target / "testing_list.txt").is_file()


def test_damaged_gzip_without_checksum(server: Served, archive, tmp_path: Path) -> None:
    data = bytearray(archive[0])
    data[len(data) // 2] ^= 0xFF
    server.files["bad.tar.gz"] = bytes(data)
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match="damaged|cannot extract"):
        download_speech_commands(dest, url=server.url("bad.tar.gz"), sha256=None, progress=False)
    assert _leftovers(dest) == []


def test_network_errors_are_clear(server: Served, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="HTTP 404"):
        download_speech_commands(tmp_path / "a", url=server.url("missing.tar.gz"), progress=False)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match="cannot download"):
        download_speech_commands(tmp_path / "b", url=f"http://127.0.0.1:{port}/x.tar.gz", progress=False)


def test_existing_folder_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "speech_commands_v0.02").mkdir()
    with pytest.raises(DownloadError, match="not completed by download-data"):
        download_speech_commands(tmp_path, url="http://127.0.0.1:9/x.tar.gz", progress=False)


def test_cli_subcommand(server: Served, archive, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data, sha, _ = archive
    server.files["sc.tar.gz"] = data
    parser = argparse.ArgumentParser(prog="kws-train")
    download.add_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["download-data", str(tmp_path / "x"), "--url", server.url("sc.tar.gz"), "--sha256", sha]
    )
    assert args.func(args) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "x" / "speech_commands_v0.02")
    args = parser.parse_args(
        ["download-data", str(tmp_path / "y"), "--url", server.url("sc.tar.gz"), "--sha256", "f" * 64]
    )
    assert args.func(args) == 1
    assert "checksum mismatch" in capsys.readouterr().err
    assert parser.parse_args(["download-data", "d"]).url == download.OFFICIAL_URL


def test_official_constants() -> None:
    assert download.OFFICIAL_URL == "http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz"
    assert len(download.OFFICIAL_SHA256) == 64 and download.OFFICIAL_SIZE == 2_428_923_189


# ------------------------------------------------------------------ hostile archives and addresses
def gzip_bomb(member_bytes: int, name: str = "yes/bomb.wav") -> bytes:
    """A .tar.gz holding one member of ``member_bytes`` zeros (~1000:1).

    A gzip file may hold several members one after another; one compressed MB of
    zeros, repeated, makes the bomb in no time and without that memory.
    """
    info = tarfile.TarInfo(name)
    info.size = member_bytes
    megabyte = gzip.compress(bytes(1 << 20))
    tail = bytes(1024 + (-member_bytes) % 512)  # padding + the end-of-archive blocks
    return (
        gzip.compress(info.tobuf(format=tarfile.GNU_FORMAT))
        + megabyte * (member_bytes >> 20)
        + gzip.compress(tail)
    )


def test_a_gzip_bomb_is_refused_quickly_and_deleted(server: Served, tmp_path: Path) -> None:
    # Issue 8, row 11: a 2.1 MB archive extracted 2 GB and was accepted.
    bomb = gzip_bomb(160 << 20)  # 160 MB of zeros in ~160 KB
    assert len(bomb) < 300_000
    server.files["bomb.tar.gz"] = bomb
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match=r"decompresses to more than 67\.1 MB.*refused"):
        download_speech_commands(dest, url=server.url("bomb.tar.gz"), sha256=None, progress=False)
    assert _leftovers(dest) == []
    # The same bound holds during extraction, with the archive's checksum given.
    with pytest.raises(DownloadError, match="decompresses to more than"):
        download_speech_commands(
            dest, url=server.url("bomb.tar.gz"), sha256=hashlib.sha256(bomb).hexdigest(), progress=False
        )
    assert _leftovers(dest) == []


def test_extraction_limits_follow_the_known_dataset_size() -> None:
    official_bytes, official_files = download.extract_limits(download.OFFICIAL_SIZE, official=True)
    assert official_bytes >= download.OFFICIAL_EXTRACTED_BYTES and official_files > 105_829
    assert official_bytes < 2 * download.OFFICIAL_EXTRACTED_BYTES
    small, _ = download.extract_limits(2_100_000, official=False)
    assert small == download.MIN_EXTRACT_ALLOWANCE
    mirror, _ = download.extract_limits(download.OFFICIAL_SIZE, official=False)
    assert mirror == official_bytes  # a full-size mirror gets the dataset's bound


def test_too_many_entries_are_refused(server: Served, archive, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(download, "OFFICIAL_FILES", 8)
    server.files["many.tar.gz"] = archive[0]
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match=r"holds more than 10 entries"):
        download_speech_commands(dest, url=server.url("many.tar.gz"), sha256=None, progress=False)
    assert _leftovers(dest) == []


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/sc.tar.gz", "file:///etc/passwd", "not an address", "http://", "http://[::1"],
)
def test_addresses_that_are_not_http_are_refused_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture, url: str
) -> None:
    parser = argparse.ArgumentParser(prog="kws-train")
    download.add_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["download-data", str(tmp_path / "d"), "--url", url])
    assert args.func(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: --url") and "Traceback" not in err
    assert not (tmp_path / "d").exists()


def test_an_address_ending_in_dot_dot_gets_a_plain_file_name(server: Served, archive, tmp_path: Path) -> None:
    # Issue 8, row 12: ".../.." gave the local name "..": an OSError traceback and a "...part" left.
    data, sha, _ = archive
    server.files[".."] = data
    dest = tmp_path / "dest"
    target = download_speech_commands(dest, url=server.url(".."), sha256=sha, progress=False)
    assert (target / "yes").is_dir() and _leftovers(dest) == ["speech_commands_v0.02"]


def test_unexpected_os_errors_are_download_errors(
    server: Served, archive, tmp_path: Path, monkeypatch
) -> None:
    data, sha, _ = archive
    server.files["sc.tar.gz"] = data

    def broken_replace(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(download.os, "replace", broken_replace)
    with pytest.raises(DownloadError, match="Permission denied"):
        download_speech_commands(tmp_path / "d", url=server.url("sc.tar.gz"), sha256=sha, progress=False)
