"""The chat UI in a real browser: `rag serve` over a small real index, driven by Debian's Chromium.

Screenshots land in test-artifacts/ui/ for people to look at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote_plus

import httpx
import pytest

from tests.conftest import REPO, free_port, running_server
from tests.openai_server import Reply

sync_api = pytest.importorskip("playwright.sync_api", reason="install the dev extras: make test")

CHROMIUM = os.environ.get("RAG_TEST_CHROMIUM", "/usr/bin/chromium")
# Without the networking flags Chromium keeps trying to reach Google's hosts, which an
# offline machine refuses; --no-sandbox because CI runs the tests as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ARTIFACTS = REPO / "test-artifacts" / "ui"
HOSTILE_TITLE = "Adversarial Abstracts for Markup Injection"
HOSTILE_ABSTRACT = (
    "We study markup injection into paper listings. <script>window.__pwned = 1; alert('xss')</script> "
    "Our <b>bold</b> claim is that hostile abstracts must render as plain text in every reader."
)
ANSWER_TIMEOUT_MS = 60_000


# Corpus files named as dumps name them, with a content hash the UI must never show.
MAIN_FILE, EXTRA_FILE = "ui-papers_4f2a9c1e7b3d5a60.jsonl", "extra-papers_9b1c2d3e4f5a6b7c.jsonl"
FILE_HASHES = ("4f2a9c1e7b3d5a60", "9b1c2d3e4f5a6b7c")
GALORE = {
    "url": "https://arxiv.org/abs/2403.03507",
    "year": 2024,
    "authors": ["Jiawei Zhao", "Zhenyu Zhang", "Beidi Chen"],
}


def write_records(path: Path, papers, extra: dict[str, dict] | None = None) -> Path:
    """Papers as JSONL, with bibliographic fields for the titles in ``extra`` (by title prefix)."""
    with path.open("w") as handle:
        for paper in papers:
            record = {"title": paper.title, "abstract": paper.abstract}
            for prefix, fields in (extra or {}).items():
                if paper.title.startswith(prefix):
                    record.update(fields)
            handle.write(json.dumps(record) + "\n")
    return path


@pytest.fixture(scope="module")
def extra_titles(seed_papers) -> list[str]:
    return [p.title for p in ui_papers(seed_papers)[1]]


def ui_papers(seed_papers):
    keep = [p for p in seed_papers if re.search(r"rokking|GaLore|Quantiz", p.title)]
    others = [p for p in seed_papers if p not in keep][:6]
    return keep + others[:4], others[4:]


@pytest.fixture(scope="module")
def ui_corpus(tmp_path_factory, seed_papers) -> Path:
    """Two corpus files: grokking, GaLore (with its authors, year and URL) and quantization papers,
    a few unrelated ones and one hostile abstract; and two more unrelated papers in another file."""
    main, extra = ui_papers(seed_papers)
    folder = tmp_path_factory.mktemp("ui-corpus")
    path = write_records(folder / MAIN_FILE, main, {"GaLore:": GALORE})
    with path.open("a") as handle:
        handle.write(json.dumps({"title": HOSTILE_TITLE, "abstract": HOSTILE_ABSTRACT}) + "\n")
    write_records(folder / EXTRA_FILE, extra)
    return folder


@pytest.fixture(scope="module")
def ui_env(ui_corpus, tmp_path_factory) -> dict[str, str]:
    """Environment for `rag` commands over the small index, ingested by the real CLI."""
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(tmp_path_factory.mktemp("ui-index")),
        "RAG_CORPUS_PATHS": str(ui_corpus),
        "RAG_LLM_MODEL": "",
        "RAG_LLM_BASE_URL": "",
    }
    command = [sys.executable, "-m", "rag.cli", "ingest"]
    done = subprocess.run(command, check=False, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return env


@contextmanager
def rag_serve(env: dict[str, str], log: Path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "rag.cli", "serve", "--port", str(port)]
    with running_server("rag serve", command, f"{url}/api/health", log, 120, env=env):
        yield url


@pytest.fixture(scope="module")
def app_url(ui_env, tmp_path_factory):
    with rag_serve(ui_env, tmp_path_factory.mktemp("serve") / "serve.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install -y chromium)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, url: str, **options):
    """A page of the app in a new browser context (clipboard readable), loaded and ready."""
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 800}, **options})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    page.goto(url)
    page.wait_for_selector("#question textarea")
    return page


def screenshot(page, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


@pytest.fixture
def page(browser, app_url, request):
    page = open_page(browser, app_url)
    yield page
    screenshot(page, request.node.name)
    page.context.close()


def ask(page, question: str) -> None:
    """Type a question, press Enter, and wait until the final (not streaming) answer is shown."""
    before = page.locator("#chat .answer:not(.streaming)").count()
    page.fill("#question textarea", question)
    page.press("#question textarea", "Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('#chat .answer:not(.streaming)').length > n",
        arg=before,
        timeout=ANSWER_TIMEOUT_MS,
    )


def last_answer(page):
    return page.locator("#chat .answer:not(.streaming)").last


def test_question_gets_cited_answer_with_highlighted_evidence(page):
    ask(page, "What explains grokking?")
    answer = last_answer(page)
    cited = sorted({int(n) for n in re.findall(r"\[(\d+)\]", answer.inner_text())})
    assert cited, answer.inner_text()
    assert answer.locator("a.cite").count() >= len(cited)

    cards = page.locator("#sources .source.cited")
    assert sorted(int(c.get_attribute("id").split("-")[1]) for c in cards.all()) == cited
    assert "rokking" in page.locator("#sources .source.cited .title").first.inner_text()
    # Every highlighted sentence in the sources panel is quoted in the answer.
    highlighted = [m.inner_text() for m in page.locator("#sources .source.cited mark").all()]
    assert highlighted and all(text in answer.inner_text() for text in highlighted)
    assert "extractive answer" in answer.locator(".meta").inner_text()


def test_answers_name_their_papers_and_list_several(page):
    """Quotes are introduced by the paper's short name; a several-paper question is one line per paper."""
    ask(page, "What is GaLore?")
    answer = last_answer(page)
    leads = [lead.inner_text() for lead in answer.locator("strong.lead").all()]
    assert leads and leads[0].split(" (")[0] == "GaLore", leads  # "GaLore (its title's description)"
    first_card = page.locator("#sources .source.cited .title").first.inner_text()
    assert first_card.startswith("GaLore:")

    ask(page, "Which papers study grokking?")
    answer = last_answer(page)
    items = answer.locator("ul.paper-list li")
    assert items.count() >= 2
    for item in items.all():
        assert item.locator("strong.lead").count() == 1 and item.locator("a.cite").count() == 1


