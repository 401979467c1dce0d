"""Coverage's report for the test step, run by qdev with the repo's own Python (`python -I`).

    python -I _coverage_report.py --data FILE --fail-under PERCENT --json FILE PART...

Combines the test workers' data files (PART...) into FILE, prints coverage's table with the
missing lines and judges the total as pytest-cov does, in pytest-cov's words, so the test step
reads one process's run and many alike. Analysing every measured file is most of a report's
cost, so it is done once: the JSON report (the uncovered lines, by exact path) is only written
when the total falls short. Exit code 0: the total is enough; 1: it falls short; 2: the data
could not be read. Imports nothing from qdev.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from typing import Any


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help="the combined data file")
    parser.add_argument("--fail-under", required=True, help="percent, as configured")
    parser.add_argument("--json", required=True, help="where the JSON report goes when short")
    parser.add_argument("parts", nargs="+", help="the workers' data files")
    args = parser.parse_args(argv)

    import coverage
    from coverage.results import should_fail_under

    try:
        from coverage.exceptions import CoverageException, NoDataError
    except ImportError:  # coverage before 6.0
        from coverage.misc import CoverageException, NoDataError

    cov = coverage.Coverage(data_file=args.data, data_suffix=False)
    try:
        cov.combine(args.parts)
        cov.save()
        total = float(cov.report(show_missing=True, ignore_errors=True, file=sys.stdout))
    except NoDataError as exc:  # pytest-cov goes on with a total of 0 and warns so
        print(f"Failed to generate report: {exc}")
        total = 0.0
    except CoverageException as exc:
        print(f"coverage could not read the test data: {exc}", file=sys.stderr)
        return 2
    required = _percent(args.fail_under)
    precision = int(_option(cov, "report:precision", 0))
    if should_fail_under(total, required, precision):
        print(
            f"FAIL Required test coverage of {required}% not reached. Total coverage: {total:.2f}%"
        )
        # without it, the missing lines are read from the table above
        with contextlib.suppress(CoverageException):
            cov.json_report(outfile=args.json, ignore_errors=True)
        return 1
    print(f"Required test coverage of {required}% reached. Total coverage: {total:.2f}%")
    return 0


def _percent(text: str) -> float:
    """As pytest-cov reads --cov-fail-under: an int when it is one (printed as `80`)."""
    try:
        return int(text)
    except ValueError:
        return float(text)


def _option(cov: Any, name: str, default: Any) -> Any:
    try:
        return cov.get_option(name)
    except Exception:  # an older coverage without the option
        return default


if __name__ == "__main__":
    sys.exit(main())
