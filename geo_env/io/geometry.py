"""Geometry cleaning: what every layer's geometries become before their columns are read.

Z coordinates are dropped; features without geometry are dropped (warned); geometry
collections keep the parts of the layer's geometry family (polygons out of a KML
collection); points given as polygons are placed at a point inside each (warned);
multipoints of one point become points; another geometry type than the layer's is an
error naming the rows; invalid polygons are repaired with ``make_valid`` (warned), and
those left without area are dropped (warned).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from ..errors import EmptyLayerError, GeometryTypeError, format_rows
from ._messages import _warn
from .columns import LayerSpec

__all__: list[str] = []  # geo_env.io.layers.read_layer cleans every layer with _clean_geometries


def _clean_geometries(gdf: gpd.GeoDataFrame, spec: LayerSpec | None, *, file: str,
                      label: str | None) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.values
    if shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        rows = gdf["_row"].to_numpy()[missing]
        if missing.all():
            raise EmptyLayerError("every feature has an empty geometry", file=file, layer=label)
        _warn(f"{file}: {int(missing.sum())} feature(s) without geometry dropped (rows {format_rows(list(rows))})")
        gdf = gdf.loc[~missing].copy()
        geoms = geoms[~missing]
    types = shapely.get_type_id(geoms)
    # families: 0 point, 1/2 line, 3 polygon, 4 multipoint, 5 multiline, 6 multipolygon, 7 collection
    family = np.array(["point", "line", "line", "polygon", "point", "line", "polygon", "collection"], dtype=object)[types]
    if (family == "collection").any():
        geoms = geoms.copy()
        coll = family == "collection"
        # keep the parts of the dominant allowed family (e.g. polygons out of a KML collection)
        want = spec.geometry[0] if spec else "polygon"
        code = {"point": 0, "line": 1, "polygon": 3}[want]
        parts = [shapely.get_parts(g) for g in geoms[coll]]
        geoms[coll] = [shapely.union_all(p[np.isin(shapely.get_type_id(p), [code, code + 3, 2 if code == 1 else code])])
                       if len(p) else None for p in parts]
        types = shapely.get_type_id(geoms)
        family = np.array(["point", "line", "line", "polygon", "point", "line", "polygon", "collection"], dtype=object)[types]
    if spec is not None:
        bad = ~np.isin(family, spec.geometry)
        if bad.any() and spec.geometry == ("point",) and np.isin(family[bad], ["polygon"]).all():
            _warn(f"{file}: {int(bad.sum())} {label or 'feature'} given as polygons; each is placed at a point inside it")
            geoms = geoms.copy()
            geoms[bad] = shapely.point_on_surface(geoms[bad])
            bad[:] = False
        if bad.any():
            rows = gdf["_row"].to_numpy()[bad]
            found = sorted(set(family[bad]))
            raise GeometryTypeError(
                f"{label} must be {' or '.join(spec.geometry)} geometries, found {', '.join(found)}",
                file=file, layer=label, row=format_rows(list(rows)),
                hint="check that the file is the right layer",
            )
        multi_pts = (types == 4)
        if multi_pts.any():
            n_parts = shapely.get_num_geometries(geoms[multi_pts])
            if (n_parts > 1).any():
                rows = gdf["_row"].to_numpy()[multi_pts][n_parts > 1]
                raise GeometryTypeError("multipoints with several points", file=file, layer=label,
                                        row=format_rows(list(rows)), hint="give one point per feature")
            geoms = geoms.copy()
            geoms[multi_pts] = shapely.get_geometry(geoms[multi_pts], 0)
    poly = np.isin(shapely.get_type_id(geoms), [3, 6])
    invalid = poly & ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        fixed = shapely.make_valid(geoms[invalid])
        # keep the polygonal part of what make_valid returns (it may add slivers as lines)
        geoms[invalid] = np.array([_polygonal(g) for g in fixed], dtype=object)
        rows = gdf["_row"].to_numpy()[invalid]
        _warn(f"{file}: {int(invalid.sum())} invalid polygon(s) repaired with make_valid (rows {format_rows(list(rows))})")
        degenerate = invalid & shapely.is_missing(geoms)
        if degenerate.any():
            if degenerate.all():
                raise EmptyLayerError("every polygon is degenerate (no area)", file=file, layer=label)
            rows = gdf["_row"].to_numpy()[degenerate]
            _warn(f"{file}: {int(degenerate.sum())} polygon(s) without area dropped (rows {format_rows(list(rows))})")
            gdf = gdf.loc[~degenerate].copy()
            geoms = geoms[~degenerate]
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    return gdf


def _polygonal(g: Any) -> Any:
    """The polygonal part of a repaired geometry; None when it has no area."""
    if g is None or shapely.get_type_id(g) in (3, 6):
        return g
    parts = shapely.get_parts(g)
    polys = parts[np.isin(shapely.get_type_id(parts), [3, 6])]
    return shapely.union_all(polys) if len(polys) else None
