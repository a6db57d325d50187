"""Unit tests for the question-shape rules of evidence and the extractive answerer: what a
"how many" question counts, what a "which" question asks for, and one paper for one thing."""

from __future__ import annotations

from rag.config import AnswerSettings
from rag.evidence import (
    Evidence,
    ScoredSentence,
    asked_facts,
    counted_units,
    counts,
    defined_acronyms,
    measured_noun,
    mentions,
    names_answer,
    uses_name,
    with_digits,
)
from rag.extractive import asks_for_one, paper_lead, readable, select_sentences
from rag.focus import analyze, asked_of_subject, asked_terms, attribute_words, standalone_text, which_head
from rag.text import name_like_words
from tests.fakes import GALORE, GROKKING, hit_for, sentence_with_vector


def test_counted_units_are_the_words_of_each_how_many_phrase():
    assert counted_units("How many speakers are in the VoxCeleb dataset?") == {"speaker"}
    assert counted_units("How many image subsets and how many classes does MetaShift contain?") == {
        "imag",
        "subset",
        "class",
    }
    assert counted_units("How many GPUs?") == {"gpus"}
    # A ratio, not a count; and no "how many" at all.
    assert counted_units("How many times fewer parameters?") == set()
    assert counted_units("By how much does it reduce the number of queries?") == set()


def test_a_figure_counts_a_unit_only_when_the_unit_ends_its_noun_phrase():
    assert counts("VoxCeleb has 1,251 speakers from YouTube.", "speaker")
    assert counts("We use 12 GPUs.", "gpus")
    assert counts("a 175B-parameter model", "paramet")
    assert counts("trained on 3072 GPUs running Megatron", "gpus")
    assert counts("MetaShift--a collection of 12,868 sets of natural images across 410 classes--to", "class")
    # The figure counts scores, not speakers; and a sentence with the unit but no figure.
    assert not counts("we collect nearly 70k speaker similarity scores", "speaker")
    assert not counts("many speakers were recorded", "speaker")


def test_which_head_is_the_kind_of_thing_asked_for():
    assert which_head("Which mechanism keeps GAN discriminators from overfitting?") == "mechanism"
    assert which_head("Which layerwise adaptive large-batch optimizer trained BERT in 76 minutes?") == "optimizer"
    assert which_head("Which work argues that delayed generalization ...?") == ""


def test_names_answer_is_a_proposal_naming_something_or_the_asked_kind():
    focus = analyze("Which mechanism keeps GAN discriminators from overfitting?")
    assert names_answer("We propose an adaptive discriminator augmentation mechanism that stabilizes training.", focus)
    assert names_answer("Building on these insights, we propose the LoRA-LEGO framework.", focus)
    assert not names_answer("Training GANs with too little data leads to discriminator overfitting.", focus)


def test_one_thing_asked_means_one_paper():
    assert asks_for_one(analyze("Which optimizer trained BERT in 76 minutes?"))
    assert asks_for_one(analyze("How does GaLore reduce memory?"))
    assert asks_for_one(analyze("How many GPUs did Megatron-LM use?"))
    assert not asks_for_one(analyze("How do methods reduce GPU memory when training LLMs?"))
    assert not asks_for_one(analyze("Which papers study grokking?"))


def _scored(paper, position: int, text: str, score: float, rank: int) -> ScoredSentence:
    vector = [1.0 if i == position + 4 * rank else 0.0 for i in range(16)]
    return ScoredSentence(sentence_with_vector(paper.paper_id, position, text, vector), rank, score, score)


def _one_paper_answer(
    question: str, texts: list[str], scores: list[float], single_paper_sentences: int, stating: tuple[int, ...] = ()
) -> list[int]:
    """The positions an extractive answer quotes from one retrieved paper (GaLore) with these sentences;
    ``stating``: positions of the sentences that evidence found stating the asked fact."""
    ranked = sorted(
        (_scored(GALORE, i, t, s, 0) for i, (t, s) in enumerate(zip(texts, scores, strict=True))),
        key=lambda c: -c.score,
    )
    evidence = Evidence(
        question,
        ranked[0].sentence.vector,
        [hit_for(GALORE)],
        {GALORE.paper_id: sorted((c.sentence for c in ranked), key=lambda s: s.position)},
        ranked,
        set(),
        settings=AnswerSettings(same_paper_floor=0.5, single_paper_sentences=single_paper_sentences),
        focus=analyze(question),
        citable=[GALORE.paper_id],
        stating=tuple(c for c in ranked if c.sentence.position in stating),
    )
    return sorted(c.sentence.position for c in select_sentences(evidence))


def test_a_which_question_quotes_only_the_best_retrieved_paper_and_never_a_question_sentence():
    question = "Which method reduces optimizer memory with low-rank gradient projection?"
    ranked = [
        _scored(GALORE, 0, "Is it possible to train with less memory?", 0.99, 0),
        _scored(GALORE, 1, "We propose GaLore, which projects gradients onto a low-rank subspace.", 0.9, 0),
        _scored(GROKKING, 0, "Grokking is delayed generalization after overfitting.", 0.88, 1),
        _scored(GALORE, 2, "GaLore reduces optimizer memory by 65.5%.", 0.8, 0),
    ]
    hits = [hit_for(GALORE), hit_for(GROKKING)]
    by_paper = {
        p.paper_id: [c.sentence for c in ranked if c.sentence.paper_id == p.paper_id] for p in (GALORE, GROKKING)
    }
    evidence = Evidence(
        question,
        ranked[1].sentence.vector,
        hits,
        by_paper,
        ranked,
        set(),
        settings=AnswerSettings(),
        focus=analyze(question),
        citable=[GALORE.paper_id, GROKKING.paper_id],
    )
    assert all(not c.sentence.text.endswith("?") for c in readable(evidence))
    chosen = select_sentences(evidence)
    assert {c.sentence.paper_id for c in chosen} == {GALORE.paper_id}
    assert [c.sentence.position for c in chosen] == [1, 2]


def test_a_definition_lead_carries_the_titles_description():
    title = "GaLore: Memory-Efficient LLM Training by Gradient Low-Rank Projection"
    what_is = analyze("What is GaLore?")
    assert (
        paper_lead(title, what_is, listing=False)
        == "GaLore (Memory-Efficient LLM Training by Gradient Low-Rank Projection)"
    )
    assert paper_lead(title, what_is, listing=True) == "GaLore"
    assert paper_lead(title, analyze("How does GaLore reduce memory?"), listing=False) == "GaLore"
    # The description is shown only for the paper that introduces the asked name.
    assert paper_lead("Q-GaLore: Quantized GaLore", what_is, listing=False) == "Q-GaLore"


def test_this_paper_is_not_a_dangling_opener():
    from rag.eval_metrics import dangling_openers
    from rag.focus import standalone_text

    assert standalone_text("This paper presents the FlowTransformer framework.") is not None
    assert standalone_text("This approach fails on long inputs.") is None
    assert dangling_openers(["This paper presents X.", "This shows Y."]) == 1


def test_a_how_answer_quotes_the_sentence_after_we_propose():
    question = "How does GaLore reduce optimizer memory?"
    texts = [
        "Training large language models is memory hungry.",
        "We propose GaLore, a memory-efficient training strategy.",
        "GaLore projects gradients onto a low-rank subspace before the optimizer update.",
        "GaLore reduces memory by 65.5%.",
    ]
    scores = [0.95, 0.9, 0.5, 0.85]
    positions = _one_paper_answer(question, texts, scores, single_paper_sentences=3)
    # The "how" sentence after the proposal replaces the weakest other quote: the background
    # before the proposal, which ranks below the method part (method_part_bonus).
    assert positions == [1, 2, 3]


