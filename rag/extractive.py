"""The embedded default answerer: grounded, extractive answers with [n] citations.

No generative model is involved. The answer is made only of sentences copied from the
retrieved abstracts, each introduced by the short name and number of the paper it came
from; the layout follows the question (a passage, or one line per paper). When the papers
do not answer, it abstains and says what is missing instead of quoting loosely related text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from rag.evidence import (
    ELABORATES,
    PROPOSAL,
    SAYS_HOW,
    Evidence,
    ScoredSentence,
    abstract_text,
    defines_name,
    mentions,
    method_part_bonus,
    names_answer,
    names_written,
    quoted_terms,
    split_compounds,
    uses_name,
    written,
)
from rag.focus import (
    SINGULAR_HOW,
    Focus,
    asked_of_subject,
    asked_terms,
    introduced_name,
    resolve_followup,
    short_name,
    standalone_text,
)
from rag.prompts import NOT_IN_CORPUS
from rag.summary_select import CONTRIBUTION
from rag.text import contains_phrase, content_terms, coverage, key_phrases, spoken_list
from rag.types import Answer, AnswerSentence, AskEvent, Citation, Notice, Theme

if TYPE_CHECKING:
    from rag.summary_select import Candidate


def abstention(evidence: Evidence) -> Answer:
    """No answer, no citations; the closest papers still come back as sources for the reader."""
    message = NOT_IN_CORPUS
    if evidence.missing:
        message += f" {evidence.missing}"
    elif evidence.unknown_names:
        names = spoken_list([repr(name) for name in evidence.unknown_names])
        message += f" None of them mentions {names}."
    return Answer(answer=message, abstained=True, citations=[], sources=evidence.sources())


def readable(evidence: Evidence) -> list[ScoredSentence]:
    """Sentences of citable papers that make sense on their own, best first. A sentence that asks
    a question ("is it possible to ...?") restates the question; it never answers it."""
    citable = set(evidence.citable) if evidence.focus is not None else None
    return [
        c
        for c in evidence.scored
        if (citable is None or c.sentence.paper_id in citable)
        and standalone_text(c.sentence.text) is not None
        and not c.sentence.text.rstrip().endswith("?")
    ]


def many_answer(evidence: Evidence) -> bool:
    """Whether several papers answer about as well as the best one (then each gets its line)."""
    best: dict[str, float] = {}
    for candidate in readable(evidence):  # best first: a paper's first sentence is its best
        best.setdefault(candidate.sentence.paper_id, candidate.score)
    if not best:
        return False
    top = max(best.values())
    strong = [score for score in best.values() if score >= top * evidence.settings.relative_floor]
    return len(strong) >= evidence.settings.many_papers


def one_per_paper(evidence: Evidence) -> list[ScoredSentence]:
    """For list and comparison questions: each citable paper's line, best papers first. A line says
    what the paper does (its contribution, or a sentence using the name it introduces) rather than
    its background; a comparison line adds the paper's best other sentences (one, or two when at
    most compare_few_papers are compared), so papers can be set side by side."""
    by_paper: dict[str, list[ScoredSentence]] = {}
    for candidate in readable(evidence):
        by_paper.setdefault(candidate.sentence.paper_id, []).append(candidate)
    compare = evidence.focus is not None and evidence.focus.shape == "compare"
    # "Compare GenARM and DeAL": the papers named, and no others.
    if compare and len(named := evidence.focus_papers & by_paper.keys()) >= 2:
        by_paper = {paper_id: by_paper[paper_id] for paper_id in by_paper if paper_id in named}
    size = 1
    if compare:
        settings = evidence.settings
        few = len(by_paper) <= settings.compare_few_papers
        size = settings.compare_few_line_sentences if few else settings.compare_line_sentences
    lines = [paper_line(evidence, candidates, size) for candidates in by_paper.values()]
    lines.sort(key=lambda line: -max(c.score for c in line))
    return [c for line in lines[: evidence.settings.list_k] for c in line]


def paper_line(evidence: Evidence, candidates: list[ScoredSentence], size: int) -> list[ScoredSentence]:
    """A paper's sentences for its line (``candidates`` are best first). The line opens with what
    the paper does: its proposal ("we propose X"), else a sentence about its own work or using
    the name it introduces, when that sentence is within line_does_floor of the paper's best;
    a comparison line adds the paper's best other sentences (within same_paper_floor)."""
    name = introduced_name(evidence.title(candidates[0].sentence.paper_id))
    floor = candidates[0].score * evidence.settings.same_paper_floor

    def does(candidate: ScoredSentence) -> int:
        text = candidate.sentence.text
        if PROPOSAL.search(text):
            return 2
        return int(CONTRIBUTION.search(text) is not None or (name != "" and mentions(text, name)))

    # The line opens with what the paper does, from a wider range than the quotes that follow it.
    line_floor = candidates[0].score * evidence.settings.line_does_floor
    line = [max((c for c in candidates if c.score >= line_floor), key=lambda c: (does(c), c.score))]
    for candidate in candidates:
        if len(line) == size:
            break
        if candidate is not line[0] and candidate.score >= floor:
            line.append(candidate)
    return line


