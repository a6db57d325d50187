"""Fault injection at write boundaries, for the crash tests (tests/test_faults.py).

Ingest calls :func:`boundary` between every two writes. With ``RAG_FAULT_AT=N`` the process
kills itself (SIGKILL, like a power cut) at the N-th boundary, or at the first boundary of
that name; ``RAG_FAULT_LOG=path`` appends each boundary's name, so a test can enumerate
them. Without these variables a boundary is one environment lookup.
"""

from __future__ import annotations

import os
import signal

_reached = 0


def boundary(name: str) -> None:
    global _reached
    target = os.environ.get("RAG_FAULT_AT")
    log = os.environ.get("RAG_FAULT_LOG")
    if not target and not log:
        return
    _reached += 1
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{_reached} {name}\n")
    if target in (name, str(_reached)):
        os.kill(os.getpid(), signal.SIGKILL)
