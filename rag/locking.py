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
def ingest_lock(settings: Settings) -> Iterator[None]:
    path = lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        deadline = time.monotonic() + settings.store.ingest_lock_timeout
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
                        f"another ingest ({holder}) is writing to this index ({path}); try again when it has finished"
                    ) from None
                if not told:
                    print(f"waiting for another ingest ({holder}) to finish…", file=sys.stderr)
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
