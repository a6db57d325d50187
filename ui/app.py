"""The Gradio app: chat with cited answers, a sources panel, corpus browsing and status.

Every handler here calls the library (``rag.ask_stream``, ``rag.search``, ...) and renders
the result with :mod:`ui.render`; no retrieval or answering logic lives in the UI.
"""

# No `from __future__ import annotations`: Gradio reads event handlers' real annotations.
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import gradio as gr

import rag
from rag import RETRIEVAL_MODES, Answer, AskOptions, RagError, Settings, describe_llm, llm_configured
from ui import render

EXAMPLES = [
    "What explains grokking?",
    "How can LLM training use less GPU memory?",
    "Which methods quantize large language models after training?",
    "Does weight averaging improve generalization?",
]
ASSETS = Path(__file__).parent / "assets"
CSS = (ASSETS / "style.css").read_text()
# citations.js: clicking [n] brings its card forward (a drawer on a phone); actions.js: the copy
# and export actions of answers and of the conversation.
HEAD = "".join(f"<script>{(ASSETS / name).read_text()}</script>" for name in ("citations.js", "actions.js"))
# System fonts: the theme's default web font comes from Google, unreachable offline.
THEME = gr.themes.Default(
    primary_hue="blue",
    neutral_hue="slate",
    font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
)
# The browse tab lists at most this many papers without a query (search finds the others).
BROWSE_ALL_LIMIT = 1000
BROWSE_K = 50
ALL_SOURCES = ("All files", "")
HOW_TO_ADD_AN_LLM = (
    "**Answer mode:** extractive (answers quote the abstracts; no LLM is configured). To have an LLM "
    "write them, set `RAG_LLM_BASE_URL` (any OpenAI-compatible server) and `RAG_LLM_MODEL`, then "
    "restart `rag serve`."
)

Message = dict[str, str]
Exchange = tuple[str, Answer]


def answer_modes(settings: Settings) -> tuple[list[str], str]:
    """The answer modes that can work here: extractive always, llm only when one is configured."""
    if llm_configured(settings):
        return ["llm", "extractive"], "llm" if settings.answer.answer_mode != "extractive" else "extractive"
    return ["extractive"], "extractive"


def shown_error(exc: Exception, settings: Settings) -> str | None:
    """A failure as HTML for the page: the library's message, or which server behind the app
    cannot be reached (a Chroma server gone mid-request). None for anything else: a bug."""
    if isinstance(exc, RagError):
        return render.render_error(exc)
    from ui.server import unreachable_message

    message = unreachable_message(exc, settings)
    return render.render_error(RagError(message)) if message else None


def respond(
    settings: Settings,
    message: str,
    chat: list,
    turns: list[Message],
    exchanges: list[Exchange],
    mode: str,
    k: float,
    source: str | None,
    answer_mode: str,
) -> Iterator[tuple]:
    """Stream one chat turn: (chat, textbox, sources panel, plain-text turns, exchanges, conversation actions)."""
    message = (message or "").strip()
    if not message:
        yield chat, "", gr.skip(), turns, exchanges, gr.skip()
        return
    # The chat shows rendered HTML; ``turns`` keeps the plain text the library reads as history,
    # ``exchanges`` the answers themselves, for the conversation's Markdown.
    chat = [
        *chat,
        {"role": "user", "content": render.escape(message)},
        {"role": "assistant", "content": render.render_stage("searching the papers")},
    ]
    yield chat, "", gr.skip(), turns, exchanges, gr.skip()

    written = ""
    answer = None
    try:
        for event in rag.ask_stream(
            message,
            int(k),
            mode=mode,
            source=source or None,
            history=turns,
            answer_mode=answer_mode,
            settings=settings,
        ):
            if event.kind == "stage":
                chat[-1] = {"role": "assistant", "content": render.render_stage(event.text)}
            elif event.kind == "token":
                written += event.text
                chat[-1] = {"role": "assistant", "content": render.render_pending(written)}
            else:
                answer = event.answer
                continue
            yield chat, "", gr.skip(), turns, exchanges, gr.skip()
    except Exception as exc:
        error = shown_error(exc, settings)
        if error is None:
            raise
        chat[-1] = {"role": "assistant", "content": error}
        yield chat, "", gr.skip(), turns, exchanges, gr.skip()
        return
    chat[-1] = {"role": "assistant", "content": render.render_answer(answer, mode, question=message)}
    turns = [*turns, {"role": "user", "content": message}, {"role": "assistant", "content": answer.answer}]
    exchanges = [*exchanges, (message, answer)]
    yield chat, "", render.render_sources(answer), turns, exchanges, render.render_conversation_actions(exchanges)


