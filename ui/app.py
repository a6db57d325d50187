"""The Gradio app: chat with cited answers, a sources panel, corpus browsing and status.

Every handler here calls the library (``rag.ask_stream``, ``rag.search``, ...) and renders
the result with :mod:`ui.render`; no retrieval or answering logic lives in the UI.
"""

# No `from __future__ import annotations`: Gradio finds the gr.SelectData parameter of an
# event handler by its real (not stringified) annotation.
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import gradio as gr

import rag
from rag import RETRIEVAL_MODES, RagError, Settings, describe_llm, llm_configured
from ui import render

EXAMPLES = [
    "What explains grokking?",
    "How can LLM training use less GPU memory?",
    "Which methods quantize large language models after training?",
    "Does weight averaging improve generalization?",
]
ASSETS = Path(__file__).parent / "assets"
CSS = (ASSETS / "style.css").read_text()
# Clicking [n] in an answer scrolls its card into view and flashes it. The sources panel is
# its own scroll area, so the browser's default jump to #source-n is not enough on its own.
HEAD = f"<script>{(ASSETS / 'citations.js').read_text()}</script>"
# System fonts: the theme's default web font comes from Google, unreachable offline.
THEME = gr.themes.Default(
    primary_hue="blue",
    neutral_hue="slate",
    font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
)

Message = dict[str, str]


def answer_modes(settings: Settings) -> tuple[list[str], str]:
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
    settings: Settings, message: str, chat: list, turns: list[Message], mode: str, k: float, answer_mode: str
) -> Iterator[tuple]:
    """Stream one chat turn: (chat messages, textbox, sources panel, plain-text turns)."""
    message = (message or "").strip()
    if not message:
        yield chat, "", gr.skip(), turns
        return
    # The chat shows rendered HTML; ``turns`` keeps the plain text the library reads as history.
    pending = render.render_pending("Searching the papers…")
    chat = [*chat, {"role": "user", "content": render.escape(message)}, {"role": "assistant", "content": pending}]
    yield chat, "", gr.skip(), turns

    written = ""
    try:
        for event in rag.ask_stream(
            message, int(k), mode=mode, history=turns, answer_mode=answer_mode, settings=settings
        ):
            if event.kind == "token":
                written += event.text
                chat[-1] = {"role": "assistant", "content": render.render_pending(written)}
                yield chat, "", gr.skip(), turns
            else:
                answer = event.answer
    except Exception as exc:
        error = shown_error(exc, settings)
        if error is None:
            raise
        chat[-1] = {"role": "assistant", "content": error}
        yield chat, "", gr.skip(), turns
        return
    chat[-1] = {"role": "assistant", "content": render.render_answer(answer, mode)}
    turns = [*turns, {"role": "user", "content": message}, {"role": "assistant", "content": answer.answer}]
    yield chat, "", render.render_sources(answer), turns


def browse(settings: Settings, query: str, mode: str) -> tuple[list[list[str]], list[str], str]:
    """Papers matching ``query`` (all papers, by title, when it is empty): table rows and their ids."""
    query = (query or "").strip()
    try:
        items = rag.search(query, k=50, mode=mode, settings=settings) if query else rag.list_papers(settings)
    except Exception as exc:
        error = shown_error(exc, settings)
        if error is None:
            raise
        return [], [], error
    count = f"{len(items)} papers" + (f" matching “{render.escape(query)}”, best first" if query else ", by title")
    return render.paper_rows(items), [item.paper_id for item in items], f'<p class="meta">{count}</p>'


def show_paper(settings: Settings, ids: list[str], selected: gr.SelectData) -> str:
    row = selected.index[0] if isinstance(selected.index, list | tuple) else selected.index
    if not ids or row is None or row >= len(ids):
        return ""
    return render.render_paper(rag.get_paper(ids[row], settings))


def corpus_status(settings: Settings) -> str:
    try:
        return render.render_status(rag.status(settings), describe_llm(settings))
    except Exception as exc:
        error = shown_error(exc, settings)
        if error is None:
            raise
        return error