def test_finding_questions_do_not_reward_what_a_paper_proposes():
    from rag.evidence import shape_bonus

    settings = AnswerSettings()
    proposes = "This paper presents the FlowTransformer framework for intrusion detection."
    assert shape_bonus(proposes, analyze("Which framework detects network intrusions?"), settings) > 0
    finding = analyze("Which design choice was found to have the biggest impact on performance?")
    assert shape_bonus(proposes, finding, settings) < settings.definition_bonus


def test_a_figure_asked_in_a_unit_must_be_in_that_unit():
    from rag.evidence import measured_units

    units = measured_units("What is GPT-4o's average response latency for spoken input, in milliseconds?")
    assert units == {"millisecond", "ms"}
    assert any(counts("It responds in 320ms on average.", unit) for unit in units)
    assert not any(counts("It responds within 3 seconds.", unit) for unit in units)
    assert measured_units("How much memory does it need, in GB?") == {"gigabyt", "gb"}
    assert counts("training fits in 24GB of memory", "gb")
    assert measured_units("What is it used for in practice?") == set()


def test_a_measure_word_in_a_name_does_not_make_a_quantity_question():
    from rag.focus import question_shape

    assert question_shape("What is a weight compander?") == "definition"
    assert question_shape("What is the context length of Llama 2?") == "quantity"
    assert question_shape("What sliding-window attention size does Mistral-7B use?") == "quantity"


def test_a_preposition_ends_the_counted_noun_phrase():
    text = "We collect nearly 70k speaker similarity scores through a listening test."
    assert counts(text, "score") and not counts(text, "speaker")
    # "along" and "onto" end a noun phrase as "with" does.
    assert counts("using only 5% of the bimodal data (142K images along with their captions)", "imag")


def test_a_name_broken_at_an_inner_capital_by_pdf_extraction_is_still_the_name():
    from rag.evidence import mentions

    for text in ("such as Open- StreetMap (OSM)", "Open-StreetMap tiles", "OpenStreetMap tiles"):
        assert mentions(text, "OpenStreetMap"), text
    assert mentions("adapting LoRA to", "LoRA") and not mentions("QLoRA quantizes", "LoRA")
    # A modifier suffix keeps the name ("LoRA-based adapters" use LoRA); another part makes another name.
    assert mentions("LoRA-based adapters", "LoRA") and not mentions("LoRA-FA freezes", "LoRA")


def test_how_many_is_a_count_whatever_follows_and_3d_counts_nothing():
    from rag.evidence import measured_units
    from rag.focus import question_shape

    assert question_shape("How many images are in the dataset used to compare YOLOv8 with ResNet?") == "quantity"
    assert not counts("learns a decoder that translates features to 3D tokens via cross-attention and", "attent")
    assert counts("the extensive 1.2T-token corpus", "token")
    assert measured_units("What inference latency in milliseconds does M3ViT reach on the FPGA?") == {
        "millisecond",
        "ms",
    }


def test_a_size_variant_keeps_its_suffix_and_a_descriptive_compound_loses_it():
    from rag.evidence import head, mentions

    assert head("RTMPose-l") == "RTMPose-l"
    assert head("CLIP-filtered") == "CLIP"
    assert mentions("boosting the whole-body AP of RTMPose-l from 64.8%", head("RTMPose-l"))


def test_shapes_of_counted_which_and_attained_values():
    from rag.focus import question_shape

    assert question_shape("Which two pre-training datasets were used for the shift?") == "which"
    assert question_shape("Which normalization layers have been proposed?") == "list"
    assert question_shape("What COCO-WholeBody AP does RTMPose-l reach after distillation?") == "quantity"
    assert question_shape("What does GaLore do?") == "definition"


def test_a_paper_introduces_a_name_by_proposing_it_or_expanding_it_as_its_own():
    from rag.evidence import introduces

    assert introduces("Our approach, alignMEnt with parameter-Efficient Tuning (MEET), improves it.", "MEET")
    assert introduces("To this end, we propose GaLore, a training strategy.", "GaLore")
    # An expansion of someone else's name, without "we"/"our", introduces nothing.
    assert not introduces("Contrastive Language-Image Pre-Training (CLIP) is widely used.", "CLIP")
    # "We propose" far from the name: the proposal is of something else.
    assert not introduces(
        "We propose a benchmark of many tasks spanning vision, language and audio, evaluated with CLIP.", "CLIP"
    )


def test_a_which_kind_fact_needs_the_kind_and_a_name_in_one_sentence():
    from rag.evidence import named_kind_pattern

    optimizer = named_kind_pattern("optimizer")
    assert optimizer.search("we develop a layerwise adaptive large batch optimization technique called LAMB")
    assert not optimizer.search("baselines constructed using various optimizers that represent current practice")
    assert not optimizer.search("We train LAMB-style models at scale.")
    # A name the question already uses names nothing new.
    datasets = named_kind_pattern("dataset", "Which two datasets were used in the LLM pre-training study?")
    assert not datasets.search("a distribution shift between two commonly used LLM pre-training datasets")
    assert datasets.search("a distribution shift from SlimPajama to German Common Crawl LLM pre-training datasets")
    curated = named_kind_pattern("dataset", "Which dataset was curated from YouTube videos?")
    assert curated.search("From YouTube, we curate Quilt: a large vision-language dataset.")
    assert not curated.search("From YouTube, we curate a large vision-language dataset.")
    assert curated.search("The dataset is called Quilt.") and curated.search("We collected Quilt, a dataset.")
    hyphenated = named_kind_pattern("dataset", "Which dataset does Video-LLaMA train on, as an LLM?")
    assert not hyphenated.search("Video-LLaMA is trained on a large dataset.")
    assert not hyphenated.search("We pre-train LLMs on two datasets.")


def test_an_apposition_that_names_our_approach_is_not_a_dangling_opener():
    from rag.eval_metrics import DANGLING_OPENER
    from rag.focus import standalone_text

    named = "Our approach, alignMEnt with parameter-Efficient Tuning (MEET), improves the control tokens."
    assert standalone_text(named) == named
    assert not DANGLING_OPENER.match(named)
    # Shown under its paper's name, "Our approach" is that paper's: the bracket says so.
    assert standalone_text("Our approach improves the control tokens.") == (
        "[This paper's approach] improves the control tokens."
    )
    assert not DANGLING_OPENER.match(standalone_text("Our methods improve it.").lstrip("["))
    assert DANGLING_OPENER.match("Our approach improves the control tokens.")
    dubbed = "Our approach, dubbed ``follow anything'' (FAn), is an open-vocabulary and multimodal model."
    assert standalone_text(dubbed) == dubbed
    assert not DANGLING_OPENER.match(dubbed)


def test_what_share_asks_for_a_figure_and_share_is_the_attribute_not_a_key_word():
    from rag.focus import attribute_words, question_shape

    question = "What share of the surveyed publications make their artifacts available for reuse?"
    assert question_shape(question) == "quantity"
    assert "share" in attribute_words(question)