def test_clicking_a_citation_brings_its_source_forward(page):
    ask(page, "How does GaLore reduce memory?")
    link = last_answer(page).locator("a.cite").first
    target = link.get_attribute("href")
    link.click()
    card = page.locator(f"#sources {target}")
    page.wait_for_function(f"document.querySelector('#sources {target}').classList.contains('flash')")
    assert "GaLore" in card.inner_text()


def test_example_question_can_be_clicked(page):
    page.get_by_text("What explains grokking?").first.click()
    page.wait_for_selector("#chat .answer:not(.streaming)", timeout=ANSWER_TIMEOUT_MS)
    assert last_answer(page).locator("a.cite").count() >= 1
    assert page.locator("#chat").get_by_text("What explains grokking?").count() >= 1


def test_switching_retrieval_mode_is_used_for_the_next_answer(page):
    page.get_by_role("button", name=re.compile("^Settings")).click()
    page.locator("#retrieval-mode").get_by_label("bm25", exact=True).check()
    ask(page, "What explains grokking?")
    assert "bm25 retrieval" in last_answer(page).locator(".meta").inner_text()
    page.locator("#retrieval-mode").get_by_label("dense", exact=True).check()
    ask(page, "What explains grokking?")
    assert "dense retrieval" in last_answer(page).locator(".meta").inner_text()


def test_hostile_abstract_renders_as_text(page):
    ask(page, "markup injection into paper listings with hostile abstracts")
    card = page.locator("#sources .source", has_text=HOSTILE_TITLE)
    card.locator("details.full-abstract summary").click()
    assert "<script>window.__pwned = 1; alert('xss')</script>" in card.inner_text()
    assert "<b>bold</b>" in card.inner_text()
    assert page.locator("#sources script, #sources .source b").count() == 0
    assert page.evaluate("window.__pwned") is None and page.dialogs == []


