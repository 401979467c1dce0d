"""[research] and the notebooks/filesize options: every mistake named with its key and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import qdev

SHA = "ab" * 32


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            '[research.storage.s3]\nsecret = "x"\n',
            "research.storage.s3.secret: expected an option that is not a credential",
        ),
        (
            '[research.storage.s3]\nclient_kwargs = {aws_secret_access_key = "x"}\n',
            "research.storage.s3.client_kwargs.aws_secret_access_key: expected an option that",
        ),
        (
            f'[research.data.p]\nurl = "https://me:pw@host/p.csv"\nsha256 = "{SHA}"\n',
            "research.data.p.url: ",
        ),
        ('[research.data.p]\nurl = "s3://b/p.csv"\nsha256 = "abc"\n', "64 lowercase hex digits"),
        (
            f'[research.data.p]\nurl = "s3://b/p.csv"\nsha256 = "{SHA}"\npath = "../x"\n',
            "research.data.p.path: ",
        ),
        (f'[research.data."a b"]\nurl = "s3://b/p"\nsha256 = "{SHA}"\n', 'got "a b"'),
        ('[research]\ndata_dir = "/data"\n', "research.data_dir: "),
        ('[check.notebooks]\nparameters = {"2x" = 1}\n', 'a Python variable name, got "2x"'),
        ("[check.filesize]\nmax_kb = 0\n", "check.filesize.max_kb"),
    ],
)
def test_a_bad_research_setting_is_a_config_error_naming_its_key(
    tmp_path: Path, toml: str, expected: str
) -> None:
    (tmp_path / "qdev.toml").write_text(toml)
    ran = qdev(tmp_path, "config", "validate")
    assert ran.code == 2, ran.output
    assert expected in ran.stderr
    assert "Traceback" not in ran.output


def test_good_research_settings_validate(tmp_path: Path) -> None:
    (tmp_path / "qdev.toml").write_text(
        '[research]\ndata_dir = "datasets"\nkernel = false\n'
        '[research.storage.s3]\nendpoint_url = "http://minio:9000"\nanon = false\n'
        f'[research.data.prices]\nurl = "s3://team/p.parquet"\nsha256 = "{SHA}"\n'
        '[check.notebooks]\ncell_timeout = 60\nparameters = {start = "2024", n = [1, 2]}\n'
    )
    assert qdev(tmp_path, "config", "validate").code == 0
