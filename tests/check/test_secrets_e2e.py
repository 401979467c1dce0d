"""The secrets step: short values in committed credential files fail it, code is left to the
general scanner, and a file it cannot read is named as not scanned."""

from __future__ import annotations

from pathlib import Path

import pytest

from .check_helpers import qdev

pytestmark = pytest.mark.e2e


def _write(repo: Path, path: str, data: str | bytes) -> None:
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        target.write_bytes(data)
    else:
        target.write_text(data, encoding="utf-8")


def test_a_committed_env_file_with_a_short_password_fails(repo: Path) -> None:
    _write(repo, ".env", "DB_HOST=localhost\nDB_PASS=abc\nDEBUG=1\n")
    _write(repo, "deploy/prod.env", "export API_TOKEN='t0k'\nREGION=eu\n")
    # In code, KEY = "value" is code: left to the general scanner, which lets these be.
    _write(repo, "src/quantlib/settings.py", 'CACHE_KEY = "prices"\nSESSION_TIMEOUT = "30"\n')

    ran = qdev(repo, "check", "secrets", "--format", "json")

    assert ran.code == 1, ran.stdout
    found = [(f["path"], f["line"], f["code"]) for f in ran.steps()["secrets"]["findings"]]
    assert found == [(".env", 2, "Credential file"), ("deploy/prod.env", 1, "Credential file")]
    assert ran.steps()["secrets"]["summary"] == "2 possible secrets"


def test_a_credential_file_value_that_is_no_secret_is_allowlisted_by_its_hash(
    repo: Path,
) -> None:
    _write(repo, ".env.example", "DB_PASS=changeme\nAPI_TOKEN=${API_TOKEN}\nSALT=demo-salt\n")
    first = qdev(repo, "check", "secrets", "--format", "json").steps()["secrets"]
    [finding] = first["findings"]  # placeholders and references are not flagged
    digest = finding["message"].split("hash ")[1].split()[0]
    allow = f'["{digest}", ".qdev/state.toml"]'
    _write(
        repo,
        "qdev.toml",
        (repo / "qdev.toml").read_text() + f"\n[check.secrets]\nallowlist = {allow}\n",
    )

    ran = qdev(repo, "check", "secrets")

    assert finding["line"] == 3
    assert ran.code == 0, ran.stdout


def test_a_file_that_is_not_utf8_is_named_as_not_scanned_never_counted_clean(repo: Path) -> None:
    clean = qdev(repo, "check", "secrets", "--format", "json").steps()["secrets"]["summary"]
    _write(repo, "data/legacy.cfg", 'password = "caf\xe9 au lait"\n'.encode("latin-1"))
    _write(repo, "data/prices.bin", b"\x00\x01\x02\xff")

    ran = qdev(repo, "check", "secrets", "--format", "json")

    summary = ran.steps()["secrets"]["summary"]
    clean_count = int(clean.split()[0])
    assert summary == (
        f"{clean_count} files clean; not scanned, not UTF-8: data/legacy.cfg, data/prices.bin"
    )
    assert "data/legacy.cfg: not scanned (not UTF-8)" in ran.steps()["secrets"]["output"]


def _notebook(outputs: list[dict[str, object]]) -> str:
    import json

    cell = {
        "cell_type": "code", "execution_count": 1, "id": "c1", "metadata": {},
        "source": ["import os\n", "os.environ['AWS_KEY']"], "outputs": outputs,
    }  # fmt: skip
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(notebook, indent=1) + "\n"  # as Jupyter writes it


def test_a_notebooks_image_outputs_are_not_secrets_but_its_text_outputs_are_scanned(
    repo: Path,
) -> None:
    import base64
    import random

    png = base64.b64encode(random.Random(7).randbytes(600)).decode()
    image: dict[str, object] = {
        "output_type": "display_data", "metadata": {}, "data": {"image/png": png},
    }  # fmt: skip
    printed: dict[str, object] = {
        "output_type": "stream", "name": "stdout", "text": ["AKIAIOSFODNN7EXAMPLX\n"],
    }  # fmt: skip
    _write(repo, "notebooks/plot.ipynb", _notebook([image]))
    _write(repo, "notebooks/leak.ipynb", _notebook([printed]))

    ran = qdev(repo, "check", "secrets", "--format", "json")

    found = [(f["path"], f["code"]) for f in ran.steps()["secrets"]["findings"]]
    assert found == [("notebooks/leak.ipynb", "AWS Access Key")]


def test_a_line_two_detectors_flag_names_every_hash_so_one_allowlisting_clears_it(
    repo: Path,
) -> None:
    # A URL with a password is both "Basic Auth Credentials" and "Secret Keyword".
    _write(
        repo, "deploy/index.py", 'INDEX_PASSWORD = "https://alice:s3cret@pypi.internal/simple"\n'
    )
    first = qdev(repo, "check", "secrets", "--format", "json").steps()["secrets"]
    [finding] = first["findings"]
    assert finding["code"] == "Basic Auth Credentials, Secret Keyword"
    digests = finding["message"].split("its hashes ")[1].split(" to ")[0].split(", ")
    assert len(digests) == 2
    allow = ", ".join(f'"{digest}"' for digest in [*digests, ".qdev/state.toml"])
    _write(
        repo,
        "qdev.toml",
        (repo / "qdev.toml").read_text() + f"\n[check.secrets]\nallowlist = [{allow}]\n",
    )

    ran = qdev(repo, "check", "secrets")

    assert ran.code == 0, ran.stdout
