"""`qdev fleet status --html PATH`: one self-contained page (inline CSS and JavaScript, no
network) with the table, filters and each repo's health summary.

Rows are drawn here, so the page reads without JavaScript; the script only filters them (text,
group, kind, health level, and "only repos that are behind / drifted / failing / unreleased").
The report itself is embedded as JSON (`<script id="fleet-data">`) for anyone who wants to
script the page.
"""

from __future__ import annotations

import json
from html import escape

from qdev.fleet.report import RepoJson, ReportJson, unreleased

FLAGS = (
    ("behind", "behind the profile"),
    ("drift", "drifted"),
    ("failing", "failing qdev check"),
    ("unreleased", "unreleased commits"),
    ("unreadable", "unreadable"),
)
COLUMNS = ("repo", "group", "kind", "profile", "latest", "drift", "config", "head", "release",
           "lock", "check", "health")  # fmt: skip

CSS = """
:root { --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --info: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px;
       color: #1f2328; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; }
.meta { color: var(--info); margin-bottom: 16px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 16px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 110px; }
.card b { display: block; font-size: 22px; }
.filters { display: flex; gap: 12px; flex-wrap: wrap; align-items: center; margin: 12px 0;
           padding: 10px; background: #f6f8fa; border-radius: 6px; }
.filters label { white-space: nowrap; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left;
         vertical-align: top; }
th { background: #f6f8fa; position: sticky; top: 0; }
tr[hidden] { display: none; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff;
         font-weight: 600; font-size: 12px; }
.badge.ok { background: var(--ok); } .badge.warn { background: var(--warn); }
.badge.bad { background: var(--bad); }
.findings { margin: 4px 0 0; padding-left: 18px; }
.findings .bad { color: var(--bad); } .findings .warn { color: var(--warn); }
.findings .info { color: var(--info); }
.dim { color: var(--info); } .num { font-variant-numeric: tabular-nums; }
.behind { color: var(--warn); font-weight: 600; }
"""

SCRIPT = """
(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll("#repos tbody tr.repo"));
  var text = document.getElementById("filter-text");
  var group = document.getElementById("filter-group");
  var kind = document.getElementById("filter-kind");
  var level = document.getElementById("filter-level");
  var flags = Array.prototype.slice.call(document.querySelectorAll("input.flag"));
  var shown = document.getElementById("shown");
  function apply() {
    var words = text.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var wanted = flags.filter(function (f) { return f.checked; }).map(function (f) {
      return f.value;
    });
    var count = 0;
    rows.forEach(function (row) {
      var d = row.dataset;
      var have = d.flags ? d.flags.split(" ") : [];
      var ok = words.every(function (w) { return d.search.indexOf(w) >= 0; }) &&
        (!group.value || d.group === group.value) &&
        (!kind.value || d.kind === kind.value) &&
        (!level.value || d.level === level.value) &&
        wanted.every(function (f) { return have.indexOf(f) >= 0; });
      row.hidden = !ok;
      if (ok) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " repos shown";
  }
  [text, group, kind, level].concat(flags).forEach(function (el) {
    el.addEventListener("input", apply);
    el.addEventListener("change", apply);
  });
  apply();
})();
"""


def render(report: ReportJson) -> str:
    """The whole page."""
    summary = report["summary"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>qdev fleet status: {summary['repos']} repos</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>qdev fleet status</h1>",
        f'<div class="meta">{escape(report["fleet"])} · generated {report["generated"]}</div>',
        _cards(report),
        _filters(report),
        _table(report),
        '<script type="application/json" id="fleet-data">',
        json.dumps(report).replace("</", "<\\/"),
        "</script>",
        f"<script>{SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _cards(report: ReportJson) -> str:
    s = report["summary"]
    cards = [
        ("repos", s["repos"]),
        ("ok", s["ok"]),
        ("warn", s["warn"]),
        ("bad", s["bad"]),
        ("behind the profile", s["behind"]),
        ("drifted", s["drifted"]),
        ("failing check", s["failing"]),
        ("unreleased commits", s["unreleased"]),
        ("never released", s["never_released"]),
    ]
    inner = "".join(
        f'<div class="card" data-card="{escape(label)}"><b class="num">{value}</b>'
        f"{escape(label)}</div>"
        for label, value in cards
    )
    return f'<div class="cards" id="summary">{inner}</div>'


def _options(values: list[str], everything: str) -> str:
    items = [f'<option value="">{escape(everything)}</option>']
    items += [f'<option value="{escape(v)}">{escape(v)}</option>' for v in values]
    return "".join(items)


def _filters(report: ReportJson) -> str:
    repos = report["repos"]
    groups = sorted({r["group"] for r in repos if r["group"]})
    kinds = sorted({r["kind"] for r in repos if r["kind"]})
    flags = "".join(
        f'<label><input type="checkbox" class="flag" id="flag-{name}" value="{name}"> '
        f"{escape(label)}</label>"
        for name, label in FLAGS
    )
    return (
        '<div class="filters">'
        '<input type="search" id="filter-text" placeholder="filter: name, group, tag, profile"'
        ' size="32" aria-label="filter">'
        f'<select id="filter-group" aria-label="group">{_options(groups, "every group")}</select>'
        f'<select id="filter-kind" aria-label="kind">{_options(kinds, "every kind")}</select>'
        '<select id="filter-level" aria-label="health">'
        f"{_options(['bad', 'warn', 'ok'], 'any health')}</select>"
        f'<span>only repos:</span>{flags}<span id="shown" class="dim"></span></div>'
    )


def _table(report: ReportJson) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in COLUMNS)
    rows = "\n".join(_row(repo) for repo in report["repos"])
    return f'<table id="repos"><thead><tr>{head}</tr></thead><tbody>\n{rows}\n</tbody></table>'


