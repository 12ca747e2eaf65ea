"""Road network: hand-computed cases, a networkx oracle on random graphs, bad input."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pyproj
import pytest
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from shapely import LineString, MultiLineString, Point, Polygon

from geo_env.errors import CRSError, DataValueError, GeometryTypeError, ParameterError
from geo_env.network import RoadNetwork, index, junctions

L = LineString


def dist(net, src, tgt, maxc=100.0, **kw):
    return net.distances(np.asarray(src, float), np.asarray(tgt, float), max_connector_m=maxc, **kw)


# ------------------------------------------------------------------ hand-computed cases
def test_t_junction_end_short_of_the_line_joins_by_a_counted_link():
    # the side road ends 0.5 m short of the main road (default snap 1 m)
    net = RoadNetwork.from_lines([L([(0, 0), (1000, 0)]), L([(500, 0.5), (500, 800)])])
    d, s = dist(net, [(0, 10)], [(500, 900)], maxc=200)
    # 10 connector + 500 main + 0.5 link + 799.5 side road + 100 connector
    assert d[0] == pytest.approx(1410.0, abs=1e-9)
    assert s[0] == 0


def test_end_beyond_snap_tolerance_does_not_join_unless_tolerance_is_raised():
    lines = [L([(0, 0), (1000, 0)]), L([(500, 3), (500, 800)])]
    d, _ = dist(RoadNetwork.from_lines(lines), [(0, 10)], [(500, 900)], maxc=200)
    assert np.isnan(d[0])
    d, _ = dist(RoadNetwork.from_lines(lines, snap_tolerance_m=5), [(0, 10)], [(500, 900)],
                maxc=200)
    assert d[0] == pytest.approx(10 + 500 + 3 + 797 + 100, abs=1e-9)


def test_end_exactly_on_a_line_joins_with_zero_tolerance():
    net = RoadNetwork.from_lines([L([(0, 0), (1000, 0)]), L([(500, 0), (500, 800)])],
                                 snap_tolerance_m=0)
    d, _ = dist(net, [(0, 0)], [(500, 800)])
    assert d[0] == 1300.0


def test_vertices_of_different_lines_within_1m_are_one_junction():
    # interior vertices 0.6 m apart: one junction, no link length
    a = L([(0, 0), (500, 0), (1000, 0)])
    b = L([(500, -400), (500.6, 0.0), (500, 400)])
    net = RoadNetwork.from_lines([a, b], snap_tolerance_m=0)
    d, _ = dist(net, [(0, 0)], [(500, 400)])
    assert d[0] == pytest.approx(500 + np.hypot(0.6, 400), abs=1e-9)
    # 1.5 m apart: not a junction (and no end is near the other line)
    b2 = L([(500, -400), (501.5, 0.0), (500, 400)])
    d, _ = dist(RoadNetwork.from_lines([a, b2]), [(0, 0)], [(500, 400)])
    assert np.isnan(d[0])


def test_a_lines_own_vertices_are_never_merged():
    # a U-turn whose two legs are 0.5 m apart: the road keeps its length
    u = L([(0, 0), (100, 0), (100, 0.5), (0, 0.5)])
    net = RoadNetwork.from_lines([u])
    d, _ = dist(net, [(0, -10)], [(0, 10.5)])
    assert d[0] == pytest.approx(10 + 100 + 0.5 + 100 + 10, abs=1e-9)


def test_crossing_without_vertex_joins_only_with_node_crossings():
    a, b = L([(0, 0), (1000, 0)]), L([(500, -500), (500, 500)])
    d, _ = dist(RoadNetwork.from_lines([a, b]), [(0, 0)], [(500, 500)], maxc=1)
    assert np.isnan(d[0])
    d, _ = dist(RoadNetwork.from_lines([a, b], node_crossings=True), [(0, 0)], [(500, 500)],
                maxc=1)
    assert d[0] == pytest.approx(1000.0)


def test_two_facilities_and_villages_on_one_segment_are_exact():
    net = RoadNetwork.from_lines([L([(0, 0), (1000, 0)])])
    d, s = dist(net, [(100, 5), (900, 5)], [(400, -3), (600, 2), (100, 0), (950, 0)])
    np.testing.assert_allclose(d, [5 + 300 + 3, 5 + 300 + 2, 5.0, 5 + 50], atol=1e-9)
    np.testing.assert_array_equal(s, [0, 1, 0, 1])


def test_points_a_hair_apart_on_one_segment_share_a_node():
    net = RoadNetwork.from_lines([L([(0, 0), (1000, 0)])])
    d, s = dist(net, [(0.5, 10), (0.5 + 1e-12, 10)], [(0.5 + 2e-12, -10), (999.9999999999, 3)])
    np.testing.assert_allclose(d, [20.0, 10 + 999.4999999999 + 3], atol=1e-9)


def test_unattached_unreachable_and_limit_give_nan():
    net = RoadNetwork.from_lines([L([(0, 0), (1000, 0)]), L([(0, 500), (1000, 500)])])
    d, s = dist(net, [(0, 0)], [(1000, 0), (500, 300), (500, 500), (500, 0)], maxc=100,
                limit=600)
    # beyond the limit · farther than 100 m from any road · on the other road · reachable
    assert np.isnan(d[:3]).all() and (s[:3] == -1).all()
    assert d[3] == 500 and s[3] == 0
    # no sources attached
    d, s = dist(net, [(5000, 5000)], [(500, 0)])
    assert np.isnan(d).all() and (s == -1).all()


def test_empty_inputs():
    net = RoadNetwork.from_lines(gpd.GeoSeries([], crs="EPSG:4548"))
    assert net.n_edges == 0
    d, s = dist(net, [(0, 0)], [(1, 1)])
    assert np.isnan(d).all()
    net = RoadNetwork.from_lines([L([(0, 0), (10, 0)])])
    d, s = dist(net, np.zeros((0, 2)), [(1, 1)])
    assert np.isnan(d).all()
    d, s = dist(net, [(0, 0)], np.zeros((0, 2)))
    assert d.shape == (0,)
    assert net.routes((0, 0), np.zeros((0, 2)), max_connector_m=10) == []


def test_multilinestrings_missing_and_empty_geometries_and_geodataframe():
    g = gpd.GeoDataFrame(
        {"name": ["a", "b", "c"]},
        geometry=[MultiLineString([[(0, 0), (100, 0)], [(100.5, 0), (200, 0)]]), None,
                  LineString()],
        crs="EPSG:4548",
    )
    net = RoadNetwork.from_lines(g)
    d, _ = dist(net, [(0, 0)], [(200, 0)])
    assert d[0] == pytest.approx(199.5)  # the parts' ends 0.5 m apart are one junction
    assert net.crs == pyproj.CRS("EPSG:4548")


def test_routes_follow_the_roads_and_match_the_distance():
    net = RoadNetwork.from_lines([L([(0, 0), (1000, 0)]), L([(500, 0.5), (500, 800)]),
                                  L([(3000, 0), (4000, 0)])])
    r = net.routes((0, 10), [(500, 900), (3500, 0)], max_connector_m=200)
    assert r[1] is None
    d, _ = dist(net, [(0, 10)], [(500, 900)], maxc=200)
    assert r[0].length == pytest.approx(d[0])
    assert list(r[0].coords) == [(0, 10), (0, 0), (500, 0), (500, 0.5), (500, 800), (500, 900)]


def test_report_counts_parts_and_dangling_ends():
    net = RoadNetwork.from_lines([
        L([(0, 0), (1000, 0)]), L([(500, 0.5), (500, 800)]),   # joined (T, 0.5 m)
        L([(510, 815), (900, 815)]),                              # 18 m from the side road
        L([(2000, 0), (3000, 0)]),                                # far away
    ])
    rep = net.report(larger_tolerance_m=20)
    assert rep["parts"] == 3
    assert rep["part_length_m"] == pytest.approx([1799.5, 1000.0, 390.0])
    assert rep["part_edges"][0] == 4  # three road pieces and the link
    ends = {(e["x"], e["y"]): e for e in rep["dangling_ends"]}
    assert set(ends) == {(500.0, 800.0), (510.0, 815.0)}
    assert ends[(510.0, 815.0)]["gap_m"] == pytest.approx(np.hypot(10, 15))
    assert ends[(510.0, 815.0)]["row"] == 3 and ends[(510.0, 815.0)]["joins_other_part"]
    assert net.report(larger_tolerance_m=5)["dangling_ends"] == []


def test_bad_input_raises_clear_errors():
    with pytest.raises(GeometryTypeError, match="feature 2 is a Polygon"):
        RoadNetwork.from_lines([L([(0, 0), (1, 0)]), Polygon([(0, 0), (1, 0), (1, 1)])])
    with pytest.raises(CRSError, match="geographic"):
        RoadNetwork.from_lines(gpd.GeoSeries([L([(117, 28), (117.1, 28)])], crs="EPSG:4490"))
    with pytest.raises(ParameterError, match="snap_tolerance_m"):
        RoadNetwork.from_lines([L([(0, 0), (1, 0)])], snap_tolerance_m=-1)
    net = RoadNetwork.from_lines([L([(0, 0), (1, 0)])])
    with pytest.raises(DataValueError, match="not finite"):
        net.distances([(0, 0)], [(np.nan, 0)], max_connector_m=10)
    with pytest.raises(DataValueError, match=r"\(n, 2\)"):
        net.distances([(0, 0, 0)], [(0, 0)], max_connector_m=10)
    with pytest.raises(ParameterError, match="max_connector_m"):
        net.distances([(0, 0)], [(0, 0)], max_connector_m=-5)


def test_inputs_are_not_mutated():
    g = gpd.GeoDataFrame(geometry=[L([(0, 0), (10, 0)]), L([(5, 0.5), (5, 10)])],
                         crs="EPSG:4548")
    before = g.copy()
    RoadNetwork.from_lines(g, node_crossings=True)
    assert g.geom_equals_exact(before, 0).all()


# ------------------------------------------------------------------- networkx oracle
def _project(p, a, b):
    ab = b - a
    t = min(1.0, max(0.0, float(np.dot(p - a, ab) / np.dot(ab, ab))))
    return t, float(np.hypot(*(p - (a + t * ab))))


def graph_distances(roads, links, sources, targets, *, maxc):
    """Nearest-source road distances on a graph given by hand, with networkx.

    ``roads`` are straight edges ``(u, v, a, b)`` (end nodes, end coordinates; length
    |b - a|), ``links`` edges ``(u, v, length)`` no point attaches to.  Each point
    attaches at the nearest point of the nearest road edge (brute force) by a connector
    of at most ``maxc`` m; the edge is cut there.  Returns the distances (NaN: none) and
    the graph (nodes ``("src", i)``, ``("tgt", j)`` for the points).
    """
    G = nx.MultiGraph()
    cuts = {k: [] for k in range(len(roads))}
    for g, pts in (("src", sources), ("tgt", targets)):
        for i, p in enumerate(np.asarray(pts, float).reshape(-1, 2)):
            if not roads:
                break
            (t, d), k = min(((_project(p, np.asarray(a, float), np.asarray(b, float)), k)
                             for k, (_, _, a, b) in enumerate(roads)), key=lambda x: x[0][1])
            if d <= maxc:
                cuts[k].append((t, ("a", g, i)))
                G.add_edge((g, i), ("a", g, i), weight=d)
    for k, (u, v, a, b) in enumerate(roads):
        add_chain(G, u, cuts[k], v, float(np.hypot(*(np.asarray(b, float) - a))))
    for u, v, w in links:
        G.add_edge(u, v, weight=w)
    out = from_nearest(G, [("src", i) for i in range(len(sources))],
                       [("tgt", j) for j in range(len(targets))])
    return out, G


def oracle_distances(lines, sources, targets, *, snap, maxc, node_crossings=False):
    """Shortest road distances by the DESIGN rules, built naively with networkx.

    Junctions, the rule of ``junctions._join_junctions`` done the plain way: nodes at one
    point (vertices at equal coordinates, an end on another line, pieces under 1e-9 m)
    are one node; then every pair of vertices of different lines within 1 m (all pairs,
    brute force), closest first (ties: by vertex number), is joined unless the two
    junctions already hold a node of one same line (union-find, a set of lines per
    junction, one pair after the other).
    """
    segs = [(li, k, np.asarray(c[k], float), np.asarray(c[k + 1], float))
            for li, c in enumerate(lines) for k in range(len(c) - 1)]
    verts = [(("v", li, k), li, np.asarray(p, float))
             for li, c in enumerate(lines) for k, p in enumerate(c)]
    on = {v: {li} for v, li, _ in verts}  # the lines each node lies on
    build_cuts = {s: [] for s in range(len(segs))}
    same, links = [], []
    xy = np.array([p for _, _, p in verts])
    d_all = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    line_of = np.array([li for _, li, _ in verts])
    cand = []
    for i, j in zip(*np.nonzero(np.triu(d_all <= 1.0, 1))):
        if d_all[i, j] == 0:
            same.append((verts[i][0], verts[j][0]))
        elif line_of[i] != line_of[j]:
            cand.append((d_all[i, j], i, j))
    for li, c in enumerate(lines):
        for k in {0, len(c) - 1}:
            p = np.asarray(c[k], float)
            for lj in range(len(lines)):
                if lj == li:
                    continue
                (t, d), s = min(((_project(p, a, b), s) for s, (ln, _, a, b) in enumerate(segs)
                                 if ln == lj), key=lambda x: x[0][1])
                if d <= snap:
                    node = ("s", li, k, lj)
                    on[node] = {lj}
                    build_cuts[s].append((t, node))
                    if d < 1e-9:
                        same.append((("v", li, k), node))
                    else:
                        links.append((("v", li, k), node, d))
    if node_crossings:
        seg_geoms = [L([a, b]) for _, _, a, b in segs]
        for s1, s2 in zip(*shapely.STRtree(seg_geoms).query(seg_geoms, predicate="intersects")):
            if s1 >= s2:
                continue
            l1, k1, a1, b1 = segs[s1]
            l2, k2, a2, b2 = segs[s2]
            if l1 == l2 and abs(k1 - k2) == 1:
                continue
            x = seg_geoms[s1].intersection(seg_geoms[s2])
            if isinstance(x, Point):
                p = np.array([x.x, x.y])
                node = ("x", s1, s2)
                on[node] = {l1, l2}
                build_cuts[s1].append((_project(p, a1, b1)[0], node))
                build_cuts[s2].append((_project(p, a2, b2)[0], node))
    pieces = []  # (node, node, t0, t1, segment)
    for s, (li, k, a, b) in enumerate(segs):
        chain = [(0.0, ("v", li, k)), *sorted(build_cuts[s], key=lambda x: x[0]),
                 (1.0, ("v", li, k + 1))]
        length = float(np.hypot(*(b - a)))
        for (t0, n0), (t1, n1) in zip(chain[:-1], chain[1:]):
            if (t1 - t0) * length < 1e-9:
                same.append((n0, n1))
            else:
                pieces.append((n0, n1, t0, t1, s))
    parent = {n: n for n in on}

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    def join(x, y, check):
        rx, ry = find(x), find(y)
        if rx == ry or (check and on[rx] & on[ry]):
            return
        parent[ry] = rx
        on[rx] = on[rx] | on[ry]

    for x, y in same:
        join(x, y, check=False)
    for _, i, j in sorted(cand):
        join(verts[i][0], verts[j][0], check=True)
    roads = [(find(n0), find(n1), segs[s][2] + t0 * (segs[s][3] - segs[s][2]),
              segs[s][2] + t1 * (segs[s][3] - segs[s][2])) for n0, n1, t0, t1, s in pieces]
    return graph_distances(roads, [(find(u), find(v), w) for u, v, w in links], sources,
                           targets, maxc=maxc)


def add_chain(G, first, cuts, last, length):
    """A straight edge first–last of ``length`` m, cut at the (fraction, node) ``cuts``."""
    chain = [(0.0, first), *sorted(cuts, key=lambda x: x[0]), (1.0, last)]
    for (t0, n0), (t1, n1) in zip(chain[:-1], chain[1:]):
        G.add_edge(n0, n1, weight=(t1 - t0) * length)


def from_nearest(G, sources, targets):
    """Distance of each target node from the nearest source node of G (NaN: none)."""
    srcs = [s for s in sources if G.has_node(s)]
    dd = nx.multi_source_dijkstra_path_length(G, srcs) if srcs else {}
    return np.array([dd.get(t, np.nan) for t in targets], dtype=float)


def dense_lines(rng, a, b, kind):
    """Densely digitised lines beside the segment a–b, within 1 m of it and of each other.

    ``kind`` "copies": two or three copies of a piece of a–b, shifted up to 0.9 m
    sideways and staggered along (a feature digitised twice, a trace beside it);
    "track": a GPS track along a–b past the vertex ``a``, wobbling 0.2–0.8 m beside it.
    """
    u = (b - a) / np.hypot(*(b - a))
    n = np.array([-u[1], u[0]])
    step = rng.uniform(0.3, 1.0)
    if kind == "track":
        s = np.arange(-10.0, 20.0, step)
        off = rng.uniform(0.2, 0.8, len(s)) * rng.choice([-1, 1])
        return [[tuple(a + si * u + oi * n) for si, oi in zip(s, off)]]
    s0 = rng.uniform(0, max(np.hypot(*(b - a)) - 15, 0))
    s = s0 + np.arange(0.0, rng.uniform(5, 15), step)
    out = []
    for _ in range(int(rng.integers(2, 4))):
        shift = rng.uniform(0, step) * u + rng.uniform(-0.45, 0.45) * n
        out.append([tuple(a + si * u + shift) for si in s])
    return out


def random_instance(rng, n_lines=10):
    """Random lines with T-ends near other lines, vertices near vertices, densely
    digitised near-parallel lines (copies, GPS tracks), and a far part."""
    lines: list[list[tuple[float, float]]] = []
    for _ in range(n_lines):
        kind = rng.integers(6) if lines else 0
        n = int(rng.integers(2, 5))
        pts = [tuple(rng.uniform(0, 1000, 2)) for _ in range(n)]
        if kind == 1:  # an end near (or on) another line
            c = lines[rng.integers(len(lines))]
            k = rng.integers(len(c) - 1)
            a, b = np.array(c[k]), np.array(c[k + 1])
            q = a + rng.uniform(0.05, 0.95) * (b - a)
            pts[0] = tuple(q + rng.uniform(-1.4, 1.4, 2) * (rng.random() < 0.8))
        elif kind == 2:  # an interior or end vertex near another line's vertex
            c = lines[rng.integers(len(lines))]
            v = np.array(c[rng.integers(len(c))])
            pts[rng.integers(n)] = tuple(v + rng.uniform(-0.7, 0.7, 2))
        elif kind >= 4:  # dense lines beside a segment of another line
            c = lines[rng.integers(len(lines))]
            k = rng.integers(len(c) - 1)
            lines.extend(dense_lines(rng, np.array(c[k]), np.array(c[k + 1]),
                                     "copies" if kind == 4 else "track"))
        lines.append(pts)
    # a separate part far away
    lines.append([(5000.0, 0.0), (6000.0, 0.0)])
    return lines


def random_points(rng, lines, n):
    pts = list(rng.uniform(-50, 1050, (n, 2)))
    # two points on one segment, and one on the far part
    c = lines[rng.integers(len(lines) - 1)]
    a, b = np.array(c[0]), np.array(c[1])
    for t in rng.uniform(0, 1, 2):
        pts.append(a + t * (b - a) + rng.uniform(-5, 5, 2))
    pts.append(np.array([5500.0, 20.0]))
    # points beside dense lines (where junctions were refused or joined)
    dense = [c for c in lines if len(c) > 8]
    for c in (dense[i] for i in rng.permutation(len(dense))[:3]):
        k = rng.integers(len(c) - 1)
        pts.append((np.array(c[k]) + c[k + 1]) / 2 + rng.uniform(-3, 3, 2))
    return np.array(pts)


@pytest.mark.parametrize("seed", range(25))
def test_distances_equal_networkx_oracle(seed, monkeypatch):
    # junctions decided in rounds, one by one, or both (junctions._join_in_rounds)
    monkeypatch.setattr(junctions, "_ROUND_SHARE", [16, 1, 10**9][seed // 3 % 3])
    rng = np.random.default_rng(seed)
    lines = random_instance(rng)
    snap = float(rng.choice([0.0, 1.0, 2.0]))
    crossings = bool(seed % 3 == 0)
    maxc = float(rng.choice([60.0, 200.0]))
    sources = random_points(rng, lines, 3)
    targets = random_points(rng, lines, 20)
    net = RoadNetwork.from_lines([L(c) for c in lines], snap_tolerance_m=snap,
                                 node_crossings=crossings)
    d, s = net.distances(sources, targets, max_connector_m=maxc)
    want, G = oracle_distances(lines, sources, targets, snap=snap, maxc=maxc,
                               node_crossings=crossings)
    np.testing.assert_allclose(d, want, rtol=1e-9, atol=1e-6)
    # no road gets shorter: every metre of every line is in the graph
    assert net.length_m == pytest.approx(sum(L(c).length for c in lines), rel=1e-12)
    assert ((s == -1) == np.isnan(want)).all()
    # the source named is one at that distance
    for j in np.flatnonzero(s >= 0):
        dj = nx.dijkstra_path_length(G, ("src", int(s[j])), ("tgt", j))
        assert dj == pytest.approx(d[j], rel=1e-9, abs=1e-6)
    # every pair within a limit agrees with the nearest-source distances
    ps, pt, pd_ = net.pair_distances(sources, targets, max_connector_m=maxc, limit=800)
    for j in range(len(targets)):
        m = pt == j
        if np.isfinite(d[j]) and d[j] <= 800:
            assert pd_[m].min() == pytest.approx(d[j], rel=1e-9, abs=1e-6)
        else:
            assert not m.any()
    for i, j, x in zip(ps[:30], pt[:30], pd_[:30]):
        assert x == pytest.approx(nx.dijkstra_path_length(G, ("src", i), ("tgt", j)),
                                  rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_route_length_equals_distance_without_near_junctions(seed):
    rng = np.random.default_rng(100 + seed)
    lines = [[tuple(rng.uniform(0, 1000, 2)) for _ in range(3)] for _ in range(8)]
    net = RoadNetwork.from_lines([L(c) for c in lines], node_crossings=True)
    src = rng.uniform(0, 1000, 2)
    targets = rng.uniform(0, 1000, (10, 2))
    d, _ = net.distances(src[None], targets, max_connector_m=300)
    routes = net.routes(src, targets, max_connector_m=300)
    for dj, r, t in zip(d, routes, targets):
        if np.isnan(dj):
            assert r is None
        else:
            assert r.length == pytest.approx(dj, rel=1e-9)
            assert r.coords[0] == pytest.approx(tuple(src))
            assert r.coords[-1] == pytest.approx(tuple(t))


def test_attach_reports_connector_and_position():
    net = RoadNetwork.from_lines([L([(0, 0), (1000, 0)])])
    a = net.attach(np.array([[250, 30], [1200, 0], [500, -500]]), max_connector_m=300)
    np.testing.assert_allclose(a.connector_m, [30, 200, 500])
    np.testing.assert_array_equal(a.attached, [True, True, False])
    np.testing.assert_allclose(a.point_xy, [[250, 0], [1000, 0], [500, 0]])
    e = a.edge[0]
    start = net.edge_xy[e, :2]
    assert a.position_m[0] == pytest.approx(np.hypot(*(np.array([250, 0]) - start)))
    assert shapely.Point(250, 0).distance(L(net.edge_xy[e].reshape(2, 2))) < 1e-9


# ------------------------------ optimised paths against straightforward references
def brute_attach(net, pts):
    """Nearest road edge of each point by projecting it on every road edge."""
    road = np.flatnonzero(net.edge_is_road)
    a, b = net.edge_xy[road, :2], net.edge_xy[road, 2:]
    ab = b - a
    t = np.clip(((pts[:, None, :] - a) * ab).sum(-1) / (ab * ab).sum(-1), 0.0, 1.0)
    q = a + t[..., None] * ab
    d = np.hypot(*(pts[:, None, :] - q).transpose(2, 0, 1))
    k = d.argmin(axis=1)
    rows = np.arange(len(pts))
    return road[k], t[rows, k], d[rows, k]


def reference_distances(net, sources, targets, maxc):
    """Nearest-source distances on a built network, the plain way: brute-force
    attachment, every point a node of a networkx graph (its edge cut there), one
    multi-source Dijkstra from the sources' own nodes."""
    G = nx.Graph()
    cuts = {}
    out = []
    for kind, pts in (("s", sources), ("t", targets)):
        e, t, d = brute_attach(net, pts)
        for i in range(len(pts)):
            if d[i] <= maxc:
                cuts.setdefault(int(e[i]), []).append((float(t[i]), (kind, "at", i)))
                G.add_edge((kind, i), (kind, "at", i), weight=float(d[i]))
        out.append(d)
    for k, (u, v, w) in enumerate(zip(net.edge_u, net.edge_v, net.edge_length_m)):
        add_chain(G, int(u), cuts.get(k, []), int(v), float(w))
    want = from_nearest(G, [("s", i) for i in range(len(sources))],
                        [("t", j) for j in range(len(targets))])
    return want, G, out[1]


