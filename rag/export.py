"""Answers a researcher can take away: Markdown with [n] and a reference list, BibTeX-like entries,
a whole conversation, and links to look a paper up.

The links are searches built from the title (arXiv and Hugging Face papers), plus the paper's own
URL and arXiv page when the corpus file gave them; nothing is fetched. The same functions serve
the CLI (``rag ask --format markdown|bibtex``), the HTTP API and the UI's copy and export buttons.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Protocol
from urllib.parse import quote_plus

from rag.types import Answer, Hit

ARXIV_SEARCH = "https://arxiv.org/search/?query={query}&searchtype=title"
HF_SEARCH = "https://huggingface.co/papers?q={query}"
ARXIV_ABS = "https://arxiv.org/abs/{arxiv_id}"


class Citable(Protocol):
    title: str
    url: str
    arxiv_id: str


def paper_links(hit: Citable) -> dict[str, str]:
    """Where to read the paper (a search hit, an answer's source or a summary's paper): its own URL
    and arXiv page when known, and title searches on arXiv and Hugging Face papers (always)."""
    query = quote_plus(hit.title)
    links = {}
    if hit.url:
        links["url"] = hit.url
    if hit.arxiv_id:
        links["arxiv"] = ARXIV_ABS.format(arxiv_id=hit.arxiv_id)
    links["arxiv_search"] = ARXIV_SEARCH.format(query=query)
    links["hf_search"] = HF_SEARCH.format(query=query)
    return links


def cited_sources(answer: Answer) -> list[Hit]:
    """The sources the answer cites, in [n] order."""
    cited = {c.n for c in answer.citations}
    return [s for s in answer.sources if s.n in cited]


def reference_line(hit: Hit) -> str:
    """``[n] Title. Authors (year). <link>`` with the best link known."""
    links = paper_links(hit)
    link = links.get("url") or links.get("arxiv") or links["arxiv_search"]
    details = ", ".join(part for part in (hit.authors, hit.year) if part)
    return f"[{hit.n}] {hit.title}." + (f" {details}." if details else "") + f" <{link}>"


def answer_markdown(answer: Answer, question: str = "") -> str:
    """The answer as Markdown: the question as a heading, the text with its [n] markers, then the
    references. No HTML: corpus text is copied as text, never as markup."""
    parts = [f"## {question.strip()}"] if question.strip() else []
    parts.append(answer.answer.strip())
    references = cited_sources(answer)
    if references:
        parts.append("**References**\n\n" + "\n".join(f"- {reference_line(hit)}" for hit in references))
    return "\n\n".join(parts) + "\n"


def conversation_markdown(turns: list[tuple[str, Answer]], title: str = "Conversation") -> str:
    """Every question and answer of a chat, each with its own references."""
    body = "\n".join(answer_markdown(answer, question) for question, answer in turns)
    return f"# {title}\n\n{body}"


def answer_bibtex(answer: Answer) -> str:
    """BibTeX-like ``@misc`` entries for the cited papers (title, and author, year, url, eprint when
    the corpus gave them). Keys are the first author's surname or the title's first word, and the year."""
    entries = []
    keys: set[str] = set()
    for hit in cited_sources(answer):
        key = _unique(_cite_key(hit), keys)
        fields = [("title", "{" + _bibtex_escape(hit.title) + "}")]
        if hit.authors:
            fields.append(("author", "{" + _bibtex_escape(" and ".join(_authors(hit.authors))) + "}"))
        if hit.year:
            fields.append(("year", "{" + hit.year + "}"))
        if hit.arxiv_id:
            fields += [("eprint", "{" + hit.arxiv_id + "}"), ("archivePrefix", "{arXiv}")]
        url = paper_links(hit).get("url") or paper_links(hit).get("arxiv")
        if url:
            fields.append(("url", "{" + url + "}"))
        body = ",\n".join(f"  {name} = {value}" for name, value in fields)
        entries.append(f"@misc{{{key},\n{body}\n}}")
    return "\n\n".join(entries) + ("\n" if entries else "")


def _authors(authors: str) -> list[str]:
    return [a.strip() for a in re.split(r";|,(?=\s*[A-Z][^,]*\s)| and ", authors) if a.strip()]


def _cite_key(hit: Hit) -> str:
    authors = _authors(hit.authors)
    base = authors[0].split()[-1] if authors else (re.findall(r"[A-Za-z0-9]+", hit.title) or ["paper"])[0]
    ascii_base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode() or "paper"
    return re.sub(r"[^A-Za-z0-9]", "", ascii_base).lower() + (hit.year or "")


def _unique(key: str, taken: set[str]) -> str:
    candidate, suffix = key, ord("a")
    while candidate in taken:
        candidate, suffix = f"{key}{chr(suffix)}", suffix + 1
    taken.add(candidate)
    return candidate


def _bibtex_escape(text: str) -> str:
    return re.sub(r"([{}\\&%$#_])", r"\\\1", text)
