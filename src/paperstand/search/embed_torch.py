"""The CUDA engine: the PyTorch model in fp16 on the GPU, fed by tokenizer processes that work ahead of it."""

from __future__ import annotations

import os
import weakref
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from paperstand.search.embed_text import (
    CPU_BATCH_SIZE,
    CUDA_BATCH_SIZE,
    DIM,
    Progress,
    encode_exact,
    length_order,
    load_transformer,
    model_dir,
    tokenize,
    tokenizer,
    usable_cpus,
)

_WORKER_TOKENIZER: Any = None


def worker_start(path: str) -> None:
    """Tokenizer process set-up: one tokenizer, single-threaded (the pool is the parallelism)."""
    global _WORKER_TOKENIZER
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    _WORKER_TOKENIZER = tokenizer(Path(path))


def worker_ids(texts: list[str]) -> np.ndarray:
    """Padded word-piece ids (int32) of a batch, in a tokenizer process; the mask is ``ids != 0``."""
    enc = encode_exact(_WORKER_TOKENIZER, texts)
    return np.array([e.ids for e in enc], dtype=np.int32)


class TorchBackend:
    """PyTorch (fp16 on CUDA), tokenizing ahead of the device so that it is never starved.

    On CUDA the tokenizer runs in a pool of worker processes: threads would contend with the thread that feeds
    the GPU for the interpreter lock (turning the tokenizer's output into arrays is Python work), and that
    contention, not the GPU, set the pace. On the CPU (tests, a fallback) a thread pool is enough.
    """

    batch_size = CUDA_BATCH_SIZE

    def __init__(self, device: str, tokenizer_threads: int | None = None,
                 tokenizer_processes: int | None = None, model_path: Path | None = None) -> None:
        import torch

        self.torch = torch
        self.device = device
        self.cuda = device.startswith("cuda")
        dtype = torch.float16 if self.cuda else torch.float32
        self.model_path = model_dir(model_path)
        self.model = load_transformer("sdpa", self.model_path).to(device=device, dtype=dtype).eval()
        self.tokenizer = tokenizer(self.model_path)
        self.threads = tokenizer_threads or max(2, min(8, usable_cpus()))
        if tokenizer_processes is None:
            # leave a core to the thread that feeds the GPU
            tokenizer_processes = max(2, min(14, usable_cpus() - 2)) if self.cuda else 0
        self.processes = tokenizer_processes
        self._pool: ProcessPoolExecutor | None = None
        if not self.cuda:
            self.batch_size = CPU_BATCH_SIZE

    def _executor(self) -> ThreadPoolExecutor | ProcessPoolExecutor:
        if not self.processes:
            return ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="tokenize")
        if self._pool is None:
            import multiprocessing

            # spawn, not fork: a forked child of a process that has initialised CUDA is unusable
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes, mp_context=multiprocessing.get_context("spawn"),
                initializer=worker_start, initargs=(str(self.model_path),),
            )
            weakref.finalize(self, self._pool.shutdown, wait=False, cancel_futures=True)
        return self._pool

    def _prepare(self, texts: list[str]) -> np.ndarray:
        ids, _ = tokenize(self.tokenizer, texts)
        return ids

    def encode(self, texts: Sequence[str], batch_size: int, progress: Progress | None) -> np.ndarray:
        torch = self.torch
        order = length_order(texts)
        batches = [order[i:i + batch_size] for i in range(0, len(texts), batch_size)]
        results: list[tuple[np.ndarray, Any]] = []
        executor = self._executor()
        work = worker_ids if self.processes else self._prepare
        ahead = 2 * (self.processes or self.threads)
        try:
            pending: deque[tuple[np.ndarray, Future[np.ndarray]]] = deque()
            upcoming = iter(batches)

            def submit() -> None:
                nxt = next(upcoming, None)
                if nxt is not None:
                    pending.append((nxt, executor.submit(work, [texts[i] for i in nxt])))

            for _ in range(ahead):
                submit()
            with torch.inference_mode():
                while pending:
                    idx, fut = pending.popleft()
                    submit()
                    t_ids = torch.from_numpy(fut.result())
                    if self.cuda:
                        t_ids = t_ids.pin_memory()
                    ids = t_ids.to(self.device, non_blocking=True).long()
                    mask = (ids != 0).long()  # [PAD] is id 0 and no text piece has it
                    hidden = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
                    weights = mask.unsqueeze(-1).to(hidden.dtype)
                    pooled = (hidden * weights).sum(1).float() / weights.sum(1).float().clamp(min=1e-9)
                    results.append((idx, torch.nn.functional.normalize(pooled, p=2.0, dim=1)))
                    if progress is not None:
                        progress(len(idx))
        finally:
            if isinstance(executor, ThreadPoolExecutor):
                executor.shutdown(wait=True, cancel_futures=True)
        out = np.empty((len(texts), DIM), dtype=np.float32)
        if results:
            stacked = torch.cat([r for _, r in results]).cpu().numpy()
            out[np.concatenate([i for i, _ in results])] = stacked
        return out