@pytest.mark.parametrize("seed", range(20))
def test_optimised_distances_equal_a_straightforward_reference(seed, monkeypatch):
    # random lines with ends snapping onto other lines, vertices merging into junctions,
    # a disconnected part; two sources and two targets on one segment (random_points)
    rng = np.random.default_rng(500 + seed)
    lines = random_instance(rng, n_lines=int(rng.integers(8, 40)))
    if seed % 4 == 0:  # points far from every road go to the KD-tree fallback
        monkeypatch.setattr(index, "_GRID_MAX_CELLS", 4)
    snap = float(rng.choice([0.0, 1.0, 2.0]))
    net = RoadNetwork.from_lines([L(c) for c in lines], snap_tolerance_m=snap,
                                 node_crossings=bool(seed % 3 == 0))
    sources = random_points(rng, lines, 4)
    sources = np.vstack([sources, sources[-3:-1] + [0.0, 1e-13]])  # shared positions
    targets = np.vstack([random_points(rng, lines, 40), rng.uniform(-3000, 8000, (5, 2))])
    maxc = float(rng.choice([60.0, 300.0, 5000.0]))
    d, s = net.distances(sources, targets, max_connector_m=maxc)
    want, G, conn = reference_distances(net, sources, targets, maxc)
    np.testing.assert_allclose(d, want, rtol=1e-12, atol=1e-9)
    assert ((s == -1) == np.isnan(want)).all()
    for j in np.flatnonzero(s >= 0):  # the source named is one at that distance
        assert nx.dijkstra_path_length(G, ("s", int(s[j])), ("t", j)) == pytest.approx(
            d[j], rel=1e-12, abs=1e-9)
    # the attachment is the nearest point of the nearest road
    att = net.attach(targets, max_connector_m=maxc)
    np.testing.assert_allclose(att.connector_m, conn, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(att.attached, conn <= maxc)
    # the edge-list path (every point a node, as routes() and reachable() use it) agrees
    sa, ta = net.attach(sources, max_connector_m=maxc), att
    if sa.attached.any() and ta.attached.any():
        aug, (snode, tnode) = net._augment(sa, ta)
        on = np.flatnonzero(ta.attached)
        g = nx.Graph()
        g.add_weighted_edges_from(zip(aug.u.tolist(), aug.v.tolist(), aug.length.tolist()))
        on_s = np.flatnonzero(sa.attached)
        g.add_weighted_edges_from((("s", int(i)), int(snode[i]), float(sa.connector_m[i]))
                                  for i in on_s)
        got = from_nearest(g, [("s", int(i)) for i in on_s], [int(tnode[j]) for j in on])
        np.testing.assert_allclose(got + ta.connector_m[on], want[on], rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_close_pairs_equal_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 300))
    xy = rng.uniform(0, float(rng.choice([2.0, 8.0, 40.0])), (n, 2)) + 4e5
    xy[: n // 4] = xy[rng.integers(0, n, n // 4)]  # exact duplicates
    i, j = junctions._close_pairs(xy, 1.0)
    d2 = ((xy[:, None, :] - xy[None]) ** 2).sum(-1)
    want = {(a, b) for a, b in zip(*np.nonzero(d2 <= 1.0)) if a < b}
    assert set(zip(i.tolist(), j.tolist())) == want
    assert len(i) == len(want)  # each pair once


@pytest.mark.parametrize("seed", range(6))
def test_merge_labels_equal_connected_components(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    k = int(rng.integers(0, n + 1))
    pairs = [(rng.integers(0, n, k), rng.integers(0, n, k)) for _ in range(2)]
    label, n_lab = junctions._merge_labels(n, pairs)
    a, b = np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])
    g = sp.coo_array((np.ones(len(a)), (a, b)), shape=(n, n))
    want_n, want = connected_components(g, directed=False)
    assert n_lab == want_n
    np.testing.assert_array_equal(label, want)  # numbered by each group's smallest node


