"""How the readers warn about the data and name the rows of a vector layer (plumbing)."""

from __future__ import annotations

import warnings
from typing import SupportsInt

import numpy as np

from ..errors import DataWarning

__all__: list[str] = []  # plumbing of the readers


def _feature_row(i: SupportsInt) -> str:
    """How messages name feature ``i`` (0-based) of a vector layer: its row and its FID."""
    return f"{int(i) + 1} (FID {int(i)})"


def _row_labels(n: int) -> np.ndarray:
    """The row label of every feature of a vector layer, as :func:`_feature_row` gives them."""
    i = np.arange(n)
    return np.char.add(np.char.add((i + 1).astype(str), " (FID "), np.char.add(i.astype(str), ")")).astype(object)


def _warn(message: str) -> None:
    """A :class:`~geo_env.errors.DataWarning` about the data, attributed to the caller's caller."""
    warnings.warn(message, DataWarning, stacklevel=3)
