"""Answers that answer the question (issue 11), on the real corpus with the extractive default."""

from __future__ import annotations

import re

import pytest

import rag
from rag.eval_metrics import dangling_openers


def _first_title(answer) -> str:
    return answer.citations[0].title


def test_what_is_galore_leads_with_the_galore_paper_and_its_definition(full_settings):
    answer = rag.ask("What is GaLore?", settings=full_settings)
    assert _first_title(answer).startswith("GaLore:")
    first = answer.sentences[0]
    assert "GaLore" in first.text and "propose" in first.text
    # "What is X?": the paper's short name with its title's description, which defines X in a line.
    assert first.lead == "GaLore (Memory-Efficient LLM Training by Gradient Low-Rank Projection)"
    assert answer.answer.startswith(f"**{first.lead}** [1]:")
    assert len(answer.citations) == 1


def test_how_does_galore_reduce_memory_says_how(full_settings):
    answer = rag.ask("How does GaLore reduce memory?", settings=full_settings)
    assert _first_title(answer).startswith("GaLore:")
    # The GaLore abstract never says how; the sentence of a later paper that does is quoted, cited to it.
    assert re.search(r"GaLore[^.]*by projecting (weight )?gradients", answer.answer)
    assert [c.title.split(":")[0] for c in answer.citations] == ["GaLore", "Q-GaLore"]
    assert dangling_openers(s.text for s in answer.sentences) == 0


def test_grokking_answer_cites_only_papers_about_grokking(full_settings):
    answer = rag.ask("What explains grokking?", settings=full_settings)
    assert not answer.abstained and answer.citations
    for source in answer.sources:
        if source.n in {c.n for c in answer.citations}:
            assert "grok" in (source.title + source.text).lower(), source.title
    assert dangling_openers(s.text for s in answer.sentences) == 0


def test_comparing_lora_variants_lists_one_line_per_paper(full_settings):
    answer = rag.ask("Compare the LoRA variants in the corpus", settings=full_settings)
    assert answer.layout == "list"
    assert len(answer.citations) >= 4
    lines = [line for line in answer.answer.splitlines() if line.startswith("- **")]
    assert len(lines) == len(answer.citations)
    cited = {c.n for c in answer.citations}
    for source in answer.sources:
        if source.n in cited:
            assert re.search(r"lora|low-rank", (source.title + source.text).lower()), source.title


def test_follow_up_without_an_llm_keeps_the_subject(full_settings):
    history = [{"role": "user", "content": "What is GaLore?"}, {"role": "assistant", "content": "A method."}]
    answer = rag.ask("And what about its memory cost?", history=history, settings=full_settings)
    assert "GaLore" in answer.standalone_question
    assert not answer.abstained and "GaLore" in _first_title(answer)
    assert "memory" in answer.answer.lower()


def test_near_domain_question_abstains_and_says_what_is_missing(full_settings):
    answer = rag.ask("How many parameters does DeepSeek-R1 have?", settings=full_settings)
    assert answer.abstained and not answer.citations
    assert "DeepSeek-R1" in answer.answer


def test_post_training_quantization_summary_has_no_qat_paper_and_phrase_theme_names(full_settings):
    summary = rag.summarize("post-training quantization", settings=full_settings)
    assert summary.covered and summary.papers
    assert not any("quantization-aware" in p.title.lower() for p in summary.papers)
    papers = {p.paper_id: p for p in rag.list_papers(full_settings)}
    for theme in summary.themes:
        members = [summary.papers[n - 1] for n in theme.papers]
        texts = " ".join(papers[m.paper_id].title + " " + papers[m.paper_id].abstract for m in members).lower()
        for phrase in theme.name.split("; "):
            assert phrase.lower() in texts, phrase
        assert theme.text.startswith("**")


def test_which_question_names_the_answer_from_one_paper(full_settings):
    answer = rag.ask(
        "Which mechanism keeps GAN discriminators from overfitting when only a few thousand training images are "
        "available?",
        settings=full_settings,
    )
    assert [c.title for c in answer.citations] == ["Training Generative Adversarial Networks with Limited Data"]
    assert "adaptive discriminator augmentation" in answer.answer


def test_a_specific_name_no_quoted_paper_uses_makes_it_abstain(full_settings):
    answer = rag.ask("What is the memory bandwidth of the NVidia H100?", settings=full_settings)
    assert answer.abstained and not answer.citations
    assert "H100" in answer.answer


def test_how_many_needs_a_figure_counting_the_asked_unit(full_settings):
    # The VoxSim paper uses VoxCeleb and gives figures, but none counts speakers.
    answer = rag.ask("How many speakers are in the VoxCeleb dataset?", settings=full_settings)
    assert answer.abstained and "figure" in answer.answer
    counted = rag.ask("How many image subsets and how many classes does MetaShift contain?", settings=full_settings)
    assert not counted.abstained and "12,868" in counted.answer and "410" in counted.answer


def test_a_hyperparameter_asked_for_needs_a_figure_beside_its_name(full_settings):
    # GaLore's abstracts give figures (memory saved, a 7B model on one GPU), none a learning rate.
    answer = rag.ask("What learning rate did GaLore use to pre-train LLaMA 7B?", settings=full_settings)
    assert answer.abstained and "figure" in answer.answer
    # The LAMB abstract does give the batch size it trained BERT with.
    stated = rag.ask("What batch size did LAMB use to train BERT in 76 minutes?", settings=full_settings)
    assert not stated.abstained and "32868" in stated.answer


def test_a_name_an_abstract_introduces_brings_its_paper_first(full_settings):
    # "MEET" is only in the body of its abstract ("Our approach, ... (MEET), ..."), not in a title.
    answer = rag.ask("What is MEET in LLM alignment?", settings=full_settings)
    assert not answer.abstained
    assert _first_title(answer) == "Parameter-Efficient Tuning Helps Language Model Alignment"
    assert "(MEET)" in answer.answer