def test_a_hyphenated_name_a_title_introduces_is_a_name_of_the_question():
    from types import SimpleNamespace

    from rag.evidence import head, with_title_names

    titles = SimpleNamespace(introduced_as_written=frozenset({"Adapt-infty", "Galactic"}))
    focus = with_title_names(analyze("How does Adapt-infty prune its data pool?"), titles)
    assert "Adapt-infty" in focus.names
    assert head("Adapt-infty") == "Adapt-infty"
    # A plain capitalised word is a name only where the question asks what it is.
    assert "Galactic" in with_title_names(analyze("What is Galactic?"), titles).names
    assert (
        with_title_names(analyze("Which GPU ran Galactic?"), titles).names == analyze("Which GPU ran Galactic?").names
    )


def test_method_part_ranks_how_above_background_and_results():
    from rag.evidence import method_part_bonus

    texts = [
        "Training large models needs memory.",  # background
        "To this end, we propose GaLore, a training strategy.",  # proposal
        "GaLore projects gradients onto a low-rank subspace.",  # how
        "Experiments show GaLore outperforms LoRA.",  # results
    ]
    sentences = [sentence_with_vector(GALORE.paper_id, i, text, [1.0, 0.0]) for i, text in enumerate(texts)]
    bonus = method_part_bonus(sentences, AnswerSettings())
    step = AnswerSettings().method_part_bonus
    assert bonus == {0: -step, 2: step}


def test_a_finding_question_prefers_the_sentence_reporting_the_finding():
    from rag.evidence import shape_bonus

    focus = analyze("Which regularization technique was found to be remarkably effective against degradation?")
    settings = AnswerSettings()
    finding = "Most regularization techniques do not help, except for dropout, which is remarkably effective."
    background = "We explore whether widely used regularization can alleviate degradation."
    assert shape_bonus(finding, focus, settings) == settings.definition_bonus
    assert shape_bonus(background, focus, settings) < settings.definition_bonus


def test_an_expletive_it_is_not_a_reference_back():
    from rag.eval_metrics import DANGLING_OPENER
    from rag.focus import standalone_text

    expletive = "It is noteworthy that we deliver an 18.73% improvement over zero-shot CLIP."
    assert standalone_text(expletive) == expletive and not DANGLING_OPENER.match(expletive)
    for pointing_back in ("It outperforms CLIP by 18%.", "It is able to run fast."):
        assert standalone_text(pointing_back) is None and DANGLING_OPENER.match(pointing_back)


def test_a_name_introduced_without_we_propose_still_brings_the_sentence_that_says_how():
    question = "What is GaLore?"
    texts = [
        "Training large language models is memory hungry.",
        "Studying optimizer states lets us address their cost and present GaLore: a memory-efficient strategy.",
        "Specifically, projecting gradients onto a low-rank subspace, it keeps full-parameter learning.",
        "GaLore also scales across nodes.",
    ]
    scores = [0.7, 0.95, 0.4, 0.85]
    positions = _one_paper_answer(question, texts, scores, single_paper_sentences=2)
    # The sentence after the one introducing the name replaces the weaker "also scales" quote.
    assert positions == [1, 2]


def test_a_name_right_after_present_is_defined_only_when_what_it_is_follows():
    from rag.evidence import DEFINES

    assert DEFINES.search("... and present LightWaveS: a framework for accurate MTSC.")
    assert not DEFINES.search("Table 2 presents BLEU scores on the test set.")
    assert not DEFINES.search("Section 4 introduces GPT-4 baselines.")


def test_explains_covers_what_is_done_with_what_and_a_purpose_clause():
    from rag.evidence import EXPLAINS

    assert EXPLAINS.search("Second, to build a lexinvariant LM, we simply encode tokens using random Gaussian vectors.")
    assert EXPLAINS.search("To obtain a compact model, we prune attention heads.")
    assert EXPLAINS.search("We map inputs via a learned codebook.")
    assert not EXPLAINS.search("We study lexinvariant language models.")
    assert not EXPLAINS.search("Using this idea leads to better models.")


def test_details_after_the_proposal_rank_first_and_are_never_evicted_for_the_next_sentence():
    from rag.evidence import method_part_bonus

    question = "How does GaLore reduce optimizer memory?"
    texts = [
        "Training large language models is memory hungry.",
        "We propose GaLore, a memory-efficient training strategy.",
        "GaLore keeps full-parameter learning.",
        "Specifically, GaLore projects gradients onto a low-rank subspace.",
    ]
    sentences = [sentence_with_vector(GALORE.paper_id, i, text, [1.0, 0.0]) for i, text in enumerate(texts)]
    step = AnswerSettings().method_part_bonus
    assert method_part_bonus(sentences, AnswerSettings()) == {0: -step, 2: step, 3: 2 * step}

    scores = [0.95, 0.9, 0.3, 0.7]
    positions = _one_paper_answer(question, texts, scores, single_paper_sentences=2)
    # The proposal and its "Specifically" details; the weak sentence after the proposal does not push them out.
    assert positions == [1, 3]


def test_a_leading_context_phrase_does_not_hide_the_questions_shape():
    from rag.focus import question_shape, which_head

    asked = "In transformer-based intrusion detection, which design choice had the biggest impact?"
    assert question_shape(asked) == "which"
    assert question_shape("For Llama 2, how many tokens were used in pre-training?") == "quantity"
    assert question_shape("In short, what explains grokking?") == "synthesis"
    assert which_head("On ImageNet, which optimizer converged fastest?") == "optimizer"
    # A comma inside the question proper is not a leading phrase.
    assert question_shape("Which papers, if any, study grokking?") == "list"


def test_the_attribute_asked_for_is_answered_by_a_value_not_its_name():
    from rag.focus import attribute_words

    assert attribute_words("What size of model did they train, and on what kind of hardware?") >= {"size", "hardwar"}
    assert attribute_words("What ImageNet top-1 accuracy does ConvNeXt reach?") == set()


def test_the_sentence_stating_the_asked_figure_is_quoted_even_when_it_scores_low():
    question = "What size of model did they train with SWARM?"
    texts = [
        "Training large models is expensive.",
        "We propose SWARM parallelism, a model-parallel training algorithm.",
        "SWARM creates temporary randomized pipelines between nodes.",
        "We compare SWARM with existing approaches.",
        "Finally, we train a Transformer with 1B shared parameters on preemptible T4 GPUs.",
    ]
    scores = [0.7, 0.9, 0.85, 0.84, 0.5]
    assert 4 not in _one_paper_answer(question, texts, scores, single_paper_sentences=3)
    assert 4 in _one_paper_answer(question, texts, scores, single_paper_sentences=3, stating=(4,))


def test_a_ranked_finding_is_answered_by_the_finding_and_a_shown_method_by_its_name():
    proposal = "We propose GaLore, a memory-efficient training strategy."
    finding = "A key finding is that the classification head has the most significant impact."
    ranked = analyze("Which design choice had the biggest impact on performance?")
    assert names_answer(finding, ranked) and not names_answer(proposal, ranked)
    shown = analyze("Which method was shown to reduce optimizer memory?")
    assert names_answer(proposal, shown)


