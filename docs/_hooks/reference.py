"""MkDocs hook: the CLI and configuration references, generated from qdev's code, added to the
site as reference/cli.md and reference/config.md (see qdev.reference)."""

from __future__ import annotations

from typing import Any

from mkdocs.structure.files import File, Files

from qdev.reference import generated_pages


def on_files(files: Files, config: Any) -> Files:
    for path, render in generated_pages().items():
        files.append(File.generated(config, path, content=render()))
    return files