def test_which_optimizer_abstains_when_no_sentence_names_one(full_settings):
    answer = rag.ask("Which optimizer and learning-rate schedule were used to train ResNet-RS?", settings=full_settings)
    assert answer.abstained
    assert "which optimizer" in answer.answer


def test_how_quotes_the_solution_after_the_problem_it_answers(full_settings):
    answer = rag.ask(
        "How does OReX recover high-frequency detail, given that a neural field prior oversmooths shapes?",
        settings=full_settings,
    )
    assert _first_title(answer).startswith("OReX")
    texts = [s.text for s in answer.sentences]
    problem = next(i for i, t in enumerate(texts) if t.startswith("The main challenge"))
    assert "coarse-to-fine" in texts[problem + 1]


def test_a_list_cites_a_paper_whose_title_is_the_topic(full_settings):
    question = "Which papers in the corpus train or adapt automatic speech recognition models?"
    answer = rag.ask(question, settings=full_settings)
    titles = [c.title for c in answer.citations]
    assert "Self-training and Pre-training are Complementary for Speech Recognition" in titles
    # "in the corpus" is about the index, not a topic word a paper must hold.
    assert "corpus" not in rag.focus.analyze("Which papers in the corpus study grokking?").terms


def test_the_asked_figure_is_quoted_even_when_its_sentence_scores_below_the_others(full_settings):
    # "size" and "hardware" are answered by values ("1B parameters", "T4 GPUs"), not by those words.
    answer = rag.ask(
        "What size of model was trained with SWARM parallelism, and on what hardware?", settings=full_settings
    )
    assert not answer.abstained and _first_title(answer).startswith("SWARM Parallelism")
    assert "1B shared parameters" in answer.answer and "T4 GPUs" in answer.answer


def test_a_leading_context_phrase_keeps_a_finding_question_a_finding_question(full_settings):
    question = "In transformer-based network intrusion detection, which design choice had the biggest impact?"
    answer = rag.ask(question, settings=full_settings)
    assert _first_title(answer).startswith("FlowTransformer")
    assert "classification head has the most significant impact" in answer.answer


def test_a_figure_is_taken_only_from_a_paper_using_every_name_the_question_qualifies_it_with(full_settings):
    # PRE reports "5.60% in average accuracy on New classes"; its abstract never mentions ImageNet.
    answer = rag.ask("What accuracy does PRE reach on ImageNet?", settings=full_settings)
    assert answer.abstained, answer.answer
    assert "PRE and ImageNet" in answer.answer
    answered = rag.ask("What accuracy gain does PRE achieve over CoOp?", settings=full_settings)
    assert not answered.abstained and "5.60%" in answered.answer


def test_a_digit_inside_a_name_is_not_the_figure_asked_for(full_settings):
    # "L2 regularization ... large learning rates" in another paper is not a learning rate.
    answer = rag.ask("What learning rate does the regularized mask tuning paper use?", settings=full_settings)
    assert answer.abstained, answer.answer


def test_what_is_x_quotes_no_background_from_before_the_paper_introduces_x(full_settings):
    answer = rag.ask("What is PRE in vision-language prompt learning?", settings=full_settings)
    assert _first_title(answer).startswith("PRE:")
    assert "(PRE)" in answer.sentences[0].text
    # The abstract's opening sentences are about CLIP and CoOp, not PRE.
    assert not any(s.text.startswith("Large pre-trained vision-language models") for s in answer.sentences)
    assert not any("recent work Context Optimization" in s.text for s in answer.sentences)


def test_which_x_quotes_the_sentence_naming_the_x_not_only_the_proposal(full_settings):
    answer = rag.ask(
        "Which encoder does the math word problem solver based on linguistic variants use?", settings=full_settings
    )
    assert _first_title(answer).startswith("Math Word Problem Solving")
    assert any("DeBERTa" in s.text and "encoder" in s.text for s in answer.sentences), answer.answer


def test_an_open_question_draws_on_each_paper_whose_title_is_its_topic(full_settings):
    answer = rag.ask("What explains grokking?", settings=full_settings)
    titles = [c.title for c in answer.citations]
    assert "Grokking at the Edge of Numerical Stability" in titles
    assert "Grokking as the Transition from Lazy to Rich Training Dynamics" in titles


def test_a_how_can_answer_quotes_the_sentence_that_addresses_the_problem_not_only_the_background(full_settings):
    question = (
        "How can a vision-language model be pretrained on both image-classification and image-caption data "
        "without the classification data hurting zero-shot transfer?"
    )
    answer = rag.ask(question, settings=full_settings)
    assert _first_title(answer).startswith("Prefix Conditioning")
    assert "prefix tokens" in answer.answer
    # No paper is quoted for its background alone ("CLIP has gained popularity ...").
    assert not any(s.text.startswith(("Recently,", "Contrastive Language-Image Pretraining")) for s in answer.sentences)


def test_our_approach_is_quoted_under_its_paper_with_the_subject_named(full_settings):
    question = "What aggregate throughput did Megatron-LM reach when training a trillion-parameter model on 3072 GPUs?"
    answer = rag.ask(question, settings=full_settings)
    assert "Megatron-LM" in _first_title(answer)
    assert "502 petaFLOP/s" in answer.answer
    assert "[This paper's approach]" in answer.answer
    assert dangling_openers(s.text for s in answer.sentences) == 0


def test_what_is_x_for_a_plain_capitalised_name_a_title_introduces(full_settings):
    # "Unicron" does not look like a name (no inner capital), but "Unicron: ..." introduces it.
    answer = rag.ask("What is Unicron?", settings=full_settings)
    assert _first_title(answer).startswith("Unicron:")
    assert answer.sentences[0].text.startswith("We introduce Unicron, a workload manager")
    # ScatSimCLR's sentences never use its name: the title defines it, so the answer does not abstain.
    scat = rag.ask("What is ScatSimCLR?", settings=full_settings)
    assert not scat.abstained and _first_title(scat).startswith("ScatSimCLR:")
    assert scat.sentences[0].lead.startswith("ScatSimCLR (self-supervised contrastive learning")