def _compare_answer(papers_texts: dict, question: str, settings: AnswerSettings) -> dict[str, list[int]]:
    """Positions quoted per paper in a comparison over these (paper, [(text, score)]) items."""
    from rag.extractive import one_per_paper

    ranked = sorted(
        (
            _scored(paper, i, text, score, rank)
            for rank, (paper, texts) in enumerate(papers_texts.items())
            for i, (text, score) in enumerate(texts)
        ),
        key=lambda c: -c.score,
    )
    papers = list(papers_texts)
    evidence = Evidence(
        question,
        ranked[0].sentence.vector,
        [hit_for(p) for p in papers],
        {
            p.paper_id: sorted(
                (c.sentence for c in ranked if c.sentence.paper_id == p.paper_id), key=lambda s: s.position
            )
            for p in papers
        },
        ranked,
        set(),
        settings=settings,
        focus=analyze(question),
        citable=[p.paper_id for p in papers],
    )
    chosen: dict[str, list[int]] = {}
    for c in one_per_paper(evidence):
        chosen.setdefault(c.sentence.paper_id, []).append(c.sentence.position)
    return {pid: sorted(positions) for pid, positions in chosen.items()}


def test_a_comparison_of_few_papers_quotes_more_of_each():
    question = "Compare GaLore and grokking studies"
    texts = {
        GALORE: [
            ("We propose GaLore, a memory-efficient strategy.", 0.9),
            ("GaLore projects gradients.", 0.8),
            ("GaLore cuts optimizer memory by 65%.", 0.75),
            ("Code is released.", 0.1),
        ],
        GROKKING: [
            ("We study grokking in small networks.", 0.85),
            ("Grokking follows a lazy phase.", 0.8),
            ("Weight decay speeds up grokking.", 0.7),
        ],
    }
    few = _compare_answer(texts, question, AnswerSettings())
    assert few == {GALORE.paper_id: [0, 1, 2], GROKKING.paper_id: [0, 1, 2]}
    many = _compare_answer(texts, question, AnswerSettings(compare_few_papers=1))
    assert many == {GALORE.paper_id: [0, 1], GROKKING.paper_id: [0, 1]}


def test_a_training_hyperparameter_asked_for_is_a_quantity_but_a_schedule_is_not():
    from rag.focus import question_shape

    assert question_shape("What learning rate did GaLore use to pre-train LLaMA 7B?") == "quantity"
    assert question_shape("What is the weight decay of the student model?") == "quantity"
    assert question_shape("What is the learning rate schedule proposed in WSD?") != "quantity"
    assert question_shape("What learning rate schedules have been proposed?") == "list"


def test_a_figure_is_a_number_not_a_digit_inside_a_name():
    from rag.focus import NUMBER

    for figure in ("2.56% of parameters", "a 1B model", "8-bit Adam", "top-1 accuracy of 85%", "lr 3e-4"):
        assert NUMBER.search(figure), figure
    for name in ("L2 regularization", "GPT-4 outputs", "FLUX.1 dev", "ViT-g/14 backbone", "the T5 encoder"):
        assert not NUMBER.search(name), name


def test_several_names_are_joined_as_in_a_sentence():
    from rag.text import spoken_list

    assert [spoken_list(x) for x in ([], ["PRE"], ["PRE", "ImageNet"], ["A", "B", "C"])] == [
        "",
        "PRE",
        "PRE and ImageNet",
        "A, B and C",
    ]


def test_the_kind_asked_for_is_the_noun_before_the_verb_when_it_is_not_a_known_kind():
    from rag.focus import asked_noun

    assert asked_noun("Which encoder does the MWP solver use?") == "encoder"
    assert asked_noun("Which robot platform was used for the experiments?") == "platform"
    assert asked_noun("Which GPUs were used?") == "gpu"
    # Known kinds keep their own rules; pronouns and questions without a verb after the noun ask for none.
    assert asked_noun("Which optimizer does X use?") == ""
    assert asked_noun("Which of these is best?") == ""
    assert asked_noun("Which paper proposed X?") == ""


def test_every_name_qualifying_a_figure_may_be_a_variant_spelling_but_not_a_prefix_of_a_word():
    from rag.evidence import uses_leading_word

    assert uses_leading_word("83.8% top-1 accuracy on ImageNet.", "ImageNet-1k")
    assert uses_leading_word("improving on Megatron-LM by 1.34x", "Megatron-LM")
    assert uses_leading_word("fine-tuned Llama 2 7B", "LLaMA-2")
    assert not uses_leading_word("large pre-trained models", "PRE")
    assert not uses_leading_word("accuracy on CIFAR-10", "ImageNet-1k")


def test_a_spelled_out_magnitude_is_part_of_the_figure():
    assert counts("this paper trained a 3 billion-parameter Swin Transformer V2 model", "paramet")
    assert counts("a corpus of 1.2 million images from the web", "imag")
    # The magnitude counts tokens, not parameters.
    assert not counts("pre-trained on 3 billion tokens", "paramet")


def test_a_name_in_a_variant_spelling_is_still_mentioned_but_another_version_is_not():
    from rag.evidence import mentions_variant

    assert mentions_variant("training a RoBERTa-Base model on WikiText-103", "RoBERTa")
    assert mentions_variant("when training a ResNet50 on ImageNet", "ResNet-50")
    assert mentions_variant("fine-tuned Llama 2 7B", "LLaMA-2")
    assert not mentions_variant("compared with GPT-4 and Claude", "GPT-4o")
    assert not mentions_variant("compared with GPT-4o", "GPT-4")


def test_the_metric_asked_for_must_be_named_beside_the_figure():
    from rag.evidence import asked_metric, names_metric

    metric = asked_metric("What validation perplexity does GaLore reach when pre-training LLaMA 7B on C4?")
    assert not names_metric("GaLore reduces memory usage by up to 65.5% in optimizer states", metric)
    assert names_metric("reaching a validation perplexity of 15.6 on C4", metric)
    accuracy = asked_metric("What accuracy does the model reach on ImageNet?")
    assert names_metric("it reaches 84.1% top-1 on ImageNet", accuracy)
    # "map" is a word; only "mAP" asks for the detection metric.
    assert asked_metric("How many map tiles were generated?") is None


def test_a_change_asked_about_may_be_worded_as_its_synonym():
    from rag.text import content_terms, with_equivalents

    words = with_equivalents(content_terms("a 40% training time acceleration of LLaVA-NeXT"))
    assert {"speed", "train"} <= words
    assert "reduc" not in words


def test_a_paper_proposes_a_name_when_it_spells_it_out_in_its_proposal():
    from rag.evidence import proposes_as

    assert proposes_as("we propose a new training algorithm based on Layer-wise Adaptive Rate Scaling (LARS).", "LARS")
    # Spelled out, but not proposed; and proposed elsewhere in the sentence without the name.
    assert not proposes_as("Training Generative Adversarial Networks (GAN) on images is costly.", "GAN")
    assert not proposes_as("We propose a loss; the most prominent algorithm is LARS.", "LARS")
    assert counts("PN outperforms LN by 0.4/0.6 BLEU on IWSLT14/WMT14", "bleu")


def test_a_word_with_a_version_number_is_a_name_but_a_sentence_opening_figure_is_not():
    from rag.evidence import NAME_IN_TEXT

    assert NAME_IN_TEXT.findall("we give Claude 3 Opus a system prompt") == ["Claude 3 Opus"]
    assert NAME_IN_TEXT.findall("Gemini 1.5 Pro and Llama 2 agree") == ["Gemini 1.5 Pro", "Llama 2"]
    assert NAME_IN_TEXT.findall("The 8 bits quantization, see Table 2") == []


