"""A process ending while a background thread is inside torch exits cleanly, instead of aborting."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys, threading, time
import torch
from paperstand.exit_wait import finish_before_exit

weights, rows = torch.randn(50000, 384), torch.randint(0, 50000, (20000,))

def model_work():  # as the model's warm-up: torch calls that release the interpreter
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        torch.nn.functional.embedding(rows, weights)

thread = threading.Thread(target=model_work, daemon=True)
thread.start()
if sys.argv[1] == "waited":
    finish_before_exit(thread)
time.sleep(0.3)  # the thread is inside torch when the interpreter starts to shut down
"""


def _exit(mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=120)


def test_the_exit_waits_for_a_thread_inside_torch() -> None:
    done = _exit("waited")
    assert done.returncode == 0, done.stderr
    assert "terminate called" not in done.stderr


def test_without_the_wait_the_process_aborts() -> None:
    """The failure the wait prevents (checked, so the test above is known to be able to fail)."""
    codes = [_exit("not waited").returncode for _ in range(3)]
    assert -6 in codes or 134 in codes, codes