def test_a_list_line_says_what_its_paper_does_rather_than_its_background(full_settings):
    answer = rag.ask(
        "What knowledge distillation methods are used to train smaller or better models?", settings=full_settings
    )
    assert answer.layout == "list"
    lines = {s.lead: s.text for s in answer.sentences}
    assert "MiniPLM" in lines and "we propose MiniPLM" in lines["MiniPLM"], lines
    assert not any(text.startswith("Knowledge distillation (KD) is widely used") for text in lines.values())


def test_a_figure_in_words_a_variant_name_and_a_synonym_still_answer(full_settings):
    # "3 billion-parameter": the magnitude is spelled out.
    swin = rag.ask("How many parameters does the largest Swin Transformer V2 model have?", settings=full_settings)
    assert not swin.abstained and "3 billion-parameter" in swin.answer
    # The abstract says "RoBERTa-Base" and "ResNet50".
    averaging = rag.ask(
        "How does latest weight averaging save days of training for ResNet-50 on ImageNet and RoBERTa?",
        settings=full_settings,
    )
    assert not averaging.abstained and "latest checkpoints" in averaging.answer
    # "speed up" is answered by "acceleration".
    history = [{"role": "user", "content": "What is PyramidDrop?"}]
    pyramid = rag.ask("How much does it speed up training of LLaVA-NeXT?", history=history, settings=full_settings)
    assert not pyramid.abstained and "40%" in pyramid.answer


def test_a_figure_of_another_measure_does_not_answer_for_the_metric_asked(full_settings):
    # GaLore's abstract gives memory savings on LLaMA 7B and C4, never a perplexity.
    answer = rag.ask(
        "What validation perplexity does GaLore reach when pre-training LLaMA 7B on C4?", settings=full_settings
    )
    assert answer.abstained and not answer.citations


def test_search_puts_the_paper_whose_title_introduces_the_name_first(full_settings):
    hits = rag.search("What is GaLore?", k=5, settings=full_settings)
    assert hits[0].title.startswith("GaLore:")
    # Within another corpus file, the GaLore paper is not fetched in.
    other = next(s for s in rag.list_sources(settings=full_settings) if s != hits[0].source)
    within = rag.search("What is GaLore?", k=5, source=other, settings=full_settings)
    assert all(hit.source == other for hit in within)
    assert not any(hit.title.startswith("GaLore:") for hit in within)


def test_a_common_name_in_the_question_does_not_make_every_paper_using_it_citable(full_settings):
    # "GPU" is in 7% of the papers: context, not the subject of the comparison.
    answer = rag.ask(
        "How do Zeus and Perseus differ in how they reduce the energy consumed by GPU training jobs?",
        settings=full_settings,
    )
    assert sorted(c.title.split(":")[0] for c in answer.citations) == ["Perseus", "Zeus"]


def test_what_is_x_is_answered_by_the_paper_proposing_x_though_others_cite_it(full_settings):
    # The LAMB paper ranks first and names LARS; the LARS paper proposes it and spells it out.
    answer = rag.ask("What is LARS in the context of training with very large batches?", settings=full_settings)
    assert _first_title(answer) == "Large Batch Training of Convolutional Networks"
    assert "Layer-wise Adaptive Rate Scaling (LARS)" in answer.answer


def test_figures_per_setting_answer_a_how_many_points_question(full_settings):
    answer = rag.ask(
        "By how many BLEU points does Power Normalization beat layer normalization on IWSLT14 and WMT14?",
        settings=full_settings,
    )
    assert not answer.abstained and "0.4/0.6 BLEU" in answer.answer


def test_how_is_quoted_with_the_claim_it_completes(full_settings):
    # "This is achieved by optimizing for a Distilled Dataset ..." only reads after the sentence before it.
    answer = rag.ask(
        "How does ZeroQ calibrate a quantized network without access to any training or validation data?",
        settings=full_settings,
    )
    joined = next(s for s in answer.sentences if "This is achieved by" in s.text)
    assert joined.text.startswith("ZeroQ enables") and len(joined.evidence) == 2
    assert "batch normalization" in answer.answer
    assert dangling_openers(s.text for s in answer.sentences) == 0


def test_which_model_was_studied_is_answered_by_the_sentence_naming_it(full_settings):
    # "we give Claude 3 Opus a system prompt": a model named by its version, not by the word "model".
    answer = rag.ask(
        "Which model was studied in the alignment-faking experiments, where it complied with harmful queries "
        "from free-tier users but almost never from paid users?",
        settings=full_settings,
    )
    assert "Claude 3 Opus" in answer.answer


def test_a_list_question_cites_papers_on_each_example_it_gives(full_settings):
    # "badly lit imagery" is the writer's paraphrase; each example is some paper's own topic.
    answer = rag.ask(
        "Which papers deal with badly lit imagery, such as low-light video, nighttime photos or backlit images?",
        settings=full_settings,
    )
    assert answer.layout == "list"
    cited = {c.title.split(":")[0] for c in answer.citations}
    assert {"BVI-Lowlight", "RAVE", "Lighting Every Darkness with 3DGS"} <= cited


def test_a_hyperparameter_hardware_or_model_size_asked_for_must_be_the_one_stated(full_settings):
    # AGVM's abstract gives a training time, never a batch size.
    batch = rag.ask(
        "What batch size does AGVM use to train Faster R-CNN with a ResNet-50 backbone?", settings=full_settings
    )
    assert batch.abstained
    # MegaScale counts its GPUs but never names their model.
    gpu = rag.ask("What GPU model does MegaScale run on in its 12,288-GPU training?", settings=full_settings)
    assert gpu.abstained and "hardware" in gpu.answer
    # CCE's figure is for Gemma 2 (2B), not for an 8B model.
    size = rag.ask(
        "How much memory does Cut Cross-Entropy save in the loss computation for Llama 3 8B?", settings=full_settings
    )
    assert size.abstained
    # SWARM names its T4 GPUs.
    history = [{"role": "user", "content": "How does SWARM parallelism train large models on unreliable devices?"}]
    swarm = rag.ask("On what kind of hardware did they train it?", history=history, settings=full_settings)
    assert not swarm.abstained and "T4" in swarm.answer