def test_question_outside_the_corpus_abstains_and_shows_closest_papers(page):
    ask(page, "How does AlphaFold predict protein structures?")
    answer = last_answer(page)
    assert answer.locator(".abstain").inner_text().startswith("Not in the indexed papers")
    assert answer.locator("a.cite").count() == 0
    assert "Closest papers" in page.locator("#sources h3").inner_text()
    assert page.locator("#sources .source.retrieved").count() >= 1
    assert page.locator("#sources .source.cited").count() == 0


def test_browse_tab_lists_what_search_returns_and_opens_an_abstract_in_place(page, app_url):
    page.get_by_role("tab", name="Browse").click()
    page.wait_for_selector("#browse-count p")
    total = int(page.locator("#browse-count").inner_text().split()[0])
    assert total >= 10 and page.locator("#papers .paper-row").count() == total

    def search(query: str, mode: str) -> list[str]:
        page.fill("#browse-query textarea", query)
        page.locator("#browse-mode").get_by_label(mode, exact=True).check()  # searches the query
        page.wait_for_function(
            "query => document.querySelector('#browse-count').innerText.includes(`matching “${query}”`)",
            arg=query,
            timeout=30_000,
        )
        return page.locator("#papers .paper-row summary .title").all_inner_texts()

    # The list is what rag.search returns (as the API serves it), not filtered or padded by the UI.
    titles = search("grokking", "bm25")
    api = httpx.get(f"{app_url}/api/search", params={"q": "grokking", "k": 50, "mode": "bm25"}, timeout=60).json()
    assert titles == [hit["title"] for hit in api]
    assert page.locator("#browse-count").inner_text().startswith(f"{len(api)} papers matching")

    search("markup injection", "hybrid")
    row = page.locator("#papers .paper-row", has_text=HOSTILE_TITLE).first
    assert not row.locator(".abstract").is_visible()
    row.locator("summary").click()
    abstract = row.locator(".abstract")
    abstract.wait_for()
    assert "<script>" in abstract.inner_text()
    # A row is a paper to read, not a spreadsheet cell: nothing to type into appears.
    assert page.locator("#papers input, #papers textarea, #papers [contenteditable]").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert row.locator("a.link-arxiv-search").count() == 1


def test_summary_tab_shows_themes_with_resolvable_citations_and_downloads_markdown(page):
    page.get_by_role("tab", name="Summary").click()
    page.fill("#summary-topic textarea", "grokking")
    page.press("#summary-topic textarea", "Enter")
    page.wait_for_selector("#summary-output h3.theme", timeout=ANSWER_TIMEOUT_MS)
    links = page.locator("#summary-output a.cite").all()
    assert links
    for link in links:
        assert page.locator(f"#summary-output {link.get_attribute('href')}").count() == 1
    titles = page.locator("#summary-output ol.papers .title").all_inner_texts()
    assert titles and all("rok" in title for title in titles)
    with page.expect_download() as download:
        page.locator("#summary-download").click()
    markdown = Path(download.value.path()).read_text()
    assert markdown.startswith("# grokking") and "## References" in markdown

    page.fill("#summary-topic textarea", "protein folding")
    page.press("#summary-topic textarea", "Enter")
    page.wait_for_selector("#summary-output .abstain", timeout=ANSWER_TIMEOUT_MS)
    assert "Not covered" in page.locator("#summary-output").inner_text()


def test_status_tab_shows_the_index_without_heavy_borders(page, ui_env):
    page.get_by_role("tab", name="Status").click()
    table = page.locator("#status table.status")
    table.wait_for()
    text = table.inner_text()
    papers = int(re.search(r"Papers\s+(\d+)", text).group(1))
    assert papers == int(page.evaluate("fetch('/api/health').then(r => r.json()).then(b => b.index.papers)"))
    assert "all-MiniLM-L6-v2" in text and ui_env["RAG_DATA_DIR"] in text and "none configured" in text
    # Rows are separated by a hairline; no cell has a box of borders around it.
    borders = page.evaluate(
        """[...document.querySelectorAll('#status table.status th, #status table.status td')].map(cell => {
            const style = getComputedStyle(cell);
            return [style.borderTopWidth, style.borderLeftWidth, style.borderRightWidth, style.borderBottomWidth];
        })"""
    )
    assert borders and all(
        top == left == right == "0px" and bottom in ("0px", "1px") for top, left, right, bottom in borders
    )


