"""Harvest new papers: arXiv OAI-PMH (arXivRaw) by category, and Hugging Face daily papers by day.

Each fetched page is stored (and committed) as it arrives, so an interrupted harvest keeps what it got
and a rerun only finds the rest; storing is idempotent, so a rerun reports the rest as unchanged.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, select

from paperstand import jsontext
from paperstand.config import Settings
from paperstand.ingest.arxiv_oai import read_oai_error, read_resumption_token
from paperstand.ingest.fetch import Fetcher, FetchError, fetcher_for
from paperstand.ingest.record import PaperRecord
from paperstand.ingest.run import ImportSummary, import_stream
from paperstand.papers.models import Paper
from paperstand.search.sync import keyword_index_dir

ARXIV, HF = "arxiv-oai", "hf-daily"
SOURCES = (ARXIV, HF)
# Papers per /api/daily_papers request; 100 is the largest page the Hugging Face API serves.
HF_PAGE_SIZE = 100
# A day never has this many pages (HF features ~50 papers a day); the cap stops a server that
# ignores ``p`` from keeping us in a loop of full pages.
HF_MAX_PAGES = 20
# arXiv archives whose OAI-PMH set sits under "physics:" (e.g. hep-th → "physics:hep-th").
PHYSICS_ARCHIVES = frozenset({
    "astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nlin",
    "nucl-ex", "nucl-th", "physics", "quant-ph",
})
OFFLINE_HINT = "import a file instead: paperstand import FILE"

# Called with a one-line message after each page, for progress displays.
HarvestProgress = Callable[[str], None]


@dataclass
class HarvestReport:
    """What a harvest did, per source, and every error worth showing."""

    sources: dict[str, ImportSummary] = field(default_factory=lambda: {s: ImportSummary() for s in SOURCES})
    pages: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    errors: list[str] = field(default_factory=list)
    # True when no source could be reached at all (connection failed on its first request).
    offline: bool = False
    offline_reason: str | None = None

    @property
    def ok(self) -> bool:
        """True when nothing failed and no record was rejected."""
        return not self.errors and not any(s.rejected for s in self.sources.values())

    def lines(self) -> list[str]:
        """One summary line per source, then one line per error."""
        out = []
        for name, s in self.sources.items():
            skipped = f", {s.skipped} skipped (other categories)" if s.skipped else ""
            out.append(f"{name}: {s.new} new, {s.updated} updated, {s.unchanged} unchanged, "
                       f"{s.rejected} rejected{skipped}; {self.pages[name]} pages")
        return out + self.errors


def oai_set(category: str) -> str:
    """The OAI-PMH set holding a category: cs.LG → "cs", hep-th → "physics:hep-th"."""
    archive = category.split(".", 1)[0]
    return f"physics:{archive}" if archive in PHYSICS_ARCHIVES else archive


def oai_sets(categories: Iterable[str]) -> list[str]:
    """The distinct sets to request for some categories, in first-seen order."""
    return list(dict.fromkeys(oai_set(c) for c in categories))


def category_filter(categories: Iterable[str]) -> Callable[[PaperRecord], bool]:
    """A predicate keeping records in any of the categories ("cs" alone means every cs.* category)."""
    wanted = tuple(categories)

    def keep(rec: PaperRecord) -> bool:
        return any(c == w or c.startswith(w + ".") for c in rec.categories for w in wanted)

    return keep


def harvest(engine: Engine, settings: Settings, *, since: date | None, until: date | None = None,
            categories: list[str] | None, progress: HarvestProgress | None = None,
            fetcher: Fetcher | None = None, sources: Iterable[str] = SOURCES) -> HarvestReport:
    """Fetch and store papers changed (arXiv) or featured (HF) from ``since`` to ``until``, inclusive.

    ``since`` defaults to ``settings.harvest_days`` days back, ``until`` to today (UTC), and
    ``categories`` to ``settings.harvest_categories``.
    """
    until = until or datetime.now(UTC).date()
    since = since or until - timedelta(days=max(settings.harvest_days, 1) - 1)
    cats = [c.strip() for c in categories or settings.category_list if c.strip()]
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown harvest source(s): {', '.join(sorted(unknown))}; choose from {SOURCES}")
    run = _Harvest(engine, settings, fetcher or fetcher_for(settings), progress)
    try:
        if since > until:
            run.report.errors.append(f"harvest: since ({since}) is after until ({until}); nothing to do")
            return run.report
        wanted = [s for s in SOURCES if s in set(sources)]  # fixed order: arXiv first, then HF
        if ARXIV in wanted:
            run.arxiv(since, until, cats)
        if HF in wanted:
            run.hf(since, until)
        run.finish(wanted)
    finally:
        if fetcher is None:
            run.fetcher.close()
    return run.report


class _Harvest:
    """State of one harvest: where results go and which sources answered."""

    def __init__(self, engine: Engine, settings: Settings, fetcher: Fetcher,
                 progress: HarvestProgress | None) -> None:
        self.engine, self.settings, self.fetcher, self.progress = engine, settings, fetcher, progress
        self.index_dir = keyword_index_dir(settings.data_dir)  # every page stored lands in keyword search
        self.report = HarvestReport()
        self.reached: set[str] = set()
        self.unreachable: dict[str, str] = {}

    def get(self, source: str, url: str, params: Mapping[str, str]) -> bytes:
        """Fetch one page, remembering that the source answered."""
        data = self.fetcher.get(url, params)
        self.reached.add(source)
        self.report.pages[source] += 1
        return data

    def failed(self, source: str, where: str, exc: Exception) -> None:
        """Record an error; a connection failure before any answer marks the source unreachable."""
        self.report.errors.append(f"{source}: {where}: {exc}")
        if isinstance(exc, FetchError) and exc.connect_failed and source not in self.reached:
            self.unreachable[source] = str(exc)

    def tell(self, source: str, message: str) -> None:
        if self.progress:
            s = self.report.sources[source]
            self.progress(f"{source}: {message} ({s.new} new, {s.updated} updated, {s.unchanged} unchanged)")

    def finish(self, attempted: list[str]) -> None:
        """Offline means every source we tried failed to connect before answering anything."""
        if attempted and all(s in self.unreachable for s in attempted):
            self.report.offline = True
            self.report.offline_reason = self.unreachable[attempted[0]]

    def arxiv(self, since: date, until: date, categories: list[str]) -> None:
        """ListRecords for each set the categories need, keeping only those categories."""
        keep = category_filter(categories)
        for spec in oai_sets(categories):
            try:
                self.arxiv_set(spec, since, until, keep)
            except FetchError as exc:
                self.failed(ARXIV, f"set {spec}", exc)
                if ARXIV in self.unreachable:
                    return  # the other sets live on the same unreachable host

    def arxiv_set(self, spec: str, since: date, until: date, keep: Callable[[PaperRecord], bool]) -> None:
        """Follow one set's resumption tokens, storing each page as it arrives."""
        params = {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "from": since.isoformat(),
                  "until": until.isoformat(), "set": spec}
        for page in itertools.count(1):
            data = self.get(ARXIV, self.settings.arxiv_oai_url, params)
            error = read_oai_error(data)
            if error is not None:
                code, message = error
                if code != "noRecordsMatch":  # an empty result is not a failure
                    self.report.errors.append(f"{ARXIV}: set {spec}: OAI-PMH error {code}: {message}")
                return
            import_stream(self.engine, io.BytesIO(data), f"{ARXIV} set {spec} page {page}", ARXIV,
                          summary=self.report.sources[ARXIV], keep=keep, index_dir=self.index_dir)
            self.tell(ARXIV, f"set {spec} page {page}")
            token = read_resumption_token(data)
            if not token:
                return
            if token == params.get("resumptionToken"):
                self.report.errors.append(f"{ARXIV}: set {spec}: resumptionToken {token!r} repeated; stopped")
                return
            # A resumption request carries only the verb and the token (OAI-PMH 2.0, 3.5).
            params = {"verb": "ListRecords", "resumptionToken": token}

    def hf(self, since: date, until: date) -> None:
        """Daily papers for each day from ``since`` to ``until``."""
        day = since
        while day <= until:
            try:
                self.hf_day(day)
            except (FetchError, ValueError) as exc:
                self.failed(HF, day.isoformat(), exc)
                if HF in self.unreachable:
                    return
            day += timedelta(days=1)

    def hf_day(self, day: date) -> None:
        """Fetch every page of one day, then store them together so positions follow the API's order."""
        url = self.settings.hf_api_url.rstrip("/") + "/api/daily_papers"
        items: list[object] = []
        for page in range(HF_MAX_PAGES):
            data = self.get(HF, url, {"date": day.isoformat(), "limit": str(HF_PAGE_SIZE), "p": str(page)})
            batch = jsontext.loads(data)
            if not isinstance(batch, list):
                raise ValueError(f"expected a JSON array, got {type(batch).__name__}")
            items.extend(batch)
            if len(batch) < HF_PAGE_SIZE:
                break
        if items:
            import_stream(self.engine, io.BytesIO(json.dumps(items).encode()), f"{HF} {day}", HF,
                          featured_on=day, summary=self.report.sources[HF], index_dir=self.index_dir)
        self.tell(HF, f"{day}: {len(items)} papers")