def test_a_long_question_describing_the_paper_is_answered_by_its_figure(full_settings):
    # The figure's sentence holds part of the description, the rest of the abstract the rest.
    answer = rag.ask(
        "How long does it take to train a detector with a billion parameters on COCO when the gradient "
        "variances of backbone, FPN and heads are kept aligned under huge batch sizes?",
        settings=full_settings,
    )
    assert not answer.abstained and "3.5 hours" in answer.answer


def test_an_acronym_the_paper_spells_out_does_not_make_it_abstain(full_settings):
    answer = rag.ask(
        "Which batch-norm variant was proposed to narrow the generalization gap of large-batch SGD "
        "without increasing the number of weight updates?",
        settings=full_settings,
    )
    assert not answer.abstained and "Ghost Batch Normalization" in answer.answer


def test_a_technical_term_no_paper_uses_makes_the_answer_abstain(full_settings):
    # Near-domain: 3D Gaussian Splatting papers are indexed, none is about water.
    question = (
        "Which paper adapts 3D Gaussian Splatting to underwater scenes by modeling light attenuation "
        "and backscatter in the water medium?"
    )
    answer = rag.ask(question, settings=full_settings)
    assert answer.abstained and not answer.citations
    assert '"attenuation" and "backscatter"' in answer.answer


def test_a_technical_term_written_another_way_still_answers(full_settings):
    # "speedups" is written "speed up" in the abstract that answers.
    question = (
        "Which benchmark measures training-algorithm speedups as time-to-result "
        "on fixed hardware over several workloads?"
    )
    answer = rag.ask(question, settings=full_settings)
    assert not answer.abstained
    assert _first_title(answer) == "Benchmarking Neural Network Training Algorithms"
    assert "AlgoPerf" in answer.answer


def test_a_figure_sentence_using_an_acronym_answers_the_spelled_out_question(full_settings):
    # The abstract defines "supervised fine-tuning (SFT)" and later reports "SFT improves the pass@1 by up to 15.92%".
    question = (
        "By up to how much does supervised fine-tuning improve pass@1 in the framework that trains LLMs to self-debug?"
    )
    answer = rag.ask(question, settings=full_settings)
    assert _first_title(answer) == "Training LLMs to Better Self-Debug and Explain Code"
    assert "15.92%" in answer.answer


def test_a_figure_beside_a_compound_name_and_an_acronym_answers(full_settings):
    # The sentence says "two-stage VPR methods with RANSAC-based spatial verification"; the abstract
    # defines "visual place recognition (VPR)".
    question = (
        "What share of the retrieval runtime of two-stage visual place recognition methods with RANSAC-based "
        "spatial verification does the hybrid global-local adapter approach need?"
    )
    answer = rag.ask(question, settings=full_settings)
    assert not answer.abstained and "3% retrieval runtime" in answer.answer


def test_how_many_is_answered_by_a_count_written_as_a_word(full_settings):
    question = (
        "The community review report on fast machine learning in science builds on material from how many workshops?"
    )
    answer = rag.ask(question, settings=full_settings)
    assert not answer.abstained and "two workshops" in answer.answer


def test_how_a_named_method_handles_what_its_abstract_never_discusses_abstains(full_settings):
    answer = rag.ask(
        "How does GaLore reduce gradient communication between nodes in multi-node data-parallel training?",
        settings=full_settings,
    )
    assert answer.abstained and not answer.citations
    assert answer.answer.endswith('GaLore, but none of them discusses "nodes", "multi-node" and "communication".')
    # What GaLore's abstract does discuss is still answered, however the verb is worded.
    assert not rag.ask("How does GaLore cut optimizer memory?", settings=full_settings).abstained


def test_a_proper_name_in_what_a_method_is_asked_to_handle_must_be_in_its_abstract(full_settings):
    # LintSeq's abstract is about programs and code, never about Python or any other language.
    answer = rag.ask("How does LintSeq handle programming languages other than Python?", settings=full_settings)
    assert answer.abstained and answer.answer.endswith('LintSeq, but none of them discusses "Python".')
    assert not rag.ask("How does LintSeq turn programs into training data?", settings=full_settings).abstained


def test_a_size_or_length_asked_for_must_be_a_figure_about_what_it_measures(full_settings):
    # RedWhale's abstract gives "9.7 billion tokens" and a "specialized tokenizer", but no vocabulary size.
    vocabulary = rag.ask(
        "What vocabulary size does RedWhale's specialized Korean tokenizer have?", settings=full_settings
    )
    assert vocabulary.abstained and "RedWhale, but none of them states the figure asked for" in vocabulary.answer
    context = rag.ask("What context length does ChiMed-GPT support?", settings=full_settings)
    assert not context.abstained and "4,096 tokens" in context.answer


def test_explain_x_is_answered_with_the_sentence_introducing_x(full_settings):
    answer = rag.ask("explain SSVI for bayesian neural nets", settings=full_settings)
    assert _first_title(answer) == "Training Bayesian Neural Networks with Sparse Subspace Variational Inference"
    assert "we introduce Sparse Subspace Variational Inference (SSVI)" in answer.answer


def test_a_sentence_saying_what_the_name_is_is_quoted_with_the_one_it_reads_after(full_settings):
    # "These include ... and an inference-time technique, Flow-NRG, which applies reward guidance ..."
    # reads only after "we introduce three alignment algorithms ...": both are quoted, joined.
    answer = rag.ask("what's Flow-NRG", settings=full_settings)
    assert "Flow-NRG, which applies reward guidance" in answer.answer
    joined = next(s for s in answer.sentences if "Flow-NRG, which" in s.text)
    assert joined.text.startswith("From a unified reinforcement learning perspective") and len(joined.evidence) == 2
    # "... -- we call the results "model soups."" names what the sentence before it describes.
    soups = rag.ask("explain model soups", settings=full_settings)
    assert "averaging the weights of multiple models" in soups.answer


