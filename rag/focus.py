"""What a question asks for: its shape, the names it mentions, and its key words.

The shape decides which sentences are candidates and how the answer is laid out:
definition ("What is X?"), mechanism ("How does X ...?"), quantity ("How much ...?"),
which ("Which method ...?"), list ("Which papers ...?"), comparison ("Compare ...") and
open synthesis. Patterns are on the question's wording, not on any question set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rag.text import ADDRESSING, EXPLETIVE_IT, content_terms, name_like_words, proper_words, topic_terms

Shape = Literal["definition", "mechanism", "quantity", "which", "list", "compare", "synthesis"]
# Shapes answered by several papers: more are retrieved (with feedback) and more may be cited.
MANY_PAPER_SHAPES = frozenset({"list", "compare", "synthesis"})

# "What is the 'compute-equivalent gain' used to compare ...?" defines a yardstick; it asks for no comparison.
COMPARE = re.compile(r"\b((?<!used to )compare|comparison|contrast|differences?|differ|versus|vs\.?)\b", re.I)
LIST = re.compile(
    r"^\s*(which|what)\s+(other\s+)?(papers|works|studies|articles)\b|\b(list|what work exists|which papers|"
    r"what papers|papers (that|which|on|about|study))\b|"
    # "What work is there on test-time training ...?", "Is there any research on ...?"
    r"\bwhat (work|research|studies) (is|are) there\b|"
    r"\b(is|are) there (any )?(work|research|papers|studies) (on|about)\b|"
    # "What approaches exist for ...", "Which large image-text datasets ...": a plural asks for several.
    r"^\s*(which|what)\s+([\w\-]+\s+){0,3}(approaches|methods|techniques|models|datasets|laws|algorithms|"
    r"strategies|frameworks|architectures|benchmarks|optimizers|ways)\b|"
    # "Which normalization layers have been proposed ...?": a plural subject agreeing with a plural verb.
    r"^\s*(which|what)\s+([\w\-]+\s+){0,3}[\w\-]+[^s]s\s+(have|are|were|do)\b",
    re.I,
)
# A training hyperparameter asked for is a value ("What learning rate did X use?"); a learning-rate
# schedule or warmup is a method.
VALUE_OF_RUN = r"learning rate(?! (schedul|warm|polic|decay))|dropout rate|weight decay|batch size"
QUANTITY = re.compile(
    r"\b(how (much|many|fast|large|big|long|often|small)|by how much|to what (extent|degree)|"
    r"what (percentage|fraction|proportion|share|portion|speed-?up|accuracy|score|number|size|rate|reduction|"
    r"improvement|throughput|error rate|word error rate|level|compression|perplexity))\b|"
    r"\b(number of|count|how many)\b|"
    # "What is the context length of ...?", not "What is a weight compander?" (a name, not a measure).
    r"^\s*what\b.*\bthe\s+([\w\-]+\s+){0,3}(size|maximum|minimum|length|weight|duration|" + VALUE_OF_RUN + r")\b|"
    r"^\s*what\s+([\w\-]+\s+){0,3}(accuracy|throughput|speed-?up|error rate|score|perplexity|percentage|"
    r"reduction|improvement|latency|cost)\b|"
    # "What decay factor do they use ...?", "What KL coefficient / LoRA rank ...?": a value; "What
    # factors ..." is not.
    r"^\s*what\s+(?!(is|are|was|were)\b)([\w\-]+\s+){1,3}(factor|coefficient|rank)\b|"
    # "What sliding-window attention size does X use?", "What learning rate did X use?" (but "What is
    # a weight compander?" names a thing).
    r"^\s*what\s+(?!(is|are|was|were)\b)([\w\-]+\s+){0,3}(size|length|duration|weight|" + VALUE_OF_RUN + r")\b",
    re.I,
)
DEFINITION = re.compile(
    r"^\s*(what (is|are)\s+(?!the\b)\S+(\s+\S+){0,5}\s*\??\s*$|what does \S+ (do|mean|stand for)|define\b)"
    # "What is 'alignment faking' in a large language model?": a quoted term is a name to define.
    r"|^\s*what (is|are) (a |an |the )?(?-i:[A-Z])|^\s*what (is|are) (a |an |the )?['\"\u201c\u2018]\w",
    re.I,
)
# "What is the REX learning rate schedule?": a definition when the question names something.
DEFINE_NAMED = re.compile(r"^\s*what (is|are) (the |a |an )?\S+(\s+\S+){0,5}\s*\??\s*$", re.I)
# "What is online TTT in the work on test-time training for video streams?": a named thing, then
# where to find it. Group 1 is the thing; it must hold a name ("What is the role of X in Y?" does not).
DEFINE_IN_CONTEXT = re.compile(
    r"^\s*what (?:is|are) ((?:the |a |an )?(?:[\w'-]+ ){0,3}[\w'-]+),? "
    r"(?:in|from|of|as (?:used|defined|proposed|introduced) in|(?:used|defined|proposed|introduced) (?:in|by))\b",
    re.I,
)
# "What is X, and which Y ...?": the second part names what is asked for.
COMPOUND_WHICH = re.compile(
    r",? and (which|what) (\w+ ){0,3}(method|model|technique|framework|procedure|"
    r"reparametri[sz]ation|segmentation|algorithm|mechanism|approach|term|loss)\b",
    re.I,
)
# "Can LLMs learn from ...?", "Has a model been shown to ...?": asks about one finding.
YES_NO = re.compile(r"^\s*(can|could|has|have|does|do|did|is|are|was|were|would|should)\b", re.I)
MECHANISM = re.compile(r"^\s*how\s+(does|do|did|is|are|can|could|would)\b|\bmechanism\b|\bhow .* works?\b", re.I)
WHICH = re.compile(
    # "... was built from the annotations of which existing dataset?": the question ends asking which.
    r"\b(?:in|on|at|for|from|by|with|of|to)\s+which\s+(?:[\w-]+\s+){0,3}?[\w-]+\s*\?\s*$|"
    r"^\s*(?:(?:in|on|at|for|from|by|with|of)\s+)?which\b|^\s*what\s+([\w-]+\s+){0,3}?(method|model|approach|technique|paper|work|framework|algorithm|optimizer|"
    r"system|dataset|benchmark|architecture|strategy|term|mechanism|procedure|baseline|loss|objective|component|"
    r"schedule|regularizer|metric|idea|trick)s?\b",
    re.I,
)
# "Who developed MT-Bench?": one maker, so one paper (or none) answers, never a survey.
WHO = re.compile(r"^\s*who\b", re.I)
# "How does X work?", "How did a model reach ...?": one subject, so one paper answers.
SINGULAR_HOW = re.compile(r"^\s*how\s+(does|did)\b", re.I)
# Kinds of thing a "which X" question asks for; the answer's sentence names one ("... mechanism").
KINDS = (
    "method|model|approach|technique|framework|algorithm|optimizer|system|dataset|benchmark|architecture|"
    "strategy|mechanism|procedure|loss|objective|regularizer|regularization|schedule|metric|paradigm|"
    "function|format|toolkit|library|manager|policy|module|layer|network|scheme|protocol|recipe|term|component|"
    "trick|idea|baseline|operator|block|criterion|estimator|technique|attack|defen[cs]e"
)
WHICH_HEAD = re.compile(rf"^\s*(?:which|what)\s+(?:[\w-]+\s+){{0,4}}?({KINDS})s?\b", re.I)
# "Which choice was found to matter most?": asks for a finding, not for what a paper proposes.
FINDING = re.compile(
    r"\b(found|turned out|shown|worked best|works best|performed best|performs best|most (effective|important)|"
    r"biggest|largest (impact|effect)|best (choice|option))\b",
    re.I,
)
# "Which design choice had the biggest impact?": asks which finding ranked first; the answer must
# report it ("X has the most significant impact"). "Which method was shown to ...?" asks for a name.
RANKED_FINDING = re.compile(
    r"\b(worked best|works best|performed best|performs best|most (effective|important)|biggest|"
    r"largest (impact|effect)|best (choice|option))\b",
    re.I,
)
# References back to the conversation ("it", "its", "that method", "and what about ...").
REFERS_BACK = re.compile(r"\b(it|its|they|their|them|this|that|these|those)\b|^\s*(and|what about|how about)\b", re.I)
# Sentences that open with a reference to something said before them: unreadable alone.
DANGLING = re.compile(
    r"^(To "
    + ADDRESSING
    + r" (these|this|such|the above)|In contrast|However|Moreover|Furthermore|Additionally|Therefore|"
    r"Thus|Hence|This(?! (paper|work|study|article|report|thesis|survey)\b)|These|Those|Such|"
    # "It is noteworthy that ..." is not a reference back; "It outperforms ..." is.
    r"It" + EXPLETIVE_IT + r"|Its|They|Their|"
    # "Our approach, alignMEnt with ... (MEET), improves ...": the apposition names it, so it reads alone.
    # "Our approach, dubbed ``follow anything'' (FAn), is ...": so does one that gives its name.
    r"Our (methods?|approach(es)?|models?)(?!, [^,]{0,80}?(\b[A-Z][\w-]*[A-Z0-9]\b|\b(dubbed|called|named|termed)\b))|"
    r"Further|Instead|Similarly|"
    r"Finally|Specifically|Building on)\b|^Here,"
)
# "Our method", "Our approaches": the paper's own work, named by the paper the quote is shown under.
OUR_THING = re.compile(r"^Our (methods?|approach(?:es)?|models?)\b")
# "To address this issue, we propose X": the claim after the connective stands on its own.
TRIMMABLE = re.compile(r"^[^.;:]{0,160}?, (?=(we|our) )")
# "To overcome this optimization difficulties we propose ...", "To solve these issues, the Multi-view
# Cross Former module is proposed ...": an opening that replies to a problem stated before.
ANSWERS_PROBLEM = re.compile(
    r"^To " + ADDRESSING + r" (?:this|these|such|the above)\b[^,.;:]{0,80}?(?:,\s*|\s+(?=(?:we|our)\b))"
)
# Discourse markers that only link to the previous sentence: "Specifically, the skipping strategy
# is guided by ..." reads alone without "Specifically,", unless what follows points back too.
MARKER = re.compile(
    r"^(In contrast|However|Moreover|Furthermore|Additionally|Therefore|Thus|Hence|Further|Instead|Similarly|"
    r"Finally|Specifically|Here|In particular|First|Second|Third|Next|Then|Also|As a result|Consequently),\s+"
)
# An opening phrase set in what the sentence before described: "In this phase of training, ...",
# "Under such settings, ..."; not "In this paper, we ...", where the abstract turns to its own work.
SCENE_BEFORE = re.compile(
    r"^(?:In|At|During|For|Under|Within|From) (?:this|these|such|the above) "
    r"(?!(?:paper|work|study|article|report|thesis|survey|letter|note)\b)[^,.;:\d]{1,60}, "
)
# A clause opening with a reference to what came before ("this ...", "it", "such methods").
REFERENCE = re.compile(r"^(this|these|those|such|it|its|they|their|them|the above|the latter|the former)\b", re.I)
# A figure, not a digit inside a name: "2.56%", "1B", "8-bit" count; "L2", "GPT-4", "FLUX.1", "ViT-g/14" do not.
# "3D shapes", "2D images": a dimension, not a figure.
NUMBER = re.compile(r"(?<![\w\-/.])(?!\d[Dd]\b)\d")
# How a resolved follow-up carries the earlier subject: "what about its memory cost (regarding GaLore)?"
SUBJECT_MARK = " (regarding "


@dataclass(frozen=True)
class Focus:
    question: str
    shape: Shape
    # Name-like words of the question (LoRA, GaLore, GPT-4): the subject it asks about.
    names: tuple[str, ...]
    # Stemmed content words, without the words that only make it a question.
    terms: frozenset[str]


# "How many images are in the dataset used to compare X with Y?" asks for a count, whatever follows.
# "By what factor does LightSeq cut communication vs Megatron-LM?" asks for a figure, whatever it compares.
COUNT_FIRST = re.compile(
    r"^\s*(how (many|much)|by how much|by what (factor|percentage|percent|margin|ratio|fraction|amount))\b", re.I
)
# "In which model sizes was X released?": a measure, asked with "which".
WHICH_MEASURE = re.compile(
    r"^\s*(?:(?:in|at|with|of|for)\s+)?which\s+(?:[\w-]+\s+){0,2}?(?:sizes?|scales?|numbers?|amounts?|lengths?)\b", re.I
)
# "Which two pre-training datasets were used ...?": a count of named things, not a list of papers.
COUNTED_WHICH = re.compile(r"^\s*(which|what)\s+(two|three|four|five|six|\d+)\b", re.I)
# "What COCO-WholeBody AP does RTMPose-l reach ...?": the value a thing attains is a quantity.
ATTAINS = re.compile(
    r"^\s*what\s+\S+(\s+\S+){0,3}\s+(does|do|did)\s+.*\b(reach|achieve|attain|obtain|score|get|hit)\b", re.I
)


# "In transformer-based intrusion detection, which design choice ...?": a leading phrase that sets the
# context; the question proper, whose first words give its shape, follows the comma.
LEADING_CONTEXT = re.compile(
    r"^\s*(in|for|on|within|among|across|according to|during|after|with|using|beyond|when|if|once|while|given)\b"
    r"[^,?]{3,200},\s*"
    # "When an LLM keeps training, over roughly how many updates ...?": a preposition may lead the question.
    r"(?=(?:(?:by|over|at|in|on|for|to|after|within|under|up to|roughly|approximately|about)\s+)?"
    r"(which|what|how|who|when|where|why|is|are|was|were|does|do|did|can|could|has|have)\b)",
    re.I,
)


def asked_clause(question: str) -> str:
    """The question without a leading context phrase ("In X, which ...?" -> "which ...?")."""
    return LEADING_CONTEXT.sub("", question, count=1)


# How people type a question into a search box: "what's X", "whats X", "explain X", "describe X".
CONTRACTED = re.compile(r"^(\s*)(what|how|who|where)(?:'s|\u2019s|s)\b", re.I)
# "explain model soups", "describe SSVI for Bayesian neural nets": a short request to define something.
EXPLAIN = re.compile(
    r"^\s*(?:explain|describe|define)\s+(?!how\b|why\b|what\b|the (?:papers|works)\b)(\S+(?:\s+\S+){0,5})\s*[?.]?\s*$",
    re.I,
)


def question_shape(question: str) -> Shape:
    question = CONTRACTED.sub(r"\1\2 is", asked_clause(question))
    if EXPLAIN.match(question):
        return "definition"
    if COUNT_FIRST.search(question):
        return "quantity"
    if COMPOUND_WHICH.search(question) or COUNTED_WHICH.search(question):
        return "which"
    if ATTAINS.search(question):
        return "quantity"
    if COMPARE.search(question):
        return "compare"
    if LIST.search(question):
        return "list"
    if WHICH_MEASURE.match(question):
        return "quantity"
    # "Which batch-norm variant ... without increasing the number of weight updates?" asks for a
    # thing; only "how many", a counted "which" and an attained value above make "which" a quantity.
    if QUANTITY.search(question) and not re.match(r"\s*which\b", question, re.I):
        return "quantity"
    if DEFINITION.search(question) or (DEFINE_NAMED.search(question) and name_like_words(question)):
        return "definition"
    if (thing := DEFINE_IN_CONTEXT.match(question)) and name_like_words(thing.group(1)):
        return "definition"
    if WHICH.search(question) or YES_NO.search(question) or WHO.match(question):
        return "which"
    if MECHANISM.search(question):
        return "mechanism"
    if ONE_THING.match(question):
        return "which"
    return "synthesis"


# "What problem did the study of conv kernels find ...?", "What trade-off does X make?": a singular
# noun with a singular subject asks for one thing from one paper, not an open survey.
ONE_THING = re.compile(
    r"^\s*what\s+(?:[\w-]+\s+){0,2}?[a-z-]+(?<!s)\s+(?:did|does|is|was|has)\s+(?:the|a|an|this|(?-i:[A-Z]))\b", re.I
)


# A statement this long that is not a question is a pasted passage ("find the paper that says ..."),
# not a topic: it already carries its paper's own words. Topic searches ("knowledge distillation
# for small language models") are under 10 words.
PASSAGE_WORDS = 15
ASKS = re.compile(
    r"^\s*(what|which|how|why|who|when|where|is|are|was|were|does|do|did|can|could|has|have|should|would|"
    r"compare|contrast|list|name|describe|summari[sz]e|explain|give|find|show)\b",
    re.I,
)


def is_passage(query: str) -> bool:
    """A long statement that is not a question (see PASSAGE_WORDS)."""
    return len(query.split()) >= PASSAGE_WORDS and not query.rstrip().endswith("?") and not ASKS.match(query)


def asks_for_many_papers(query: str) -> bool:
    """A list, comparison or open question, or a topic search such as "knowledge distillation";
    not a pasted passage."""
    return not is_passage(query) and question_shape(query) in MANY_PAPER_SHAPES


def analyze(question: str) -> Focus:
    """The question's shape, names and key words; a subject added by :func:`resolve_followup`
    ("(regarding GaLore)") adds names, not key words."""
    asked = question.partition(SUBJECT_MARK)[0]
    names = tuple(name_like_words(question))
    # "DETR-style detectors" are about DETR: "style" is no key word (a paper on writing style is off topic).
    keyed = LIKENESS.sub(r"\1", asked)
    return Focus(question, question_shape(asked), names, frozenset(topic_terms(keyed) | topic_terms(" ".join(names))))


# Words that point at the subject or only carry the clause ("to help its models generalize"): an
# answering sentence says "improves generalization in the NASNet models", never "help" or "its".
# (The retriever's stopword list is bm25s's 33 words, which keep these.)
CARRIER_WORDS = (
    "it its itself they them their theirs we our ours us one ones his her you your "
    "help helps helped helping allow allows allowed enable enables enabled let lets "
    # "Which paper proposes GaLore?": the paper that gives the name proposes it, in whatever words.
    "propose proposes proposed proposing introduce introduces introduced introducing "
    # Idioms whose words say nothing of the subject: "get rid of", "take into account", "keep track of".
    "get gets getting got rid take takes taking account keep keeps track"
)
# "a dropout-style regularizer", "a Swin-like backbone": the question describes the thing by what it
# resembles; the answer's sentence names the thing itself ("ScheduledDropPath"), not the likeness.
LIKENESS = re.compile(r"\b([\w]+)-(?:style|like|esque|inspired|type)\b", re.I)


# "What does MNAR stand for?", "ReBase: what is the name short for?": asks for the words an acronym
# abbreviates. The answering sentence spells them out ("missing not-at-random (MNAR)") and never
# says "stand" or "short".
EXPANSION_ASKED = re.compile(
    # Not a bare "expand": "How does LongLoRA expand the context window?" asks how.
    r"\b(?:(?:the )?(?:name|acronym|abbreviation) )?(?:stands? for|short for|abbreviat\w*|acronym|"
    r"full (?:name|form)|expansion of|expands? to|spelled out)\b",
    re.I,
)


def asks_expansion(question: str) -> bool:
    """Whether the question asks what a name abbreviates (see EXPANSION_ASKED)."""
    return EXPANSION_ASKED.search(question) is not None


def asked_terms(focus: Focus) -> set[str]:
    """The key words other than the names: what is asked about the subject ("parameters", "released")."""
    question = focus.question.partition(SUBJECT_MARK)[0]
    likened = content_terms(" ".join(m.group(0) for m in LIKENESS.finditer(question)))
    unlikened = content_terms(LIKENESS.sub(" ", question))
    expansion = content_terms(" ".join(m.group(0) for m in EXPANSION_ASKED.finditer(question)))
    kept = set(focus.terms) - topic_terms(" ".join(focus.names)) - _carrier_terms()
    return kept - (likened - unlikened) - expansion


@lru_cache(maxsize=1)
def _carrier_terms() -> frozenset[str]:
    return frozenset(content_terms(CARRIER_WORDS))


# "What size of model ...?", "on what kind of hardware?": words naming the attribute asked for, which
# the answer states as a value ("1B parameters", "T4 GPUs") rather than by name.
ATTRIBUTE_ASKED = re.compile(
    r"\b(?:what|which)\s+(?:(?:is|was|are|were)\s+the\s+(?:largest|smallest|biggest|maximum|minimum|total)\s+)?"
    r"(?:(size|scale|number|amount|quantity|magnitude|length|duration|share|fraction|"
    r"proportion|percentage|portion)\b|"
    r"(?:kind|type|sort|form)s?\s+of\s+([\w-]+))|"
    # "how long does the whole quantization take?": "long" is what is asked, a duration, not a key word.
    r"\bhow\s+(long|big|large|fast|often|far|deep|wide)\b",
    re.I,
)


def attribute_words(question: str) -> set[str]:
    """Stems of the attributes a question asks the value of ("size"; "hardware" in "what kind of
    hardware"), with the kind words themselves."""
    words: set[str] = set()
    for match in ATTRIBUTE_ASKED.finditer(question):
        words |= content_terms(" ".join(g for g in match.groups() if g)) | content_terms("kind type sort form")
    return words


# "Which encoder does X use?", "Which robot platform was used ...?": the noun before the verb is the
# kind of thing asked for, when it is none of KINDS.
ASKED_NOUN = re.compile(
    # "On which pre-training corpus were ...?": a preposition may lead.
    r"^\s*(?:(?:on|in|from|with|at|for|by|under)\s+)?(?:which|what)\s+(?:[\w-]+\s+){0,3}?([a-z][a-z-]+)\s+"
    r"(?:does|do|did|is|are|was|were|has|have|had|can|could|would|will)\b",
    re.I,
)


SINGULAR_IN_S = frozenset("corpus focus status consensus radius stimulus bus bias".split())


def asked_noun(question: str) -> str:
    """The kind of thing a "which X" question asks for when it is not one of KINDS ("encoder"), or ""."""
    if which_head(question):
        return ""
    match = ASKED_NOUN.match(asked_clause(question))
    noun = match.group(1).lower() if match else ""
    # The kind in the singular: "encoders" -> "encoder", "GPUs" -> "gpu"; "corpus" and "loss" stay.
    if noun.endswith("s") and not noun.endswith("ss") and noun not in SINGULAR_IN_S:
        noun = noun[:-1]
    return noun if content_terms(noun) else ""


# "Which papers deal with badly lit imagery, such as low-light video, nighttime photos or backlit
# images?": the examples after "such as" are each a topic of their own. A parenthesis ("generative
# models (GANs, diffusion models or LLMs)") only qualifies a noun of the question: not examples.
EXAMPLES = re.compile(
    r"\b(?:such as|e\.g\.,?|for example,?|for instance,?|including)\s+([^?;()]+?)"
    r"(?=\?|$|\)|,?\s+(?:without|with|where|while|that|which|when|so that|to)\b)",
    re.I,
)
EXAMPLE_SEPARATOR = re.compile(r"\s*,\s*(?:(?:or|and)\s+)?|\s+(?:or|and)\s+", re.I)


def enumerated_examples(question: str) -> list[str]:
    """The examples a question lists for its topic ("low-light video", "nighttime photos", ...)."""
    examples: list[str] = []
    for match in EXAMPLES.finditer(question):
        examples += [part.strip() for part in EXAMPLE_SEPARATOR.split(match.group(1)) if part.strip()]
    return examples if len(examples) >= 2 else []


# "Which papers study grokking, i.e. generalization long after ...?", "... the reversal curse, where a
# model ...": what follows explains the topic in common words, which many off-topic papers share.
GLOSS = re.compile(r"(?:,\s*|\s+)(?:i\.\s?e\.|that is,|namely)|,\s*where\b", re.I)


def glossed_topic(question: str) -> str:
    """The topic a question names before explaining it ("Which papers study grokking"), or ""."""
    match = GLOSS.search(question)
    return question[: match.start()] if match else ""


def which_head(question: str) -> str:
    """The kind of thing a "which X" question asks for ("mechanism"), or "". In "Which dataset
    condensation trick adds ...?" "dataset" only modifies the head: the kind is "trick"."""
    clause = asked_clause(question)
    match = WHICH_HEAD.match(clause)
    if match is None:
        return ""
    kinds = list(re.finditer(rf"\b({KINDS})s?\b", clause[match.start(1) :], re.I))
    for kind in kinds[:3]:
        following = clause[match.start(1) + kind.end() :].split()[:1]
        if not following or _ends_head(following[0]):
            return kind.group(1).lower()
    return match.group(1).lower()


def _ends_head(word: str) -> bool:
    """The word after a noun that is not another noun of its phrase: a verb ("adds", "was"),
    a preposition or punctuation."""
    bare = word.strip(".,;:?()").lower()
    if bare != word.lower() or not bare.isalpha():
        return True
    return bare in _PHRASE_BREAKS or bare.endswith(("ed", "ing")) or (bare.endswith("s") and not bare.endswith("ss"))


_PHRASE_BREAKS = frozenset(
    "a an the and or of in on at to for from with by as than that which who is are was were be been do does did "
    "has have had can could will would should may might".split()
)


def short_name(title: str) -> str:
    """A paper's short name: the text before ":" when it is short ("GaLore"), else the title's first words."""
    head, sep, _ = title.partition(":")
    if sep and 0 < len(head.split()) <= 4:
        return head.strip()
    words = title.split()
    return " ".join(words[:6]) + (" …" if len(words) > 6 else "")


def introduced_name(title: str) -> str:
    """The name a title introduces ("GaLore" for "GaLore: Memory-Efficient ..."), or ""."""
    head, sep, _ = title.partition(":")
    return head.strip() if sep and 0 < len(head.split()) <= 3 else ""


def resolve_followup(question: str, history: list[dict[str, str]]) -> str:
    """A follow-up that refers back ("what about its memory cost?"), with the previous question's
    subject added: its names, or else its key words. Other questions come back unchanged."""
    previous = [turn["content"] for turn in history if turn.get("role") == "user"]
    if not previous or not REFERS_BACK.search(question):
        return question
    last = analyze(previous[-1])
    if any(name.lower() in question.lower() for name in last.names):
        return question
    subject = " ".join(last.names) or " ".join(
        w for w in re.findall(r"[A-Za-z0-9\-]+", previous[-1]) if w.lower() not in _FILLER
    )
    return f"{question.rstrip('?').strip()}{SUBJECT_MARK}{subject})?" if subject else question


_FILLER = {"what", "which", "how", "does", "do", "is", "are", "the", "a", "an", "of", "in", "on", "for", "to", "and"}


# "... release CodeGen2 models in size 1B, 3.7B, 7B, and, 16B parameters, along with the training
# framework as open-source: https://github.com/...": a link closing a claim is left out of the quote.
LINK_TAIL = re.compile(r"[\s:;,(]*https?://\S+?[).]*\s*$")
# What is left of "Code is available at <link>": no claim worth quoting.
ONLY_AVAILABILITY = re.compile(r"\b(code|available|github|project page|website|demo)\b", re.I)
MIN_CLAIM_WORDS = 8


def without_link_tail(sentence: str) -> str | None:
    """The sentence with a closing link cut ("… as open-source …"), itself when it has no link, or
    None when a link is inside it or the sentence only says where code is."""
    if "://" not in sentence:
        return sentence
    cut = LINK_TAIL.sub("", sentence)
    if "://" in cut or len(cut.split()) < MIN_CLAIM_WORDS or ONLY_AVAILABILITY.search(cut.split(",")[-1]):
        return None
    return cut + " …"


def standalone_text(sentence: str) -> str | None:
    """The sentence as a reader can take it alone: itself, its "Our approach" subject said as
    "[This paper's approach]", or without an opening connective that points back ("…we propose X,
    which ..."), or None when it only makes sense after another (or is a link to code)."""
    linked = without_link_tail(sentence)
    if linked is None:
        return None
    sentence = linked
    # "In this phase of training, a 'neural collapse' behavior has been observed: ...": the claim
    # after an opening that points back reads alone.
    scene = SCENE_BEFORE.match(sentence)
    if scene and not DANGLING.match(rest := sentence[scene.end() :]) and not REFERENCE.match(rest):
        return "…" + rest
    if not DANGLING.match(sentence):
        return sentence
    # "Our approach allows us to train 1T parameters at 502 petaFLOP/s": quoted under the paper's
    # name, its subject is that paper's, which the bracket says ("[This paper's approach] allows ...").
    own = OUR_THING.match(sentence)
    if own:
        return f"[This paper's {own.group(1)}]{sentence[own.end() :]}"
    # "To overcome this difficulty we propose X": what answers the problem reads alone after its opening.
    reply = ANSWERS_PROBLEM.match(sentence)
    if reply and not DANGLING.match(rest := sentence[reply.end() :]) and not REFERENCE.match(rest):
        return "…" + rest
    marker = MARKER.match(sentence)
    if marker and not DANGLING.match(rest := sentence[marker.end() :]) and not REFERENCE.match(rest):
        return "…" + rest
    trimmed = TRIMMABLE.match(sentence)
    return "…" + sentence[trimmed.end() :] if trimmed else None


# "How does <Name> <do something>?": the name opens the clause after "how does".
HOW_NAMED = re.compile(r"^\s*how (?:does|do|did|can|could|is|are|was|were)\s+(?:the\s+)?(.+?)\s*\??\s*$", re.I)
GENERIC_HEADS = frozenset("approach method framework model algorithm technique system architecture parallelism".split())


def asked_of_subject(focus: Focus) -> tuple[str, list[str]]:
    """For "How does SpeechGPT preserve the speaker's voice identity ...?": the name and the words
    after its verb ("the speaker's voice identity ..."). The verb is left out: an answerable
    question often words it differently from the abstract ("keep", "cope with"), while what it
    acts on is the subject matter."""
    match = HOW_NAMED.match(focus.question)
    # "How does X differ from Y?" asks about two subjects, each answered by its own paper.
    if focus.shape != "mechanism" or match is None or COMPARE.search(focus.question):
        return "", []
    clause = match.group(1)
    name = next((n for n in focus.names if clause.startswith(n)), "")
    words = clause[len(name) :].split() if name else []
    # "How do Q-GaLore and Natural GaLore each improve on GaLore?": two subjects, each its own paper's.
    if words and words[0].lower() in ("and", "or", "&"):
        return "", []
    while words and words[0].lower() in GENERIC_HEADS:
        words.pop(0)
    # The verb's particle goes with it: "get rid of PPO" acts on PPO.
    acted_on = PHRASAL_PARTICLE.sub("", " ".join(words[1:]))
    return name, acted_on.split()


# What completes a phrasal verb ("get rid of", "do away with", "keep track of", "cope with").
PHRASAL_PARTICLE = re.compile(
    r"^(?:rid of|away with|use of|care of|track of|(?:around|with|up|out|off|away)\b)\s*", re.I
)


# "How do sheaf neural networks for recommendation handle cold-start users ...?": a subject described
# in words, and what it is asked to handle.
HANDLES = re.compile(
    r"^\s*how (?:does|do|did|can|could|is|are)\s+(?:the\s+|a\s+|an\s+)?(.+?)\s+"
    r"(?:handle|deal with|cope with|tackle|support|treat)s?\s+(.+?)\s*\??\s*$",
    re.I,
)


def handled_by_described_subject(focus: Focus) -> tuple[str, list[str]]:
    """For a mechanism question whose subject has no name ("How do sheaf neural networks ... handle
    cold-start users?"): the subject as the question words it and the words of what it is asked to
    handle."""
    match = HANDLES.match(focus.question) if focus.shape == "mechanism" else None
    if match is None or COMPARE.search(focus.question):
        return "", []
    return match.group(1), match.group(2).split()


AUXILIARY = r"\b(?:was|were|is|are|does|do|did|has|have|had|can|could|will|would)\s+(?:the\s+)?"


def grammatical_subject(focus: Focus) -> tuple[str, ...]:
    """The names a question asks about as its grammatical subject ("How many tokens was Chinchilla
    trained on?"), as opposed to names that only set the scene ("With wav2vec 2.0 pre-training, what
    WER is reached?"). Plain capitalised words count: "Chinchilla" is no name-like word."""
    clause = asked_clause(focus.question)
    candidates = focus.names + tuple(proper_words(clause))
    # "do LinkedIn's kernels save" is about the kernels: a possessive is not the subject.
    # "was the 175B GPT-3 pretrained": a model size may come before the name.
    sized = AUXILIARY + r"(?:\d+(?:\.\d+)?[BMK]\s+)?"
    return tuple(name for name in candidates if re.search(sized + re.escape(name) + r"(?![\w-]|['\u2019]s\b)", clause))