def asked_gap(evidence: Evidence, chosen: list[ScoredSentence]) -> str:
    """What is missing when the quotes (and their papers' titles) hold almost none of what the
    question asks about its subject: "Does SpeechBrain support speaker diarization?" answered
    with sentences that never mention diarization."""
    focus = evidence.focus
    asked = asked_terms(focus) if focus else set()
    if not asked or evidence.snapshot is None:
        return ""
    idf, unseen = evidence.snapshot.idf
    text = " ".join([c.sentence.text for c in chosen] + [evidence.title(c.sentence.paper_id) for c in chosen])
    # Other names asked of a subject are part of what is asked: "get rid of PPO" in "How does SuperHF ...".
    asked_of, _ = asked_of_subject(focus)
    others = [n for n in focus.names if n != asked_of] if asked_of else []
    asked |= content_terms(" ".join(others))
    have = content_terms(text) | names_written(text, others)
    if coverage(asked, have, idf, unseen) >= evidence.settings.answer_min_coverage:
        return ""
    subject = spoken_list(focus.names) or "this topic"
    return f"The indexed papers mention {subject}, but no passage found is about what was asked."


def names_not_covered(evidence: Evidence, chosen: list[ScoredSentence]) -> list[str]:
    """The names the question asks about that neither the quotes nor the quoted papers' titles use:
    quoting them would answer about something else."""
    if evidence.focus is None:
        return []
    texts = [c.sentence.text for c in chosen] + [evidence.title(c.sentence.paper_id) for c in chosen]
    texts = [split_compounds(text, evidence.focus.names) for text in texts]
    return [name for name in evidence.focus.names if not any(uses_name(text, name) for text in texts)]


def unnamed_gap(evidence: Evidence, chosen: list[ScoredSentence]) -> str:
    """What is missing when the quoted papers use none of the names the question asks about, or
    never use a specific one (a name few other papers use, such as H100 or VoxCeleb): the quotes
    would answer about something else. Common names (LLM, ImageNet) may go unsaid."""
    unnamed = names_not_covered(evidence, chosen)
    if not unnamed or evidence.snapshot is None:
        return ""
    papers = {c.sentence.paper_id for c in chosen}
    abstracts = [abstract_text(evidence.title(p), evidence.sentences[p]) for p in papers]
    # Names the quoted papers do not use anywhere: the quotes are about something else. A name
    # no paper uses is the unknown-name rule's (very strong evidence may still answer).
    absent = [n for n in unnamed if not any(written(text, n) for text in abstracts)]
    specific = [n for n in absent if 0 < evidence.snapshot.paper_share(n) <= evidence.settings.specific_name_share]
    if len(absent) < len(evidence.focus.names) and not specific:
        return ""
    said = [n for n in evidence.focus.names if n not in absent]
    if said:
        return f"The passages found are about {spoken_list(said)}, but none of them mentions {spoken_list(specific)}."
    return f"The indexed papers mention {spoken_list(absent)}, but no passage found says what was asked."