def test_examples_after_such_as_are_topics_but_a_parenthesis_only_qualifies_a_noun():
    from rag.focus import enumerated_examples

    question = "Which papers deal with badly lit imagery, such as low-light video, nighttime photos or backlit images?"
    assert enumerated_examples(question) == ["low-light video", "nighttime photos", "backlit images"]
    assert enumerated_examples(
        "Which papers extend video diffusion models, such as longer videos or camera control, without training?"
    ) == ["longer videos", "camera control"]
    assert (
        enumerated_examples("Which papers make generative models (GANs, diffusion models or LLMs) unlearn data?") == []
    )
    assert enumerated_examples("Which papers study LoRA, for example its rank?") == []


def test_the_head_noun_after_which_is_the_kind_and_a_leading_when_clause_is_context():
    from rag.focus import asked_clause, question_shape

    assert which_head("Which dataset condensation trick adds horizontal flipping?") == "trick"
    assert which_head("Which dataset contains 5 billion pairs?") == "dataset"
    assert which_head("Which optimizer trained GPT-3?") == "optimizer"
    # "the number of weight updates" is context: a "which" question asks for a thing.
    assert question_shape("Which batch-norm variant avoids increasing the number of weight updates?") == "which"
    assert question_shape("Which base LLM does X fine-tune, and how many parameters does it have?") == "which"
    assert asked_clause("When the data distribution changes, does concatenating features help?") == (
        "does concatenating features help?"
    )


def test_the_counted_unit_heads_its_noun_phrase_after_any_modifiers():
    assert counts("a dataset of 8.5K high quality linguistically diverse grade school math word problems.", "problem")
    assert counts("(675 vs. 6,250 A100 GPU days)", "day")
    assert not counts("we collect nearly 70k speaker similarity scores", "speaker")


def test_an_acronym_spelled_out_is_the_acronym():
    from rag.evidence import spells_acronym

    assert spells_acronym("trained with stochastic gradient descent", "SGD")
    assert spells_acronym("large language models", "LLMs")
    assert not spells_acronym("stochastic descent", "SGD")
    # One small letter between capitals is still an acronym (LoRA, ViT); GaLore is a word.
    assert spells_acronym("low rank adaptation", "LoRA")
    assert spells_acronym("pruning Vision Transformers", "ViT")
    assert not spells_acronym("Gradient Low-Rank Projection", "GaLore")


def test_released_with_names_a_dataset_while_when_and_model_sizes_ask_for_facts():
    from rag.evidence import MODEL_SIZE_ASKED, asked_facts

    labels = [label for _, label in asked_facts(analyze("How many problems are in the dataset released with X?"))]
    assert labels == ["the figure asked for"]
    assert "when" in [label for _, label in asked_facts(analyze("When was LAION-5B released?"))]
    assert analyze("In which model sizes was Apple's OpenELM released?").shape == "quantity"
    assert MODEL_SIZE_ASKED.search("In which model sizes was Apple's OpenELM released?")


def test_a_quoted_term_is_defined_and_a_long_kind_phrase_still_asks_which():
    from rag.focus import question_shape

    assert question_shape("What is 'alignment faking' in a large language model?") == "definition"
    assert question_shape("What is the Gazelle dataset?") == "definition"
    assert question_shape("What training-free video generation framework chains diffusion experts?") == "which"
    assert question_shape("What training methods improve robustness?") == "list"


def test_an_abstract_defines_acronyms_by_whole_words_or_by_parts():
    texts = [
        "We perform supervised fine-tuning (SFT) and reinforcement learning (RL).",
        "a new algorithm based on Layer-wise Adaptive Rate Scaling (LARS).",
        "Our 8-bit model (ours) and GaLore (GaLore) are not acronyms.",
    ]
    assert defined_acronyms(texts) == {
        "SFT": "supervised fine tuning",
        "RL": "reinforcement learning",
        "LARS": "Layer-wise Adaptive Rate Scaling",
    }


def test_a_compound_name_is_used_as_written_or_by_its_head():
    text = "uses about only 3% retrieval runtime of the two-stage VPR methods with RANSAC-based spatial verification"
    assert uses_name(text, "RANSAC-based")
    assert uses_name("a RANSAC step", "RANSAC-based")
    assert not uses_name("a MAGSAC step", "RANSAC-based")


def test_counts_written_as_words_are_figures_of_a_how_many_question():
    text = "The material for the report builds on two workshops held by the community and covers one area."
    assert with_digits(text).startswith("The material for the report builds on 2 workshops held by")
    assert "one area" in with_digits(text)
    # An irregular participle ends the counted phrase: the figure counts workshops.
    assert counts(with_digits(text), "workshop")


def test_the_authors_as_a_subject_do_not_ask_who_made_it():
    for question in (
        "Which kind of objects did the authors focus on?",
        "How did the authors get precise control over the factors of variation?",
    ):
        assert [label for _, label in asked_facts(analyze(question))] == []
    assert [label for _, label in asked_facts(analyze("Which authors wrote the GaLore paper?"))] == ["who made it"]


def test_how_does_a_name_ask_about_the_words_after_its_verb():
    assert asked_of_subject(analyze("How does SpeechGPT preserve the speaker's voice identity?")) == (
        "SpeechGPT",
        ["the", "speaker's", "voice", "identity"],
    )
    # A head noun after the name is part of the subject; comparisons and "what is" are not asked of one subject.
    # The verb's particle goes with it ("cope with").
    assert asked_of_subject(analyze("How does SWARM parallelism cope with unreliable devices?"))[1][0] == "unreliable"
    assert asked_of_subject(analyze("How does Hier-SLAM++ differ from Hi-SLAM?")) == ("", [])
    assert asked_of_subject(analyze("What is GaLore?")) == ("", [])


def test_what_is_a_named_thing_in_some_context_is_a_definition():
    assert analyze("What is online TTT in the work on test-time training for video streams?").shape == "definition"
    assert analyze("What is MEND in model editing?").shape == "definition"
    # Nothing named before "in": an open question, not a definition.
    assert analyze("What is the role of noise in grokking?").shape == "synthesis"


def test_a_size_question_measures_the_noun_before_size():
    assert measured_noun("What vocabulary size does RedWhale's tokenizer have?") == {"vocabulari"}
    assert measured_noun("What is the context length of Mamba?") == {"context"}
    # A model's size is told in parameters, a batch size is a hyperparameter value; "the size of" names nothing.
    assert measured_noun("In which model sizes was OpenELM released?") == set()
    assert measured_noun("Up to what batch size can BERT be trained?") == set()
    assert measured_noun("What was the size of the largest model?") == set()


def test_typed_shorthand_asks_for_a_definition():
    assert analyze("what's Flow-NRG").shape == "definition"
    assert analyze("whats LoRA").shape == "definition"
    assert analyze("explain SSVI for bayesian neural nets").shape == "definition"
    assert analyze("describe GaLore").shape == "definition"
    # A request to explain how something works, or to describe papers, keeps its own shape.
    assert analyze("explain how GaLore works").shape == "mechanism"
    assert analyze("describe the papers on grokking").shape == "list"
    assert analyze("what's the accuracy of PRE on ImageNet?").shape == "quantity"


def test_asked_words_leave_out_pointers_to_the_subject_and_what_it_is_likened_to():
    focus = analyze("What dropout-style regularizer did the NASNet paper introduce to help its models generalize?")
    asked = asked_terms(focus)
    # "its", "help" and "introduce" carry the clause; "dropout-style" says what the regularizer resembles.
    assert {"regular", "general"} <= asked
    assert not asked & {"it", "help", "introduc", "dropout", "style"}
    # A likened word the question also uses on its own is still asked about.
    assert "dropout" in asked_terms(analyze("Which dropout-like method replaces dropout in NASNet?"))


