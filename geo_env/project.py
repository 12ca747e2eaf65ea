"""Project files (project.toml) and the :class:`District` they load into."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyproj

from .standards import SECTIONS, defaults

__all__ = ["District", "LAYER_NAMES", "load_project"]

#: The vector layers a District may hold, in the order they are read.
LAYER_NAMES = (
    "villages",
    "transfer_stations",
    "sewage_plants",
    "livestock_farms",
    "roads",
    "water",
    "prohibited_zones",
    "farmland",
)


def _default_params() -> dict[str, dict[str, Any]]:
    return {s: defaults(s) for s in SECTIONS}


@dataclass
class District:
    """A district's (区/县) layers, read, validated and in one working CRS.

    Attributes
    ----------
    name
        The project name (``[project] name``).
    crs
        The working CRS: a projected CRS in metres, by default the CGCS2000 3° Gauss-Krüger
        zone (EPSG:4534–4554) of the villages' centroid.
    villages
        Polygons (or points) with canonical columns ``id name township population
        households`` and the anchor coordinates ``anchor_x anchor_y`` (working CRS, m).
    transfer_stations, sewage_plants, livestock_farms, roads, water, prohibited_zones, farmland
        GeoDataFrames in the working CRS with canonical columns, or ``None`` when absent.
    dem
        Path of the DEM GeoTIFF, or ``None``.
    dem_nodata
        A nodata value declared in the project (``[layers.dem] nodata``) that overrides the
        file's, or ``None``.
    params
        ``{"waste": {...}, "sewage": {...}, "livestock": {...}, "roads": {...},
        "villages": {...}}``: the project's settings merged over :mod:`geo_env.standards`.
    lang
        ``"zh"`` or ``"en"``: language of labels, reasons and tables.
    source
        The project file this district was loaded from, if any.
    warnings
        The warnings raised while loading (also emitted as :class:`GeoEnvWarning`).
    """

    name: str
    crs: pyproj.CRS
    villages: gpd.GeoDataFrame
    transfer_stations: gpd.GeoDataFrame | None = None
    sewage_plants: gpd.GeoDataFrame | None = None
    livestock_farms: gpd.GeoDataFrame | None = None
    roads: gpd.GeoDataFrame | None = None
    water: gpd.GeoDataFrame | None = None
    prohibited_zones: gpd.GeoDataFrame | None = None
    farmland: gpd.GeoDataFrame | None = None
    dem: Path | None = None
    dem_nodata: float | None = None
    params: dict[str, dict[str, Any]] = field(default_factory=_default_params)
    lang: str = "zh"
    source: Path | None = None
    warnings: list[str] = field(default_factory=list)
    basemap: str = "none"

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The vector layers that are present, by name."""
        return {n: getattr(self, n) for n in LAYER_NAMES if getattr(self, n) is not None}

    def with_params(self, section: str, **overrides: Any) -> District:
        """A copy with ``params[section]`` updated (layers shared, not copied)."""
        params = copy.deepcopy(self.params)
        params.setdefault(section, {}).update(overrides)
        return replace(self, params=params)

    def __repr__(self) -> str:
        parts = [f"District({self.name!r}, crs=EPSG:{self.crs.to_epsg() or '?'}"]
        for f in fields(self):
            if f.name in LAYER_NAMES:
                gdf = getattr(self, f.name)
                if gdf is not None:
                    parts.append(f"{f.name}={len(gdf)}")
        if self.dem is not None:
            parts.append(f"dem={Path(self.dem).name}")
        return ", ".join(parts) + ")"


def load_project(path: str | Path) -> District:
    """Read a project file and every layer it names into a :class:`District`."""
    raise NotImplementedError("load_project lands with issue 2")