def test_llm_answer_streams_then_marks_unsupported_sentences(browser, ui_env, server, tmp_path):

    def script(request: dict) -> Reply:
        prompt = request["messages"][-1]["content"]
        if "Last question:" in prompt:  # the follow-up being rewritten into a standalone question
            return Reply("What explains grokking at the edge of numerical stability?")
        n = re.search(r'<source n="(\d+)">\nTitle: Grokking at the Edge', prompt).group(1)
        return Reply(
            f"Grokking pushes models to the edge of numerical stability, causing Softmax Collapse [{n}]. "
            f"The authors trained protein folding models on hospital records from Brazil [{n}].",
            word_delay=0.08,
            delay=1.5,  # a slow model: the chat says it is answering before the first word
        )

    server.script = script
    env = {**ui_env, "RAG_LLM_MODEL": "scripted-model", "RAG_LLM_BASE_URL": server.url, "RAG_LLM_CACHE": "false"}
    with rag_serve(env, tmp_path / "serve.log") as url:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("#question textarea")
        page.fill("#question textarea", "What explains grokking?")
        page.press("#question textarea", "Enter")
        page.wait_for_function(
            "document.querySelector('#chat .answer.streaming .stage')?.innerText.includes('Answering…')",
            timeout=ANSWER_TIMEOUT_MS,
        )
        page.wait_for_function(
            "document.querySelector('#chat .answer.streaming')?.innerText.includes('numerical stability')",
            timeout=ANSWER_TIMEOUT_MS,
        )
        page.wait_for_selector("#chat .answer:not(.streaming)", timeout=ANSWER_TIMEOUT_MS)
        answer = last_answer(page)
        assert "llm answer" in answer.locator(".meta").inner_text()
        flagged = answer.locator(".unsupported")
        assert flagged.count() == 1 and "hospital records" in flagged.inner_text()
        assert "numerical stability" not in flagged.inner_text()
        # The sentence the supported claim rests on is highlighted in its source card.
        assert "numerical stability" in page.locator("#sources .source.cited mark").first.inner_text()
        # A follow-up goes to the model with the conversation so far, and is searched as rewritten.
        ask(page, "And what stops it?")
        rewrite = next(r for r in server.requests if "Last question:" in r["messages"][-1]["content"])
        assert "What explains grokking?" in rewrite["messages"][-1]["content"]
        assert "searched for: What explains grokking at the edge" in last_answer(page).locator(".meta").inner_text()

        page.get_by_role("button", name=re.compile("^Settings")).click()
        assert "scripted-model" in page.locator("#llm-info").inner_text()
        assert page.locator("#answer-mode").get_by_label("llm", exact=True).is_checked()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "llm-answer.png"), full_page=True)
        context.close()


def test_api_answers_ten_concurrent_questions(app_url):
    questions = {
        "What explains grokking?": "rokking",
        "How does GaLore reduce memory?": "GaLore",
        "Which methods quantize large language models after training?": "uantiz",
    }
    jobs = [q for q in questions for _ in range(4)][:10]

    def post(question: str) -> tuple[str, dict]:
        response = httpx.post(f"{app_url}/api/ask", json={"question": question, "k": 3}, timeout=120)
        response.raise_for_status()
        return question, response.json()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(post, jobs))
    assert len(results) == 10
    for question, body in results:
        assert not body["abstained"], question
        assert body["citations"] and questions[question] in body["citations"][0]["title"], (question, body)
    # Same question, same answer, however the requests interleaved.
    by_question: dict[str, set[str]] = {}
    for question, body in results:
        by_question.setdefault(question, set()).add(body["answer"])
    assert all(len(answers) == 1 for answers in by_question.values())


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"question": ""}, "at least 1 character"),
        ({"question": "x" * 20_000}, "at most 4000 characters"),
        ({"question": "ok", "k": 0}, "greater than or equal to 1"),
        ({"question": "ok", "k": "many"}, "valid integer"),
        ({"question": 123}, "valid string"),
        ({"question": "ok", "mode": "sparse"}, "'hybrid', 'dense' or 'bm25'"),
    ],
)
def test_api_rejects_bad_requests_with_a_clear_4xx(app_url, payload, message):
    response = httpx.post(f"{app_url}/api/ask", json=payload, timeout=30)
    assert response.status_code == 422
    assert message in response.text


