"""Entry point for the `qdev` console script and `python -m qdev`.

`qdev --version` is answered here, before typer, rich or pydantic are imported, so that the
commonest scripted call costs little more than starting Python.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):
        from qdev import __version__

        sys.stdout.write(f"qdev {__version__}\n")
        return 0
    from qdev.cli.app import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
