"""Runs the generated CI pipelines here, job by job and step by step, as the CI services would.

Every job runs in a clean environment: a fresh HOME, a fresh clone of the repo from its local
bare remote, PATH holding only the system's tools (/usr/local/bin, /usr/bin, /bin: git, bash,
coreutils; no qdev and no uv), the matrix value substituted, `CI=true`. The team's package
index is a pypiserver on loopback (the test's); everything else comes from the real PyPI.
Each `run:` step (GitHub) runs in its own `bash -e` (`bash -eo pipefail` with `shell: bash`);
a GitLab job's `before_script` and `script` run in one bash shell, line by line, stopping at the
first failure. A step that fails fails the job, as on the services.

What cannot run here is interpreted with its documented meaning:

GitHub Actions
- `actions/checkout`: `git clone` of the remote at the pushed branch, checked out on that
  branch; `fetch-depth` as written (default 1, 0 for all history); `token` is not needed.
- `actions/setup-python`: the Python of `python-version` (pyenv's install of it, as the
  runner's tool cache) first on PATH as `python`, `python3` and `python3.X`, with its pip.
- `astral-sh/setup-uv`: uv at `version`, installed from PyPI into a tool folder put on PATH;
  `enable-cache` restores uv's download cache: the cache shared by every run (below).
- `actions/cache/restore` and `actions/cache/save` (and `actions/cache`, both): the `path`
  folder restored from, or saved to, a cache store that lives as long as the harness (the
  test's "runs of the same repo"), under `key` as written: restore takes an exact match, else
  the newest entry whose key starts with one of `restore-keys`; a key that exists is never
  saved again.
- Expressions `${{ }}`: `matrix.*`, `secrets.*` (empty when not given), `inputs.*`, `env.*`,
  `github.sha|ref|ref_name|event_name|workspace|token`, `runner.os|temp`, `hashFiles(...)`
  (a hash of the matched files' content, empty when none match), `a || b`; in `if:`,
  `always()`, `success()`, `failure()` and `!cancelled()`. Anything else is an error here, so a
  template using more than the harness understands fails loudly instead of passing untested.
- `GITHUB_PATH`, `GITHUB_ENV`, `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` are files, as on a
  runner: lines written to the first two change PATH and the environment of later steps.

GitLab CI
- `image: python:X`: pyenv's Python X first on PATH as `python`, `python3`, `python3.X` and
  `pip`; what pip installs goes to a folder of the job (`PIP_USER`, `PYTHONUSERBASE`) whose
  `bin` is on PATH, as the image's `/usr/local` is.
- The runner's clone: `git clone` of the remote (depth `GIT_DEPTH`, default 20; 0 for all),
  checked out detached at the pipeline's commit, as the GitLab runner does.
- `extends:` merged key by key; `variables:` (global, then the job's, then the matrix's)
  expanded against the predefined `CI_*` variables; `rules:`/`workflow: rules:` evaluated for
  `==`, `!=`, `&&` and `$VAR`; `cache:` restored before the job and saved after it (`when`,
  `policy` honoured), keyed by `key` or a hash of `key: files:`; `artifacts: reports: junit`
  must exist after the job.
- `CI_REPOSITORY_URL` is the local bare remote.

The machine's network settings (proxies, CA certificates) are passed through, as a runner's
image carries its own.

Shared by every run to keep the suite fast, as on a warm runner: uv's download cache (a job's
`UV_CACHE_DIR`, whatever the pipeline sets it to, is this cache, and a `cache:` entry for it is
not copied), pip's (`PIP_CACHE_DIR`), and uv's wheel, fetched from PyPI once and offered to pip
through `PIP_FIND_LINKS` (pip re-downloads it otherwise). Python downloads are off
(`UV_PYTHON_DOWNLOADS=never`): the Pythons come from the setup-python step or the image.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qdev.config.layers import deep_merge
from qdev.tools.pythons import newest_pyenv_install

SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
# The machine's network settings, which a runner's image has its own of: kept as they are.
NETWORK = (
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "PIP_CERT",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)
STEP_TIMEOUT = 900
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class HarnessError(AssertionError):
    """The pipeline uses something the harness does not know: fail, never pass untested."""


@dataclass
class Shared:
    """What every run shares: the caches of downloads, and where the harness builds things."""

    uv_cache: Path
    pip_cache: Path
    tools: Path
    """uv binaries installed by setup-uv, and uv wheels for pip, by version (fetched once)."""


@dataclass
class Remote:
    """The repo as the CI service sees it: a bare remote and the branch that was pushed."""

    bare: Path
    branch: str
    beside: dict[str, Path] = field(default_factory=dict)
    """Folders laid beside the clone (relative path -> source), e.g. a team profile that
    `extends.path` names outside the repo, as a CI would check it out too."""

    def sha(self) -> str:
        return _git(self.bare, "rev-parse", self.branch)


@dataclass
class StepRun:
    name: str
    status: str
    """passed, failed or skipped."""
    log: str
    seconds: float = 0.0


@dataclass
class JobRun:
    name: str
    steps: list[StepRun]
    workspace: Path
    artifacts: dict[str, Path] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(step.status == "failed" for step in self.steps)

    @property
    def log(self) -> str:
        return "\n".join(
            f"--- {step.name} [{step.status}, {step.seconds:.1f} s]\n{step.log}"
            for step in self.steps
        )

    def step(self, name: str) -> StepRun:
        return next(step for step in self.steps if step.name == name)


class CacheStore:
    """The CI service's cache: folders saved under keys, newest last."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.index = folder / "index.json"

    def _entries(self) -> list[str]:
        return list(json.loads(self.index.read_text())) if self.index.is_file() else []

    def _path(self, key: str) -> Path:
        return self.folder / hashlib.sha256(key.encode()).hexdigest()[:16]

    def keys(self) -> list[str]:
        return self._entries()

    def restore(self, key: str, prefixes: list[str], target: Path) -> str | None:
        entries = self._entries()
        found = key if key in entries else None
        for prefix in prefixes:
            found = found or next((k for k in reversed(entries) if k.startswith(prefix)), None)
        if found is None:
            return None
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(self._path(found), target)
        return found

    def overwrite(self, key: str, source: Path) -> None:
        """GitLab's way: a job uploads its cache under the key whether or not it exists."""
        entries = [entry for entry in self._entries() if entry != key]
        shutil.rmtree(self._path(key), ignore_errors=True)
        if source.exists():
            shutil.copytree(source, self._path(key))
            entries.append(key)
        self.index.write_text(json.dumps(entries))

    def save(self, key: str, source: Path) -> bool:
        entries = self._entries()
        if key in entries or not source.exists():
            return False
        shutil.copytree(source, self._path(key))
        self.index.write_text(json.dumps([*entries, key]))
        return True


