"""The `rag` command as a user runs it: a real process against a small real index."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from rag.cli import snippet, status_table
from tests.conftest import REPO

RAG = str(Path(sys.executable).with_name("rag"))
ANSI = re.compile("\x1b\\[[0-9;]*m")
COMMANDS = ["ingest", "search", "ask", "summarize", "eval", "check", "status", "serve"]


def _env(data_dir: str | Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    return {**env, "RAG_DATA_DIR": str(data_dir), "RAG_LLM_MODEL": "", "NO_COLOR": "", **extra}


def rag_cli(*args: str, data_dir: str | Path, timeout: float = 120, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [RAG, *args],
        check=False,
        cwd=REPO,
        env=_env(data_dir, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def index_dir(small_index) -> str:
    return small_index.store.data_dir


def _no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Exception ignored" not in result.stderr, result.stderr


# --- search ------------------------------------------------------------------------------------


def test_search_prints_a_snippet_around_the_matching_words(index_dir):
    result = rag_cli("search", "grokking", data_dir=index_dir)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines and len(lines) % 3 == 0, result.stdout
    hits = [lines[i : i + 3] for i in range(0, len(lines), 3)]
    assert len(hits) >= 2
    for title, text, details in hits:
        assert re.match(r"^ ?\d+\. \S", title)
        assert re.search("grok", title + text, re.IGNORECASE), (title, text)
        assert "grok" in text.lower(), text  # the snippet is where the word is
        assert re.match(r"^ {4}fused \d\.\d{3} · ", details), details  # the score says what it is
    assert not ANSI.search(result.stdout), "no escape codes when stdout is not a terminal"
    assert "[0." not in result.stdout


def test_search_is_bold_on_a_terminal(index_dir):
    """stdout is a real pseudo-terminal here, as in an interactive shell."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [RAG, "search", "grokking", "-k", "2"],
        cwd=REPO,
        env=_env(index_dir, TERM="xterm"),
        stdout=secondary,
        stderr=subprocess.PIPE,
    )
    os.close(secondary)
    output = b""
    while True:
        ready, _, _ = select.select([primary], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(primary)
    assert process.wait(timeout=60) == 0, process.stderr.read()
    text = output.decode()
    assert re.search("\x1b\\[1m[Gg]rokking\x1b\\[0m", text), text


def test_search_json_lists_only_matching_papers(index_dir):
    result = rag_cli("search", "grokking", "--json", data_dir=index_dir)
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert len(hits) >= 2
    assert all({"paper_id", "title", "score", "text"} <= set(hit) for hit in hits)
    assert all(re.search("grok", hit["title"] + hit["text"], re.IGNORECASE) for hit in hits)


def test_search_for_a_word_no_paper_uses_says_so(index_dir):
    result = rag_cli("search", "zyxwvut", data_dir=index_dir)
    assert result.returncode == 0
    assert result.stdout == ""
    assert "no indexed paper matches 'zyxwvut'" in result.stderr


def test_snippet_centres_on_the_query_words_and_bolds_them():
    text = "An opening sentence about nothing. " * 10 + "Here grokking happens late. " + "Filler text. " * 20
    plain = snippet(text, "grokking", width=80)
    assert plain.startswith("…") and plain.endswith("…") and "grokking happens" in plain
    assert len(plain) <= 82
    assert snippet(text, "grokking", width=80, bold=True).count("\x1b[1mgrokking\x1b[0m") == 1
    assert snippet("Short text.", "absent") == "Short text."


# --- ask ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", ["0", "-1", "51", "two"])
def test_ask_rejects_k_outside_the_api_bounds(tmp_path, k):
    result = rag_cli("ask", "x", "-k", k, data_dir=tmp_path / "none")
    assert result.returncode == 2
    assert "argument -k: k must be" in result.stderr
    assert "between 1 and 50" in result.stderr or "integer" in result.stderr
    _no_traceback(result)


def test_a_closed_pipe_ends_quietly(index_dir):
    """`rag ask ... | head -1`, and readers that leave at once (`| true`): the output is cut off
    mid-write or at the final flush, and neither shows a traceback."""
    script = (
        f"{RAG} ask 'Which papers study grokking?' | head -1; echo rc=${{PIPESTATUS[0]}} >&2; "
        f"{RAG} search training -k 12 --json | true; echo rc=${{PIPESTATUS[0]}} >&2; "
        f"{RAG} status | true; echo rc=${{PIPESTATUS[0]}} >&2"
    )
    result = subprocess.run(
        ["bash", "-c", script], check=False, cwd=REPO, env=_env(index_dir), capture_output=True, text=True, timeout=180
    )
    assert result.stdout.count("\n") == 1 and result.stdout.strip()
    assert re.findall(r"rc=\d+", result.stderr) == ["rc=0", "rc=0", "rc=0"], result.stderr
    _no_traceback(result)


def test_ask_exports_markdown_and_bibtex(index_dir):
    markdown = rag_cli("ask", "What is GaLore?", "--format", "markdown", data_dir=index_dir)
    assert markdown.returncode == 0, markdown.stderr
    assert markdown.stdout.startswith("## What is GaLore?\n\n")
    assert "**References**" in markdown.stdout and "[1] GaLore" in markdown.stdout
    assert "<div" not in markdown.stdout and "<a " not in markdown.stdout
    bibtex = rag_cli("ask", "What is GaLore?", "--format", "bibtex", data_dir=index_dir)
    assert bibtex.returncode == 0, bibtex.stderr
    assert bibtex.stdout.startswith("@misc{") and "title = {GaLore" in bibtex.stdout


# --- help and status ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_itself_with_an_example(tmp_path, command):
    result = rag_cli(command, "--help", data_dir=tmp_path / "none")
    assert result.returncode == 0, result.stderr
    description = result.stdout.split("\n\n")[1]
    assert len(description.split()) >= 8, description  # says what it does, not just its name
    examples = result.stdout.split("examples:\n", 1)[1]
    assert f"rag {command}" in examples
    assert not (tmp_path / "none").exists()


def test_eval_help_names_its_question_file_and_where_it_writes(tmp_path):
    text = rag_cli("eval", "--help", data_dir=tmp_path).stdout
    for needed in ("eval/questions.jsonl", "eval/reports/latest", "report.md", "results.json", "recall"):
        assert needed in text, needed


def test_status_prints_an_aligned_table_or_json(index_dir):
    table = rag_cli("status", data_dir=index_dir)
    assert table.returncode == 0, table.stderr
    rows = table.stdout.splitlines()
    assert rows[0].split() == ["papers", "12"]
    assert {"chunks", "embedding model", "store", "last ingest"} <= {re.split(r"\s{2,}", row)[0] for row in rows}
    value_columns = {re.match(r"^\S.*?\S\s{2,}", row).end() for row in rows}
    assert len(value_columns) == 1, rows  # every value starts in the same column
    status = json.loads(rag_cli("status", "--json", data_dir=index_dir).stdout)
    assert status["papers"] == 12 and status["chunks"] >= 12


def test_status_table_formats_missing_and_large_values():
    text = status_table({"papers": 12345, "embedding_dim": None, "last_ingest": None})
    assert text.splitlines() == ["papers       12,345", "dimensions   -", "last ingest  never"]


# --- read-only commands and ingest -------------------------------------------------------------

READ_ONLY = [
    ["ask", "hi"],
    ["search", "hi"],
    ["status"],
    ["status", "--json"],
    ["check"],
    ["summarize", "grokking"],
    ["eval", "--questions", str(REPO / "eval" / "questions.jsonl")],
]


@pytest.mark.parametrize("command", READ_ONLY, ids=lambda c: " ".join(c[:2]))
def test_read_only_commands_on_a_missing_index_create_nothing(tmp_path, command):
    data_dir = tmp_path / "new" / "dir"
    extra = ["--out", str(tmp_path / "report")] if command[0] == "eval" else []
    result = rag_cli(*command, *extra, data_dir=data_dir)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "run `rag ingest` first" in result.stderr and "no index" in result.stderr
    _no_traceback(result)
    assert not (tmp_path / "new").exists()
    assert not (tmp_path / "report").exists()


def test_ingest_creates_the_index_and_keeps_bibliographic_fields(tmp_path, seed_papers):
    galore = next(p for p in seed_papers if p.title.startswith("GaLore:"))
    rows = [
        {
            "title": galore.title,
            "abstract": galore.abstract,
            "url": "https://arxiv.org/abs/2403.03507",
            "year": 2024,
            "authors": ["Jiawei Zhao", "Zhenyu Zhang"],
        },
        {"title": r"A na\"ive G\"odel baseline", "abstract": r"We find that na\"ive " + galore.abstract[:300]},
    ]
    corpus = tmp_path / "papers.jsonl"
    corpus.write_text("".join(json.dumps(row) + "\n" for row in rows))
    data_dir = tmp_path / "new" / "dir"
    ingest = rag_cli("ingest", str(corpus), data_dir=data_dir, timeout=300)
    assert ingest.returncode == 0, ingest.stderr
    assert (data_dir / "chroma").is_dir()
    hits = json.loads(rag_cli("search", "GaLore gradient projection", "--json", data_dir=data_dir).stdout)
    first = next(h for h in hits if h["title"] == galore.title)
    assert first["arxiv_id"] == "2403.03507"
    assert first["url"] == "https://arxiv.org/abs/2403.03507"
    assert first["year"] == "2024" and first["authors"] == "Jiawei Zhao, Zhenyu Zhang"
    found = json.loads(rag_cli("search", "Gödel", "--json", data_dir=data_dir).stdout)
    [naive] = [h for h in found if h["title"] != galore.title]
    assert naive["title"] == "A naïve Gödel baseline" and naive["text"].startswith("We find that naïve ")
    bibtex = rag_cli("ask", "What is GaLore?", "--format", "bibtex", data_dir=data_dir)
    assert "eprint = {2403.03507}" in bibtex.stdout and "author = {Jiawei Zhao and Zhenyu Zhang}" in bibtex.stdout
