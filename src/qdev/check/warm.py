"""The warm `qdev check`: nothing changed since a complete run, so its report is printed again.

This is the commonest call (the git hook, a second run) and it is almost all start-up, so this
module imports only `os` and `sys`: json, re, pathlib, subprocess and dataclasses each cost
more to import than the rest of the work. It trusts a *snapshot* stored beside the run:

- the stat data (mtimes, size, inode, mode) of every file and folder the run's content
  fingerprint read (replay.py), present or absent; for files installed into the environment,
  without the ctime, which changes whenever uv hard-links the same file into another one;
- git's listings of the index and of the untracked files;
- the environment variables that change what qdev or the tools do.

While all of that is unchanged, the content fingerprint is too, so the stored report is printed
without reading a file. A file changed within RACY_NANOSECONDS before its stat was taken may
change again within the same timestamp tick (git's "racily clean" entries), so such a snapshot
is not trusted until a later run refreshes it. Any doubt returns None and the next path answers:
replay.py reading contents, then the step cache.
"""

from __future__ import annotations

import os
import sys

# Not `typing.TYPE_CHECKING`: importing typing costs milliseconds here.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    Stamp = tuple[int, int, int, int, int] | None
    Snapshot = dict[str, object]

FORMAT = 1
FOLDER = ".qdev/cache/check"  # cache.FOLDER as a string: pathlib is one of those imports
CACHE_PREFIX = ".qdev/cache/"
RACY_NANOSECONDS = 2_000_000_000  # coarse file systems keep seconds; network ones' clocks drift
VALUE_OPTIONS = {"--format": "fmt", "-f": "fmt", "--jobs": "jobs", "-j": "jobs"}
FLAG_OPTIONS = {"--fail-fast": "fail_fast"}
STEP_FIRST = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")  # as config's step names
STEP_REST = STEP_FIRST | {"_", "-"}
# Environment variables that change what the tools do (RUFF_* too, but its cache folder).
TOOL_VARIABLES = frozenset(
    {"PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "MYPYPATH",
     "COVERAGE_RCFILE", "COVERAGE_CORE"}
)  # fmt: skip
# Folders tools write while they run: what is in them is never an input, even where
# .gitignore forgets them; nor are coverage data and byte code.
TOOL_FOLDERS = frozenset(
    {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", ".nox",
     ".tox", ".venv"}
)  # fmt: skip


def parse(args: Sequence[str]) -> dict[str, object] | None:
    """`[STEP...] [--format F] [--jobs N] [--fail-fast]`, or None for anything else (files
    to check, other options): those go to the full CLI."""
    from qdev.check.reporters import FORMATS

    parsed: dict[str, object] = {"steps": [], "fmt": "text", "jobs": None, "fail_fast": False}
    steps: list[str] = []
    items = list(args)
    while items:
        item = items.pop(0)
        name, eq, inline = item.partition("=")
        if name in VALUE_OPTIONS:
            value = inline if eq else (items.pop(0) if items else None)
            if value is None:
                return None
            parsed[VALUE_OPTIONS[name]] = value
        elif item in FLAG_OPTIONS:
            parsed[FLAG_OPTIONS[item]] = True
        elif not is_step_word(item) or os.path.lexists(item):
            return None
        else:
            steps.append(item)
    parsed["steps"] = steps
    if parsed["fmt"] not in FORMATS or (
        parsed["jobs"] is not None and not str(parsed["jobs"]).isdigit()
    ):
        return None
    return parsed


def is_step_word(word: str) -> bool:
    """Shaped like a step name (no path looks so): a lowercase letter or digit, then those
    and `_` or `-`."""
    return bool(word) and word[0] in STEP_FIRST and all(char in STEP_REST for char in word)


def answer(args: Sequence[str]) -> int | None:
    """The exit code after printing the stored report, or None to take the next path."""
    parsed = parse(args)
    if parsed is None:
        return None
    steps = parsed["steps"]
    assert isinstance(steps, list)
    try:
        stored = stored_output(os.getcwd(), steps, bool(parsed["fail_fast"]), str(parsed["fmt"]))
    except Exception:  # never fail here: the next path runs and reports any problem
        return None
    if stored is None:
        return None
    out, err, code = stored
    sys.stderr.write(err)
    sys.stdout.write(out)
    sys.stdout.flush()
    return code


def stored_output(
    start: str, steps: Sequence[str], fail_fast: bool, fmt: str
) -> tuple[str, str, int] | None:
    """The report stored for this check and how it is shown now, while the snapshot holds."""
    root = find_root(start)
    name = entry_name(steps, fail_fast)
    if root is None or name is None or os.path.isfile(os.path.join(root, ".gitmodules")):
        return None
    entry = read_entry(os.path.join(root, FOLDER, name))
    if entry is None or entry.get("root") != root or not _fresh(entry):
        return None
    outputs = entry.get("outputs")
    shown = outputs.get(render_key(fmt)) if isinstance(outputs, dict) else None
    if shown is None or not holds(entry, root):
        return None
    out, err, code = shown
    return str(out), str(err), int(code)


