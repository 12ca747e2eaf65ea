"""Checks of GeoDataFrames that analysts pass to the analyses directly (the loader has
already checked project layers; these keep the same messages for notebook users)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from .errors import ColumnNotFoundError, DataValueError, closest, format_rows

__all__ = ["number_column"]


def number_column(gdf: gpd.GeoDataFrame | pd.DataFrame, column: str, *, layer: str,
                  required: bool = True, what: str = "a number of 0 or more",
                  blanks: bool = False) -> np.ndarray:
    """The column as a float array; every value must be a finite number ≥ 0.

    A missing column is an error when ``required`` (naming the closest column), else all
    NaN. Bad values raise :class:`DataValueError` naming the first bad row (1-based) and
    listing the others. ``blanks``: empty values (None, NaN) are allowed and stay NaN
    (unknown); text that is no number still is an error.
    """
    if column not in gdf.columns:
        if not required:
            return np.full(len(gdf), np.nan)
        hint = closest(column, [str(c) for c in gdf.columns])
        raise ColumnNotFoundError(
            f"the layer has no column '{column}'", layer=layer, column=column,
            hint=(f"did you mean '{hint}'? map it in [layers.{layer}] columns" if hint
                  else f"map it in [layers.{layer}] columns"))
    values = pd.to_numeric(gdf[column], errors="coerce").to_numpy(dtype=float)
    wrong = ~np.isfinite(values) | (values < 0)
    if blanks:
        wrong &= ~gdf[column].isna().to_numpy()
    bad = np.flatnonzero(wrong)
    if len(bad):
        i = int(bad[0])
        others = f" (bad rows: {format_rows([int(b) + 1 for b in bad])})" if len(bad) > 1 else ""
        raise DataValueError(f"{column} must be {what}, not {gdf[column].iloc[i]!r}{others}",
                             layer=layer, column=column, row=i + 1, hint="fix or remove those rows")
    return values