def _database_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(Paper.id).limit(1)).first() is None


class HarvestThread(threading.Thread):
    """The background first harvest; ``report`` is set when it is done."""

    def __init__(self, engine: Engine, settings: Settings, log: logging.Logger,
                 fetcher: Fetcher | None = None) -> None:
        super().__init__(name="paperstand-first-harvest", daemon=True)
        self.engine, self.settings, self.log, self.fetcher = engine, settings, log, fetcher
        self.report: HarvestReport | None = None

    @property
    def status(self) -> str | None:
        """One sentence for the front page while harvesting, or after an offline attempt."""
        if self.is_alive():
            return (f"Fetching the last {self.settings.harvest_days} days of papers from arXiv and "
                    "Hugging Face in the background; reload in a minute.")
        if self.report is not None and self.report.offline:
            return "arXiv and Hugging Face could not be reached, so nothing was harvested."
        return None

    def run(self) -> None:
        """Harvest the last ``harvest_days`` days and log the outcome in as few lines as possible."""
        log = self.log
        log.debug("harvest: database is empty; harvesting the last %d days", self.settings.harvest_days)
        try:
            report = harvest(self.engine, self.settings, since=None, categories=None, fetcher=self.fetcher)
        except Exception:  # a daemon thread has nobody to raise to; say it once and let serve go on
            log.exception("harvest: first harvest failed")
            return
        self.report = report
        if report.offline:
            # One line, not a traceback per request: offline is a normal way to run paperstand.
            log.warning("harvest: arXiv/Hugging Face unreachable (%s); %s",
                        report.offline_reason, OFFLINE_HINT)
            return
        log.info("harvest: first harvest done: %s", "; ".join(report.lines()[:len(SOURCES)]))
        for error in report.errors:
            log.warning("harvest: %s", error)


def first_harvest_in_background(engine: Engine, settings: Settings, log: logging.Logger, *,
                                fetcher: Fetcher | None = None) -> HarvestThread | None:
    """When the database is empty and ``harvest_on_start`` is set, harvest the last days in a thread."""
    if not settings.harvest_on_start or not _database_empty(engine):
        return None
    thread = HarvestThread(engine, settings, log, fetcher)
    thread.start()
    return thread
