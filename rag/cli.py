"""The `rag` command line: a few lines over each public library function.

Only argparse and the light parts of `rag` load before a command runs, so `rag --help`
answers at once; each command imports what it needs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import rag
from rag.errors import RagError
from rag.types import ANSWER_MODES, RETRIEVAL_MODES


def _print_json(value) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


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


def cmd_search(args: argparse.Namespace) -> int:
    hits = rag.search(args.query, k=args.k, mode=args.mode, source=args.source)
    if args.json:
        _print_json(hits.to_dict())
        return 0
    for rank, hit in enumerate(hits, start=1):
        print(f"{rank:2d}. [{hit.score:.4f}] {hit.title}  ({hit.source})")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    events = rag.ask_stream(
        args.question, k=args.k, mode=args.mode, source=args.source, answer_mode=args.answer_mode, stream=args.stream
    )
    answer = None
    streamed = False
    for event in events:
        if event.kind == "token":
            # Tokens go to stderr under --json so stdout stays one JSON document.
            print(event.text, end="", flush=True, file=sys.stderr if args.json else sys.stdout)
            streamed = True
        else:
            answer = event.answer
    if streamed:
        print(file=sys.stderr if args.json else sys.stdout)
    if answer.notice:
        print(f"note: {answer.notice}", file=sys.stderr)
    if args.json:
        _print_json(answer.to_dict())
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
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    ks = [int(k) for k in args.k.split(",")] if args.k else [settings.retrieval.ask_k]
    answer_modes = [a.strip() for a in args.answer_modes.split(",") if a.strip()]
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


def cmd_status(args: argparse.Namespace) -> int:
    _print_json(rag.status().to_dict())
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Cited question answering over research-paper abstracts.")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("ingest", help="parse, chunk, embed and store the corpus (default: data/)")
    p.add_argument("paths", nargs="*", help="files or directories (.txt listings, .jsonl, .csv)")
    p.add_argument("--prune", action="store_true", help="remove stored papers that are not in these paths")
    p.add_argument("--json", action="store_true", help="print the ingest report as JSON")
    p.set_defaults(func=cmd_ingest)

    def retrieval_options(p: argparse.ArgumentParser, k_default: int | None) -> None:
        p.add_argument("-k", type=int, default=k_default, help="number of papers")
        p.add_argument("--mode", choices=RETRIEVAL_MODES, default=None, help="retrieval mode (default: retrieval_mode)")
        p.add_argument("--source", default=None, help="only papers from this corpus file (e.g. 000_x.txt)")
        p.add_argument("--json", action="store_true", help="machine-readable output")

    p = commands.add_parser("search", help="find papers")
    p.add_argument("query")
    retrieval_options(p, None)
    p.set_defaults(func=cmd_search)

    p = commands.add_parser("ask", help="answer a question with citations")
    p.add_argument("question")
    retrieval_options(p, None)
    p.add_argument("--answer-mode", choices=ANSWER_MODES, default=None, help="default: auto")
    p.add_argument("--stream", action="store_true", help="print the LLM's answer as it is written")
    p.set_defaults(func=cmd_ask)

    p = commands.add_parser("summarize", help="a cited, themed summary of what the papers say about a topic")
    p.add_argument("topic")
    p.add_argument("--max-papers", type=int, default=None, help="most on-topic papers to include (default 30)")
    p.add_argument("--format", choices=["md", "json"], default="md", help="Markdown (default) or JSON")
    p.add_argument("--answer-mode", choices=ANSWER_MODES, default=None, help="default: auto")
    p.add_argument("--out", default=None, help="write to this file instead of stdout")
    p.set_defaults(func=cmd_summarize)

    p = commands.add_parser("eval", help="score a question set; writes a Markdown report, JSON and plots")
    p.add_argument("--questions", default="eval/questions.jsonl", help="JSONL question file")
    p.add_argument("--modes", default="hybrid,dense,bm25", help="comma-separated retrieval modes to compare")
    p.add_argument("-k", default=None, help="comma-separated papers per answer to compare (default: ask_k)")
    p.add_argument("--answer-modes", default="auto", help="comma-separated: auto, extractive, llm")
    p.add_argument("--split", choices=["dev", "test"], default=None, help="only this split (default: all)")
    p.add_argument("--out", default="eval/reports/latest", help="output directory")
    p.add_argument("--json", action="store_true", help="print the summary metrics per configuration as JSON")
    p.set_defaults(func=cmd_eval)

    p = commands.add_parser("check", help="check the index is consistent; --repair fixes what a crash left")
    p.add_argument("--repair", action="store_true", help="remove stray entries, re-queue incomplete papers")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_check)

    p = commands.add_parser("status", help="what is indexed, with which model, where")
    p.set_defaults(func=cmd_status)

    p = commands.add_parser("serve", help="serve the chat UI and the HTTP API")
    p.add_argument("--host", default=None, help="default 127.0.0.1; other hosts require --auth")
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--auth", default=None, help="user:pass (or RAG_AUTH); required with a non-local --host")
    p.set_defaults(func=cmd_serve)
    return parser


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
        return args.func(args)
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