@pytest.mark.parametrize("seed", range(8))
def test_segment_grid_equals_brute_force(seed, monkeypatch):
    if seed % 2:
        monkeypatch.setattr(index, "_GRID_MAX_CELLS", 4)  # the KD-tree fallback
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    a = rng.uniform(0, 2000, (n, 2))
    b = a + rng.normal(0, float(rng.choice([3.0, 60.0, 800.0])), (n, 2))
    if seed == 2:
        a[:, 1] = b[:, 1] = 7.0  # all on one line: a grid one cell high
    b[0] = a[0]  # a degenerate segment
    pts = np.vstack([rng.uniform(-4000, 6000, (200, 2)), a[:3], (a[1] + b[1]) / 2])
    grid = index._SegmentGrid(a, b)
    d_all = np.stack([np.hypot(*(pts - (a[k] + np.clip(
        ((pts - a[k]) @ (b[k] - a[k])) / max((b[k] - a[k]) @ (b[k] - a[k]), 1e-300), 0, 1
    )[:, None] * (b[k] - a[k]))).T) for k in range(n)], axis=1)
    best = grid.nearest(pts)
    np.testing.assert_allclose(d_all[np.arange(len(pts)), best], d_all.min(axis=1),
                               rtol=0, atol=1e-9)
    for r in (0.0, 1.0, 150.0):
        pi, si, t, d = grid.within(pts, r)
        got = set(zip(pi.tolist(), si.tolist()))
        assert got == set(zip(*np.nonzero(d_all <= r + 1e-9))) or got == set(
            zip(*np.nonzero(d_all <= r)))
        np.testing.assert_allclose(d, d_all[pi, si], rtol=0, atol=1e-9)


