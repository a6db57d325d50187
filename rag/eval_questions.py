"""Eval question files: JSON Lines, one question a line, validated with the file and line named.

``{"id", "kind", "shape", "split", "question", "gold_titles": [...], "must_include": [...], "history"?: [...]}``

- ``kind``: factoid (one gold paper), synthesis (several) or unanswerable (none).
- ``shape``: what the question asks for, which decides how it is scored per shape. Factoids are
  definition, mechanism, quantity, which or followup; synthesis questions are list, compare,
  synthesis or followup; unanswerable ones are unanswerable or followup. Defaults by kind
  (which, synthesis, unanswerable).
- ``split``: dev (tune on it) or test (report it, never tune on it). Optional for files of one's own.
- ``history``: the conversation before the question, ``[{"role": "user"|"assistant", "content"}]``,
  passed to ``ask(..., history=...)``. Required for followup questions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rag.errors import RagError

KINDS = ("factoid", "synthesis", "unanswerable")
SHAPES = ("definition", "mechanism", "quantity", "which", "list", "compare", "followup", "synthesis", "unanswerable")
SPLITS = ("dev", "test")
KIND_SHAPES = {
    "factoid": ("definition", "mechanism", "quantity", "which", "followup"),
    "synthesis": ("list", "compare", "synthesis", "followup"),
    "unanswerable": ("unanswerable", "followup"),
}
DEFAULT_SHAPE = {"factoid": "which", "synthesis": "synthesis", "unanswerable": "unanswerable"}
ROLES = ("user", "assistant")


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    question: str
    gold_titles: tuple[str, ...] = ()
    must_include: tuple[str, ...] = ()
    shape: str = "which"
    split: str | None = None
    history: tuple[dict[str, str], ...] = ()

    @property
    def answerable(self) -> bool:
        return self.kind != "unanswerable"


def _strings(row: dict, name: str, where: str) -> tuple[str, ...]:
    value = row.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RagError(f"{where}: field {name!r} must be a list of strings")
    return tuple(value)


def _turn_ok(turn: object) -> bool:
    return (
        isinstance(turn, dict)
        and turn.get("role") in ROLES
        and isinstance(turn.get("content"), str)
        and bool(turn["content"].strip())
    )


def _history(row: dict, where: str) -> tuple[dict[str, str], ...]:
    turns = row.get("history", [])
    if not isinstance(turns, list) or not all(_turn_ok(turn) for turn in turns):
        raise RagError(f"{where}: field 'history' must be a list of {{role: user|assistant, content: text}}")
    return tuple({"role": turn["role"], "content": turn["content"]} for turn in turns)


def parse_question(row: object, where: str, number: int) -> Question:
    if not isinstance(row, dict) or not isinstance(row.get("question"), str) or not row["question"].strip():
        raise RagError(f"{where}: field 'question' is missing or empty")
    kind = row.get("kind")
    if kind not in KINDS:
        raise RagError(f"{where}: field 'kind' must be one of {', '.join(KINDS)}")
    shape = row.get("shape", DEFAULT_SHAPE[kind])
    if shape not in SHAPES:
        raise RagError(f"{where}: field 'shape' must be one of {', '.join(SHAPES)}")
    if shape not in KIND_SHAPES[kind]:
        raise RagError(f"{where}: field 'shape' must be one of {', '.join(KIND_SHAPES[kind])} for a {kind} question")
    split = row.get("split")
    if split is not None and split not in SPLITS:
        raise RagError(f"{where}: field 'split' must be one of {', '.join(SPLITS)}")
    history = _history(row, where)
    if shape == "followup" and not history:
        raise RagError(f"{where}: field 'history' is required for a followup question")
    gold, must = _strings(row, "gold_titles", where), _strings(row, "must_include", where)
    qid = str(row.get("id") or f"line{number}")
    return Question(qid, kind, row["question"], gold, must, shape, split, history)


def load_questions(path: str | Path, split: str | None = None) -> list[Question]:
    """Read a question file; any bad line raises with the file and line named.

    ``split`` ("dev" or "test") keeps only that split's questions; None keeps all."""
    if split is not None and split not in SPLITS:
        raise RagError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    questions, seen = [], set()
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RagError(f"{where}: invalid JSON ({exc.msg})") from None
        question = parse_question(row, where, number)
        if question.id in seen:
            raise RagError(f"{where}: duplicate id {question.id!r}")
        seen.add(question.id)
        questions.append(question)
    if not questions:
        raise RagError(f"{path}: no questions")
    if split is not None:
        questions = [q for q in questions if q.split == split]
        if not questions:
            raise RagError(f"{path}: no questions in split {split!r}")
    return questions