def select_sentences(evidence: Evidence) -> list[ScoredSentence]:
    """The best sentences within relative_floor of the best, at most a few per paper, no near-repeats."""
    settings = evidence.settings
    chosen: list[ScoredSentence] = []
    per_paper: dict[str, int] = {}
    candidates = readable(evidence)
    best = candidates[0].score if candidates else 0.0
    # The answering paper: the best-retrieved one that answers within relative_floor of the best
    # sentence. Retrieval ranks papers better than one sentence's score does (MRR 0.98).
    strong = [c for c in candidates if c.score >= best * settings.relative_floor]
    top_paper = min(strong, key=lambda c: c.paper_rank).sentence.paper_id if strong else ""
    # A question asking for one thing (which method, what is X, how much, how does X work) is
    # answered by one paper: the best-retrieved one that answers (retrieval ranks papers better
    # than one sentence's score does), quoted at more length rather than beside a weaker paper.
    cap = settings.max_sentences_per_paper
    open_question = not asks_for_one(evidence.focus)
    if not open_question:
        candidates = by_method_part(evidence, [c for c in candidates if c.sentence.paper_id == top_paper])
        cap = settings.single_paper_sentences
    candidates = without_background(evidence, candidates)
    # When the background ("Recent works have shown ...") held every sentence above the floors, they
    # are relative to the best sentence left: OVOR's "we propose a regularization method based on
    # virtual outliers" is quoted rather than nothing.
    left = max((c.score for c in candidates), default=best)
    if left < best * min(settings.same_paper_floor, settings.relative_floor):
        best = left
    other_floor = best * settings.relative_floor
    for candidate in candidates:
        if len(chosen) == settings.max_answer_sentences:
            break
        same = candidate.sentence.paper_id == top_paper
        paper_id = candidate.sentence.paper_id
        # An open question draws on each paper whose title is its topic, with that paper's best sentence.
        on_topic = open_question and paper_id in evidence.titled and paper_id not in per_paper
        if candidate.score < (best * settings.same_paper_floor if same else other_floor) and not on_topic:
            continue
        if per_paper.get(paper_id, 0) >= cap:
            continue
        if any(float(candidate.sentence.vector @ c.sentence.vector) > settings.redundancy_cosine for c in chosen):
            continue
        chosen.append(candidate)
        per_paper[paper_id] = per_paper.get(paper_id, 0) + 1
    chosen = with_proposal(evidence, with_naming_sentence(evidence, chosen, candidates), candidates)
    chosen = with_how(evidence, chosen, candidates)
    chosen = with_antecedents(evidence, with_solution(evidence, chosen, candidates))
    return with_stated_fact(evidence, with_how_from_others(evidence, chosen))


def with_stated_fact(evidence: Evidence, chosen: list[ScoredSentence]) -> list[ScoredSentence]:
    """The sentence that states the fact asked for ("…train a … model with 1B shared parameters … on
    preemptible T4 GPUs" for "what size of model, on what hardware?") is what made the question
    answerable; when the best-scoring quotes left it out, it replaces the weakest quote of its paper
    (or of the answer, when its paper had none)."""
    quoted = {(c.sentence.paper_id, c.sentence.position) for c in chosen}
    readable_now = {(c.sentence.paper_id, c.sentence.position) for c in readable(evidence)}
    for fact in evidence.stating:
        key = (fact.sentence.paper_id, fact.sentence.position)
        if key in quoted or not chosen:
            continue
        # "This enables us to predict the validation loss of a 1.4B parameter, 900B token run": a fact
        # that reads only after the sentence before it is quoted with that sentence.
        before = None
        if key not in readable_now:
            before = next(
                (
                    c
                    for c in evidence.scored
                    if c.sentence.paper_id == fact.sentence.paper_id
                    and c.sentence.position == fact.sentence.position - 1
                    and (c.sentence.paper_id, c.sentence.position) in readable_now
                ),
                None,
            )
            if before is None:
                continue
        added = [
            c for c in (before, fact) if c is not None and (c.sentence.paper_id, c.sentence.position) not in quoted
        ]
        same = [c for c in chosen if c.sentence.paper_id == fact.sentence.paper_id]
        while chosen and (
            len(chosen) + len(added) > evidence.settings.max_answer_sentences
            or len(same) + len(added) > evidence.settings.single_paper_sentences
        ):
            weakest = min(same or chosen, key=lambda c: c.score)
            chosen = [c for c in chosen if c is not weakest]
            same = [c for c in same if c is not weakest]
        chosen = [*chosen, *added]
        quoted |= {(c.sentence.paper_id, c.sentence.position) for c in added}
    return chosen