def test_a_closing_link_is_cut_from_the_quote_and_a_link_alone_is_not_quoted():
    release = (
        "We will provide a final recipe for training and release CodeGen2 models in size 1B, 3.7B, 7B, and, 16B "
        "parameters, along with the training framework as open-source: https://github.com/salesforce/CodeGen."
    )
    assert standalone_text(release) == release.partition(": https")[0] + " …"
    assert standalone_text("Code is available at https://github.com/x/y.") is None
    assert standalone_text("We release code (https://x.org/a) and data for all of our experiments.") is None


def test_the_reply_to_an_earlier_problem_is_quoted_without_its_opening():
    assert (
        standalone_text("To overcome this optimization difficulties we propose a new training algorithm (LARS).")
        == "…we propose a new training algorithm (LARS)."
    )
    assert standalone_text("To solve these issues, the Multi-view Cross Former module is proposed.") == (
        "…the Multi-view Cross Former module is proposed."
    )
    assert standalone_text("To overcome this, it is used.") is None


def test_a_name_with_a_modifier_suffix_is_the_name():
    assert name_like_words("Does it beat GNN-based recommenders or GPT-4-like models?") == ["GNN", "GPT-4"]
    # A capitalised second part makes another name.
    assert name_like_words("Q-GaLore and T-JEPA") == ["Q-GaLore", "T-JEPA"]
    assert mentions("RANSAC-based spatial verification", "RANSAC")
    assert not mentions("Q-GaLore and GaLore-2", "GaLore")


def test_what_is_the_largest_model_size_asks_for_a_quantity():
    assert analyze("What's the largest CodeGen2 model size that was released?").shape == "quantity"
    assert analyze("What is a compact size model?").shape == "definition"


def test_a_capitalised_word_inside_a_question_may_name_something():
    from rag.text import proper_words

    assert proper_words("what's the latent array in the Perceiver and why is it cheap?") == ["Perceiver"]
    # The opening word, and words after a figure or a name, are not taken for names.
    assert proper_words("Which paper extends 3D Gaussian Splatting?") == ["Splatting"]
    assert proper_words("What is LoRA?") == []
    assert analyze("what text-to-video R@1 does MDMMT-2 get on MSR-VTT?").shape == "quantity"


def test_a_yardstick_used_to_compare_things_is_defined_not_compared():
    assert analyze("What is the 'compute-equivalent gain' used to compare post-training enhancements?").shape == (
        "definition"
    )
    assert analyze("How do LoRA and GaLore compare?").shape == "compare"


def test_a_question_name_prefixing_a_compound_is_set_apart():
    from rag.evidence import split_compounds

    text = "CodeACT-DeepSeek-Coder-6.7B decreases peak GPU memory usage by 27%."
    assert split_compounds(text, ("CodeACT", "DeepSeek-Coder-6")).startswith("CodeACT DeepSeek-Coder-6.7B")
    # Without the prefix among the question's names, the compound stays one name.
    assert split_compounds("Q-GaLore saves memory.", ("GaLore",)) == "Q-GaLore saves memory."


def test_asking_what_a_name_stands_for_asks_for_its_spelled_out_words():
    from rag.evidence import spelled_out_pattern
    from rag.focus import asks_expansion

    focus = analyze("ReBase - what is it and what does the name stand for?")
    assert asks_expansion(focus.question) and not asked_terms(focus) & {"stand", "name"}
    assert any(label == "what the name stands for" for _, label in asked_facts(focus))
    assert not asks_expansion("How well does ReBase stand up to larger models?")
    assert not asks_expansion("How does LongLoRA expand the context window of LLMs?")
    assert asks_expansion("What does the acronym MNAR expand to?")
    spelled = spelled_out_pattern(("ReBase", "MNAR", "BERT"))
    assert spelled.search("we present Retrieval Based Distillation (ReBase), a method")
    assert spelled.search("the bias of missing not-at-random (MNAR), this work")
    # A citation in parentheses spells nothing out.
    assert not spelled.search("masked language modeling of BERT (Devlin et al., 2019)")


def test_a_citing_sentence_saying_what_kind_of_thing_a_name_is_defines_it():
    from rag.evidence import categorizes, defines_name

    assert categorizes("Recently, distributed algorithms like DiLoCo have relaxed such constraints.", "DiLoCo")
    assert categorizes("We build on DiLoCo, a distributed training method.", "DiLoCo")
    assert not categorizes("In this paper, we improve DiLoCo in three ways.", "DiLoCo")
    # Only a definition question reads it so: "optimizers like SGD" is background to a how-question.
    text = "error compensation only works with basic optimizers like SGD and momentum SGD."
    assert defines_name(text, analyze("What is SGD?"))
    assert not defines_name(text, analyze("How does 1-bit Adam get around SGD's limits?"))


def test_the_largest_size_of_a_thing_asks_for_its_figure_not_a_largest():
    question = "What is the largest size of the Transformer language models trained with codebook features?"
    assert measured_noun(question) == set()
    assert "size" in attribute_words(question)


def test_a_named_chip_or_board_is_hardware_and_an_encoder_is_a_named_part():
    from rag.evidence import HARDWARE

    assert HARDWARE.search("the deployment of our models on the energy efficient ET-SoC-1 chip")
    assert HARDWARE.search("a hardware platform of one Xilinx ZCU104 FPGA")
    assert not HARDWARE.search("a hardware-level computation reordering scheme")
    chip = analyze("On which energy-efficient chip were the protein language models deployed?")
    assert any(label == "which hardware" for _, label in asked_facts(chip))
    engine = analyze("Which text-to-speech engine was used to synthesize the speech?")
    assert any(label == "which engine" for _, label in asked_facts(engine))


def test_a_thing_likened_to_a_name_is_about_the_name_not_the_likeness():
    assert "style" not in analyze("Which papers work on DETR-style object detectors?").terms
    assert "detr" in analyze("Which papers work on DETR-style object detectors?").terms


def test_the_grammatical_subject_is_a_name_after_the_auxiliary_verb():
    from rag.focus import grammatical_subject

    assert grammatical_subject(analyze("How many training tokens was Chinchilla trained on?")) == ("Chinchilla",)
    assert "GaLore" in grammatical_subject(analyze("How much memory does GaLore save?"))
    # A name that only sets the scene is not what the figure is of.
    scene = "With wav2vec 2.0 pre-training and self-training, what word error rate is reached on Librispeech?"
    assert grammatical_subject(analyze(scene)) == ()


def test_proposing_a_name_is_giving_it_to_the_paper_s_own_work():
    from rag.evidence import proposes_name

    assert proposes_name("In this work, we propose Gradient Low-Rank Projection (GaLore), a strategy", "GaLore")
    assert proposes_name("we develop a new layerwise adaptive large batch optimization technique called LAMB", "LAMB")
    assert not proposes_name("Our approach utilizes the Low-Rank Adaptor (LoRA) technique", "LoRA")
    # The head of a compound names the compound, unless a compound is allowed.
    assert not proposes_name("we propose the LoRA-LEGO framework.", "LoRA", whole=True)
    assert proposes_name("we propose the LoRA-LEGO framework.", "LoRA-LEGO", whole=True)


