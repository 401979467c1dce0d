"""`qdev [CMD...] --help` answered from a cache, so that asking for help does not cost typer.

Importing typer and rich's help renderer takes ten to thirty times as long as starting Python.
The first time a help text is asked for, typer renders it (cli/app.py) and it is stored here;
later the same request is answered from the file without importing typer, rich or anything
of qdev beyond this module and `output`.

A stored text is used only when everything it depends on is unchanged, so a key holds:
qdev's version; the size and mtime of every module of the qdev package (a new or edited
command shows up at once); the mtime of every folder on sys.path (installing or upgrading
typer or rich changes its site-packages folder); the interpreter; the exact arguments; and
how the text is drawn: colour or plain, width, encoding, the terminal type and the locale.
Help texts must therefore depend only on the code, never on the current folder or config.

Only requests of words and global flags (in any order) ending in --help are cached: `qdev -q
config --help`, `qdev check -v --help`; a word is a plain name (a command, or a positional value
that click cannot take for an option).
"""

from __future__ import annotations

import os
import sys
import zlib

from qdev import __version__
from qdev.output import SETTINGS, color_enabled, read_user_preferences

TYPE_CHECKING = False  # typing costs milliseconds on the path this module exists for
if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

HELP_FLAGS = ("--help", "-h")
GLOBAL_FLAGS = frozenset({"--no-color", "--quiet", "-q", "--verbose", "-v", "-vv", "-vvv"})
# Environment variables that change how typer and rich draw a help text.
STYLE_VARIABLES = ("TERM", "COLORTERM", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
MAX_ENTRIES = 64
DEFAULT_WIDTH = 80


def _is_word(token: str) -> bool:
    bare = token.replace("-", "").replace("_", "")
    return token[:1].isalpha() and token.isascii() and bare.isalnum()


def is_help_request(argv: Sequence[str]) -> bool:
    """True for words and global flags ending in --help: the requests this cache may answer."""
    if not argv or argv[-1] not in HELP_FLAGS:
        return False
    return all(_is_word(token) or token in GLOBAL_FLAGS for token in argv[:-1])


def wants_color(argv: Sequence[str]) -> bool:
    """Whether help on stdout is coloured: --no-color, NO_COLOR, FORCE_COLOR, the user's
    file, then the tty."""
    if "--no-color" in argv:
        return False
    read_user_preferences()
    saved = SETTINGS.color
    SETTINGS.color = None
    try:
        return color_enabled(_isatty())
    finally:
        SETTINGS.color = saved


def width() -> int:
    """Columns to draw help in: TERMINAL_WIDTH or COLUMNS, else the terminal's, else 80."""
    for name in ("TERMINAL_WIDTH", "COLUMNS"):
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    if _isatty():
        try:
            return os.get_terminal_size(sys.stdout.fileno()).columns or DEFAULT_WIDTH
        except (OSError, ValueError):
            pass
    return DEFAULT_WIDTH


def encoding() -> str:
    return (getattr(sys.stdout, "encoding", None) or "utf-8").lower()


def _isatty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "qdev", "help")


def code_fingerprint() -> str:
    """Size and mtime of every qdev module, and the mtime of every site-packages on sys.path."""
    package = os.path.dirname(os.path.abspath(__file__))
    parts: list[str] = []
    for folder, subfolders, files in os.walk(package):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                stat = os.stat(os.path.join(folder, name))
                parts.append(f"{folder[len(package) :]}/{name}:{stat.st_size}:{stat.st_mtime_ns}")
    for entry in sys.path:
        # Installing, removing or upgrading a package adds and removes entries here.
        if os.path.basename(entry) in ("site-packages", "dist-packages"):
            try:
                parts.append(f"{entry}:{os.stat(entry).st_mtime_ns}")
            except OSError:
                continue
    blob = "\n".join(parts).encode()
    return f"{zlib.crc32(blob):08x}{zlib.adler32(blob):08x}"


def cache_key(argv: Sequence[str], color: bool, columns: int) -> str:
    """Everything a rendered help text depends on, as one line."""
    style = [os.environ.get(name, "") for name in STYLE_VARIABLES] if color else []
    fields = [
        __version__,
        sys.version,
        sys.executable,
        code_fingerprint(),
        repr(list(argv)),
        "color" if color else "plain",
        str(columns),
        encoding(),
        repr(style),
        os.environ.get("TYPER_USE_RICH", ""),
    ]
    return "\x1f".join(fields).replace("\n", " ").replace("\r", " ")


def _entry_path(key: str) -> str:
    digest = f"{zlib.crc32(key.encode()):08x}{zlib.adler32(key.encode()):08x}"
    return os.path.join(cache_dir(), f"{digest}.txt")


def lookup(argv: Sequence[str]) -> str | None:
    """The stored help text for this request in this terminal, or None."""
    key = cache_key(argv, wants_color(argv), width())
    try:
        with open(_entry_path(key), encoding="utf-8", newline="") as handle:
            stored_key = handle.readline().rstrip("\n")
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return None
    return text if stored_key == key else None


def store(argv: Sequence[str], color: bool, columns: int, text: str) -> Path | None:
    """Save a help text rendered with these settings; a cache that cannot be written is skipped."""
    from pathlib import Path

    from qdev.fileio import write_atomic

    key = cache_key(argv, color, columns)
    path = Path(_entry_path(key))
    try:
        _prune(path.parent)
        write_atomic(path, f"{key}\n{text}")
    except OSError:
        return None
    return path


def _prune(folder: Path) -> None:
    # Entries for old code are never read again; past a few dozen, start afresh.
    if not folder.is_dir():
        return
    entries = list(folder.glob("*.txt"))
    if len(entries) >= MAX_ENTRIES:
        for entry in entries:
            entry.unlink(missing_ok=True)