def by_method_part(evidence: Evidence, candidates: list[ScoredSentence]) -> list[ScoredSentence]:
    """One paper's sentences for "how does X ...?", re-ranked by the part of the abstract they are in
    (:func:`rag.evidence.method_part_bonus`)."""
    if evidence.focus is None or evidence.focus.shape != "mechanism" or not candidates:
        return candidates
    bonus = method_part_bonus(evidence.sentences[candidates[0].sentence.paper_id], evidence.settings)
    adjusted = [replace(c, score=c.score + bonus.get(c.sentence.position, 0.0)) for c in candidates]
    return sorted(adjusted, key=lambda c: (-c.score, c.sentence.position))


# "In this work, we address ...", "Here, we ...": where an abstract turns from the field to its own work.
OWN_WORK_OPENS = re.compile(r"^(In this (work|paper|study|report)|Here),? we\b")


def starts_own_work(text: str, focus: Focus) -> bool:
    return PROPOSAL.search(text) is not None or OWN_WORK_OPENS.match(text) is not None or defines_name(text, focus)


def without_background(evidence: Evidence, candidates: list[ScoredSentence]) -> list[ScoredSentence]:
    """ "What is X?" or "how does X work?": the sentences of a paper before its proposal describe
    the field and earlier work ("Large vision-language models such as CLIP ...", "recent work CoOp
    introduced ..."), not X; they stay out unless they use a name the question asks about.
    On dev this removed 10 background quotes and no must-include string ("which" questions lost
    some: their answer may be the finding stated before a later "we propose")."""
    focus = evidence.focus
    if focus is None or focus.shape not in ("definition", "mechanism") or not candidates:
        return candidates
    proposals = {}
    for paper_id in {c.sentence.paper_id for c in candidates}:
        proposals[paper_id] = next(
            (s.position for s in evidence.sentences[paper_id] if starts_own_work(s.text, focus)),
            -1,
        )
    # "What is neural collapse?": a phenomenon the paper studies is defined in its background ("a
    # 'neural collapse' behavior has been observed: ..."); a sentence holding the whole asked phrase
    # says what it is.
    phrases = [p for p in key_phrases(focus.question) if len(p) > 1] if focus.shape == "definition" else []
    return [
        c
        for c in candidates
        if c.sentence.position >= proposals[c.sentence.paper_id]
        or any(mentions(c.sentence.text, name) for name in focus.names)
        or any(contains_phrase(c.sentence.text, phrase) for phrase in phrases)
    ]


def with_proposal(
    evidence: Evidence, chosen: list[ScoredSentence], candidates: list[ScoredSentence]
) -> list[ScoredSentence]:
    """A "what is X?" answer from the paper about X (its title is the topic or introduces the name)
    quotes where that paper proposes it ("Here, we introduce an algorithm that explicitly uncovers
    the multiple facets of each neuron ..."), not only a result sentence that repeats the name. A
    mechanism answer does the same (see with_proposal_saying_how)."""
    focus = evidence.focus
    if focus is None or focus.shape not in ("definition", "mechanism") or not chosen:
        return chosen
    paper_id = chosen[0].sentence.paper_id
    if focus.shape == "mechanism":
        return with_proposal_saying_how(evidence, chosen, candidates)
    if paper_id not in evidence.titled | evidence.focus_papers:
        return chosen
    # Only into room left: the quotes already chosen outscored it, and one may define X without "we propose".
    if len(chosen) >= evidence.settings.single_paper_sentences or any(
        PROPOSAL.search(c.sentence.text) or defines_name(c.sentence.text, focus) for c in chosen
    ):
        return chosen
    proposal = next(
        (c for c in candidates if c.sentence.paper_id == paper_id and PROPOSAL.search(c.sentence.text)), None
    )
    return chosen if proposal is None else [*chosen, proposal]