# -- the parts both services share ---------------------------------------------------------------


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise HarnessError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout.strip()


def _clone(remote: Remote, target: Path, depth: int, *, detached: bool) -> None:
    """What a runner's checkout does: a clone of the pushed branch (detached for GitLab)."""
    shutil.rmtree(target.parent, ignore_errors=True)
    target.parent.mkdir(parents=True)
    depth_args = ["--depth", str(depth)] if depth > 0 else []
    url = remote.bare.as_uri()  # file://, so that --depth is honoured
    _git(target.parent, "clone", "-q", *depth_args, "--branch", remote.branch, url, str(target))
    if detached:
        _git(target, "checkout", "-q", "--detach", remote.sha())
    for relative, source in remote.beside.items():
        shutil.copytree(source, (target / relative).resolve(), dirs_exist_ok=True)


def _clean_env(home: Path, shared: Shared) -> dict[str, str]:
    env = {
        "HOME": str(home),
        "PATH": SYSTEM_PATH,
        "LANG": "C.UTF-8",
        "CI": "true",
        "PIP_CACHE_DIR": str(shared.pip_cache),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "UV_PYTHON_DOWNLOADS": "never",
    } | {name: os.environ[name] for name in NETWORK if name in os.environ}
    for tool in ("qdev", "uv"):  # the premise: nothing of ours is there before the job
        if shutil.which(tool, path=env["PATH"]):
            raise HarnessError(f"{tool} is on the system PATH: the job would not start clean")
    return env