def test_a_figure_in_a_sentence_ending_in_a_link_answers_and_a_modifier_suffix_names_the_model(full_settings):
    sizes = rag.ask("What's the largest CodeGen2 model size that was released?", settings=full_settings)
    assert not sizes.abstained and "16B" in sizes.answer and "://" not in sizes.answer
    # "GNN-based" is GNN, which the sheaf paper spells out as Graph Neural Networks.
    sheaf = rag.ask(
        "How do sheaf neural networks give users and items a richer representation than ordinary GNN-based "
        "recommenders?",
        settings=full_settings,
    )
    assert not sheaf.abstained and "vector space" in sheaf.answer


def test_an_ordinary_word_capitalised_as_a_name_the_corpus_never_uses_abstains(full_settings):
    answer = rag.ask(
        "what's the latent array in the Perceiver and why does it make the attention cost independent of input size?",
        settings=full_settings,
    )
    assert answer.abstained and "'Perceiver'" in answer.answer and not answer.citations
    # A recall figure asked of a paper that reports none.
    recall = rag.ask("what text-to-video R@1 does MDMMT-2 get on MSR-VTT?", settings=full_settings)
    assert recall.abstained and "figure" in recall.answer
    several = rag.ask("Who won the 2018 FIFA World Cup?", settings=full_settings)
    assert several.abstained and "'FIFA' and 'Cup'" in several.answer


def test_a_list_cites_papers_whose_titles_name_its_topic_phrase_despite_an_explaining_clause(full_settings):
    answer = rag.ask(
        "Which papers study or exploit activation sparsity in neural networks, i.e. having many activations be "
        "zero to save compute?",
        settings=full_settings,
    )
    titles = [c.title for c in answer.citations]
    assert "Training-Free Activation Sparsity in Large Language Models" in titles, titles
    assert any(t.startswith("Sparsing Law") for t in titles), titles
    assert "activation sparsity" in answer.answer