def browse(settings: Settings, query: str, mode: str) -> tuple[str, str]:
    """Papers matching ``query`` as ``rag.search`` returns them (every paper, by title, when it is
    empty): the list and the count line."""
    query = (query or "").strip()
    try:
        if query:
            hits = rag.search(query, k=BROWSE_K, mode=mode, settings=settings)
            # A paper removed by an ingest since the search is missing here: its passage is shown.
            papers = rag.get_papers([hit.paper_id for hit in hits], settings)
            listing = render.render_paper_list(hits, papers)
            count = f"{len(hits)} papers matching “{render.escape(query)}”, best first"
        else:
            everything = rag.list_papers(settings)
            listing = render.render_paper_list(everything[:BROWSE_ALL_LIMIT])
            count = f"{len(everything)} papers, by title"
            if len(everything) > BROWSE_ALL_LIMIT:
                count += f" (the first {BROWSE_ALL_LIMIT} shown: search to find the others)"
    except Exception as exc:
        error = shown_error(exc, settings)
        if error is None:
            raise
        return "", error
    return listing, f'<p class="meta">{count}</p>'


def source_choices(settings: Settings) -> list[tuple[str, str]]:
    """The corpus files in the index, labelled by their friendly names, for the source filter."""
    names = rag.list_sources(settings)
    labels = [render.friendly_source(name) for name in names]
    # Two files whose names differ only by their hash keep their whole names.
    return [ALL_SOURCES] + [
        (label if labels.count(label) == 1 else name, name) for label, name in zip(labels, names, strict=True)
    ]


def corpus_status(settings: Settings) -> str:
    try:
        return render.render_status(rag.status(settings), describe_llm(settings))
    except Exception as exc:
        error = shown_error(exc, settings)
        if error is None:
            raise
        return error


def ask_tab(settings: Settings, demo: gr.Blocks) -> None:
    """Chat on the left, the sources of the latest answer on the right (under it on a phone)."""
    modes, default_answer_mode = answer_modes(settings)
    turns = gr.State([])
    exchanges = gr.State([])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=340):
            chat = gr.Chatbot(
                elem_id="chat",
                show_label=False,
                height=520,
                layout="panel",
                examples=[{"text": q} for q in EXAMPLES],
                placeholder="**Ask a question about the indexed papers**, or start with an example.",
                feedback_options=None,
                # Messages are HTML made by ui.render, every piece of user, corpus and model text
                # escaped. Markdown would still turn `![x](http://...)` in that text into an <img>
                # the browser fetches (a tracking pixel), so it is not rendered at all.
                render_markdown=False,
                # Gradio's copy buttons would copy that HTML, and its share button does nothing
                # here: each answer has its own Markdown copy and export (ui/assets/actions.js).
                buttons=[],
            )
            conversation = gr.HTML("", elem_id="conversation-actions")
            with gr.Row(elem_id="ask-row"):
                box = gr.Textbox(
                    elem_id="question",
                    placeholder="Ask a question about the papers…",
                    show_label=False,
                    scale=6,
                    max_length=settings.answer.max_question_chars,
                    autofocus=True,
                )
                send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask-button")
                clear = gr.Button("Clear", scale=1, min_width=80, elem_id="clear-button")
            with gr.Accordion("Settings", open=False, elem_id="settings"):
                with gr.Row():
                    mode = gr.Radio(
                        list(RETRIEVAL_MODES),
                        value=settings.retrieval.retrieval_mode,
                        label="Retrieval",
                        info="hybrid = embeddings + BM25 keywords",
                        elem_id="retrieval-mode",
                    )
                    k = gr.Slider(
                        AskOptions.K_MIN,
                        AskOptions.K_MAX,
                        value=settings.retrieval.ask_k,
                        step=1,
                        label="Papers retrieved (k)",
                        elem_id="k-slider",
                    )
                with gr.Row():
                    source = gr.Dropdown(
                        [ALL_SOURCES],
                        value="",
                        label="Corpus file",
                        info="answer from one file's papers only",
                        elem_id="source-filter",
                    )
                    answer_mode = gr.Radio(
                        modes,
                        value=default_answer_mode,
                        label="Answer mode",
                        elem_id="answer-mode",
                        visible=len(modes) > 1,
                    )
                gr.Markdown(
                    f"**LLM:** {render.escape(describe_llm(settings))}" if len(modes) > 1 else HOW_TO_ADD_AN_LLM,
                    elem_id="llm-info",
                )
        with gr.Column(scale=2, min_width=320, elem_id="sources-column"):
            sources = gr.HTML(render.render_sources(None), elem_id="sources")

    def on_ask(message, chat_value, turns_value, exchanges_value, mode_value, k_value, source_value, answer_value):
        yield from respond(
            settings, message, chat_value, turns_value, exchanges_value, mode_value, k_value, source_value, answer_value
        )

    def on_example(selected: gr.SelectData, *values):
        yield from on_ask(selected.value["text"], *values)

    inputs = [chat, turns, exchanges, mode, k, source, answer_mode]
    outputs = [chat, box, sources, turns, exchanges, conversation]
    box.submit(on_ask, [box, *inputs], outputs, api_name="respond")
    send.click(on_ask, [box, *inputs], outputs, api_name=False)
    chat.example_select(on_example, inputs, outputs, api_name=False)
    clear.click(
        lambda: ([], [], [], render.render_sources(None), ""),
        None,
        [chat, turns, exchanges, sources, conversation],
        api_name=False,
    )

    def on_load():
        try:
            return gr.update(choices=source_choices(settings))
        except Exception as exc:
            if shown_error(exc, settings) is None:
                raise
            return gr.skip()  # the chat reports the failure when a question is asked

    demo.load(on_load, None, source, api_name=False)


