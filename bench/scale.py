"""Scale benchmark: ingest, re-ingest, cold start, latency, memory, disk and recall on N synthetic papers.

    .venv/bin/python bench/scale.py --papers 2000 [--json] [--chroma embedded|server]
        [--embedder standin|local] [--queries 100] [--seed 0] [--keep DIR] [--baseline]

1. A corpus of N papers is recombined from the seed abstracts in data/ (bench/synthetic_corpus.py),
   each with an invented method name, and written as JSONL; gold queries name one paper each.
2. It is ingested with `rag.ingest` (``ingest_s``) through an embedding model:
   ``standin`` (default) is a deterministic hashed-word embedder served as an OpenAI-compatible
   endpoint on 127.0.0.1 (bench/standin_embedder.py), reached through the settings
   ``embed_backend=openai``; ``ingest_excl_embed_s`` is ``ingest_s`` minus the time the server spent
   handling requests, i.e. what the project itself costs. ``local`` is the project's MiniLM
   (its compute time, measured in-process, is what is subtracted).
3. ``reingest_unchanged_s``: the same files again. ``reingest_100_changed_s``: after 100 papers'
   abstracts changed (one sentence appended).
4. A new Python process imports rag and runs a hybrid search (``cold_start_s``: process start to
   first result). The same process then runs the queries warm: ``rag.search`` hybrid k=10
   (``search_p50_ms``, ``search_p95_ms``), ``rag.ask`` extractive (``ask_p95_ms``), then reports
   its peak RSS (``rss_mb``). Half the queries are "What is <name>?" (``named_hit_at_10``: the
   named paper is in the top 10), half are excerpts of two sentences of one paper (shown in the
   table as content hit@10).
5. ``recall_at_10_vs_exact``: for the same queries, the chunk collection's HNSW top-10 (chromadb
   ``collection.query``) against brute-force cosine over all the collection's vectors.
6. ``disk_mb``: the index directory (embedded) or the Chroma server's --path (``--chroma server``,
   which starts `chroma run` on a free port and uses it through the ``chroma_url`` setting).

``--json`` prints one JSON object with exactly the keys of JSON_KEYS (``--baseline`` adds
``llamaindex_baseline_s`` and ``rag_seed_ingest_s``: naive LlamaIndex and rag.ingest over the seed
corpus with the local MiniLM, from bench/llamaindex_baseline.py). Progress goes to stderr.
Servers started here are stopped and temporary directories removed on exit, unless ``--keep DIR``.
"""

from __future__ import annotations

import argparse
import atexit
import json
import math
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
JSON_KEYS = (
    "papers",
    "ingest_s",
    "ingest_excl_embed_s",
    "reingest_unchanged_s",
    "reingest_100_changed_s",
    "cold_start_s",
    "search_p50_ms",
    "search_p95_ms",
    "ask_p95_ms",
    "rss_mb",
    "disk_mb",
    "recall_at_10_vs_exact",
    "named_hit_at_10",
)
CHANGED_PAPERS = 100
WARMUP_QUERIES = 5
SERVER_START_TIMEOUT = 90.0


def log(message: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], share: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * share
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def disk_bytes(path: Path) -> int:
    """Allocated size of everything under ``path`` (like du)."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total


def http_json(url: str, timeout: float = 5.0) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


# --------------------------------------------------------------------------------------------
# Processes started here: stopped on any exit (finally, atexit, SIGTERM).


class Processes:
    def __init__(self) -> None:
        self.running: list[tuple[str, subprocess.Popen]] = []
        atexit.register(self.stop_all)

    def start(self, name: str, command: list[str], **kwargs) -> subprocess.Popen:
        process = subprocess.Popen(command, start_new_session=True, **kwargs)
        self.running.append((name, process))
        return process

    def stop(self, process: subprocess.Popen) -> None:
        """Stop the process and its session (each is started in its own): shell launchers' children too."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
            except (ProcessLookupError, PermissionError):
                break
            try:
                process.wait(timeout=10)
                break
            except subprocess.TimeoutExpired:
                continue
        self.running = [(n, p) for n, p in self.running if p is not process]

    def stop_all(self) -> None:
        for _, process in list(reversed(self.running)):
            self.stop(process)