def find_root(start: str) -> str | None:
    """The repo root as the config loader finds it: the first folder up holding either file."""
    folder = os.path.abspath(start)
    while True:
        if os.path.isfile(os.path.join(folder, "qdev.toml")) or os.path.isfile(
            os.path.join(folder, "pyproject.toml")
        ):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def entry_name(steps: Sequence[str], fail_fast: bool) -> str | None:
    """The snapshot file's name for this selection of steps; None when too long for one."""
    name = "warm@" + ("+".join(steps) or "-") + ("@fail-fast" if fail_fast else "") + ".marshal"
    return name if len(name) <= 200 else None


def render_key(fmt: str) -> str:
    """What decides how a stored run is shown: the format, colour, and whether stderr is a
    terminal (outside one, machine formats get plain progress lines there)."""
    from qdev.output import color_enabled

    colour = fmt == "text" and color_enabled(sys.stdout.isatty())
    return f"{fmt} colour={colour} stderr-tty={sys.stderr.isatty()}"


def read_entry(path: str) -> dict[str, object] | None:
    import marshal

    try:
        with open(path, "rb") as handle:
            entry = marshal.loads(handle.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != FORMAT:
        return None
    from qdev import __version__

    return entry if entry.get("qdev") == __version__ else None


def _fresh(entry: dict[str, object]) -> bool:
    import time

    expires = entry.get("expires")
    return expires is None or (isinstance(expires, float) and expires >= time.time())


def holds(entry: dict[str, object], root: str) -> bool:
    """Whether the entry's snapshot still describes the repo: variables, stat data, listings."""
    snapshot = entry.get("snapshot")
    if not isinstance(snapshot, dict) or snapshot.get("environ") != relevant_environ():
        return False
    from qdev.tools.git_quick import listings

    running = listings(root)  # git works while the stat data is compared
    if running is None:
        return False
    unchanged = stamps_hold(snapshot)
    found = running.wait()
    if found is None:
        return False
    staged, untracked = found
    return unchanged and (staged, untracked_inputs(untracked)) == (
        snapshot["staged"],
        snapshot["untracked"],
    )


def stamps_hold(snapshot: dict[str, object]) -> bool:
    taken_at = snapshot.get("taken_at")
    if not isinstance(taken_at, int):
        return False
    settled = taken_at - RACY_NANOSECONDS
    for kind, ctime in (("stamps", True), ("installed", False)):
        recorded_stamps = snapshot.get(kind)
        if not isinstance(recorded_stamps, dict):
            return False
        for path, recorded in recorded_stamps.items():
            if recorded is not None and max(recorded[0], recorded[1]) >= settled:
                return False  # racily clean: a change in the same tick would not show
            if stamp(path, ctime=ctime) != recorded:
                return False
    return True


def take_snapshot(
    paths: Iterable[str],
    installed: Iterable[str],
    staged: dict[str, str],
    untracked: list[str],
) -> Snapshot | None:
    """Stat data of `paths` and of the `installed` files, taken now: before their contents are
    read for the fingerprint, so a change during the reading shows as changed stat data next
    time. None when a path cannot be stat'ed (no snapshot: the content fingerprint answers)."""
    import time

    taken_at = time.time_ns()
    try:
        stamps = {path: stamp(path) for path in paths}
        linked = {path: stamp(path, ctime=False) for path in installed}
    except OSError:
        return None
    return {
        "taken_at": taken_at,
        "stamps": stamps,
        "installed": linked,
        "staged": staged,
        "untracked": untracked,
        "environ": relevant_environ(),
    }


def stamp(path: str, *, ctime: bool = True) -> Stamp:
    """What changes whenever a file's content can have: ctime cannot be set back by a tool."""
    try:
        found = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    changed = found.st_ctime_ns if ctime else 0
    return (found.st_mtime_ns, changed, found.st_size, found.st_ino, found.st_mode)


def relevant_environ() -> list[tuple[str, str]]:
    """The variables that change what qdev or the tools do, sorted."""
    return sorted(
        (name, value)
        for name, value in os.environ.items()
        if name.startswith("QDEV_")
        or name in ("CI", *TOOL_VARIABLES)
        or (name.startswith("RUFF_") and name != "RUFF_CACHE_DIR")
    )


def untracked_inputs(paths: Iterable[str]) -> list[str]:
    """Untracked files that count as inputs: not qdev's cache, not what tools write."""
    return [
        path for path in paths if not path.startswith(CACHE_PREFIX) and not is_tool_output(path)
    ]


def is_tool_output(path: str) -> bool:
    *folders, name = path.split("/")
    return (
        any(folder in TOOL_FOLDERS or _is_egg_info(folder) for folder in folders)
        or name == ".coverage"
        or name.startswith(".coverage.")
        or name.endswith((".pyc", ".pyo", ".pyd"))
    )


def _is_egg_info(folder: str) -> bool:
    return folder.endswith(".egg-info") and len(folder) > len(".egg-info")
