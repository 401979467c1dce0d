"""`qdev sync --check` against `cruft check`, and `qdev sync` v1 -> v2 against `copier update`.

Run: `uv run python benchmarks/sync_bench.py [--runs N] [--files N]`

Everything is local: the team profile, the cookiecutter template and the copier template are git
repositories in a temporary folder (no network but PyPI, once, for the tools). cruft, copier and
cookiecutter are installed from PyPI into the benchmark's own virtualenv (in the user cache), not
into qdev's environment. The three templates hold the same files: the copier and cookiecutter
templates are made from what the qdev profile renders, so each tool handles a repo of the same
size (`--files` managed files, 20 by default).

1. Drift check on an up-to-date repo: `qdev sync --check` (warm: answered from its memo; cold:
   the memo dropped, so the planner renders and compares) against `cruft check` on a
   cookiecutter-generated repo (cruft clones its template each time).
2. Update v1 -> v2 of a repo with N managed files, half of them changed by v2: `qdev sync --ref
   v2.0.0` (profile cache warm) against `copier update --vcs-ref v2.0.0` (copier clones the
   template and renders both versions each time). Each run starts from a fresh copy of the repo.

Runs are interleaved round by round, so a busy machine slows both alike; figures are medians.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import qdev_command

TOOLS = ["cruft", "copier", "cookiecutter"]
GIT_ID = ["-c", "user.name=Bench", "-c", "user.email=bench@example.com"]


def uv() -> str:
    found = shutil.which("uv")
    if found:
        return found
    from uv import find_uv_bin

    return str(find_uv_bin())


def run(argv: list[str], cwd: Path, env: dict[str, str], ok: tuple[int, ...] = (0,)) -> None:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in ok:
        raise SystemExit(
            f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *GIT_ID, *args], cwd=cwd, check=True, capture_output=True)


def tools_venv() -> Path:
    """A virtualenv with cruft, copier and cookiecutter from PyPI, kept in the user cache."""
    from platformdirs import user_cache_path

    venv = user_cache_path("qdev") / "bench-tools-venv"
    if not (venv / "bin" / "copier").exists() or not (venv / "bin" / "cruft").exists():
        subprocess.run([uv(), "venv", "-q", str(venv)], check=True)
        python = str(venv / "bin" / "python")
        subprocess.run([uv(), "pip", "install", "-q", "--python", python, *TOOLS], check=True)
    return venv / "bin"


def build_profile(folder: Path, files: int) -> None:
    """The built-in profile plus extra managed docs up to `files` rendered files; v1 and v2."""
    from qdev.profile.source import builtin_path

    shutil.copytree(builtin_path(), folder)
    manifest = folder / "profile.toml"
    manifest.write_text(manifest.read_text().replace('name = "default"', 'name = "bench"'))
    docs = folder / "templates" / "common" / "docs"
    docs.mkdir()
    extra = max(0, files - 13)  # the built-in profile renders 13 files for a library on GitHub
    for index in range(extra):
        lines = "".join(f"Line {n} of page {index} of {{{{ name }}}}.\n" for n in range(40))
        (docs / f"page{index:02d}.md.tmpl").write_text(f"# Page {index}\n\n{lines}")
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "--all")
    git(folder, "commit", "-q", "-m", "v1")
    git(folder, "tag", "v1.0.0")
    manifest.write_text(manifest.read_text().replace('version = "1.0.0"', 'version = "2.0.0"'))
    for page in sorted(docs.iterdir())[: extra // 2 + 1]:
        page.write_text(page.read_text().replace("Line 7 ", "Line seven "))
    ci = folder / "templates" / "ci-github" / ".github" / "workflows" / "ci.yml.tmpl"
    ci.write_text(ci.read_text().replace("enable-cache: true", "enable-cache: false"))
    pyproject = folder / "templates" / "common" / "pyproject.toml.tmpl"
    pyproject.write_text(pyproject.read_text().replace('"ruff>=0.6"', '"ruff>=0.7"'))
    git(folder, "commit", "-q", "-am", "v2")
    git(folder, "tag", "v2.0.0")


def make_qdev_repo(scratch: Path, profile: Path, env: dict[str, str]) -> Path:
    folder = scratch / "qdev-repo"
    (folder / "demo").mkdir(parents=True)
    (folder / "demo" / "qdev.toml").write_text(f'[extends]\ngit = "{profile}"\nref = "v1.0.0"\n')
    run([*qdev_command(), "init", "demo", "--yes", "--no-env", "--commit"], folder, env)
    return folder / "demo"


def rendered_files(repo: Path) -> dict[str, bytes]:
    return {
        path.relative_to(repo).as_posix(): path.read_bytes()
        for path in sorted(repo.rglob("*"))
        if path.is_file()
        and ".git" not in path.relative_to(repo).parts
        and not path.relative_to(repo).as_posix().startswith(".qdev/")
    }


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def build_cookiecutter(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir()
    (folder / "cookiecutter.json").write_text(
        json.dumps({"project_slug": "demo", "_copy_without_render": ["*"]})
    )
    write_tree(folder / "{{cookiecutter.project_slug}}", files)
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "--all")
    git(folder, "commit", "-q", "-m", "template")


def build_copier(folder: Path, v1: dict[str, bytes], v2: dict[str, bytes]) -> None:
    folder.mkdir()
    (folder / "copier.yml").write_text("_subdirectory: template\nproject_name:\n  default: demo\n")
    answers = folder / "template" / "{{ _copier_conf.answers_file }}.jinja"
    for version, files in (("v1.0.0", v1), ("v2.0.0", v2)):
        shutil.rmtree(folder / "template", ignore_errors=True)
        write_tree(folder / "template", files)
        answers.write_text("{{ _copier_answers|to_nice_yaml -}}\n")
        if version == "v1.0.0":
            git(folder, "init", "-q", "-b", "main")
        git(folder, "add", "--all")
        git(folder, "commit", "-q", "-m", version)
        git(folder, "tag", version)


def timed(step: Callable[[], None]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--files", type=int, default=20, help="managed files per repo")
    args = parser.parse_args()
    bin_dir = tools_venv()
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        # Bytecode as an installed qdev has it: without .pyc files every start compiles.
        drop = ("VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")
        env = {k: v for k, v in os.environ.items() if k not in drop}
        env.update(NO_COLOR="1", XDG_CACHE_HOME=str(scratch / "cache"))
        env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
        profile = scratch / "profile"
        build_profile(profile, args.files)
        repo = make_qdev_repo(scratch, profile, env)
        v1 = rendered_files(repo)
        upgraded = scratch / "upgraded"
        shutil.copytree(repo, upgraded)
        run([*qdev_command(), "sync", "--ref", "v2.0.0"], upgraded, env)
        v2 = rendered_files(upgraded)
        managed = len(v1)
        print(f"repos of {managed} files ({args.files} asked), v2 changes {_changed(v1, v2)}")

        cookie = scratch / "cookie-template"
        build_cookiecutter(cookie, v1)
        out = scratch / "cruft-out"
        run(
            [str(bin_dir / "cruft"), "create", str(cookie), "--no-input", "--output-dir", str(out)],
            scratch,
            env,
        )
        cruft_repo = out / "demo"
        git(cruft_repo, "init", "-q", "-b", "main")
        git(cruft_repo, "add", "--all")
        git(cruft_repo, "commit", "-q", "-m", "made")

        copier_template = scratch / "copier-template"
        build_copier(copier_template, v1, v2)
        copier_repo = scratch / "copier-repo"
        run(
            [
                str(bin_dir / "copier"),
                "copy",
                "--vcs-ref",
                "v1.0.0",
                "--defaults",
                str(copier_template),
                str(copier_repo),
            ],
            scratch,
            env,
        )
        git(copier_repo, "init", "-q", "-b", "main")
        git(copier_repo, "add", "--all")
        git(copier_repo, "commit", "-q", "-m", "made")

        memo = scratch / "cache" / "qdev" / "sync-check"

        def qdev_check_warm() -> None:
            run([*qdev_command(), "sync", "--check"], repo, env)

        def qdev_check_cold() -> None:
            shutil.rmtree(memo, ignore_errors=True)
            run([*qdev_command(), "sync", "--check"], repo, env)

        def cruft_check() -> None:
            run([str(bin_dir / "cruft"), "check"], cruft_repo, env)

        checks = {
            "qdev sync --check (memo)": qdev_check_warm,
            "qdev sync --check (no memo)": qdev_check_cold,
            "cruft check": cruft_check,
        }
        qdev_check_warm()  # warm the profile cache and the memo
        check_times = _rounds(checks, args.runs)

        def fresh(source: Path, name: str) -> Path:
            target = scratch / "runs" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target)
            return target

        def qdev_update() -> float:
            target = fresh(repo, "qdev")
            return timed(lambda: run([*qdev_command(), "sync", "--ref", "v2.0.0"], target, env))

        def copier_update() -> float:
            target = fresh(copier_repo, "copier")
            argv = [str(bin_dir / "copier"), "update", "--defaults", "--vcs-ref", "v2.0.0"]
            return timed(lambda: run(argv, target, env))

        updates = {
            "qdev sync --ref v2.0.0": qdev_update,
            "copier update --vcs-ref v2.0.0": copier_update,
        }
        for step in updates.values():  # warm: the profile's v2 in qdev's cache, the OS caches
            step()
        update_times: dict[str, list[float]] = {label: [] for label in updates}
        for _ in range(args.runs):
            for label, step in updates.items():
                update_times[label].append(step())
        _report(
            "drift check, up-to-date repo", check_times, "qdev sync --check (memo)", "cruft check"
        )
        _report(
            "update v1 -> v2",
            update_times,
            "qdev sync --ref v2.0.0",
            "copier update --vcs-ref v2.0.0",
        )
    return 0


def _changed(v1: dict[str, bytes], v2: dict[str, bytes]) -> int:
    return sum(1 for path in v2 if v1.get(path) != v2[path])


def _rounds(cases: dict[str, Callable[[], None]], runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {label: [] for label in cases}
    for _ in range(runs):
        for label, step in cases.items():
            times[label].append(timed(step))
    return times


def _report(title: str, times: dict[str, list[float]], ours: str, theirs: str) -> None:
    print(f"\n{title}:")
    medians = {label: statistics.median(values) for label, values in times.items()}
    for label, value in medians.items():
        spread = ", ".join(f"{v:.3f}" for v in times[label])
        print(f"  {label:<32} median {value:7.3f} s   runs: {spread}")
    print(f"  ratio {ours} / {theirs}: {medians[ours] / medians[theirs]:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