def start_standin(processes: Processes) -> tuple[str, str]:
    """The stand-in embedding server on a free port: (base_url, stats_url)."""
    process = processes.start(
        "standin-embedder",
        [sys.executable, str(BENCH / "standin_embedder.py"), "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline() if process.stdout else ""
    if not line.startswith("PORT "):
        raise SystemExit(f"the stand-in embedder did not start (said {line!r}, exit {process.poll()})")
    port = int(line.split()[1])
    base = f"http://127.0.0.1:{port}"
    log(f"stand-in embedder on {base}/v1 (pid {process.pid})")
    return f"{base}/v1", f"{base}/stats"


def start_chroma(processes: Processes, path: Path, log_file: Path) -> str:
    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.exists():
        found = shutil.which("chroma")
        if not found:
            raise SystemExit("--chroma server needs the `chroma` command (in .venv/bin)")
        chroma = Path(found)
    port = free_port()
    path.mkdir(parents=True, exist_ok=True)
    with log_file.open("wb") as out:
        process = processes.start(
            "chroma",
            [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"chroma run exited with {process.returncode}; see {log_file}")
        try:
            http_json(f"{url}/api/v2/heartbeat", timeout=2)
            log(f"Chroma server on {url} (pid {process.pid}, --path {path})")
            return url
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the Chroma server did not answer within {SERVER_START_TIMEOUT:.0f} s; see {log_file}")


# --------------------------------------------------------------------------------------------
# Embedding time, subtracted from ingest time.


class EmbedClock:
    """Seconds spent computing embeddings so far: the stand-in server's busy time, or the local model's."""

    def __init__(self, stats_url: str | None) -> None:
        self.stats_url = stats_url
        self.local_seconds = 0.0
        if stats_url is None:
            from rag.embeddings import LocalMiniLMEmbedding

            original = LocalMiniLMEmbedding.embed_array
            clock = self

            def timed_embed_array(model, texts):
                started = time.perf_counter()
                try:
                    return original(model, texts)
                finally:
                    clock.local_seconds += time.perf_counter() - started

            LocalMiniLMEmbedding.embed_array = timed_embed_array

    def seconds(self) -> float:
        if self.stats_url is None:
            return self.local_seconds
        return float(http_json(self.stats_url)["busy_s"])

    def requests(self) -> int | None:
        return None if self.stats_url is None else int(http_json(self.stats_url)["requests"])


# --------------------------------------------------------------------------------------------
# The serving process: cold start, then warm latencies and peak RSS.


def serve_child(config_path: str) -> None:
    """Run in a new process: first hybrid search (reported at once), then the warm measurements."""
    config = json.loads(Path(config_path).read_text())
    import rag

    settings = rag.load_settings(**config["overrides"])
    first = rag.search(config["cold_query"], k=10, mode="hybrid", settings=settings)
    print("FIRST " + json.dumps({"hits": len(first)}), flush=True)

    queries = config["queries"]
    for query in queries[:WARMUP_QUERIES]:
        rag.search(query, k=10, mode="hybrid", settings=settings)
        rag.ask(query, answer_mode="extractive", settings=settings)
    search_ms, top_titles = [], []
    for query in queries:
        started = time.perf_counter()
        hits = rag.search(query, k=10, mode="hybrid", settings=settings)
        search_ms.append((time.perf_counter() - started) * 1000)
        top_titles.append([hit.title for hit in hits])
    ask_ms = []
    for query in queries:
        started = time.perf_counter()
        rag.ask(query, answer_mode="extractive", settings=settings)
        ask_ms.append((time.perf_counter() - started) * 1000)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:  # the same peak from the kernel's per-image counter, as a cross-check
        status = Path("/proc/self/status").read_text()
        hwm_mb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration, ValueError):
        hwm_mb = math.nan
    from rag.embeddings import embed_query

    model = rag.get_engine(settings).embed_model
    embed_ms = []
    for query in queries:  # the irreducible part of every search, for comparison
        started = time.perf_counter()
        embed_query(model, query)
        embed_ms.append((time.perf_counter() - started) * 1000)
    result = {
        "search_ms": search_ms,
        "ask_ms": ask_ms,
        "embed_ms": embed_ms,
        "top_titles": top_titles,
        "rss_mb": rss_mb,
        "hwm_mb": hwm_mb,
    }
    print("RESULT " + json.dumps(result), flush=True)


def run_serving(processes: Processes, config: dict, workdir: Path) -> tuple[float, dict]:
    config_path = workdir / "serve-child.json"
    config_path.write_text(json.dumps(config))
    command = [sys.executable, str(Path(__file__).resolve()), "--serve-child", str(config_path)]
    if Path("/bin/sh").exists():
        # Launched from a shell that forks it: a process started directly from this one (vfork, then
        # exec) inherits this process's peak RSS in ru_maxrss, which would then measure the ingest.
        command = ["/bin/sh", "-c", '"$@"; exit $?', "sh", *command]
    started = time.perf_counter()
    process = processes.start(
        "serving",
        command,
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
    )
    cold_start_s = math.nan
    result = None
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("FIRST "):
            cold_start_s = time.perf_counter() - started
            log(f"cold start: first hybrid search result after {cold_start_s:.2f} s; warm queries next")
        elif line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
    process.wait()
    processes.stop(process)
    if result is None:
        raise SystemExit(f"the serving process failed (exit {process.returncode})")
    return cold_start_s, result


# --------------------------------------------------------------------------------------------
# HNSW recall against brute force over the same vectors.


def chroma_client(settings):
    """A chromadb client on the index's store, with rag's client settings where chromadb requires a match."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    url = settings.store.chroma_url
    for chroma_settings in (ChromaSettings(anonymized_telemetry=False), None):
        try:
            if url:
                host, _, port = url.split("//", 1)[-1].rstrip("/").partition(":")
                if chroma_settings is None:
                    return chromadb.HttpClient(host=host, port=int(port or 8000))
                return chromadb.HttpClient(host=host, port=int(port or 8000), settings=chroma_settings)
            if chroma_settings is None:
                return chromadb.PersistentClient(path=str(settings.chroma_path))
            return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
        except ValueError:  # "An instance of Chroma already exists ... with different settings"
            continue
    raise SystemExit("cannot open a chromadb client on the index")


def hnsw_recall(settings, queries: list[str], k: int = 10) -> tuple[float, int]:
    import numpy as np

    import rag
    from rag.embeddings import embed_texts

    collection = chroma_client(settings).get_collection(settings.store.collection)
    total = collection.count()
    ids: list[str] = []
    vectors = []
    for offset in range(0, total, 5000):
        page = collection.get(include=["embeddings"], limit=5000, offset=offset)
        ids.extend(page["ids"])
        vectors.append(np.asarray(page["embeddings"], dtype=np.float32))
    matrix = np.concatenate(vectors)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)

    query_vectors = embed_texts(rag.get_engine(settings).embed_model, queries)
    approximate = collection.query(query_embeddings=query_vectors.tolist(), n_results=k, include=["distances"])["ids"]
    scores = query_vectors @ matrix.T
    overlap = 0
    for row, found in zip(scores, approximate, strict=True):
        exact = np.argpartition(-row, k)[:k] if len(row) > k else np.arange(len(row))
        overlap += len({ids[i] for i in exact} & set(found))
    return overlap / (k * len(queries)), len(ids)


# --------------------------------------------------------------------------------------------


def run_baseline() -> dict:
    log("baseline: naive LlamaIndex and rag.ingest over the seed corpus, local MiniLM (bench/llamaindex_baseline.py)")
    command = [sys.executable, str(BENCH / "llamaindex_baseline.py"), "--rag", "--json"]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    data = json.loads(done.stdout)
    return {"llamaindex_baseline_s": data["llamaindex_s"], "rag_seed_ingest_s": data["rag_ingest_s"]}


def ingest_progress(label: str):
    state = {"started": time.perf_counter(), "last": 0.0}

    def report(done: int, total: int) -> None:
        now = time.perf_counter()
        if done in {0, total} or now - state["last"] >= 5:
            state["last"] = now
            log(f"{label}: {done}/{total} papers embedded and stored ({now - state['started']:.0f} s)")

    return report


def timed_ingest(label: str, corpus_path: Path, settings, clock: EmbedClock):
    import rag

    embed_before = clock.seconds()
    started = time.perf_counter()
    report = rag.ingest([corpus_path], settings=settings, progress=ingest_progress(label))
    seconds = time.perf_counter() - started
    embed_seconds = clock.seconds() - embed_before
    log(f"{label}: {seconds:.2f} s ({embed_seconds:.2f} s embedding); {report.summary()}")
    return seconds, embed_seconds, report


def start_servers(args: argparse.Namespace, workdir: Path, processes: Processes) -> tuple[dict, Path, str | None]:
    """The settings overrides for the index, the directory whose size is disk_mb, the stand-in's stats URL."""
    overrides: dict = {"data_dir": str(workdir / "rag"), "chroma_url": ""}
    stats_url = None
    if args.embedder == "standin":
        base_url, stats_url = start_standin(processes)
        overrides.update(embed_backend="openai", embed_base_url=base_url, embed_model="standin")
    else:
        overrides.update(embed_backend="local")
    index_dir = workdir / "rag"
    if args.chroma == "server":
        index_dir = workdir / "chroma-server"
        overrides["chroma_url"] = start_chroma(processes, index_dir, workdir / "chroma-server.log")
    return overrides, index_dir, stats_url


def benchmark(args: argparse.Namespace, workdir: Path, processes: Processes) -> tuple[dict, list[tuple[str, str, str]]]:
    import synthetic_corpus

    import rag

    log(f"building {args.papers} synthetic papers (seed {args.seed})")
    half = max(1, args.queries // 2)
    corpus = synthetic_corpus.build(args.papers, seed=args.seed, queries=half)
    corpus_dir = workdir / "corpus"
    corpus_dir.mkdir(parents=True, exist_ok=True)
    corpus_path = corpus_dir / "synthetic.jsonl"
    corpus.write_jsonl(corpus_path)
    log(f"corpus: {corpus_path} ({corpus_path.stat().st_size / 1e6:.1f} MB, {corpus.seed_papers} seed abstracts)")

    overrides, index_dir, stats_url = start_servers(args, workdir, processes)
    settings = rag.load_settings(**overrides)
    clock = EmbedClock(stats_url)
    # Opened before the clock starts: the imports and client set-up (about 1-5 s, whatever the corpus
    # size) are a process's start-up cost, which cold_start_s measures; ingest_s is the work per corpus.
    rag.get_engine(settings).embed_model  # noqa: B018

    requests_before = clock.requests()
    ingest_s, embed_s, report = timed_ingest("ingest", corpus_path, settings, clock)
    requests = None if requests_before is None else clock.requests() - requests_before
    if report.papers != args.papers:
        log(f"warning: {args.papers} papers written, {report.papers} indexed")
    reingest_s, _, rerun = timed_ingest("re-ingest, unchanged", corpus_path, settings, clock)
    changed = synthetic_corpus.modify(corpus, CHANGED_PAPERS, seed=args.seed)
    corpus.write_jsonl(corpus_path)
    changed_s, changed_embed_s, rechanged = timed_ingest(
        f"re-ingest, {len(changed)} changed", corpus_path, settings, clock
    )

    named = [q for q, _ in corpus.named_queries]
    content = [q for q, _ in corpus.content_queries]
    queries = named + content
    log(f"serving process: cold start, then {len(queries)} searches and asks ({len(named)} named queries)")
    cold_start_s, served = run_serving(
        processes, {"overrides": overrides, "cold_query": named[0], "queries": queries}, workdir
    )
    golds = [corpus.papers[i].title.casefold() for _, i in corpus.named_queries + corpus.content_queries]
    hits = [gold in {t.casefold() for t in top} for gold, top in zip(golds, served["top_titles"], strict=True)]
    named_hit = sum(hits[: len(named)]) / len(named)
    content_hit = sum(hits[len(named) :]) / max(1, len(content))

    log(f"HNSW recall@10 against brute force over the chunk collection, {len(queries)} queries")
    recall, chunk_vectors = hnsw_recall(settings, queries)
    disk_mb = disk_bytes(index_dir) / 2**20

    result = {
        "papers": report.papers,
        "ingest_s": round(ingest_s, 3),
        "ingest_excl_embed_s": round(ingest_s - embed_s, 3),
        "reingest_unchanged_s": round(reingest_s, 3),
        "reingest_100_changed_s": round(changed_s, 3),
        "cold_start_s": round(cold_start_s, 3),
        "search_p50_ms": round(percentile(served["search_ms"], 0.5), 2),
        "search_p95_ms": round(percentile(served["search_ms"], 0.95), 2),
        "ask_p95_ms": round(percentile(served["ask_ms"], 0.95), 2),
        "rss_mb": round(served["rss_mb"], 1),
        "disk_mb": round(disk_mb, 1),
        "recall_at_10_vs_exact": round(recall, 4),
        "named_hit_at_10": round(named_hit, 4),
    }
    embed_what = "stand-in server busy" if stats_url else "local MiniLM compute"
    rows = [
        ("papers", f"{report.papers}", f"{report.chunks} chunks, {report.sentences} sentences embedded"),
        ("ingest, cold", f"{ingest_s:.1f} s", f"{report.papers / ingest_s:.0f} papers/s"),
        (
            "  excluding embedding",
            f"{ingest_s - embed_s:.1f} s",
            f"{embed_s:.1f} s {embed_what}" + (f" in {requests} requests" if requests is not None else ""),
        ),
        ("re-ingest, unchanged", f"{reingest_s:.2f} s", f"{rerun.unchanged} unchanged"),
        (
            f"re-ingest, {len(changed)} changed",
            f"{changed_s:.2f} s",
            f"{rechanged.updated} updated; {changed_embed_s:.2f} s embedding",
        ),
        ("cold start", f"{cold_start_s:.2f} s", "new process: import rag, first hybrid search"),
        (
            "search hybrid k=10",
            f"p50 {result['search_p50_ms']} / p95 {result['search_p95_ms']} ms",
            f"warm; query embedding alone p50 {percentile(served['embed_ms'], 0.5):.1f} ms",
        ),
        (
            "ask extractive",
            f"p50 {percentile(served['ask_ms'], 0.5):.1f} / p95 {result['ask_p95_ms']} ms",
            "warm",
        ),
        (
            "peak RSS (serving)",
            f"{result['rss_mb']:.0f} MB",
            f"ru_maxrss after the queries (VmHWM {served.get('hwm_mb', math.nan):.0f} MB)",
        ),
        ("disk", f"{disk_mb:.1f} MB", str(index_dir)),
        ("HNSW recall@10 vs exact", f"{recall:.4f}", f"{len(queries)} queries over {chunk_vectors} chunk vectors"),
        ("named hit@10", f"{named_hit:.3f}", f"{len(named)} 'What is <name>?' queries"),
        ("content hit@10", f"{content_hit:.3f}", f"{len(content)} two-sentence excerpt queries"),
    ]
    if args.baseline:
        baseline = run_baseline()
        result.update(baseline)
        rows.append(("baseline: LlamaIndex", f"{baseline['llamaindex_baseline_s']:.1f} s", "seed corpus, MiniLM"))
        rows.append(("baseline: rag.ingest", f"{baseline['rag_seed_ingest_s']:.1f} s", "seed corpus, MiniLM"))
    return result, rows


def print_table(rows: list[tuple[str, str, str]], args: argparse.Namespace) -> None:
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    print(f"\nscale benchmark: embedder {args.embedder}, chroma {args.chroma}, seed {args.seed}")
    print(f"{'measure':{width}}  {'value':{value_width}}  notes")
    print(f"{'-' * width}  {'-' * value_width}  -----")
    for name, value, note in rows:
        print(f"{name:{width}}  {value:{value_width}}  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=2000, help="synthetic papers to generate (default 2000)")
    parser.add_argument("--embedder", choices=("standin", "local"), default="standin")
    parser.add_argument("--chroma", choices=("embedded", "server"), default="embedded")
    parser.add_argument("--queries", type=int, default=100, help="half named, half content (default 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR (must be empty or new) and keep it")
    parser.add_argument("--baseline", action="store_true", help="also time naive LlamaIndex on the seed corpus")
    parser.add_argument("--serve-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_child:
        serve_child(args.serve_child)
        return
    if args.papers < 1 or args.queries < 2:
        parser.error("--papers must be >= 1 and --queries >= 2")

    if args.keep:
        workdir = Path(args.keep).resolve()
        if workdir.exists() and any(workdir.iterdir()):
            parser.error(f"--keep {workdir}: the directory is not empty")
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="rag-scale-"))
        atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks and atexit
    sys.path.insert(0, str(BENCH))
    processes = Processes()
    try:
        result, rows = benchmark(args, workdir, processes)
    except KeyboardInterrupt:
        log("interrupted; stopping the servers started here")
        raise SystemExit(130) from None
    finally:
        processes.stop_all()
        if args.keep:
            log(f"kept {workdir}")
    if args.json:
        print(json.dumps(result))
    else:
        print_table(rows, args)


if __name__ == "__main__":
    main()