def _python_bin(version: str) -> Path:
    found = newest_pyenv_install(version)
    if found is None:
        raise HarnessError(f"Python {version} is not installed here (pyenv)")
    return found / "bin"


def _python_links(version: str, folder: Path) -> Path:
    """A folder with python, python3, python3.X and pip of that Python, as a runner's."""
    source = _python_bin(version)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("python", "python3", f"python{version}", "pip", "pip3"):
        target = source / (name if (source / name).exists() else f"python{version}")
        link = folder / name
        if not link.exists():
            link.symlink_to(target)
    return folder


def _run_script(
    script: str, shell: list[str], cwd: Path, env: Mapping[str, str], scratch: Path
) -> tuple[int, str]:
    scratch.mkdir(parents=True, exist_ok=True)
    path = scratch / f"step-{len(list(scratch.iterdir()))}.sh"
    path.write_text(script)
    done = subprocess.run(
        [*shell, str(path)],
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def hash_files(root: Path, patterns: list[str]) -> str:
    matched = sorted(
        {path for pattern in patterns for path in root.glob(pattern) if path.is_file()}
    )
    if not matched:
        return ""
    digest = hashlib.sha256()
    for path in matched:
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


# -- GitHub Actions -----------------------------------------------------------------------------


@dataclass
class Job:
    """One job of a pipeline file (its parsed YAML), run once for one matrix value."""

    document: dict[str, Any]
    job: str
    remote: Remote
    work: Path
    """The runner's folder (home, clone, scratch): made afresh for each run, at the same path
    for every run of a repo, as a runner's workspace is."""
    shared: Shared
    caches: CacheStore
    matrix: dict[str, str] = field(default_factory=dict)


@dataclass
class GithubJob(Job):
    """A job of a GitHub Actions workflow."""

    secrets: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    event: str = "push"
    env: dict[str, str] = field(init=False)
    extra_path: list[str] = field(init=False, default_factory=list)
    failed: bool = field(init=False, default=False)

    @property
    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = self.document["jobs"][self.job]
        return spec

    @property
    def workspace(self) -> Path:
        return self.work / "_work" / "repo" / "repo"

    def run(self) -> JobRun:
        self._check_matrix()
        home, temp = self.work / "home", self.work / "_temp"
        for folder in (self.work,):
            shutil.rmtree(folder, ignore_errors=True)
        home.mkdir(parents=True)
        temp.mkdir()
        self.env = _clean_env(home, self.shared) | {
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_SHA": self.remote.sha(),
            "GITHUB_REF": f"refs/heads/{self.remote.branch}",
            "GITHUB_REF_NAME": self.remote.branch,
            "GITHUB_EVENT_NAME": self.event,
            "RUNNER_OS": "Linux",
            "RUNNER_TEMP": str(temp),
        }
        for name in ("PATH", "ENV", "OUTPUT", "STEP_SUMMARY"):
            (temp / name.lower()).write_text("")
            self.env[f"GITHUB_{name}"] = str(temp / name.lower())
        self.env.update(self._values(self.document.get("env", {})))
        self.env.update(self._values(self.spec.get("env", {})))
        steps = [self._step(index, step) for index, step in enumerate(self.spec["steps"])]
        return JobRun(self.job, steps, self.workspace)

    def _check_matrix(self) -> None:
        declared = self.spec.get("strategy", {}).get("matrix", {})
        for name, value in self.matrix.items():
            if value not in [str(v) for v in declared.get(name, [])]:
                raise HarnessError(f"matrix.{name}={value} is not in the job's matrix {declared}")

    def _step(self, index: int, step: dict[str, Any]) -> StepRun:
        name = str(step.get("name") or step.get("uses") or step.get("run", f"step {index}"))
        if not self._condition(str(step.get("if", "success()"))):
            return StepRun(name, "skipped", "skipped: its `if:` is false")
        started = time.monotonic()
        try:
            if "uses" in step:
                log = self._uses(str(step["uses"]), self._values(step.get("with", {})))
                code = 0
            else:
                code, log = self._run(step)
        except HarnessError:
            raise
        except (OSError, subprocess.SubprocessError) as exc:
            code, log = 1, f"the harness could not run the step: {exc}"
        status = "passed" if code == 0 else "failed"
        if code != 0:
            self.failed = True
        return StepRun(name, status, log, time.monotonic() - started)

    def _condition(self, condition: str) -> bool:
        text = condition.strip()
        wrapped = EXPRESSION.fullmatch(text)
        text = wrapped.group(1) if wrapped else text
        known = {
            "always()": True,
            "success()": not self.failed,
            "failure()": self.failed,
            "!cancelled()": True,
        }
        if text not in known:
            raise HarnessError(f"`if: {condition}` is more than the harness understands")
        return known[text]

    def _run(self, step: dict[str, Any]) -> tuple[int, str]:
        script = self._expand(str(step["run"]))
        shell = ["bash", "-e"]
        if step.get("shell", self.spec.get("defaults", {}).get("run", {}).get("shell")) == "bash":
            shell = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
        env = self.env | self._values(step.get("env", {}))
        env["PATH"] = os.pathsep.join([*reversed(self.extra_path), self.env["PATH"]])
        code, log = _run_script(script, shell, self.workspace, env, self.work / "_temp" / "steps")
        self._read_runner_files()
        return code, log

    def _read_runner_files(self) -> None:
        path_file = Path(self.env["GITHUB_PATH"])
        self.extra_path = [line for line in path_file.read_text().splitlines() if line.strip()]
        for line in Path(self.env["GITHUB_ENV"]).read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep:
                self.env[key] = value

    # `uses:` actions, by their documented meaning

    def _uses(self, action: str, inputs: dict[str, str]) -> str:
        name = action.partition("@")[0]
        handlers = {
            "actions/checkout": self._checkout,
            "actions/setup-python": self._setup_python,
            "astral-sh/setup-uv": self._setup_uv,
            "actions/cache/restore": self._cache_restore,
            "actions/cache/save": self._cache_save,
        }
        if name == "actions/cache":
            raise HarnessError("actions/cache (restore and save in one) is not interpreted yet")
        if name not in handlers:
            raise HarnessError(f"the harness does not know the action {action}")
        return handlers[name](inputs)

    def _checkout(self, inputs: dict[str, str]) -> str:
        depth = int(inputs.get("fetch-depth", "1") or "1")
        _clone(self.remote, self.workspace, depth, detached=False)
        return f"cloned {self.remote.branch} at {self.remote.sha()[:12]} (depth {depth or 'all'})"

    def _setup_python(self, inputs: dict[str, str]) -> str:
        version = inputs["python-version"]
        links = _python_links(version, self.work / "_tool" / f"python-{version}")
        self.extra_path.append(str(links))
        Path(self.env["GITHUB_PATH"]).write_text("\n".join(self.extra_path) + "\n")
        return f"Python {version} from {_python_bin(version)}"

    def _setup_uv(self, inputs: dict[str, str]) -> str:
        version = inputs.get("version", "")
        if not re.fullmatch(r"\d+\.\d+\.\d+", version):
            raise HarnessError(f"setup-uv needs a pinned version here, got {version!r}")
        folder = install_uv(version, self.shared)
        self.extra_path.append(str(folder))
        Path(self.env["GITHUB_PATH"]).write_text("\n".join(self.extra_path) + "\n")
        self.env["UV_CACHE_DIR"] = str(self.shared.uv_cache)
        cache = "the shared uv cache" if inputs.get("enable-cache") else "no cache"
        return f"uv {version} from PyPI; {cache}"

    def _cache_restore(self, inputs: dict[str, str]) -> str:
        prefixes = [line.strip() for line in inputs.get("restore-keys", "").splitlines()]
        found = self.caches.restore(
            inputs["key"], [p for p in prefixes if p], self.workspace / inputs["path"]
        )
        return f"cache restored from key {found}" if found else "cache not found"

    def _cache_save(self, inputs: dict[str, str]) -> str:
        saved = self.caches.save(inputs["key"], self.workspace / inputs["path"])
        return f"cache saved with key {inputs['key']}" if saved else "cache not saved (exists)"

    # expressions

    def _values(self, mapping: Mapping[str, Any]) -> dict[str, str]:
        return {str(k): self._expand(str(v)) for k, v in mapping.items()}

    def _expand(self, text: str) -> str:
        return EXPRESSION.sub(lambda match: self._evaluate(match.group(1)), text)

    def _evaluate(self, expression: str) -> str:
        for operand in (part.strip() for part in expression.split("||")):
            value = self._operand(operand)
            if value:
                return value
        return ""

    def _operand(self, operand: str) -> str:
        call = re.fullmatch(r"hashFiles\((.*)\)", operand)
        if call:
            patterns = re.findall(r"'([^']*)'", call.group(1))
            return hash_files(self.workspace, patterns)
        if re.fullmatch(r"'[^']*'", operand):
            return operand[1:-1]
        context, _, key = operand.partition(".")
        github = {
            "sha": self.env["GITHUB_SHA"],
            "ref": self.env["GITHUB_REF"],
            "ref_name": self.remote.branch,
            "event_name": self.event,
            "workspace": str(self.workspace),
            "token": "github-token-of-the-run",
        }
        contexts: dict[str, Mapping[str, str]] = {
            "matrix": self.matrix,
            "secrets": self.secrets,
            "inputs": self.inputs,
            "env": self.env,
            "github": github,
            "runner": {"os": "Linux", "temp": self.env["RUNNER_TEMP"]},
        }
        if context not in contexts or (
            context in ("github", "runner") and key not in contexts[context]
        ):
            raise HarnessError(f"`${{{{ {operand} }}}}` is more than the harness understands")
        return contexts[context].get(key, "")


def install_uv(version: str, shared: Shared) -> Path:
    """uv `version` from PyPI into a tool folder (once per session, like a runner's tool cache)."""
    from filelock import FileLock

    folder = shared.tools / f"uv-{version}"
    shared.tools.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder) + ".lock"):
        if not (folder / "bin" / "uv").is_file():
            _pip_install_uv(version, folder, shared)
    return folder / "bin"


