"""`qdev release`: version schemes, conventional commits, changelog, guards and the transaction.

Submodules are imported where they are used; `journal.pending_warning` is what every other
command calls, and it imports nothing heavy.
"""

from __future__ import annotations
