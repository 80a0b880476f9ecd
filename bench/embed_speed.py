"""Embedding throughput: paperstand's shipped path vs plain sentence-transformers ``encode``, same texts, same run.

    .venv/bin/python bench/embed_speed.py                      # CPU
    PYTHONPATH=src python3 bench/embed_speed.py --device cuda  # a GPU machine (no web stack needed)

On a machine without the model package, point ``PAPERSTAND_MODEL_DIR`` at a copy (``bench/model_copy.py``).

Texts are real arXiv abstracts from ``../shared/data/real/``. Speed: the two paths run alternately ``--repeat``
times on the same ``--n`` abstracts, and the medians are reported. Quality: title → abstract retrieval over
``--mrr-n`` papers (index the abstracts, query with the titles, exact cosine), MRR@10 for both paths.
Targets (issue 4): CPU ≥ 5× plain with MRR@10 within 0.02; GPU ≥ 15,000 abstracts/s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _common import OUT, cpu_model, median, real_abstract_files  # noqa: E402


def load_papers() -> list[tuple[str, str]]:
    """(title, abstract) of every distinct real paper, in a fixed shuffled order."""
    seen: set[str] = set()
    papers: list[tuple[str, str]] = []
    for path in real_abstract_files():
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if rec["id"] in seen or not rec.get("summary"):
                    continue
                seen.add(rec["id"])
                papers.append((" ".join(rec["title"].split()), " ".join(rec["summary"].split())))
    order = np.random.default_rng(0).permutation(len(papers))
    return [papers[i] for i in order]


def mrr_at_10(queries: np.ndarray, docs: np.ndarray) -> float:
    """Query i's relevant document is document i."""
    total = 0.0
    for start in range(0, len(queries), 1024):
        sims = queries[start:start + 1024] @ docs.T
        top = np.argsort(-sims, axis=1)[:, :10]
        for row, i in enumerate(range(start, start + len(top))):
            hit = np.flatnonzero(top[row] == i)
            total += 1.0 / (hit[0] + 1) if hit.size else 0.0
    return total / len(queries)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--n", type=int, default=None, help="abstracts timed per pass (default 512 CPU, 50000 GPU)")
    ap.add_argument("--batch", type=int, default=None, help="batch size of the shipped path (default its own)")
    ap.add_argument("--plain-batch", type=int, default=None,
                    help="batch size of plain encode (default: its own 32 on CPU, --batch on a GPU)")
    ap.add_argument("--repeat", type=int, default=3, help="alternating timed passes of each path")
    ap.add_argument("--mrr-n", type=int, default=None, help="papers for MRR@10 (default 2000 CPU, 20000 GPU; 0 skips)")
    args = ap.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")
    from sentence_transformers import SentenceTransformer

    from paperstand.search import embed_text as emb_text
    from paperstand.search import embedder as emb

    gpu = args.device.startswith("cuda")
    n = args.n or (50000 if gpu else 512)
    mrr_n = args.mrr_n if args.mrr_n is not None else (20000 if gpu else 2000)
    papers = load_papers()
    texts = [a for _, a in papers[:n]]
    while len(texts) < n:  # a small corpus: repeat it
        texts += texts[: n - len(texts)]

    device = emb.resolve_device(args.device)
    if gpu and not device.startswith("cuda"):
        print("skipped: no CUDA device is usable here")
        return
    shipped = emb.Embedder(device, Path(os.environ.get("PAPERSTAND_DATA_DIR", "var")) / "models")
    t0 = time.perf_counter()
    shipped.load()
    print(f"shipped path: {emb.MODEL_ID} on {shipped.device}, loaded in {time.perf_counter() - t0:.1f}s "
          f"(includes building the int8 model on a first run)", flush=True)
    batch = args.batch or shipped._get_backend().batch_size
    plain = SentenceTransformer(str(emb_text.model_dir()), device=device)
    plain.float()  # as loaded from the model package (float32), also when the folder is a float16 copy
    plain_batch = args.plain_batch or (batch if gpu else 32)

    batch_size = batch

    def run_plain(items: list[str]) -> np.ndarray:
        return np.asarray(plain.encode(items, batch_size=plain_batch, convert_to_numpy=True), dtype=np.float32)

    def run_shipped(items: list[str]) -> np.ndarray:
        return shipped.encode(items, batch_size=batch_size)

    def sync() -> None:
        if gpu:
            import torch

            torch.cuda.synchronize()

    warm = texts[: min(len(texts), 256)]
    run_plain(warm)
    run_shipped(warm)

    rates: dict[str, list[float]] = {"plain": [], "shipped": []}
    runners = {"plain": run_plain, "shipped": run_shipped}
    for rep in range(args.repeat):
        for name in (("plain", "shipped") if rep % 2 == 0 else ("shipped", "plain")):
            sync()
            t0 = time.perf_counter()
            runners[name](texts)
            sync()
            rates[name].append(n / (time.perf_counter() - t0))
            print(f"  pass {rep + 1} {name:8s} {rates[name][-1]:9.1f} abstracts/s", flush=True)
    plain_rate, shipped_rate = median(rates["plain"]), median(rates["shipped"])
    ratio = shipped_rate / plain_rate
    # each repeat times both paths back to back: the ratio within a repeat is less exposed to other load
    paired = median([s / p for p, s in zip(rates["plain"], rates["shipped"], strict=True)])

    result: dict[str, object] = {
        "device": device, "gpu_name": None, "n": n, "repeat": args.repeat, "model_id": emb.MODEL_ID,
        "plain_batch": plain_batch, "batch": batch_size,
        "plain_per_s": round(plain_rate, 1), "shipped_per_s": round(shipped_rate, 1), "ratio": round(ratio, 2),
        "paired_ratio": round(paired, 2),
        "cpu_threads": len(os.sched_getaffinity(0)), "cpu_model": cpu_model(),
    }
    if gpu:
        import torch

        result["gpu_name"] = torch.cuda.get_device_name()

    if mrr_n:
        subset = papers[:mrr_n]
        titles, abstracts = [t for t, _ in subset], [a for _, a in subset]
        mrr_plain = mrr_at_10(run_plain(titles), run_plain(abstracts))
        mrr_shipped = mrr_at_10(run_shipped(titles), run_shipped(abstracts))
        result.update(mrr_n=len(subset), mrr_plain=round(mrr_plain, 4), mrr_shipped=round(mrr_shipped, 4),
                      mrr_delta=round(mrr_shipped - mrr_plain, 4))

    print()
    print(f"| path | abstracts/s (median of {args.repeat}) |")
    print("| --- | ---: |")
    print(f"| plain sentence-transformers encode (batch {plain_batch}) | {plain_rate:,.1f} |")
    print(f"| paperstand {emb.MODEL_ID} on {device} | {shipped_rate:,.1f} |")
    print(f"ratio shipped/plain: {ratio:.2f}x of medians, {paired:.2f}x median of paired passes"
          f"  ({n} abstracts, {result['cpu_threads']} CPU threads of {result['cpu_model']}"
          + (f", {result['gpu_name']}" if gpu else "") + ")")
    if mrr_n:
        print(f"title->abstract MRR@10 over {result['mrr_n']} papers: plain {result['mrr_plain']:.4f}, "
              f"shipped {result['mrr_shipped']:.4f}, difference {result['mrr_delta']:+.4f}")
    target = 15000 if gpu else None
    if target:
        print(f"target >= {target:,} abstracts/s: {'met' if shipped_rate >= target else 'NOT met'}")
    else:
        ok = min(ratio, paired) >= 5 and (not mrr_n or abs(float(result["mrr_delta"])) <= 0.02)  # type: ignore[arg-type]
        print(f"target >= 5x with MRR@10 within 0.02: {'met' if ok else 'NOT met'}")
    out_dir = Path(os.environ.get("OUT") or OUT)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"embed_speed_{'cuda' if gpu else 'cpu'}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