def with_proposal_saying_how(
    evidence: Evidence, chosen: list[ScoredSentence], candidates: list[ScoredSentence]
) -> list[ScoredSentence]:
    """A one-paper answer to "How can noisy/clean pairs be obtained without ...?" whose quotes only
    report what the method achieves ("Our procedure allows us to easily produce aligned ... pairs")
    quotes where the paper proposes it ("we propose a method that synthesizes nighttime images from
    daytime images"), in place of its weakest quote."""
    paper_id = chosen[0].sentence.paper_id
    # "by training neural ISPs" in a result sentence is no account of how the method works.
    if any(c.sentence.paper_id != paper_id for c in chosen) or any(PROPOSAL.search(c.sentence.text) for c in chosen):
        return chosen
    proposal = next(
        (c for c in candidates if c.sentence.paper_id == paper_id and PROPOSAL.search(c.sentence.text)), None
    )
    if proposal is None:
        return chosen
    if len(chosen) >= evidence.settings.single_paper_sentences:
        weakest = min(chosen, key=lambda c: c.score)
        chosen = [c for c in chosen if c is not weakest]
    return [*chosen, proposal]


def with_how(
    evidence: Evidence, chosen: list[ScoredSentence], candidates: list[ScoredSentence]
) -> list[ScoredSentence]:
    """A "how does X work?" or "what is X?" answer that quotes "we propose X" also quotes the
    sentence after it, where abstracts say how X works, in place of its weakest other quote."""
    focus = evidence.focus
    if focus is None or focus.shape not in ("mechanism", "definition") or not chosen:
        return chosen
    proposal = next((c for c in chosen if PROPOSAL.search(c.sentence.text)), None)
    if proposal is None and asks_for_one(focus):
        # "...and present LightWaveS: a framework for ..." introduces the name without "we propose".
        # Only in a one-paper answer: elsewhere the added sentence would push out another paper.
        proposal = next((c for c in chosen if defines_name(c.sentence.text, focus)), None)
    if proposal is None:
        return chosen
    paper_id, position = proposal.sentence.paper_id, proposal.sentence.position
    after = next(
        (c for c in candidates if c.sentence.paper_id == paper_id and c.sentence.position == position + 1), None
    )
    if after is None or after in chosen:
        return chosen
    if len(chosen) >= evidence.settings.single_paper_sentences:
        # A quote that already details how ("Instead, ... we compute the residual vector") stays.
        evictable = [c for c in chosen if c is not proposal and not ELABORATES.match(c.sentence.text)]
        if not evictable:
            return chosen
        weakest = min(evictable, key=lambda c: c.score)
        chosen = [c for c in chosen if c is not weakest]
    return [*chosen, after]


# A sentence answering the one before it: "To alleviate this, we offer ...", "We mitigate it by ...".
RESPONDS = re.compile(
    r"^(To (alleviate|address|tackle|overcome|mitigate|solve|remedy|fix|handle|counter) "
    r"(this|these|it|them|such|the)\b|To this end\b|"
    # "In this work, we address the problem by disentangling ...".
    r"(In this (work|paper|study), )?[Ww]e (alleviate|address|tackle|overcome|mitigate|solve|remedy|fix|handle) "
    r"(this|these|it|them|the (problem|issue|challenge|limitation)s?)\b)"
)


# "This is achieved by optimizing ...", "It does so via ...": how the claim just before it is met.
CONTINUES_HOW = re.compile(
    r"^(This|It|These|Such \w+)\b[^.;]{0,40}?\b(achieved|accomplished|done|enabled|realized|made possible|"
    r"implemented|obtained|does so)\s+(by|via|through|using)\b"
)