def test_api_unknown_paper_is_404_and_openapi_is_served(app_url):
    assert httpx.get(f"{app_url}/api/papers/no-such-paper").status_code == 404
    schema = httpx.get(f"{app_url}/openapi.json").json()
    assert {"/api/ask", "/api/search", "/api/health"} <= set(schema["paths"])


def test_markdown_images_in_questions_are_shown_as_text_and_never_fetched(page):
    """`![x](url)` in a question must not make the browser load anything (a tracking pixel)."""
    image = "http://127.0.0.1:9/tracker.png"
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url) if "tracker" in request.url else None)
    ask(page, f"What explains grokking? ![x]({image})")
    assert page.locator("#chat img[src*='tracker']").count() == 0
    assert fetched == []
    assert page.locator("#chat").get_by_text(f"![x]({image})").count() >= 1


# Any HTML tag (an autolink such as <https://...> is Markdown, not a tag).
HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")


def card_titles(page) -> dict[int, str]:
    """Source card number -> title, from the sources panel."""
    return {
        int(card.get_attribute("id").split("-")[1]): card.locator(".title").first.inner_text()
        for card in page.locator("#sources .source").all()
    }


def copy_with(page, link) -> str:
    """Click a copy action and return what it put on the (real) clipboard."""
    page.evaluate("navigator.clipboard.writeText('(nothing copied)')")
    link.click()
    page.wait_for_function("async () => (await navigator.clipboard.readText()) !== '(nothing copied)'")
    assert "Copied" in link.inner_text()
    return page.evaluate("navigator.clipboard.readText()")


def test_copy_and_export_give_markdown_with_references_never_html(page):
    ask(page, "What is GaLore?")
    answer = last_answer(page)
    answer.locator("a.copy-md").click()
    page.wait_for_function(
        "document.querySelector('#chat .answer:not(.streaming) a.copy-md').innerText.includes('Copied')"
    )
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("## What is GaLore?\n") and "[1]" in copied
    references = copied.split("**References**", 1)[1]
    galore = card_titles(page)[1]
    assert galore.startswith("GaLore:") and f"[1] {galore}." in references
    assert "Jiawei Zhao" in references and "<https://arxiv.org/abs/2403.03507>" in references
    assert not HTML_TAG.search(copied) and "class=" not in copied and "&lt;" not in copied, copied

    with page.expect_download() as download:
        answer.locator("a.download-md").click()
    assert download.value.suggested_filename == "what-is-galore.md"
    assert Path(download.value.path()).read_text() == copied
    with page.expect_download() as download:
        answer.locator("a.download-bib").click()
    bibtex = Path(download.value.path()).read_text()
    assert download.value.suggested_filename.endswith(".bib")
    assert bibtex.startswith("@misc{zhao2024,") and f"title = {{{galore}}}" in bibtex and "year = {2024}" in bibtex

    # The whole conversation: every question with its answer and references, in order.
    ask(page, "Which papers study grokking?")
    page.locator("#conversation-actions a.copy-conversation").click()
    page.wait_for_function(
        "document.querySelector('#conversation-actions a.copy-conversation').innerText.includes('Copied')"
    )
    conversation = page.evaluate("navigator.clipboard.readText()")
    assert conversation.startswith("# Conversation")
    assert 0 < conversation.index("## What is GaLore?") < conversation.index("## Which papers study grokking?")
    assert conversation.count("**References**") == 2 and not HTML_TAG.search(conversation)
    with page.expect_download() as download:
        page.locator("#conversation-actions a.download-conversation").click()
    assert Path(download.value.path()).read_text() == conversation
    # Gradio's own copy buttons (which copied the HTML) and its dead share button are gone;
    # every button left in the chat says what it does.
    labels = page.evaluate("[...document.querySelectorAll('#chat button')].map(b => b.getAttribute('aria-label'))")
    assert all(labels) and not {"Copy message", "Copy conversation", "Share"} & set(labels), labels


