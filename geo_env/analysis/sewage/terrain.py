"""Step 2 of the sewage analysis: the ground under the villages (:class:`Terrain`).

The DEM (when the district has one) is read once, in the working CRS, over a window
holding the village polygons, the plants and, when there are plants, the roads (sewers
may follow them); every later step samples that grid.  Per village: the elevation at
its anchor and the mean slope over its polygon (for points and villages smaller than a
cell: the slope of the cell at the anchor).  Without a DEM the ground is flat.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...io.project import District
from ...terrain import Dem, anchor_elevations, read_dem, zonal_mean
from ._arrays import Floats

__all__ = ["Terrain", "village_terrain"]


@dataclass(frozen=True)
class Terrain:
    """The ground under the villages (one value per village), and the DEM read.

    Attributes
    ----------
    dem
        The DEM over the analysis window, working CRS (elevations in m); None without one.
    elevation_m
        Ground elevation at each village anchor (m); NaN without a DEM or where it has no data.
    slope_percent
        Mean ground slope over each village polygon (%); NaN without a DEM.
    """

    dem: Dem | None
    elevation_m: Floats
    slope_percent: Floats


def village_terrain(district: District, xy: Floats, plant_xy: Floats) -> Terrain:
    """Read the DEM and the elevation and slope of every village.

    ``xy``: village anchors, ``plant_xy``: plant points, arrays (n, 2) of x, y in the
    working CRS (m).  Warns (:class:`~geo_env.errors.DataWarning`) naming the villages
    whose anchors lie where the DEM has no data.
    """
    v = district.villages
    n = len(v)
    if district.dem is None:
        return Terrain(None, np.full(n, np.nan), np.full(n, np.nan))
    dem = read_dem(district.dem, nodata=district.dem_nodata, crs=district.crs,
                   bounds=_dem_window(district, xy, plant_xy), dem_crs=district.dem_crs)
    elev = anchor_elevations(dem, xy, v["id"].to_numpy(), where=Path(district.dem).name,
                             note=": their sewers are costed without terrain (no lift stations counted there)")
    grid = dem.slope_percent()
    slope, count = zonal_mean(grid, dem.transform, np.asarray(v.geometry.values, dtype=object))
    no_cells = count == 0
    if no_cells.any():  # points and villages smaller than a cell: slope at the anchor
        slope[no_cells] = Dem(grid, dem.transform, dem.crs).sample(xy[no_cells], method="nearest")
    return Terrain(dem, elev, slope)


def _dem_window(district: District, xy: Floats, pxy: Floats) -> tuple[float, float, float, float]:
    """Bounds (xmin, ymin, xmax, ymax; working CRS, m) of everything the DEM is read for.

    The whole village polygons (zonal slope), the anchors, the plants and, when there are
    plants, the roads (sewers may follow them).  Straight routes and cluster links run
    between anchors and plants, so they lie inside.  :func:`~geo_env.terrain.read_dem` adds
    its margin.
    """
    boxes = [np.vstack([xy, pxy]).min(axis=0), np.vstack([xy, pxy]).max(axis=0)]
    layers = [district.villages]
    if len(pxy) and district.roads is not None and len(district.roads):
        layers.append(district.roads)
    for gdf in layers:
        b = np.asarray(gdf.total_bounds, dtype=float)
        if np.isfinite(b).all():
            boxes += [b[:2], b[2:]]
    pts = np.vstack(boxes)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])
