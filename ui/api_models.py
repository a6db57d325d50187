"""The API's request bodies: pydantic models and the validator their text fields share.

Every limit here (lengths, ranges, strict integers, valid Unicode) turns bad input into a
422 naming the field before any `rag` function runs. Kept apart from the routes so the
shapes the API accepts can be read in one place.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StrictInt

from rag import AnswerMode, AskOptions, RetrievalMode, Settings

# The library's default; a configured max_question_chars is enforced by the library too.
MAX_QUESTION_CHARS = Settings().answer.max_question_chars


def valid_text(text: str) -> str:
    """Text that is valid Unicode: a lone surrogate ("\\ud800") cannot be encoded or embedded."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains a lone surrogate (invalid Unicode)") from None
    return text


def not_blank(text: str) -> str:
    """A question or topic of only spaces is as empty as "" (and gets the same 422)."""
    if not text.strip():
        raise ValueError("is blank")
    return text


Text = Annotated[str, AfterValidator(valid_text)]
# A question, topic or search query: valid Unicode with something besides spaces.
QueryText = Annotated[str, AfterValidator(valid_text), AfterValidator(not_blank)]


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: Text = Field(max_length=AskOptions.MAX_TURN_CHARS)


class AskRequest(BaseModel):
    question: QueryText = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    # Strict: 3.5, "3", true and 1e400 (infinity) are not integers.
    k: StrictInt | None = Field(default=None, ge=AskOptions.K_MIN, le=AskOptions.K_MAX)
    mode: RetrievalMode | None = None
    source: Text | None = None
    answer_mode: AnswerMode | None = None
    history: list[Turn] = Field(default_factory=list, max_length=AskOptions.MAX_HISTORY_TURNS)


class SummarizeRequest(BaseModel):
    topic: QueryText = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    max_papers: StrictInt | None = Field(default=None, ge=1, le=100)
    answer_mode: AnswerMode | None = None
