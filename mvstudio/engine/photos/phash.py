"""Perceptual hashes and near-duplicate groups.

Two 64-bit hashes per photo, written here in a few lines of NumPy rather than taken from the
``imagehash`` package (which would add PyWavelets and SciPy imports for the same arithmetic):

* ``phash``: the signs of the 8x8 lowest frequencies of a 32x32 DCT against their median; blur,
  recompression, small crops and brightness changes barely move it;
* ``dhash``: whether each pixel of a 9x8 thumbnail is brighter than its right neighbour.

Two photos are near-duplicates when both hashes are close (``NEAR_PHASH`` / ``NEAR_DHASH`` bits of
64): bursts, re-saves and small crops of one shot; ``duplicate_groups`` joins them transitively.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from PIL import Image

NEAR_PHASH = 14  # bits of 64; unrelated photos differ in ~32
NEAR_DHASH = 18
_N = 32
_DCT = np.sqrt(2.0 / _N) * np.cos(np.pi * (2 * np.arange(_N)[None, :] + 1)
                                  * np.arange(_N)[:, None] / (2 * _N))
_DCT[0] /= np.sqrt(2.0)


def _bits(flags: np.ndarray) -> str:
    """64 booleans as 16 hex digits."""
    return f"{int(''.join('1' if f else '0' for f in flags.ravel()), 2):016x}"


def phash(gray: Image.Image) -> str:
    pixels = np.asarray(gray.resize((_N, _N), Image.Resampling.BOX), dtype=np.float64)
    low = (_DCT @ pixels @ _DCT.T)[:8, :8].ravel()
    return _bits(low > np.median(low[1:]))


def dhash(gray: Image.Image) -> str:
    pixels = np.asarray(gray.resize((9, 8), Image.Resampling.BOX), dtype=np.int16)
    return _bits(pixels[:, 1:] > pixels[:, :-1])


def _popcount(values: np.ndarray) -> np.ndarray:
    return np.unpackbits(values.view(np.uint8).reshape(*values.shape, 8), axis=-1).sum(-1)


def distances(hashes: Sequence[str], other: str) -> np.ndarray:
    """Bits by which each of ``hashes`` differs from ``other``."""
    values = np.array([int(h, 16) for h in hashes], dtype=np.uint64)
    return _popcount(values ^ np.uint64(int(other, 16)))


def duplicate_groups(phashes: Sequence[str], dhashes: Sequence[str]) -> list[int]:
    """A group number per photo; near-duplicates (transitively) share one (the first member's
    index)."""
    n = len(phashes)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    p = np.array([int(h, 16) for h in phashes], dtype=np.uint64)
    d = np.array([int(h, 16) for h in dhashes], dtype=np.uint64)
    for i in range(n - 1):
        near = (_popcount(p[i + 1:] ^ p[i]) <= NEAR_PHASH) & \
            (_popcount(d[i + 1:] ^ d[i]) <= NEAR_DHASH)
        for j in np.flatnonzero(near) + i + 1:
            a, b = root(i), root(int(j))
            parent[max(a, b)] = min(a, b)
    return [root(i) for i in range(n)]
