"""The only places that start subprocesses (process.py) and touch git (git.py)."""