# ------------------------------------ junctions of dense and near-parallel lines
def _pieces_of(nodes, coords):
    """Road edges (u, v, a, b) along a line whose vertices are the nodes ``nodes``."""
    return [(nodes[k], nodes[k + 1], coords[k], coords[k + 1]) for k in range(len(coords) - 1)]


def _check(net, roads, src, tgt, maxc=50.0):
    """The network's distances equal those of a graph built by hand."""
    d, _ = net.distances(np.asarray(src, float), np.asarray(tgt, float), max_connector_m=maxc)
    want, _ = graph_distances(roads, [], src, tgt, maxc=maxc)
    np.testing.assert_allclose(d, want, rtol=1e-12, atol=1e-9)
    return d


def test_a_feature_digitised_twice_joins_rung_by_rung_and_keeps_its_length():
    # two 1 km lines, vertices 0.9 m apart, the copy 0.7 m beside and 0.3 m along:
    # A_i–B_i are 0.76 m apart and B_i–A_i+1 0.92 m, a chain through all 2,224 vertices
    n = 1112
    a = [(0.9 * i, 0.0) for i in range(n)]
    b = [(0.9 * i + 0.3, 0.7) for i in range(n)]
    net = RoadNetwork.from_lines([L(a), L(b)], snap_tolerance_m=0)
    # by hand: closest pairs first, every A_i joins B_i; then B_i–A_i+1 would put two
    # vertices of A in one junction, refused.  Junction i holds A_i and B_i.
    roads = _pieces_of(range(n), a) + _pieces_of(range(n), b)
    assert net.n_nodes == n + n - 1  # (B's pieces, parallel to A's, split at the middle)
    assert net.length_m == pytest.approx(2 * 0.9 * (n - 1), rel=1e-12)
    d = _check(net, roads, [(0, -5)], [(500.4, -2), (500.4, 3), (1000.3, 3)])
    assert d[2] > 999


