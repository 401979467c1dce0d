"""Entry point for the `qdev` console script and `python -m qdev`.

The two commonest calls are answered before typer is imported: `qdev --version` from the
package, and `qdev [CMD...] --help` from the help cache (helpcache.py) once typer has rendered
that help text. Neither imports typer, rich, pydantic or GitPython.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    code = _main(sys.argv[1:] if argv is None else list(argv))
    if argv is None:
        # The program ends next (a test calling main(argv) goes on). What is frozen now is left
        # to the operating system instead of being walked by the collections of interpreter
        # shutdown: tens of milliseconds once typer, pydantic and rich are loaded. atexit
        # handlers still run.
        import gc

        gc.freeze()
    return code


def _main(args: list[str]) -> int:
    try:
        if args in (["--version"], ["-V"]):
            from qdev import __version__

            sys.stdout.write(f"qdev {__version__}\n")
            return 0
        from qdev import helpcache

        if helpcache.is_help_request(args):
            text = helpcache.lookup(args)
            if text is not None:
                sys.stdout.write(text)
                sys.stdout.flush()
                return 0
        if args[:1] == ["check"]:
            # A check the cache answers whole is printed without typer: from stat data alone
            # (check/warm.py), else by content or from the step cache (check/fastpath.py).
            return _check(args)
        if args[:1] == ["sync"]:
            # `qdev sync --check` with nothing changed since the last one (profile/fastpath.py).
            from qdev.profile.fastpath import answer_from_memo

            code = answer_from_memo(args[1:])
            if code is not None:
                return code
        if args[:2] == ["fleet", "status"]:
            # A fleet whose repos are all unchanged since the last status (fleet/fastpath.py).
            from qdev.fleet.fastpath import answer_from_memo as fleet_from_memo

            code = fleet_from_memo(args[2:])
            if code is not None:
                return code
        from qdev.cli.app import run

        return run(args)
    except KeyboardInterrupt:
        # Ctrl-C before the CLI's error boundary is up (e.g. while typer is importing).
        sys.stderr.write("qdev: interrupted\n")
        return 130
    except BrokenPipeError:
        from qdev.error_handler import handle_exception

        return handle_exception(BrokenPipeError())


def _check(args: list[str]) -> int:
    from qdev.output import SETTINGS, read_user_preferences

    SETTINGS.reset()
    read_user_preferences()  # colour, as the full CLI reads it; a verbose report is its own
    prepared = None
    if not SETTINGS.verbose:
        from qdev.check.warm import answer

        code = answer(args[1:])
        if code is not None:
            return code
        from qdev.check.fastpath import answer_from_cache

        code, prepared = answer_from_cache(args[1:])
        if code is not None:
            return code
    from qdev.check.fastpath import handing_over
    from qdev.cli.app import run

    with handing_over(prepared):  # the config and fingerprint it loaded, not loaded again
        return run(args)


if __name__ == "__main__":  # pragma: no cover - `python -m qdev`, run as a subprocess in tests
    sys.exit(main())