def browse_tab(settings: Settings, demo: gr.Blocks) -> None:
    """Every paper, or those a search returns; a row opens in place to its abstract and links."""
    with gr.Row():
        query = gr.Textbox(
            placeholder="Search titles and abstracts (empty: every paper)",
            show_label=False,
            scale=5,
            min_width=240,
            elem_id="browse-query",
        )
        mode = gr.Radio(
            list(RETRIEVAL_MODES),
            value=settings.retrieval.retrieval_mode,
            show_label=False,
            scale=2,
            min_width=240,
            elem_id="browse-mode",
        )
    count = gr.HTML(elem_id="browse-count")
    papers = gr.HTML('<p class="meta">Loading the papers…</p>', elem_id="papers")

    def on_browse(query_value, mode_value):
        return browse(settings, query_value, mode_value)

    # One browse request at a time, in order: a search typed right after a mode change must not be
    # overwritten by the slower listing the mode change started.
    browsing = {"api_name": False, "concurrency_id": "browse", "concurrency_limit": 1}
    query.submit(on_browse, [query, mode], [papers, count], **browsing)
    mode.change(on_browse, [query, mode], [papers, count], **browsing)
    demo.load(on_browse, [query, mode], [papers, count], **browsing)


def summarize(settings: Settings, topic: str, max_papers: float, answer_mode: str) -> tuple[str, str | None]:
    """The rendered summary and a Markdown file of it for download."""
    topic = (topic or "").strip()
    if not topic:
        return '<p class="meta">Enter a topic, e.g. “grokking” or “post-training quantization”.</p>', None
    try:
        summary = rag.summarize(topic, max_papers=int(max_papers), answer_mode=answer_mode, settings=settings)
    except Exception as exc:
        error = shown_error(exc, settings)
        if error is None:
            raise
        return error, None
    slug = re.sub(r"[^a-z0-9]+", "-", topic.lower()).strip("-")[:60] or "summary"
    path = Path(tempfile.mkdtemp(prefix="rag-summary-")) / f"summary-{slug}.md"
    path.write_text(summary.to_markdown(), encoding="utf-8")
    return render.render_summary(summary), str(path)


def summary_tab(settings: Settings) -> None:
    """A themed, cited mini literature review of a topic, downloadable as Markdown."""
    modes, default_answer_mode = answer_modes(settings)
    with gr.Row():
        topic = gr.Textbox(
            placeholder="A subfield or topic, e.g. grokking, post-training quantization, weight averaging",
            show_label=False,
            scale=5,
            elem_id="summary-topic",
        )
        run = gr.Button("Summarize", variant="primary", scale=1, min_width=110, elem_id="summary-button")
    with gr.Row():
        max_papers = gr.Slider(
            3, 60, value=settings.summary.summary_max_papers, step=1, label="At most this many papers"
        )
        answer_mode = gr.Radio(
            modes, value=default_answer_mode, label="Writing", elem_id="summary-mode", visible=len(modes) > 1
        )
        download = gr.DownloadButton("Download Markdown", value=None, elem_id="summary-download")
    output = gr.HTML(
        '<p class="meta">Themes, a cited paragraph per theme, and the list of papers.</p>', elem_id="summary-output"
    )

    def on_summarize(topic_value, max_value, mode_value):
        return summarize(settings, topic_value, max_value, mode_value)

    topic.submit(on_summarize, [topic, max_papers, answer_mode], [output, download], api_name="summarize")
    run.click(on_summarize, [topic, max_papers, answer_mode], [output, download], api_name=False)


def status_tab(settings: Settings, demo: gr.Blocks) -> None:
    status = gr.HTML(elem_id="status")
    refresh = gr.Button("Refresh", size="sm", elem_id="status-refresh")
    refresh.click(lambda: corpus_status(settings), None, status, api_name=False)
    demo.load(lambda: corpus_status(settings), None, status, api_name=False)


def build_ui(settings: Settings) -> gr.Blocks:
    with gr.Blocks(title="Paper QA", fill_width=True) as demo:
        gr.HTML(
            '<header class="app-header"><h1>Paper QA</h1><p>Answers quote the indexed abstracts, and every '
            "sentence cites its paper. Click a [n] to see the evidence.</p></header>"
        )
        # Short tab names: all four fit a phone's width, none hidden behind an overflow menu.
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("Ask", id="ask"):
                ask_tab(settings, demo)
            with gr.Tab("Browse", id="browse"):
                browse_tab(settings, demo)
            with gr.Tab("Summary", id="summary"):
                summary_tab(settings)
            with gr.Tab("Status", id="status"):
                status_tab(settings, demo)
    # Gradio runs one event of a kind at a time by default: one slow LLM answer would make
    # every other reader wait. The library is thread-safe, so let a few run together.
    demo.queue(default_concurrency_limit=settings.server.ui_concurrency)
    return demo
