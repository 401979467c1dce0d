"""`qdev data pull|status|add`: the datasets a research repo declares in [research.data]."""

from __future__ import annotations

from typing import Annotated

import typer

NAMES = typer.Argument(help="Datasets to act on (default: every one in \\[research.data]).")
JSON = typer.Option("--json", help="Print the result as JSON for scripts.")


def register(app: typer.Typer) -> None:
    data_app = typer.Typer(
        help="The datasets a research repo needs: declared with their hash in qdev.toml "
        "(\\[research.data]), fetched into the data folder, verified.",
        no_args_is_help=True,
    )

    @data_app.command("status")
    def status(
        names: Annotated[list[str] | None, NAMES] = None,
        as_json: Annotated[bool, JSON] = False,
    ) -> None:
        """Show which datasets are present, missing, or changed (there with other content).

        Reads only local files (hashes are remembered while a file is unchanged), so it works
        offline. Exit 0 when every dataset is present, 1 otherwise.
        """
        from qdev.config.loader import load_config
        from qdev.research.datasets import State, status
        from qdev.research.report import print_status

        loaded = load_config()
        found = status(loaded.root, loaded.config, names or [])
        print_status(found, as_json=as_json)
        raise typer.Exit(0 if all(item.state is State.PRESENT for item in found) else 1)

    @data_app.command("pull")
    def pull(
        names: Annotated[list[str] | None, NAMES] = None,
        jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Downloads at once.")] = 8,
        force: Annotated[
            bool,
            typer.Option("--force", help="Replace files whose content differs from the declared."),
        ] = False,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Say what would be fetched; fetch nothing.")
        ] = False,
        as_json: Annotated[bool, JSON] = False,
    ) -> None:
        r"""Fetch the missing datasets into the data folder, in parallel, verified by hash.

        A file appears whole or not at all: a download whose hash differs from the declared
        one is removed and reported, and killing the pull leaves no partial file. Present
        datasets are not fetched again (no network needed when everything is there); a file
        changed locally is kept unless --force. Credentials come from the storage's own chain
        (AWS_PROFILE, ~/.aws, gcloud auth), never from qdev's files. Exit 0 when every dataset
        is present afterwards, 1 when one failed or was kept, 3 without fsspec (install
        qdev\[data]).
        """
        from qdev.config.loader import load_config
        from qdev.research.data import pull as pull_data
        from qdev.research.report import print_pull, progress_for

        loaded = load_config()
        with progress_for(as_json=as_json or dry_run) as progress:
            report = pull_data(
                loaded, names or [], jobs=jobs, force=force, dry_run=dry_run, progress=progress
            )
        print_pull(report, as_json=as_json)
        raise typer.Exit(report.exit_code)

    @data_app.command("add")
    def add(
        url: Annotated[str, typer.Argument(help="s3://, gs://, https:// URL, or a local path.")],
        name: Annotated[
            str | None, typer.Option("--name", help="Dataset name (default: from the file name).")
        ] = None,
        path: Annotated[
            str | None,
            typer.Option("--path", help="Where it goes, relative to the data folder."),
        ] = None,
        as_json: Annotated[bool, JSON] = False,
    ) -> None:
        r"""Fetch URL into the data folder and declare it in \[research.data] with its hash."""
        from qdev.config.loader import load_config
        from qdev.research.data import add as add_data
        from qdev.research.report import print_added, progress_for

        loaded = load_config()
        with progress_for(as_json=as_json) as progress:
            added = add_data(loaded, url, name=name, path=path, progress=progress)
        print_added(added, as_json=as_json)

    app.add_typer(data_app, name="data")
