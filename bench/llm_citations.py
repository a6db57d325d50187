"""Measure the citation checks on the dev set with an LLM answering.

By default a scripted OpenAI-compatible server on 127.0.0.1 replays realistic answers
built from the prompt it receives: for each of the two first sources it restates the
abstract sentence closest to the question (cited correctly); every third answer adds a
fabricated claim with a citation, every fifth adds a claim citing only a nonexistent source [9], and
questions whose sources do not help get the refusal. With ``--base-url`` a real server
(e.g. llama.cpp's) answers instead.

    .venv/bin/python bench/llm_citations.py [--base-url URL --model NAME] [--limit N]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import rag  # noqa: E402
from rag.chunking import split_sentences  # noqa: E402
from rag.evaluation import EvalConfig, load_questions, run_eval  # noqa: E402
from rag.text import content_terms  # noqa: E402
from tests.openai_server import Reply, ScriptedServer  # noqa: E402

FABRICATED = "The authors also report that the method was first validated on hospital records from Brazil"
INVALID_ONLY = "This approach has been widely adopted in industry"
SOURCE = re.compile(r'<source n="(\d+)">\nTitle: (.*?)\n(.*?)\n</source>', re.DOTALL)
fabricated_sentences: set[str] = {FABRICATED + ".", INVALID_ONLY + "."}


def realistic_reply(request: dict) -> Reply:
    prompt = request["messages"][-1]["content"]
    question = prompt.rsplit("Question: ", 1)[-1]
    terms = content_terms(question)
    sources = SOURCE.findall(prompt)[:2]
    if not sources:
        return Reply("The indexed papers do not answer this.")
    parts = []
    for n, _title, text in sources:
        sentences = split_sentences(text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
        best = max(sentences, key=lambda s: len(terms & content_terms(s)))
        # A light rewrite, as models do: drop the opening hedge and restate.
        best = re.sub(r"^(In this (paper|work), |Here, |To this end, )", "", best).rstrip(".")
        parts.append(f"{best[0].upper()}{best[1:]} [{n}].")
    serial = len(realistic_reply.calls)
    realistic_reply.calls.append(question)
    if serial % 3 == 0:
        parts.append(f"{FABRICATED} [{sources[0][0]}].")
    if serial % 5 == 0:
        parts.append(f"{INVALID_ONLY} [9].")
    return Reply(" ".join(parts))


realistic_reply.calls = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", help="a real OpenAI-compatible server instead of the scripted one")
    parser.add_argument("--model", default="scripted")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions of each kind")
    parser.add_argument("--questions", default=str(REPO / "eval" / "questions.jsonl"))
    args = parser.parse_args()

    questions = load_questions(args.questions)
    if args.limit:
        by_kind: dict[str, list] = {}
        for question in questions:
            by_kind.setdefault(question.kind, []).append(question)
        questions = [q for group in by_kind.values() for q in group[: args.limit]]
    server = None if args.base_url else ScriptedServer(realistic_reply)
    settings = rag.load_settings(
        llm_model=args.model,
        llm_base_url=args.base_url or server.url,
        llm_cache=False,
        llm_retries=0,
        llm_timeout=300.0,
        llm_max_tokens=200,
        llm_context_tokens=4096,
    )
    result = run_eval(questions, [EvalConfig(answer_mode="llm")], settings)
    run = next(iter(result.runs.values()))
    sentences = [s for q in run.questions for s in q["sentences"]]
    summary = run.summary
    print(f"\n{'questions':28s} {summary['n']}")
    print(f"{'abstention accuracy':28s} {summary['abstention_accuracy']}")
    print(f"{'sentences supported':28s} {summary['overall'].get('supported')}")
    print(f"{'citation validity (raw)':28s} {summary['overall'].get('citation_validity')}")
    print(f"{'LLM fallbacks':28s} {summary['overall'].get('llm_fallback')}")
    if server:
        flagged = [(s["text"] in fabricated_sentences, s["supported"]) for s in sentences]
        fabricated = [supported for is_fake, supported in flagged if is_fake]
        faithful = [supported for is_fake, supported in flagged if not is_fake]
        print(f"{'fabricated flagged':28s} {fabricated.count(False)}/{len(fabricated)}")
        print(f"{'faithful marked supported':28s} {faithful.count(True)}/{len(faithful)}")
        server.close()


if __name__ == "__main__":
    main()
