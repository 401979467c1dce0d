"""`qdev doctor`: the machine and the repo diagnosed, each finding with what, why and its fix.

    from qdev.doctor import diagnose
    report = diagnose(Path.cwd())   # DoctorReport: findings in order, healthy or not

Each diagnosis is a small registered unit in `qdev.doctor.checks` (see `model.Diagnosis`).
"""

from __future__ import annotations

from qdev.doctor.model import Diagnosis, DoctorReport, Finding, Status
from qdev.doctor.runner import RepairOutcome, diagnose, diagnose_and_repair

__all__ = [
    "Diagnosis",
    "DoctorReport",
    "Finding",
    "RepairOutcome",
    "Status",
    "diagnose",
    "diagnose_and_repair",
]
