"""JUnit XML: one test case per step; failed steps fail, not-run and skipped ones are skipped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from qdev.check.model import CheckRun, Status


def render(run: CheckRun) -> str:
    counts = run.counts()
    attrs = {
        "name": "qdev check",
        "tests": str(len(run.results)),
        "failures": str(counts["failed"]),
        "errors": "0",
        "skipped": str(counts["not_run"] + counts["skipped"]),
        "time": f"{run.seconds:.3f}",
    }
    suites = ET.Element("testsuites", attrs)
    suite = ET.SubElement(suites, "testsuite", attrs)
    for result in run.results:
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": "qdev.check", "name": result.id, "time": f"{result.seconds:.3f}"},
        )
        if result.status is Status.FAILED:
            failure = ET.SubElement(case, "failure", {"message": result.summary, "type": "failed"})
            failure.text = "\n".join(f.render() for f in result.findings) or result.output
        elif result.status is Status.NOT_RUN:
            ET.SubElement(case, "skipped", {"message": f"not run: {result.summary}"})
        elif result.status is Status.SKIPPED:
            ET.SubElement(case, "skipped", {"message": result.summary})
        if result.cached:
            ET.SubElement(case, "system-out").text = "answered from the qdev check cache"
        elif result.output:
            ET.SubElement(case, "system-out").text = result.output
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )
