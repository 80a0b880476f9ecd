"""A capped digest run beside a busy web process: does it keep its cap, its memory, and the pages fast?

RELIABILITY 26: a 10,000-subscriber digest run finishes within its rate cap, in bounded memory, while
page latency degrades by less than 20%.

Builds a SQLite database like ``bench/digests.py`` (a week of featured papers, N confirmed daily
subscribers with varied topics), starts a real ``paperstand serve`` on it and Postfix's ``smtp-sink``,
then in one run:

1. baseline: a reader fetches the daily page and paper pages for ``--seconds`` seconds, alone;
2. loaded: the same reader for the same time while ``paperstand digest send --period DAY`` runs with
   ``PAPERSTAND_MAIL_RATE=--rate`` against the sink (started together; the run continues if longer);
3. baseline again, so that drift on this noisy machine shows.

Prints p50/p95 page latency in each phase and the ratio loaded / baseline (median of the two
baselines), the send run's duration against the cap's minimum (N sent / rate), and its peak RSS.

    .venv/bin/python bench/digest_load.py [--subscribers 10000] [--rate 250] [--seconds 20]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import digests as digest_bench  # noqa: E402

TARGET_DEGRADATION = 0.20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _read(base: str, seconds: float, paths: list[str]) -> list[float]:
    """One reader fetching pages back to back for ``seconds``: each request's latency in seconds."""
    import httpx

    times: list[float] = []
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=base, timeout=30) as client:
        i = 0
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            client.get(paths[i % len(paths)]).raise_for_status()
            times.append(time.perf_counter() - t0)
            i += 1
    return times


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--subscribers", type=int, default=10_000)
    ap.add_argument("--rate", type=float, default=250.0, help="PAPERSTAND_MAIL_RATE for the send run")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each reading phase")
    args = ap.parse_args()
    sink_bin = digest_bench._tool("smtp-sink")
    import httpx

    sink_port, web_port = _free_port(), _free_port()
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    sink = subprocess.Popen([sink_bin, *user, f"127.0.0.1:{sink_port}", "256"])
    with tempfile.TemporaryDirectory(prefix="paperstand-load-") as tmp:
        db = Path(tmp) / "load.db"
        digest_bench.build(db, args.subscribers)
        env = {**os.environ, "PAPERSTAND_DATABASE_URL": f"sqlite:///{db}", "PAPERSTAND_DATA_DIR": tmp,
               "PAPERSTAND_PORT": str(web_port), "PAPERSTAND_HARVEST_ON_START": "false",
               "PAPERSTAND_LOG_LEVEL": "WARNING", "PAPERSTAND_SECRET_KEY": "bench",
               "PAPERSTAND_BASE_URL": "https://papers.example.org",
               "PAPERSTAND_MAIL_URL": f"smtp://127.0.0.1:{sink_port}?timeout=30",
               "PAPERSTAND_MAIL_RATE": str(args.rate),
               # The web process only serves: the benchmark's own sender does the sending, and the page
               # timings measure one process without rate limits.
               "PAPERSTAND_WORKER": "off", "PAPERSTAND_RATE_LIMITS": "off", "PAPERSTAND_SERVE_WORKERS": "1"}
        web = subprocess.Popen([sys.executable, "-m", "paperstand.cli", "serve"], env=env)
        base = f"http://127.0.0.1:{web_port}"
        try:
            for _ in range(300):
                try:
                    httpx.get(base + "/", timeout=10).raise_for_status()
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            day = digest_bench.DAY.isoformat()
            ids = httpx.get(base + "/api/daily_papers", params={"date": day}, timeout=30).json()
            paths = [f"/?date={day}", f"/papers/{ids[0]['paper']['id']}", "/", f"/papers/{ids[1]['paper']['id']}"]
            _read(base, 3, paths)  # warm up
            before = _read(base, args.seconds, paths)

            result: dict[str, float] = {}

            def send() -> None:
                t0 = time.perf_counter()
                proc = subprocess.Popen([sys.executable, "-m", "paperstand.cli", "digest", "send", "--period", day],
                                        env=env, stdout=subprocess.DEVNULL)
                _, status, usage = os.wait4(proc.pid, 0)  # this child's own resource use
                result["seconds"] = time.perf_counter() - t0
                result["rss"] = usage.ru_maxrss / 1024
                result["status"] = status

            sender = threading.Thread(target=send)
            sender.start()
            during = _read(base, args.seconds, paths)
            sender.join()
            after = _read(base, args.seconds, paths)
            sent = int(subprocess.run(
                [sys.executable, "-c", "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("
                 "\"select count(*) from digest_outbox where status='sent'\").fetchone()[0])", str(db)],
                capture_output=True, text=True, check=True).stdout)
        finally:
            web.terminate()
            web.wait(timeout=30)
            sink.terminate()
            sink.wait()
    if result.get("status"):
        raise SystemExit(f"the digest run failed (wait status {result['status']})")
    baseline = statistics.median([_pct(before, 95), _pct(after, 95)])
    degradation = _pct(during, 95) / baseline - 1
    floor = sent / args.rate
    print(f"page latency, one reader (ms): before p50 {_pct(before, 50):.1f} p95 {_pct(before, 95):.1f} "
          f"({len(before)} requests) | during p50 {_pct(during, 50):.1f} p95 {_pct(during, 95):.1f} "
          f"({len(during)}) | after p50 {_pct(after, 50):.1f} p95 {_pct(after, 95):.1f} ({len(after)})")
    print(f"p95 during the run vs baseline (median of before/after): {degradation:+.1%} "
          f"(target < +{TARGET_DEGRADATION:.0%}: {'met' if degradation < TARGET_DEGRADATION else 'NOT met'})")
    print(f"digest run: {sent:,} sent in {result['seconds']:.1f} s at a cap of {args.rate:g}/s "
          f"(the cap allows no less than {floor:.1f} s; took {result['seconds'] / floor:.2f}x that); "
          f"sender peak RSS {result['rss']:.0f} MiB")


if __name__ == "__main__":
    main()