def with_solution(
    evidence: Evidence, chosen: list[ScoredSentence], candidates: list[ScoredSentence]
) -> list[ScoredSentence]:
    """A "how does X ...?" answer quoting a problem ("the main challenge is high-frequency detail")
    also quotes the next sentence when it answers that problem ("To alleviate this, we offer a
    coarse-to-fine ..."): that is the how, and it reads after the sentence it depends on."""
    focus = evidence.focus
    if focus is None or focus.shape != "mechanism":
        return chosen
    for problem in list(chosen):
        paper_id, position = problem.sentence.paper_id, problem.sentence.position
        answer = next(
            (c for c in candidates if c.sentence.paper_id == paper_id and c.sentence.position == position + 1), None
        )
        if answer is None or answer in chosen or not RESPONDS.match(answer.sentence.text):
            # "ZeroQ enables quantization without any data. This is achieved by optimizing for a
            # Distilled Dataset ...": the how, readable only after the sentence before it.
            answer = next(
                (
                    c
                    for c in evidence.scored
                    if c.sentence.paper_id == paper_id
                    and c.sentence.position == position + 1
                    and CONTINUES_HOW.match(c.sentence.text)
                ),
                None,
            )
            if answer is None or answer in chosen:
                continue
        same = [c for c in chosen if c.sentence.paper_id == paper_id and c is not problem]
        if len(chosen) >= evidence.settings.single_paper_sentences and same:
            weakest = min(same, key=lambda c: c.score)
            chosen = [c for c in chosen if c is not weakest]
        chosen = [*chosen, answer]
    return chosen


# "Unlike a conventional ensemble, we may average many models ... -- we call the results "model soups"":
# the name is given to what the sentence before describes ("averaging the weights of ...").
NAMES_WHAT_CAME_BEFORE = re.compile(
    r"\bwe (?:call|term|dub|name|refer to) (?:this|these|it|them|"
    r"the (?:results?|resulting|combination|approach|method|procedure|technique|framework)\b)",
    re.I,
)


def says_what_name_is(text: str, names: tuple[str, ...]) -> bool:
    """ "... and an inference-time technique, Flow-NRG, which applies reward guidance ...": the
    name in apposition, followed by what it is or does."""
    return any(re.search(_name_apposition(name), text) is not None for name in names if mentions(text, name))


GIVES_NAME = re.compile(r"\b(?:we call|we term|we dub|called|termed|dubbed|referred to as|known as)\b", re.I)


def gives_quoted_name(text: str, terms: tuple[str, ...]) -> bool:
    """ "... points in the word-embedding space we call "pseudo-words" ...": the sentence naming a
    term the question quotes."""
    return GIVES_NAME.search(text) is not None and any(mentions(text, term) for term in terms)


def _name_apposition(name: str) -> str:
    return rf"(?<![\w-]){re.escape(name)}(?:\s*\([^)]*\))?,\s+(?:which|that|an?)\s"


def with_antecedents(evidence: Evidence, chosen: list[ScoredSentence]) -> list[ScoredSentence]:
    """A one-paper answer about a name also quotes what reads only after the sentence before it,
    with that sentence: the description that "we call the results X" names, and the best sentence
    saying what X is that opens with a reference back ("These include ..., Flow-NRG, which applies
    reward guidance ..."); the pair is joined in the answer (see quoted_sentences)."""
    focus = evidence.focus
    if not asks_for_one(focus) or focus.shape not in ("definition", "mechanism", "which") or not chosen:
        return chosen
    paper_id = chosen[0].sentence.paper_id
    own = [c for c in evidence.scored if c.sentence.paper_id == paper_id]
    at = {c.sentence.position: c for c in own}
    pairs: list[ScoredSentence] = []
    for c in chosen:
        if c.sentence.paper_id == paper_id and NAMES_WHAT_CAME_BEFORE.search(c.sentence.text):
            pairs += readable_run_before(at, c.sentence.position)
    floor = own[0].score * evidence.settings.same_paper_floor if own else 0.0
    quoted = tuple(quoted_terms(focus.question)) if focus.shape == "definition" else ()
    referring = next(
        (
            c
            for c in own
            if c.score >= floor
            and standalone_text(c.sentence.text) is None
            and (says_what_name_is(c.sentence.text, focus.names) or gives_quoted_name(c.sentence.text, quoted))
        ),
        None,
    )
    run = readable_run_before(at, referring.sentence.position) if referring else []
    if referring and run:
        pairs += [*run, referring]
    present = {id(c) for c in chosen}
    added = list({id(c): c for c in pairs if id(c) not in present}.values())
    if not added:
        return chosen
    keep = {id(c) for c in pairs}
    room = evidence.settings.single_paper_sentences - len(added)
    evictable = sorted((c for c in chosen if id(c) not in keep), key=lambda c: c.score)
    while len(chosen) > room and evictable:
        weakest = evictable.pop(0)
        chosen = [c for c in chosen if c is not weakest]
    return [*chosen, *added]


