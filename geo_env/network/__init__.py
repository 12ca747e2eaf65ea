"""Road network from a roads layer: junctions, snapping, attachment, shortest paths.

The rules are docs/DESIGN.md's "Geometry rules"; every analysis that measures along roads
(waste coverage, transfer-station siting, sewer routes) uses this one network:

* vertices of *different* lines within :data:`JUNCTION_TOLERANCE_M` (1 m) are one
  junction; a line's own vertices are never merged (so no road gets shorter), except
  where they coincide exactly (a closed ring, a line that revisits a point).  Pairs are
  joined closest first, and a pair is refused when it would put two points of one line
  into one junction: lines meeting at one place (a star, a chain of vertices each
  within 1 m of the next) all join, while a feature digitised twice or a GPS track
  beside a road joins rung by rung instead of collapsing
  (:func:`~.junctions._junction_labels`);
* a line *end* within ``snap_tolerance_m`` of another line joins that line at its
  nearest point (the segment is split there) by a straight link whose length counts;
* lines that cross without a shared vertex do not join (bridges, flyovers) unless
  ``node_crossings=True``, which splits both lines at the crossing;
* a point (village anchor, facility) attaches at the nearest point of the nearest road
  by a straight connector whose length counts; farther than ``max_connector_m`` it is not
  attached;
* road distance = connector + shortest path along roads + connector.

All coordinates are ``(x, y)`` in the roads' projected CRS, in metres.  The graph is a
symmetric CSR matrix for :mod:`scipy.sparse.csgraph`; every edge is a straight piece of
one road segment (or a snapping link), with a strictly positive length.

How it stays fast at county-to-province scale (a million edges in about a second or two):
everything is a handful of numpy passes, no Python loop per vertex or point.  Junctions
come from a 1 m grid hash of the vertices (:func:`~.junctions._close_pairs`) and a
vectorised union-find (:func:`~.junctions._merge_labels`); only where that would put a
line twice into one junction are the pairs decided again, in vectorised rounds
(:func:`~.junctions._join_junctions`; a long run of near-parallel lines whose pairs
come in order along them ends pair by pair in Python, some 10^5 pairs a second).  Line
ends and attached points find their segments in a uniform grid of segment pieces
(:class:`~.index._SegmentGrid`, exact; a KD-tree only for points far from every road).
The CSR matrix is built once with the network; a query copies its arrays and lets each
edge that holds a source's attachment point lead to that point
(:func:`~.paths._augmented_csr`), runs one multi-source Dijkstra from the sources, and
reads each target off the two ends of its piece of edge (:func:`~.paths._on_edges`), so
targets never enter the graph.

The modules, one part each (this package re-exports the public names):

* :mod:`~.roads`: :class:`RoadNetwork`, its build from lines and its queries;
* :mod:`~.district`: :func:`road_network`, the network of a District, cached;
* :mod:`~.lines`: the input lines checked, as vertex and segment arrays;
* :mod:`~.build`: the graph build, step by step;
* :mod:`~.junctions`: which vertices are one junction;
* :mod:`~.snapping`: line ends snapped onto other lines, crossings;
* :mod:`~.index`: nearest segments (a grid of segment pieces, a KD-tree);
* :mod:`~.attach`: :class:`Attachment`, points attached to the nearest road;
* :mod:`~.paths`: the CSR graph with attached points, for shortest paths;
* :mod:`~.segments` and :mod:`~._arrays`: straight segments and numpy idioms.

Examples
--------
>>> import shapely
>>> net = RoadNetwork.from_lines([shapely.LineString([(0, 0), (1000, 0)]),
...                               shapely.LineString([(500, 0.5), (500, 800)])])
>>> d, src = net.distances([(0, 10)], [(500, 900)], max_connector_m=200)
>>> round(float(d[0]), 1), int(src[0])
(1410.0, 0)
"""

from __future__ import annotations

from .attach import Attachment
from .district import _CACHE as _CACHE  # (the benchmarks clear it)
from .district import road_network
from .junctions import JUNCTION_TOLERANCE_M
from .roads import RoadNetwork

__all__ = ["RoadNetwork", "Attachment", "road_network", "JUNCTION_TOLERANCE_M"]
