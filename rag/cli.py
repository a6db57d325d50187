"""The `rag` command line: a few lines over each public library function.

Only argparse and the light parts of `rag` load before a command runs, so `rag --help`
answers at once; each command imports what it needs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import lru_cache
from pathlib import Path

import rag
from rag.config import AnswerSettings, RetrievalSettings, StoreSettings, SummarySettings
from rag.errors import RagError
from rag.types import ANSWER_MODES, RETRIEVAL_MODES, AskOptions, Hit

# Bounds the library checks too (rag.summarize refuses others).
MAX_PAPERS_MIN, MAX_PAPERS_MAX = 1, 100
SNIPPET_CHARS = 160
BOLD, RESET = "\033[1m", "\033[0m"


def _print_json(value) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _read_only() -> AbstractContextManager:
    """Opening a store that does not exist raises IndexEmptyError instead of creating it."""
    from rag.store import reading_only

    return reading_only()


# --- search snippets -------------------------------------------------------------------------

# Words as BM25 splits them (bm25s: two or more word characters, any script).
_WORD = re.compile(r"\w\w+")


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    """The word's stem as BM25 sees it (same stemmer and stopwords), or "" for a stopword."""
    from rag.text import stopwords

    lowered = word.lower()
    return "" if lowered in stopwords() else _stemmer().stemWord(lowered)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def snippet(text: str, query: str, width: int = SNIPPET_CHARS, bold: bool = False) -> str:
    """One line of ``text`` (about ``width`` characters) around the densest run of the query's words,
    which are wrapped in ANSI bold when ``bold``. Without a query word in the text, its opening."""
    text = " ".join(text.split())
    terms = {stem for stem in map(_stem, _WORD.findall(query)) if stem}
    matches = [m for m in _WORD.finditer(text) if _stem(m.group()) in terms]
    start = 0
    if matches:
        # The window (starting a little before a matching word) that holds the most distinct query
        # words, then the most matches; the earliest wins ties.
        def reach(first: int) -> tuple[int, int]:
            end = matches[first].start() + width - 20
            inside = [m for m in matches[first:] if m.end() <= end]
            return len({_stem(m.group()) for m in inside}), len(inside)

        best = max(range(len(matches)), key=lambda i: (reach(i), -i))
        start = max(0, matches[best].start() - 20)
        if start:
            space = text.rfind(" ", 0, start)
            start = space + 1 if space >= 0 else 0
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    line = text[start:end]
    if bold and matches:
        shown = {m.group() for m in matches}
        line = _WORD.sub(lambda m: f"{BOLD}{m.group()}{RESET}" if m.group() in shown else m.group(), line)
    return ("…" if start else "") + line + ("…" if end < len(text) else "")


def _use_bold(stream) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


class _ProgressBar:
    """A one-line progress bar on stderr, so --json output on stdout stays clean."""

    def __init__(self, label: str, unit: str = "paper") -> None:
        self.label = label
        self.unit = unit
        self.bar = None

    def __call__(self, done: int, total: int) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=total, desc=self.label, unit=self.unit, file=sys.stderr, disable=total == 0)
        self.bar.update(done - self.bar.n)
        if done >= total:
            self.bar.close()


def cmd_ingest(args: argparse.Namespace) -> int:
    """Exit 2 when any problem is an error (a path that is missing, not a regular file, binary or
    mostly invalid; a refused prune), after the good records are stored and the report printed."""
    if args.paths:
        from rag.corpus import corpus_files

        problems = []
        if not corpus_files(args.paths, problems):
            # Nothing to read (a missing path, a FIFO, /dev/null, a directory with no corpus file):
            # say so without opening the index, and never prune.
            for issue in problems:
                print(issue, file=sys.stderr)
            if args.json:
                from rag.ingestion import IngestReport

                _print_json(IngestReport(issues=problems).to_dict())
            return 2
    report = rag.ingest(args.paths or None, progress=_ProgressBar("embedding"), prune=args.prune)
    # The corpus parser already bounds what it reports (the first 20 problems per file, then a
    # count per kind).
    for issue in report.issues:
        print(issue, file=sys.stderr)
    if args.json:
        _print_json(report.to_dict())
    else:
        print(report.summary())
    return 2 if any(issue.severity == "error" for issue in report.issues) else 0


