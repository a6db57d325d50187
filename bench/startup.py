"""Benchmark: cold process start of each `rag` command, working tree against a baseline git ref.

What it measures: the wall-clock time of a whole new `rag` process (interpreter start, imports,
opening the index, the work itself, exit) for `--help`, `status`, `search`, `ask` (extractive)
and `summarize`, all against the same existing index, plus what `import rag.cli` costs
(`python -X importtime`, the modules with the largest cumulative import time).

Why: a CLI user pays the start-up on every command, and `rag --help` or `rag status` should not
have to import llama-index, Chroma, ONNX Runtime and Gradio. The targets are `rag --help`
< 0.5 s and `rag status` < 2 s. Machines differ, so the baseline (default: fac398f, the commit
before the start-up refactor) is measured in the same run, from a git worktree under the temp
directory (created once, then reused), with the same interpreter, index and environment:

    <repo>/.venv/bin/python -c "import sys; from rag.cli import main; sys.exit(main())" ARGS

with PYTHONPATH=<worktree> and cwd=<worktree> for the baseline, PYTHONPATH=<repo> and cwd=<repo>
for the working tree (PYTHONPATH comes before the venv's editable install). Each command first
runs once per side unmeasured (bytecode compiled, files in the page cache), so "cold" means a
fresh interpreter, not a cold disk. Then baseline and current alternate, in swapped order on
every repeat, to spread drift and noise over both. Inherited RAG_* variables are dropped;
RAG_DATA_DIR=<index> and RAG_LLM_MODEL= (no LLM) are set.

    .venv/bin/python bench/startup.py [--baseline-ref fac398f] [--repeat 5] [--data-dir .rag] [--json]

A command that exits non-zero is reported as failed, with its first stderr line (the last one
for a traceback), instead of stopping the benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_BASELINE_REF = "fac398f"
RUN_CLI = "import sys; from rag.cli import main; sys.exit(main())"
IMPORT_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s+)(\S+)\s*$")
TOP_IMPORTS = 8


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...]
    target_s: float | None = None


COMMANDS = (
    Command("rag --help", ("--help",), 0.5),
    Command("rag status", ("status",), 2.0),
    Command('rag search "gradient low-rank projection" --json', ("search", "gradient low-rank projection", "--json")),
    Command(
        'rag ask "How does GaLore reduce memory?" --json --answer-mode extractive',
        ("ask", "How does GaLore reduce memory?", "--json", "--answer-mode", "extractive"),
    ),
    Command("rag summarize grokking --format json", ("summarize", "grokking", "--format", "json")),
)


@dataclass
class Side:
    """One code version to run: the baseline worktree or the working tree."""

    label: str
    root: Path
    ref: str
    sha: str
    dirty: int | None = None
    rag_path: str | None = None


@dataclass
class Timings:
    times_s: list[float] = field(default_factory=list)
    failures: int = 0
    error: str | None = None

    def record(self, seconds: float, error: str | None) -> None:
        if error is None:
            self.times_s.append(seconds)
        else:
            self.failures += 1
            self.error = self.error or error

    @property
    def ok(self) -> bool:
        return self.failures == 0 and bool(self.times_s)

    @property
    def median_s(self) -> float | None:
        return statistics.median(self.times_s) if self.ok else None

    @property
    def min_s(self) -> float | None:
        return min(self.times_s) if self.ok else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "failed",
            "median_s": _round(self.median_s),
            "min_s": _round(self.min_s),
            "times_s": [round(t, 4) for t in self.times_s],
            "failures": self.failures,
            "error": self.error,
        }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def git(*args: str, cwd: Path = REPO) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"error: git {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip()


def baseline_worktree(ref: str) -> Side:
    """A detached worktree of `ref` under the temp dir, reused when it is already at that commit."""
    sha = git("rev-parse", "--verify", f"{ref}^{{commit}}")
    path = Path(tempfile.gettempdir()) / f"paper-rag-startup-{sha[:12]}"
    if path.is_dir():
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True, check=False)
        if head.returncode == 0 and head.stdout.strip() == sha and (path / "rag" / "cli.py").is_file():
            return Side("baseline", path, ref, sha)
        log(f"replacing the stale directory {path}")
        shutil.rmtree(path)
    git("worktree", "prune")
    log(f"creating a worktree of {ref} ({sha[:12]}) at {path}")
    git("worktree", "add", "--detach", str(path), sha)
    return Side("baseline", path, ref, sha)


def current_tree() -> Side:
    dirty = len([line for line in git("status", "--porcelain").splitlines() if line.strip()])
    return Side("current", REPO, "working tree", git("rev-parse", "HEAD"), dirty=dirty)


def python_executable() -> str:
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.is_file() else sys.executable


def side_env(side: Side, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(PYTHONPATH=str(side.root), RAG_DATA_DIR=str(data_dir), RAG_LLM_MODEL="", PYTHONUNBUFFERED="1")
    return env


def error_line(stderr: str, returncode: int) -> str:
    """The first stderr line; for a traceback the last one, which names the exception."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if not lines:
        return f"exit status {returncode}, no stderr"
    if lines[0].startswith("Traceback") or "Traceback (most recent call last)" in stderr:
        return lines[-1]
    return lines[0]


def run_once(
    python: str, side: Side, args: tuple[str, ...], env: dict[str, str], timeout: float
) -> tuple[float, str | None]:
    """Seconds for one whole process, and None or the reason it failed."""
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [python, "-c", RUN_CLI, *args],
            check=False,
            cwd=side.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, f"timed out after {timeout:g} s"
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        return elapsed, f"exit {done.returncode}: {error_line(done.stderr, done.returncode)}"
    return elapsed, None


def which_rag(python: str, side: Side, env: dict[str, str]) -> str:
    """Where `import rag` resolves for this side (checks that PYTHONPATH beats the editable install)."""
    code = "import importlib.util as u; print(u.find_spec('rag').origin)"
    done = subprocess.run([python, "-c", code], cwd=side.root, env=env, capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else f"? ({error_line(done.stderr, done.returncode)})"


def import_profile(python: str, side: Side, env: dict[str, str], timeout: float) -> dict[str, Any]:
    """`python -X importtime -c "import rag.cli"`: the top modules by cumulative import time."""
    try:
        done = subprocess.run(
            [python, "-X", "importtime", "-c", "import rag.cli"],
            check=False,
            cwd=side.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"status": "failed", "error": f"timed out after {timeout:g} s", "total_ms": None, "top": []}
    rows = []
    for line in done.stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            self_us, cumulative_us, indent, module = match.groups()
            depth = (len(indent) - 1) // 2
            rows.append(
                {"module": module, "depth": depth, "self_ms": int(self_us) / 1000, "cum_ms": int(cumulative_us) / 1000}
            )
    total = next((r["cum_ms"] for r in rows if r["module"] == "rag.cli"), None)
    top = sorted(rows, key=lambda r: r["cum_ms"], reverse=True)[:TOP_IMPORTS]
    # The cumulative list is one nested chain (rag.cli > rag > ...); the sum of self time per
    # top-level package says which dependencies the time actually goes to.
    per_package: dict[str, float] = {}
    for row in rows:
        package = row["module"].split(".")[0]
        per_package[package] = per_package.get(package, 0.0) + row["self_ms"]
    packages = [
        {"package": name, "self_ms_sum": round(ms, 1)}
        for name, ms in sorted(per_package.items(), key=lambda item: item[1], reverse=True)[:TOP_IMPORTS]
    ]
    result: dict[str, Any] = {
        "status": "ok",
        "error": None,
        "total_ms": total,
        "modules": len(rows),
        "top": top,
        "packages": packages,
    }
    if done.returncode != 0:
        result.update(status="failed", error=f"exit {done.returncode}: {error_line(done.stderr, done.returncode)}")
    return result


def measure(
    python: str, sides: tuple[Side, Side], data_dir: Path, repeat: int, warmup: int, timeout: float
) -> dict[str, tuple[Timings, Timings]]:
    envs = [side_env(side, data_dir) for side in sides]
    results: dict[str, tuple[Timings, Timings]] = {}
    for command in COMMANDS:
        log(f"{command.name}: {warmup} warm-up + {repeat} timed runs per side")
        for _ in range(warmup):
            for side, env in zip(sides, envs, strict=True):
                run_once(python, side, command.args, env, timeout)
        timings = (Timings(), Timings())
        for i in range(repeat):
            order = (0, 1) if i % 2 == 0 else (1, 0)
            for index in order:
                timings[index].record(*run_once(python, sides[index], command.args, envs[index], timeout))
        results[command.name] = timings
    return results


def ratio(baseline: Timings, current: Timings) -> float | None:
    if baseline.median_s is None or current.median_s is None or baseline.median_s == 0:
        return None
    return current.median_s / baseline.median_s


def target_note(command: Command, baseline: Timings, current: Timings) -> str:
    if command.target_s is None:
        return ""

    def verdict(t: Timings) -> str:
        if t.median_s is None:
            return "failed"
        return "met" if t.median_s < command.target_s else "missed"

    return f"< {command.target_s:g} s (baseline {verdict(baseline)}, current {verdict(current)})"


def machine() -> dict[str, Any]:
    python = python_executable()
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version.split()[0])"], check=False, capture_output=True, text=True
    )
    return {
        "nproc": os.cpu_count(),
        "python": version.stdout.strip() or platform.python_version(),
        "python_executable": python,
        "platform": platform.platform(),
        "machine": platform.machine(),
    }