def ask_tab(settings: Settings) -> None:
    """Chat on the left, the sources of the latest answer on the right."""
    modes, default_answer_mode = answer_modes(settings)
    turns = gr.State([])
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
            )
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
                clear = gr.Button("Clear", scale=1, min_width=80)
            with gr.Accordion("Settings", open=False, elem_id="settings"):
                with gr.Row():
                    mode = gr.Radio(
                        list(RETRIEVAL_MODES),
                        value=settings.retrieval.retrieval_mode,
                        label="Retrieval",
                        info="hybrid = embeddings + BM25 keywords",
                        elem_id="retrieval-mode",
                    )
                    k = gr.Slider(1, 10, value=settings.retrieval.ask_k, step=1, label="Papers retrieved (k)")
                    answer_mode = gr.Radio(modes, value=default_answer_mode, label="Answer mode", elem_id="answer-mode")
                gr.Markdown(f"**LLM:** {render.escape(describe_llm(settings))}", elem_id="llm-info")
        with gr.Column(scale=2, min_width=320, elem_id="sources-column"):
            sources = gr.HTML(render.render_sources(None), elem_id="sources")

    def on_ask(message, chat_value, turns_value, mode_value, k_value, answer_value):
        yield from respond(settings, message, chat_value, turns_value, mode_value, k_value, answer_value)

    def on_example(selected: gr.SelectData, chat_value, turns_value, mode_value, k_value, answer_value):
        yield from on_ask(selected.value["text"], chat_value, turns_value, mode_value, k_value, answer_value)

    outputs = [chat, box, sources, turns]
    box.submit(on_ask, [box, chat, turns, mode, k, answer_mode], outputs, api_name="respond")
    send.click(on_ask, [box, chat, turns, mode, k, answer_mode], outputs, api_name=False)
    chat.example_select(on_example, [chat, turns, mode, k, answer_mode], outputs, api_name=False)
    clear.click(lambda: ([], [], render.render_sources(None)), None, [chat, turns, sources], api_name=False)


def browse_tab(settings: Settings, demo: gr.Blocks) -> None:
    """Every paper in a table, or those matching a search; click a row to read the abstract."""
    with gr.Row():
        query = gr.Textbox(
            placeholder="Search titles and abstracts (empty: every paper)",
            show_label=False,
            scale=5,
            elem_id="browse-query",
        )
        mode = gr.Radio(list(RETRIEVAL_MODES), value=settings.retrieval.retrieval_mode, show_label=False, scale=2)
    count = gr.HTML(elem_id="browse-count")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            table = gr.Dataframe(
                headers=["Title", "Source", "Snippet"],
                interactive=False,
                wrap=True,
                max_height=560,
                column_widths=["36%", "16%", "48%"],
                elem_id="papers-table",
            )
        with gr.Column(scale=2):
            paper = gr.HTML('<p class="meta">Click a paper to read its abstract.</p>', elem_id="paper")
    ids = gr.State([])

    def on_browse(query_value, mode_value):
        return browse(settings, query_value, mode_value)

    def on_pick(ids_value, selected: gr.SelectData):
        return show_paper(settings, ids_value, selected)

    query.submit(on_browse, [query, mode], [table, ids, count], api_name=False)
    mode.change(on_browse, [query, mode], [table, ids, count], api_name=False)
    table.select(on_pick, [ids], paper, api_name=False)
    demo.load(on_browse, [query, mode], [table, ids, count], api_name=False)


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
        answer_mode = gr.Radio(modes, value=default_answer_mode, label="Writing", elem_id="summary-mode")
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
    refresh = gr.Button("Refresh", size="sm")
    refresh.click(lambda: corpus_status(settings), None, status, api_name=False)
    demo.load(lambda: corpus_status(settings), None, status, api_name=False)


def build_ui(settings: Settings) -> gr.Blocks:
    with gr.Blocks(title="Paper QA", fill_width=True) as demo:
        gr.HTML(
            '<header class="app-header"><h1>Paper QA</h1><p>Answers quote the indexed abstracts, and every '
            "sentence cites its paper. Click a [n] to see the evidence.</p></header>"
        )
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                ask_tab(settings)
            with gr.Tab("Browse papers", id="browse"):
                browse_tab(settings, demo)
            with gr.Tab("Subfield summary", id="summary"):
                summary_tab(settings)
            with gr.Tab("Corpus status", id="status"):
                status_tab(settings, demo)
    # Gradio runs one event of a kind at a time by default: one slow LLM answer would make
    # every other reader wait. The library is thread-safe, so let a few run together.
    demo.queue(default_concurrency_limit=settings.server.ui_concurrency)
    return demo
