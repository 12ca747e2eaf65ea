"""What the map and the figures both draw, as geometry: a plan's layers by name, their
non-empty features, and the townships (areas and label points) made from the villages."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

if TYPE_CHECKING:
    from ..plan import Plan

__all__ = ["plan_layer", "present", "nonempty", "all_points", "township_areas"]


def plan_layer(plan: Plan, name: str) -> gpd.GeoDataFrame | None:
    """The plan's output layer ``name``, else the district's input layer of that name."""
    gdf = plan.layers.get(name)
    return gdf if gdf is not None else getattr(plan.district, name, None)


def present(layer: gpd.GeoDataFrame | None) -> bool:
    """The layer exists and has rows."""
    return layer is not None and len(layer) > 0


def nonempty(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The rows whose geometry is neither missing nor empty."""
    g = gdf.geometry.values
    return gdf[~(shapely.is_missing(g) | shapely.is_empty(g))]


def all_points(gdf: gpd.GeoDataFrame) -> bool:
    """Every geometry is a Point (True for no rows)."""
    return bool((shapely.get_type_id(gdf.geometry.values) == 0).all())


def township_areas(villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Township polygons (union of their villages) and a label point inside each.

    Returns a GeoDataFrame indexed by township, in the villages' CRS, with a
    ``label_point`` column (shapely Points; for point villages the mean anchor).
    """
    gdf = villages[["township", villages.geometry.name]]
    if all_points(gdf):
        xy = shapely.get_coordinates(gdf.geometry.values)
        mean = pd.DataFrame(xy, columns=["x", "y"]).groupby(gdf["township"].to_numpy()).mean()
        pts = shapely.points(mean[["x", "y"]].to_numpy())
        out = gpd.GeoDataFrame({"label_point": pts}, geometry=list(pts), index=mean.index,
                               crs=villages.crs)
        out.index.name = "township"
        return out
    try:
        out = gdf.dissolve(by="township", method="coverage")
    except shapely.errors.GEOSException:  # not a clean coverage: repair, then the full union
        fixed = gdf.set_geometry(shapely.make_valid(gdf.geometry.values))
        out = fixed.dissolve(by="township")
    geoms = out.geometry.values
    cent = shapely.centroid(geoms)
    inside = shapely.contains_properly(geoms, cent)
    out["label_point"] = np.where(inside, cent, shapely.point_on_surface(geoms))
    return out