# One question, the quote its answer must hold, and why the answerer used to miss it.
ANSWERED_WITH = [
    pytest.param(
        "when training transformers with all matmuls in INT4, how do they deal with activation outliers in the "
        "forward pass?",
        "Hadamard quantizer",
        # The leading context's words ("all matrix multiplications ... INT4") made the proposal sentence
        # outscore the one answering the question proper ("outliers", "forward").
        id="a-mechanism-sentence-holds-the-words-of-the-question-proper",
    ),
    pytest.param(
        "How can aligned noisy/clean image pairs for training night-mode neural ISPs be obtained without "
        "long-exposure captures at night?",
        "from daytime images",
        # The quotes only reported what the method achieves; the proposal says how.
        id="a-mechanism-answer-quotes-where-its-paper-proposes-the-method",
    ),
    pytest.param(
        "what error rate on CIFAR-10 does the net get when you search for a conv cell on CIFAR-10 and then "
        "stack copies of it?",
        "2.4% error rate",
        # The sentence names the measure; the abstract, not the sentence, holds the long description.
        id="a-sentence-naming-the-measure-of-a-paper-holding-the-description",
    ),
    pytest.param(
        "By how much does doing all the matmuls in INT4 speed up transformer training overall?",
        "35.1%",
        # The abstract writes "matrix multiplications".
        id="a-clipped-compound-is-written-out",
    ),
    pytest.param(
        "How does SuperHF get rid of PPO in the RLHF pipeline?",
        "replaces PPO with a simple supervised loss",
        # "rid" was taken for what is asked of SuperHF, and PPO (a name) was not counted as asked.
        id="a-phrasal-verb-particle-and-the-names-acted-on",
    ),
    pytest.param(
        "Which model did OpenAI get by fine-tuning GPT-3 with demonstrations and RLHF, where even the 1.3B "
        "version was preferred by labelers over 175B GPT-3?",
        "InstructGPT",
        # The abstract writes "reinforcement learning from human feedback", skipping "from" in RLHF.
        id="an-acronym-spelled-out-across-a-function-word",
    ),
    pytest.param(
        "what ImageNet top-1 does the 86M-parameter DeiT reference model get without any external data?",
        "83.1%",
        # Only the title spells DeiT out: "data-efficient image transformers".
        id="an-acronym-taking-small-letters-from-the-words-it-spells",
    ),
    pytest.param(
        "what concordance index did the self-normalizing multi-omics oncology model get on its held-out test "
        "set for overall survival prediction?",
        "0.758",
        # The figure's sentence says "C-Index", which the abstract defines; "33 cancer types" is another figure.
        id="a-measure-got-is-named-beside-its-figure",
    ),
    pytest.param(
        "by what factor does LightSeq reduce communication vs Megatron-LM for long-context LLM training",
        "4.7x",
        # "vs" made it a comparison of seven papers.
        id="by-what-factor-is-a-quantity-even-when-it-compares",
    ),
    pytest.param(
        "explain Ptr-Net / pointer networks, how is it different from a normal seq2seq with attention?",
        "sequence-to-sequence",
        id="seq2seq-is-sequence-to-sequence",
    ),
    pytest.param(
        "what is internal covariate shift?",
        "the distribution of each layer's inputs changes during training",
        # "We refer to this phenomenon as ..." reads after "This slows down ...", which reads after the
        # sentence saying what the phenomenon is.
        id="a-definition-is-quoted-with-the-run-of-sentences-it-reads-after",
    ),
    pytest.param(
        "what dropout-style regularizer did the paper that searches a conv cell on CIFAR-10 and transfers it "
        "to ImageNet introduce to help its models generalize?",
        "ScheduledDropPath",
        # No abstract says "dropout-style"; NASNet's names its regularizer ScheduledDropPath.
        id="a-which-kind-described-by-likeness",
    ),
    pytest.param(
        "By how much does CodeACT cut peak GPU memory when fine-tuning DeepSeek-Coder-6.7B?",
        "27%",
        # The abstract writes "CodeACT-DeepSeek-Coder-6.7B ... decreases peak GPU memory usage by 27%".
        id="a-figure-for-a-method-applied-to-a-named-model",
    ),
    pytest.param(
        "What is multifaceted feature visualization?",
        "multiple facets of each neuron",
        # Its best-scoring sentence is a conclusion that repeats the name; the proposal says what it is.
        id="what-is-x-quotes-the-proposal-of-the-paper-about-x",
    ),
    pytest.param(
        "what does MNAR stand for",
        "missing not-at-random (MNAR)",
        # No sentence says "stand"; the one spelling the acronym out answers.
        id="an-acronym-is-answered-by-its-spelled-out-words",
    ),
    pytest.param(
        "what is DiLoCo",
        "distributed algorithms like DiLoCo",
        # The only paper using the name builds on it; its sentence saying what kind of thing it is answers.
        id="what-is-x-quotes-the-sentence-naming-its-kind",
    ),
    pytest.param(
        "What is the largest size of the Transformer language models trained with codebook features?",
        "410M parameters",
        # "the largest size" measures the models, whose largest is told as "up to 410M parameters".
        id="the-largest-size-is-a-figure-of-the-models",
    ),
    pytest.param(
        "How much faster at test time is the student-teacher unsupervised foreground object detector?",
        "orders of magnitude faster",
        # A figure written in words ("one to two orders of magnitude") is the figure asked for.
        id="a-figure-in-words-answers-how-much",
    ),
    pytest.param(
        "MetaShift's collection of image subsets was built from the annotations of which existing dataset?",
        "Visual Genome",
        # A question ending "... of which dataset?" asks which, though it does not open with it.
        id="a-trailing-which-asks-for-a-name",
    ),
    pytest.param("Which paper proposes LARS?", "Layer-wise Adaptive Rate Scaling (LARS)", id="which-paper-proposes-x"),
    pytest.param(
        "On which energy-efficient chip were the small LoRA-tuned protein language models deployed?",
        "ET-SoC-1 chip",
        id="a-named-chip-answers-which-chip",
    ),
    pytest.param(
        "What is neural collapse?",
        '…a "neural collapse" behavior has been observed',
        # The paper defines the phenomenon it studies in its background, after "In this phase of training,".
        id="a-phenomenon-defined-in-the-background",
    ),
    pytest.param(
        "By what percentage does NASNet reduce computational demand compared with the previous "
        "state-of-the-art ImageNet model?",
        "28%",
        # Its abstract's best-scoring figures are accuracies; the change asked for is of computational demand.
        id="a-change-is-the-figure-of-what-the-verb-acts-on",
    ),
    pytest.param(
        "in the alignment faking experiments, how often did the model comply with harmful queries from "
        "free-tier users, before any RL training?",
        "14%",
        # The paper writes "reinforcement learning", never "RL".
        id="an-acronym-written-out-counts-as-used",
    ),
    pytest.param(
        "what are 'pseudo-words' in the model spinning / propaganda-as-a-service attack on seq2seq models?",
        'the word-embedding space we call "pseudo-words,"',
        # The naming sentence opens "It stacks ...": it is quoted with the sentence before it.
        id="a-quoted-term-is-defined-where-the-paper-names-it",
    ),
    pytest.param(
        "In the paper on scaling laws for over-trained language models, how many training tokens did the "
        "1.4B-parameter run whose validation loss they predicted use?",
        "900B token run",
        # The figure's sentence opens "This enables us to predict ...": it comes with the sentence before.
        id="a-figure-that-reads-only-after-its-antecedent",
    ),
    pytest.param(
        "what is GPT? like what architecture is it actually built on",
        "transformer architecture",
        # "like" and "actually" are chat, not key words a paper must hold.
        id="chat-fillers-are-no-key-words",
    ),
]

# Near-domain questions: the corpus has their subject but not the fact asked.
ABSTAINS_ON = [
    pytest.param(
        "What word error rate do the early-exit speech recognition models reach on LibriSpeech test-clean?",
        # Another speech paper gives LibriSpeech WERs; the early-exit paper gives none.
        id="a-neighbour-paper-figure-is-not-the-subject-figure",
    ),
    pytest.param("Which vision encoder does the AKI-4B multimodal model use?", id="which-encoder-none-named"),
    pytest.param(
        "How many training tokens was Chinchilla trained on?",
        # Its paper's token figures are of the 400 models it trained, not of Chinchilla.
        id="a-figure-of-a-subject-not-named-in-the-title-must-name-it",
    ),
    pytest.param("what does BERT stand for", id="no-abstract-spells-the-acronym-out"),
    pytest.param(
        "Which paper proposes PagedAttention for managing the KV cache in fixed-size blocks during LLM serving?",
        # Papers mention PagedAttention; none proposes it.
        id="a-name-the-papers-only-use-is-not-proposed-by-them",
    ),
    pytest.param("Which paper proposes LoRA?", id="using-lora-or-proposing-lora-lego-is-not-proposing-lora"),
    pytest.param(
        "In the progressive gradient flow paper for N:M sparsity, what decay factor/schedule do they use to "
        "restrict gradients to pruned weights?",
        # The abstract says "decay mechanisms", never a factor; ">80%" is a sparsity level.
        id="a-value-asked-by-name-is-stated-beside-the-name",
    ),
    pytest.param(
        "How many tokens was the 175B GPT-3 pretrained on?",
        # The Chinchilla abstract names GPT-3 (175B) and gives token counts of its own 400 models.
        id="a-sized-subject-needs-its-own-figure",
    ),
    pytest.param(
        "What LoRA rank does LoRAT use when adapting the ViT backbone for tracking?",
        # LoRAT's abstract gives memory, hours and scores, never a rank.
        id="a-rank-asked-by-name-is-a-value",
    ),
    pytest.param(
        "Who developed the MT-Bench benchmark?",
        # Two papers evaluate on MT-Bench; as a survey question their sentences were quoted.
        id="who-made-a-benchmark-is-not-answered-by-its-users",
    ),
    pytest.param(
        "how long does OReX take to reconstruct one shape from its planar slices?",
        # "3D shape reconstruction" holds a digit but no figure.
        id="a-dimension-is-no-figure",
    ),
    pytest.param(
        "What is the exact mathematical formula of the REX (Reflected Exponential) learning-rate profile?",
        # The REX abstract describes its profile in words only.
        id="a-formula-needs-an-equation",
    ),
    pytest.param(
        "On which pre-training corpus were the MiniPLM student language models trained?",
        # "the training corpus, enabling KD ...": KD is "knowledge distillation", no corpus's name.
        id="which-corpus-none-named",
    ),
]


