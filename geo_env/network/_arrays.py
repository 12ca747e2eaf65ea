"""Numpy idioms the road network uses everywhere: rows by index, runs of equal keys,
sorted distinct values, and ranges laid end to end (no Python loop per element)."""

from __future__ import annotations

import numpy as np


def _take(a: np.ndarray, i: np.ndarray) -> np.ndarray:
    """Rows ``i`` of a 2-D array (``np.take`` is several times faster than ``a[i]``)."""
    return np.take(a, i, axis=0)


def _group_starts(*keys: np.ndarray) -> np.ndarray:
    """True at the first element of each run of equal keys (arrays sorted by the keys)."""
    n = len(keys[0])
    start = np.ones(n, dtype=bool)
    for k in keys:
        start[1:] &= k[1:] == k[:-1]
    start[1:] = ~start[1:]
    return start


def _unique(x: np.ndarray) -> np.ndarray:
    """Sorted distinct values (``np.unique`` of numpy 2.4 hashes when asked for no more
    than the values, and takes seconds on millions of large integers)."""
    x = np.sort(x)
    return x[np.r_[True, x[1:] != x[:-1]]] if len(x) else x


def _ranges(start: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``k`` repeated ``count[k]`` times, with ``start[k], start[k] + 1, ...``."""
    k = np.repeat(np.arange(len(start)), count)
    return k, np.arange(len(k)) - np.repeat(np.cumsum(count) - count - start, count)
