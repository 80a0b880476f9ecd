"""The embedding engine: shapes, unit vectors, agreement with the plain model, the artifact cache, offline."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest

from paperstand.search import embed_onnx as onnx
from paperstand.search import embed_text as text
from paperstand.search import embed_torch as torch_engine
from paperstand.search import embedder as emb

SENTENCES = [
    "We propose a graph neural network that predicts molecular properties from atom and bond features.",
    "A diffusion model generates high-resolution images conditioned on short text prompts.",
    "Reinforcement learning agents learn to play board games through self-play without human data.",
    "This paper studies the sample complexity of learning halfspaces under label noise.",
    "Large language models can be fine-tuned with a few thousand instructions to follow user requests.",
    "Weather forecasts from a transformer trained on reanalysis data beat numerical models at ten days.",
]


class _NoNetwork(Exception):
    pass


def _refuse(*args: object, **kwargs: object) -> None:
    raise _NoNetwork("network access attempted")


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def embedder(cache_dir: Path) -> emb.Embedder:
    """A CPU embedder whose artifact is built (and model loaded) with every socket refused."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", _refuse)
        mp.setattr(socket, "create_connection", _refuse)
        mp.setattr(socket, "getaddrinfo", _refuse)
        e = emb.Embedder("cpu", cache_dir=cache_dir)
        e.encode(SENTENCES[:1])
    return e


@pytest.fixture(scope="module")
def plain_vectors() -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(text.model_dir()), device="cpu")
    return np.asarray(model.encode(SENTENCES), dtype=np.float32)


def test_shape_dtype_and_unit_length(embedder: emb.Embedder) -> None:
    vecs = embedder.encode(SENTENCES)
    assert vecs.shape == (len(SENTENCES), 384) == (len(SENTENCES), embedder.dim)
    assert vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert embedder.encode([]).shape == (0, 384)
    assert embedder.encode_one(SENTENCES[0]).shape == (384,)


def test_deterministic_and_independent_of_batching(embedder: emb.Embedder) -> None:
    a = embedder.encode(SENTENCES)
    b = embedder.encode(SENTENCES)
    np.testing.assert_array_equal(a, b)
    # int8 activations are scaled per batch, so batch company moves a vector a little, never by much
    alone = np.stack([embedder.encode_one(s) for s in SENTENCES])
    assert np.all((alone * a).sum(axis=1) > 0.985)
    reordered = embedder.encode(SENTENCES[::-1], batch_size=2)[::-1]
    assert np.all((reordered * a).sum(axis=1) > 0.985)


def test_fast_path_agrees_with_plain_model(embedder: emb.Embedder, plain_vectors: np.ndarray) -> None:
    cos = (embedder.encode(SENTENCES) * plain_vectors).sum(axis=1)
    assert np.all(cos > 0.98), cos
    # and it still ranks by meaning: each sentence is nearest to itself among the plain vectors
    sims = embedder.encode(SENTENCES) @ plain_vectors.T
    assert list(sims.argmax(axis=1)) == list(range(len(SENTENCES)))


def test_torch_pipeline_agrees_with_plain_model(plain_vectors: np.ndarray) -> None:
    """The GPU path's code (thread-pool tokenization, prefetch, pooling), run here on the CPU in fp32."""
    backend = torch_engine.TorchBackend("cpu", tokenizer_threads=2)
    done: list[int] = []
    vecs = backend.encode(SENTENCES, batch_size=2, progress=done.append)
    assert sum(done) == len(SENTENCES)
    assert vecs.dtype == np.float32 and vecs.shape == (len(SENTENCES), 384)
    assert np.all((vecs * plain_vectors).sum(axis=1) > 0.999)


def test_torch_pipeline_with_tokenizer_processes(plain_vectors: np.ndarray) -> None:
    """The pool of tokenizer processes the CUDA path uses gives the same vectors as in-process tokenizing."""
    backend = torch_engine.TorchBackend("cpu", tokenizer_processes=2)
    vecs = backend.encode(SENTENCES, batch_size=3, progress=None)
    assert np.all((vecs * plain_vectors).sum(axis=1) > 0.999)
    again = backend.encode(SENTENCES[::-1], batch_size=3, progress=None)[::-1]  # the pool is reused
    np.testing.assert_allclose(again, vecs, atol=1e-5)


def test_prefix_tokenizing_is_exact() -> None:
    """Encoding a whitespace-cut prefix gives the same word pieces as encoding the whole text."""
    tok = text.tokenizer(text.model_dir())
    long_words = "representation " * 120  # about 15 characters a piece: the prefix falls short, redone whole
    texts = [
        " ".join(SENTENCES) * 4,  # long, ordinary prose: the prefix is enough
        long_words,
        "x" * 3000,  # no whitespace to cut at
        "short text",
        "α-β γ-δ: ∑ over k of f(k) — naïve café résumé " * 40,
    ]
    assert text.prefix(texts[0]) != texts[0] and text.prefix(texts[3]) == texts[3]
    ids, mask = text.tokenize(tok, texts)
    whole = tok.encode_batch(texts)
    assert ids.tolist() == [e.ids for e in whole]
    assert mask.tolist() == [e.attention_mask for e in whole]
    assert ids.shape[1] == text.MAX_SEQ_LENGTH
    assert not np.any((ids == 0) & (mask == 1))  # the mask the CUDA path derives from ids is the same
    worker_ids = None
    torch_engine.worker_start(str(text.model_dir()))
    worker_ids = torch_engine.worker_ids(texts[3:4] + texts[1:2])
    assert worker_ids.tolist() == [e.ids for e in tok.encode_batch(texts[3:4] + texts[1:2])]


