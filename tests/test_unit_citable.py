"""Which retrieved papers an answer may cite (rag/evidence.py citable_papers), on hand-made papers."""

from __future__ import annotations

from rag.config import AnswerSettings
from rag.evidence import citable_papers
from rag.focus import analyze
from rag.retrieval import Retrieval
from rag.store import StoredSentence
from rag.text import content_terms
from rag.types import Hit
from tests.fakes import bow_vector

QUESTION = "Which papers add abilities to video diffusion models, such as longer videos or camera control?"
PAPERS = {
    # Holds most of the key words.
    "camera": ("Training-free Camera Control for Video Generation", "We add camera control to video diffusion models."),
    # On one of the listed things only: fewer key words, but a sentence close to the question.
    "long": ("Long Video Generation", "Diffusion makes videos longer."),
    # Shares a few generic words and nothing close.
    "other": ("Image Restoration", "Diffusion models restore images."),
}


class _Snapshot:
    def __init__(self) -> None:
        words = {w for title, text in PAPERS.values() for w in content_terms(f"{title} {text}")}
        self.idf = ({w: 1.0 for w in words}, 1.0)


def _citable(question: str, close_paper_cosine: float, example_min_coverage: float = 1.01) -> list[str]:
    hits = [Hit(pid, title, 1.0, text) for pid, (title, text) in PAPERS.items()]
    sentences = {pid: [StoredSentence(pid, 0, text, bow_vector(text))] for pid, (_, text) in PAPERS.items()}
    retrieval = Retrieval(question, bow_vector(question), hits)
    settings = AnswerSettings(
        close_paper_cosine=close_paper_cosine, close_min_coverage=0.2, example_min_coverage=example_min_coverage
    )
    return citable_papers(retrieval, sentences, analyze(question), _Snapshot(), settings)


def test_a_list_question_cites_a_paper_on_one_listed_thing_when_its_sentences_are_close():
    assert "long" not in _citable(QUESTION, close_paper_cosine=1.01)
    assert _citable(QUESTION, close_paper_cosine=0.3) == ["camera", "long"]


def test_a_list_question_cites_a_paper_on_one_of_its_examples():
    # "Long Video Generation" holds all of "longer videos", one of the examples after "such as".
    assert _citable(QUESTION, close_paper_cosine=1.01, example_min_coverage=0.45) == ["camera", "long"]
    # "Image Restoration" holds none of an example's words.
    assert "other" not in _citable(QUESTION, close_paper_cosine=1.01, example_min_coverage=0.45)


def test_a_question_answered_by_one_paper_keeps_the_key_word_floor():
    one = "How does the method add camera control and longer videos to video diffusion models?"
    assert analyze(one).shape == "mechanism"
    assert _citable(one, close_paper_cosine=0.3) == ["camera"]
