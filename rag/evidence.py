"""Evidence: everything an answerer needs about one question, gathered once.

The question is analysed (:mod:`rag.focus`), retrieved against the current index
snapshot, and the paper that introduces a name the question uses is put first. The
retrieved papers' sentences are scored against it (cosine + lexical_weight x share of its
content words, plus a bonus for the shape asked and for the focus paper). Papers that do
not hold the question's key words are not citable. Answerability is decided here, once,
for every answerer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

import numpy as np

from rag.config import AnswerSettings
from rag.focus import (
    FINDING,
    MANY_PAPER_SHAPES,
    NUMBER,
    RANKED_FINDING,
    VALUE_OF_RUN,
    Focus,
    analyze,
    asked_clause,
    asked_noun,
    asked_of_subject,
    asked_terms,
    asks_expansion,
    attribute_words,
    enumerated_examples,
    glossed_topic,
    grammatical_subject,
    handled_by_described_subject,
    introduced_name,
    is_passage,
    short_name,
    which_head,
)
from rag.rerank import closest_sentences, word_pairs
from rag.retrieval import HybridRetriever, Retrieval, fetched_first, introducers_first, papers_first
from rag.snapshot import IndexSnapshot
from rag.store import StoredSentence
from rag.text import (
    FUNCTION_WORDS,
    MODIFIERS,
    content_terms,
    coverage,
    general_zipf,
    jargon,
    sentence_score,
    spoken_list,
    stem_sequence,
    stems_contain,
    stopwords,
    topic_terms,
    uses_word,
    with_equivalents,
)
from rag.types import Hit, RetrievalMode

# What a definition says ("we propose X, a ...", "X is a ...") and how a mechanism is told ("by projecting").
DEFINES = re.compile(
    r"\b(we (propose|introduce|present|develop|call)|(is|are) an?|called|named|termed|referred to as)\b|"
    # "Our approach, T-JEPA, relies on ...": the name in apposition to what it is.
    r"\b(our|the|this) (approach|method|model|framework|system|algorithm|technique|architecture), (?-i:[A-Z])|"
    # "... enables us to address its drawbacks and present LightWaveS: a framework for ..." (not
    # "Table 2 presents BLEU scores": the name must be followed by what it is).
    r"\b(propose|introduce|present)s? (?-i:[A-Z][\w-]*[A-Z][\w-]*)(:|,| \()",
    re.I,
)
EXPLAINS = re.compile(
    r"\b((by|via|through|using) \w+ing|we (?:also |further |then |first )?(propose|introduce|present)|"
    r"which (allows|enables|lets))\b|"
    # "we simply encode tokens using random Gaussian vectors"; "to build such a model, we ...".
    r"\bwe (\w+ly )?\w+ (\w+ ){0,4}(using|via|through)\b|"
    r"\bto (build|construct|obtain|achieve|realize|implement) [^,.]{0,60}, we\b",
    re.I,
)
# The sentences of an abstract that describe the method's workings, however they are worded: "Specifically,
# the self-attention maps ... are recomputed as ...", "Our method constructs the mask out of the k
# parameters with the largest Fisher information", "First, we leverage ... to produce target
# probabilities", "the output of the encoder is used to select the nearest keys", "... through a class gate".
DESCRIBES_METHOD = re.compile(
    r"^(?:specifically|in particular|concretely|first(?:ly)?|second(?:ly)?|then|next|here|to this end|to do so|"
    r"in detail),|"
    r"\b(?:our|the proposed|this|the) (?:method|approach|model|framework|algorithm|technique|module|scheme|"
    r"architecture|strategy)\s+(?:\w+ly\s+)?(?!(?:is|was|has|does|achieves|outperforms|improves|shows|requires|"
    r"needs|yields|reaches|obtains|surpasses|performs|works|remains|scales|generalizes|demonstrates)\b)\w+s\b|"
    r"\b(?:relies on|consists of|is composed of|involves|employs|leverages|incorporat\w+|is fed|are fed|"
    # "this codebook is used, along with the input image expression label, ..., to construct a heatmap".
    r"(?:is|are) used(?:,[^.;]{0,100}?,)? to|(?:is|are) recomputed)\b|"
    r"\bvia\b|\bthrough (?:an?|the)\b",
    re.I,
)
# Says how something works: "reduces memory by projecting gradients ...".
SAYS_HOW = re.compile(r"\b(by|via|through) \w+ing\b", re.I)
PROPOSAL = re.compile(
    r"\bwe (propose|introduce|present|develop|design)\b|"
    r"\bthis (paper|work|study|report) (proposes|introduces|presents|develops|designs)\b",
    re.I,
)
# A sentence reporting a finding: "A key finding ... is that ...", "..., except for dropout, which
# demonstrates remarkable effectiveness", "X has the most significant impact".
STATES_FINDING = re.compile(
    r"\b(finding|we find|we found|reveal\w*|surprising\w*|remarkabl\w*|except (for )?|"
    r"most (significant|important|effective|influential)|(biggest|largest|greatest) (impact|effect|gain)|"
    r"key (factor|finding)s?)\b",
    re.I,
)
OWN_WORK = re.compile(r"\b(we|our)\b", re.I)
# A word with a version number: "Claude 3 Opus", "Gemini 1.5", "Llama 2" (not "Table 2").
VERSIONED = (
    r"\b(?!(?:Table|Figure|Fig|Section|Appendix|Eq|Equation|Step|Stage|Phase|Level|Type|The|In|On|At|By|For|"
    r"With|Of|To|From|Over|Under|Only|About|Around|Nearly|Almost|Up|Top|All|Each|Every|Our|Its|Their|Using|"
    r"After|Before|Within|Across|Than|And|Or|Just|Roughly|Approximately)\b)"
    r"[A-Z][a-z]+ \d+(?:\.\d+)?(?: (?-i:[A-Z][a-z]+))?(?![\w.%])"
)
VERSIONED_NAME = re.compile(VERSIONED)
# A name: "LoRA", "GPT-4", "YOLOv8", or a versioned one.
NAME_IN_TEXT = re.compile(r"\b[A-Z][A-Za-z0-9\-]*[A-Z0-9][A-Za-z0-9\-]*\b|" + VERSIONED)


def mentions(text: str, name: str) -> bool:
    """Whether ``text`` uses ``name`` as a word ("LoRA" in "adapting LoRA", not in "QLoRA"), or its plural ("GUIs")."""
    return _name_pattern(name).search(text) is not None


@lru_cache(maxsize=4096)
def _name_pattern(name: str) -> re.Pattern:
    # Text extracted from PDFs breaks names at their inner capitals: "Open- StreetMap" is OpenStreetMap.
    parts = re.split(r"(?<=[a-z])(?=[A-Z])", name)
    spelled = r"(?:-\s?|\s)?".join(re.escape(part) for part in parts)
    # "RANSAC-based" uses RANSAC; "Q-GaLore" and "GaLore-2" are other names.
    return re.compile(rf"(?<![\w-]){spelled}s?(?!\w)(?!-(?!{MODIFIERS}\b)\w)", re.I)


def mentions_variant(text: str, name: str) -> bool:
    """Whether ``text`` uses ``name`` as written or in a variant spelling: "ResNet50" for
    "ResNet-50", "LLaMA 2" for "LLaMA-2", "RoBERTa" in "RoBERTa-Base"; never another version
    ("GPT-4" is not "GPT-4o"), or "sequence-to-sequence" for "seq2seq"."""
    return _variant_pattern(name).search(text) is not None


@lru_cache(maxsize=4096)
def _variant_pattern(name: str) -> re.Pattern:
    pieces = re.split(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])|(?<=[a-z])(?=[A-Z])", re.sub(r"[-\s]", "", name))
    spelled = r"[-\s]?".join(re.escape(piece) for piece in pieces if piece)
    # "seq2seq" is "sequence-to-sequence", "img2img" "image-to-image": each part starts its word.
    short = re.fullmatch(r"([A-Za-z]{2,})2([A-Za-z]{2,})", name)
    if short:
        source, target = (re.escape(part) for part in short.groups())
        spelled = rf"(?:{spelled}|{source}[a-z]*[-\s]to[-\s]{target}[a-z]*)"
    if alias := NUMBER_FORMATS.get(name.lower()):
        spelled = rf"(?:{spelled}|{alias})"
    # A family named without a version is any of its versions: "YOLO" is "YOLOv8", "VGG" "VGGNet".
    version = r"(?:-?v?\d[\w.]*|Net)?" if name.isupper() and len(name) >= 3 else ""
    return re.compile(rf"(?<![\w-]){spelled}{version}s?(?!\w)", re.I)


# Number formats by their other names: "bf16" is what an abstract calls "BFloat16".
NUMBER_FORMATS = {
    "bf16": r"b?float16|brain[- ]float",
    "fp16": r"float16|half[- ]precision",
    "fp32": r"float32|single[- ]precision",
    "fp8": r"float8",
}


def spells_acronym(text: str, name: str) -> bool:
    """Whether ``text`` writes out an acronym ``name`` ("stochastic gradient descent" for SGD,
    "Vision Transformer" for ViT, "Low-Rank Adaptation" for LoRA, "data-efficient image
    transformers" for DeiT, "reinforcement learning from human feedback" for RLHF)."""
    pattern = _acronym_pattern(name)
    return pattern is not None and pattern.search(text) is not None


# Words an acronym skips when spelled out: the "from" of RLHF.
ACRONYM_SKIPS = r"(?:of|from|for|with|to|in|on|by|and|the)"


@lru_cache(maxsize=4096)
def _acronym_pattern(name: str) -> re.Pattern | None:
    bare = name.removesuffix("s")
    letters = sum(c.isupper() for c in bare)
    small = len(bare) - letters
    # A capital starts a word; a small letter continues one ("Lo" of Low) or starts the next ("e" of
    # efficient in DeiT). Up to two small letters: GaLore and Adam are words, not acronyms.
    if not (bare.isalpha() and 2 <= letters <= 6 and small <= 2 and bare[0].isupper()):
        return None
    next_word = r"[a-z]*[\s-]+"
    # Only a longer acronym may skip a function word: two letters across "of" match too much.
    if letters + small >= 3:
        next_word += rf"(?:{ACRONYM_SKIPS}[\s-]+)?"
    spelled = re.escape(bare[0])
    for c in bare[1:]:
        spelled += f"{next_word}{c}" if c.isupper() else f"(?:{next_word})?{c}"
    return re.compile(rf"(?<![\w-]){spelled}[a-z]*(?![\w-])", re.I)


# "(SFT)", "(C-Index)": a capitalised short name in brackets, possibly hyphenated.
DEFINED_ACRONYM = re.compile(r"\(([A-Z][A-Za-z-]{1,8})\)")


def defined_acronyms(texts: list[str]) -> dict[str, str]:
    """The acronyms an abstract defines and the words they stand for: "supervised fine-tuning (SFT)"
    lets "SFT improves the pass@1 by up to 15.92%" answer a question that says "supervised fine-tuning"."""
    found: dict[str, str] = {}
    for text in texts:
        for match in DEFINED_ACRONYM.finditer(text):
            letters = "".join(c for c in match.group(1) if c.isupper())
            if len(letters) < 2:
                continue
            before = text[: match.start()].split()[-2 * len(letters) :]
            # "Layer-wise Adaptive Rate Scaling (LARS)" spells it by whole words, "fine-tuning (SFT)" by parts.
            for words in (before, re.findall(r"[A-Za-z]+", " ".join(before))):
                spelled = next(
                    (words[i:] for i in range(len(words)) if "".join(w[0] for w in words[i:]).upper() == letters),
                    None,
                )
                if spelled:
                    found[match.group(1)] = " ".join(spelled)
                    break
    return found


def without_terms(text: str, acronyms: dict[str, str]) -> str:
    """The text without the acronyms its abstract defines from lower-case words ("knowledge
    distillation (KD)"): those stand for terms of the field, not for named things."""
    for acronym, words in acronyms.items():
        # The first word may be capitalised only because it opens the sentence.
        if words[1:] == words[1:].lower():
            singular = acronym[:-1] if acronym.endswith("s") and len(acronym) > 2 else acronym
            text = re.sub(rf"(?<![\w-]){re.escape(singular)}s?(?![\w-])", " ", text)
    return text


def uses_name(text: str, name: str) -> bool:
    """Whether ``text`` uses a name as written ("RANSAC-based") or by its naming part ("RANSAC")."""
    return mentions(text, head(name)) or mentions(text, name)


def written(text: str, name: str) -> bool:
    """Whether ``text`` uses the name as written, in a variant spelling or spelled out (SGD)."""
    return uses_name(text, name) or mentions_variant(text, name) or spells_acronym(text, name)


def head(name: str) -> str:
    """The naming part of a compound: "CLIP" in "CLIP-filtered"; "T-JEPA", "GPT-4" and a size
    variant such as "RTMPose-l" stay whole."""
    first, _, rest = name.partition("-")
    # "Adapt-infty" is one name: only an acronym-like first part (CLIP, LoRA) is split off.
    acronym = sum(ch.isupper() for ch in first) >= 2
    return first if acronym and len(rest) > 2 and rest.islower() and rest.isalpha() else name


@dataclass(frozen=True)
class ScoredSentence:
    sentence: StoredSentence
    paper_rank: int
    cosine: float
    score: float


@dataclass
class Evidence:
    question: str
    query_vector: np.ndarray
    hits: list[Hit]
    # Each retrieved paper's sentences, in abstract order, with their vectors.
    sentences: dict[str, list[StoredSentence]]
    # Every sentence of the retrieved papers, best first.
    scored: list[ScoredSentence]
    # Stemmed content words of the question.
    focus_terms: set[str]
    unknown_names: tuple[str, ...] = ()
    answerable: bool = True
    settings: AnswerSettings = field(default_factory=AnswerSettings)
    focus: Focus | None = None
    # Papers that hold the question's key words: the only ones an answer may cite.
    citable: list[str] = field(default_factory=list)
    # Why the papers cannot answer, when a rule beyond weak evidence decided it.
    missing: str = ""
    # The best sentence stating each kind of fact asked for ("how many", "when", "which optimizer").
    stating: tuple[ScoredSentence, ...] = ()
    snapshot: IndexSnapshot | None = None
    # Papers whose titles introduce a name the question uses ("GaLore: ..." for "What is GaLore?").
    focus_papers: frozenset[str] = frozenset()
    # Citable papers whose titles hold most of the question's key words (see titled_papers).
    titled: frozenset[str] = frozenset()

    @property
    def strength(self) -> float:
        """How well the best sentence matches the question; compared with abstain_threshold."""
        return self.scored[0].score if self.scored else 0.0

    def sources(self, cited_order: list[str] | None = None) -> list[Hit]:
        """Papers numbered [1]..[k]: cited ones first in the order cited, then the rest as retrieved."""
        cited_order = cited_order or []
        order = cited_order + [h.paper_id for h in self.hits if h.paper_id not in cited_order]
        by_id = {h.paper_id: h for h in self.hits}
        return [
            by_id[paper_id].numbered(n, tuple(s.text for s in self.sentences.get(paper_id, [])))
            for n, paper_id in enumerate(order, start=1)
        ]

    def title(self, paper_id: str) -> str:
        return next(h.title for h in self.hits if h.paper_id == paper_id)


USED_WHICH = re.compile(
    r"^\s*which\s+(?:[\w-]+\s+){0,2}?\w+\s+(?:was|were|is|are)\s+(?:\w+ly\s+)?(?:studied|used|tested|evaluated|examined|"
    r"analy[sz]ed|given|prompted|probed|fine-tuned|deployed)\b",
    re.I,
)


def names_answer(text: str, focus: Focus) -> bool:
    """A sentence that introduces the answer to "which X": a proposal naming something
    ("we propose the LoRA-LEGO framework") or the asked kind of thing ("... mechanism"), or a
    name given to a thing of the asked kind. "Which choice had the biggest impact?" asks for a
    finding: the sentence reporting one ("A key finding ... is that ...")."""
    if RANKED_FINDING.search(focus.question):
        return STATES_FINDING.search(text) is not None
    kind = which_head(focus.question)
    has_kind = kind != "" and re.search(rf"\b{kind}", text, re.I) is not None
    # A name the question does not already use: "DETR" in a DETR question names nothing new.
    asked = focus.question.casefold()
    has_name = any(head(name).casefold() not in asked for name in NAME_IN_TEXT.findall(text))
    # "Which encoder does X use?" is answered by the sentence naming the encoder ("We use DeBERTa ...
    # as the encoder"), not by what the paper proposes.
    if noun := asked_noun(focus.question):
        return has_name and re.search(rf"\b{re.escape(noun)}", text, re.I) is not None
    # "Which model was studied ...?" asks for an existing model, which a sentence names, often by its
    # version ("we give Claude 3 Opus a system prompt"); what the paper proposes does not answer it.
    if kind == "model" and USED_WHICH.match(asked_clause(focus.question)):
        return has_name
    # "... a box-to-pixel relative position bias (BoxRPB) term": a named thing of the asked kind.
    return (PROPOSAL.search(text) is not None and (has_name or has_kind)) or (has_name and has_kind)


def shape_bonus(text: str, focus: Focus, settings: AnswerSettings) -> float:
    """The bonus of a sentence that has what the question's shape asks for."""
    # Whatever the shape, the sentence introducing the asked name is central to the answer.
    if focus.shape in ("definition", "mechanism", "which") and defines_name(text, focus):
        return settings.definition_bonus
    # "Which method ...?" is answered by the sentence that introduces one ("we propose X"); "which
    # design choice was found to matter most?" by a finding, not by what the paper proposes.
    if focus.shape == "which" and PROPOSAL.search(text) and not FINDING.search(focus.question):
        return settings.definition_bonus
    # "Which choice was found to matter most?" is answered by the sentence reporting the finding.
    if focus.shape == "which" and FINDING.search(focus.question) and STATES_FINDING.search(text):
        return settings.definition_bonus
    return settings.shape_bonus * _has_shape(text, focus)


QUOTED_TERM = re.compile(r"(?<!\w)['\"\u201c\u2018]([^'\"\u201d\u2019?]{2,40}?)['\"\u201d\u2019](?!\w)")


def quoted_terms(question: str) -> list[str]:
    """The terms a question puts in quotes ("'pseudo-words'"), which it asks to define."""
    return [term.strip() for term in QUOTED_TERM.findall(question)]


def defines_name(text: str, focus: Focus) -> bool:
    """The sentence that introduces a name the question asks about ("we propose X, a ..."); for
    "What are 'pseudo-words' in ...?", the quoted term is the name ("... we call "pseudo-words"")."""
    quoted = quoted_terms(focus.question) if focus.shape == "definition" else []
    named = [name for name in (*focus.names, *quoted) if mentions(text, name)]
    return bool(named) and (
        DEFINES.search(text) is not None
        or any(introduces(text, name) for name in named)
        # Only "What is X?" asks what kind of thing a name is; elsewhere "optimizers like SGD" is background.
        or (focus.shape == "definition" and any(categorizes(text, name) for name in named))
    )


def categorizes(text: str, name: str) -> bool:
    """A sentence saying what kind of thing ``name`` is, as a paper citing it does: "distributed
    algorithms like DiLoCo have relaxed ...", "DiLoCo, a distributed training method, ..."."""
    escaped = re.escape(name)
    member = rf"\b[a-z][\w-]*s,? (?:like|such as|including) (?:the )?{escaped}(?![\w-])"
    apposition = rf"(?<![\w-]){escaped}(?:\s*\([^)]*\))?, (?:a|an) [a-z]"
    return re.search(f"{member}|{apposition}", text) is not None


def _has_shape(text: str, focus: Focus) -> float:
    if focus.shape == "quantity":
        named = not focus.names or any(mentions(text, name) for name in focus.names)
        return 1.0 if NUMBER.search(text) and named else 0.0
    if focus.shape == "mechanism":
        return 1.0 if EXPLAINS.search(text) or DESCRIBES_METHOD.search(text) else 0.0
    if focus.shape == "which":
        return 1.0 if NAME_IN_TEXT.search(text) or PROPOSAL.search(text) else 0.0
    return 0.0


def score_sentences(
    retrieval: Retrieval,
    sentences: dict[str, list[StoredSentence]],
    settings: AnswerSettings,
    focus: Focus | None = None,
    focus_papers: frozenset[str] = frozenset(),
) -> list[ScoredSentence]:
    query_terms = content_terms(retrieval.query)
    # "When training transformers with all matmuls in INT4, how do they deal with activation outliers
    # ...?": the leading context found the paper; within it, the sentence answering holds the words
    # of the question proper ("outliers", "forward"), not of the context ("all matrix multiplications").
    if focus is not None and focus.shape == "mechanism":
        query_terms = content_terms(asked_clause(focus.question)) or query_terms
    scored = []
    for rank, hit in enumerate(retrieval.hits):
        acronyms = defined_acronyms([s.text for s in sentences.get(hit.paper_id, [])])
        for sentence in sentences.get(hit.paper_id, []):
            cosine = float(sentence.vector @ retrieval.query_vector)
            spelled = " ".join(words for acronym, words in acronyms.items() if mentions(sentence.text, acronym))
            score = sentence_score(sentence, query_terms, retrieval.query_vector, settings.lexical_weight, spelled)
            if focus is not None:
                score += shape_bonus(sentence.text, focus, settings)
                score += settings.focus_paper_bonus * (hit.paper_id in focus_papers)
            scored.append(ScoredSentence(sentence, rank, cosine, score))
    return sorted(scored, key=lambda s: (-s.score, s.paper_rank, s.sentence.position))


# What an abstract reports after its method: "we show ...", "experiments ...", "outperforms ...".
REPORTS_RESULTS = re.compile(
    r"\b(we (show|demonstrate|find|evaluate|validate|achieve)|experiments?|results?|outperform\w*|"
    r"state-of-the-art|benchmarks?|(code|models?) (is|are|will be) (publicly )?(available|released))\b",
    re.I,
)


# After the proposal, "Specifically, ..." and "Instead, ..." open the details of how it works.
ELABORATES = re.compile(r"(Specifically|Concretely|In particular|Instead|To (do|achieve) (this|so)|To this end)\b")


def method_part_bonus(sentences: list[StoredSentence], settings: AnswerSettings) -> dict[int, float]:
    """For "how does X work?": abstracts give background, then what they propose, then how it works,
    then results. Sentences between the proposal and the results say how (up by method_part_bonus);
    the background before the proposal restates the problem the question already states (down)."""
    proposal = next((s.position for s in sentences if PROPOSAL.search(s.text)), None)
    if proposal is None:
        return {}
    bonus = settings.method_part_bonus
    return {
        s.position: -bonus if s.position < proposal else bonus * (2 if ELABORATES.match(s.text) else 1)
        for s in sentences
        if s.position != proposal and (s.position < proposal or not REPORTS_RESULTS.search(s.text))
    }


def is_answerable(
    strength: float, unknown_names: tuple[str, ...], settings: AnswerSettings, asked_about: bool = False
) -> bool:
    """Strong enough best evidence, and no name the index has never seen (unless the evidence is very
    strong and the name only sets the scene: ``asked_about`` says the question asks about one)."""
    if strength < settings.abstain_threshold:
        return False
    return not unknown_names or (strength >= settings.unknown_name_override and not asked_about)


def asked_about_unknown(focus: Focus, unknown_names: tuple[str, ...]) -> bool:
    """Whether an unknown name is what the question asks about: its grammatical subject ("What pruning
    criterion does Wanda use?"), the X of "What is X", or a side of a comparison ("compare with
    ConvNeXt"). Strong evidence about the topic then answers about something else. An unknown name
    that sets the scene ("... inside an L0 penalty") may be a spelling the abstracts do not use."""
    asked = set(grammatical_subject(focus)) | {defined_name(focus)}
    if focus.shape == "compare":
        asked |= set(focus.names)
    return any(name in asked for name in unknown_names)


def focus_first(retrieval: Retrieval, snapshot: IndexSnapshot, focus: Focus) -> tuple[Retrieval, frozenset[str]]:
    """Put the papers whose titles introduce a name of the question first (retrieving them if
    needed); the focus's names include those only titles show as names ("Adapt-infty")."""
    hits, wanted = introducers_first(retrieval.hits, snapshot, focus.names, query=focus.question)
    if not wanted and focus.shape == "definition":
        # "What is Megatron-LM?" with no title introducing it: the one paper whose title uses the
        # name ("... Training on GPU Clusters Using Megatron-LM") is about it, more than papers that
        # compare against it.
        # Only the name asked about: "What is AbeT for OOD detection?" is not about an OOD paper.
        users = snapshot.title_name_users.get(defined_name(focus).casefold(), frozenset())
        hits, wanted = fetched_first(retrieval.hits, snapshot, list(users) if len(users) == 1 else [])
    if not wanted:
        return retrieval, frozenset()
    return Retrieval(retrieval.query, retrieval.query_vector, hits, retrieval.unknown_names), wanted


def defined_name(focus: Focus) -> str:
    """The name a "What is X ...?" question asks about ("Megatron-LM"), or ""."""
    clause = asked_clause(focus.question)
    asked = r"\s*what(?:'s| is| are)\s+(?:the |a |an )?"
    return next((n for n in focus.names if re.match(rf"{asked}{re.escape(n)}(?![\w-])", clause, re.I)), "")


def defining_papers(
    hits: list[Hit],
    sentences: dict[str, list[StoredSentence]],
    focus: Focus,
    snapshot: IndexSnapshot,
    settings: AnswerSettings,
) -> frozenset[str]:
    """The retrieved paper whose abstract introduces a name the question asks about, when exactly
    one does: "Our approach, alignMEnt with parameter-Efficient Tuning (MEET), ..." makes its
    paper the one that answers "What is MEET?", ahead of papers that score higher on the topic.
    A name other retrieved papers use too is that paper's own only when it is specific: LARS,
    which the LAMB paper cites, is the LARS paper's; CLIP, in 5% of papers, is no one paper's."""
    texts = {hit.paper_id: " ".join(s.text for s in sentences.get(hit.paper_id, [])) for hit in hits}
    for name in focus.names:
        users = {pid for pid, text in texts.items() if re.search(rf"(?<![\w-]){re.escape(name)}(?!\w)", text)}
        found = {pid for pid in users if any(introduces(s.text, name) for s in sentences.get(pid, []))}
        if len(found) == 1 and users == found:
            return frozenset(found)
        # Cited by others too, it is one paper's own only where that paper proposes it under this name.
        proposing = {pid for pid in found if any(proposes_as(s.text, name) for s in sentences.get(pid, []))}
        if len(proposing) == 1 and snapshot.paper_share(name) <= settings.specific_name_share:
            return frozenset(proposing)
    return frozenset()


def introducers_of_compared(
    focus: Focus,
    citable: list[str],
    sentences: dict[str, list[StoredSentence]],
    snapshot: IndexSnapshot,
    settings: AnswerSettings,
) -> list[str]:
    """For "Compare SortedNet and MatFormer ...", the papers that introduce the compared names, when
    at least two names have exactly one each (the same paper or not): a paper extending SortedNet,
    or one citing LARS and LAMB as baselines, is not one of the things compared. A name no citable
    paper introduces is context ("How do LoLDU and SoRA change standard LoRA ...?"). Otherwise
    ``citable`` as it is."""
    if focus.shape != "compare" or len(focus.names) < 2:
        return citable
    introducers: list[str] = []
    # A name many papers use (LoRA, LLM) is the setting of the comparison, not one of its sides.
    for name in (n for n in focus.names if snapshot.paper_share(n) <= settings.specific_name_share):
        by_title = snapshot.introduced_names.get(name.casefold())
        found = (
            {by_title} & set(citable)
            if by_title
            else {pid for pid in citable if any(introduces(s.text, name) for s in sentences.get(pid, []))}
        )
        if len(found) > 1:
            return citable
        introducers += found
    # Two names introduced by one paper ("RTS and C-RTS") are compared within it.
    return [pid for pid in citable if pid in introducers] if len(introducers) >= 2 else citable


def introduces(text: str, name: str) -> bool:
    """A sentence of the paper's own that gives ``name`` to what it proposes: "we propose X",
    or its expansion with the name in parentheses beside "our"/"we" ("our approach, ... (MEET)")."""
    if not mentions(text, name):
        return False
    defined = re.search(rf"\(\s*{re.escape(name)}\s*\)", text) is not None
    # "This leads to our proposed LongGen, which ...".
    ours = re.search(rf"\bour (?:proposed|new|novel)\s+(?:[\w-]+\s+){{0,3}}?{re.escape(name)}(?!\w)", text, re.I)
    return proposes_name(text, name) or (defined and OWN_WORK.search(text) is not None) or ours is not None


def proposes_name(text: str, name: str, whole: bool = False) -> bool:
    """ "we propose X", "this paper introduces ... X", "... a technique called X": the sentence gives the name
    to its own work ("our approach utilizes LoRA" only uses it). ``whole``: not as the head of a
    compound ("we propose the LoRA-LEGO framework" names LoRA-LEGO, not LoRA)."""
    escaped = re.escape(name)
    end = r"(?![\w-])" if whole else r"(?!\w)"
    proposed = rf"(?:{PROPOSAL.pattern})[^.;]{{0,60}}?(?<![\w-]){escaped}{end}"
    named = rf"\b(?:called|named|termed|dubbed|coined)\s+(?:as\s+)?{escaped}(?![\w-])"
    return re.search(f"{proposed}|{named}", text, re.I) is not None or proposes_as(text, name)


def proposes_as(text: str, name: str) -> bool:
    """ "we propose ... Layer-wise Adaptive Rate Scaling (LARS)": a proposal naming ``name`` in
    parentheses after what it stands for."""
    return PROPOSAL.search(text) is not None and re.search(rf"\w\s\(\s*{re.escape(name)}\s*\)", text) is not None


def citable_papers(
    retrieval: Retrieval,
    sentences: dict[str, list[StoredSentence]],
    focus: Focus,
    snapshot: IndexSnapshot,
    settings: AnswerSettings,
    titled: frozenset[str] | None = None,
) -> list[str]:
    """Retrieved papers that hold the question's key words (IDF-weighted) or a name it uses; for
    questions answered by several papers, also those holding fewer of the key words whose
    sentences are close to the question. ``titled`` is :func:`titled_papers` when already known."""
    idf, unseen = snapshot.idf
    terms = set(focus.terms)
    # A list's topic is what it names, not the words explaining it ("grokking, i.e. generalization ...").
    topic = content_terms(glossed_topic(focus.question)) & terms if focus.shape in ("list", "compare") else set()
    terms = topic or terms
    # A title holding most of the key words is about them, however much another abstract
    # that lists them in passing holds ("... machine translation, speech recognition, ...").
    if titled is None:
        titled = titled_papers(retrieval.hits, focus, snapshot, settings)
    shares = {}
    words: dict[str, set[str]] = {}
    for hit in retrieval.hits:
        text = abstract_text(hit.title, sentences.get(hit.paper_id, []))
        words[hit.paper_id] = content_terms(text)
        share = coverage(terms, words[hit.paper_id], idf, unseen)
        # A name makes its papers citable when it is the subject, not context that many papers
        # share: "How do Zeus and Perseus differ ... GPU training jobs?" is not about every GPU paper.
        named = hit.paper_id in titled or any(
            mentions(text, name) and snapshot.paper_share(name) <= settings.common_name_share for name in focus.names
        )
        shares[hit.paper_id] = (share, named)
    best = max((share for share, _ in shares.values()), default=0.0)
    floor = max(settings.min_paper_coverage, settings.relative_paper_coverage * best)
    close_floor = max(settings.close_min_coverage, settings.close_paper_coverage * best)
    query = retrieval.query_vector / max(float(np.linalg.norm(retrieval.query_vector)), 1e-12)

    # A paper on one of the examples the question lists is on its topic ("backlit images" for "badly
    # lit imagery, such as ..."), when it also holds some of the question's other key words.
    examples = [example for example in map(content_terms, enumerated_examples(focus.question)) if example]

    def on_example(paper_id: str) -> bool:
        if focus.shape not in MANY_PAPER_SHAPES or shares[paper_id][0] < settings.close_min_coverage:
            return False
        return any(coverage(ex, words[paper_id], idf, unseen) >= settings.example_min_coverage for ex in examples)

    # "... exploit activation sparsity, i.e. having many activations be zero ...": the clause that
    # explains the topic dilutes its key words; a title naming the topic's phrase is on topic.
    pairs = [
        pair
        for pair in word_pairs(focus.question)
        if min(idf.get(word, unseen) for word in pair) >= settings.title_phrase_min_idf
    ]

    def phrased(hit: Hit) -> bool:
        # Lists and comparisons only: an open question's phrase ("batch normalization" in "Why does
        # batch normalization work poorly in NLP transformers?") is often context, not its topic.
        if focus.shape not in ("list", "compare") or shares[hit.paper_id][0] < settings.close_min_coverage:
            return False
        return any(stems_contain(stem_sequence(hit.title), pair) for pair in pairs)

    def close(paper_id: str) -> bool:
        if focus.shape not in MANY_PAPER_SHAPES or shares[paper_id][0] < close_floor:
            return False
        vectors = [s.vector for s in sentences.get(paper_id, [])]
        return closest_sentences(vectors, query) >= settings.close_paper_cosine

    return [
        h.paper_id
        for h in retrieval.hits
        if shares[h.paper_id][1]
        or shares[h.paper_id][0] >= floor
        or close(h.paper_id)
        or on_example(h.paper_id)
        or phrased(h)
    ]


def titled_papers(hits: list[Hit], focus: Focus, snapshot: IndexSnapshot, settings: AnswerSettings) -> frozenset[str]:
    """Papers whose title alone holds title_paper_coverage of the question's key words: "Grokking at
    the Edge of Numerical Stability" is about "What explains grokking?", however its sentences score."""
    idf, unseen = snapshot.idf
    terms = set(focus.terms)
    return frozenset(
        h.paper_id
        for h in hits
        if coverage(terms, content_terms(h.title), idf, unseen) >= settings.title_paper_coverage
    )


YEAR = re.compile(r"\b(19|20)\d\d\b")
# A named accelerator: "T4", "A100", "TPU v3", "RTX 4090".
HARDWARE = re.compile(
    r"\b([AHLPT]\d{1,3}|V100|TPU\s?v?\d*|RTX\s?\d{4}\w*|GTX\s?\d{3,4}|MI\d{3}\w*|Gaudi\d?|Jetson|Ascend|"
    r"Titan|Quadro|Tesla|Xeon|EPYC|Apple M\d|[A-Z]\d{4})\b|"
    # "the energy efficient ET-SoC-1 chip": any name given to a chip or board.
    r"\b[A-Z][\w-]*[A-Z0-9][\w-]* (?:chip|accelerator|processor|SoC|FPGA|board|NPU)s?\b"
)
# Kinds of fact a question may ask for, and what a sentence stating one must contain.
FACT_KINDS = (
    ("figure", None, NUMBER, "the figure asked for"),
    (
        "date",
        # "When was X released?"; not "the dataset released together with ...", which names it.
        # "When X is run on an FPGA, by how much ...?" sets a scene: only "when was/did ..." asks a date.
        re.compile(
            r"^\s*when\s+(?:was|were|is|are|did|does|do|has|have|had|will)\b|\b(what|which|in which) year\b|"
            r"\brelease (date|year)\b",
            re.I,
        ),
        YEAR,
        "when",
    ),
    (
        "maker",
        re.compile(
            r"^\s*who\b|\bwhich (?:research )?(company|organi[sz]ation|lab|team|group|institution|university)\b|"
            # "Which authors ...?" asks who; "did the authors focus on ...?" does not.
            # "Which Korean LLM was built by efficient continual pretraining?" asks which model, not who.
            r"^\s*(which|what) authors?\b|\b(developed|created|built|released) by (?:which|what|whom)\b",
            re.I,
        ),
        re.compile(r"\b(by|from|at) [A-Z][\w&-]+|\b(Google|Meta|OpenAI|Microsoft|DeepMind|Apple|NVIDIA|Anthropic)\b"),
        "who made it",
    ),
    ("license", re.compile(r"\blicen[cs]e", re.I), re.compile(r"\blicen[cs]", re.I), "its license"),
    (
        # "What is the exact formula of the REX profile?": an equation, which abstracts rarely write out.
        "formula",
        # The thing asked for, not "how much faster does a neural differential equation predict?" nor
        # "which technique approximates unrolling with an influence-function-like formula?".
        re.compile(
            r"\b(?:what|which)(?:'s|\s+is|\s+are)?\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?"
            r"(?:formula|equations?|closed[- ]form)\b|"
            r"\b(?:formula|closed[- ]form expression) for\b",
            re.I,
        ),
        re.compile(r"[=≈∝≤≥]|\\[a-z]+|\^|\b(?:exp|log|sqrt|sin|cos)\s*\("),
        "the formula",
    ),
    (
        # "What GPU model does X run on?": a named accelerator, not a count of GPUs.
        "hardware",
        re.compile(
            r"\b(what|which) (kind of |type of )?([\w-]+ ){0,2}?"
            r"(gpus?|accelerators?|hardware|chips?|boards?|fpgas?)( model| type)?\b",
            re.I,
        ),
        HARDWARE,
        "which hardware",
    ),
)


COUNTED = re.compile(r"\bhow many\s+", re.I)
# Words that end a noun phrase: "how many speakers are ...", "41k utterance pairs from ...".
PHRASE_END = frozenset(
    "a an the and or but of in on at to for from with by as than that which who per each across into over under "
    "within while through about during after before since until among between without via along onto "
    "versus including like toward towards beyond upon "
    "is are was were be been do does did have has had can could will would contain contains".split()
    # Irregular past participles: "two workshops held by ..." ends the counted phrase at "workshops".
    + "held made built taken given written drawn done seen found known shown kept brought chosen run".split()
)


def counted_units(question: str) -> set[str]:
    """What a "how many X" question counts (stemmed): the words of each "X" up to where its phrase
    ends ("image", "subset" in "how many image subsets and ..."; "token", "remain" in "how many
    tokens remain in ...": without a tagger, the noun is one of them). The figure's sentence must
    count one; "how many times" asks for a ratio, not a count."""
    units: set[str] = set()
    for match in COUNTED.finditer(question):
        words = re.findall(r"[A-Za-z][\w-]*|\S", question[match.end() :])[:3]
        if words and words[0].lower() == "times":
            continue
        for word in words:
            if word.lower() in PHRASE_END or not word[0].isalpha():
                break
            units |= content_terms(word)
    return units


# "..., in milliseconds?": a figure in a named unit; each unit's stems as a sentence may write it.
MEASURED = (
    {"millisecond", "ms"},
    {"second", "sec"},
    {"minut", "min"},
    {"hour", "hr"},
    {"day"},
    {"gigabyt", "gb"},
    {"megabyt", "mb"},
    {"terabyt", "tb"},
    {"dollar", "usd"},
    {"watt", "kw", "kwh"},
)
IN_UNIT = re.compile(r"\b(?:in|as)\s+([A-Za-z]+)\b", re.I)


# "What vocabulary size does X have?", "the context length of X": the figure measures the noun before
# "size"; "9.7 billion tokens" is not a vocabulary size. A model's size is told in parameters ("7B"),
# which the model-size check handles, and a batch size is a hyperparameter value (VALUE_ASKED).
MEASURED_NOUN = re.compile(
    r"\b(?:what|which)\s+(?:(?:is|was|are|were)\s+)?(?:the\s+)?(?:[\w-]+\s+){0,2}?([\w-]+)\s+"
    r"(?:size|length|dimension|depth|width)s?\b|\bthe\s+([\w-]+)\s+(?:size|length|dimension|depth|width)\s+of\b",
    re.I,
)
SIZE_OF_ITSELF = frozenset({"model", "batch"})
# "What is the largest size of the models ...?" measures the models, whose largest is told "up to 410M".
DEGREES = frozenset("largest smallest biggest maximum minimum max min total average typical overall final".split())


def measured_noun(question: str) -> set[str]:
    """The stems of what a "what <noun> size/length" question measures ("vocabulary"), or of the
    measure a "what <measure> did X get?" question names ("index" of "concordance index"), or nothing."""
    clause = asked_clause(question)
    match = MEASURED_NOUN.search(clause)
    if match is None:
        scored = MEASURE_GOTTEN.match(clause)
        head = scored.group(1).lower() if scored else ""
        return set() if head in FIGURE_ITSELF else content_terms(head)
    noun = (match.group(1) or match.group(2)).lower()
    return set() if noun in SIZE_OF_ITSELF | DEGREES else content_terms(noun)


# "What concordance index did SeNMo get on its test set?": the figure is one of that measure, so a
# sentence about "33 cancer types" does not answer. Group 1 is the measure's head noun.
MEASURE_GOTTEN = re.compile(
    # "what error rate on CIFAR-10 does ...": the measure's head comes before its benchmark.
    r"^\s*what\s+(?:[\w-]+\s+){0,2}?([\w-]+)(?:\s+(?:on|in|for|at|of)\s+[\w-]+(?:\s+[\w-]+)?)?\s+"
    r"(?:does|did|do|is|was|were|are)\s+[^?]+?\s+"
    r"(?:get|achieve|reach|score|obtain|attain|record)s?\b",
    re.I,
)
# Measures any figure of the kind answers: "what accuracy did X get" is answered by "reaches 76.5%".
FIGURE_ITSELF = frozenset(
    "accuracy performance score scores result results value number figure speedup improvement gain error "
    # "What share of the parameters ...?", "What training budget ...?": told as "2.56%", "6 A100 GPU days".
    "share fraction proportion percentage portion amount budget cost time".split()
)


# "By what percentage does NASNet reduce computational demand ...?", "How much does GaLore cut optimizer
# memory?": the figure is the change of what the verb acts on; "82.7% top-1 accuracy" is another figure.
CHANGE_ASKED = re.compile(
    r"^\s*(?:by\s+)?(?:what|how much|how many)\b[^?]*?\b(?:does|do|did|can|could|is|are|was|were)\s+[^?]+?\s+"
    r"(?:reduce|cut|lower|decrease|shrink|save|improve|increase|raise|boost|speed up|accelerate)s?\s+"
    r"(?:the\s+|its\s+|their\s+)?([\w-]+(?:\s+(?!(?:compared|relative|over|than|from|by|on|in|with|when|for|to|at)\b)[\w-]+)?)",
    re.I,
)


def changed_measure(question: str) -> set[str]:
    """The stems of what a "by how much does X reduce Y" question asks the change of (Y), or nothing."""
    match = CHANGE_ASKED.match(asked_clause(question))
    return content_terms(match.group(1)) if match else set()


def measured_units(question: str) -> set[str]:
    """The stems of the unit a question asks its figure in ("What is the latency, in milliseconds?",
    "What latency in milliseconds does X reach?")."""
    for match in IN_UNIT.finditer(question):
        terms = content_terms(match.group(1))
        forms = next((set(forms) for forms in MEASURED if terms & forms), set())
        if forms:
            return forms
    return set()


# A figure as written: a number, a magnitude ("70k", "1.3B", "12x", "82.5%"), a glued unit ("24GB")
# or a hyphenated one ("175B-parameter").
MAGNITUDE_WORD = re.compile(r"^(?:thousand|million|billion|trillion)s?(?:-([A-Za-z-]+))?[.,;:)]*$", re.I)
# Figures given per setting are one figure: "0.4/0.6 BLEU on IWSLT14/WMT14".
FIGURE = re.compile(r"^(\d[\d.,]*(?:/\d[\d.,]*)*)([A-Za-z%×]*)(-[A-Za-z-]+)?$")
MAGNITUDES = frozenset({"", "k", "m", "b", "t", "bn", "x", "×", "%"})


# The most words a figure's noun phrase is read for its head noun.
COUNTED_PHRASE_WORDS = 10


def counts(text: str, unit: str) -> bool:
    """Whether a figure in ``text`` counts ``unit`` (stemmed): "1,251 speakers from ..." or a
    "175B-parameter model", but not "70k speaker similarity scores", where the figure counts
    scores, nor "3D tokens", where "3D" counts nothing."""
    words = text.replace("--", " -- ").split()
    for i, word in enumerate(words):
        figure = FIGURE.match(word.strip(".,;:()~≈"))
        if figure is None:
            continue
        suffix, hyphenated = figure.group(2), figure.group(3)
        last = i  # the figure's last word
        spelled = MAGNITUDE_WORD.match(words[i + 1]) if i + 1 < len(words) else None
        if spelled and not suffix:
            # "3 billion-parameter model", "1.2 million images": the magnitude is part of the figure.
            if spelled.group(1) and unit in content_terms(spelled.group(1)):
                return True
            last = i + 1
        if hyphenated and unit in content_terms(hyphenated):
            return True  # "175B-parameter"
        if suffix.lower() not in MAGNITUDES:
            if unit in content_terms(suffix):
                return True  # "24GB", "320ms"
            continue  # "3D", "5th": not a count of the words after it
        # The unit heads the figure's noun phrase, however many modifiers come between: "8.5K high
        # quality linguistically diverse grade school math word problems".
        for j in range(last + 1, min(last + 1 + COUNTED_PHRASE_WORDS, len(words))):
            bare = words[j].strip(".,;:()")
            if unit in content_terms(bare) and (
                j + 1 == len(words) or bare != words[j] or ends_noun_phrase(words[j + 1])
            ):
                return True
            if bare != words[j] or bare.lower() in PHRASE_END or not bare.replace("-", "").isalnum():
                break
    return False


NUMBER_WORDS = dict(
    zip(
        "two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred dozen".split(),
        (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 20, 30, 40, 50, 100, 12),
        strict=True,
    )
)
NUMBER_WORD = re.compile(rf"\b({'|'.join(NUMBER_WORDS)})\b", re.I)


FIGURE_IN_WORDS = re.compile(
    r"\b(?:an?|one|two|three|four|five|several)\s+(?:to\s+\w+\s+)?orders?\s+of\s+magnitude\b|"
    r"\b(?:twice|thrice|two-fold|three-fold|four-fold|five-fold|ten-fold|tenfold|twofold|threefold)\b|"
    # "one-third of the previous approach", "around a third of the features", "six out of seven".
    r"\b(?:one|two|three)-(?:half|third|quarter|fifth|tenth)s?\b|\b(?:a|one|two|three)\s+(?:third|quarter|fifth|tenth)s?\s+of\b|"
    r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s+out\s+of\s+(?:\d|one|two|three|four|five|six|seven|eight|nine|ten)",
    re.I,
)


def with_digits(text: str) -> str:
    """The text with counts written as words in digits ("two workshops" -> "2 workshops"); "one"
    is left alone ("one of the ...")."""
    return NUMBER_WORD.sub(lambda m: str(NUMBER_WORDS[m.group(1).lower()]), text)


def ends_noun_phrase(next_word: str) -> bool:
    """The word after a noun ends its phrase unless it is another noun ("speaker similarity")."""
    word = next_word.strip(".,;:()").lower()
    return (
        word in PHRASE_END
        or word in stopwords()
        or word in COUNT_FOLLOWERS
        # "10 unanswered questions currently faced ...", "160 sub-models simultaneously".
        or word.endswith(("ing", "ed", "ly"))
        or not word.isalpha()
    )


# Words that follow a counted noun, not extend it: "36.5 points higher accuracy", "65 publications out of 983".
COUNT_FOLLOWERS = frozenset(
    "higher lower more fewer less greater larger smaller better worse faster slower out".split()
)


# "Which optimizer / dataset / metric ...?" asks for a named thing of a specific kind; a sentence
# that never names one ("baselines built with various optimizers") does not answer it. Kinds
# such as "method" are left out: the paper's proposal names the method without the word.
NAMED_KINDS = frozenset(
    "optimizer dataset benchmark metric loss schedule library toolkit format regularizer "
    # Parts a system is built from or run on, asked as "which encoder does X use?" (see asked_noun).
    "engine encoder decoder backbone tokenizer simulator "
    # "On which pre-training corpus were X's models trained?" is answered by a named corpus (C4, the Pile).
    "corpus".split()
)

# Verbs that introduce a new name: "we curate Quilt", "the dataset is called Quilt".
INTRODUCING = r"(?:(?:curat|collect|construct|creat|introduc|present|propos|releas|call|nam)(?:e|es|ed|s)?|build|built)"


def named_kind_pattern(kind: str, question: str = "") -> re.Pattern:
    """A sentence using the kind's word ("optimization technique", "datasets") and a name the
    question does not already use: "two LLM pre-training datasets" names no dataset."""
    stem = re.escape(kind[: max(5, len(kind) - 2)])
    asked = "|".join(re.escape(name) for name in sorted(set(NAME_IN_TEXT.findall(question)), key=len, reverse=True))
    # An asked name, its plural, or a part of it after a hyphen ("LLaMA" of "Video-LLaMA") is not new.
    not_asked = rf"(?<![\w-])(?!(?:{asked})s?(?![\w-]))" if asked else r"(?<![\w-])"
    # "we curate Quilt: a ... dataset": a one-capital name counts where the sentence introduces it.
    name = rf"(?:{not_asked}(?-i:[A-Z][\w-]*[A-Z0-9])|\b{INTRODUCING} {not_asked}(?-i:[A-Z]\w+))"
    # "we propose a mutual nearest neighbor local feature loss": a proposal of a thing of that kind
    # names it, however lower-case its name. The kind heads the proposed phrase: "we propose a
    # pipeline that improves performance on multi-organ datasets" proposes no dataset.
    verb = r"(?:we|this (?:paper|work))\s+(?:\w+\s+)?(?:propose|introduce|present|design|develop)s?"
    modifiers = r"(?:(?!(?:that|which|to|on|for|in|with|and|of)\b)[\w-]+\s+){0,6}?"
    proposed = rf"\b{verb}\s+(?:an?\s+|the\s+|our\s+)?{modifiers}{stem}"
    # Anchored: the lookaheads scan the whole sentence once, not from every position.
    return re.compile(rf"\A(?:(?=.*\b{stem}\w*)(?=.*{name})|(?=.*{proposed}))", re.I | re.S)


# "What learning rate / batch size did X use?", "What was the weight decay ...?": the hyperparameter's
# value is asked (not "... under huge batch sizes", which only sets the scene).
VALUE_ASKED = re.compile(
    rf"^\s*(?:what|which)\s+(?:(?:is|was|were|are)\s+)?(?:the\s+)?(?:[\w-]+\s+){{0,2}}?"
    # "What decay factor ...?" is answered beside "decay factor", not by "decay mechanisms" and ">80%".
    rf"({VALUE_OF_RUN}|[\w-]+ (?:factor|coefficient|rank)\b)",
    re.I,
)


# Metrics whose value a question may ask for ("What perplexity does GaLore reach on C4?"), with how a
# sentence reporting it may name it: a figure beside another measure (GaLore's "65.5% less memory")
# is not its perplexity. "mAP" is matched as written: "map" is a common word.
METRICS = (
    (re.compile(r"\bperplexit", re.I), re.compile(r"\bperplexit|\bppl\b", re.I)),
    (re.compile(r"\bbleu\b", re.I), re.compile(r"\bbleu\b", re.I)),
    (re.compile(r"\brouge", re.I), re.compile(r"\brouge", re.I)),
    (re.compile(r"\bf1\b", re.I), re.compile(r"\bf1\b|\bf-score", re.I)),
    (re.compile(r"\bfid\b", re.I), re.compile(r"\bfid\b|fr[ée]chet", re.I)),
    (re.compile(r"\b(auc|auroc)\b", re.I), re.compile(r"\b(auc|auroc|area under)", re.I)),
    (re.compile(r"\bmAP\b"), re.compile(r"\bmAP\b|mean average precision", re.I)),
    (re.compile(r"\b(wer|word error rate)\b", re.I), re.compile(r"\b(wer|word error)", re.I)),
    (re.compile(r"\b(psnr|ssim)\b", re.I), re.compile(r"\b(psnr|ssim|db)\b", re.I)),
    (re.compile(r"\b(iou|miou)\b", re.I), re.compile(r"\b(iou|miou)\b", re.I)),
    (re.compile(r"\bwin rate\b", re.I), re.compile(r"\bwin(ning)? rate", re.I)),
    (re.compile(r"\b(R|recall)@\d+", re.I), re.compile(r"\b(R|recall)@\d|\brecall\b", re.I)),
    (re.compile(r"\baccuracy\b", re.I), re.compile(r"\baccura|\btop-?[15]\b|\berror", re.I)),
)


def asked_metric(question: str) -> re.Pattern | None:
    """How a sentence names the metric a quantity question asks the value of, or None."""
    asked = asked_clause(question)
    return next((spelled for asks, spelled in METRICS if asks.search(asked)), None)


def names_metric(text: str, metric: re.Pattern | None) -> bool:
    return metric is None or metric.search(text) is not None


SCORE_WORDS = r"(?:scores?|accurac(?:y|ies)|results?|performance|ratings?|win rates?|pass@\d+|error rates?)"
# "What MT-Bench score does 1.5-Pints get?", "its accuracy on ImageNet-R": the benchmark a score is
# asked on. The abstract's other figures ("57 billion tokens") are not that score.
SCORED_ON = (
    re.compile(rf"([\w.@-]+)\s+{SCORE_WORDS}\b", re.I),
    re.compile(rf"\b{SCORE_WORDS}\s+(?:on|in|at)\s+(?:the\s+)?([\w.@-]+)", re.I),
)


def scored_on(focus: Focus) -> tuple[str, ...]:
    """The names of the question that qualify the score it asks for (see SCORED_ON)."""
    qualifiers = {match.group(1) for pattern in SCORED_ON for match in pattern.finditer(focus.question)}
    return tuple(name for name in focus.names if name in qualifiers)


def asked_facts(focus: Focus) -> list[tuple[re.Pattern, str]]:
    """What kind of fact the question asks for: a figure ("how many"), a date, who made something,
    a license, or a named thing of a specific kind ("which optimizer")."""
    facts = [
        (needs, label)
        for _, asks, needs, label in FACT_KINDS
        if asks is not None and asks.search(asked_clause(focus.question))
    ]
    if focus.shape == "quantity":
        facts.insert(0, (NUMBER, "the figure asked for"))
    kind = which_head(focus.question) or asked_noun(focus.question)
    if focus.shape == "which" and kind in NAMED_KINDS:
        facts.append((named_kind_pattern(kind, focus.question), f"which {kind}"))
    if asks_expansion(focus.question) and focus.names:
        facts.append((spelled_out_pattern(focus.names), EXPANSION_LABEL))
    return facts


EXPANSION_LABEL = "what the name stands for"


def spelled_out_pattern(names: tuple[str, ...]) -> re.Pattern:
    """A sentence spelling out one of the names: "Retrieval Based Distillation (ReBase)", or
    "MNAR (missing not at random)"."""
    forms = []
    for name in names:
        # The spelled-out words start with the name's first letter: "BERT (Devlin et al.)" is a citation.
        first = f"[{name[0].upper()}{name[0].lower()}]"
        forms.append(rf"\b{first}\S*(?:\s+\S+){{0,6}}?\s*\(\s*{re.escape(name)}s?\s*[),;]")
        forms.append(rf"\b{re.escape(name)}s?\s*\(\s*{first}[a-z]")
    return re.compile("|".join(forms))


def shows_fact(text: str, needs: re.Pattern, terms: dict[str, str]) -> bool:
    """Whether the sentence holds what ``needs`` looks for: a figure, also in words ("one to two
    orders of magnitude faster"), or a name, not counting acronyms of ``terms`` ("knowledge
    distillation (KD)" names no corpus)."""
    if needs is NUMBER:
        return NUMBER.search(text) is not None or FIGURE_IN_WORDS.search(text) is not None
    return needs.search(without_terms(text, terms)) is not None


def fact_gap(
    scored: list[ScoredSentence], focus: Focus, citable: list[str], snapshot: IndexSnapshot, settings: AnswerSettings
) -> tuple[str, tuple[ScoredSentence, ...]]:
    """What is missing when no citable sentence states the kind of fact asked for about the question's
    subject (near-domain questions name something the corpus mentions and ask what it does not say),
    and otherwise, per kind of fact asked, the best sentence stating it: the answer must quote it."""
    idf, unseen = snapshot.idf
    # The subject's name may be in the paper's title or another sentence ("our model"); the
    # fact's sentence must hold the question's other key words.
    named = {pid for pid in citable if not focus.names or _paper_names(snapshot, pid, focus, scored)}
    # A figure qualified by every name asked ("accuracy of PRE on ImageNet") comes from a paper that
    # uses them all: PRE's "5.60% on New classes" does not answer for ImageNet.
    names_all = {pid for pid in named if _paper_names(snapshot, pid, focus, scored, every=True)}
    # So does a model size ("for Llama 3 8B"): CCE's figure for "Gemma 2 (2B)" is not one for 8B.
    sizes = MODEL_SIZE.findall(focus.question)
    if sizes:
        names_all = {pid for pid in names_all if all(_paper_uses_size(snapshot, pid, size, scored) for size in sizes)}
    # "the early-exit speech recognition models": a rare compound some candidate uses picks out the
    # subject's paper; a neighbour's figure ("WERs of 3.0% on Librispeech") does not answer for it.
    for compound in subject_compounds(focus.question, citable, snapshot, scored, settings):
        named = {pid for pid in named if _paper_uses_phrase(snapshot, pid, compound, scored)}
        names_all &= named
    # "What size of model ...?" is answered by "1B parameters": the attribute's own word need not appear.
    asked = asked_terms(focus) - attribute_words(focus.question)
    units = counted_units(focus.question) | measured_units(focus.question)
    measure = measured_noun(focus.question)
    changed = changed_measure(focus.question) if focus.shape == "quantity" else set()

    titles = {pid: snapshot.title(pid) for pid in named}
    # "What learning rate did X use?": a figure is the answer only beside the hyperparameter's name.
    value = VALUE_ASKED.match(asked_clause(focus.question))
    value_name = value.group(1).casefold() if value else ""
    metric = asked_metric(focus.question)
    benchmarks = scored_on(focus)
    asks_model_size = MODEL_SIZE_ASKED.search(focus.question) is not None

    @cache
    def abstract_words(paper_id: str) -> set[str]:
        return with_equivalents(content_terms(" ".join(_paper_texts(snapshot, paper_id, scored))))

    @cache
    def acronyms(paper_id: str) -> dict[str, str]:
        return defined_acronyms(_paper_texts(snapshot, paper_id, scored))

    def states(text: str, paper_id: str, needs: re.Pattern, named_kind: bool = False) -> bool:
        # The paper's title names its subject ("Atom of Thoughts"); the sentence may use an acronym,
        # named in the title or defined earlier in the abstract ("visual place recognition (VPR)").
        spelled = " ".join(words for acronym, words in acronyms(paper_id).items() if mentions(text, acronym))
        words = with_equivalents(content_terms(f"{text} {titles[paper_id]} {spelled}"))
        on_subject = not asked or coverage(asked, words, idf, unseen) >= settings.fact_min_coverage
        if not on_subject:
            # "How long does it take to train a detector with a billion parameters ... when the gradient
            # variances of backbone, FPN and heads are kept aligned ...?": the figure's sentence ("one
            # billion parameters in just 3.5 hours") holds a part, the rest of its abstract the rest.
            share = coverage(asked, words, idf, unseen)
            # "What error rate on CIFAR-10 does the net get when you search for a conv cell ...?": a
            # sentence naming the measure asked ("2.4% error rate") of a paper holding the description.
            on_subject = (share >= settings.fact_sentence_min_coverage or (bool(measure) and measure <= words)) and (
                coverage(asked, abstract_words(paper_id), idf, unseen) >= settings.fact_paper_coverage
            )
        if needs is NUMBER and units:
            # "How many workshops?" is answered by "two workshops".
            text = with_digits(text)
        counts_it = needs is not NUMBER or not units or any(counts(text, unit) for unit in units)
        # "In which model sizes was OpenELM released?": sizes, not "pre-training in only 9 days".
        sized = needs is not NUMBER or not asks_model_size or bool(MODEL_SIZE.search(text)) or counts(text, "paramet")
        names_value = needs is not NUMBER or (
            value_name in text.casefold()
            and names_metric(text, metric)
            and all(mentions(text, benchmark) for benchmark in benchmarks)
        )
        # "What vocabulary size ...?" is answered by a sentence about the vocabulary (or its acronym's words).
        stems = with_equivalents(content_terms(f"{text} {spelled}"))
        measures_it = needs is not NUMBER or (measure <= stems and (not changed or bool(changed & stems)))
        figure = shows_fact(text, needs, acronyms(paper_id) if named_kind else {})
        return figure and on_subject and counts_it and names_value and sized and measures_it

    # A paper that only uses a name ("We evaluate LongGen on Llama-2 7B") says nothing of the named
    # thing's own figures unless the sentence names it: "training on 5B long-context data" is LongGen's.
    subject = grammatical_subject(focus)

    @cache
    def names_own_subject(paper_id: str) -> bool:
        texts = _paper_texts(snapshot, paper_id, scored)
        return any(gives_name(texts, name) for name in subject)

    def about_subject(candidate: ScoredSentence) -> bool:
        text, paper_id = candidate.sentence.text, candidate.sentence.paper_id
        if not subject or names_own_subject(paper_id):
            return True
        return any(uses_leading_word(text, name) for name in subject)

    stating = []
    for needs, label in asked_facts(focus):
        stated = next(
            (
                c
                for c in scored
                if c.sentence.paper_id in (names_all if needs is NUMBER else named)
                and (needs is not NUMBER or about_subject(c))
                and states(c.sentence.text, c.sentence.paper_id, needs, label.startswith("which "))
            ),
            None,
        )
        if stated is None:
            mentioned = spoken_list(focus.names or subject)
            found = f"The indexed papers mention {mentioned}" if mentioned else "The papers found are on this topic"
            return f"{found}, but none of them states {label}.", ()
        # A figure, a year, a named accelerator or a name of the kind asked ("which regularizer": "...
        # called ScheduledDropPath") is the fact itself; the other patterns ("by Google") only hint at it.
        if needs is NUMBER or needs is YEAR or label.startswith("which ") or label == EXPANSION_LABEL:
            stating.append(stated)
    unique = {(c.sentence.paper_id, c.sentence.position): c for c in stating}
    return "", tuple(unique.values())


PARENTHETICAL = re.compile(r"\s*\([^()]*\)")


def jargon_holders(
    focus: Focus,
    citable: list[str],
    sentences: dict[str, list[StoredSentence]],
    snapshot: IndexSnapshot,
    settings: AnswerSettings,
) -> tuple[str, list[str]]:
    """The citable papers that use the question's technical terms, or what is missing when none
    does: "Which paper adapts 3D Gaussian Splatting to underwater scenes ...?" is not answered by a
    3DGS paper that never mentions water. A question about one thing is answered by a paper using
    all of them; a question about many, by papers that together use each."""
    # A term many papers use (classifier, diffusion, pretrained) is context, as a common name is. A
    # list's aside in brackets ("certified (provably robust) training") explains; it does not narrow.
    question = PARENTHETICAL.sub("", focus.question) if focus.shape in MANY_PAPER_SHAPES else focus.question
    words = [
        w
        for w in jargon(question, focus.terms, settings.jargon_max_zipf)
        if snapshot.paper_share(w) <= settings.common_name_share
    ]
    if not words:
        return "", citable
    uses = {}
    for pid in citable:
        text = paper_abstract(snapshot, sentences, pid)
        uses[pid] = {w for w in words if uses_word(w, content_terms(text), text)}
    if focus.shape in MANY_PAPER_SHAPES:
        absent = [w for w in words if not any(w in used for used in uses.values())]
        holders = citable
    else:
        holders = [pid for pid in citable if uses[pid] == set(words)]
        best = max(uses.values(), key=len, default=set())
        absent = [w for w in words if w not in best]
    if not absent:
        return "", holders
    quoted = spoken_list([f'"{w}"' for w in absent])
    return f"The papers found are on this topic, but none of them mentions {quoted}.", citable


def subject_gap(
    focus: Focus,
    citable: list[str],
    sentences: dict[str, list[StoredSentence]],
    snapshot: IndexSnapshot,
    settings: AnswerSettings,
) -> str:
    """What is missing when no citable paper using the question's subject discusses what the
    question asks it to do: "How does GaLore reduce gradient communication between nodes ...?" is
    not answered by GaLore's abstract, which is about memory."""
    name, words = asked_of_subject(focus)
    subject, handled = handled_by_described_subject(focus)
    described = topic_terms(subject)
    # Only a specific subject (SpeechGPT, GaLore): "How do LLMs ...?" is about a field, not one paper's method.
    if name and snapshot.paper_share(name) > settings.specific_name_share:
        return ""
    if not name:
        words = handled
    # Other names in what is asked ("get rid of PPO in the RLHF pipeline") are its matter.
    named = content_terms(name) if name else content_terms(" ".join(focus.names))
    terms = topic_terms(" ".join(words)) - named - described
    if not terms or not (name or described):
        return ""
    idf, unseen = snapshot.idf
    texts = [paper_abstract(snapshot, sentences, pid) for pid in citable]
    # A subject described in words is the paper holding all of them ("sheaf neural networks ... recommendation").
    covered = [
        with_equivalents(content_terms(text)) | names_written(text, [n for n in focus.names if n != name])
        for text in texts
        if (uses_name(text, name) if name else described <= content_terms(text))
    ]
    name = name or subject
    if not covered:
        return ""
    # A proper name in what is asked ("... languages other than Python") is the point of the question:
    # an abstract that never writes it cannot say how the subject handles it, however much else it shares.
    proper = set().union(*(content_terms(w) for w in words if w[:1].isupper())) & terms
    best = max(covered, key=lambda have: (proper <= have, coverage(terms, have, idf, unseen)))
    if proper <= best and coverage(terms, best, idf, unseen) >= settings.subject_matter_coverage:
        return ""
    # A missing proper name is what is missing; otherwise the question's rarest missing words.
    absent = (proper - best) or (terms - best)
    quoted = rarest_missing(words, absent, idf, unseen)
    return f"The indexed papers describe {name}, but none of them discusses {quoted}."


def names_written(text: str, names: list[str]) -> set[str]:
    """The stems of the names ``text`` writes in any form: "LLMs" and "large language models" write LLM."""
    return set().union(*(content_terms(n) for n in names if written(text, n)))


def rarest_missing(words: list[str], absent: set[str], idf: dict[str, float], unseen: float) -> str:
    """The question's own words for what is missing, rarest first, one per stem ("picks", not also
    "picking"), quoted: '"routing", "picks" and "top-k"'."""
    said: set[str] = set()
    rarity: dict[str, float] = {}
    for word in (w.strip(".,;:()'\"?").removesuffix("'s") for w in words):
        missing = set() if word.lower() in FUNCTION_WORDS else content_terms(word) & absent
        if missing and not missing <= said:
            said |= missing
            rarity[word] = max(idf.get(t, unseen) for t in missing)
    return spoken_list([f'"{w}"' for w in sorted(rarity, key=rarity.__getitem__, reverse=True)[:3]])


def gives_name(texts: list[str], name: str) -> bool:
    """Whether a paper (its title, then its sentences) is the one that names ``name``: the title uses
    it, or a sentence introduces or defines it ("we propose a new ... technique called LAMB" is
    farther from its name than introduces() looks)."""
    return uses_name(texts[0], name) or any(
        introduces(t, name) or (mentions(t, name) and DEFINES.search(t) is not None) for t in texts
    )


# What a which-question may call one paper's work: "Which paper / method / framework ...?".
WORK_NOUN = r"(?:paper|work|study|method|approach|technique|framework|system|algorithm)"

# "Which paper proposes PagedAttention ...?": a name the question says some paper proposes.
PROPOSED_NAME = re.compile(
    rf"^\s*which\s+{WORK_NOUN}s?\s+(?:first\s+)?"
    r"(?:propos|introduc|present|develop|invent)\w*\s+(?:the\s+|a\s+|an\s+)?([\w$-]+)",
    re.I,
)


def proposer_gap(
    focus: Focus, citable: list[str], sentences: dict[str, list[StoredSentence]], snapshot: IndexSnapshot
) -> str:
    """What is missing when a question asks which paper proposes a name that the citable papers only
    use: a paper serving LLMs with PagedAttention did not propose it."""
    match = PROPOSED_NAME.match(asked_clause(focus.question))
    name = match.group(1) if match else ""
    if name not in focus.names:
        return ""
    for pid in citable:
        title = snapshot.title(pid)
        # A title that opens with the name introduces it ("GaLore: ..."); "Merging LoRAs ..." only uses LoRA.
        # Defining it ("LoRA is a popular method") or using it ("our approach utilizes LoRA") is anyone's.
        if introduced_name(title).casefold() == name.casefold() or any(
            proposes_name(s.text, name, whole=True) for s in sentences.get(pid, [])
        ):
            return ""
    return f"The indexed papers mention {name}, but none of them proposes it."


# "Which paper proposes ...?", "Which method uses ...?": the rest of the question describes one paper's work.
WHICH_WORK = re.compile(rf"^\s*(?:which|what)\s+{WORK_NOUN}s?\b", re.I)


def description_gap(
    focus: Focus,
    citable: list[str],
    sentences: dict[str, list[StoredSentence]],
    snapshot: IndexSnapshot,
    settings: AnswerSettings,
) -> str:
    """What is missing when a which-paper question describes work no citable abstract matches: the
    closest paper shares its topic, not the description (description_min_coverage)."""
    if focus.shape != "which" or not WHICH_WORK.match(asked_clause(focus.question)) or not citable:
        return ""
    idf, unseen = snapshot.idf
    terms = set(focus.terms)
    held = {pid: with_equivalents(content_terms(paper_abstract(snapshot, sentences, pid))) for pid in citable}
    best = max(citable, key=lambda pid: coverage(terms, held[pid], idf, unseen))
    if coverage(terms, held[best], idf, unseen) >= settings.description_min_coverage:
        return ""
    quoted = rarest_missing(re.findall(r"[\w-]+", asked_clause(focus.question)), terms - held[best], idf, unseen)
    closest = short_name(snapshot.title(best))
    return f"The closest indexed paper ({closest}) matches only part of the description: it never mentions {quoted}."


MODEL_SIZE_ASKED = re.compile(r"\bmodel (sizes?|scales?)\b|\b(sizes?|scales?) of (the |its |their )?models?\b", re.I)
# A model size as questions and abstracts write it: "8B", "175B", "1.3B", "350M".
MODEL_SIZE = re.compile(r"(?<![\w.-])(\d+(?:\.\d+)?)\s?([BM])(?![\w-])")


def _paper_uses_size(
    snapshot: IndexSnapshot, paper_id: str, size: tuple[str, str], scored: list[ScoredSentence]
) -> bool:
    number, magnitude = size
    pattern = re.compile(
        rf"(?<![\w.]){re.escape(number)}\s?{magnitude}(?![a-z])|(?<![\w.]){re.escape(number)}[- ]?"
        rf"{'billion' if magnitude == 'B' else 'million'}",
        re.I,
    )
    return any(pattern.search(text) for text in _paper_texts(snapshot, paper_id, scored))


def abstract_text(title: str, sentences: list[StoredSentence]) -> str:
    """A paper's title and abstract as one text: what a paper "uses" is looked up in."""
    return title + " " + " ".join(s.text for s in sentences)


def paper_abstract(snapshot: IndexSnapshot, sentences: dict[str, list[StoredSentence]], paper_id: str) -> str:
    """A retrieved paper's title and abstract as one text (see :func:`abstract_text`)."""
    return abstract_text(snapshot.title(paper_id), sentences.get(paper_id, []))


COMPOUND = re.compile(r"(?<![\w-])[a-z]{2,}(?:-[a-z]{2,})+(?![\w-])")


def subject_compounds(
    question: str, citable: list[str], snapshot: IndexSnapshot, scored: list[ScoredSentence], settings: AnswerSettings
) -> list[str]:
    """The question's hyphenated compounds ("early-exit") that are specific (the rarest part is used
    by at most common_name_share of papers) and that a citable paper uses: they name the subject. A
    compound no candidate uses is the asker's own wording, and constrains nothing."""
    return [
        compound
        for compound in dict.fromkeys(COMPOUND.findall(asked_clause(question)))
        if snapshot.paper_share(compound.replace("-", " ")) <= settings.common_name_share
        and any(_paper_uses_phrase(snapshot, pid, compound, scored) for pid in citable)
    ]


def _paper_uses_phrase(snapshot: IndexSnapshot, paper_id: str, compound: str, scored: list[ScoredSentence]) -> bool:
    """Whether the paper's title or retrieved sentences use the compound, hyphenated or spaced."""
    spelled = r"[\s-]".join(map(re.escape, compound.split("-")))
    pattern = re.compile(rf"(?<![\w-]){spelled}(?:s|es|ed)?(?!\w)", re.I)
    return any(pattern.search(text) for text in _paper_texts(snapshot, paper_id, scored))


def _paper_texts(snapshot: IndexSnapshot, paper_id: str, scored: list[ScoredSentence]) -> list[str]:
    """The paper's title and its retrieved sentences."""
    title = snapshot.title(paper_id)
    return [title] + [c.sentence.text for c in scored if c.sentence.paper_id == paper_id]


def _paper_names(
    snapshot: IndexSnapshot, paper_id: str, focus: Focus, scored: list[ScoredSentence], every: bool = False
) -> bool:
    """Whether the paper's title or sentences use one of the question's names, or (``every``) each
    of them at least by its leading word ("ImageNet" for "ImageNet-1k", "LLaMA" for "LLaMA-2"): a
    variant the paper spells differently must not make an answerable figure look unstated."""
    texts = _paper_texts(snapshot, paper_id, scored)
    if every:
        # "CodeACT-DeepSeek-Coder-6.7B" is DeepSeek-Coder tuned with CodeACT: both names are used.
        texts = [split_compounds(text, focus.names) for text in texts]
        return all(
            any(uses_leading_word(text, name) or spells_acronym(text, name) for text in texts) for name in focus.names
        )
    # "RL" is used by a paper that writes "reinforcement learning".
    return any(uses_name(text, name) or spells_acronym(text, name) for text in texts for name in focus.names)


def split_compounds(text: str, names: tuple[str, ...]) -> str:
    """The text with a question's name that prefixes a hyphenated compound set apart from the rest."""
    for name in names:
        text = re.sub(rf"(?<![\w-]){re.escape(name)}-(?=[A-Z])", lambda match: match.group(0)[:-1] + " ", text)
    return text


def uses_leading_word(text: str, name: str) -> bool:
    """Whether ``text`` starts a word with the name's leading letters ("ImageNet" of "ImageNet-1k",
    "Megatron" of "Megatron-LM"), or uses the name itself when those letters are too short."""
    if uses_name(text, name):
        return True
    letters = re.match(r"[A-Za-z]+", name)
    lead = letters.group(0) if letters else ""
    if len(lead) < 3:
        return False
    # A short lead must be spelled as asked and end there: "PRE" is not the start of "pre-trained";
    # a longer one may differ in case ("LLaMA-2" and "Llama 2").
    flags = re.I if len(lead) >= 5 else 0
    return re.search(rf"(?<![\w-]){re.escape(lead)}(?![a-z])", text, flags) is not None


def with_title_names(focus: Focus, snapshot: IndexSnapshot) -> Focus:
    """The focus with the one-word names that titles introduce and the question spells as the
    title does, though they do not look like names: "Adapt-infty" in any question, and a plain
    capitalised word when the question asks what it is ("Unicron: Economizing Self-Healing LLM
    Training ..." for "What is Unicron?"). A title introducing a phrase ("Batch Normalization:
    ...") is left to the topic words."""
    introduced = snapshot.introduced_as_written
    extra = [
        word
        for word in re.findall(r"[A-Za-z][\w$^-]*[A-Za-z0-9]", asked_clause(focus.question))
        if word[0].isupper()
        and word in introduced
        and word not in focus.names
        # Elsewhere a plain capitalised word named by a title ("Galactic") stays a topic word: as a
        # name it let "Which GPU model ran Galactic?" be answered by Galactic's other figures.
        and ("-" in word or focus.shape == "definition")
    ]
    return replace(focus, names=(*focus.names, *dict.fromkeys(extra))) if extra else focus


def with_typed_names(question: str, snapshot: IndexSnapshot, settings: AnswerSettings) -> str:
    """The question with the names titles introduce spelled as the titles do where it types them in
    lower case, as chat questions do: "galore how much memory does it save?" asks about GaLore. Only
    a rare word (or one with a hyphen or a digit) is read as the name: "float" is no FloAt, "kind" no
    KIND."""

    def recased(match: re.Match) -> str:
        word = match.group(0)
        name = snapshot.name_spellings.get(word)
        if name is None:
            return word
        rare = "-" in word or any(ch.isdigit() for ch in word) or general_zipf(word) <= settings.typed_name_max_zipf
        return name if rare else word

    return re.sub(r"(?<![\w-])[a-z][\w-]*[a-z0-9](?![\w-])", recased, question)


# "Gradient Lens Distillation", "Chain of Thought": a multi-word proper name. Each word may be common
# ("gradient", "lens"), so the word-level unknown-name check passes it; the phrase must occur.
# Only Title-case words: names such as "MEET" or "A100" are the unknown-name check's, and "Zeus and
# Perseus" is two names.
TITLE_WORD = r"[A-Z][a-z]+(?:-[A-Za-z][a-z]+)*"
PROPER_PHRASE = re.compile(
    rf"(?<![\w-]){TITLE_WORD}(?:\s+(?:(?:of|for|the|in|on|to|with|via|from)\s+)?{TITLE_WORD})+(?![\w-])"
)


def proper_phrases(question: str) -> list[tuple[str, tuple[str, ...]]]:
    """The question's multi-word proper names, with their stems; the question's first word is
    capitalised only because it opens the question."""
    phrases = []
    for match in PROPER_PHRASE.finditer(question):
        words = match.group(0).split()
        if match.start() == len(question) - len(question.lstrip()):
            words = words[1:]
        while words and words[0].islower():
            words = words[1:]
        stems = tuple(stem for stem in stem_sequence(" ".join(words)) if stem)
        if sum(word[:1].isupper() for word in words) >= 2 and len(stems) >= 2:
            phrases.append((" ".join(words), stems))
    return phrases


def phrase_gap(question: str, hits: list[Hit], sentences: dict[str, list[StoredSentence]]) -> str:
    """What is missing when no retrieved paper uses a multi-word proper name of the question."""
    phrases = proper_phrases(question)
    if not phrases:
        return ""
    texts = [stem_sequence(abstract_text(h.title, sentences.get(h.paper_id, []))) for h in hits]
    absent = [name for name, stems in phrases if not any(stems_contain(text, stems, gap=2) for text in texts)]
    return f"None of them mentions {spoken_list([repr(name) for name in absent])}." if absent else ""


# "Which papers report results on HumanEval?", "papers evaluating on ADE20K": the named benchmark is
# what a listed paper must use.
EVALUATED_ON = re.compile(
    r"\b(?:evaluat\w*|report\w*|results?|experiments?|tested|tests?|benchmark\w*|scores?)\b[^?]*?"
    r"\b(?:on|with|using)\s+(?:the\s+)?([\w.-]+)",
    re.I,
)


def evaluated_on(focus: Focus) -> tuple[str, ...]:
    """The names a list question asks results on (see EVALUATED_ON)."""
    if focus.shape != "list":
        return ()
    named = {match.group(1).rstrip(".") for match in EVALUATED_ON.finditer(focus.question)}
    return tuple(name for name in focus.names if name in named)


def names_benchmark(text: str, name: str) -> bool:
    """Whether the text uses a benchmark's name; one in capitals is matched as written: the MATH
    benchmark is not every abstract about math."""
    if name.isupper():
        return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None
    # "ImageNet-R" is another dataset than ImageNet: a one-letter variant is matched as written, also
    # within a list of variants ("ImageNet-C,R,S,A").
    if variant := LETTER_VARIANT.match(name):
        base, letter = variant.groups()
        return re.search(rf"(?<![\w-]){re.escape(base)}-(?:[A-Z],\s*)*{letter}(?![\w-])", text) is not None
    # "WikiText-103" is a WikiText benchmark.
    return mentions(text, name) or uses_leading_word(text, name)


LETTER_VARIANT = re.compile(r"^([\w-]+)-([A-Z])$")


def with_name_users(
    retriever: HybridRetriever, retrieval: Retrieval, focus: Focus, source: str | None, settings: AnswerSettings
) -> tuple[Retrieval, frozenset[str]]:
    """A list question asking for results on something few papers use ("Which papers report results
    on the HumanEval code benchmark?") lists every paper using it: one that names HumanEval once in a
    long abstract ranks below topical neighbours, so the papers the name alone retrieves are added.
    Returns the retrieval and the added papers' ids."""
    snapshot = retriever.snapshot
    have = {h.paper_id for h in retrieval.hits}
    added = []
    for name in evaluated_on(focus):
        if not 0 < snapshot.name_share(name) <= settings.specific_name_share:
            continue
        # BM25 reads "ImageNet-R" as ImageNet: the few papers writing the name are among many more.
        for hit in retriever.retrieve(name, k=settings.name_users_k, mode="bm25", source=source).hits:
            if hit.paper_id not in have and names_benchmark(hit.text, name):
                have.add(hit.paper_id)
                added.append(hit)
    if not added:
        return retrieval, frozenset()
    widened = Retrieval(retrieval.query, retrieval.query_vector, [*retrieval.hits, *added], retrieval.unknown_names)
    return widened, frozenset(h.paper_id for h in added)


def with_spelled_out_names_known(
    retrieval: Retrieval, sentences: dict[str, list[StoredSentence]], snapshot: IndexSnapshot
) -> Retrieval:
    """The retrieval without the unknown names a retrieved paper spells out: "ELR" appears nowhere
    in the index, but "Early-Learning Regularization" is its paper's title."""
    if not retrieval.unknown_names:
        return retrieval
    texts = [paper_abstract(snapshot, sentences, h.paper_id) for h in retrieval.hits]
    unknown = tuple(n for n in retrieval.unknown_names if not any(spells_acronym(t, n) for t in texts))
    return Retrieval(retrieval.query, retrieval.query_vector, retrieval.hits, unknown)


def gather_evidence(
    retriever: HybridRetriever,
    question: str,
    k: int,
    mode: RetrievalMode,
    source: str | None,
    settings: AnswerSettings,
) -> Evidence:
    snapshot = retriever.snapshot
    question = with_typed_names(question, snapshot, settings)
    focus = with_title_names(analyze(question), snapshot)
    if focus.shape in MANY_PAPER_SHAPES:
        k = max(k, settings.list_k)
    feedback = focus.shape in MANY_PAPER_SHAPES and not is_passage(question)
    retrieval = retriever.retrieve(question, k=k, mode=mode, source=source, feedback=feedback)
    name_users: frozenset[str] = frozenset()
    if focus.shape == "list" and mode == "hybrid":
        retrieval, name_users = with_name_users(retriever, retrieval, focus, source, settings)
    retrieval, focus_papers = focus_first(retrieval, snapshot, focus)
    sentences = snapshot.sentences_for([h.paper_id for h in retrieval.hits])
    retrieval = with_spelled_out_names_known(retrieval, sentences, snapshot)
    defining = defining_papers(retrieval.hits, sentences, focus, snapshot, settings)
    if defining and not focus_papers:
        # "What is LARS?": the paper whose abstract introduces LARS answers, ahead of LAMB's, which cites it.
        hits = papers_first([h for h in retrieval.hits if h.paper_id in defining], retrieval.hits)
        retrieval = Retrieval(retrieval.query, retrieval.query_vector, hits, retrieval.unknown_names)
    focus_papers |= defining
    scored = score_sentences(retrieval, sentences, settings, focus, focus_papers)
    strength = scored[0].score if scored else 0.0
    titled = titled_papers(retrieval.hits, focus, snapshot, settings)
    citable = citable_papers(retrieval, sentences, focus, snapshot, settings, titled)
    if benchmarks := evaluated_on(focus):
        # "Which papers evaluate semantic segmentation on ADE20K?" lists the papers that name ADE20K,
        # those the name alone retrieved (with_name_users) included: the name is the key content.
        named = [h.paper_id for h in retrieval.hits if h.paper_id in citable or h.paper_id in name_users]
        abstracts = {pid: paper_abstract(snapshot, sentences, pid) for pid in named}
        citable = [pid for pid in named if any(names_benchmark(abstracts[pid], b) for b in benchmarks)]
    citable = introducers_of_compared(focus, citable, sentences, snapshot, settings)
    # "What is ScatSimCLR?" is answered by the paper whose title introduces it ("ScatSimCLR:
    # self-supervised contrastive learning ..."), however weakly its sentences match three words.
    defined = focus.shape == "definition" and bool(focus_papers & set(citable))
    asked_unknown = asked_about_unknown(focus, retrieval.unknown_names)
    answerable = (is_answerable(strength, retrieval.unknown_names, settings, asked_unknown) or defined) and bool(
        citable
    )
    missing, stating = "", ()
    if answerable and (missing := phrase_gap(question, retrieval.hits, sentences)):
        answerable = False
    if answerable:
        missing, citable = jargon_holders(focus, citable, sentences, snapshot, settings)
        missing = missing or subject_gap(focus, citable, sentences, snapshot, settings)
        missing = missing or proposer_gap(focus, citable, sentences, snapshot)
        missing = missing or description_gap(focus, citable, sentences, snapshot, settings)
        if not missing:
            missing, stating = fact_gap(scored, focus, citable, snapshot, settings)
        answerable = not missing
    return Evidence(
        question=question,
        query_vector=retrieval.query_vector,
        hits=retrieval.hits,
        sentences=sentences,
        scored=scored,
        focus_terms=content_terms(question),
        unknown_names=retrieval.unknown_names,
        answerable=answerable,
        settings=settings,
        focus=focus,
        citable=citable,
        missing=missing,
        stating=stating,
        snapshot=snapshot,
        focus_papers=focus_papers,
        titled=titled & frozenset(citable),
    )