def test_answer_lists_its_cited_titles_and_citations_show_the_title_on_hover(page):
    ask(page, "How does GaLore reduce memory?")
    answer = last_answer(page)
    titles = card_titles(page)
    in_text = answer.locator("a.cite:not(ol.cited-titles a.cite)").all_inner_texts()
    cited = sorted({int(n.strip("[]")) for n in in_text})
    listed = answer.locator("ol.cited-titles li")
    assert cited and listed.count() == len(cited)
    for item, n in zip(listed.all(), cited, strict=True):
        assert item.inner_text().startswith(f"[{n}] {titles[n]}")
    for link in answer.locator("a.cite").all():
        n = int(link.inner_text().strip("[]"))
        assert link.get_attribute("title") == titles[n]


def test_source_cards_show_evidence_in_context_details_and_expand_to_the_abstract(page):
    ask(page, "What is GaLore?")
    card = page.locator("#sources #source-1")
    excerpt = card.locator(".excerpt")
    assert excerpt.locator("mark").count() >= 1 and excerpt.is_visible()
    abstract = card.locator("details.full-abstract .abstract")
    assert not abstract.is_visible()
    card.locator("details.full-abstract summary").click()
    abstract.wait_for()
    full = abstract.inner_text()
    assert len(excerpt.inner_text()) < len(full)
    for mark in excerpt.locator("mark").all_inner_texts():
        assert mark in full
    # Authors and year from the corpus file, its friendly name, and a link to the paper.
    meta = card.locator(".source-meta").inner_text()
    assert "Jiawei Zhao, Zhenyu Zhang, Beidi Chen" in meta and "2024" in meta and "ui-papers.jsonl" in meta
    assert card.locator("a.link-url").get_attribute("href") == GALORE["url"]


def test_every_card_links_to_arxiv_and_hugging_face_searches_for_its_title(page):
    ask(page, "Which papers study grokking?")
    cards = page.locator("#sources .source").all()
    assert len(cards) >= 3
    for card in cards:
        query = quote_plus(card.locator(".title").inner_text())
        arxiv = card.locator("a.link-arxiv-search")
        assert arxiv.get_attribute("href") == f"https://arxiv.org/search/?query={query}&searchtype=title"
        assert card.locator("a.link-hf-search").get_attribute("href") == f"https://huggingface.co/papers?q={query}"
        assert arxiv.get_attribute("target") == "_blank" and "noopener" in arxiv.get_attribute("rel")


def test_no_file_hashes_anywhere_only_friendly_file_names(page):
    ask(page, "What explains grokking?")
    page.get_by_role("button", name=re.compile("^Settings")).click()
    page.locator("#source-filter input").click()
    options = [text.split("\n")[-1].strip() for text in page.get_by_role("option").all_inner_texts()]
    assert {"All files", "ui-papers.jsonl", "extra-papers.jsonl"} <= set(options), options
    page.keyboard.press("Escape")
    shown = [page.evaluate("document.body.innerText")]
    page.get_by_role("tab", name="Browse").click()
    page.wait_for_selector("#papers .paper-row")
    page.locator("#papers .paper-row summary").first.click()
    shown.append(page.evaluate("document.body.innerText"))
    page.get_by_role("tab", name="Status").click()
    page.wait_for_selector("#status table.status")
    shown.append(page.evaluate("document.body.innerText"))
    shown.append(" ".join(page.evaluate("[...document.querySelectorAll('[title]')].map(e => e.title)")))
    for text in shown:
        assert not any(digest in text for digest in FILE_HASHES)


