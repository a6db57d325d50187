"""The chat UI in a real browser: `rag serve` over a small real index, driven by Debian's Chromium.

Screenshots land in test-artifacts/ui/ for people to look at.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, free_port, running_server, write_jsonl
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


@pytest.fixture(scope="module")
def ui_corpus(tmp_path_factory, seed_papers) -> Path:
    """Grokking, GaLore and quantization papers, a few unrelated ones, and one hostile abstract."""
    keep = [p for p in seed_papers if re.search(r"rokking|GaLore|Quantiz", p.title)]
    others = [p for p in seed_papers if p not in keep][:6]
    path = write_jsonl(tmp_path_factory.mktemp("ui-corpus") / "papers.jsonl", keep + others)
    with path.open("a") as handle:
        handle.write(json.dumps({"title": HOSTILE_TITLE, "abstract": HOSTILE_ABSTRACT}) + "\n")
    return path


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


@pytest.fixture
def page(browser, app_url, request):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    page.goto(app_url)
    page.wait_for_selector("#question textarea")
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


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
    assert leads and leads[0] == "GaLore", leads
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


def test_browse_tab_searches_and_opens_an_abstract(page):
    page.get_by_role("tab", name="Browse papers").click()
    page.wait_for_selector("#browse-count p")
    total = int(page.locator("#browse-count").inner_text().split()[0])
    assert total >= 10
    page.fill("#browse-query textarea", "markup injection")
    page.press("#browse-query textarea", "Enter")
    page.wait_for_function(
        "prefix => !document.querySelector('#browse-count').innerText.startsWith(prefix)", arg=f"{total} papers,"
    )
    page.locator("#papers-table").get_by_text(HOSTILE_TITLE).first.click()
    page.wait_for_selector("#paper .abstract")
    assert "<script>" in page.locator("#paper .abstract").inner_text()
    assert page.evaluate("window.__pwned") is None


def test_summary_tab_shows_themes_with_resolvable_citations_and_downloads_markdown(page):
    page.get_by_role("tab", name="Subfield summary").click()
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


def test_status_tab_shows_the_index(page, ui_env):
    page.get_by_role("tab", name="Corpus status").click()
    table = page.locator("#status table.status")
    table.wait_for()
    text = table.inner_text()
    papers = int(re.search(r"Papers\s+(\d+)", text).group(1))
    assert papers == int(page.evaluate("fetch('/api/health').then(r => r.json()).then(b => b.index.papers)"))
    assert "all-MiniLM-L6-v2" in text and ui_env["RAG_DATA_DIR"] in text and "none configured" in text


def test_narrow_screen_puts_sources_under_the_chat(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(app_url)
    page.wait_for_selector("#question textarea")
    chat, sources = page.locator("#chat").bounding_box(), page.locator("#sources").bounding_box()
    assert sources["y"] > chat["y"] + chat["height"] and chat["width"] <= 390
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "narrow.png"), full_page=True)
    context.close()


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
        page.wait_for_selector("#chat .answer.streaming", timeout=ANSWER_TIMEOUT_MS)
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
