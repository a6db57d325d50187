"""The time budget of one LLM answer, and when a failed call is worth retrying.

:class:`Deadline` is shared by every call made for one answer (retries, the follow-up
rewrite), so ``llm_timeout`` bounds the whole answer, not each read. :func:`retry_pause`
decides, as the openai client would, whether and how long to wait before trying again.
Kept apart from :mod:`rag.llm`, the client that spends the budget.
"""

from __future__ import annotations

import random
import time

# Retry pauses, as the openai client's own: 0.5 s doubling up to 8 s, a Retry-After up to 60 s.
INITIAL_RETRY_PAUSE = 0.5
MAX_RETRY_PAUSE = 8.0
MAX_RETRY_AFTER = 60.0


class Deadline:
    """The time one answer may take: every LLM call made for it must end by ``end``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()


class DeadlinePassed(Exception):
    """Internal: the deadline passed before the call finished (becomes an LLMError)."""


def retry_pause(exc: Exception, attempt: int) -> float | None:
    """Seconds to wait before retrying ``exc`` (as the openai client would), or None: not worth a retry."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        headers = exc.response.headers
        should = headers.get("x-should-retry")
        if should == "false" or (should != "true" and exc.status_code not in (408, 409, 429) and exc.status_code < 500):
            return None
        try:
            after = float(headers.get("retry-after", ""))
            if 0 <= after <= MAX_RETRY_AFTER:
                return after
        except ValueError:
            pass
    return min(INITIAL_RETRY_PAUSE * 2**attempt, MAX_RETRY_PAUSE) * (1 - 0.25 * random.random())