def flags_of(repo: RepoJson) -> list[str]:
    checks = {
        "behind": repo["profile"]["behind"] > 0,
        "drift": repo["drift"]["count"] > 0,
        "failing": repo["check"]["status"] == "failed",
        "unreleased": unreleased(repo),
        "unreadable": not repo["readable"],
    }
    return [name for name, on in checks.items() if on]


def _row(repo: RepoJson) -> str:
    profile = repo["profile"]
    search = " ".join(
        str(part)
        for part in (
            repo["name"],
            repo["group"] or "",
            *repo["tags"],
            profile["name"] or "",
            repo["kind"] or "",
        )
    ).lower()
    attributes = {
        "data-name": repo["name"],
        "data-group": repo["group"] or "",
        "data-kind": repo["kind"] or "",
        "data-level": repo["health"]["level"],
        "data-flags": " ".join(flags_of(repo)),
        "data-search": search,
    }
    attrs = " ".join(f'{k}="{escape(v)}"' for k, v in attributes.items())
    cells = "".join(f"<td>{cell}</td>" for cell in _cells(repo))
    return f'<tr class="repo" {attrs}>{cells}</tr>'


def _cells(repo: RepoJson) -> list[str]:
    name = f"<b>{escape(repo['name'])}</b>"
    if repo["tags"]:
        name += f'<br><span class="dim">{escape(", ".join(repo["tags"]))}</span>'
    group = escape(repo["group"] or "")
    if not repo["readable"]:
        return [name, group, *[""] * (len(COLUMNS) - 3), _health(repo)]
    profile, drift = repo["profile"], repo["drift"]
    ref = profile["pinned"] or profile["ref"] or profile["version"] or "?"
    behind = profile["behind"]
    latest = escape(profile["latest"] or "?")
    if behind:
        latest += f' <span class="behind">&minus;{behind}</span>'
    drift_cell = "none" if drift["ok"] else (str(drift["count"]) if drift["known"] else "?")
    if drift["items"]:
        listed = "".join(
            f"<li>{escape(i['reason'])}: {escape(i['path'])}</li>" for i in drift["items"]
        )
        drift_cell += f'<ul class="findings">{listed}</ul>'
    release = repo["release"]
    release_cell = escape(release["tag"] or "none")
    if release["commits_since"]:
        release_cell += f" +{release['commits_since']}"
    check = repo["check"]
    check_cell = escape(check["status"].replace("_", " "))
    if check["failed_steps"]:
        check_cell += f" ({escape(', '.join(check['failed_steps']))})"
    return [
        name,
        group,
        escape(repo["kind"] or "?"),
        f"{escape(profile['name'] or '?')} {escape(ref)}",
        latest,
        drift_cell,
        {True: "valid", False: "invalid", None: "?"}[repo["config"]["valid"]],
        _days(repo["default_branch"]["age_days"]),
        release_cell,
        _days(repo["lock"]["age_days"]) if repo["lock"]["present"] else "none",
        check_cell,
        _health(repo),
    ]


def _days(age: float | None) -> str:
    if age is None:
        return '<span class="dim">?</span>'
    return f"{age:.0f}d" if age >= 1 else f"{age * 24:.0f}h"


def _health(repo: RepoJson) -> str:
    level = repo["health"]["level"]
    items = "".join(
        f'<li class="{f["level"]}">{escape(f["message"])}</li>' for f in repo["health"]["findings"]
    )
    findings = f'<ul class="findings">{items}</ul>' if items else ""
    return f'<span class="badge {level}">{level}</span>{findings}'