def test_the_reviewers_duplicate_half_a_step_apart_stays_a_road():
    # vertices 0.9 m apart on each line, the copy 0.8 m beside and 0.45 m along: every
    # vertex is 0.92 m from two of the other line (the old rule made it 4 nodes, 0 km)
    n = 1112
    a = [(0.9 * i, 0.0) for i in range(n)]
    b = [(0.9 * i + 0.45, 0.8) for i in range(n)]
    lines = [a, b]
    net = RoadNetwork.from_lines([L(c) for c in lines], snap_tolerance_m=0)
    assert net.length_m == pytest.approx(2 * 0.9 * (n - 1), rel=1e-12)
    src, tgt = [(0, -5)], [(500.4, 3), (1000.3, 3)]
    d, _ = net.distances(np.array(src, float), np.array(tgt, float), max_connector_m=50)
    want, _ = oracle_distances(lines, src, tgt, snap=0.0, maxc=50)
    np.testing.assert_allclose(d, want, rtol=1e-12, atol=1e-9)
    # each junction may skip up to 0.45 m along, no more: no shortcut over the road
    assert np.isfinite(d).all() and d[1] > 990


def test_a_gps_track_beside_a_road_joins_it_only_at_the_road_vertices():
    rng = np.random.default_rng(7)
    road = [(25.0 * k, 0.0) for k in range(9)]
    track = [(x, 0.5 + rng.uniform(-0.2, 0.2)) for x in np.arange(-3, 203.3, 0.6)]
    net = RoadNetwork.from_lines([L(road), L(track)], snap_tolerance_m=0)
    # by hand: each road vertex joins its nearest track vertex, nothing else joins
    txy = np.array(track)
    near = [int(np.argmin(np.hypot(*(txy - p).T))) for p in road]
    assert all(np.hypot(*(txy[j] - p)) <= 1 for j, p in zip(near, road))
    assert len(set(near)) == len(road)
    roads = _pieces_of([("T", j) for j in near], road) + _pieces_of(
        [("T", j) for j in range(len(track))], track)
    assert net.n_nodes == len(track)
    assert net.length_m == pytest.approx(L(road).length + L(track).length, rel=1e-12)
    _check(net, roads, [(0, -4)], [(100.2, 3), (150.1, -3), (203, 5), (-3, 0.6)])


