"""Road network: hand-computed cases, a networkx oracle on random graphs, bad input."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pyproj
import pytest
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from shapely import LineString, MultiLineString, Point, Polygon

from geo_env import network
from geo_env.errors import CRSError, DataValueError, GeometryTypeError, ParameterError
from geo_env.network import RoadNetwork

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


def oracle_distances(lines, sources, targets, *, snap, maxc, node_crossings=False):
    """Shortest road distances by the DESIGN rules, built naively with networkx."""
    G = nx.MultiGraph()
    segs = [(li, k, np.asarray(c[k], float), np.asarray(c[k + 1], float))
            for li, c in enumerate(lines) for k in range(len(c) - 1)]
    splits = {s: [] for s in range(len(segs))}
    verts = [(li, k, np.asarray(p, float)) for li, c in enumerate(lines) for k, p in enumerate(c)]
    for (l1, k1, p1), (l2, k2, p2) in itertools.combinations(verts, 2):
        d = np.hypot(*(p1 - p2))
        if (l1 != l2 and d <= 1.0) or d == 0:
            G.add_edge(("v", l1, k1), ("v", l2, k2), weight=0.0)
    for li, c in enumerate(lines):
        for k in {0, len(c) - 1}:
            p = np.asarray(c[k], float)
            for lj in range(len(lines)):
                if lj == li:
                    continue
                best = min(((_project(p, a, b), s) for s, (l, _, a, b) in enumerate(segs)
                            if l == lj), key=lambda x: x[0][1])
                (t, d), s = best
                if d <= snap:
                    node = ("s", li, k, lj)
                    splits[s].append((t, node))
                    G.add_edge(("v", li, k), node, weight=d)
    if node_crossings:
        for s1, s2 in itertools.combinations(range(len(segs)), 2):
            l1, k1, a1, b1 = segs[s1]
            l2, k2, a2, b2 = segs[s2]
            if l1 == l2 and abs(k1 - k2) == 1:
                continue
            x = L([a1, b1]).intersection(L([a2, b2]))
            if isinstance(x, Point):
                p = np.array([x.x, x.y])
                node = ("x", s1, s2)
                splits[s1].append((_project(p, a1, b1)[0], node))
                splits[s2].append((_project(p, a2, b2)[0], node))
    for g, pts in (("src", sources), ("tgt", targets)):
        for i, p in enumerate(np.asarray(pts, float)):
            (t, d), s = min(((_project(p, a, b), s) for s, (_, _, a, b) in enumerate(segs)),
                            key=lambda x: x[0][1])
            if d <= maxc:
                splits[s].append((t, ("a", g, i)))
                G.add_edge((g, i), ("a", g, i), weight=d)
    for s, (li, k, a, b) in enumerate(segs):
        add_chain(G, ("v", li, k), splits[s], ("v", li, k + 1), float(np.hypot(*(b - a))))
    out = from_nearest(G, [("src", i) for i in range(len(sources))],
                       [("tgt", j) for j in range(len(targets))])
    return out, G


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


def random_instance(rng, n_lines=10):
    """Random lines with T-ends near other lines, vertices near vertices, and a far part."""
    lines: list[list[tuple[float, float]]] = []
    for _ in range(n_lines):
        kind = rng.integers(4) if lines else 0
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
    return np.array(pts)


@pytest.mark.parametrize("seed", range(25))
def test_distances_equal_networkx_oracle(seed):
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
        monkeypatch.setattr(network, "_GRID_MAX_CELLS", 4)
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
    i, j = network._close_pairs(xy, 1.0)
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
    label, n_lab = network._merge_labels(n, pairs)
    a, b = np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])
    g = sp.coo_array((np.ones(len(a)), (a, b)), shape=(n, n))
    want_n, want = connected_components(g, directed=False)
    assert n_lab == want_n
    np.testing.assert_array_equal(label, want)  # numbered by each group's smallest node


@pytest.mark.parametrize("seed", range(8))
def test_segment_grid_equals_brute_force(seed, monkeypatch):
    if seed % 2:
        monkeypatch.setattr(network, "_GRID_MAX_CELLS", 4)  # the KD-tree fallback
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    a = rng.uniform(0, 2000, (n, 2))
    b = a + rng.normal(0, float(rng.choice([3.0, 60.0, 800.0])), (n, 2))
    if seed == 2:
        a[:, 1] = b[:, 1] = 7.0  # all on one line: a grid one cell high
    b[0] = a[0]  # a degenerate segment
    pts = np.vstack([rng.uniform(-4000, 6000, (200, 2)), a[:3], (a[1] + b[1]) / 2])
    grid = network._SegmentGrid(a, b)
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
