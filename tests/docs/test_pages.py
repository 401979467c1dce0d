"""The hand-written pages stay true to the code and to the README."""

from __future__ import annotations

from pathlib import Path

from qdev.doctor.checks import ordered

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def test_getting_started_runs_the_readmes_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    page = (DOCS / "getting-started.md").read_text()
    script = (ROOT / "scripts" / "try-qdev.sh").read_text()
    assert "bash scripts/try-qdev.sh" in readme
    assert "bash scripts/try-qdev.sh" in page
    for command in ("qdev init /tmp/qdev-demo --kind library --yes", "qdev check"):
        assert command in readme, command
        assert command in page, command
    assert '"$qdev" init "$demo" --kind library --yes' in script
    assert 'demo="${1:-/tmp/qdev-demo}"' in script


def test_every_doctor_finding_is_documented() -> None:
    page = (DOCS / "doctor.md").read_text()
    for diagnosis in ordered():
        assert f"| `{diagnosis.id}` |" in page, diagnosis.id