def test_many_lines_meeting_within_1m_all_meet_at_one_junction():
    rng = np.random.default_rng(3)
    k = 12
    ang = 2 * np.pi * np.arange(k) / k
    u = np.column_stack([np.cos(ang), np.sin(ang)])
    inner = rng.uniform(-0.3, 0.3, (k, 2))  # all within 0.85 m of each other
    lines = [[tuple(inner[i]), tuple(50 * u[i]), tuple(100 * u[i])] for i in range(k)]
    net = RoadNetwork.from_lines([L(c) for c in lines], snap_tolerance_m=0)
    assert net.n_nodes == 1 + 2 * k
    roads = [e for i, c in enumerate(lines) for e in _pieces_of(["J", ("m", i), ("o", i)], c)]
    _check(net, roads, [103 * u[0]], 102 * u[1:])


def test_many_dense_lines_meeting_within_1m_stay_connected():
    # each line has its end and a second vertex 0.3 m out near the centre: a junction can
    # hold one of them only, so some lines join through their second vertex
    rng = np.random.default_rng(4)
    k = 8
    ang = 2 * np.pi * np.arange(k) / k + rng.uniform(-0.1, 0.1, k)
    u = np.column_stack([np.cos(ang), np.sin(ang)])
    inner = rng.uniform(-0.2, 0.2, (k, 2))
    lines = [[tuple(inner[i]), tuple(inner[i] + 0.3 * u[i]), tuple(100 * u[i])]
             for i in range(k)]
    net = RoadNetwork.from_lines([L(c) for c in lines], snap_tolerance_m=0)
    assert net.length_m == pytest.approx(sum(L(c).length for c in lines), rel=1e-12)
    src, tgt = [103 * u[0]], 102 * u[1:]
    d, _ = net.distances(np.array(src), tgt, max_connector_m=10)
    want, _ = oracle_distances(lines, src, tgt, snap=0.0, maxc=10)
    np.testing.assert_allclose(d, want, rtol=1e-12, atol=1e-9)
    assert np.isfinite(d).all() and (d < 3 + 200 + 2 + 2 * 0.3).all()