def test_a_subject_described_in_words_must_discuss_what_it_is_asked_to_handle(full_settings):
    # The sheaf recommender paper never discusses cold-start users.
    question = "How do sheaf neural networks for recommendation handle cold-start users who have no interactions yet?"
    answer = rag.ask(question, settings=full_settings)
    assert answer.abstained and '"cold-start"' in answer.answer, answer.answer
    # What its abstract does discuss (a node represented by a single vector) is answered.
    found = rag.ask(
        "How do sheaf neural networks for recommendation handle the limits of representing each node by a "
        "single vector?",
        settings=full_settings,
    )
    assert not found.abstained and "Sheaf Neural Networks" in found.answer, found.answer


def test_a_multi_word_name_no_paper_uses_is_said_to_be_missing(full_settings):
    # Each word is common in the corpus ("gradient", "lens", "distillation"); the name is not.
    answer = rag.ask("What is Gradient Lens Distillation?", settings=full_settings)
    assert answer.abstained and "None of them mentions 'Gradient Lens Distillation'" in answer.answer, answer.answer
    # A multi-word name a paper uses is answered.
    found = rag.ask("What is Layer Normalization?", settings=full_settings)
    assert not found.abstained and "layer normalization" in found.answer.lower(), found.answer


def test_a_which_paper_question_describing_work_no_abstract_matches_says_what_is_missing(full_settings):
    # The corpus has mixture-of-experts papers, none with expert-choice routing.
    question = (
        "Which paper proposes expert-choice routing for mixture-of-experts, where each expert picks its "
        "top-k tokens instead of each token picking experts?"
    )
    answer = rag.ask(question, settings=full_settings)
    assert answer.abstained and "matches only part of the description" in answer.answer
    assert '"routing"' in answer.answer and '"picking"' not in answer.answer, answer.answer
    # A description the corpus does match is still answered by its paper.
    found = rag.ask(
        "Which paper proposes a layerwise adaptive large batch optimization technique to train BERT in 76 minutes?",
        settings=full_settings,
    )
    assert not found.abstained and "LAMB" in found.answer, found.answer


@pytest.mark.parametrize("question", ABSTAINS_ON)
def test_a_fact_no_paper_about_the_subject_states_is_not_answered(full_settings, question):
    answer = rag.ask(question, settings=full_settings)
    assert answer.abstained and not answer.citations, answer.answer


@pytest.mark.parametrize(("question", "quote"), ANSWERED_WITH)
def test_the_answer_quotes_what_answers(full_settings, question, quote):
    answer = rag.ask(question, settings=full_settings)
    assert not answer.abstained and quote in answer.answer, answer.answer


def test_a_list_of_papers_reporting_results_on_a_benchmark_lists_those_that_name_it(full_settings):
    answer = rag.ask(
        "Which papers evaluate LLMs on the MATH competition-mathematics benchmark?", settings=full_settings
    )
    titles = {c.title for c in answer.citations}
    # SCoRe names MATH once in a long abstract; papers about math word problems never name the benchmark.
    assert "Training Language Models to Self-Correct via Reinforcement Learning" in titles, answer.answer
    assert "Training Verifiers to Solve Math Word Problems" not in titles, answer.answer
    for source in answer.sources:
        if source.title in titles:
            assert re.search(r"\bMATH\b", source.text), source.title


def test_a_list_question_explaining_its_topic_cites_the_papers_on_the_topic_it_names(full_settings):
    answer = rag.ask(
        "Which papers study grokking, i.e. generalization that shows up long after the model has fit the training set?",
        settings=full_settings,
    )
    # The explaining words (generalization, training set) made SGD-noise and OOD papers citable.
    titles = [c.title for c in answer.citations]
    assert len(titles) == 3 and all("grok" in title.lower() for title in titles), titles


@pytest.mark.parametrize(
    ("question", "introducers"),
    [
        pytest.param(
            "Compare SortedNet and MatFormer: how do they each train nested sub-models inside one network?",
            {"SortedNet", "MatFormer"},
            # Sorted LLaMA extends SortedNet; it is not one of the two compared.
            id="titles-and-abstracts-that-introduce-the-names",
        ),
        pytest.param(
            "LARS vs LAMB for large-batch training - what's the difference and where does each work well?",
            {"Large Batch Training of Convolutional Networks", "Large Batch Optimization for Deep Learning"},
            # Papers naming LARS and LAMB as baselines are left out.
            id="abstracts-proposing-the-names",
        ),
        pytest.param(
            "How do LoLDU and SoRA differ in the way they change standard LoRA fine-tuning?",
            {"LoLDU", "Sparse Low-rank Adaptation of Pre-trained Language Models"},
            # LoRA, which many papers use, is the setting of the comparison, not a side of it.
            id="a-common-name-is-context",
        ),
        pytest.param(
            "Contrast Dual Chunk Attention (DCA) with LongGen as ways of giving an existing LLM a much longer "
            "context window.",
            {"Training-Free Long-Context Scaling of Large Language Models", "A Little Goes a Long Way"},
            # "This leads to our proposed LongGen, which ..." introduces LongGen.
            id="our-proposed-name-introduces-it",
        ),
    ],
)
def test_a_comparison_of_named_methods_cites_the_papers_introducing_them(full_settings, question, introducers):
    answer = rag.ask(question, settings=full_settings)
    assert {c.title.split(":")[0].split(",")[0] for c in answer.citations} == introducers, answer.answer


