"""Transfer-station siting: equal to brute force on small instances, by hand, edge cases."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pyproj
import pytest
from shapely import LineString, Point

from geo_env.analysis.siting import site_transfer_stations
from geo_env.errors import ColumnNotFoundError, DataValueError, EmptyLayerError, ParameterError
from geo_env.io.project import District
from geo_env.network import RoadNetwork

CRS = pyproj.CRS("EPSG:4548")
X0, Y0 = 548_900.0, 3_142_000.0


def make_district(vxy, pops, sxy=(), rd=None, **waste):
    n = len(vxy)
    v = gpd.GeoDataFrame(
        {"id": [f"v{i}" for i in range(n)], "name": [f"村{i}" for i in range(n)],
         "township": [("甲镇", "乙镇")[i % 2] for i in range(n)], "population": list(pops),
         "households": 1},
        geometry=[Point(X0 + x, Y0 + y) for x, y in vxy], crs=CRS)
    st = gpd.GeoDataFrame({"id": [f"s{i}" for i in range(len(sxy))]},
                          geometry=[Point(X0 + x, Y0 + y) for x, y in sxy], crs=CRS)
    roads = None if rd is None else gpd.GeoDataFrame(
        geometry=[LineString(np.asarray(c) + [X0, Y0]) for c in rd], crs=CRS)
    d = District(name="t", crs=CRS, villages=v, transfer_stations=st, roads=roads)
    return d.with_params("waste", **waste) if waste else d


def brute_force(cover, covered0, w, *, target=None, k=None):
    """Fewest sites reaching target (then most weight), or most weight with ≤ k sites
    (then fewest sites), by enumerating every subset: (number of sites, covered weight)."""
    n_c = cover.shape[0]
    total = w.sum()
    tol = 1e-9 * max(total, 1)
    best = None
    for size in range(n_c + 1 if k is None else k + 1):
        for s in itertools.combinations(range(n_c), size):
            cov = covered0 | (cover[list(s)].any(axis=0) if s else False)
            got = w[cov].sum()
            if k is None:
                if got >= target * total - tol and (best is None or got > best[1] + tol):
                    best = (size, got)
            elif best is None or got > best[1] + tol:
                best = (size, got)
        if k is None and best is not None:
            return best
    if k is None:  # the target cannot be reached: fewest sites covering all that can be
        reach = covered0 | cover.any(axis=0)
        return brute_force(cover, covered0, w, target=w[reach].sum() / total)
    return best


def straight_instance(rng):
    n_v, n_c = int(rng.integers(6, 13)), int(rng.integers(3, 9))
    vxy = rng.uniform(0, 6000, (n_v, 2))
    pops = rng.integers(0, 500, n_v) * (rng.random(n_v) < 0.9)
    sxy = rng.uniform(0, 6000, (int(rng.integers(0, 3)), 2))
    cxy = np.vstack([rng.uniform(0, 6000, (n_c, 2)), vxy[: rng.integers(0, 3)]])  # incl. duplicates of anchors
    return vxy, pops, sxy, cxy


def candidates_gdf(cxy):
    return gpd.GeoDataFrame({"id": [f"c{i}" for i in range(len(cxy))]},
                            geometry=[Point(X0 + x, Y0 + y) for x, y in cxy], crs=CRS)


@pytest.mark.parametrize("seed", range(30))
def test_min_count_and_max_k_equal_brute_force_straight(seed):
    rng = np.random.default_rng(seed)
    vxy, pops, sxy, cxy = straight_instance(rng)
    radius = float(rng.choice([1200.0, 2000.0, 3000.0]))
    d = make_district(vxy, pops, sxy)
    dist_c = np.hypot(*(cxy[:, None, :] - vxy[None, :, :]).transpose(2, 0, 1))
    cover = dist_c <= radius
    covered0 = (np.hypot(*(sxy[:, None, :] - vxy[None, :, :]).transpose(2, 0, 1)) <= radius
                ).any(axis=0) if len(sxy) else np.zeros(len(vxy), bool)
    w = pops.astype(float)
    weight = "population"
    if seed % 4 == 3:
        w, weight = np.ones(len(vxy)), "villages"
    target = float(rng.choice([0.5, 0.8, 0.95, 1.0]))
    res = site_transfer_stations(d, target=target, candidates=candidates_gdf(cxy), weight=weight,
                                 radius_m=radius, metric="straight")
    n_want, w_want = brute_force(cover, covered0, w, target=target)
    got_cov = res.after["waste_covered"].to_numpy()
    assert (len(res.sites), w[got_cov].sum()) == (n_want, pytest.approx(w_want))
    assert res.optimal
    reach = covered0 | cover.any(axis=0)
    assert res.target_reached == (w[reach].sum() >= target * w.sum() - 1e-9 * w.sum())
    # max-k form
    k = int(rng.integers(0, 4))
    res_k = site_transfer_stations(d, max_new=k, candidates=candidates_gdf(cxy), weight=weight,
                                   radius_m=radius, metric="straight")
    n_want, w_want = brute_force(cover, covered0, w, k=k)
    got_cov = res_k.after["waste_covered"].to_numpy()
    assert (len(res_k.sites), w[got_cov].sum()) == (n_want, pytest.approx(w_want))
    # the sites' own counts add up to the villages they newly cover
    new = got_cov & ~covered0
    assert res_k.sites["covers_villages"].sum() == new.sum()
    assert res_k.sites["covers_population"].sum() == pytest.approx(pops[new].sum())


@pytest.mark.parametrize("seed", range(6))
def test_equal_brute_force_on_road_distances(seed):
    rng = np.random.default_rng(50 + seed)
    rd = [[tuple(rng.uniform(0, 6000, 2)) for _ in range(3)] for _ in range(6)]
    vxy = rng.uniform(0, 6000, (9, 2))
    pops = rng.integers(1, 500, 9)
    d = make_district(vxy, pops, [tuple(rng.uniform(0, 6000, 2))], rd=rd)
    d = d.with_params("roads", node_crossings=True)
    radius = 2500.0
    # the oracle's coverage sets: one road-distance call per candidate (village anchors)
    net = RoadNetwork.from_lines([LineString(np.asarray(c) + [X0, Y0]) for c in rd],
                                 node_crossings=True)
    anchors = vxy + [X0, Y0]
    cover = np.array([np.nan_to_num(net.distances(anchors[j:j + 1], anchors,
                                                  max_connector_m=1000)[0], nan=np.inf) <= radius
                      for j in range(len(vxy))])
    s = np.array(d.transfer_stations.geometry.iloc[0].coords)
    covered0 = np.nan_to_num(net.distances(s, anchors, max_connector_m=1000)[0],
                             nan=np.inf) <= radius
    w = pops.astype(float)
    for target in (0.7, 1.0):
        res = site_transfer_stations(d, target=target, radius_m=radius, metric="road")
        n_want, w_want = brute_force(cover, covered0, w, target=target)
        assert (len(res.sites), w[res.after["waste_covered"].to_numpy()].sum()) == \
            (n_want, pytest.approx(w_want))
    res = site_transfer_stations(d, max_new=2, radius_m=radius, metric="road")
    n_want, w_want = brute_force(cover, covered0, w, k=2)
    assert (len(res.sites), w[res.after["waste_covered"].to_numpy()].sum()) == \
        (n_want, pytest.approx(w_want))


def test_hand_fixture_three_clusters():
    # the station covers cluster A; only the middle village of B (pop 600) and of C (pop 300)
    # reaches its whole cluster within 1000 m
    vxy = [(0, 0), (500, 0), (10000, 0), (10700, 0), (11400, 0), (20000, 0), (20600, 0),
           (21200, 0)]
    pops = [100, 100, 200, 200, 200, 100, 100, 100]
    d = make_district(vxy, pops, [(100, 0)])
    res = site_transfer_stations(d, target=0.95, radius_m=1000, metric="straight")
    assert len(res.sites) == 2 and res.target_reached
    assert res.sites["candidate_id"].tolist() == ["v3", "v6"]
    assert res.sites["id"].tolist() == ["P1", "P2"]
    assert res.sites["covers_population"].tolist() == [600, 300]
    assert res.sites["covers_villages"].tolist() == [3, 3]
    assert res.sites["township"].tolist() == ["乙镇", "甲镇"]  # the villages' townships
    assert res.share_before == pytest.approx(200 / 1100) and res.share_after == 1.0
    t = res.townships
    assert t["covered_villages"].tolist() == [1, 1, 2]
    assert t["covered_villages_after"].tolist() == [4, 4, 8]
    # with one site only: cluster B
    one = site_transfer_stations(d, max_new=1, radius_m=1000, metric="straight")
    assert one.sites["candidate_id"].tolist() == ["v3"] and not one.target_reached
    assert one.share_after == pytest.approx(800 / 1100)
    assert "not reached" in site_transfer_stations(d.__class__(**{**d.__dict__, "lang": "en"}),
                                                   max_new=1, radius_m=1000,
                                                   metric="straight").message


def test_unreachable_target_is_reported_and_best_effort_proposed():
    # the last village is 50 km from every candidate that is not itself
    vxy = [(0, 0), (300, 0), (5000, 0), (50000, 0)]
    d = make_district(vxy, [100, 100, 100, 700])
    far = gpd.GeoDataFrame({"id": ["c0", "c1"]},
                           geometry=[Point(X0 + 150, Y0), Point(X0 + 5000, Y0)], crs=CRS)
    res = site_transfer_stations(d.__class__(**{**d.__dict__, "lang": "en"}), target=0.9,
                                 candidates=far, radius_m=1000, metric="straight")
    assert not res.target_reached
    assert res.achievable == pytest.approx(0.3)
    assert len(res.sites) == 2 and res.share_after == pytest.approx(0.3)
    assert "cannot be reached" in res.message and "1 village" in res.message
    zh = site_transfer_stations(d, target=0.9, candidates=far, radius_m=1000, metric="straight")
    assert "无法达到" in zh.message


def test_target_already_met_and_empty_cases():
    d = make_district([(0, 0), (100, 0)], [10, 10], [(0, 0)])
    res = site_transfer_stations(d, target=0.95, radius_m=1000, metric="straight")
    assert len(res.sites) == 0 and res.target_reached and res.share_after == 1.0
    # no stations at all, every village its own candidate
    d = make_district([(0, 0), (100, 0), (9000, 0)], [10, 10, 10])
    res = site_transfer_stations(d, target=1.0, radius_m=1000, metric="straight")
    assert len(res.sites) == 2 and res.target_reached
    # no villages: no district (refused where it is made, see test_coverage)
    with pytest.raises(EmptyLayerError):
        make_district([], [])
    # zero population everywhere: nothing to weigh
    d = make_district([(0, 0), (5000, 0)], [0, 0])
    res = site_transfer_stations(d, target=0.9, radius_m=1000, metric="straight")
    assert len(res.sites) == 0
    # unreachable on roads: the village off the network cannot be covered by road
    d = make_district([(0, 0), (0, 5000)], [10, 10], rd=[[(-100, 0), (100, 0)]])
    res = site_transfer_stations(d, target=1.0, radius_m=1000, metric="road")
    assert not res.target_reached and res.achievable == pytest.approx(0.5)
    assert len(res.sites) == 1


def test_weight_by_a_column_and_bad_input():
    d = make_district([(0, 0), (5000, 0), (10000, 0)], [10, 10, 10])
    d.villages["households_poor"] = [0, 5, 1]
    res = site_transfer_stations(d, max_new=1, weight="households_poor", radius_m=1000,
                                 metric="straight")
    assert res.sites["candidate_id"].tolist() == ["v1"]
    with pytest.raises(ParameterError, match="target"):
        site_transfer_stations(d, target=1.5, metric="straight")
    with pytest.raises(ParameterError, match="max_new"):
        site_transfer_stations(d, max_new=-1, metric="straight")
    with pytest.raises(ColumnNotFoundError, match="no column 'nope'"):
        site_transfer_stations(d, weight="nope", metric="straight")
    d.villages["bad"] = [1.0, -2.0, 3.0]
    with pytest.raises(DataValueError, match="row 2"):
        site_transfer_stations(d, weight="bad", metric="straight")


def test_project_target_is_the_default():
    vxy = [(0, 0), (5000, 0), (10000, 0), (15000, 0)]
    d = make_district(vxy, [10, 10, 10, 10], target_coverage=0.5)
    assert len(site_transfer_stations(d, radius_m=1000, metric="straight").sites) == 2
    d = make_district(vxy, [10, 10, 10, 10])  # default 0.95
    assert len(site_transfer_stations(d, radius_m=1000, metric="straight").sites) == 4
