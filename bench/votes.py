"""Votes under load: 20 voters and 50 readers against a real ``paperstand serve`` over 100,000 papers.

Builds (once, cached) a database of 100,000 papers in the arXiv JSON-lines snapshot format, generated
from the real titles, sentences and authors of ``shared/data/real`` by the import benchmark's generator,
imported with ``paperstand import``; its first 60 papers are also imported as one day's featured papers
(``--featured-on``), so the front page and the day page list 60 cards. It does this on SQLite and on
PostgreSQL (a database of its own on the local server), then, per database:

1. 50 readers alone for ``--seconds`` (wrk, 50 connections) cycling over the front page, the day page,
   ``/api/daily_papers`` and seven paper pages: p95 and requests/s;
2. 20 voters alone (below), for the cost of a vote without readers beside it;
3. the same readers while 20 voters (a second wrk, 20 connections) upvote random papers through the
   write API (``POST /api/papers/{id}/upvote``; a quarter of the requests ``DELETE`` instead) as 20
   members with API tokens: vote p95, page p95, and every answer that is not a 2xx, counting those that
   say "database is locked" (a 503 from the error handler, or the words in the body).

Targets (the upvotes issue): vote p95 <= 50 ms, page p95 <= 200 ms, zero "database is locked" reaching a
client, on both databases. Each vote moves the page cache's data version, so while votes flow nearly
every page is rendered anew: the readers-alone figure is the cached baseline beside it.

    .venv/bin/python bench/votes.py [--seconds 60] [--quick] [--databases sqlite,postgresql]

``--quick``: 10,000 papers and 10 s per phase. Needs ``wrk``; skips PostgreSQL when it is unreachable.
One ``serve`` process (as ``bench/pages.py``); the machine is shared, so read figures from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, cpu_model  # noqa: E402
from import_jsonl import generate  # noqa: E402
from pages import WRK_MIX, fetch, free_port, paperstand, running, server_env, wrk  # noqa: E402

DAY = "2025-03-11"
FEATURED = 60
READERS, VOTERS = 50, 20
TARGET_VOTE_P95_MS, TARGET_PAGE_P95_MS = 50.0, 200.0
PAPER_PAGES = 7  # paper pages in the readers' cycle, beside the three listings
VOTE_IDS = 5000  # papers the voters pick from at random (a Lua table of this many ids)
WORKERS = 1  # web processes of the serve (--workers)
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
POSTGRES_DB = "paperstand_bench_votes"
# Voters pick a token and a paper at random per request; a quarter of the requests take a vote back.
# Answers are read (wrk's response hook) to count refusals and "database is locked" per thread; done()
# adds them up through the threads setup() kept.
WRK_VOTERS = """
tokens = {%(tokens)s}
ids = {%(ids)s}
local threads, seeds = {}, 0
setup = function(thread)
  seeds = seeds + 1
  thread:set("seed", seeds)
  table.insert(threads, thread)
end
init = function(args)
  math.randomseed(seed * 7919)
  refused, locked = 0, 0
