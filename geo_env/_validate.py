"""Checks of GeoDataFrames that analysts pass to the analyses directly (the loader has
already checked project layers; these keep the same messages for notebook users)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .errors import ColumnNotFoundError, DataValueError, ParameterError, closest, format_rows

__all__ = ["number_column", "township_values"]


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


def township_values(table: Mapping[str, Any], towns: Sequence[str], *, where: str, limits: tuple[float, float],
                    unit: str, hint: str | None = None) -> dict[str, float]:
    """A per-township table of a parameter (``{ 城关镇 = 0.01 }``) checked: every value a
    number within ``limits`` (inclusive, in ``unit``), every key a township of ``towns``
    (else an error suggesting the closest name).  ``where`` names the parameter."""
    lo, hi = limits
    out: dict[str, float] = {}
    for name, value in table.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
            raise ParameterError(f"{where} {name!r} = {value!r} must be a number from {lo:g} to {hi:g} ({unit})",
                                 hint=hint)
        if str(name) not in towns:
            near = closest(str(name), list(towns))
            raise ParameterError(f"{where} {name!r}: no village lies in a township of that name",
                                 hint=f"did you mean {near!r}?" if near else f"townships: {', '.join(towns[:20])}")
        out[str(name)] = float(value)
    return out
