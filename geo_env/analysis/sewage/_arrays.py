"""Array types of the sewage steps' records: one value per village, per plant or per pair."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["Bools", "Floats", "Ints", "Objects"]

#: Floating-point values (their unit is in the field's name or documentation).
Floats = NDArray[np.float64]
#: Integer values: counts, or an index into another array (−1: none).
Ints = NDArray[np.int64]
#: Flags.
Bools = NDArray[np.bool_]
#: Python objects: strings (``None`` where missing) or shapely geometries.
Objects = NDArray[np.object_]
