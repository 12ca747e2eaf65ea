"""Before the first step: the ``[sewage]`` parameters and the numeric input columns, validated.

The parameters are the defaults of :mod:`geo_env.standards` (each with its source), then
the project's ``[sewage]`` table, then the caller's overrides (validated one by one).
Numeric columns of the villages and plants layers are read as float arrays; a bad value
is an error naming the layer, the column and the rows.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ... import _validate
from ...errors import ParameterError, closest
from ...io.project import District
from ...standards import PARAMETERS, defaults
from ._arrays import Floats

__all__ = ["Params", "sewage_params", "number_column", "optional_positive"]

#: The ``[sewage]`` parameters by name (units in their names and in :mod:`geo_env.standards`).
Params = dict[str, Any]


def sewage_params(district: District, overrides: dict[str, Any]) -> Params:
    """The ``[sewage]`` parameters: standards' defaults, the project's table, ``overrides``.

    Raises :class:`~geo_env.errors.ParameterError` for an unknown name (suggesting the
    closest), a value out of range, a maximum trench depth not above the minimum, or a
    detour factor below 1.
    """
    out = defaults("sewage")
    out.update(district.params.get("sewage", {}))
    for key, value in overrides.items():
        p = PARAMETERS.get(("sewage", key))
        if p is None:
            hint = closest(key, [k for (s, k) in PARAMETERS if s == "sewage"])
            raise ParameterError(
                f"unknown sewage parameter {key!r}",
                hint=f"did you mean {hint!r}?" if hint else "see geo_env.standards",
            )
        out[key] = p.validate(value)
    if out["max_trench_depth_m"] <= out["min_trench_depth_m"]:
        raise ParameterError(
            f"[sewage] max_trench_depth_m ({out['max_trench_depth_m']} m) must be greater than "
            f"min_trench_depth_m ({out['min_trench_depth_m']} m)")
    if out["detour_factor"] < 1:
        raise ParameterError(f"[sewage] detour_factor must be 1 or more, not {out['detour_factor']}")
    out["candidate_plants"] = int(out["candidate_plants"])
    out["township_growth_rates"] = _township_rates(district, out)
    if out["horizon_year"] < out["base_year"]:
        raise ParameterError(
            f"[sewage] horizon_year ({out['horizon_year']}) must not be before base_year ({out['base_year']})",
            hint="the horizon is the plan's last year; base_year the year of the population figures")
    return out


def _township_rates(district: District, prm: Params) -> dict[str, float]:
    """``township_growth_rates`` checked: numbers within the growth rate's limits, keyed by
    townships the villages have (a name matching none is an error suggesting the closest)."""
    towns = ([str(t) for t in district.villages["township"].dropna().unique()]
             if "township" in district.villages.columns else [])
    return _validate.township_values(dict(prm["township_growth_rates"]), towns, where="[sewage] township_growth_rates",
                           limits=PARAMETERS[("sewage", "population_growth_rate")].limits or (-np.inf, np.inf),
                           unit="share per year",
                           hint="write 0.01 for 1 % a year, -0.005 for a fall of 0.5 % a year")


def number_column(gdf: gpd.GeoDataFrame, column: str, layer: str, *, required: bool = True,
                  blanks: bool = False) -> Floats:
    """A numeric, non-negative column as float array (the shared check of
    :func:`geo_env._validate.number_column`: clear errors naming the rows).

    ``required=False``: a lenient read of an optional column — NaN where the column is
    absent or a value is no number, and the values are not checked.  ``blanks``: empty
    values stay NaN (unknown) instead of being errors.
    """
    if required:
        return _validate.number_column(gdf, column, layer=layer, blanks=blanks)
    if column not in gdf.columns:
        return np.full(len(gdf), np.nan)
    return pd.to_numeric(gdf[column], errors="coerce").to_numpy(dtype=float)


def optional_positive(v: gpd.GeoDataFrame, column: str) -> Floats:
    """An optional numeric villages column; NaN where absent, blank, zero or negative."""
    values = number_column(v, column, "villages", required=False)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(values) & (values > 0), values, np.nan)
