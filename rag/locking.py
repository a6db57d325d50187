"""One ingest at a time per index: an advisory file lock beside the index.

Two ingests that touch the same papers would delete each other's versions. The second one
waits for the first (saying so), up to ``ingest_lock_timeout`` seconds, then fails with a
clear message. The lock dies with its process, so a killed ingest never leaves it held.
With a Chroma server the lock file is in ``data_dir`` too: it serialises ingests from this
machine (the usual case); ingests from several machines need one machine to run them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from rag.config import Settings
from rag.errors import StoreError

POLL_SECONDS = 0.2


def lock_path(settings: Settings) -> Path:
    name = settings.store.collection
    where = settings.store.chroma_url.replace("://", "_").replace("/", "_").replace(":", "_") or "local"
    return Path(settings.store.data_dir) / f"ingest-{where}-{name}.lock"


@contextlib.contextmanager
def _exclusive(path: Path, timeout: float, what: str) -> Iterator[None]:
    """Hold an exclusive flock on ``path``, polling so a wait can be reported and bounded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"another {what} ({holder}) is writing to this index ({path}); try again when it has finished"
                    ) from None
                if not told:
                    print(f"waiting for another {what} ({holder}) to finish…", file=sys.stderr)
                    told = True
                time.sleep(POLL_SECONDS)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def ingest_lock(settings: Settings) -> contextlib.AbstractContextManager[None]:
    return _exclusive(lock_path(settings), settings.store.ingest_lock_timeout, "ingest")


@contextlib.contextmanager
def store_open_lock(settings: Settings, may_create: bool) -> Iterator[None]:
    """Serialise opening an embedded store. Chroma creates its SQLite schema on first open without
    guarding against another process doing the same ("table collections already exists"), so two
    first ingests started together failed. Held only while the client and collections open.
    A reader of a missing index creates nothing (it fails first); one whose data directory cannot
    take a lock file (a read-only copy of an index) opens without it, as nobody can be creating
    the store there."""
    path = Path(settings.store.data_dir) / "open-local.lock"
    with contextlib.ExitStack() as stack:
        if may_create or path.parent.is_dir():
            with contextlib.suppress(OSError):
                stack.enter_context(_exclusive(path, settings.store.ingest_lock_timeout, "process opening the store"))
        yield