def test_progress_counts_every_text(embedder: emb.Embedder) -> None:
    done: list[int] = []
    embedder.encode(SENTENCES * 3, batch_size=4, progress=done.append)
    assert sum(done) == len(SENTENCES) * 3
    assert len(done) == 5


def test_artifact_is_cached_and_reused(embedder: emb.Embedder, cache_dir: Path, monkeypatch) -> None:
    artifact = onnx.artifact_path(cache_dir)
    assert artifact.is_file() and artifact.parent == cache_dir
    assert [p.name for p in cache_dir.iterdir()] == [artifact.name]  # no temporary leftovers
    monkeypatch.setattr(onnx, "_export_onnx", _refuse)
    assert onnx.ensure_artifact(cache_dir) == artifact
    fresh = emb.Embedder("cpu", cache_dir=cache_dir)  # a second process would load, not rebuild
    np.testing.assert_array_equal(fresh.encode(SENTENCES[:2]), embedder.encode(SENTENCES[:2]))


def test_artifact_rebuilt_atomically_when_missing(tmp_path: Path, monkeypatch) -> None:
    seen: dict[str, object] = {}

    def fake_export(target: Path, model_path: Path) -> None:
        seen["tmp_dir"] = target.parent
        seen["final_during_build"] = onnx.artifact_path(tmp_path).exists()
        target.write_bytes(b"fp32")

    def fake_quantise(src: Path, target: Path) -> None:
        target.write_bytes(src.read_bytes() + b"->int8")

    monkeypatch.setattr(onnx, "_export_onnx", fake_export)
    monkeypatch.setattr(onnx, "_quantise", fake_quantise)
    final = onnx.ensure_artifact(tmp_path)
    assert final.read_bytes() == b"fp32->int8"
    assert seen["final_during_build"] is False
    assert Path(str(seen["tmp_dir"])).parent == tmp_path  # built beside its place, then renamed
    assert [p.name for p in tmp_path.iterdir()] == [final.name]

    final.unlink()  # deleted: built again
    assert onnx.ensure_artifact(tmp_path).read_bytes() == b"fp32->int8"


def test_failed_build_leaves_nothing_behind(tmp_path: Path, monkeypatch) -> None:
    def broken_quantise(src: Path, target: Path) -> None:
        target.write_bytes(b"half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(onnx, "_export_onnx", lambda target, model_path: target.write_bytes(b"fp32"))
    monkeypatch.setattr(onnx, "_quantise", broken_quantise)
    with pytest.raises(RuntimeError):
        onnx.ensure_artifact(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_get_embedder_is_lazy_and_shared(tmp_path: Path) -> None:
    e = emb.get_embedder("cpu", cache_dir=tmp_path)
    assert e is emb.get_embedder("cpu", cache_dir=tmp_path)
    assert not e.loaded
    assert list(tmp_path.iterdir()) == []  # nothing built before first use
    assert e.model_id == emb.MODEL_ID and "MiniLM" in e.model_id and e.dim == 384


def test_settings_name_the_model_and_cache_folders(tmp_path: Path) -> None:
    """No environment is read: the settings passed in decide where the model and its built graph live."""
    from paperstand.config import Settings

    settings = Settings(data_dir=tmp_path / "data", model_dir=text.model_dir())
    e = emb.embedder_for(settings)
    assert e.cache_dir == tmp_path / "data" / "models" and e.model_path == text.model_dir()
    assert e is emb.embedder_for(settings) and e.requested_device == "cpu"
    with pytest.raises(FileNotFoundError, match="no model files"):
        text.model_dir(tmp_path)


def test_device_resolution(monkeypatch) -> None:
    monkeypatch.setattr(emb, "_cuda_available", lambda: False)
    assert emb.resolve_device("auto") == "cpu"
    assert emb.resolve_device("cuda") == "cpu"  # falls back without a GPU
    assert emb.resolve_device("cpu") == "cpu"
    monkeypatch.setattr(emb, "_cuda_available", lambda: True)
    assert emb.resolve_device("auto") == "cuda"
    assert emb.resolve_device("cuda:1") == "cuda:1"
    with pytest.raises(ValueError):
        emb.resolve_device("tpu")


def test_paper_text() -> None:
    assert emb.paper_text("  Attention  Is All\nYou Need ", "The dominant  models...") == (
        "Attention Is All You Need. The dominant models..."
    )
    assert emb.paper_text("Why?", "Because.") == "Why? Because."
    assert emb.paper_text("Only a title", None) == "Only a title"
    assert emb.paper_text(None, " Only an abstract ") == "Only an abstract"


def test_batches_side_by_side_give_the_same_vectors(embedder: emb.Embedder) -> None:
    """The CPU path runs batches on a thread per core; each batch's vectors are those of running it alone."""
    backend = embedder._get_backend()
    assert isinstance(backend, onnx.OnnxBackend)
    texts = [f"{s} Variant {i}." for i in range(4) for s in SENTENCES]
    workers = backend.workers
    try:
        backend.workers = max(2, workers)  # side by side even on a one-core machine
        side_by_side = backend.encode(texts, batch_size=5, progress=None)
        backend.workers = 1
        one_by_one = backend.encode(texts, batch_size=5, progress=None)
    finally:
        backend.workers = workers
    np.testing.assert_array_equal(side_by_side, one_by_one)
