"""The road lines as numpy arrays: the input checked, its vertices and straight segments.

:func:`_line_geometries` takes what a user gives (a GeoDataFrame, GeoSeries or sequence
of lines) and checks it (lines only, a projected CRS); :func:`_lines` turns the line
parts into vertex and segment arrays (:class:`_Lines`), the first step of the build.
Coordinates ``(x, y)`` in the roads' projected CRS, in metres.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from ..errors import CRSError, DataValueError, GeometryTypeError
from ._arrays import _take

__all__: list[str] = []  # nothing public here: geo_env.network re-exports what is


def _line_geometries(roads: Any) -> tuple[np.ndarray, Any]:
    """The road geometries as a shapely array (missing ones dropped), and their CRS."""
    crs = getattr(roads, "crs", None)
    if crs is not None and getattr(crs, "is_geographic", False):
        raise CRSError("the roads are in a geographic CRS (degrees), not in metres",
                       layer="roads", hint="reproject them to the working CRS first")
    if hasattr(roads, "geometry"):
        geoms = np.asarray(roads.geometry.values, dtype=object)
    elif isinstance(roads, shapely.Geometry):
        geoms = np.array([roads], dtype=object)
    else:
        geoms = np.asarray(list(roads) if not isinstance(roads, np.ndarray) else roads,
                           dtype=object)
    if geoms.ndim != 1:
        geoms = geoms.reshape(-1)
    missing = np.array([g is None for g in geoms], dtype=bool)
    if missing.any():
        geoms = geoms.copy()
        geoms[missing] = shapely.LineString()
    if len(geoms):
        tid = shapely.get_type_id(geoms)
        bad = ~np.isin(tid, (1, 2, 5)) & ~shapely.is_empty(geoms)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise GeometryTypeError(
                f"roads must be lines; feature {row + 1} is a {geoms[row].geom_type}",
                layer="roads", row=row + 1,
                hint="give a line layer (LineString / MultiLineString) for [layers.roads]",
            )
    return geoms, crs


@dataclass(frozen=True)
class _Lines:
    """Road lines as vertices and straight segments (coordinates in m).

    Attributes
    ----------
    xy
        Vertex coordinates, shape (V, 2); consecutive duplicates dropped, every line
        keeps at least 2 vertices.
    vline
        The line (index into the parts) of each vertex; a line's vertices are in a run.
    part_row
        The 0-based feature each line comes from.
    seg_a, seg_b
        The vertices at the ends of each segment (``seg_b = seg_a + 1``, within a line).
    seg_line
        The line of each segment.
    a_xy, b_xy
        The coordinates of ``seg_a`` and ``seg_b``, shape (S, 2) each.
    seg_len
        Segment lengths (m), all > 0.
    ends
        The first and last vertex of each line, sorted and distinct.
    """

    xy: np.ndarray
    vline: np.ndarray
    part_row: np.ndarray
    seg_a: np.ndarray
    seg_b: np.ndarray
    seg_line: np.ndarray
    a_xy: np.ndarray
    b_xy: np.ndarray
    seg_len: np.ndarray
    ends: np.ndarray


def _lines(parts: np.ndarray, part_row: np.ndarray) -> _Lines:
    """The vertices and segments of non-empty LineStrings ``parts`` (``part_row``: the
    0-based feature each comes from)."""
    xy, vline = _vertices(parts, part_row)
    n_vert = len(xy)
    # segments: vertex i -> i + 1 within one line
    seg_a = np.flatnonzero(vline[1:] == vline[:-1]) if n_vert else np.zeros(0, np.int64)
    seg_b = seg_a + 1
    a_xy, b_xy = _take(xy, seg_a), _take(xy, seg_b)
    seg_len = np.hypot(b_xy[:, 0] - a_xy[:, 0], b_xy[:, 1] - a_xy[:, 1])
    first = np.flatnonzero(np.r_[True, vline[1:] != vline[:-1]]) if n_vert else seg_a
    last = np.r_[first[1:] - 1, n_vert - 1] if n_vert else seg_a
    # every line has >= 2 vertices, so first < last < next first: sorted and distinct
    ends = np.column_stack([first, last]).ravel()
    return _Lines(xy=xy, vline=vline, part_row=part_row, seg_a=seg_a, seg_b=seg_b,
                  seg_line=vline[seg_a], a_xy=a_xy, b_xy=b_xy, seg_len=seg_len, ends=ends)


def _vertices(parts: np.ndarray, part_row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The vertices of the lines ``parts`` and the line of each: consecutive duplicates
    are dropped (they would make zero-length segments), then the vertices of lines left
    with fewer than two.

    Raises
    ------
    DataValueError
        A coordinate is not finite (names the feature, 1-based).
    """
    xy, vline = shapely.get_coordinates(parts, return_index=True)
    if not np.isfinite(xy).all():
        bad = int(part_row[vline[~np.isfinite(xy).all(axis=1)][0]])
        raise DataValueError("a road has coordinates that are not finite numbers",
                             layer="roads", row=bad + 1,
                             hint="fix or delete that feature")
    # consecutive duplicate vertices make zero-length segments: drop them
    if len(xy):
        dup = np.zeros(len(xy), dtype=bool)
        dup[1:] = (vline[1:] == vline[:-1]) & (xy[1:] == xy[:-1]).all(axis=1)
        xy, vline = xy[~dup], vline[~dup]
        ok = np.bincount(vline, minlength=len(parts)) >= 2
        xy, vline = xy[ok[vline]], vline[ok[vline]]
    return xy, vline