def test_a_dimension_is_not_a_figure_and_orders_of_magnitude_are():
    from rag.evidence import FIGURE_IN_WORDS
    from rag.focus import NUMBER

    assert not NUMBER.search("a method for 3D shape reconstruction from 2D slices")
    assert NUMBER.search("trained in 3 days")
    assert FIGURE_IN_WORDS.search("one to two orders of magnitude faster than published methods")
    assert not FIGURE_IN_WORDS.search("one of the orders of the day")


def test_a_question_ending_in_which_asks_which():
    assert analyze("MetaShift was built from the annotations of which existing dataset?").shape == "which"
    # "which" opening a relative clause asks nothing.
    assert analyze("How does the model, which uses attention, reduce memory?").shape == "mechanism"


def test_what_singular_thing_did_one_subject_find_asks_for_one_thing():
    assert analyze("What problem did the study of trained conv kernels find in pretrained CNNs?").shape == "which"
    assert analyze("What role does the KL term play in DPO?").shape == "which"
    # Plural things or an open "what ... exist" stay questions for several papers.
    assert analyze("What problems do LLMs have with long context?").shape != "which"
    assert analyze("What approaches exist for post-training quantization?").shape == "list"


def test_multi_word_names_are_title_case_runs_after_the_first_word():
    from rag.evidence import proper_phrases

    assert [name for name, _ in proper_phrases("What is Gradient Lens Distillation?")] == ["Gradient Lens Distillation"]
    assert [name for name, _ in proper_phrases("How does Spatial Learning Through Time cut memory?")] == [
        "Spatial Learning Through Time"
    ]
    # Acronyms are single names (the unknown-name check's), and "and" joins two names.
    assert proper_phrases("What is MEET in LLM alignment?") == []
    assert proper_phrases("How do Zeus and Perseus differ?") == []
    # The question's own first word is no part of a name.
    assert proper_phrases("Does Tensor Parallelism help?")[0][0] == "Tensor Parallelism"


def test_the_score_asked_on_a_benchmark_and_the_change_asked_of_a_measure():
    from rag.evidence import changed_measure, scored_on

    assert scored_on(analyze("What exact MT-Bench score does the 1.5-Pints model get?")) == ("MT-Bench",)
    assert scored_on(analyze("What accuracy on ImageNet-R does X reach?")) == ("ImageNet-R",)
    assert scored_on(analyze("How many GPUs did MegaScale use?")) == ()
    assert changed_measure("By what percentage does NASNet reduce computational demand compared with X?") == {
        "comput",
        "demand",
    }
    assert changed_measure("How much does GaLore reduce optimizer memory?") == {"optim", "memori"}
    assert changed_measure("What speedup does X give?") == set()


def test_acronyms_of_lower_case_words_are_terms_not_names():
    from rag.evidence import without_terms

    acronyms = {"KD": "Knowledge distillation", "LMs": "language models", "LARS": "Layer-wise Adaptive Rate Scaling"}
    sentence = "MiniPLM operates on the training corpus, enabling KD for student LMs and LM inference"
    text = without_terms(sentence, acronyms)
    assert {"KD", "LMs", "LM"}.isdisjoint(text.split()) and "MiniPLM" in text.split()
    assert "LARS" in without_terms("we use LARS", acronyms)


def test_an_opening_set_in_the_sentence_before_is_trimmed():
    from rag.focus import standalone_text

    assert standalone_text("In this phase of training, a collapse has been observed.") == (
        "…a collapse has been observed."
    )
    # The abstract turning to its own work reads alone, as does a sentence with no reference back.
    assert standalone_text("In this paper, we propose X.") == "In this paper, we propose X."
    assert standalone_text("In this phase, this happens.") is None or not standalone_text(
        "In this phase, this happens."
    ).startswith("…this")


def test_which_kind_after_a_preposition_and_what_is_x_subject():
    from rag.evidence import defined_name
    from rag.focus import asked_noun

    assert asked_noun("On which pre-training corpus were the MiniPLM models trained?") == "corpus"
    assert asked_noun("Which encoders does X use?") == "encoder"
    assert defined_name(analyze("What is AbeT for OOD detection?")) == "AbeT"
    assert defined_name(analyze("What is Megatron-LM? I keep seeing it as the baseline")) == "Megatron-LM"


def test_quoted_terms_are_what_a_definition_asks_for():
    from rag.evidence import quoted_terms
    from rag.extractive import gives_quoted_name

    assert quoted_terms("what are 'pseudo-words' in the model spinning attack?") == ["pseudo-words"]
    assert quoted_terms('What is "alignment faking" in LLMs?') == ["alignment faking"]
    assert quoted_terms("what's the model's loss") == []
    assert gives_quoted_name('points in the word-embedding space we call "pseudo-words," and', ("pseudo-words",))
    assert not gives_quoted_name("we shift pseudo-words to the output", ("pseudo-words",))


def test_the_benchmark_a_list_asks_results_on():
    from rag.evidence import evaluated_on, names_benchmark

    assert evaluated_on(analyze("Which papers report results on the HumanEval code benchmark?")) == ("HumanEval",)
    assert evaluated_on(analyze("Which papers evaluate semantic segmentation on ADE20K?")) == ("ADE20K",)
    # A list that only names a method asks for no benchmark.
    assert evaluated_on(analyze("Which papers build on LoRA?")) == ()
    assert names_benchmark("results on the MATH and GSM8K benchmarks", "MATH")
    assert not names_benchmark("solving math word problems", "MATH")
    assert names_benchmark("0 PPL on PTB/WikiText-103", "WikiText")


def test_a_who_question_asks_for_one_maker_not_a_survey():
    from rag.focus import question_shape

    # As a survey, "Who developed the MT-Bench benchmark?" quoted two papers that only evaluate on it.
    assert question_shape("Who developed the MT-Bench benchmark?") == "which"
    assert question_shape("who are the authors of the LAMB paper") == "which"
    assert [label for _, label in asked_facts(analyze("Who developed the MT-Bench benchmark?"))] == ["who made it"]


def test_an_acronym_may_take_small_letters_from_its_words_and_skip_a_function_word():
    from rag.evidence import spells_acronym

    assert spells_acronym("Training data-efficient image transformers & distillation", "DeiT")
    assert spells_acronym("Reinforcement Learning from Human Feedback", "RLHF")
    assert spells_acronym("Low-Rank Adaptation", "LoRA") and spells_acronym("a mixture of experts", "MoE")
    # Words, not acronyms; and two letters never skip a word.
    assert not spells_acronym("gradient low-rank projection", "GaLore")
    assert not spells_acronym("adaptive moment estimation", "Adam")
    assert not spells_acronym("the rate of learning", "RL")


def test_seq2seq_is_written_sequence_to_sequence():
    from rag.evidence import mentions_variant

    assert mentions_variant("improve over sequence-to-sequence with input attention", "seq2seq")
    assert mentions_variant("a seq2seq model", "seq2seq")
    assert not mentions_variant("sequence models to sequence labels", "seq2seq")


def test_a_hyphenated_acronym_in_brackets_is_defined():
    from rag.evidence import defined_acronyms

    found = defined_acronyms(["We evaluated survival prediction using concordance index (C-Index)."])
    assert found == {"C-Index": "concordance index"}


def test_the_measure_a_value_question_names_must_be_beside_the_figure():
    from rag.evidence import measured_noun

    assert measured_noun("what concordance index did SeNMo get on its held-out test set?") == {"index"}
    assert measured_noun("what win rate did the model achieve against GPT-4?") == {"rate"}
    # Any figure of an accuracy answers "what accuracy".
    assert measured_noun("What accuracy does ResNet-RS reach on ImageNet?") == set()