def test_settings_offer_working_modes_k_up_to_the_api_limit_and_a_source_filter(page, app_url, extra_titles):
    page.get_by_role("button", name=re.compile("^Settings")).click()
    # No LLM configured: no answer-mode choice with one option, but a line on how to add one.
    assert not page.locator("#answer-mode").is_visible()
    info = page.locator("#llm-info").inner_text()
    assert "RAG_LLM_BASE_URL" in info and "RAG_LLM_MODEL" in info
    schema = httpx.get(f"{app_url}/openapi.json", timeout=30).json()
    api_k_max = schema["components"]["schemas"]["AskRequest"]["properties"]["k"]["anyOf"][0]["maximum"]
    assert int(page.locator("#k-slider input[type=range]").get_attribute("max")) == api_k_max == 50

    page.locator("#source-filter input").click()
    page.get_by_role("option", name="extra-papers.jsonl").click()
    ask(page, "What explains grokking?")
    titles = page.locator("#sources .source .title").all_inner_texts()
    assert titles and set(titles) <= set(extra_titles), titles
    page.locator("#source-filter input").click()
    page.get_by_role("option", name="All files").click()
    ask(page, "What explains grokking?")
    assert "rokking" in page.locator("#sources .source.cited .title").first.inner_text()


CONTRAST = """
el => {
  const parse = (c) => {
    const v = c.match(/[\\d.]+/g).map(Number);
    return { r: v[0], g: v[1], b: v[2], a: v.length > 3 ? v[3] : 1 };
  };
  const over = (top, base) => ({
    r: top.r * top.a + base.r * (1 - top.a), g: top.g * top.a + base.g * (1 - top.a),
    b: top.b * top.a + base.b * (1 - top.a), a: 1,
  });
  const layers = [];
  for (let node = el; node; node = node.parentElement) {
    const bg = parse(getComputedStyle(node).backgroundColor);
    if (bg.a > 0) layers.push(bg);
    if (bg.a >= 1) break;
  }
  let background = { r: 255, g: 255, b: 255, a: 1 };
  for (const layer of layers.reverse()) background = over(layer, background);
  const text = over(parse(getComputedStyle(el).color), background);
  const luminance = ({ r, g, b }) => {
    const [R, G, B] = [r, g, b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  const [hi, lo] = [luminance(text), luminance(background)].sort((a, b) => b - a);
  return (hi + 0.05) / (lo + 0.05);
}
"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_evidence_and_abstentions_are_readable_in_light_and_dark_mode(browser, app_url, scheme):
    """WCAG contrast (>= 4.5:1) of the highlighted evidence and of the abstention text, computed from
    the page's styles, with the OS preferring each colour scheme."""
    page = open_page(browser, app_url, color_scheme=scheme)
    assert page.evaluate("document.body.classList.contains('dark')") == (scheme == "dark")
    ask(page, "What is GaLore?")
    ratios = {"evidence": page.locator("#sources .source.cited .excerpt mark").first.evaluate(CONTRAST)}
    ratios["citation"] = last_answer(page).locator("a.cite").first.evaluate(CONTRAST)
    screenshot(page, f"{scheme}-answer")
    ask(page, "How does AlphaFold predict protein structures?")
    abstention = last_answer(page).locator(".abstain")
    for part in (".abstain-title", "p:not(.hint)", ".hint"):
        ratios[f"abstention {part}"] = abstention.locator(part).first.evaluate(CONTRAST)
    screenshot(page, f"{scheme}-mode")
    page.context.close()
    assert all(ratio >= 4.5 for ratio in ratios.values()), ratios


