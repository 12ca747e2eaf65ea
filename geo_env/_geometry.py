"""Geometry rules shared by every analysis (see docs/DESIGN.md, "Geometry rules")."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["anchor_points", "facility_points"]


def anchor_points(villages: gpd.GeoDataFrame) -> np.ndarray:
    """Anchor coordinates of villages, shape (n, 2), in the villages' CRS (metres).

    The anchor is the given point (``anchor_x``/``anchor_y`` columns, set by the loader
    from the project's anchors or a ``village_points`` layer) where finite; else the
    polygon's centroid when it lies inside the polygon; else ``representative_point()``.
    Point villages are their own anchor. Geometry is only computed for the rows without a
    given anchor.
    """
    n = len(villages)
    xy = np.full((n, 2), np.nan)
    if "anchor_x" in villages.columns and "anchor_y" in villages.columns:
        xy[:] = villages[["anchor_x", "anchor_y"]].to_numpy(dtype=float)
    todo = ~np.isfinite(xy).all(axis=1)
    if todo.any():
        arr = np.asarray(villages.geometry.values, dtype=object)[todo]
        if (shapely.is_missing(arr) | shapely.is_empty(arr)).any():  # never lose rows silently
            raise ValueError("villages contain empty geometries; load them with geo_env.read_layer")
        cent = shapely.centroid(arr)
        inside = shapely.contains_properly(arr, cent) | (shapely.get_type_id(arr) == 0)
        pts = np.where(inside, cent, shapely.point_on_surface(arr))
        xy[todo] = shapely.get_coordinates(pts)
    return xy


def facility_points(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """x, y (n, 2) of each facility: its point, or a point on the surface of a polygon."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    pts = np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms))
    return shapely.get_coordinates(pts)