def readable_run_before(at: dict[int, ScoredSentence], position: int, most: int = 2) -> list[ScoredSentence]:
    """The sentences a sentence at ``position`` reads after, back to one that reads alone: "We refer
    to this phenomenon as internal covariate shift" follows "This slows down the training ...",
    which follows the sentence saying what the phenomenon is. Empty when none within ``most``."""
    run: list[ScoredSentence] = []
    for back in range(1, most + 1):
        before = at.get(position - back)
        if before is None:
            return []
        run.insert(0, before)
        if standalone_text(before.sentence.text) is not None:
            return run
    return []


def with_how_from_others(evidence: Evidence, chosen: list[ScoredSentence]) -> list[ScoredSentence]:
    """When the quotes of the paper asked about never say how ("by projecting ..."), the best
    sentence of another paper that says how the asked name works joins them, cited to that
    paper: "GaLore, a recent method, reduces memory usage by projecting weight gradients ..."."""
    focus = evidence.focus
    if focus is None or focus.shape != "mechanism" or not focus.names or not chosen:
        return chosen
    if any(SAYS_HOW.search(c.sentence.text) for c in chosen):
        return chosen
    answering = {c.sentence.paper_id for c in chosen}
    # "How does SuperHF get rid of PPO in the RLHF pipeline?" asks how SuperHF works, not RLHF.
    subject, _ = asked_of_subject(focus)
    names = (subject,) if subject else focus.names
    explains = next(
        (
            c
            for c in readable(evidence)
            if c.sentence.paper_id not in answering and says_how_name_works(c.sentence.text, names)
        ),
        None,
    )
    return chosen if explains is None else [*chosen, explains]


def says_how_name_works(text: str, names: tuple[str, ...]) -> bool:
    """The name is the subject of a "by ...ing" clause ("GaLore ... reduces memory by projecting"),
    in a sentence that does not propose something else ("we introduce Q-GaLore ... by combining")."""
    how = SAYS_HOW.search(text)
    if how is None or PROPOSAL.search(text):
        return False
    return any(mentions(text[: how.start()], name) for name in names)


def asks_for_one(focus: Focus | None) -> bool:
    """Which X, what is X, how much, or how does/did one thing work ("How do methods ...?" asks for several)."""
    if focus is None:
        return False
    return focus.shape in ("which", "definition", "quantity") or (
        focus.shape == "mechanism" and SINGULAR_HOW.match(focus.question) is not None
    )


def with_naming_sentence(
    evidence: Evidence, chosen: list[ScoredSentence], candidates: list[ScoredSentence]
) -> list[ScoredSentence]:
    """A "which X" answer must name the X: when no chosen sentence introduces a name or the asked
    kind of thing ("we propose an adaptive ... mechanism"), the answering paper's best such
    sentence replaces its weakest quote."""
    focus = evidence.focus
    if focus is None or focus.shape != "which" or not chosen:
        return chosen
    if any(names_answer(c.sentence.text, focus) for c in chosen):
        return chosen
    top_paper = chosen[0].sentence.paper_id
    naming = next(
        (c for c in candidates if c.sentence.paper_id == top_paper and names_answer(c.sentence.text, focus)), None
    )
    if naming is None:
        return chosen
    same = [c for c in chosen if c.sentence.paper_id == top_paper]
    cap = evidence.settings.single_paper_sentences if asks_for_one(focus) else evidence.settings.max_sentences_per_paper
    if len(same) >= cap or len(chosen) >= evidence.settings.max_answer_sentences:
        chosen = [c for c in chosen if c is not same[-1]]
    return [*chosen, naming]


