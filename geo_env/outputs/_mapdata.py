"""The map's data block under construction: one arc store for every geometry, the layer
specs, the geometries referred to by name and the popup tables.

Geometries go in in the working CRS; :class:`MapData` simplifies them (village polygons as
a coverage, so that neighbours stay gap-free), moves them to lon/lat (WGS84, or GCJ-02 for
Amap tiles), quantises them (:mod:`geo_env.outputs.topology`) and hands back the ids that a
layer spec refers to.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from .topology import ArcStore, line_coords, polygon_topology, quantize

__all__ = ["MapData", "simplify_coverage"]

log = logging.getLogger(__name__)


def simplify_coverage(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplify polygons that tile an area without opening gaps (GEOS coverage simplify)."""
    if tolerance <= 0:
        return geoms
    if hasattr(shapely, "coverage_simplify"):
        try:
            valid = bool(shapely.coverage_is_valid(geoms)) if hasattr(shapely, "coverage_is_valid") else True
            if valid:
                return np.asarray(shapely.coverage_simplify(geoms, tolerance), dtype=object)
            log.info("village polygons are not a clean coverage; simplified one by one")
        except shapely.errors.GEOSException as exc:  # pragma: no cover - GEOS-specific
            log.info("coverage simplification failed (%s); simplified one by one", exc)
    return np.asarray(shapely.simplify(geoms, tolerance, preserve_topology=True), dtype=object)


@dataclass
class MapData:
    """Accumulates the map's geometry (one arc store) and layer specs.

    ``crs`` is the working CRS of geometries that have none; ``gcj`` shifts everything to
    GCJ-02; ``simplify_m`` (m, working CRS) is the simplification tolerance, doubled for the
    villages (up to 16 × ``simplify_m``) while they have more than ``max_vertices`` vertices
    (the tolerance used ends up in ``village_tolerance_m``, m).
    """

    crs: Any
    gcj: bool
    simplify_m: float
    max_vertices: int = 400_000
    village_tolerance_m: float = 0.0
    store: ArcStore = field(default_factory=ArcStore)
    layers: list[dict[str, Any]] = field(default_factory=list)
    geoms: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)

    def lonlat(self, geoms: gpd.GeoSeries) -> np.ndarray:
        """Geometries in lon/lat (WGS84; GCJ-02 when shifting for Amap)."""
        out = gpd.GeoSeries(geoms, crs=geoms.crs if geoms.crs is not None else self.crs)
        arr = np.asarray(out.to_crs(4326).values, dtype=object)
        if self.gcj:
            from ..crs import wgs84_to_gcj02

            def shift(xy: np.ndarray) -> np.ndarray:
                lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
                return np.column_stack([lon, lat])

            arr = np.asarray(shapely.transform(arr, shift), dtype=object)
        return arr

    def simplified(self, gdf: gpd.GeoDataFrame, *, coverage: bool = False) -> gpd.GeoSeries:
        """``gdf``'s geometries simplified at ``simplify_m`` (m, working CRS)."""
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        if coverage:
            geoms = simplify_coverage(geoms, self.simplify_m)
            # a very large district: coarser boundaries keep the page fast (see max_vertices)
            tol = self.simplify_m
            while (tol > 0 and tol < 16 * self.simplify_m
                   and int(shapely.get_num_coordinates(geoms).sum()) > self.max_vertices):
                tol *= 2
                geoms = simplify_coverage(geoms, tol)
            if tol != self.simplify_m:
                log.info("village boundaries simplified at %g m to stay under %d vertices",
                         tol, self.max_vertices)
            self.village_tolerance_m = tol
        elif self.simplify_m > 0:
            geoms = np.asarray(shapely.simplify(geoms, self.simplify_m, preserve_topology=True), dtype=object)
        return gpd.GeoSeries(geoms, crs=gdf.crs, index=gdf.index)

    def polygons(self, gdf: gpd.GeoDataFrame, *, coverage: bool = False
                 ) -> tuple[list[list[list[list[int]]]], np.ndarray, np.ndarray]:
        """Add ``gdf``'s (multi)polygons as shared arcs (``coverage``: simplified as a coverage).

        Returns per feature its polygons as rings of signed arc ids (``~i``: arc ``i``
        reversed), the new arcs' ids, and each new arc's two owners (feature positions;
        ``-1``: one side only).
        """
        topo = polygon_topology(self.lonlat(self.simplified(gdf, coverage=coverage)))
        ids = self.store.add(topo.arc_coords, topo.arc_lengths)
        base = int(ids[0]) if len(ids) else 0

        def shift_ref(r: int) -> int:
            return r + base if r >= 0 else ~((~r) + base)

        polys = [[[[shift_ref(r) for r in ring] for ring in poly] for poly in feat]
                 for feat in topo.polygons] if base else topo.polygons
        owners = topo.arc_owners
        return polys, ids, owners

    def lines(self, gdf: gpd.GeoDataFrame) -> list[list[int]]:
        """Add ``gdf``'s lines (or polygon rings) as arcs, one per part; the arc ids per feature."""
        coords, lengths, geom_of = line_coords(self.lonlat(self.simplified(gdf)))
        ids = self.store.add(coords, lengths)
        out: list[list[int]] = [[] for _ in range(len(gdf))]
        for g, i in zip(geom_of.tolist(), ids.tolist()):
            out[g].append(i)
        return out

    def points(self, gdf: gpd.GeoDataFrame) -> int:
        """Add one point per feature (a point on its surface) as one arc; that arc's id."""
        pts = self.lonlat(gdf.geometry)
        xy = shapely.get_coordinates(shapely.point_on_surface(pts))
        return int(self.store.add(quantize(xy), [len(xy)])[0])

    def add(self, spec: dict[str, Any]) -> None:
        """Append a layer spec (drawn in the order added)."""
        self.layers.append(spec)
