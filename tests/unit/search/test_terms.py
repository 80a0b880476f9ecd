"""The stored word counts beside each paper's vector: packing, unpacking, and what they count."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperstand.search import terms


def test_pack_then_unpack_is_the_sublinear_counts_of_the_text() -> None:
    texts = ["Tactile grasping with tactile sensors: grasping, grasping.", "", "the and of"]
    back = terms.unpack(terms.pack(texts))
    direct = terms.counts(texts)
    assert back.shape == direct.shape == (3, terms.N_FEATURES)
    assert (back != direct).nnz == 0
    # "grasping" three times: 1 + ln 3; a text of stop words only has no features.
    assert np.isclose(back[0].data.max(), 1 + math.log(3))
    assert back[1].nnz == 0 and back[2].nnz == 0


def test_a_record_is_five_bytes_and_counts_are_capped() -> None:
    (blob,) = terms.pack(["word " * 400])
    assert len(blob) == 2 * terms.RECORD.itemsize  # "word" and the pair "word word"
    assert np.isclose(terms.unpack([blob]).data.max(), 1 + math.log(255))


def test_unpack_refuses_damaged_blobs() -> None:
    (blob,) = terms.pack(["graph networks"])
    with pytest.raises(ValueError, match="whole number"):
        terms.unpack([blob[:-1]])
    bad = np.array([(terms.N_FEATURES, 1)], dtype=terms.RECORD).tobytes()
    with pytest.raises(ValueError, match="out of range"):
        terms.unpack([bad])
    assert terms.unpack([]).shape == (0, terms.N_FEATURES)


@given(st.lists(st.text(max_size=300), max_size=5))
def test_any_text_packs_and_unpacks_as_it_counts(texts: list[str]) -> None:
    assert (terms.unpack(terms.pack(texts)) != terms.counts(texts)).nnz == 0
