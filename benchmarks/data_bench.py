"""`qdev data pull` of 1 GB across 20 objects from an S3 server on loopback, against fsspec's
own copy of the same objects and, when awscli installs from PyPI, `aws s3 sync`.

Run: `uv run python benchmarks/data_bench.py [--objects 20] [--mib 50] [--runs 3]`

moto's S3 server runs in its own process on 127.0.0.1, so every client (a child process each)
pays the same server. Each run starts from an empty data folder (and, for qdev, no remembered
hashes), with bytecode written by an untimed first call; runs are interleaved round by round
so a busy machine slows every tool alike. The
figures are median wall times, with throughput; qdev's include verifying every SHA-256, the
fsspec copy does no verification. A last line times a pull with everything already present
(qdev's offline answer).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BUCKET = "bench-data"
FSSPEC_COPY = """
import sys, fsspec
fs = fsspec.filesystem("s3")
fs.get([f"{sys.argv[1]}/obj{i:02d}.bin" for i in range(int(sys.argv[2]))], sys.argv[3] + "/")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(port: int) -> subprocess.Popen[bytes]:
    server = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("moto_server did not start")


def upload(objects: int, mib: int) -> list[str]:
    import fsspec

    fs = fsspec.filesystem("s3")
    fs.mkdir(BUCKET)
    digests = []
    for index in range(objects):
        blob = os.urandom(mib * 1024 * 1024)
        fs.pipe(f"{BUCKET}/obj{index:02d}.bin", blob)
        digests.append(hashlib.sha256(blob).hexdigest())
    return digests


def research_repo(folder: Path, digests: list[str]) -> Path:
    repo = folder / "research"
    (repo / "data").mkdir(parents=True)
    tables = "".join(
        f'[research.data.obj{i:02d}]\nurl = "s3://{BUCKET}/obj{i:02d}.bin"\nsha256 = "{d}"\n\n'
        for i, d in enumerate(digests)
    )
    (repo / "qdev.toml").write_text(f'[project]\nname = "bench"\nkind = "research"\n\n{tables}')
    return repo


Timing = tuple[float, float]
"""(wall seconds, CPU seconds of the client process): CPU tells more on a busy machine."""


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def empty(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)


def aws_cli() -> list[str] | None:
    """`aws` from awscli on PyPI through uvx, when it installs here; None otherwise."""
    uvx = shutil.which("uvx")
    if uvx is None:
        return None
    argv = [uvx, "--from", "awscli", "aws"]
    probe = subprocess.run([*argv, "--version"], capture_output=True, text=True, check=False)
    return argv if probe.returncode == 0 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=20)
    parser.add_argument("--mib", type=int, default=50, help="size of each object, in MiB")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    scratch = Path(tempfile.mkdtemp(prefix="qdev-data-bench-"))
    # Bytecode is written and kept, as in an installed qdev (uv tool install compiles it).
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint,
        "AWS_CONFIG_FILE": str(scratch / "aws-config"), "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "aws-credentials"), "NO_COLOR": "1",
    }  # fmt: skip
    os.environ.update(env)
    server = start_server(port)
    try:
        digests = upload(args.objects, args.mib)
        repo = research_repo(scratch, digests)
        total = args.objects * args.mib
        qdev = [sys.executable, "-m", "qdev", "-q", "data", "pull"]
        fsspec_out = scratch / "fsspec"
        fsspec_copy = [sys.executable, "-c", FSSPEC_COPY, f"s3://{BUCKET}", str(args.objects)]
        aws_out = scratch / "aws"
        candidates: dict[str, Callable[[], Timing]] = {
            "qdev data pull": lambda: _qdev_pull(qdev, repo, env),
            "fsspec get (copy alone)": lambda: _fresh(
                fsspec_out, lambda: timed([*fsspec_copy, str(fsspec_out)], scratch, env)
            ),
        }
        aws = aws_cli()
        if aws is not None:
            candidates["aws s3 sync"] = lambda: _fresh(
                aws_out,
                lambda: timed([*aws, "s3", "sync", f"s3://{BUCKET}", str(aws_out)], scratch, env),
            )
        for warm_up in ([*qdev[:-2], "data", "status"], [sys.executable, "-c", "import s3fs"]):
            subprocess.run(warm_up, cwd=repo, env=env, check=False, capture_output=True)
        times: dict[str, list[Timing]] = {name: [] for name in candidates}
        for _ in range(args.runs):
            for name, run in candidates.items():
                times[name].append(run())
        _verify(repo, fsspec_out, args.objects)
        present = statistics.median(timed(qdev, repo, env)[0] for _ in range(args.runs))
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"{args.objects} objects x {args.mib} MiB = {total} MiB from moto on loopback, "
          f"median of {args.runs} runs")  # fmt: skip
    for name, timings in times.items():
        median = statistics.median(wall for wall, _ in timings)
        cpu = statistics.median(cpu for _, cpu in timings)
        print(f"  {name:<26} {median:6.2f} s  {total / median:7.1f} MiB/s  CPU {cpu:6.2f} s")
    if aws is None:
        print("  aws s3 sync                not measured: awscli did not install from PyPI")
    baseline = statistics.median(wall for wall, _ in times["fsspec get (copy alone)"])
    ratio = statistics.median(wall for wall, _ in times["qdev data pull"]) / baseline
    print(f"  qdev / fsspec copy         {ratio:6.2f}x (qdev also verifies every SHA-256)")
    print(f"  qdev data pull, all present {present:5.2f} s (no download, no network)")


def _fresh(folder: Path, run: Callable[[], Timing]) -> Timing:
    empty(folder)
    return run()


def _qdev_pull(argv: list[str], repo: Path, env: dict[str, str]) -> Timing:
    empty(repo / "data")
    shutil.rmtree(repo / ".qdev", ignore_errors=True)
    return timed(argv, repo, env)


def _verify(repo: Path, copied: Path, objects: int) -> None:
    for index in range(objects):
        name = f"obj{index:02d}.bin"
        if (repo / "data" / name).read_bytes() != (copied / name).read_bytes():
            raise SystemExit(f"{name}: qdev and fsspec fetched different content")


if __name__ == "__main__":
    main()