def _details(hit: Hit, mode: str) -> str:
    """Score (named by what it is), source file and the bibliographic fields the corpus gave."""
    kind = {"hybrid": "fused", "dense": "cosine", "bm25": "bm25"}.get(mode, "score")
    parts = [f"{kind} {hit.score:.3f}"]
    parts += [value for value in (hit.year, hit.authors[:60], f"arXiv:{hit.arxiv_id}" if hit.arxiv_id else "") if value]
    parts += [value for value in (hit.url, hit.source) if value]
    return " · ".join(parts)


def cmd_search(args: argparse.Namespace) -> int:
    hits = rag.search(args.query, k=args.k, mode=args.mode, source=args.source)
    if args.json:
        _print_json(hits.to_dict())
        return 0
    if not hits:
        print(f"no indexed paper matches {args.query!r}", file=sys.stderr)
        return 0
    mode = args.mode or rag.load_settings().retrieval.retrieval_mode
    bold = _use_bold(sys.stdout)
    for rank, hit in enumerate(hits, start=1):
        print(f"{rank:2d}. {hit.title}")
        print(f"    {snippet(hit.text, args.query, bold=bold)}")
        print(f"    {_details(hit, mode)}")
    return 0


ASK_FORMATS = ("text", "markdown", "bibtex", "json")


def cmd_ask(args: argparse.Namespace) -> int:
    output = "json" if args.json else args.format
    events = rag.ask_stream(
        args.question, k=args.k, mode=args.mode, source=args.source, answer_mode=args.answer_mode, stream=args.stream
    )
    answer = None
    streamed = False
    # Tokens go to stderr unless the answer is printed as text, so stdout stays one document.
    token_stream = sys.stdout if output == "text" else sys.stderr
    for event in events:
        if event.kind == "token":
            print(event.text, end="", flush=True, file=token_stream)
            streamed = True
        elif event.answer is not None:
            answer = event.answer
    if streamed:
        print(file=token_stream)
    if answer.notice:
        print(f"note: {answer.notice}", file=sys.stderr)
    if output == "json":
        _print_json(answer.to_dict())
        return 0
    if output == "markdown":
        print(rag.answer_markdown(answer, args.question), end="")
        return 0
    if output == "bibtex":
        if not answer.citations:
            print("note: the answer cites no paper; no entries", file=sys.stderr)
        print(rag.answer_bibtex(answer), end="")
        return 0
    if streamed:
        print("\nVerified answer:" if not answer.abstained else "")
    print(answer.answer)
    unsupported = [s.text for s in answer.sentences if not s.supported]
    if unsupported:
        print("\nNot supported by the cited papers:")
        for text in unsupported:
            print(f"  - {text}")
    if answer.citations:
        print("\nReferences:")
        for citation in answer.citations:
            print(f"  [{citation.n}] {citation.title}")
    elif answer.sources:
        print("\nClosest papers found:")
        for source in answer.sources[:3]:
            print(f"  - {source.title}")
    return 0


