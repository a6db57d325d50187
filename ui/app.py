"""Gradio chat over rag.ask: cited answers with the sources beside them.

All corpus text is HTML-escaped before it reaches the page; abstracts are untrusted input.
"""

from __future__ import annotations

import html

import gradio as gr

import rag
from rag.config import Settings
from rag.errors import RagError
from rag.types import Answer

EXAMPLES = [
    "What explains grokking?",
    "How can LLM training use less GPU memory?",
    "Which methods quantize large language models after training?",
]


def render_sources(answer: Answer) -> str:
    """Sources panel: cited papers first, evidence sentences highlighted."""
    quoted = {s.text for s in answer.sentences}
    cited = {c.n for c in answer.citations}
    heading = "Closest papers found (not in the answer)" if answer.abstained else "Sources"
    parts = [f"<h3>{heading}</h3>"]
    for source in answer.sources:
        sentences = source.sentences or (source.text,)
        body = " ".join(f"<mark>{html.escape(s)}</mark>" if s in quoted else html.escape(s) for s in sentences)
        links = " ".join(
            f'<a href="{html.escape(link, quote=True)}" target="_blank" rel="noopener noreferrer">code</a>'
            for link in source.links
        )
        marker = "cited" if source.n in cited else "retrieved"
        parts.append(
            f'<div class="source {marker}" id="source-{source.n}"><b>[{source.n}] {html.escape(source.title)}</b>'
            f" <small>{html.escape(source.source)} {links}</small><p>{body}</p></div>"
        )
    return "\n".join(parts)


def render_answer(answer: Answer) -> str:
    text = html.escape(answer.answer)
    if answer.abstained:
        return f"**Not in the indexed papers.** {text}"
    return text


def build_ui(settings: Settings) -> gr.Blocks:
    def respond(message: str, history: list, mode: str, k: int):
        try:
            answer = rag.ask(message, k=int(k), mode=mode, settings=settings)
        except RagError as exc:
            return (
                [*history, {"role": "user", "content": message}, {"role": "assistant", "content": f"Error: {exc}"}],
                "",
                "",
            )
        history = [
            *history,
            {"role": "user", "content": message},
            {"role": "assistant", "content": render_answer(answer)},
        ]
        return history, "", render_sources(answer)

    with gr.Blocks(title="Paper QA") as demo:
        gr.Markdown("## Ask the papers\nAnswers quote the indexed abstracts; every sentence is cited.")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Answer", height=480, sanitize_html=True)
                box = gr.Textbox(placeholder="Ask a question about the papers", show_label=False)
                gr.Examples(EXAMPLES, inputs=box)
                with gr.Row():
                    mode = gr.Radio(["hybrid", "dense", "bm25"], value=settings.retrieval_mode, label="Retrieval")
                    k = gr.Slider(1, 10, value=settings.ask_k, step=1, label="Papers (k)")
            with gr.Column(scale=2):
                sources = gr.HTML()
        box.submit(respond, [box, chat, mode, k], [chat, box, sources], api_name="respond")
    return demo
