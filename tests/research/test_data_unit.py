"""`qdev data` in-process: its errors and exit codes, the hash cache, config writes undone."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from qdev.__main__ import main
from qdev.research import datasets
from qdev.research.datasets import Declared
from qdev.research.fetch import describe

from .helpers import sha256

HEADER = '[project]\nname = "alpha"\nkind = "research"\n\n'


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "alpha"
    (folder / "data").mkdir(parents=True)
    (folder / "qdev.toml").write_text(HEADER)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("NO_COLOR", "1")
    return folder


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_without_fsspec_fetching_exits_3_naming_the_extra(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "qdev.toml").write_text(
        HEADER + f'[research.data.p]\nurl = "s3://b/p.csv"\nsha256 = "{"0" * 64}"\n'
    )
    monkeypatch.setitem(sys.modules, "fsspec", None)  # as if qdev[data] were not installed
    monkeypatch.setitem(sys.modules, "fsspec.core", None)
    code, _, err = run(capsys, "data", "pull")
    assert code == 3
    assert "fetching data needs fsspec" in err
    assert "uv tool install 'qdev[data]'" in err

    (repo / "data" / "p.csv").write_bytes(b"")  # everything present: fsspec is not needed
    (repo / "qdev.toml").write_text(
        HEADER + f'[research.data.p]\nurl = "s3://b/p.csv"\nsha256 = "{sha256(b"")}"\n'
    )
    assert run(capsys, "data", "pull")[0] == 0


def test_an_unknown_protocol_is_a_usage_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "data", "add", "nosuchproto://bucket/x.csv")
    assert code == 2
    assert "fsspec cannot open nosuchproto://bucket/x.csv" in err


@pytest.mark.parametrize("url", ["s3://bucket/", "s3://bucket", "https://host"])
def test_a_url_that_names_no_file_needs_a_name_and_a_path(
    repo: Path, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    code, _, err = run(capsys, "data", "add", url)
    assert code == 2
    assert "pass --name" in err
    code, _, err = run(capsys, "data", "add", url, "--name", "x")
    assert code == 2
    assert 'add path = "FILE"' in err


def test_a_local_file_that_is_not_there_cannot_be_added(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "data", "add", "../nowhere/prices.csv")
    assert code == 1
    assert "could not fetch ../nowhere/prices.csv: not found" in err
    assert list((repo / "data").iterdir()) == []


def test_an_invalid_record_puts_the_config_back(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "p.csv"
    source.write_text("a,b\n")
    before = (repo / "qdev.toml").read_text()
    code, _, err = run(capsys, "data", "add", str(source), "--name", "bad name")
    assert code == 2
    assert 'got "bad name"' in err
    assert (repo / "qdev.toml").read_text() == before


def test_status_trusts_a_remembered_hash_while_the_file_is_unchanged(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = b"x" * 1000
    (repo / "data" / "p.bin").write_bytes(content)
    (repo / "qdev.toml").write_text(
        HEADER + f'[research.data.p]\nurl = "s3://b/p.bin"\nsha256 = "{sha256(content)}"\n'
    )
    assert run(capsys, "data", "status")[0] == 0
    cache = repo / datasets.HASH_CACHE
    entries = json.loads(cache.read_text())
    entries["data/p.bin"]["sha256"] = "f" * 64
    cache.write_text(json.dumps(entries))
    code, out, _ = run(capsys, "data", "status", "--json")
    assert code == 1  # the remembered hash was used, not the file read again
    assert json.loads(out)["datasets"][0]["state"] == "changed"

    (repo / "data" / "p.bin").write_bytes(content + b"!")  # a new stat: hashed again
    (repo / "data" / "p.bin").write_bytes(content)
    code, out, _ = run(capsys, "data", "status", "--json")
    assert json.loads(out)["datasets"][0]["actual_sha256"] == sha256(content)


def test_failures_are_described_in_one_line_without_credentials() -> None:
    dataset = Declared("p", "s3://b/p.csv", "s3://b/p.csv", "0" * 64, "data/p.csv", Path("x"))
    assert describe(FileNotFoundError("b/p.csv"), dataset) == "not found: s3://b/p.csv"

    class NoCredentialsError(Exception):
        pass

    assert describe(NoCredentialsError(), dataset).startswith("no credentials for s3://b/p.csv")
    assert describe(PermissionError("403"), dataset) == "access denied to s3://b/p.csv: 403"
    leaky = OSError("GET https://user:secret@host/p.csv failed\nmore")
    assert describe(leaky, dataset) == "OSError: GET https://***@host/p.csv failed"
    assert describe(RuntimeError(), dataset) == "RuntimeError"


def test_no_datasets_declared(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "data", "status")
    assert code == 0
    assert "no datasets are declared" in out
    code, out, _ = run(capsys, "data", "pull")
    assert code == 0
    assert "no datasets declared" in out