def uv_wheels(version: str, shared: Shared) -> Path:
    """A folder holding uv's wheel from PyPI, fetched once: pip's cache does not keep it here."""
    from filelock import FileLock

    folder = shared.tools / f"uv-wheels-{version}"
    shared.tools.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder) + ".lock"):
        if version and not list(folder.glob("uv-*.whl")):
            done = subprocess.run(
                [str(_python_bin("3.11") / "python3"), "-m", "pip", "download", "--quiet",
                 "--no-deps", "--dest", str(folder), f"uv=={version}"],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if done.returncode != 0:
                raise HarnessError(f"uv {version} could not be fetched from PyPI: {done.stderr}")
    return folder


def _pip_install_uv(version: str, folder: Path, shared: Shared) -> None:
    from qdev.tools.process import find_uv

    done = subprocess.run(
        [find_uv(), "pip", "install", "--quiet", "--target", str(folder / "lib"),
         "--python", sys.executable, f"uv=={version}"],
        env={**os.environ, "UV_CACHE_DIR": str(shared.uv_cache)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise HarnessError(f"uv {version} could not be installed from PyPI: {done.stderr}")
    (folder / "bin").mkdir(exist_ok=True)
    (folder / "bin" / "uv").symlink_to(folder / "lib" / "bin" / "uv")


def load_workflow(path: Path) -> dict[str, Any]:
    raw: dict[Any, Any] = yaml.safe_load(path.read_text())
    if True in raw:  # YAML 1.1 reads the key `on` as true
        raw["on"] = raw.pop(True)
    return {str(key): value for key, value in raw.items()}


# -- GitLab CI ----------------------------------------------------------------------------------


@dataclass
class GitlabJob(Job):
    """A job of a .gitlab-ci.yml."""

    variables: dict[str, str] = field(default_factory=dict)
    """The project's CI/CD variables (its secrets)."""
    source: str = "push"

    @property
    def project_dir(self) -> Path:
        return self.work / "builds" / "team" / "repo"

    def spec(self) -> dict[str, Any]:
        return _extended(self.document, self.job)

    def predefined(self) -> dict[str, str]:
        branch = self.remote.branch
        return {
            "CI": "true",
            "GITLAB_CI": "true",
            "CI_PROJECT_DIR": str(self.project_dir),
            "CI_COMMIT_SHA": self.remote.sha(),
            "CI_COMMIT_BRANCH": branch if self.source == "push" else "",
            "CI_COMMIT_REF_NAME": branch,
            "CI_DEFAULT_BRANCH": branch,
            "CI_PIPELINE_SOURCE": self.source,
            "CI_OPEN_MERGE_REQUESTS": "",
            "CI_REPOSITORY_URL": self.remote.bare.as_uri(),
            "CI_JOB_NAME": self.job,
            "GITLAB_USER_NAME": "Release Bot",
            "GITLAB_USER_EMAIL": "release-bot@example.com",
        }

    def rule(self, rules: list[dict[str, Any]], env: Mapping[str, str]) -> str | None:
        """The `when` of the first rule that matches, None when none does."""
        for rule in rules:
            if "if" not in rule or _gitlab_if(str(rule["if"]), env):
                return str(rule.get("when", "on_success"))
        return None

    def run(self) -> JobRun:
        spec = self.spec()
        shutil.rmtree(self.work, ignore_errors=True)
        home = self.work / "home"
        home.mkdir(parents=True)
        env = _clean_env(home, self.shared) | self.predefined()
        if self.rule(self.document.get("workflow", {}).get("rules", [{}]), env) in (None, "never"):
            raise HarnessError(f"no pipeline for a {self.source} to {self.remote.branch}")
        if "rules" in spec and self.rule(spec["rules"], env) in (None, "never"):
            raise HarnessError(f"the job {self.job} does not run for a {self.source}")
        self._check_matrix(spec)
        for scope in (self.document.get("variables", {}), spec.get("variables", {}), self.matrix):
            env.update({str(k): _gitlab_expand(str(v), env) for k, v in scope.items()})
        env.update(self.variables)
        uv_cache_dir = env.get("UV_CACHE_DIR")
        env["UV_CACHE_DIR"] = str(self.shared.uv_cache)
        steps = [self._prepare(spec, env)]
        caches = self._caches(spec, env, uv_cache_dir)
        steps.append(self._restore(caches))
        steps.append(self._script(spec, env))
        steps.append(self._save(caches, job_ok=steps[-1].status == "passed"))
        run = JobRun(self.job, steps, self.project_dir)
        junit = spec.get("artifacts", {}).get("reports", {}).get("junit")
        if junit:
            run.artifacts["junit"] = self.project_dir / junit
        return run

    def _check_matrix(self, spec: dict[str, Any]) -> None:
        entries = spec.get("parallel", {}).get("matrix", [])
        for name, value in self.matrix.items():
            allowed = [str(v) for entry in entries for v in entry.get(name, [])]
            if value not in allowed:
                raise HarnessError(f"{name}={value} is not in the job's matrix {entries}")

    def _prepare(self, spec: dict[str, Any], env: dict[str, str]) -> StepRun:
        name = _gitlab_expand(str(spec.get("image", "")), env)
        match = re.fullmatch(r"python:(3\.\d+)", name)
        if match is None:
            raise HarnessError(f"the harness runs python:X images only, not {name!r}")
        image = self.work / "image"
        python = _python_links(match.group(1), image / "python")
        # pip installs as into the image's /usr/local: a folder of the job, its bin on PATH.
        env["PYTHONUSERBASE"], env["PIP_USER"] = str(image / "local"), "1"
        env["PIP_FIND_LINKS"] = str(uv_wheels(str(env.get("UV_VERSION", "")), self.shared))
        env["PATH"] = os.pathsep.join([str(image / "local" / "bin"), str(python), env["PATH"]])
        depth = int(env.get("GIT_DEPTH", "20") or "0")
        _clone(self.remote, self.project_dir, depth, detached=True)
        return StepRun("prepare", "passed", f"image {name}; cloned at {self.remote.sha()[:12]}")

    def _caches(
        self, spec: dict[str, Any], env: dict[str, str], uv_cache_dir: str | None
    ) -> list[tuple[str, list[str], str, str]]:
        """(key, paths, when, policy) of each cache entry but uv's (shared by the harness)."""
        entries = spec.get("cache", [])
        found = []
        for entry in entries if isinstance(entries, list) else [entries]:
            paths = [_gitlab_expand(p, env) for p in entry.get("paths", [])]
            if uv_cache_dir and any(self.project_dir / p == Path(uv_cache_dir) for p in paths):
                continue
            key = entry.get("key", "default")
            if isinstance(key, dict):
                files = hash_files(self.project_dir, [str(f) for f in key.get("files", [])])
                key = f"{_gitlab_expand(str(key.get('prefix', '')), env)}-{files[:16]}"
            found.append(
                (
                    _gitlab_expand(str(key), env),
                    paths,
                    str(entry.get("when", "on_success")),
                    str(entry.get("policy", "pull-push")),
                )
            )
        return found

    def _restore(self, caches: list[tuple[str, list[str], str, str]]) -> StepRun:
        lines = []
        for key, paths, _, policy in caches:
            if policy == "push":
                continue
            for path in paths:
                found = self.caches.restore(f"{key}/{path}", [], self.project_dir / path)
                lines.append(f"{path}: {'restored from ' + key if found else 'no cache'}")
        return StepRun("restore cache", "passed", "\n".join(lines))

    def _save(self, caches: list[tuple[str, list[str], str, str]], *, job_ok: bool) -> StepRun:
        lines = []
        for key, paths, when, policy in caches:
            if policy == "pull" or (when == "on_success" and not job_ok):
                continue
            for path in paths:
                self.caches.overwrite(f"{key}/{path}", self.project_dir / path)
                lines.append(f"{path}: saved as {key}")
        return StepRun("save cache", "passed", "\n".join(lines))

    def _script(self, spec: dict[str, Any], env: dict[str, str]) -> StepRun:
        lines = [str(line) for line in (*spec.get("before_script", []), *spec.get("script", []))]
        script = "set -eo pipefail\n" + "".join(
            f"echo {shlex.quote('$ ' + line)}\n{line}\n" for line in lines
        )
        code, log = _run_script(script, ["bash"], self.project_dir, env, self.work / "steps")
        return StepRun("script", "passed" if code == 0 else "failed", log)


def _extended(pipeline: dict[str, Any], job: str) -> dict[str, Any]:
    spec = dict(pipeline[job])
    parents = spec.pop("extends", [])
    merged: dict[str, Any] = {}
    for parent in [parents] if isinstance(parents, str) else parents:
        merged = deep_merge(merged, _extended(pipeline, parent))
    return deep_merge(merged, spec)


def _gitlab_expand(text: str, env: Mapping[str, str]) -> str:
    return re.sub(
        r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: env.get(m.group(1), m.group(0)), text
    )


def _gitlab_if(condition: str, env: Mapping[str, str]) -> bool:
    """GitLab's rules: `$A == "x"`, `$A != "x"`, `$A` (set and not empty), joined by `&&`."""
    for clause in (part.strip() for part in condition.split("&&")):
        match = re.fullmatch(r'\$(\w+)\s*(==|!=)\s*"([^"]*)"', clause)
        if match:
            name, operator, value = match.groups()
            if (env.get(name, "") == value) != (operator == "=="):
                return False
        elif re.fullmatch(r"\$\w+", clause):
            if not env.get(clause[1:]):
                return False
        else:
            raise HarnessError(f"the rule `{condition}` is more than the harness understands")
    return True


def load_gitlab(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data
