"""The :class:`District`: a district's layers, read, validated and in one working CRS.

Every assignment of the working CRS or of a layer is checked, also after construction: the
CRS must be projected in metres and fit the district (:func:`geo_env.crs.check_scale`),
every layer must be in it, and the villages' anchors must lie in the villages' CRS.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from .. import crs as _crs
from .._choices import BASEMAPS, LANGS
from .._display import Table, html_card, number
from ..errors import CRSError, EmptyLayerError, ProjectFileError
from ..labels import label
from ..standards import SECTIONS, defaults

__all__ = ["District", "LAYER_NAMES", "crs_text", "geometry_types"]

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
    "waste_facilities",
    "collection_points",
    "households",
    "buildings",
)


def _check_anchor_columns(villages: gpd.GeoDataFrame) -> None:
    """``anchor_x``/``anchor_y`` must lie in the villages' CRS (stale after ``to_crs``)."""
    if "anchor_x" not in villages.columns or "anchor_y" not in villages.columns or not len(villages):
        return
    xy = villages[["anchor_x", "anchor_y"]].to_numpy(dtype=float)
    xy = xy[np.isfinite(xy).all(axis=1)]
    if not len(xy):
        return
    x0, y0, x1, y1 = villages.total_bounds
    m = _crs.FAR_OUTSIDE_M
    if xy[:, 0].min() < x0 - m or xy[:, 0].max() > x1 + m or xy[:, 1].min() < y0 - m or xy[:, 1].max() > y1 + m:
        raise CRSError(
            "the villages' anchor_x/anchor_y do not lie in the villages' CRS (were the villages reprojected "
            "without them?)", layer="villages",
            hint="drop the anchor_x/anchor_y columns to derive anchors from the polygons, or reproject them too",
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
    waste_facilities, collection_points, households, buildings
        The waste chain's layers (treatment facilities; collection points; households or
        buildings, points or polygons), or ``None`` when absent.
    dem
        Path of the DEM GeoTIFF, or ``None``.
    dem_nodata
        A nodata value declared in the project (``[layers.dem] nodata``) that overrides the
        file's, or ``None``.
    dem_crs
        The DEM's CRS when the project declares it (``[layers.dem] crs``, for GeoTIFFs
        without one), else ``None`` (the file's own CRS is used).
    params
        ``{"waste": {...}, "sewage": {...}, "livestock": {...}, "roads": {...},
        "villages": {...}}``: the project's settings merged over :mod:`geo_env.standards`.
    lang
        ``"zh"`` or ``"en"``: language of labels, reasons and tables.
    source
        The project file this district was loaded from, if any.
    warnings
        The warnings raised while loading (also emitted as :class:`GeoEnvWarning`).
    inputs
        The resolved paths of the project file and of every file it names (empty when the
        district was not loaded from a project): :meth:`Plan.save` refuses an output folder
        that is or holds one of them.
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
    waste_facilities: gpd.GeoDataFrame | None = None
    collection_points: gpd.GeoDataFrame | None = None
    households: gpd.GeoDataFrame | None = None
    buildings: gpd.GeoDataFrame | None = None
    dem: Path | None = None
    dem_nodata: float | None = None
    dem_crs: pyproj.CRS | None = None
    params: dict[str, dict[str, Any]] = field(default_factory=_default_params)
    lang: str = "zh"
    source: Path | None = None
    warnings: list[str] = field(default_factory=list)
    basemap: str = "none"
    inputs: tuple[Path, ...] = ()

    def __setattr__(self, key: str, value: Any) -> None:
        """Every assignment of the CRS or a layer is checked, also after construction
        (``d.water = water.to_crs(4326)`` is an error, not wrong distances later)."""
        if key == "crs":
            value = _crs.projected_metric_crs(value)
        elif key in LAYER_NAMES and value is not None and "crs" in self.__dict__:
            _crs.require_crs(value, self.crs, layer=key)
            if key == "villages":
                _check_anchor_columns(value)
        object.__setattr__(self, key, value)

    def __post_init__(self) -> None:
        if not len(self.villages):
            raise EmptyLayerError("the district has no villages", layer="villages",
                                  hint="give a villages layer with at least one village")
        lon, lat = _lonlat_centre(self.villages)
        if np.isfinite([lon, lat]).all():
            _crs.check_scale(self.crs, lon, lat)
        if self.lang not in LANGS:
            raise ProjectFileError(f"lang = {self.lang!r} is not one of {', '.join(LANGS)}")
        if self.basemap not in BASEMAPS:
            raise ProjectFileError(f"basemap = {self.basemap!r} is not one of {', '.join(BASEMAPS)}")

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

    def _repr_html_(self) -> str:
        """Jupyter: the district's name, working CRS, villages and people, and its layers
        (features, geometry types, columns), its warnings collapsed; every text escaped."""
        lang = self.lang
        v = self.villages
        facts = [(label("display.working_crs", lang), crs_text(self.crs)),
                 (label("display.townships", lang), number(v["township"].nunique() if "township" in v else None)),
                 (label("display.villages", lang), number(len(v))),
                 (label("display.population", lang), number(_column_total(v, "population"))),
                 (label("display.households", lang), number(_column_total(v, "households"))),
                 (label("display.dem", lang), Path(self.dem).name if self.dem is not None else "—"),
                 (label("display.project_file", lang), str(self.source) if self.source is not None else "—")]
        rows = [(f"{label(name, lang)} ({name})", number(len(gdf)), geometry_types(gdf), number(len(gdf.columns) - 1))
                for name, gdf in self.layers().items()]
        layers = Table(label("display.layers", lang), (label("display.layer", lang), label("display.features", lang),
                                                       label("display.geometry", lang), label("display.columns", lang)),
                       rows)
        title = label("display.title", lang).format(kind=label("display.district", lang), name=self.name)
        return html_card(title, facts, [layers],
                         notes=self.warnings, notes_title=label("display.warnings", lang))


def crs_text(crs: pyproj.CRS) -> str:
    """``EPSG:4548 · CGCS2000 / 3-degree Gauss-Kruger CM 117E`` (the name alone without a code)."""
    code = crs.to_epsg()
    return f"EPSG:{code} · {crs.name}" if code else crs.name


def geometry_types(gdf: gpd.GeoDataFrame) -> str:
    """The layer's geometry types, most frequent first (``Polygon, MultiPolygon``); ``—`` when none."""
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        return "—"
    counts = gdf.geometry.geom_type.value_counts()
    return ", ".join(str(t) for t in counts.index) or "—"


def _column_total(frame: Any, column: str) -> float | None:
    """The sum of a column over the rows where it is a number; None when it is nowhere."""
    if column not in frame.columns:
        return None
    import pandas as pd

    values = pd.to_numeric(frame[column], errors="coerce")
    return float(values.sum()) if values.notna().any() else None


def _lonlat_centre(villages: gpd.GeoDataFrame) -> tuple[float, float]:
    """The villages' median point in lon/lat (°): one misplaced village cannot move it."""
    pts = gpd.GeoSeries(shapely.point_on_surface(villages.geometry.values), crs=villages.crs).to_crs(4490)
    xy = shapely.get_coordinates(pts.values)
    return _crs.centre(xy[:, 0], xy[:, 1])