def test_phone_reaches_every_tab_and_a_citation_tap_opens_the_source_with_a_way_back(browser, app_url):
    page = open_page(browser, app_url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    chat, sources = page.locator("#chat").bounding_box(), page.locator("#sources").bounding_box()
    assert sources["y"] > chat["y"] + chat["height"] and chat["width"] <= 390
    # Every tab is on screen: none hidden behind an overflow menu.
    assert not page.get_by_role("button", name="More tabs").is_visible()
    panels = {"Browse": "#papers .paper-row", "Summary": "#summary-topic textarea", "Status": "#status table.status"}
    for name, content in panels.items():
        tab = page.get_by_role("tab", name=name)
        box = tab.bounding_box()
        assert tab.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, box)
        tab.tap()
        page.locator(content).first.wait_for()
    # Browse rows stay compact: each takes the whole width (no squeezed column), its title wraps
    # over a few lines at most and its snippet over two.
    page.get_by_role("tab", name="Browse").tap()
    rows = page.evaluate(
        """(() => {
            const lines = (el) => el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight);
            const width = document.querySelector('#papers').getBoundingClientRect().width;
            return [...document.querySelectorAll('#papers .paper-row summary')].map(s => ({
                share: s.getBoundingClientRect().width / width,
                title: lines(s.querySelector('.title')),
                snippet: lines(s.querySelector('.snippet')),
            }));
        })()"""
    )
    assert rows
    for row in rows:
        assert row["share"] > 0.9 and row["title"] < 5.1 and row["snippet"] < 2.1, row
    screenshot(page, "phone-browse", full_page=False)

    page.get_by_role("tab", name="Ask").tap()
    ask(page, "How does GaLore reduce memory?")
    link = last_answer(page).locator("p a.cite, li a.cite", has_text="[2]").first
    link.scroll_into_view_if_needed()
    expected = page.locator("#sources #source-2 .title").inner_text()
    scroll = page.evaluate("window.scrollY")
    link.tap()
    drawer = page.locator("#source-drawer")
    drawer.wait_for(state="visible")
    assert drawer.locator(".title").first.inner_text() == expected
    assert drawer.locator("mark, .excerpt").count() >= 1
    box = drawer.bounding_box()
    assert box["y"] >= 0 and box["y"] < 844 and box["width"] <= 390
    screenshot(page, "phone-citation-drawer", full_page=False)
    drawer.get_by_role("button", name="Back to the answer").tap()
    drawer.wait_for(state="hidden")
    assert page.evaluate("window.scrollY") == scroll
    answer_box = last_answer(page).bounding_box()
    assert link.is_visible() and answer_box["y"] < 844 and answer_box["y"] + answer_box["height"] > 0
    screenshot(page, "phone-back-to-the-answer", full_page=False)
    page.context.close()


STAGE_WATCH = """
() => {
  window.__stages = [];
  const seen = () => document.querySelectorAll('#chat .stage').forEach((el) => {
    const text = el.innerText.trim();
    if (text && window.__stages[window.__stages.length - 1] !== text) window.__stages.push(text);
  });
  new MutationObserver(seen).observe(document.body, { subtree: true, childList: true, characterData: true });
}
"""


def test_index_is_warmed_at_start_and_a_reload_shows_its_stage(browser, ui_env, ui_corpus, tmp_path):
    """`rag serve` loads the index in the background, so the first question does not wait for it; when
    an ingest changes the index, the next question says it is loading the index."""
    data_dir = tmp_path / "index"
    shutil.copytree(ui_env["RAG_DATA_DIR"], data_dir)
    env = {**ui_env, "RAG_DATA_DIR": str(data_dir)}
    with rag_serve(env, tmp_path / "serve.log") as url:
        deadline = time.monotonic() + 90
        while not httpx.get(f"{url}/api/health", timeout=30).json()["index_loaded"]:
            assert time.monotonic() < deadline, "the index was not loaded in the background"
            time.sleep(0.5)
        page = open_page(browser, url)
        page.evaluate(STAGE_WATCH)
        ask(page, "What explains grokking?")
        assert "Loading the index…" not in page.evaluate("window.__stages")

        # Another process's ingest moves the index on: the server loads it again on the next question.
        added = tmp_path / "added.jsonl"
        added.write_text(json.dumps({"title": "A Study of Grokking in Tiny Transformers", "abstract": GROK_ABSTRACT}))
        command = [sys.executable, "-m", "rag.cli", "ingest", str(added)]
        done = subprocess.run(command, check=False, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert httpx.get(f"{url}/api/health", timeout=30).json()["index_loaded"] is False
        page.evaluate("window.__stages = []")
        ask(page, "What explains grokking?")
        stages = page.evaluate("window.__stages")
        screenshot(page, "reload-stages")
        page.context.close()
    assert "Loading the index…" in stages, stages


GROK_ABSTRACT = (
    "We train tiny transformers on modular arithmetic and observe grokking after long plateaus. "
    "Weight decay shortens the plateau, and the generalizing circuit forms before test accuracy rises."
)
