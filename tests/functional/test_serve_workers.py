"""``serve --workers N``: several processes behind one port, the recurring jobs in exactly one of them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import _free_port

from paperstand.config import Settings
from paperstand.worker.inprocess import claim_jobs, release_jobs

HOLD = ("import sys, time; from pathlib import Path; from paperstand.config import Settings; "
        "from paperstand.worker.inprocess import claim_jobs; "
        "print(claim_jobs(Settings(data_dir=Path(sys.argv[1]))), flush=True); time.sleep(60)")


def test_one_process_of_a_data_folder_leads(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "True"
        assert claim_jobs(Settings(data_dir=tmp_path)) is False
        # Another folder is led on its own.
        assert claim_jobs(Settings(data_dir=tmp_path / "other")) is True
        release_jobs(Settings(data_dir=tmp_path / "other"))
    finally:
        holder.kill()
        holder.wait()
    # The leader is gone, however it ended: the kernel dropped its lock and another process takes over.
    settings = Settings(data_dir=tmp_path)
    assert claim_jobs(settings) is True
    release_jobs(settings)


def test_serve_with_two_workers_answers_and_runs_the_jobs_once(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PAPERSTAND_DATA_DIR": str(tmp_path / "var"), "PAPERSTAND_PORT": str(port),
           "PAPERSTAND_HARVEST_ON_START": "false", "PAPERSTAND_WORKER": "on", "PAPERSTAND_LOG_LEVEL": "INFO",
           # The harvest job must never reach the network: a closed local port.
           "PAPERSTAND_ARXIV_OAI_URL": "http://127.0.0.1:9/oai", "PAPERSTAND_HF_API_URL": "http://127.0.0.1:9"}
    env.pop("PAPERSTAND_DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "paperstand", "serve", "--workers", "2"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        answers = 0
        while time.monotonic() < deadline and answers < 20:
            assert proc.poll() is None, "serve exited"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/daily_papers?limit=1", timeout=5) as r:
                    answers += r.status == 200
            except OSError:
                time.sleep(0.3)
        assert answers == 20
        time.sleep(3)  # both processes have started their apps by now
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert "2 web processes share the port" in err
    assert err.count("in-process worker:") == 1, err[-3000:]
    assert err.count("background jobs run in another serve process") == 1, err[-3000:]