def test_a_value_asked_by_factor_or_coefficient_is_a_quantity_and_by_what_factor_is_not_a_comparison():
    from rag.focus import question_shape

    assert question_shape("by what factor does LightSeq reduce communication vs Megatron-LM") == "quantity"
    assert question_shape("what decay factor do they use to restrict gradients to pruned weights?") == "quantity"
    assert question_shape("What factors drive grokking?") != "quantity"


def test_a_phrasal_verb_takes_its_particle_and_leaves_what_it_acts_on():
    assert asked_of_subject(analyze("How does SuperHF get rid of PPO in the RLHF pipeline?")) == (
        "SuperHF",
        ["PPO", "in", "the", "RLHF", "pipeline"],
    )


def test_a_list_topic_is_what_the_question_names_before_explaining_it():
    from rag.focus import glossed_topic

    assert glossed_topic("Which papers study grokking, i.e. generalization long after fitting?") == (
        "Which papers study grokking"
    )
    assert glossed_topic("Which papers address the reversal curse, where a model fails") == (
        "Which papers address the reversal curse"
    )
    # An example list ("e.g.") is not an explanation, and "where" opening a question is not a gloss.
    assert glossed_topic("Which papers report results on Kinetics (e.g. Kinetics-400)?") == ""
    assert glossed_topic("papers where a smaller model supplies the training data") == ""


def test_what_work_is_there_asks_for_a_list():
    from rag.focus import question_shape

    assert question_shape("What work is there on test-time training?") == "list"
    assert question_shape("is there any research on grokking?") == "list"
    assert question_shape("Is there a paper that proposes LoRA?") == "which"


def test_a_clipped_compound_matches_its_words_written_out():
    from rag.text import uses_word

    assert uses_word("matmuls", set(), "with all matrix multiplications in INT4")
    assert uses_word("convnet", set(), "a deep convolutional network")
    assert not uses_word("matmuls", set(), "the mathematics of multiplying")


def test_a_model_size_before_the_name_keeps_it_the_subject():
    from rag.focus import grammatical_subject

    assert grammatical_subject(analyze("How many tokens was the 175B GPT-3 pretrained on?")) == ("GPT-3",)


def test_a_leading_when_clause_sets_the_scene_and_asks_no_date():
    from rag.focus import asked_clause

    question = "When the MoE vision transformer is run on a Xilinx FPGA, by how much does it reduce memory?"
    assert asked_clause(question) == "by how much does it reduce memory?"
    labels = [label for _, label in asked_facts(analyze(question))]
    assert labels == ["the figure asked for"]
    assert "when" in [label for _, label in asked_facts(analyze("When was Llama 2 released?"))]


def test_a_formula_is_asked_only_as_the_thing_asked_for():
    def labels(question: str) -> list[str]:
        return [label for _, label in asked_facts(analyze(question))]

    assert "the formula" in labels("What is the exact formula of the REX profile?")
    assert "the formula" not in labels("If a neural differential equation is regularized, how much faster is it?")
    assert "the formula" not in labels(
        "Which technique approximates unrolling with an influence-function-like formula?"
    )


def test_a_count_noun_ends_at_an_adverb_a_comparative_or_out_of():
    from rag.evidence import counts

    assert counts("we present 10 unanswered questions currently faced by LLMs", "question")
    assert counts("Skill-It obtains 36.5 points higher accuracy", "point")
    assert counts("We reviewed 65 publications out of 983", "public")
    # A noun compound still counts its head, not its modifier.
    assert not counts("we collect 70k speaker similarity scores", "speaker")


def test_fractions_and_n_out_of_m_are_figures():
    from rag.evidence import NUMBER, shows_fact

    assert shows_fact("we reduce the optimization steps to one-third of the previous approach", NUMBER, {})
    assert shows_fact("BatchNorm learns to disable around a third of the random features", NUMBER, {})
    assert shows_fact("on par with the state of the art on six out of seven benchmarks", NUMBER, {})
    assert not shows_fact("we propose a third approach to pruning", NUMBER, {})
    assert not shows_fact("the method comes out of the box", NUMBER, {})


def test_a_participle_suffix_is_not_part_of_a_name():
    from rag.text import proper_words

    assert name_like_words("the LLM-generated data and the VoxCeleb-derived dataset") == ["LLM", "VoxCeleb"]
    assert proper_words("How does the Hebbian-inspired pruning work?") == ["Hebbian"]


def test_a_share_or_budget_is_answered_by_any_figure():
    from rag.evidence import measured_noun

    assert measured_noun("what share of the parameters does mask tuning mask to get its gain?") == set()
    assert measured_noun("What training budget does the method need to obtain a 4-step generator?") == set()


def test_a_mechanism_sentence_may_describe_the_method_without_by_ing():
    from rag.evidence import DESCRIBES_METHOD

    for text in (
        "Specifically, the self-attention maps are recomputed as a linear combination of itself",
        "Our method constructs the mask out of the k parameters with the largest Fisher information",
        "the output of the encoder is used to select the nearest keys",
        "this codebook is used, along with the label, and facial landmarks, to construct a heatmap",
        "it partitions the components into learngenes through a class gate",
    ):
        assert DESCRIBES_METHOD.search(text), text
    for text in (
        "Through extensive experiments we show gains",
        "Our method achieves 5% gains",
        "The approach does not",
    ):
        assert not DESCRIBES_METHOD.search(text), text


def test_a_letter_variant_of_a_benchmark_is_matched_as_written():
    from rag.evidence import names_benchmark

    assert names_benchmark("accuracy on the ImageNet-R and CIFAR-100 benchmarks", "ImageNet-R")
    assert names_benchmark("perturbations including ImageNet-C,R,S,A datasets", "ImageNet-R")
    assert not names_benchmark("82.7% top-1 accuracy on ImageNet", "ImageNet-R")
    assert names_benchmark("perplexity on WikiText-103", "WikiText")


def test_a_name_with_a_modifier_prefix_is_the_name():
    assert name_like_words("papers on all-MLP architectures for non-IID data") == ["MLP", "IID"]


def test_two_coordinated_subjects_are_not_one_subject_asked_of():
    assert asked_of_subject(analyze("How do Q-GaLore and Natural GaLore each try to improve on GaLore?")) == ("", [])


def test_a_family_name_without_a_version_matches_its_versions_and_number_formats_their_other_names():
    from rag.evidence import mentions_variant

    text = "we compare DenseNet, ResNet, VGGNet, and YOLOv8 on the custom wildlife dataset"
    assert mentions_variant(text, "VGG") and mentions_variant(text, "YOLO")
    assert mentions_variant("using RoPE with BFloat16 format", "bf16")
    assert mentions_variant("Training in FP16 or FP8", "fp16")
    # A version asked is that version.
    assert not mentions_variant("GPT-4o is", "GPT-4")


def test_a_proposal_of_a_thing_of_the_asked_kind_names_it():
    from rag.evidence import named_kind_pattern

    pattern = named_kind_pattern("loss", "Which loss was proposed for adapting foundation models to VPR?")
    assert pattern.search("we propose a novel mutual nearest neighbor local feature loss to train the model")
    assert not pattern.search("the training loss decreases steadily")


def test_how_long_asks_a_duration_whose_word_is_no_key_word():
    assert "long" in attribute_words("ZeroQ how long does the whole quantization take")
    assert "fast" in attribute_words("how fast is it")