def extractive_answer(evidence: Evidence) -> Answer:
    """Quote the best sentences of the retrieved abstracts, or abstain."""
    if not evidence.answerable:
        return abstention(evidence)
    # Questions about several papers get one line per relevant paper, covering all of them.
    listing = evidence.focus is not None and (
        evidence.focus.shape in ("list", "compare") or (evidence.focus.shape == "synthesis" and many_answer(evidence))
    )
    chosen = one_per_paper(evidence) if listing else select_sentences(evidence)
    if not chosen:
        return abstention(evidence)
    if not listing and (gap := asked_gap(evidence, chosen)):
        evidence.missing = gap
        return abstention(evidence)
    if gap := unnamed_gap(evidence, chosen):
        evidence.missing = gap
        return abstention(evidence)
    # Papers in retrieval order (the paper introducing an asked name first), each once.
    cited_order = list(dict.fromkeys(c.sentence.paper_id for c in sorted(chosen, key=lambda c: c.paper_rank)))
    sources = evidence.sources(cited_order)
    number_of = {s.paper_id: s.n for s in sources}

    # Read like a passage: papers in citation order, each paper's sentences in abstract order.
    ordered = sorted(chosen, key=lambda c: (cited_order.index(c.sentence.paper_id), c.sentence.position))
    titles = {s.paper_id: s.title for s in sources}
    leads = {pid: paper_lead(titles[pid], evidence.focus, listing) for pid in cited_order}
    answer_sentences = quoted_sentences(ordered, number_of, leads)
    paragraphs = []
    for paper_id in cited_order:
        n = number_of[paper_id]
        quotes = " ".join(s.text for s in answer_sentences if s.citations == (n,))
        paragraphs.append(f"{'- ' if listing else ''}**{leads[paper_id]}** [{n}]: {quotes}")
    if listing:
        paragraphs.insert(0, f"{len(cited_order)} of the retrieved papers address this:")
    citations = [
        Citation(n=number_of[pid], paper_id=pid, title=sources[number_of[pid] - 1].title) for pid in cited_order
    ]
    return Answer(
        answer=("\n" if listing else "\n\n").join(paragraphs),
        layout="list" if listing else "passage",
        abstained=False,
        citations=citations,
        sources=sources,
        mode="extractive",
        sentences=answer_sentences,
    )


def quoted_sentences(
    ordered: list[ScoredSentence], number_of: dict[str, int], leads: dict[str, str]
) -> list[AnswerSentence]:
    """The answer's sentences, each cited to its paper; a sentence that reads only after the one
    before it ("This is achieved by ...") is joined to it, with both as its evidence."""
    quoted: list[AnswerSentence] = []
    previous: ScoredSentence | None = None
    for c in ordered:
        text = c.sentence.text
        standalone = standalone_text(text)
        follows = (
            previous is not None
            and previous.sentence.paper_id == c.sentence.paper_id
            and previous.sentence.position + 1 == c.sentence.position
        )
        if standalone is None and follows and quoted:
            joined = quoted[-1]
            quoted[-1] = replace(joined, text=f"{joined.text} {text}", evidence=(*joined.evidence, text))
        else:
            quoted.append(
                AnswerSentence(
                    text=standalone or text,
                    citations=(number_of[c.sentence.paper_id],),
                    support=1.0,
                    supported=True,
                    evidence=(text,),
                    lead=leads[c.sentence.paper_id],
                )
            )
        previous = c
    return quoted


def paper_lead(title: str, focus: Focus | None, listing: bool) -> str:
    """The paper's short name before its quotes; answering "What is X?" with the paper that
    introduces X, its title's description too ("T-JEPA (Augmentation-Free ... for Tabular Data)")."""
    short = short_name(title)
    description = title.partition(":")[2].strip()
    if listing or focus is None or focus.shape != "definition" or not description or short == title:
        return short
    if not any(name.casefold() == short.casefold() for name in focus.names):
        return short
    return f"{short} ({description})"


class ExtractiveAnswerer:
    """Quotes the abstracts. Needs no model beyond the embedder, so it is also every fallback."""

    mode = "extractive"

    def standalone_question(self, question: str, history: list[dict[str, str]]) -> tuple[str, list[Notice]]:
        """A follow-up that refers back gets the previous question's subject (no LLM needed)."""
        return resolve_followup(question, history), []

    def answer(self, evidence: Evidence, history: list[dict[str, str]], stream: bool) -> Iterator[AskEvent]:
        yield AskEvent("answer", answer=extractive_answer(evidence))

    def write_theme(
        self, topic: str, theme: Theme, members: list[Candidate], number: dict[str, int]
    ) -> tuple[Theme, list[Notice]]:
        """The theme as quoted by the summary builder: one representative sentence per paper."""
        return theme, []