end
request = function()
  local method = math.random() < 0.25 and "DELETE" or "POST"
  local path = "/api/papers/" .. ids[math.random(#ids)] .. "/upvote"
  return wrk.format(method, path, {["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]})
end
response = function(status, headers, body)
  if status >= 300 then refused = refused + 1 end
  if status == 503 or (body and string.find(body, "locked", 1, true)) then locked = locked + 1 end
end
done = function(summary, latency, requests)
  local r, l = 0, 0
  for _, t in ipairs(threads) do r = r + t:get("refused"); l = l + t:get("locked") end
  io.write(string.format("P50 %%d\\nP95 %%d\\nP99 %%d\\n", latency:percentile(50), latency:percentile(95),
    latency:percentile(99)))
  io.write(string.format("REQUESTS %%d\\nSECONDS %%f\\nERRORS %%d\\nREFUSED %%d\\nLOCKED %%d\\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, r, l))
end
"""


def arxiv_ids(n: int) -> list[str]:
    """The ids ``import_jsonl.generate`` gives its first ``n`` papers."""
    ids = []
    for i in range(n):
        month, num = divmod(i, 90000)
        ids.append(f"{20 + month // 12:02d}{month % 12 + 1:02d}.{num + 1:05d}")
    return ids


def snapshot(n: int) -> tuple[Path, Path]:
    """The generated snapshot of ``n`` papers (shared with the import benchmark) and its first 60 lines."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"snapshot_{n}.jsonl"
    if not path.exists():
        print(f"generating {n:,} papers in {path} ...", flush=True)
        generate(path, n)
    day = OUT / f"snapshot_{n}_first{FEATURED}.jsonl"
    if not day.exists():
        with path.open(encoding="utf-8") as fh:
            day.write_text("".join(next(fh) for _ in range(FEATURED)), encoding="utf-8")
    return path, day


def postgres_url(database: str = POSTGRES_DB) -> str | None:
    """The benchmark database's URL on the local PostgreSQL (created when missing), or None when unreachable."""
    from sqlalchemy import create_engine, text

    try:
        admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database}).first():
                conn.execute(text(f'CREATE DATABASE "{database}"'))
        admin.dispose()
    except Exception as exc:  # unreachable, or no right to create it: that half of the run is skipped
        print(f"skipped PostgreSQL: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
        return None
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + database


def build(kind: str, n: int) -> tuple[Path, str] | None:
    """The data folder and database URL of one benchmark database, imported once (a stamp file marks it)."""
    url = "" if kind == "sqlite" else postgres_url()
    if url is None:
        return None
    data = OUT / f"votes-{kind}-{n}"
    stamp = data / "built"
    if not stamp.exists():
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        env = server_env(data, 0, PAPERSTAND_DATABASE_URL=url)
        if url:
            reset_postgres(url)
        papers, day = snapshot(n)
        started = time.perf_counter()
        for step in (["migrate"], ["import", str(papers)], ["import", str(day), "--featured-on", DAY]):
            print(f"building ({kind}): paperstand {' '.join(step[:1])} {Path(step[1]).name if len(step) > 1 else ''}",
                  flush=True)
            done = paperstand(*step, env=env)
            if done.returncode != 0:
                sys.exit(f"paperstand {step[0]} failed:\n{done.stderr[-2000:]}")
        print(f"built {n:,} papers on {kind} in {time.perf_counter() - started:.0f} s", flush=True)
        stamp.touch()
    return data, url


def reset_postgres(url: str) -> None:
    """Empty the benchmark database (a rebuild starts from nothing)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def voters(url: str, data: Path) -> list[str]:
    """API tokens of 20 verified members (created once; new tokens each run), with every vote removed."""
    from sqlalchemy import delete, select
    from sqlalchemy.orm import Session

    from paperstand.accounts.models import Member
    from paperstand.accounts.sessions import new_api_token
    from paperstand.community.models import Vote
    from paperstand.db import make_engine

    engine = make_engine(url or f"sqlite:///{data / 'paperstand.db'}")
    now, tokens = datetime.now(UTC), []
    with Session(engine) as session:
        session.execute(delete(Vote))  # each run starts from no votes
        for n in range(VOTERS):
            name = f"bench-voter-{n}"
            member = session.execute(select(Member).where(Member.name_key == name)).scalar_one_or_none()
            if member is None:
                member = Member(name=name, name_key=name, email=f"{name}@example.org", display_name=name,
                                password_hash="!", role="member", created_at=now, email_verified_at=now,
                                show_upvotes=False, notify_mentions=False)
                session.add(member)
                session.flush()
            tokens.append(new_api_token(session, member_id=member.id, name="bench", now=now))
        session.commit()
    engine.dispose()
    return tokens


def vote_wrk(base: str, tokens: list[str], ids: list[str], seconds: float) -> dict[str, float]:
    """20 voters for ``seconds``: requests/s, p95 (ms), transport errors, non-2xx answers and "locked" ones."""
    script = WRK_VOTERS % {"tokens": ", ".join(json.dumps(t) for t in tokens),
                           "ids": ", ".join(json.dumps(i) for i in ids)}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    out = subprocess.run(["wrk", "-t", "2", "-c", str(VOTERS), "-d", f"{max(1, round(seconds))}s",
                          "--timeout", "10s", "-s", fh.name, base], capture_output=True, text=True,
                         timeout=seconds + 60)
    Path(fh.name).unlink()
    got = {k: float(v) for k, v in re.findall(r"^(P50|P95|P99|REQUESTS|SECONDS|ERRORS|REFUSED|LOCKED) ([\d.]+)$",
                                              out.stdout, re.M)}
    if "REQUESTS" not in got:
        sys.exit(f"wrk gave no report for the voters:\n{out.stdout}{out.stderr}")
    return {"rps": got["REQUESTS"] / got["SECONDS"], "p95_ms": got["P95"] / 1000, "errors": got["ERRORS"],
            "p50_ms": got["P50"] / 1000, "p99_ms": got["P99"] / 1000,
            "refused": got["REFUSED"], "locked": got["LOCKED"], "requests": got["REQUESTS"]}


def measure(kind: str, data: Path, url: str, n: int, seconds: float) -> dict[str, dict[str, float]]:
    """Readers alone, then readers beside voters, on one database."""
    rng = random.Random(2026)
    ids = arxiv_ids(n)
    reading = ["/", f"/papers/date/{DAY}", "/api/daily_papers",
               *(f"/papers/{pid}" for pid in rng.sample(ids, PAPER_PAGES))]
    mix = WRK_MIX % ", ".join(json.dumps(p) for p in reading)
    tokens = voters(url, data)
    port = free_port()
    env = server_env(data, port, PAPERSTAND_DATABASE_URL=url, PAPERSTAND_SERVE_WORKERS=str(WORKERS))
    with running([sys.executable, "-m", "paperstand", "serve"], port, env) as base:
        for path in reading:  # warm: templates compiled, pages cached once
            fetch(base + path)
        alone = wrk(base + "/", READERS, seconds, mix)
        solo = vote_wrk(base, tokens, rng.sample(ids, min(VOTE_IDS, n)), seconds)
        result: dict[str, dict[str, float]] = {}
        voting = threading.Thread(target=lambda: result.update(
            votes=vote_wrk(base, tokens, rng.sample(ids, min(VOTE_IDS, n)), seconds + 2)))
        voting.start()
        time.sleep(1.0)  # the voters are under way before the readers start
        loaded = wrk(base + "/", READERS, seconds, mix)
        voting.join()
    rows = count_votes(url, data)
    return {"alone": alone, "solo": solo, "loaded": loaded, "votes": result["votes"], "rows": {"n": rows}}


def count_votes(url: str, data: Path) -> int:
    """Rows in ``votes`` after the run (what the voters left)."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from paperstand.community.models import Vote
    from paperstand.db import make_engine

    engine = make_engine(url or f"sqlite:///{data / 'paperstand.db'}")
    with Session(engine) as session:
        rows = int(session.execute(select(func.count()).select_from(Vote)).scalar_one())
    engine.dispose()
    return rows


def report(kind: str, got: dict[str, dict[str, float]]) -> None:
    """Print one database's figures and the verdicts."""
    alone, loaded, votes = got["alone"], got["loaded"], got["votes"]

    def verdict(ok: bool) -> str:
        return "meets" if ok else "MISSES"

    print(f"\n{kind}:")
    print(f"  {READERS} readers alone:           page p95 {alone['p95_ms']:7.1f} ms  {alone['rps']:7,.0f} req/s"
          f"  non-2xx or errors {alone['errors']:.0f}")
    solo = got["solo"]
    print(f"  {VOTERS} voters alone:            vote p95 {solo['p95_ms']:7.1f} ms  {solo['rps']:7,.0f} votes/s"
          f"  not 2xx {solo['refused']:.0f}, \"locked\" {solo['locked']:.0f}")
    print(f"  {READERS} readers beside {VOTERS} voters: page p95 {loaded['p95_ms']:7.1f} ms  "
          f"{loaded['rps']:7,.0f} req/s  non-2xx or errors {loaded['errors']:.0f}"
          f"  ({verdict(loaded['p95_ms'] <= TARGET_PAGE_P95_MS)} <= {TARGET_PAGE_P95_MS:.0f} ms)")
    print(f"  {VOTERS} voters beside readers:   vote p95 {votes['p95_ms']:7.1f} ms  {votes['rps']:7,.0f} votes/s"
          f"  ({verdict(votes['p95_ms'] <= TARGET_VOTE_P95_MS)} <= {TARGET_VOTE_P95_MS:.0f} ms;"
          f" p50 {votes['p50_ms']:.1f}, p99 {votes['p99_ms']:.1f} ms)")
    print(f"  vote answers not 2xx: {votes['refused']:.0f}; \"database is locked\": {votes['locked']:.0f} "
          f"({verdict(votes['locked'] == 0)} zero); transport errors {votes['errors']:.0f}; "
          f"{votes['requests']:,.0f} vote requests, {got['rows']['n']:,} votes stored at the end")


def main() -> None:
    """Build, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, help="seconds per phase (default 60; --quick: 10)")
    parser.add_argument("--quick", action="store_true", help="10,000 papers and 10 s per phase")
    parser.add_argument("--papers", type=int, help="papers in the database (default 100,000; --quick: 10,000)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--workers", type=int, default=1, help="web processes of the serve (default 1)")
    args = parser.parse_args()
    global WORKERS  # noqa: PLW0603 - read by measure(); one run, one setting
    WORKERS = args.workers
    if shutil.which("wrk") is None:
        print("skipped: wrk not installed (apt-get install -y wrk)")
        return
    n = args.papers or (10_000 if args.quick else 100_000)
    seconds = args.seconds or (10.0 if args.quick else 60.0)
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    built = {kind: build(kind, n) for kind in kinds}
    print(f"\n{n:,} papers ({FEATURED} featured on {DAY}); {READERS} readers over 3 listings and {PAPER_PAGES} "
          f"paper pages; {VOTERS} voters via the write API; {seconds:g} s per phase; {WORKERS} serve process(es); "
          f"{cpu_model()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    for kind, found in built.items():
        if found is not None:
            report(kind, measure(kind, *found, n, seconds))


if __name__ == "__main__":
    main()