def cmd_summarize(args: argparse.Namespace) -> int:
    summary = rag.summarize(args.topic, max_papers=args.max_papers, answer_mode=args.answer_mode)
    if summary.notice:
        print(f"note: {summary.notice}", file=sys.stderr)
    if args.format == "json":
        text = json.dumps(summary.to_dict(), indent=2, ensure_ascii=False) + "\n"
    else:
        text = summary.to_markdown()
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}: {summary.scope}", file=sys.stderr)
    else:
        print(text, end="")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from rag.evaluation import EvalConfig, load_questions, run_eval
    from rag.report import write_report

    settings = rag.load_settings()
    questions = load_questions(args.questions, split=args.split)
    modes, answer_modes = args.modes, args.answer_modes  # lists: argparse applies `type` to defaults too
    ks = args.k or [settings.retrieval.ask_k]
    configs = [EvalConfig(mode=m, k=k, answer_mode=a) for m in modes for k in ks for a in answer_modes]
    result = run_eval(questions, configs, settings, progress=_ProgressBar("evaluating", unit="question"))
    report = write_report(result, args.out, args.questions)
    if args.json:
        _print_json({name: run.summary for name, run in result.runs.items()})
    else:
        print(f"report: {report}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    report = rag.check(repair=args.repair)
    if args.json:
        _print_json(report.to_dict())
    else:
        print(report.summary())
    return 0 if report.consistent or report.repaired else 1


STATUS_LABELS = {
    "papers": "papers",
    "chunks": "chunks",
    "sentences": "sentences",
    "embedding_model": "embedding model",
    "embedding_dim": "dimensions",
    "store": "store",
    "collection": "collection",
    "last_ingest": "last ingest",
    "generation": "generation",
}


def status_table(status: dict) -> str:
    """``key   value`` lines with the values aligned; numbers with thousands separators."""
    rows = []
    for key, value in status.items():
        if value is None or value == "":
            shown = "never" if key == "last_ingest" else "-"
        elif isinstance(value, int) and not isinstance(value, bool):
            shown = f"{value:,}"
        else:
            shown = str(value)
        rows.append((STATUS_LABELS.get(key, key.replace("_", " ")), shown))
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {shown}" for label, shown in rows)


def cmd_status(args: argparse.Namespace) -> int:
    status = rag.status().to_dict()
    if args.json:
        _print_json(status)
    else:
        print(status_table(status))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    # The app (UI + HTTP API) lives outside the library, in the `ui` package; the library
    # finds it through the entry point it registers, so `rag` never imports `ui`.
    from importlib.metadata import entry_points

    apps = entry_points(group="rag.apps", name="serve")
    if not apps:
        raise rag.RagError("no app is installed for `rag serve`; run `make install`")
    next(iter(apps)).load()(host=args.host, port=args.port, auth=args.auth)
    return 0


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and examples keep their line breaks."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30)


def _bounded_int(name: str, low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer in [low, high], or a usage error (exit 2) naming the bounds."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{name} must be between {low} and {high}, got {value}")
        return value

    return parse


def _k_list(text: str) -> list[int]:
    """eval's -k: comma-separated papers per answer, each within AskOptions' bounds."""
    parse = _bounded_int("k", AskOptions.K_MIN, AskOptions.K_MAX)
    values = [parse(part.strip()) for part in text.split(",") if part.strip()]
    if not values:
        raise argparse.ArgumentTypeError("k needs at least one number, e.g. 3,5")
    return values


def _choices_list(allowed: Sequence[str], name: str) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        values = [part.strip() for part in text.split(",") if part.strip()]
        unknown = [v for v in values if v not in allowed]
        if unknown or not values:
            raise argparse.ArgumentTypeError(
                f"{name}: {', '.join(unknown) or 'nothing given'}; choose from {', '.join(allowed)}"
            )
        return values

    return parse


def _command(commands, name: str, summary: str, description: str, examples: str) -> argparse.ArgumentParser:
    return commands.add_parser(
        name,
        help=summary,
        description=description,
        epilog="examples:\n" + examples,
        formatter_class=_Formatter,
    )


def build_parser() -> argparse.ArgumentParser:
    retrieval, answer, store, summary = RetrievalSettings(), AnswerSettings(), StoreSettings(), SummarySettings()
    corpus = ", ".join(store.corpus_paths)
    parser = argparse.ArgumentParser(
        prog="rag",
        description="Cited question answering over research-paper abstracts.\n\n"
        "Settings come from rag.toml (or RAG_CONFIG) and RAG_<NAME> environment variables;\n"
        f"the index lives in {store.data_dir}/ (RAG_DATA_DIR). Run `rag COMMAND --help` for each command.",
        epilog="examples:\n"
        "  rag ingest                                  # index data/\n"
        '  rag ask "How does GaLore reduce memory?"\n'
        "  rag search grokking\n"
        "  rag status",
        formatter_class=_Formatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = _command(
        commands,
        "ingest",
        f"parse, chunk, embed and store the corpus (default: {corpus}/)",
        "Parse the corpus files (.txt/.md listings, .jsonl, .csv), chunk and embed the papers, and store\n"
        "them in the index, creating it if needed. Only new or changed papers are embedded. Problems in\n"
        "the files are reported as file:line on stderr; exits 2 if a file could not be read.",
        "  rag ingest                      # the configured corpus_paths (default: data/)\n"
        "  rag ingest papers.jsonl more/   # files or directories\n"
        "  rag ingest data/ --prune        # also drop stored papers no longer in data/",
    )
    p.add_argument("paths", nargs="*", help=f"files or directories (.txt listings, .jsonl, .csv); default: {corpus}")
    p.add_argument("--prune", action="store_true", help="remove stored papers that are not in these paths")
    p.add_argument("--json", action="store_true", help="print the ingest report as JSON")
    p.set_defaults(func=cmd_ingest)

    k_type = _bounded_int("k", AskOptions.K_MIN, AskOptions.K_MAX)
    k_range = f"{AskOptions.K_MIN}-{AskOptions.K_MAX}"

    def retrieval_options(p: argparse.ArgumentParser, k_help: str) -> None:
        p.add_argument("-k", type=k_type, default=None, metavar="N", help=k_help)
        p.add_argument(
            "--mode",
            choices=RETRIEVAL_MODES,
            default=None,
            help=f"retrieval mode (default: retrieval_mode, {retrieval.retrieval_mode})",
        )
        p.add_argument(
            "--source", default=None, metavar="FILE", help="only papers from this corpus file (e.g. 000_x.txt)"
        )

    p = _command(
        commands,
        "search",
        "find the papers that match a query",
        "Find the indexed papers that match a query, best first: papers holding a query word, or whose\n"
        f"meaning is close enough (dense similarity >= min_dense_score, {retrieval.min_dense_score}).\n"
        "Each hit shows its title, a one-line snippet with the matching words (bold in a terminal) and\n"
        "its score (fused, cosine or BM25, by mode). Read-only: creates nothing on disk.",
        "  rag search grokking\n"
        '  rag search "knowledge distillation" -k 20 --mode bm25\n'
        "  rag search LoRA --json | jq -r '.[].title'",
    )
    p.add_argument("query", help="words or a question")
    retrieval_options(p, f"most papers to return, {k_range} (default: search_k, {retrieval.search_k})")
    p.add_argument("--json", action="store_true", help='print [{"paper_id", "title", "score", "text", ...}]')
    p.set_defaults(func=cmd_search)

    p = _command(
        commands,
        "ask",
        "answer a question with citations",
        "Answer a question from the indexed abstracts, citing papers as [n]; when they do not answer\n"
        "it, say so and cite nothing. The default answerer quotes the abstracts; with an LLM configured\n"
        "(llm_model) it writes the answer and every sentence is checked against its sources.\n"
        "Read-only: creates nothing on disk (an LLM's answers are cached in the index directory).",
        '  rag ask "How does GaLore reduce memory?"\n'
        '  rag ask "Which papers study grokking?" -k 8 --format markdown > answer.md\n'
        '  rag ask "What is LoRA?" --format bibtex >> refs.bib\n'
        '  rag ask "What is LoRA?" --json | jq .citations',
    )
    p.add_argument("question")
    retrieval_options(p, f"papers to answer from, {k_range} (default: ask_k, {retrieval.ask_k})")
    p.add_argument(
        "--answer-mode", choices=ANSWER_MODES, default=None, help=f"default: answer_mode, {answer.answer_mode}"
    )
    p.add_argument(
        "--format",
        choices=ASK_FORMATS,
        default="text",
        help="text (default); markdown: the answer and its references; bibtex: entries for the cited papers",
    )
    p.add_argument("--json", action="store_true", help="the same as --format json")
    p.add_argument("--stream", action="store_true", help="print the LLM's answer as it is written")
    p.set_defaults(func=cmd_ask)

    _add_other_commands(commands, retrieval, answer, summary)
    return parser


def _add_other_commands(
    commands, retrieval: RetrievalSettings, answer: AnswerSettings, summary: SummarySettings
) -> None:
    """summarize, eval, check, status and serve."""
    k_range = f"{AskOptions.K_MIN}-{AskOptions.K_MAX}"
    p = _command(
        commands,
        "summarize",
        "a cited, themed summary of what the papers say about a topic",
        "Write a short literature review of a topic: the on-topic papers, grouped into themes, one\n"
        "cited sentence per paper, then the papers and references. Says so when the papers do not\n"
        "cover the topic. Read-only (apart from --out).",
        '  rag summarize "post-training quantization"\n  rag summarize grokking --format json --out grokking.json',
    )
    p.add_argument("topic")
    p.add_argument(
        "--max-papers",
        type=_bounded_int("max-papers", MAX_PAPERS_MIN, MAX_PAPERS_MAX),
        default=None,
        metavar="N",
        help=f"most on-topic papers, {MAX_PAPERS_MIN}-{MAX_PAPERS_MAX} (default: {summary.summary_max_papers})",
    )
    p.add_argument("--format", choices=["md", "json"], default="md", help="Markdown (default) or JSON")
    p.add_argument("--answer-mode", choices=ANSWER_MODES, default=None, help=f"default: {answer.answer_mode}")
    p.add_argument("--out", default=None, metavar="FILE", help="write to this file instead of stdout")
    p.set_defaults(func=cmd_summarize)

    p = _command(
        commands,
        "eval",
        "score retrieval and answers on a question set; writes a report",
        "Ask every question of a question set (JSON Lines with gold papers and must-include words)\n"
        "under each configuration (retrieval mode x k x answer mode) and score retrieval (recall@k,\n"
        "MRR, nDCG), answers (must_include, abstention) and citations (precision, recall).\n"
        "Writes OUT/report.md, OUT/results.json and plots (PNG) into OUT (default:\n"
        "eval/reports/latest), and prints the report's path. The index is only read.",
        "  rag eval                                   # eval/questions.jsonl, all splits, 3 modes\n"
        "  rag eval --split dev --modes hybrid -k 3,5\n"
        "  rag eval --questions my.jsonl --out /tmp/report --json",
    )
    p.add_argument(
        "--questions",
        default="eval/questions.jsonl",
        metavar="FILE",
        help="JSONL question file (default: eval/questions.jsonl)",
    )
    p.add_argument(
        "--modes",
        type=_choices_list(RETRIEVAL_MODES, "modes"),
        default="hybrid,dense,bm25",
        help="comma-separated retrieval modes to compare (default: hybrid,dense,bm25)",
    )
    p.add_argument(
        "-k",
        type=_k_list,
        default=None,
        metavar="K[,K...]",
        help=f"comma-separated papers per answer to compare, each {k_range} (default: ask_k, {retrieval.ask_k})",
    )
    p.add_argument(
        "--answer-modes",
        type=_choices_list(ANSWER_MODES, "answer-modes"),
        default="auto",
        help="comma-separated: auto, extractive, llm (default: auto)",
    )
    p.add_argument("--split", choices=["dev", "test"], default=None, help="only this split (default: all)")
    p.add_argument(
        "--out", default="eval/reports/latest", metavar="DIR", help="output directory (default: eval/reports/latest)"
    )
    p.add_argument("--json", action="store_true", help="also print the summary metrics per configuration as JSON")
    p.set_defaults(func=cmd_eval)

    p = _command(
        commands,
        "check",
        "check the index is consistent; --repair fixes what a crash left",
        "Check that every stored paper is whole (chunks, sentences and manifest agree) and that the\n"
        "lexical index matches Chroma. Exits 0 when consistent, 1 when not. Without --repair it only\n"
        "reads; --repair removes stray entries and re-queues incomplete papers for the next ingest.",
        "  rag check\n  rag check --repair --json",
    )
    p.add_argument("--repair", action="store_true", help="remove stray entries, re-queue incomplete papers")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_check)

    p = _command(
        commands,
        "status",
        "what is indexed, with which model, where",
        "Show the index: papers, chunks and sentences, the embedding model, the store and collection,\n"
        "and when it was last ingested. Read-only.",
        "  rag status\n  rag status --json | jq .papers",
    )
    p.add_argument("--json", action="store_true", help="print the status as JSON")
    p.set_defaults(func=cmd_status)

    p = _command(
        commands,
        "serve",
        "serve the chat UI and the HTTP API",
        "Serve the chat UI and the JSON API (docs at /docs) on http://HOST:PORT. Binds 127.0.0.1;\n"
        "any other host requires --auth.",
        "  rag serve\n  rag serve --port 8080\n  RAG_AUTH=me:secret rag serve --host 0.0.0.0",
    )
    p.add_argument("--host", default=None, help="default: 127.0.0.1; other hosts require --auth")
    p.add_argument("--port", type=_bounded_int("port", 1, 65535), default=None, help="default: 7860")
    p.add_argument("--auth", default=None, metavar="USER:PASS", help="or RAG_AUTH; required with a non-local --host")
    p.set_defaults(func=cmd_serve)


# Commands that only read the index: a missing one is an error, never created.
READ_ONLY_COMMANDS = {"search", "ask", "summarize", "eval", "status"}


def _is_read_only(args: argparse.Namespace) -> bool:
    return args.command in READ_ONLY_COMMANDS or (args.command == "check" and not args.repair)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Bytes that are not UTF-8 reach sys.argv as lone surrogates (surrogateescape), which fail
    # deep inside a command when encoded again. Text arguments must be UTF-8; file names may
    # hold any bytes (the corpus reader shows them as \xNN).
    for name, value in vars(args).items():
        if name in ("paths", "out", "questions"):
            continue
        for text in value if isinstance(value, list) else [value]:
            bad = next((ch for ch in text if "\ud800" <= ch <= "\udfff"), None) if isinstance(text, str) else None
            if bad is not None:
                byte = f"byte 0x{ord(bad) - 0xDC00:02x}" if bad >= "\udc80" else f"U+{ord(bad):04X}"
                print(f"error: argument {name} is not valid UTF-8 ({byte}); pass text as UTF-8", file=sys.stderr)
                return 2
    try:
        with _read_only() if _is_read_only(args) else nullcontext():
            code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, while BrokenPipeError is still handled
        return code
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `rag ask --json | head`: the reader left; say nothing more (Python's own advice).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if not _from_the_store(exc):
            raise
        # A Chroma server that went away mid-run, or a damaged chroma.sqlite3: one line, not a traceback.
        settings = rag.load_settings()
        where = settings.store.chroma_url or settings.chroma_path
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        print(f"error: the Chroma store at {where} failed: {reason}", file=sys.stderr)
        return 2


def _from_the_store(exc: BaseException) -> bool:
    """Errors raised by Chroma, its HTTP client or its SQLite file."""
    module = type(exc).__module__
    return module.startswith(("chromadb", "httpx", "httpcore", "sqlite3")) or isinstance(exc, ConnectionError)


if __name__ == "__main__":
    sys.exit(main())
