"""Login timing: a wrong password, an unknown user name and an unknown address must take the same time.

RELIABILITY 11: an attacker who times the login form must not learn which addresses have accounts. An
unknown account still runs one argon2 verification against a hash with the same parameters, so the three
failing cases cost the same; this prints their medians over real HTTP requests (in-process, SQLite) and the
largest ratio between them. Usage: ``python bench/login_timing.py [ROUNDS]`` (default 30).
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from _common import cpu_model, median
from paperstand.app import create_app
from paperstand.config import Settings

PASSWORD = "correct horse battery staple"
CASES = {"wrong password": ("ada", "not the password"), "unknown name": ("nobody", "not the password"),
         "unknown address": ("nobody@example.org", "not the password"), "right password": ("ada", PASSWORD)}


def main(rounds: int) -> None:
    """Time each case ``rounds`` times, interleaved so that drift hits them alike."""
    folder = Path(tempfile.mkdtemp())
    settings = Settings(database_url=f"sqlite:///{folder / 'p.db'}", data_dir=folder, harvest_on_start=False,
                        mail_url="memory:bench", login_failures="1000000 per minute", rate_limits="off")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/join").text).group(1)  # type: ignore[union-attr]
        client.post("/join", data={"email": "ada@example.org", "name": "ada", "password": PASSWORD, "csrf": csrf})
        times: dict[str, list[float]] = {case: [] for case in CASES}
        for _ in range(rounds):
            for case, (login, password) in CASES.items():
                client.cookies.delete("ps_session")
                started = time.perf_counter()
                client.post("/login", data={"login": login, "password": password, "csrf": csrf})
                times[case].append(time.perf_counter() - started)
    medians = {case: median(values) * 1000 for case, values in times.items()}
    print(f"login timing, {rounds} rounds, {cpu_model()}")
    for case, ms in medians.items():
        print(f"  {case:16} {ms:7.1f} ms")
    failing = [medians[c] for c in ("wrong password", "unknown name", "unknown address")]
    print(f"  largest ratio between the failing cases: {max(failing) / min(failing):.2f} (1.00 is ideal)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