def test_a_chain_of_vertices_on_different_lines_is_one_junction():
    # A–B 0.8 m, B–C 0.8 m, A–C 1.6 m apart, three lines: one junction
    lines = [[(0, 0), (-100, 0)], [(0.8, 0), (0.8, 100)], [(1.6, 0), (101.6, 0)]]
    net = RoadNetwork.from_lines([L(c) for c in lines], snap_tolerance_m=0)
    assert net.n_nodes == 4
    roads = [("J", ("end", i), c[0], c[1]) for i, c in enumerate(lines)]
    d = _check(net, roads, [(-100, -2)], [(101.6, -2), (0.8, 102)])
    np.testing.assert_allclose(d, [2 + 100 + 100 + 2, 2 + 100 + 100 + 2])


def test_a_chain_through_two_vertices_of_one_line_joins_only_the_nearer():
    # U's ends 1.7 m apart, B's end 0.8 m from one and 0.9 m from the other
    u = [(0, 0), (0, -50), (1.7, -50), (1.7, 0)]
    b = [(0.8, 0), (0.8, 100)]
    net = RoadNetwork.from_lines([L(u), L(b)], snap_tolerance_m=0)
    roads = _pieces_of(["J", "u1", "u2", "u3"], u) + _pieces_of(["J", "b1"], b)
    d = _check(net, roads, [(0.8, 100)], [(1.7, -20), (0, -20)])
    np.testing.assert_allclose(d, [100 + 50 + 1.7 + 30, 100 + 20])


