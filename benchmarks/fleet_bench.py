"""`qdev fleet status` over a fleet of local repos, against a shell loop asking the same things.

Run: `uv run python benchmarks/fleet_bench.py [--repos 200] [--runs 3] [--jobs 0] [--no-loop]`

Set-up (not timed), in a temporary folder: a team profile made with `qdev profile new` and
tagged v1.0.0 and v2.0.0; 12 repos made from it with `qdev init --no-env` (every kind, both
refs); `--repos` repos copied from those (a third of them with a release tag and commits
since), listed by path in fleet.toml.

Timed, each configuration `--runs` times, interleaved round by round, medians:

- `qdev fleet status --json` cold: qdev's caches empty (the status memo and sync's drift
  memos; the profile's git mirror is kept, as on any machine that has used the profile);
- `qdev fleet status --json` when nothing changed (the memo answers);
- the shell loop: for each repo, the same git queries (`for-each-ref`, `describe`, `rev-list
  --count`, `log -- uv.lock`) and `qdev sync --check --json`, cold and warm the same way.

Memory: the peak of the sum of resident memory over qdev and every process it started (sampled
every 20 ms from /proc), and the largest single process (getrusage). CPU: the user and system
seconds of qdev and every process it started (getrusage of the waited children), which other
work on a shared machine inflates far less than the wall-clock seconds.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from _common import qdev_command

GIT_ID = ["-c", "user.name=Bench", "-c", "user.email=bench@example.com"]
KINDS = ("library", "research", "service")
SHELL_LOOP = r"""
for repo in "$@"; do
  cd "$repo"
  git for-each-ref --format='%(refname) %(objectname) %(creatordate:unix)' \
    refs/heads refs/tags refs/remotes >/dev/null
  tag=$(git describe --tags --abbrev=0 --match 'v[0-9]*' main 2>/dev/null || true)
  if [ -n "$tag" ]; then since="$tag..main"; else since=main; fi
  git rev-list --count "$since" >/dev/null
  git log -1 --format=%ct main -- uv.lock >/dev/null
  "$QDEV" sync --check --json >/dev/null || true
done
"""


def run(argv: list[str], cwd: Path, env: dict[str, str], ok: tuple[int, ...] = (0,)) -> None:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in ok:
        raise SystemExit(
            f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *GIT_ID, *args], cwd=cwd, check=True, capture_output=True)


def build_profile(folder: Path, env: dict[str, str]) -> None:
    run([*qdev_command(), "profile", "new", str(folder), "--name", "team"], folder.parent, env)
    for version, change in (("1.0.0", None), ("2.0.0", ("line-length = 100", "line-length = 110"))):
        manifest = folder / "profile.toml"
        text = re.sub(
            r'^version = ".*"$', f'version = "{version}"', manifest.read_text(), flags=re.M
        )
        manifest.write_text(text)
        if change:
            for template in (folder / "templates").rglob("pyproject.toml.tmpl"):
                template.write_text(template.read_text().replace(*change))
        git(folder, "add", "--all")
        git(folder, "commit", "-q", "-m", f"Profile {version}")
        git(folder, "tag", "-a", f"v{version}", "-m", f"Profile {version}")


def build_fleet(base: Path, count: int, env: dict[str, str]) -> Path:
    build_profile(base / "profile", env)
    templates = base / "templates"
    templates.mkdir()
    made = []
    for n in range(12):
        repo = templates / f"t{n:02d}"
        repo.mkdir()
        ref = "v1.0.0" if n % 2 else "v2.0.0"
        (repo / "qdev.toml").write_text(f'[extends]\ngit = "{base / "profile"}"\nref = "{ref}"\n')
        kind = KINDS[n % 3]
        run(
            [*qdev_command(), "init", str(repo), "--kind", kind, "--yes", "--no-env", "--commit"],
            base,
            env,
        )
        made.append(repo)
    repos = base / "repos"
    lines = []
    for n in range(count):
        repo = repos / f"repo-{n:03d}"
        shutil.copytree(made[n % len(made)], repo, symlinks=True)
        if n % 3 == 0:
            git(repo, "tag", "-a", "v0.1.0", "-m", "Release 0.1.0")
            (repo / "NEWS.md").write_text("unreleased\n")
            git(repo, "add", "NEWS.md")
            git(repo, "commit", "-q", "--no-verify", "-m", "feat: news")
        lines.append(f'[repos.repo-{n:03d}]\npath = "repos/repo-{n:03d}"\n')
    (base / "fleet.toml").write_text("\n".join(lines))
    return base


class TreeMemory:
    """The peak of the summed RSS of a process and its descendants, sampled from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss(self.pid))
            time.sleep(0.02)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _tree_rss(root: int) -> int:
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        # Children get higher process ids (until the ids wrap): the rest of the machine,
        # busy with other work, need not be read every sample.
        if not entry.isdigit() or int(entry) < root:
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += [child for child, parent in parents.items() if parent == pid]
    return total


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, float]:
    cpu = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    memory = TreeMemory(proc.pid)
    _, err = proc.communicate()
    seconds = time.perf_counter() - started
    peak = memory.stop()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return seconds, peak, _children_cpu() - cpu


def clear_memos(cache: Path) -> None:
    for name in ("fleet", "sync-check"):
        shutil.rmtree(cache / "qdev" / name, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--no-loop", action="store_true", help="time qdev only, not the loop")
    options = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="qdev-fleet-bench-"))
    cache = base / "cache"
    env = {**os.environ, "NO_COLOR": "1", "XDG_CACHE_HOME": str(cache), "QDEV_FLEET_FILE": ""}
    env.pop("QDEV_FLEET_FILE")
    try:
        print(f"making {options.repos} repos in {base} ...", flush=True)
        build_fleet(base, options.repos, env)
        repos = sorted(str(p) for p in (base / "repos").iterdir())
        status = [*qdev_command(), "fleet", "status", "--json", "--jobs", str(options.jobs)]
        loop = ["bash", "-c", SHELL_LOOP, "loop", *repos]
        loop_env = {**env, "QDEV": qdev_command()[0]}
        figures: dict[str, list[tuple[float, int, float]]] = {}
        plan = [
            ("qdev fleet status, cold", status, env, True),
            ("qdev fleet status, unchanged", status, env, False),
            ("shell loop, cold", loop, loop_env, True),
            ("shell loop, unchanged", loop, loop_env, False),
        ][: 2 if options.no_loop else 4]
        for round_ in range(1, options.runs + 1):
            for what, argv, run_env, cold in plan:
                if cold:
                    clear_memos(cache)
                took = timed(argv, base, run_env)
                figures.setdefault(what, []).append(took)
                print(f"  round {round_}: {what}: {took[0]:.2f} s", flush=True)
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(f"\n{options.repos} repos, {os.cpu_count()} CPUs, medians of {options.runs} runs")
        print(f"{'what':<32} {'seconds':>8} {'CPU seconds':>12} {'peak memory (tree)':>20}")
        for what, runs in figures.items():
            seconds = statistics.median(s for s, _, _ in runs)
            cpu = statistics.median(c for _, _, c in runs)
            peak = max(m for _, m, _ in runs) / 2**20
            print(f"{what:<32} {seconds:>8.2f} {cpu:>12.2f} {peak:>17.0f} MB")
        print(f"largest single process: {children / 1024:.0f} MB (getrusage)")
        print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
