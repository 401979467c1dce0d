"""Fault suite, group "publishing": the real index (pypiserver on loopback) behind a proxy that
answers 500 to the sdist or holds an upload. Once publishing started nothing is undone, and
--continue uploads only what is missing."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator

import pytest

from qdev.release.journal import pending_warning

from .faults import IndexProxy, index_proxy, start_cli, wait_for
from .release_helpers import PackageIndex, ReleaseRepo, git, run_cli

pytestmark = pytest.mark.e2e

WHEEL = "demo_pkg-0.2.0-py3-none-any.whl"
SDIST = "demo_pkg-0.2.0.tar.gz"


@pytest.fixture
def proxy(package_index: PackageIndex) -> Iterator[IndexProxy]:
    with index_proxy(package_index.url) as running:
        yield running


def on_index(index: PackageIndex) -> list[str]:
    return sorted(path.name for path in index.packages.iterdir())


def use_index(repo: ReleaseRepo, target: str, *, named: bool) -> None:
    if named:
        repo.set_config(
            f'\n[tool.qdev.env]\nindexes = {{ team = "{target}simple/" }}\n',
            release='publish = true\npublish_index = "team"\n',
        )
    else:
        repo.set_config(release=f'publish = true\npublish_index = "{target}"\n')


def publish_failing_for_the_sdist(
    repo: ReleaseRepo, index: PackageIndex, proxy: IndexProxy, *, named: bool, push: bool
) -> None:
    """A release whose index takes the wheel and answers 500 to the sdist."""
    use_index(repo, proxy.url, named=named)
    proxy.fail = lambda name: name.endswith(".tar.gz")
    args = ["release", "--skip-checks", *([] if push else ["--no-push"])]
    failed = run_cli(repo.root, *args, env=index.credentials())
    assert failed.returncode == 1, failed.stderr
    assert "step publish failed" in failed.stderr
    assert "500" in failed.stderr
    assert "rolled back" not in failed.stderr
    assert on_index(index) == [WHEEL]


@pytest.mark.parametrize("named", [True, False], ids=["named-index", "upload-url"])
@pytest.mark.parametrize("push", [True, False], ids=["push", "no-push"])
def test_a_partial_publish_is_kept_and_continue_uploads_what_is_missing(
    release_repo: ReleaseRepo,
    package_index: PackageIndex,
    proxy: IndexProxy,
    named: bool,
    push: bool,
) -> None:
    publish_failing_for_the_sdist(release_repo, package_index, proxy, named=named, push=push)

    proxy.fail = lambda name: False
    finished = run_cli(release_repo.root, "release", "--continue", env=package_index.credentials())
    assert finished.returncode == 0, finished.stderr
    assert on_index(package_index) == [WHEEL, SDIST]
    assert [name for name, status in proxy.uploads if status == 200] == [WHEEL, SDIST]
    assert git(release_repo.root, "describe", "--exact-match", "HEAD") == "v0.2.0"
    assert pending_warning(release_repo.root) is None


@pytest.mark.parametrize("push", [True, False], ids=["push", "no-push"])
def test_abort_after_a_partial_publish_undoes_nothing(
    release_repo: ReleaseRepo, package_index: PackageIndex, proxy: IndexProxy, push: bool
) -> None:
    publish_failing_for_the_sdist(release_repo, package_index, proxy, named=True, push=push)
    head = git(release_repo.root, "rev-parse", "HEAD")

    aborted = run_cli(release_repo.root, "release", "--abort")
    assert aborted.returncode == 0, aborted.stderr
    assert "nothing was undone" in aborted.stdout
    assert WHEEL in aborted.stdout
    assert git(release_repo.root, "rev-parse", "HEAD") == head
    assert git(release_repo.root, "rev-parse", "v0.2.0^{commit}") == head
    assert on_index(package_index) == [WHEEL]


def test_sigterm_during_the_upload_exits_130_and_continue_finishes(
    release_repo: ReleaseRepo, package_index: PackageIndex, proxy: IndexProxy
) -> None:
    use_index(release_repo, proxy.url, named=True)
    proxy.hold = threading.Event()
    child = start_cli(
        release_repo.root, "release", "--skip-checks", env=package_index.credentials()
    )
    wait_for(proxy.held.is_set, "the first upload to reach the index")
    child.signal(signal.SIGTERM)
    code, _, err = child.finish()
    assert code == 130, err
    assert "publish" in err
    assert "qdev release --continue" in err
    assert git(release_repo.remote, "tag", "-l", "v0.2.0") == "v0.2.0"
    proxy.hold.set()
    proxy.hold = None
    finished = run_cli(release_repo.root, "release", "--continue", env=package_index.credentials())
    assert finished.returncode == 0, finished.stderr
    assert on_index(package_index) == [WHEEL, SDIST]