def test_a_short_segment_between_two_junctions_keeps_its_length():
    # a 1.6 m segment whose two vertices are both within 1 m of B's end: B joins the
    # nearer; the segment is not lost
    a = [(-100, 0), (0, 0), (1.6, 0), (101.6, 0)]
    b = [(0.7, 0.3), (0.7, 100)]
    net = RoadNetwork.from_lines([L(a), L(b)], snap_tolerance_m=0)
    assert net.length_m == pytest.approx(201.6 + 99.7)
    roads = _pieces_of(["a0", "J", "a2", "a3"], a) + _pieces_of(["J", "b1"], b)
    d = _check(net, roads, [(-100, -1)], [(101.6, -1), (0.7, 101), (1.5, -1)])
    np.testing.assert_allclose(d, [1 + 201.6 + 1, 1 + 100 + 99.7 + 1, 1 + 101.5 + 1])


def test_an_end_on_a_line_beside_its_vertex_joins_at_the_point_it_touches():
    # E ends on M 0.5 m from M's vertex: it joins M there (0 m), not at the vertex, and
    # M's 0.5 m piece stays
    m = [(0, 0), (50, 0), (100, 0)]
    e = [(50.5, 0), (50.5, 80)]
    net = RoadNetwork.from_lines([L(m), L(e)])
    roads = _pieces_of(["m0", "v", "S", "m2"], [(0, 0), (50, 0), (50.5, 0), (100, 0)]) \
        + _pieces_of(["S", "e1"], e)
    d = _check(net, roads, [(0, -1)], [(50.5, 81)])
    np.testing.assert_allclose(d, [1 + 50.5 + 80 + 1])


def _greedy_join(n, a, b, member, line):
    """The rule of _join_junctions, one pair after the other (plain Python)."""
    lines = [set() for _ in range(n)]
    for g, ln in zip(member, line):
        lines[g].add(int(ln))
    root = list(range(n))

    def find(x):
        while root[x] != x:
            x = root[x]
        return x

    for x, y in zip(a, b):
        rx, ry = sorted((find(x), find(y)))
        if rx != ry and not lines[rx] & lines[ry]:
            root[ry] = rx
            lines[rx] |= lines[ry]
    return np.array([find(x) for x in range(n)])


@pytest.mark.parametrize("seed", range(12))
def test_join_junctions_equals_the_one_by_one_greedy(seed, monkeypatch):
    # the rounds alone, the one-by-one tail alone, and the mix, on random groups
    monkeypatch.setattr(junctions, "_ROUND_SHARE", [16, 1, 10**9][seed % 3])
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 300))
    k = int(rng.integers(0, 3 * n))
    a, b = rng.integers(0, n, k), rng.integers(0, n, k)
    member = rng.integers(0, n, 2 * n)
    line = rng.integers(0, max(2, n // int(rng.choice([1, 4, 20]))), 2 * n)
    key = rng.random(k)
    root = junctions._join_junctions(n, a, b, (key,), member, line)
    o = np.argsort(key)
    np.testing.assert_array_equal(root, _greedy_join(n, a[o], b[o], member, line))
