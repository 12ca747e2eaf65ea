"""Geometry rules shared by every analysis (see DESIGN.md, "Geometry rules")."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["anchor_points"]


def anchor_points(villages: gpd.GeoDataFrame) -> np.ndarray:
    """Anchor coordinates of villages, shape (n, 2), in the villages' CRS (metres).

    The anchor is the project-supplied point (``anchor_x``/``anchor_y`` columns, working
    CRS) where given; else the polygon's centroid when it lies inside the polygon; else
    ``representative_point()``.  Point villages are their own anchor.
    """
    geoms = villages.geometry.values
    arr = np.asarray(geoms, dtype=object)
    cent = shapely.centroid(arr)
    inside = shapely.contains_properly(arr, cent) | (shapely.get_type_id(arr) == 0)
    pts = np.where(inside, cent, shapely.point_on_surface(arr))
    xy = shapely.get_coordinates(pts)
    if len(xy) != len(villages):  # empty geometries would lose rows: never silently
        raise ValueError("villages contain empty geometries; load them with geo_env.read_layer")
    if "anchor_x" in villages.columns and "anchor_y" in villages.columns:
        given = villages[["anchor_x", "anchor_y"]].to_numpy(dtype=float)
        ok = np.isfinite(given).all(axis=1)
        xy[ok] = given[ok]
    return xy

