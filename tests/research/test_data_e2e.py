"""`qdev data pull|status|add` against a real S3-compatible server on loopback and local paths."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import PutObject
from .helpers import QDEV, StallingServer, open_files_under, qdev, sha256

pytestmark = pytest.mark.e2e

PRICES = b"date,close\n" + b"".join(b"2026-01-%02d,%d\n" % (d, 100 + d) for d in range(1, 29))
TRADES = os.urandom(3 * 1024 * 1024 + 17)  # several chunks, not a round size
HEADER = '[project]\nname = "alpha"\nkind = "research"\n\n'


def declare(repo: Path, **datasets: tuple[str, str]) -> None:
    tables = "".join(
        f'[research.data.{name}]\nurl = "{url}"\nsha256 = "{digest}"\n\n'
        for name, (url, digest) in datasets.items()
    )
    (repo / "qdev.toml").write_text(HEADER + tables)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A bare research folder: data needs no environment and no git."""
    folder = tmp_path / "alpha"
    (folder / "data").mkdir(parents=True)
    return folder


def test_pull_fetches_s3_and_local_keeps_the_present_one_and_is_idempotent(
    repo: Path, tmp_path: Path, s3: PutObject
) -> None:
    trades_url = s3("raw/trades.bin", TRADES)
    local = tmp_path / "shared" / "prices.csv"
    local.parent.mkdir()
    local.write_bytes(PRICES)
    present = b"already here\n"
    (repo / "data" / "notes.txt").write_bytes(present)
    declare(
        repo,
        trades=(trades_url, sha256(TRADES)),
        prices=("../shared/prices.csv", sha256(PRICES)),
        notes=("s3://nowhere-bucket/notes.txt", sha256(present)),
    )

    first = qdev(repo, "data", "pull")

    assert first.code == 0, first.output
    assert "fetched: trades (3.0 MiB" in first.stdout
    assert "fetched: prices" in first.stdout
    assert "notes" not in first.stdout  # present: not fetched, not listed
    assert "2 fetched, 1 present" in first.stdout
    assert (repo / "data" / "trades.bin").read_bytes() == TRADES
    assert (repo / "data" / "prices.csv").read_bytes() == PRICES
    assert sorted(p.name for p in (repo / "data").iterdir()) == [
        "notes.txt", "prices.csv", "trades.bin"
    ]  # fmt: skip

    # Everything present: no network is needed, the server may as well be gone.
    again = qdev(repo, "data", "pull", "--json", env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert again.code == 0, again.output
    assert [d["outcome"] for d in again.json()["datasets"]] == ["present"] * 3

    status = qdev(repo, "data", "status", "--json")
    assert status.code == 0
    assert {d["name"]: d["state"] for d in status.json()["datasets"]} == {
        "trades": "present", "prices": "present", "notes": "present"
    }  # fmt: skip


def test_a_corrupted_download_is_detected_removed_and_reported(repo: Path, s3: PutObject) -> None:
    url = s3("raw/trades.bin", TRADES[:-1] + b"!")  # one byte differs from the declared file
    declare(repo, trades=(url, sha256(TRADES)))

    ran = qdev(repo, "data", "pull")

    assert ran.code == 1, ran.output
    assert "failed: trades: content hash mismatch" in ran.stdout
    assert sha256(TRADES) in ran.stdout
    assert "the download was removed" in ran.stdout
    assert "Traceback" not in ran.output
    assert list((repo / "data").iterdir()) == []


def test_status_tells_present_missing_and_changed_and_pull_keeps_local_changes(
    repo: Path, s3: PutObject
) -> None:
    url = s3("prices.csv", PRICES)
    declare(repo, prices=(url, sha256(PRICES)), trades=(s3("t.bin", TRADES), sha256(TRADES)))
    (repo / "data" / "prices.csv").write_bytes(PRICES + b"my edit\n")

    status = qdev(repo, "data", "status")
    assert status.code == 1
    lines = {line.split()[0]: line.split()[1] for line in status.stdout.splitlines() if line}
    assert lines["prices"] == "changed"
    assert lines["trades"] == "missing"

    pulled = qdev(repo, "data", "pull")
    assert pulled.code == 1
    assert "changed locally: prices" in pulled.stdout
    assert "--force prices" in pulled.stdout
    assert (repo / "data" / "prices.csv").read_bytes() == PRICES + b"my edit\n"
    assert (repo / "data" / "t.bin").read_bytes() == TRADES

    forced = qdev(repo, "data", "pull", "--force", "prices")
    assert forced.code == 0, forced.output
    assert (repo / "data" / "prices.csv").read_bytes() == PRICES


def test_killing_the_pull_mid_file_leaves_no_partial_file(repo: Path) -> None:
    content = os.urandom(8 * 1024 * 1024)
    server = StallingServer(content)
    try:
        declare(repo, big=(server.url, sha256(content)))
        pull = subprocess.Popen(
            [*QDEV, "data", "pull"], cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        writing = _wait_for_half_written(pull, repo / "data", len(content) // 2)
        pull.send_signal(signal.SIGKILL)
        pull.communicate(timeout=10)
    finally:
        server.close()

    assert writing, "the pull never wrote to a file in data/"
    assert list((repo / "data").iterdir()) == []


def test_where_unnamed_files_are_missing_a_killed_pull_leaves_a_hidden_file_the_next_removes(
    repo: Path, tmp_path: Path
) -> None:
    content = os.urandom(8 * 1024 * 1024)
    server = StallingServer(content)
    env = {**os.environ, "_QDEV_NO_TMPFILE": "1"}
    try:
        declare(repo, big=(server.url, sha256(content)))
        pull = subprocess.Popen(
            [*QDEV, "data", "pull"], cwd=repo, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        assert _wait_for_half_written(pull, repo / "data", len(content) // 2)
        pull.send_signal(signal.SIGKILL)
        pull.communicate(timeout=10)
    finally:
        server.close()
    left = list((repo / "data").iterdir())
    assert len(left) == 1
    assert left[0].name.startswith(".big.bin.")
    assert left[0].name.endswith(".qdev-partial")
    assert not (repo / "data" / "big.bin").exists()

    served = tmp_path / "big.bin"
    served.write_bytes(content)
    declare(repo, big=(str(served), sha256(content)))
    again = qdev(repo, "data", "pull")
    assert again.code == 0, again.output
    assert f"removed {left[0]}, left by an interrupted pull" in again.stdout
    assert [p.name for p in (repo / "data").iterdir()] == ["big.bin"]


def _wait_for_half_written(pull: subprocess.Popen[bytes], folder: Path, half: int) -> bool:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert pull.poll() is None, pull.communicate()
        if any(size >= half for _, size in open_files_under(pull.pid, folder)):
            return True
        time.sleep(0.01)
    return False


def test_add_records_the_dataset_with_its_hash_and_keeps_the_config_as_it_was(
    repo: Path, s3: PutObject
) -> None:
    url = s3("prices/2026.csv", PRICES)
    (repo / "qdev.toml").write_text(HEADER + "# our research policy\n[research]\nkernel = false\n")

    added = qdev(repo, "data", "add", url, "--json")

    assert added.code == 0, added.output
    result = added.json()
    assert (result["name"], result["sha256"], result["path"]) == (
        "2026",
        sha256(PRICES),
        "data/2026.csv",
    )
    text = (repo / "qdev.toml").read_text()
    assert text.startswith(HEADER + "# our research policy\n[research]\nkernel = false\n")
    assert f'[research.data.2026]\nurl = "{url}"\nsha256 = "{sha256(PRICES)}"' in text
    assert (repo / "data" / "2026.csv").read_bytes() == PRICES
    assert qdev(repo, "data", "status").code == 0

    twice = qdev(repo, "data", "add", url)
    assert twice.code == 2
    assert "already declared" in twice.stderr


def test_add_into_pyproject_with_a_name_and_path_and_refuses_to_clobber_a_different_file(
    repo: Path, tmp_path: Path
) -> None:
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "alpha"\nversion = "0.1.0"\n\n'
        '[tool.qdev]\nproject = {kind = "research"}\n'
    )
    source = tmp_path / "exports" / "fills.parquet"
    source.parent.mkdir()
    source.write_bytes(TRADES)

    added = qdev(repo, "data", "add", str(source), "--name", "fills", "--path", "raw/fills.pq")
    assert added.code == 0, added.output
    assert "added fills: data/raw/fills.pq" in added.stdout
    text = (repo / "pyproject.toml").read_text()
    assert "[tool.qdev.research.data.fills]" in text
    assert 'path = "raw/fills.pq"' in text

    (repo / "data" / "other.parquet").write_bytes(b"someone's own file")
    refused = qdev(repo, "data", "add", str(source), "--name", "other", "--path", "other.parquet")
    assert refused.code == 4
    assert "exists with other content" in refused.stderr
    assert (repo / "data" / "other.parquet").read_bytes() == b"someone's own file"
    assert "other" not in (repo / "pyproject.toml").read_text().split("fills", 1)[1]


def test_unknown_dataset_names_and_missing_objects_are_reported(repo: Path, s3: PutObject) -> None:
    url = s3("present.csv", PRICES)
    gone = url.replace("present.csv", "gone.csv")
    declare(repo, gone=(gone, sha256(PRICES)))

    unknown = qdev(repo, "data", "pull", "nope")
    assert unknown.code == 2
    assert "no dataset named nope" in unknown.stderr

    missing = qdev(repo, "data", "pull")
    assert missing.code == 1
    assert f"failed: gone: not found: {gone}" in missing.stdout


def test_a_dry_run_fetches_nothing(repo: Path, s3: PutObject) -> None:
    declare(repo, prices=(s3("p.csv", PRICES), sha256(PRICES)))
    ran = qdev(repo, "data", "pull", "--dry-run")
    assert ran.code == 0, ran.output
    assert "would fetch: prices" in ran.stdout
    assert list((repo / "data").iterdir()) == []


def test_ctrl_c_during_a_stalled_download_exits_130_at_once_and_leaves_nothing(
    repo: Path,
) -> None:
    content = os.urandom(8 * 1024 * 1024)
    server = StallingServer(content)
    try:
        declare(repo, big=(server.url, sha256(content)))
        pull = subprocess.Popen(
            [*QDEV, "data", "pull"], cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert _wait_for_half_written(pull, repo / "data", len(content) // 2)
        pull.send_signal(signal.SIGINT)
        _, stderr = pull.communicate(timeout=20)  # the server still holds the rest back
    finally:
        server.close()
    assert pull.returncode == 130, stderr
    assert b"interrupted" in stderr
    assert b"Traceback" not in stderr
    assert list((repo / "data").iterdir()) == []


def test_on_a_terminal_the_pull_draws_a_progress_bar(repo: Path) -> None:
    content = os.urandom(8 * 1024 * 1024)
    server = StallingServer(content)
    master, slave = pty.openpty()
    try:
        declare(repo, big=(server.url, sha256(content)))
        pull = subprocess.Popen(
            [*QDEV, "data", "pull"], cwd=repo, stdin=slave, stdout=slave, stderr=slave,
            env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
        )  # fmt: skip
        os.close(slave)
        seen = _read_until(master, "/8.0 MiB")  # the bar: 4.0/8.0 MiB so far
        assert "big" in seen
        server.released.set()
        seen += _read_until(master, "qdev data pull done")
        assert pull.wait(timeout=30) == 0
    finally:
        server.close()
        os.close(master)
    assert "fetched: big (8.0 MiB" in seen
    assert (repo / "data" / "big.bin").read_bytes() == content


def _read_until(master: int, text: str, timeout: float = 60) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while text not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"waited for {text!r}, got:\n{seen}"
        ready, _, _ = select.select([master], [], [], left)
        if ready:
            try:
                seen += os.read(master, 65536).decode(errors="replace")
            except OSError:  # the child closed the terminal
                break
    return seen
