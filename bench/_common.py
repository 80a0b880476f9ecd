"""Helpers shared by the benchmarks: locating the shared real data, timing, medians."""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PAPERSTAND_SHARED_DIR", ROOT.parent / "shared"))
REAL = SHARED / "data" / "real"
OUT = ROOT / "bench" / "out"


def real_abstract_files() -> list[Path]:
    """The daily-arXiv JSON-lines files of real cs.* papers, or exit cleanly when absent."""
    files = sorted((REAL / "arxiv-metadata" / "daily-arxiv-ai-enhanced").glob("papers_*.jsonl"))
    if not files:
        print(f"skipped: real data not found under {REAL} (set PAPERSTAND_SHARED_DIR)")
        sys.exit(0)
    return files


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def real_sentences_and_titles(limit_papers: int = 30000) -> tuple[list[str], list[str], list[list[str]]]:
    """Sentences, titles and author lists taken from real abstracts."""
    sentences, titles, authors = [], [], []
    for path in real_abstract_files():
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                titles.append(" ".join(rec["title"].split()))
                authors.append(rec.get("authors") or ["Anonymous"])
                sentences.extend(s for s in _SENTENCE.split(" ".join(rec["summary"].split())) if len(s) > 20)
                if len(titles) >= limit_papers:
                    return sentences, titles, authors
    return sentences, titles, authors


def median(values: list[float]) -> float:
    """Median of a non-empty list."""
    return statistics.median(values)


def iter_chunks(items: list, size: int) -> Iterator[list]:
    """Consecutive slices of ``size`` items."""
    for i in range(0, len(items), size):
        yield items[i:i + size]


def cpu_model() -> str:
    """The processor's name (figures move with it: int8 speed depends on the vector instructions it has)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            info = fh.read()
    except OSError:
        return "unknown"
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")),
                "unknown")
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    vnni = [f for f in flags if "vnni" in f or f.startswith("amx")]
    return f"{name} ({', '.join(vnni) if vnni else 'no VNNI/AMX'})"
