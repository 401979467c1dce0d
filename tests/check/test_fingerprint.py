"""What the cache keys read about the environment: the packages really installed."""

from __future__ import annotations

from pathlib import Path

from qdev.check.fingerprint import Environment, installed


def test_installed_packages_are_read_from_their_metadata_folders(tmp_path: Path) -> None:
    site = tmp_path / "lib/python3.12/site-packages"
    for name in ("Detect_Secrets-1.5.0.dist-info", "ruff-0.6.9.dist-info", "old.pkg-1.0.egg-info"):
        (site / name).mkdir(parents=True)
    (site / "quantlib.pth").write_text("/repo/src\n")
    (site / "ruff").mkdir()

    found = installed(tmp_path)

    assert found["detect-secrets"] == "1.5.0"
    assert found["ruff"] == "0.6.9"
    assert found["old-pkg"] == "1.0"
    assert "quantlib.pth (pth)" in found
    assert len(found) == 4


def test_a_step_keys_on_the_installed_and_the_locked_version_of_its_tools(tmp_path: Path) -> None:
    env = Environment({"ruff": "0.6.9"}, {"ruff": "0.7.0", "numpy": "2.1"}, "3.12.1")

    assert env.packages(("ruff",)) == {"ruff": ["0.6.9", "0.7.0"]}
    assert env.packages(("*",)) != Environment(
        {"ruff": "0.6.9"}, {"ruff": "0.7.0"}, "3.12.1"
    ).packages(("*",))


def test_no_environment_reads_as_nothing_installed(tmp_path: Path) -> None:
    assert installed(tmp_path / "missing") == {}
