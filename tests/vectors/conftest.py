"""Shared helpers for the vectors tests: hypothesis strategies for board data."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from fwparity.vectors import BoardData

FLAG_NAMES = ("valid", "strobe", "start_of_orbit", "start_of_packet", "end_of_packet")


@st.composite
def boards(draw: st.DrawFn, *, max_links: int = 6, max_frames: int = 12, strobe: bool = True) -> BoardData:
    """Random links (unsorted, sparse indices up to 130: q/c and 3-digit fields), flags and words."""
    links = draw(st.lists(st.integers(0, 130), min_size=1, max_size=max_links, unique=True))
    n_frames = draw(st.integers(0, max_frames))
    shape = (len(links), n_frames)
    words = draw(
        st.lists(st.integers(0, 2**64 - 1), min_size=shape[0] * shape[1], max_size=shape[0] * shape[1])
    )
    data = np.array(words, dtype=np.uint64).reshape(shape)
    flags = {}
    for name in FLAG_NAMES:
        bits = draw(st.lists(st.booleans(), min_size=data.size, max_size=data.size))
        flags[name] = np.array(bits, dtype=bool).reshape(shape)
    if not strobe:
        flags["strobe"][:] = True
    name = draw(st.sampled_from(["CMSSW", "board_7"]))
    return BoardData(np.array(links), data, name=name, **flags)
