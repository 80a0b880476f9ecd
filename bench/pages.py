"""Pages at the framework's speed: the real ``paperstand serve`` beside a bare Starlette app on the same uvicorn.

Builds (once, cached under bench/out/) a SQLite database holding the seed listing featured on
2025-03-11 (a day page of 69 papers) plus the 23,730 real papers of the shared daily-arXiv files
(``--quick``: the seed alone). Then, with 20 wrk connections against each, side by side, URL by URL:
the front page, the day page, ``/api/daily_papers``, a paper page and a search, each answered by

- ``paperstand serve`` (rate limits off, in-process worker off, page cache on), and
- a bare Starlette app served by the same ``uvicorn.run`` returning the same bytes per URL, prepared
  from the real server's answers (the framework's floor: routing, one Response, nothing else).

It prints requests/s for both, their ratio (target >= 0.5 for repeated anonymous requests, one
process) and p95; then p95 for 50 readers over those URLs alone, and while 20 writers subscribe
(19 threads posting the form) and import (``--importers``, default 1: ``paperstand import`` of a
month of real papers, retitled, in a loop; each of its commits moves the data version, so every page
is rendered anew): RELIABILITY 25 asks < 200 ms. Last, the uncached render cost per page: the median of
sequential requests against a server started with ``PAPERSTAND_PAGE_CACHE_MB=0``.

    .venv/bin/python bench/pages.py [--quick] [--seconds 5]

Needs ``wrk`` (``apt-get install -y wrk``; ``make bench`` installs it). The machine is shared:
compare ratios and medians from one run, not absolute figures between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, REAL, SHARED  # noqa: E402

SEED = SHARED / "seed" / "daily-papers-listing.txt"
DAY = "2025-03-11"
CONNECTIONS = 20
READERS, WRITERS = 50, 20
TARGET_RATIO, TARGET_P95_MS = 0.5, 200.0
# wrk's own summary has no p95: a done() hook prints it (microseconds), with the request and error counts.
WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("P95 %d\\nREQUESTS %d\\nSECONDS %f\\nERRORS %d\\nNON2XX %d\\n", latency:percentile(95),
    summary.requests, summary.duration / 1e6, errors, summary.errors.status))
end
"""
# Readers cycle over every URL (wrk's request() hook), so a write invalidates pages they all read.
WRK_MIX = """
paths = {%s}
i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""
BARE_APP = '''
import json, sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
ANSWERS = {k: (v[0], bytes.fromhex(v[1])) for k, v in json.load(open(sys.argv[1])).items()}
async def answer(request):
    key = request.url.path + ("?" + request.url.query if request.url.query else "")
    kind, body = ANSWERS.get(key, ("text/plain", b"not found"))
    return Response(body, media_type=kind)
app = Starlette(routes=[Route("/{rest:path}", answer)])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
'''


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def paperstand(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run one ``paperstand`` command."""
    return subprocess.run([sys.executable, "-m", "paperstand", *args], env=env, text=True, capture_output=True,
                          timeout=3600)


def build_database(quick: bool) -> tuple[Path, int]:
    """The benchmark database (built once per kind) and how many papers it holds."""
    if not SEED.exists():
        print(f"skipped: seed listing not found at {SEED} (set PAPERSTAND_SHARED_DIR)")
        sys.exit(0)
    files = [] if quick else sorted((REAL / "arxiv-metadata" / "daily-arxiv-ai-enhanced").glob("papers_*.jsonl"))
    if not quick and not files:
        print(f"skipped: real papers not found under {REAL}; run with --quick for the seed listing alone")
        sys.exit(0)
    data = OUT / ("pages-quick" if quick else "pages")
    stamp = data / "built"
    if not stamp.exists():
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        env = server_env(data, 0)
        steps = [["migrate"], ["import", str(SEED), "--featured-on", DAY]]
        steps += [["import", *map(str, files)]] if files else []
        for step in steps:
            print(f"building: paperstand {' '.join(step[:2])}{' …' if len(step) > 2 else ''}", flush=True)
            done = paperstand(*step, env=env)
            if done.returncode not in (0, 1):  # 1: some records rejected, the rest stored
                sys.exit(f"paperstand {step[0]} failed:\n{done.stderr[-2000:]}")
        stamp.touch()
    if not quick and not (data / "search" / "keyword").exists():
        # As the README advises for large collections (and as a real instance of this size runs): keyword
        # search on the tantivy index, which imports keep current, instead of FTS5.
        print("building: paperstand search-index", flush=True)
        done = paperstand("search-index", env=server_env(data, 0))
        if done.returncode != 0:
            sys.exit(f"paperstand search-index failed:\n{done.stderr[-2000:]}")
    import sqlite3
    with sqlite3.connect(data / "paperstand.db") as conn:
        papers = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
    return data, int(papers)


def server_env(data: Path, port: int, **extra: str) -> dict[str, str]:
    """The environment of a benchmark server: one process, no rate limits, no in-process jobs, no first harvest."""
    return {**os.environ, "PAPERSTAND_DATA_DIR": str(data), "PAPERSTAND_DATABASE_URL": "",
            "PAPERSTAND_PORT": str(port), "PAPERSTAND_RATE_LIMITS": "off", "PAPERSTAND_WORKER": "off",
            "PAPERSTAND_SERVE_WORKERS": "1",
            "PAPERSTAND_HARVEST_ON_START": "false", "PAPERSTAND_LOG_LEVEL": "WARNING", **extra}


@contextmanager
def running(cmd: list[str], port: int, env: dict[str, str], probe: str = "/") -> Iterator[str]:
    """Start a server process and yield its base URL once it answers; stop it afterwards."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            sys.exit(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            urllib.request.urlopen(url + probe, timeout=5).read()
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                sys.exit("server did not start in 60 s")
            time.sleep(0.2)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def serve(data: Path, **extra: str) -> Iterator[str]:
    """``paperstand serve`` on the benchmark database."""
    port = free_port()
    return running([sys.executable, "-m", "paperstand", "serve"], port, server_env(data, port, **extra))


def wrk(url: str, connections: int, seconds: float, script: str) -> dict[str, float]:
    """Run wrk; its requests/s, p95 (ms) and errors."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script + WRK_REPORT)
    duration = f"{max(1, round(seconds))}s"
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", duration, "--timeout", "10s",
                          "-s", fh.name, url], capture_output=True, text=True, timeout=seconds + 60)
    os.unlink(fh.name)
    got = {k: float(v) for k, v in re.findall(r"^(P95|REQUESTS|SECONDS|ERRORS|NON2XX) ([\d.]+)$", out.stdout, re.M)}
    if "REQUESTS" not in got:
        sys.exit(f"wrk gave no report for {url}:\n{out.stdout}{out.stderr}")
    return {"rps": got["REQUESTS"] / got["SECONDS"], "p95_ms": got["P95"] / 1000,
            "errors": got["ERRORS"] + got["NON2XX"]}


def fetch(url: str) -> tuple[str, bytes]:
    """Content type and body of one GET."""
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.headers.get("content-type", ""), answer.read()


def targets(base: str) -> dict[str, str]:
    """The five URLs, by name (the paper and the search come from the data)."""
    first = json.loads(fetch(base + "/api/daily_papers?limit=1")[1])[0]["paper"]["id"]
    return {"front page": "/", "day (69 papers)": f"/papers/date/{DAY}", "API list": "/api/daily_papers",
            "paper page": f"/papers/{first}", "search": "/search?q=language+models"}


def side_by_side(data: Path, urls: dict[str, str], seconds: float) -> list[tuple[str, dict, dict]]:
    """wrk against the real server and the bare app, URL by URL, in one run."""
    rows = []
    with serve(data) as real:
        answers = {path: fetch(real + path) for path in urls.values()}
        with tempfile.TemporaryDirectory() as tmp:
            store = Path(tmp) / "answers.json"
            store.write_text(json.dumps({p: (kind, body.hex()) for p, (kind, body) in answers.items()}))
            script = Path(tmp) / "bare.py"
            script.write_text(BARE_APP)
            port = free_port()
            with running([sys.executable, str(script), str(store), str(port)], port, dict(os.environ)) as bare:
                for name, path in urls.items():
                    ours = wrk(real + path, CONNECTIONS, seconds, "")
                    floor = wrk(bare + path, CONNECTIONS, seconds, "")
                    rows.append((name, ours, floor))
    return rows


def subscriber(base: str, stop: threading.Event, n: int) -> tuple[int, int]:
    """Post the subscribe form (a fresh address each time) until ``stop``: (answered, failed or timed out)."""
    posts = failed = 0
    while not stop.is_set():
        try:
            page = urllib.request.urlopen(base + "/subscribe", timeout=30)
            cookie = page.headers.get("set-cookie", "").split(";")[0]
            token = re.search(rb'name="csrf" value="([^"]+)"', page.read())
            form = urllib.parse.urlencode({"email": f"bench{n}-{posts + failed}@example.org",
                                           "csrf": token.group(1).decode() if token else ""}).encode()
            request = urllib.request.Request(base + "/subscribe", data=form, headers={"Cookie": cookie})
            urllib.request.urlopen(request, timeout=30).read()
            posts += 1
        except OSError:  # an HTTP error status or a timeout: counted, and the writer goes on
            failed += 1
    return posts, failed


def importer(data: Path, stop: threading.Event, n: int) -> int:
    """Run ``paperstand import`` of a month of real papers, retitled, again and again until ``stop``.

    A separate process, as an operator's import is: it commits every 2,000 papers, and each commit
    moves the data version the server reads. Returns how many imports finished.
    """
    source = sorted((REAL / "arxiv-metadata" / "daily-arxiv-ai-enhanced").glob("papers_*.jsonl"))
    if not source:
        return 0
    lines = source[n % len(source)].read_text(encoding="utf-8").splitlines()
    runs = 0
    with tempfile.TemporaryDirectory() as tmp:
        while not stop.is_set():
            path = Path(tmp) / f"batch{runs}.jsonl"
            records = [json.loads(line) for line in lines]
            for record in records:
                record["title"] = f"{record['title']} (revision {runs})"
            path.write_text("\n".join(json.dumps(r) for r in records))
            paperstand("import", str(path), env=server_env(data, 0))
            runs += 1
    return runs


def readers_under_writes(data: Path, urls: dict[str, str], seconds: float,
                         importers: int) -> tuple[dict, dict, tuple[int, int], int]:
    """p95 of 50 readers alone, then while 20 writers subscribe and import."""
    mix = WRK_MIX % ", ".join(json.dumps(p) for p in urls.values())
    with serve(data) as base:
        for path in urls.values():
            fetch(base + path)
        alone = wrk(base + "/", READERS, seconds, mix)
        stop = threading.Event()
        with ThreadPoolExecutor(WRITERS) as pool:
            posts = [pool.submit(subscriber, base, stop, n) for n in range(WRITERS - importers)]
            imports = [pool.submit(importer, data, stop, n) for n in range(importers)]
            time.sleep(3.0)  # let the writers get going (the import process starts)
            loaded = wrk(base + "/", READERS, seconds, mix)
            stop.set()
            answered = [f.result() for f in posts]
            return (alone, loaded, (sum(a for a, _ in answered), sum(b for _, b in answered)),
                    sum(f.result() for f in imports))


def render_costs(data: Path, urls: dict[str, str], repeat: int = 15) -> dict[str, float]:
    """Median ms of sequential requests with the page cache off: what a miss costs, per page."""
    costs = {}
    with serve(data, PAPERSTAND_PAGE_CACHE_MB="0") as base:
        for name, path in urls.items():
            fetch(base + path)
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                fetch(base + path)
                times.append((time.perf_counter() - start) * 1000)
            costs[name] = statistics.median(times)
    return costs


def main() -> None:
    """Build, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the seed listing alone (no real papers)")
    parser.add_argument("--seconds", type=float, default=5.0, help="wrk duration per URL and app")
    parser.add_argument("--importers", type=int, default=1,
                        help=f"how many of the {WRITERS} writers import (the others subscribe)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("skipped: wrk not installed (apt-get install -y wrk)")
        return
    data, papers = build_database(args.quick)
    with serve(data) as base:
        urls = targets(base)
    print(f"{papers:,} papers; {CONNECTIONS} connections, {args.seconds:g} s per URL and app, one process\n")
    print(f"{'page':<18}{'serve req/s':>12}{'bare req/s':>12}{'ratio':>8}{'serve p95':>11}{'bare p95':>10}")
    ratios = []
    for name, ours, floor in side_by_side(data, urls, args.seconds):
        ratio = ours["rps"] / floor["rps"]
        ratios.append(ratio)
        errors = f"  ({ours['errors']:.0f} errors)" if ours["errors"] else ""
        print(f"{name:<18}{ours['rps']:>12,.0f}{floor['rps']:>12,.0f}{ratio:>8.2f}{ours['p95_ms']:>9.1f}ms"
              f"{floor['p95_ms']:>8.1f}ms{errors}")
    verdict = "meets" if min(ratios) >= TARGET_RATIO else "misses"
    print(f"lowest ratio {min(ratios):.2f} ({verdict} the >= {TARGET_RATIO} target)\n")
    alone, loaded, posts, imports = readers_under_writes(data, urls, 2 * args.seconds, args.importers)
    verdict = "meets" if loaded["p95_ms"] < TARGET_P95_MS else "misses"
    print(f"{READERS} readers alone: p95 {alone['p95_ms']:.1f} ms ({alone['rps']:,.0f} req/s)")
    print(f"{READERS} readers, {WRITERS} writers ({args.importers} importing): p95 {loaded['p95_ms']:.1f} ms "
          f"({loaded['rps']:,.0f} req/s; "
          f"{posts[0]} subscribes answered, {posts[1]} failed, {imports} imports finished; "
          f"{verdict} the < {TARGET_P95_MS:.0f} ms target)\n")
    print("uncached render cost (page cache off, sequential, median):")
    for name, ms in render_costs(data, urls).items():
        print(f"  {name:<18}{ms:8.1f} ms")


if __name__ == "__main__":
    main()