def report(
    sides: tuple[Side, Side],
    data_dir: Path,
    args: argparse.Namespace,
    results: dict[str, tuple[Timings, Timings]],
    imports: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    commands = []
    for command in COMMANDS:
        baseline, current = results[command.name]
        commands.append(
            {
                "command": command.name,
                "argv": list(command.args),
                "target_s": command.target_s,
                "target": target_note(command, baseline, current) or None,
                "baseline": baseline.to_dict(),
                "current": current.to_dict(),
                "ratio_current_over_baseline": _round(ratio(baseline, current), 3),
            }
        )
    return {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "data_dir": str(data_dir),
        "repeat": args.repeat,
        "warmup": args.warmup,
        "sides": {
            side.label: {
                "root": str(side.root),
                "ref": side.ref,
                "sha": side.sha,
                "uncommitted_changes": side.dirty,
                "rag_module": side.rag_path,
            }
            for side in sides
        },
        "commands": commands,
        "import_time": imports,
    }


def markdown(data: dict[str, Any]) -> str:
    m, base, cur = data["machine"], data["sides"]["baseline"], data["sides"]["current"]
    lines = [
        "# rag CLI cold start",
        "",
        f"- date: {data['date']}",
        f"- machine: nproc {m['nproc']}, Python {m['python']}, {m['platform']}",
        f"- baseline: {base['ref']} ({base['sha'][:12]}), worktree {base['root']}, rag from {base['rag_module']}",
        f"- current: working tree at {cur['sha'][:12]} + {cur['uncommitted_changes']} uncommitted paths,"
        f" rag from {cur['rag_module']}",
        f"- index: {data['data_dir']}; RAG_LLM_MODEL empty; {data['repeat']} timed runs per side"
        f" after {data['warmup']} warm-up, alternating; wall clock of the whole process, median (min) in s",
        "",
        "| command | baseline median s | current median s | ratio current/baseline | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in data["commands"]:
        ratio_text = (
            "n/a" if row["ratio_current_over_baseline"] is None else f"{row['ratio_current_over_baseline']:.2f}"
        )
        baseline, current = (_cell_from_dict(row[k]) for k in ("baseline", "current"))
        lines.append(f"| `{row['command']}` | {baseline} | {current} | {ratio_text} | {row['target'] or ''} |")
    for label in ("baseline", "current"):
        profile = data["import_time"][label]
        total = "n/a" if profile["total_ms"] is None else f"{profile['total_ms']:.0f} ms"
        if profile["status"] != "ok":
            total += " until the import failed (partial profile)"
        heading = f'## `python -X importtime -c "import rag.cli"`, {label}: rag.cli cumulative {total}'
        lines += ["", heading, "", f"{profile.get('modules', 0)} modules imported."]
        if profile["status"] != "ok":
            lines.append(f"\nFAILED: {profile['error']}")
        if profile["top"]:
            lines += ["", "| module | cumulative ms | self ms |", "| --- | --- | --- |"]
            lines += [
                f"| {'  ' * r['depth']}`{r['module']}` | {r['cum_ms']:.0f} | {r['self_ms']:.1f} |"
                for r in profile["top"]
            ]
            lines += ["", "| package | sum of self ms |", "| --- | --- |"]
            lines += [f"| `{p['package']}` | {p['self_ms_sum']:.0f} |" for p in profile["packages"]]
    return "\n".join(lines)


def _cell_from_dict(t: dict[str, Any]) -> str:
    if t["status"] != "ok":
        runs = t["failures"] + len(t["times_s"])
        return f"FAILED ({t['failures']}/{runs} runs): {t['error']}".replace("|", "\\|")
    return f"{t['median_s']:.3f} (min {t['min_s']:.3f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-ref", default=DEFAULT_BASELINE_REF, help="git ref to compare against")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per command and side (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured runs per command and side first")
    parser.add_argument("--data-dir", default=str(REPO / ".rag"), help="existing index to run against")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before one run counts as failed")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of Markdown")
    args = parser.parse_args()
    if args.repeat < 1 or args.warmup < 0:
        parser.error("--repeat must be >= 1 and --warmup >= 0")

    data_dir = Path(args.data_dir).expanduser().resolve()
    if not data_dir.is_dir():
        log(f"warning: {data_dir} does not exist; the commands will run against an empty index")
    python = python_executable()
    sides = (baseline_worktree(args.baseline_ref), current_tree())
    for side in sides:
        side.rag_path = which_rag(python, side, side_env(side, data_dir))
        if not side.rag_path.startswith(str(side.root)):
            log(f"warning: {side.label} imports rag from {side.rag_path}, not from {side.root}")

    results = measure(python, sides, data_dir, args.repeat, args.warmup, args.timeout)
    log("import profile: python -X importtime -c 'import rag.cli'")
    imports = {side.label: import_profile(python, side, side_env(side, data_dir), args.timeout) for side in sides}
    data = report(sides, data_dir, args, results, imports)
    print(json.dumps(data, indent=2) if args.json else markdown(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