@pytest.mark.parametrize(
    "question",
    [
        "how does ELR stop a classifier from memorizing the mislabeled examples once the early-learning phase ends?",
    ],
)
def test_an_acronym_no_abstract_writes_is_known_when_a_retrieved_title_spells_it(full_settings, question):
    answer = rag.ask(question, settings=full_settings)
    # "ELR" is nowhere in the index; "Early-Learning Regularization" is the title of its paper.
    assert not answer.abstained, answer.answer
    assert _first_title(answer).startswith("Early-Learning Regularization"), answer.answer


def test_a_many_word_name_a_title_introduces_leads_when_the_question_uses_it(full_settings):
    question = "How does unit scaling make FP16 and FP8 training work without loss scaling sweeps or extra runs?"
    answer = rag.ask(question, settings=full_settings)
    # "unit scaling" is no name-like word, but the title "Unit Scaling: ..." introduces it as a name.
    assert _first_title(answer).startswith("Unit Scaling:"), answer.answer
    assert "unit variance" in answer.answer


def test_a_definition_whose_best_sentences_are_background_quotes_the_proposal(full_settings):
    answer = rag.ask("What is OVOR in rehearsal-free class-incremental learning?", settings=full_settings)
    # The abstract never writes "OVOR"; its title does. With "Recent works have shown ..." set aside
    # as background, the proposal is the best sentence left and is quoted.
    assert not answer.abstained, answer.answer
    assert _first_title(answer).startswith("OVOR:")
    assert "virtual outliers" in answer.answer


@pytest.mark.parametrize(
    ("question", "figure"),
    [
        # A leading "When ..." clause sets the scene; it does not ask for a date.
        (
            "When the mixture-of-experts multi-task vision transformer is run on a Xilinx ZCU104 FPGA, by how much "
            "does the co-design reduce the memory requirement?",
            "2.4 times",
        ),
        # "10 unanswered questions currently faced by ...": the count's noun ends at the adverb.
        ("how many unanswered questions does the long-context LLM survey end with?", "10 unanswered"),
        # A fraction in words is a figure.
        (
            "Turbo-GS cuts the number of Gaussian optimization steps down to what fraction of the earlier approach?",
            "one-third",
        ),
    ],
)
def test_figures_written_in_other_ways_answer_quantity_questions(full_settings, question, figure):
    answer = rag.ask(question, settings=full_settings)
    assert not answer.abstained, answer.answer
    assert figure in answer.answer


def test_a_name_the_index_writes_in_a_compound_or_with_a_version_is_known(full_settings):
    from rag.engine import get_engine

    snapshot, _ = get_engine(full_settings).view()
    # "RANSAC-based", "YOLOv8", "CodeACT-DeepSeek-Coder-6.7B" are in abstracts; "GPU-days" and
    # "LoRA-tuned" describe with known words. Wanda and ConvNeXt appear in no abstract.
    known = ["RANSAC", "YOLO", "DeepSeek-Coder-6", "GPU-days", "LoRA-tuned"]
    assert snapshot.unknown_names([*known, "Wanda", "ConvNeXt", "Llama-3-70B"]) == ("Wanda", "ConvNeXt", "Llama-3-70B")


@pytest.mark.parametrize(
    "question",
    [
        "What pruning criterion does Wanda use to prune large language models without retraining?",
        "How does Swin Transformer V2 compare with ConvNeXt on ImageNet-1K classification?",
    ],
)
def test_a_question_naming_a_model_no_abstract_mentions_abstains_despite_strong_topic_evidence(full_settings, question):
    answer = rag.ask(question, settings=full_settings)
    assert answer.abstained and not answer.citations, answer.answer


def test_a_list_on_a_letter_variant_of_a_benchmark_lists_the_papers_writing_that_variant(full_settings):
    answer = rag.ask("Which papers evaluate on ImageNet-R?", settings=full_settings)
    titles = {c.title.split(":")[0] for c in answer.citations}
    # BM25 reads ImageNet-R as ImageNet; the papers writing ImageNet-R (one as "ImageNet-C,R,S,A") are
    # fetched, and ImageNet papers are not ImageNet-R papers.
    assert titles == {
        "OVOR",
        "A Closer Look at Rehearsal-Free Continual Learning",
        "Efficiently Robustify Pre-trained Models",
    }


def test_two_subjects_of_one_how_question_are_each_answered(full_settings):
    answer = rag.ask("How do Q-GaLore and Natural GaLore each try to improve on GaLore?", settings=full_settings)
    assert [c.title.split(":")[0] for c in answer.citations] == ["Q-GaLore", "Natural GaLore"], answer.answer


def test_a_list_aside_in_brackets_does_not_narrow_it(full_settings):
    answer = rag.ask(
        "papers that make adversarial training or certified (provably robust) training faster?", settings=full_settings
    )
    titles = [c.title for c in answer.citations]
    assert any(t.startswith("AccelAT") for t in titles) and any(t.startswith("Fast Certified") for t in titles)


def test_a_name_a_title_introduces_typed_in_lower_case_is_that_name(full_settings):
    from rag.engine import get_engine
    from rag.evidence import with_typed_names

    snapshot, _ = get_engine(full_settings).view()
    settings = full_settings.answer
    assert with_typed_names("galore how much memory does it save", snapshot, settings).startswith("GaLore how")
    # A common word is not read as the name a title gives it (FloAt, KIND, POINTS).
    assert with_typed_names("what kind of float points", snapshot, settings) == "what kind of float points"
    answer = rag.ask("galore how much optimizer state memory does it save, %?", settings=full_settings)
    assert _first_title(answer).startswith("GaLore:") and "65.5%" in answer.answer, answer.answer
