"""sewage.py: hand cases, metamorphic relations, gravity/pump counting, capacity, clusters.

Numbers are checked against hand computation, an independent per-sample Python loop
(gravity), or relations that must hold whatever the data.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
import shapely
from affine import Affine

import geo_env as ge
from geo_env.analysis.sewage import MODES, capital_recovery_factor, gravity_sewer, sewage_plan
from geo_env.analysis.sewage.capacity import share_capacity as _share_capacity
from geo_env.errors import DataValueError, ParameterError
from geo_env.standards import defaults

CRS = pyproj.CRS("EPSG:4548")
X0, Y0 = 500000.0, 3000000.0
P = defaults("sewage")
NO_CAP = {"connect_priority_max_premium": float("inf")}


def villages(rows, *, polygons=False):
    """rows: (x, y, population, households) with x, y in metres from (X0, Y0)."""
    rows = np.asarray(rows, dtype=float).reshape(-1, 4)
    pts = shapely.points(rows[:, :2] + [X0, Y0])
    geom = shapely.buffer(pts, 150.0) if polygons else pts
    return gpd.GeoDataFrame({
        "id": [f"v{i}" for i in range(len(rows))],
        "name": [f"村{i}" for i in range(len(rows))],
        "township": ["甲镇" if i % 2 == 0 else "乙镇" for i in range(len(rows))],
        "population": rows[:, 2].astype(int),
        "households": rows[:, 3].astype(int),
    }, geometry=geom, crs=CRS)


def plants(rows):
    """rows: (x, y, capacity, load)."""
    rows = np.asarray(rows, dtype=float).reshape(-1, 4)
    return gpd.GeoDataFrame({
        "id": [f"P{i}" for i in range(len(rows))],
        "name": [f"厂{i}" for i in range(len(rows))],
        "capacity_m3_per_day": rows[:, 2],
        "load_m3_per_day": rows[:, 3],
    }, geometry=shapely.points(rows[:, :2] + [X0, Y0]), crs=CRS)


def district(v, p=None, **kw):
    return ge.District(name="测试区", crs=CRS, villages=v, sewage_plants=p, **kw)


def write_dem(path, fn, *, size_m=12000.0, cell=30.0, origin=(-1000.0, -1000.0), nodata=None):
    """A GeoTIFF whose cell centres hold fn(x, y) (x, y in metres from X0, Y0)."""
    n = int(size_m / cell)
    r, c = np.mgrid[0:n, 0:n]
    x = origin[0] + (c + 0.5) * cell
    y = origin[1] + size_m - (r + 0.5) * cell
    z = fn(x, y).astype("float32")
    t = Affine(cell, 0, X0 + origin[0], 0, -cell, Y0 + origin[1] + size_m)
    prof = dict(driver="GTiff", width=n, height=n, count=1, dtype="float32", transform=t, crs="EPSG:4548")
    if nodata is not None:
        prof["nodata"] = nodata
    with rasterio.open(path, "w", **prof) as dst:
        dst.write(z, 1)
    return path


def naive_gravity(s, z, *, min_slope, min_depth, max_depth):
    """Independent per-sample loop: lift stations and ∫depth ds / length of one profile."""
    inv = z[0] - min_depth
    pumps, integral, prev = 0, 0.0, min_depth
    for k in range(1, len(s)):
        ds = s[k] - s[k - 1]
        inv = min(inv - min_slope * ds, z[k] - min_depth)
        depth = z[k] - inv
        if depth > max_depth and k < len(s) - 1:
            pumps += 1
            inv = z[k] - min_depth
            depth = min_depth
        integral += 0.5 * (prev + depth) * ds
        prev = depth
    return pumps, integral / (s[-1] - s[0])


# ---------------------------------------------------------------------------------------
# gravity and pumps on synthetic profiles with hand-computed answers
# ---------------------------------------------------------------------------------------
def test_uphill_profile_lift_stations_by_hand():
    # ground rises 5 %, pipe falls 1 %: the trench deepens 0.6 m per 10 m step from 1 m;
    # at step 6 it would be 4.6 m > 4 m → lift, restart at 1 m; lifts at 6, 12, …, 36.
    s = np.arange(41) * 10.0
    z = 0.05 * s
    pumps, depth = gravity_sewer(np.zeros(41, int), s, z, min_slope=0.01, min_depth_m=1.0, max_depth_m=4.0)
    assert pumps[0] == 6
    # ∫depth: six cycles of 150 m·m (trapezoids 1→4 m plus the 4→1 m reset) + 88 m·m
    assert depth[0] == pytest.approx((6 * 150 + 88) / 400)


def test_flat_and_downhill_profiles_by_hand():
    s = np.arange(501) * 10.0  # 5 km
    # flat: 0.3 % deepens 0.03 m per step from 1 m; > 8 m first at step 234 → lifts 234, 468
    pumps, _ = gravity_sewer(np.zeros(501, int), s, np.zeros(501), min_slope=0.003,
                             min_depth_m=1.0, max_depth_m=8.0)
    assert pumps[0] == 2
    # downhill steeper than the minimum slope: the pipe follows the ground at 1 m
    pumps, depth = gravity_sewer(np.zeros(501, int), s, 500 - 0.02 * s, min_slope=0.003,
                                 min_depth_m=1.0, max_depth_m=8.0)
    assert pumps[0] == 0 and depth[0] == pytest.approx(1.0)


def test_gravity_vectorised_equals_the_naive_loop_on_random_profiles():
    rng = np.random.default_rng(3)
    lens = rng.integers(2, 300, 40)
    idx = np.repeat(np.arange(40), lens)
    s = np.concatenate([np.cumsum(np.r_[0, rng.uniform(5, 15, n - 1)]) for n in lens])
    z = np.concatenate([np.cumsum(rng.normal(0.05, 0.8, n)) for n in lens])
    pumps, depth = gravity_sewer(idx, s, z, min_slope=0.005, min_depth_m=1.0, max_depth_m=5.0,
                                 chunk_cells=500)  # small chunks exercise the chunking
    for k in range(40):
        sel = idx == k
        p_ref, d_ref = naive_gravity(s[sel], z[sel], min_slope=0.005, min_depth=1.0, max_depth=5.0)
        assert pumps[k] == p_ref
        assert depth[k] == pytest.approx(d_ref)


def test_profile_gaps_are_filled_along_the_profile():
    s = np.arange(5) * 10.0
    full = gravity_sewer(np.zeros(5, int), s, np.array([10, 9, 8, 7, 6.0]), min_slope=0.003,
                         min_depth_m=1.0, max_depth_m=8.0)
    gap = gravity_sewer(np.zeros(5, int), s, np.array([np.nan, 9, np.nan, 7, np.nan]), min_slope=0.003,
                        min_depth_m=1.0, max_depth_m=8.0)
    # linear fill in the middle, nearest at the ends: 9, 9, 8, 7, 7
    filled = gravity_sewer(np.zeros(5, int), s, np.array([9, 9, 8, 7, 7.0]), min_slope=0.003,
                           min_depth_m=1.0, max_depth_m=8.0)
    assert gap[1][0] == pytest.approx(filled[1][0])
    assert gap[1][0] != pytest.approx(full[1][0])
    # a profile with no elevation at all is flat ground: depth grows 0.03 m per 10 m
    flat = gravity_sewer(np.zeros(5, int), s, np.full(5, np.nan), min_slope=0.003,
                         min_depth_m=1.0, max_depth_m=8.0)
    assert flat[1][0] == pytest.approx(1.0 + 0.5 * 0.003 * 40)


def test_capital_recovery_factor_by_hand():
    assert capital_recovery_factor(0.08, 30) == pytest.approx(0.08 * 1.08**30 / (1.08**30 - 1))
    assert capital_recovery_factor(0.0, 20) == pytest.approx(0.05)


# ---------------------------------------------------------------------------------------
# hand cases
# ---------------------------------------------------------------------------------------
def test_village_beside_a_plant_with_spare_capacity_connects():
    d = district(villages([(300, 0, 1000, 380)]), plants([(0, 0, 1000, 500)]))
    sew = ge.sewage_modes(d)
    row = sew.iloc[0]
    assert row.sewage_mode == "connect"
    assert row.sewage_plant_id == "P0"
    assert row.pipe_length_m == pytest.approx(300 * P["detour_factor"])
    assert row.pump_stations == 0
    # flow = 1000 persons × 80 L × 0.6 = 48 m³/d
    assert row.sewage_flow_m3_per_day == pytest.approx(1000 * 80 / 1000 * 0.6)
    assert row.cost_connect_yuan_per_year < min(row.cost_centralized_yuan_per_year,
                                                row.cost_household_yuan_per_year)
    # a priority pair (0.39 km ≤ 3 km, gravity) that is also the cheapest: the reason says both
    assert row.sewage_reason.startswith("距厂0（P0）管线0.4 km（不超过3.0 km）且全程重力流，按就近纳管优先原则接入"
                                        "（年费用比村级集中低")
    assert row.toilet_suggestion == "flush"
    # without the priority rule it connects on cost alone, and the reason says that
    row = ge.sewage_modes(d, connect_priority_distance_m=0).iloc[0]
    assert row.sewage_mode == "connect"
    assert row.sewage_reason.startswith("接入厂0（P0），管线0.4 km，全程重力流，纳管年费用比村级集中低")


def test_with_roads_the_sewer_follows_the_road_route():
    # road: village (0, 500) → (0, 0) → plant (1000, 0); straight × 1.3 would be 1453 m
    roads = gpd.GeoDataFrame({"name": ["乡道"]}, geometry=[shapely.LineString(
        [(X0, Y0 + 500), (X0, Y0), (X0 + 1000, Y0)])], crs=CRS)
    d = district(villages([(0, 500, 1500, 570)]), plants([(1000, 0, 1000, 0)]), roads=roads)
    res = sewage_plan(d)
    row = res.villages.iloc[0]
    assert row.sewage_mode == "connect"
    assert row.pipe_length_m == pytest.approx(1500.0)
    route = res.routes.geometry.iloc[0]
    assert route.length == pytest.approx(1500.0)
    assert shapely.get_coordinates(route)[0] == pytest.approx([X0, Y0 + 500])  # flows village → plant
    # a village the roads do not reach (beyond max_connector_m) falls back to straight × detour
    # (2 km from the road; without the fallback the connection would be unknown, NaN)
    # (the priority rule stretched to 5 km and 15 m trenches make it connect, so its sewer shows)
    far = district(villages([(-2000, 500, 1500, 570)]), plants([(1000, 0, 1000, 0)]), roads=roads)
    forced = dict(max_trench_depth_m=15, connect_priority_distance_m=5000,
                  connect_priority_max_premium=float("inf"))
    row = ge.sewage_modes(far, **forced).iloc[0]
    assert row.sewage_mode == "connect"
    assert row.pipe_length_m == pytest.approx(np.hypot(3000, 500) * P["detour_factor"])
    # the district's [roads] max_connector_m decides how far a village may be from the road:
    # at 2.5 km it attaches: connector 2 km + 0.5 km + 1 km along the road
    far.params["roads"]["max_connector_m"] = 2500.0
    row = ge.sewage_modes(far, **forced).iloc[0]
    assert row.sewage_mode == "connect"
    assert row.pipe_length_m == pytest.approx(3500.0)


def test_small_remote_hamlet_uphill_gets_household(tmp_path):
    # valley plant at (0, 0); the ground rises 4 % eastwards; hamlet 7 km east, 280 m up
    dem = write_dem(tmp_path / "dem.tif", lambda x, y: 100 + 0.04 * np.maximum(x, 0))
    v = villages([(7000, 0, 45, 17), (400, 0, 900, 340)])
    d = district(v, plants([(0, 0, 1000, 500)]), dem=dem)
    sew = ge.sewage_modes(d)
    assert sew.sewage_mode.tolist() == ["household", "connect"]
    assert sew.elevation_m.iloc[0] == pytest.approx(100 + 0.04 * 7000, abs=0.5)
    assert np.isnan(sew.cost_connect_yuan_per_year.iloc[0])  # beyond 5 km: infeasible
    assert "7.0 km" in sew.sewage_reason.iloc[0]
    assert sew.toilet_suggestion.iloc[0] == "septic_tank"


def test_village_below_its_plant_needs_lift_stations(tmp_path):
    # the plant sits 2 km east and 60 m higher (3 % slope): pumps counted like the naive loop
    dem = write_dem(tmp_path / "dem.tif", lambda x, y: 50 + 0.03 * np.clip(x, 0, 2000))
    d = district(villages([(0, 0, 2000, 760)]), plants([(2000, 0, 5000, 0)]), dem=dem)
    res = sewage_plan(d)
    row = res.villages.iloc[0]
    n = int(np.ceil(2000 * P["detour_factor"] / 10)) + 1
    s = np.minimum(np.arange(n) * 10.0, 2600.0)
    p_ref, _ = naive_gravity(s, 50 + 0.03 * s / 1.3, min_slope=0.003, min_depth=1.0, max_depth=8.0)
    # along the 2.6 km route the ground rises 2.31 %: the trench deepens 2.61 m per 100 m
    assert p_ref == 9
    assert row.sewage_mode == "centralized"
    assert f"纳管需{p_ref}座提升泵站" in row.sewage_reason
    # the same layout on flat ground: 2.6 km at 0.3 % needs 1 lift, and connecting is cheaper
    flat = sewage_plan(district(villages([(0, 0, 2000, 760)]), plants([(2000, 0, 5000, 0)]))).villages.iloc[0]
    assert flat.cost_connect_yuan_per_year < row.cost_connect_yuan_per_year
    assert "1座提升泵站" in flat.sewage_reason


def test_inside_a_protection_zone_no_station_discharges_touching_from_outside_no_household():
    # issue 17: inside a zone no outfall may be built — household systems with reuse (the old
    # rule put a village station there "because household systems were not allowed");
    # a settlement touching the zone from outside gets a station outside it
    v = villages([(7000, 0, 45, 17), (9000, 0, 45, 17), (7530, 0, 45, 17)])
    zone = gpd.GeoDataFrame({"protection": ["一级", ""]},
                            geometry=[shapely.box(X0 + 6500, Y0 - 500, X0 + 7500, Y0 + 500),
                                      shapely.box(X0 + 8500, Y0 - 500, X0 + 9500, Y0 + 500)], crs=CRS)
    res = sewage_plan(district(v, water=zone))
    sew = res.villages
    assert sew.sewage_mode.tolist() == ["household", "household", "centralized"]
    assert np.isfinite(sew.cost_household_yuan_per_year.iloc[0])
    assert "保护区内" in sew.sewage_reason.iloc[0] and "不外排" in sew.sewage_reason.iloc[0]
    assert np.isnan(sew.cost_household_yuan_per_year.iloc[2])
    assert "水源保护区" in sew.sewage_reason.iloc[2]
    assert res.details["inside_protection_zone"].tolist() == [True, False, False]
    assert res.summary["protection_zone"]["inside_villages"] == 1


def test_two_villages_side_by_side_share_a_station_at_the_hand_computed_cost():
    # two equal villages 200 m apart on flat ground, far from any plant; 450 residents each:
    # one settlement cluster each (⌈450/500⌉), too large for household systems (> 200)
    v = villages([(0, 0, 450, 170), (200, 0, 450, 170)])
    res = sewage_plan(district(v))
    sew = res.villages
    assert sew.sewage_mode.tolist() == ["cluster", "cluster"]
    assert sew.sewage_cluster_id.nunique() == 1
    assert np.isnan(sew.cost_household_yuan_per_year).all()
    cl = res.clusters.iloc[0]
    r = P["discount_rate"]
    crf30, crf15 = capital_recovery_factor(r, 30), capital_recovery_factor(r, 15)
    q = 2 * 450 * 0.08 * 0.6  # 43.2 m³/d
    station = 20000 * 20 * (q / 20) ** 0.66 * crf15 + q * 365 * 1.5
    # lanes through 170 houses on 450 × 150 m² (a point village: no polygon to bound it)
    lanes = 0.7124 * np.sqrt(170 * 450 * 150.0)
    internal = 2 * (lanes * 300 + 170 * 1500) * (crf30 + 0.01)
    assert res.details["village_network_m"].to_numpy() == pytest.approx([lanes, lanes])
    assert (res.details["trunk_m"] == 0).all()
    # linking sewer: 200 m × 1.3, DN300, flat: depth 1 m → 1.78 m (0.3 % over 260 m), mean 1.39
    link_len = 260.0
    mean_depth = 1.0 + 0.5 * 0.003 * link_len
    link = link_len * (400 + 80 * mean_depth) * (crf30 + 0.01)
    assert cl.cost_yuan_per_year == pytest.approx(station + internal + link, rel=1e-9)
    assert cl.villages_count == 2
    assert sew.pipe_length_m.max() == pytest.approx(link_len)
    # alone, each village would build its own station: the shared one is cheaper
    alone = (lanes * 300 + 170 * 1500) * (crf30 + 0.01) + (
        20000 * 20 * (q / 2 / 20) ** 0.66 * crf15 + q / 2 * 365 * 1.5)
    assert sew.cost_centralized_yuan_per_year.to_numpy() == pytest.approx([alone, alone])
    assert cl.cost_yuan_per_year < 2 * alone


# ---------------------------------------------------------------------------------------
# relations that hold whatever the data
# ---------------------------------------------------------------------------------------
def random_county(seed, n=40, n_plants=3, capacity=(5000, 0), size=8000.0, pop=(30, 1500)):
    rng = np.random.default_rng(seed)
    pop = rng.integers(pop[0], pop[1], n)
    rows = np.column_stack([rng.uniform(0, size, n), rng.uniform(0, size, n), pop, np.ceil(pop / 2.6)])
    prow = np.column_stack([rng.uniform(0, size, n_plants), rng.uniform(0, size, n_plants),
                            np.full(n_plants, capacity[0]), np.full(n_plants, capacity[1])])
    return villages(rows), plants(prow)


@pytest.fixture(scope="module")
def hilly_dem(tmp_path_factory):
    path = tmp_path_factory.mktemp("dem") / "hills.tif"
    return write_dem(path, lambda x, y: 200 + 60 * np.sin(x / 1500) * np.cos(y / 1100) + 0.01 * x)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_village_gets_one_mode_and_a_reason_and_capacity_holds(seed, hilly_dem):
    v, p = random_county(seed, capacity=(120, 60))  # scarce capacity: 60 m³/d spare each
    res = sewage_plan(district(v, p, dem=hilly_dem))
    sew = res.villages
    assert sew.index.equals(v.index)
    assert sew.sewage_mode.isin(MODES).all()
    assert sew.sewage_reason.map(lambda t: isinstance(t, str) and len(t) > 5).all()
    chosen = sew.apply(lambda r: r[f"cost_{r.sewage_mode}_yuan_per_year"], axis=1)
    assert np.isfinite(chosen).all()
    connected = sew[sew.sewage_mode == "connect"]
    assert len(connected) > 0  # (so the capacity checks below are not vacuous)
    assert connected.sewage_plant_id.notna().all()
    assert sew.loc[sew.sewage_mode != "connect", "sewage_plant_id"].isna().all()
    flow = connected.groupby("sewage_plant_id").sewage_flow_m3_per_day.sum()
    spare = (p.set_index("id").capacity_m3_per_day - p.set_index("id").load_m3_per_day)
    assert (flow <= spare.reindex(flow.index) + 1e-9).all()
    after = res.plants.set_index("id").load_after_m3_per_day
    assert (after <= p.set_index("id").capacity_m3_per_day + 1e-9).all()
    # a non-connect village's chosen cost is the cheapest of its feasible own options
    own = sew[sew.sewage_mode.isin(["centralized", "household"])]
    assert len(own) > 0
    best = own[["cost_centralized_yuan_per_year", "cost_household_yuan_per_year"]].min(axis=1)
    np.testing.assert_allclose(chosen[own.index], best)


@pytest.mark.parametrize("seed", [0, 4])
def test_every_cluster_is_cheaper_than_its_members_alone(seed, hilly_dem):
    v, p = random_county(seed, n=50, n_plants=1, capacity=(10, 10), pop=(30, 500))
    res = sewage_plan(district(v, p, dem=hilly_dem), cluster_max_link_m=2500)
    assert len(res.clusters) > 0
    alone = res.details["cost_alone_yuan_per_year"]
    sew = res.villages
    for _, cl in res.clusters.iterrows():
        members = sew.index[sew.sewage_cluster_id == cl.sewage_cluster_id]
        assert len(members) == cl.villages_count >= 2
        assert cl.cost_yuan_per_year < alone[members].sum()
        assert (sew.loc[members, "cost_cluster_yuan_per_year"] < alone[members]).all()
        assert sew.loc[members, "cost_cluster_yuan_per_year"].sum() == pytest.approx(cl.cost_yuan_per_year)


def test_zero_spare_capacity_means_nobody_connects_to_that_plant():
    v, _ = random_county(5, n=30)
    p = plants([(2000, 2000, 800, 800), (6000, 6000, 800, 0), (4000, 4000, 500, 900)])
    sew = ge.sewage_modes(district(v, p))
    used = set(sew.sewage_plant_id.dropna())
    assert "P0" not in used and "P2" not in used
    assert "P1" in used  # the control plant with room does take villages


def scarce_county(seed, n=30):
    """A random district whose three plants have little spare capacity (30–120 m³/d)."""
    v, p = random_county(seed, n=n, n_plants=3, size=6000.0, pop=(100, 1200))
    p["capacity_m3_per_day"] = np.random.default_rng(seed).choice([30.0, 60.0, 120.0], 3)
    p["load_m3_per_day"] = 0.0
    return v, p


def one_plant_county(seed):
    """The reviewer's reproduction: 8 villages round one plant with 40–150 m³/d spare."""
    rng = np.random.default_rng(seed)
    pop = rng.integers(200, 1500, 8)
    rows = np.column_stack([rng.uniform(-2500, 2500, 8), rng.uniform(-2500, 2500, 8), pop, np.ceil(pop / 2.6)])
    return villages(rows), plants([(0, 0, float(rng.uniform(40, 150)), 0)])


def connected_at(plan, plant_id):
    sew = plan.villages
    return set(sew.index[(sew.sewage_mode == "connect") & (sew.sewage_plant_id == plant_id)])


@pytest.mark.parametrize("case", [("abundant", 0), ("abundant", 1), ("abundant", 2),
                                  ("scarce", 11), ("scarce", 12), ("scarce", 18)])
def test_moving_a_plant_closer_never_turns_a_connect_village_into_another_mode(case, hilly_dem):
    # abundant capacity: the village always stays connected, its connection no dearer.
    # scarce capacity: it stays connected unless another village that was not connected to
    # that plant before now is (the plant came nearer to it too and took the room) — the
    # strongest form that holds under scarcity (see sewage.py, *Capacity sharing*)
    # (in ("scarce", 18) a village does lose its room to newcomers)
    kind, seed = case
    v, p = random_county(seed, n=30, n_plants=2) if kind == "abundant" else scarce_county(seed)
    displaced = 0
    base = sewage_plan(district(v, p, dem=hilly_dem))
    sew = base.villages
    conn = sew[sew.sewage_mode == "connect"]
    assert len(conn) > 0
    if kind == "scarce":  # (the plants' capacity does bind)
        assert base.details.capacity_blocked.any()
    for idx, row in conn.head(4).iterrows():
        j = int(row.sewage_plant_id[1:])
        for frac in (0.3, 0.7):
            p2 = p.copy()
            a = np.array(p.geometry.iloc[j].coords[0])
            b = np.array(v.geometry.loc[idx].coords[0])
            p2.loc[p2.index[j], "geometry"] = shapely.Point(a + frac * (b - a))
            moved = sewage_plan(district(v, p2, dem=hilly_dem))
            if kind == "abundant":
                assert moved.villages.loc[idx, "sewage_mode"] == "connect"
                assert (moved.villages.loc[idx, "cost_connect_yuan_per_year"]
                        <= row.cost_connect_yuan_per_year + 1e-6)
            elif moved.villages.loc[idx, "sewage_mode"] != "connect":
                newcomers = connected_at(moved, row.sewage_plant_id) - connected_at(base, row.sewage_plant_id)
                assert newcomers, (idx, frac)
                displaced += 1
    if case == ("scarce", 18):  # (the scarce branch above is not vacuous)
        assert displaced > 0


SWEEP = (100, 300, 600, 1200, 3000)  # sewer unit cost, yuan/m


@pytest.mark.parametrize("case", [("abundant", 0), ("abundant", 3), ("one plant", 23), ("one plant", 259),
                                  ("scarce", 11), ("scarce", 14)])
def test_raising_the_sewer_unit_cost_never_increases_connections(case, hilly_dem):
    # ("one plant", 23) and 259 are the reviewer's reproductions: with pairs ranked by saving
    # per m³/d (which depends on the sewer cost) they gave [2, 1, 2, 2, 2] and [1, 1, 1, 1, 2]
    kind, seed = case
    if kind == "abundant":
        d = district(*random_county(seed, n=40, n_plants=3), dem=hilly_dem)
    elif kind == "one plant":
        d = district(*one_plant_county(seed))
    else:
        d = district(*scarce_county(seed), dem=hilly_dem)
    for kw in ({}, NO_CAP, {"connect_priority_distance_m": 0}):  # default cap, no cap, no priority
        plans = [sewage_plan(d, sewer_cost_yuan_per_m=c, **kw) for c in SWEEP]
        counts = [int((r.villages.sewage_mode == "connect").sum()) for r in plans]
        assert counts == sorted(counts, reverse=True), (kw, counts)
        if kind != "abundant":  # (the capacity binds somewhere in the sweep)
            assert any(r.details.capacity_blocked.any() for r in plans)
    if kind == "abundant":
        assert counts[0] > counts[-1]  # the sweep does move the mix


def test_scarce_capacity_connects_as_many_villages_as_fit_then_the_largest_saving():
    # spare 50 m³/d.  Two villages of 800 (38.4 m³/d each) at 300 m and 600 m: only one fits;
    # the nearer saves more and connects.
    v = villages([(300, 0, 800, 300), (600, 0, 800, 300)])
    sew = ge.sewage_modes(district(v, plants([(0, 0, 100, 50)])))
    assert sew.sewage_mode.tolist()[0] == "connect" and sew.sewage_mode.iloc[1] != "connect"
    assert sew.sewage_reason.iloc[1].startswith("可接入的厂0（P0）距本村管线0.8 km，其余量50.0 m³/d已分配给其他村，"
                                                "余下11.6 m³/d不足本村污水量38.4 m³/d")
    # add two villages of 400 (19.2 m³/d each) farther out: both fit together (38.4 ≤ 50),
    # the big near one with either does not (57.6 > 50): two villages connect, not one
    v = villages([(300, 0, 800, 300), (900, 0, 400, 150), (0, 900, 400, 150)])
    res = sewage_plan(district(v, plants([(0, 0, 100, 50)])))
    assert res.villages.sewage_mode.tolist()[1:] == ["connect", "connect"]
    assert res.villages.sewage_mode.iloc[0] != "connect"
    saving = res.details.cost_alone_yuan_per_year - res.villages.cost_connect_yuan_per_year
    assert saving.iloc[0] > saving.iloc[1:].max()  # (the big village alone would save more each)
    assert res.plants.spare_after_m3_per_day.iloc[0] == pytest.approx(50 - 2 * 19.2)


def brute_force_assignment(pv, pp, flow, spare, eligible, prio, saving):
    """The lexicographic optimum (villages, priority pairs, saving) by enumeration."""
    options = [[-1] + [e for e in range(len(pv)) if pv[e] == i and eligible[e]] for i in range(len(flow))]
    best = None
    for choice in itertools.product(*options):
        used = [e for e in choice if e >= 0]
        load = np.bincount(pp[used], weights=flow[pv[used]], minlength=len(spare)) if used else 0
        if np.any(load > spare + 1e-9):
            continue
        score = (len(used), int(prio[used].sum()), float(saving[used].sum()))
        if best is None or score[:2] > best[:2] or (score[:2] == best[:2] and score[2] > best[2] + 1e-9):
            best = score
    return best


def random_pairs(rng, n=6, n_plants=3):
    pv, pp = [], []
    for i in range(n):
        for j in rng.choice(n_plants, rng.integers(1, n_plants + 1), replace=False):
            pv.append(i)
            pp.append(j)
    pv, pp = np.array(pv), np.array(pp)
    flow = rng.uniform(5, 40, n)
    spare = rng.uniform(10, 60, n_plants)
    prio = rng.random(len(pv)) < 0.3
    saving = rng.normal(1000, 1500, len(pv))
    eligible = (saving > 0) | prio
    return pv, pp, flow, spare, eligible, prio, saving


def test_capacity_sharing_is_the_lexicographic_optimum_of_a_brute_force():
    rng = np.random.default_rng(7)
    for _ in range(40):
        pv, pp, flow, spare, eligible, prio, saving = random_pairs(rng)
        got = _share_capacity(len(flow), pv, pp, flow, spare, eligible, prio, saving)
        used = got[got >= 0]
        assert eligible[used].all() and (pv[used] == np.flatnonzero(got >= 0)).all()
        load = np.bincount(pp[used], weights=flow[pv[used]], minlength=len(spare))
        assert (load <= spare + 1e-9).all()
        best = brute_force_assignment(pv, pp, flow, spare, eligible, prio, saving)
        assert (len(used), int(prio[used].sum())) == best[:2]
        assert saving[used].sum() == pytest.approx(best[2], rel=1e-9, abs=1e-6)


def test_a_village_whose_own_connection_improves_stays_connected():
    # the strongest plant-closer relation under scarce capacity: when only the village's own
    # pair gets better (a larger saving, or priority), it never loses its connection
    rng = np.random.default_rng(8)
    checked = 0
    for _ in range(20):
        pv, pp, flow, spare, eligible, prio, saving = random_pairs(rng, n=8)
        n = len(flow)
        got = _share_capacity(n, pv, pp, flow, spare, eligible, prio, saving)
        left_out = np.isin(np.arange(n), pv[eligible]) & (got < 0)
        if not left_out.any():
            continue  # (only instances where capacity binds: a village with an eligible pair is left out)
        for i in np.flatnonzero(got >= 0)[:3]:
            e = got[i]
            better_saving, better_prio = saving.copy(), prio.copy()
            better_saving[e] += rng.uniform(1, 2000)
            better_prio[e] = True
            for s2, p2 in ((better_saving, prio), (saving, better_prio), (better_saving, better_prio)):
                again = _share_capacity(n, pv, pp, flow, spare, eligible, p2, s2)
                assert again[i] >= 0
                checked += 1
    assert checked > 20


def test_priority_connections_are_capped_by_a_premium(tmp_path):
    down = write_dem(tmp_path / "down.tif", lambda x, y: 200 - 0.01 * (x + 1000),
                     origin=(-3000.0, -1000.0), size_m=14000.0)  # covers every village
    # a hamlet of 150 (one settlement: no trunk sewer) 2 km from a plant, gravity sewer 2.6 km
    d = district(villages([(-2000, 0, 150, 50)]), plants([(0, 0, 1000, 0)]), dem=down)
    free = sewage_plan(d, **NO_CAP)
    row = free.villages.iloc[0]
    assert row.sewage_mode == "connect" and free.details.cost_trunk_yuan_per_year.iloc[0] == 0
    premium = row.cost_connect_yuan_per_year / row.cost_household_yuan_per_year - 1
    assert premium > P["connect_priority_max_premium"] == 0.5
    assert ge.sewage_modes(d, connect_priority_max_premium=premium + 1e-3).sewage_mode.iloc[0] == "connect"
    capped = ge.sewage_modes(d, connect_priority_max_premium=premium - 1e-3).iloc[0]
    assert capped.sewage_mode == "household"
    assert capped.sewage_reason.startswith(
        f"距厂0（P0）管线2.6 km且全程重力流，但纳管年费用比联户分户高{premium * 100:.0f}%，"
        f"超过就近纳管优先的加价上限{(premium - 1e-3) * 100:.0f}%；")
    assert ge.sewage_modes(d).sewage_mode.iloc[0] == "household"  # the default cap, 50 %
    # 1000 residents in 2 settlements (a trunk sewer joins them) 1.5 km from the plant: at
    # 400 yuan/m the priority connection is taken under the default cap; at 3000 yuan/m it
    # would cost over three times as much as a village station: the cap refuses it, with
    # the trunk left out of both sides
    d = district(villages([(-1500, 0, 1000, 385)]), plants([(0, 0, 1000, 0)]), dem=down)
    assert sewage_plan(d).details.connected_by_priority.iloc[0]
    dear = sewage_plan(d, sewer_cost_yuan_per_m=3000, **NO_CAP)
    row, det = dear.villages.iloc[0], dear.details.iloc[0]
    assert row.sewage_mode == "connect" and det.connected_by_priority
    cost, alone, trunk = row.cost_connect_yuan_per_year, det.cost_alone_yuan_per_year, det.cost_trunk_yuan_per_year
    assert trunk > 0 and cost / alone - 1 > 2
    rule = (cost - trunk) / (alone - trunk) - 1  # the premium the cap compares
    for cap, connects in ((rule + 1e-3, True), (rule - 1e-3, False)):
        got = ge.sewage_modes(d, sewer_cost_yuan_per_m=3000, connect_priority_max_premium=cap).iloc[0]
        assert (got.sewage_mode == "connect") == connects
    refused = ge.sewage_modes(d, sewer_cost_yuan_per_m=3000).iloc[0]
    assert refused.sewage_mode != "connect"
    assert (f"但纳管年费用比村级集中高{(cost / alone - 1) * 100:.0f}%（不计村内干管高{rule * 100:.0f}%），"
            "超过就近纳管优先的加价上限50%") in refused.sewage_reason


# ---------------------------------------------------------------------------------------
# parameters, bad input, language, DEM nodata, plan integration
# ---------------------------------------------------------------------------------------
def test_overrides_are_validated():
    d = district(villages([(0, 0, 100, 40)]))
    with pytest.raises(ParameterError, match="sewer_cost_yuan_per_m"):
        ge.sewage_modes(d, sewer_cost_per_m=500)
    with pytest.raises(ParameterError, match="greater than 0"):
        ge.sewage_modes(d, sewer_cost_yuan_per_m=-1)
    with pytest.raises(ParameterError, match="max_trench_depth_m"):
        ge.sewage_modes(d, max_trench_depth_m=0.5)


def test_bad_population_names_the_row():
    v = villages([(0, 0, 100, 40), (10, 0, 100, 40)])
    v.loc[1, "population"] = -5
    with pytest.raises(DataValueError, match="population") as err:
        ge.sewage_modes(district(v))
    assert err.value.row == 2


def test_english_reasons_and_inputs_untouched():
    v = villages([(300, 0, 1000, 380), (9000, 0, 30, 12)])
    p = plants([(0, 0, 1000, 500)])
    before = v.copy()
    d = district(v, p, lang="en")
    sew = ge.sewage_modes(d)
    assert sew.sewage_reason.iloc[0].startswith(
        "Connects to 厂0 (P0), as villages near a plant connect first: 0.4 km of sewer (at most 3.0 km) "
        "by gravity all the way, and ")
    assert sew.sewage_reason.iloc[0].endswith("% cheaper per year than a village station")
    cost = ge.sewage_modes(d, connect_priority_distance_m=0)
    assert cost.sewage_reason.iloc[0].startswith("Connects to 厂0 (P0): 0.4 km of sewer, gravity all the way;")
    assert "household systems" in sew.sewage_reason.iloc[1]
    assert v.equals(before)


def test_dem_with_nodata_holes_and_fill_values(tmp_path):
    def fn(x, y):
        z = 100 + 0.01 * x
        return np.where((x > 2900) & (x < 3300), -3.4028234663852886e38, z)  # undeclared fill
    dem = write_dem(tmp_path / "holes.tif", fn)
    v = villages([(3100, 0, 500, 190), (1000, 0, 500, 190)])
    d = district(v, plants([(0, 0, 1000, 0)]), dem=dem)
    with pytest.warns(ge.GeoEnvWarning) as got:
        sew = ge.sewage_modes(d)
    said = " | ".join(str(w.message) for w in got)
    assert "not elevations" in said and "1 village anchor(s) lie where the DEM has no data (v0)" in said
    assert np.isnan(sew.elevation_m.iloc[0])  # in the hole
    assert sew.elevation_m.iloc[1] == pytest.approx(110.0, abs=0.01)
    assert np.isfinite(sew.cost_connect_yuan_per_year).all()
    # the project's nodata override declares the fill value: same answer, and only the
    # village in the hole is named
    d2 = district(v, plants([(0, 0, 1000, 0)]), dem=dem, dem_nodata=-3.4028234663852886e38)
    with pytest.warns(ge.GeoEnvWarning, match=r"no data \(v0\)") as got:
        sew2 = ge.sewage_modes(d2)
    assert not any("not elevations" in str(w.message) for w in got)
    np.testing.assert_allclose(sew2.cost_connect_yuan_per_year, sew.cost_connect_yuan_per_year)


def test_analyze_adds_columns_layers_tables_and_summary(tmp_path):
    v, p = random_county(7, n=25, n_plants=2, capacity=(300, 250))
    plan = ge.analyze(district(v, p))
    for col in ("sewage_mode", "sewage_plant_id", "sewage_cluster_id", "sewage_reason", "toilet_suggestion",
                "cost_connect_yuan_per_year", "pump_stations", "elevation_m"):
        assert col in plan.villages.columns
    s = plan.summary["sewage"]
    assert sum(s["by_mode"][m]["villages"] for m in MODES) == 25
    assert sum(s["by_mode"][m]["population"] for m in MODES) == v.population.sum()
    assert {pl["id"] for pl in s["plants"]} == {"P0", "P1"}
    for pl in s["plants"]:
        assert pl["load_after_m3_per_day"] <= pl["capacity_m3_per_day"] + 1e-9
    table = plan.tables["sewage_by_township"]
    total = table.set_index("township").loc["total"]
    assert total["villages"] == 25
    assert total[[f"{m}_villages" for m in MODES]].sum() == 25
    assert "sewage_clusters" in plan.layers and "load_after_m3_per_day" in plan.layers["sewage_plants"]
    written = plan.save(tmp_path / "out")
    import pyogrio

    names = [n for n, _ in pyogrio.list_layers(written[0])]
    assert {"villages", "sewage_plants", "sewage_clusters", "sewer_routes"} <= set(names)


def test_plan_saves_with_no_clusters_and_no_connections(tmp_path):
    plan = ge.analyze(district(villages([(0, 0, 100, 40)])))
    assert len(plan.layers["sewage_clusters"]) == 0 and len(plan.layers["sewer_routes"]) == 0
    assert plan.summary["sewage"]["by_mode"]["household"]["villages"] == 1
    plan.save(tmp_path / "out")


def test_labels_cover_every_output_column_and_mode():
    from geo_env.analysis.sewage import VILLAGE_COLUMNS as _OUT_COLUMNS
    from geo_env.labels import label

    for code in [*_OUT_COLUMNS, *MODES, "flush", "septic_tank", "dry", "not_needed", "no_population",
                 "no_population_villages", "sewage_clusters", "load_after_m3_per_day"]:
        assert label(code, "zh") != code and label(code, "en") != code
    assert label("connect", "zh") == "纳管" and label("household", "zh") == "联户分户"


# ---------------------------------------------------------------------------------------
# settlements: settled area, clusters, lanes and trunk (hand-computed)
# ---------------------------------------------------------------------------------------
def box_villages(rows, **extra):
    """rows: (x, y, population, households) → 2 km × 1 km polygons centred there."""
    rows = np.asarray(rows, dtype=float).reshape(-1, 4)
    geoms = [shapely.box(X0 + x - 1000, Y0 + y - 500, X0 + x + 1000, Y0 + y + 500) for x, y, _, _ in rows]
    gdf = gpd.GeoDataFrame({
        "id": [f"v{i}" for i in range(len(rows))], "name": [f"村{i}" for i in range(len(rows))],
        "township": "甲镇", "population": rows[:, 2].astype(int), "households": rows[:, 3].astype(int),
    }, geometry=geoms, crs=CRS)
    for k, values in extra.items():
        gdf[k] = values
    return gdf


def test_settled_area_and_clusters_by_hand_on_flat_ground():
    v = box_villages([(0, 0, 900, 300), (5000, 0, 900, 300), (10000, 0, 900, 300),
                      (15000, 0, 900, 300), (20000, 0, 0, 0)],
                     settlement_area_ha=[np.nan, 20.0, 500.0, np.nan, np.nan],
                     natural_villages=[np.nan, np.nan, np.nan, 5, np.nan])
    det = sewage_plan(district(v)).details
    # residents × 150 m²; the given 20 ha; 500 ha bounded by the 200 ha polygon; 0 people
    assert det.settled_area_m2.tolist() == pytest.approx([135_000, 200_000, 2_000_000, 135_000, 0])
    assert det.settled_area_from_data.tolist() == [False, True, True, False, False]
    # no DEM: flat, 500 residents per cluster → ⌈900/500⌉ = 2; the data's 5 natural villages
    assert det.settlement_clusters.tolist() == [2, 2, 2, 5, 1]
    assert det.village_network_m.iloc[0] == pytest.approx(0.7124 * np.sqrt(300 * 135_000))
    assert det.village_network_m.iloc[1] == pytest.approx(0.7124 * np.sqrt(300 * 200_000))
    # trunk: expected spanning tree of 2 (5) points over the 2 km² polygon × detour 1.3
    assert det.trunk_m.iloc[0] == pytest.approx(0.7 * np.sqrt(2e6) * 0.75 * 1.3)
    assert det.trunk_m.iloc[3] == pytest.approx(0.7 * np.sqrt(2e6) * 3.75 / 2 * 1.3)
    assert det.trunk_m.iloc[4] == 0


def test_point_village_settled_area_is_not_bounded():
    det = sewage_plan(district(villages([(0, 0, 4000, 1300)]))).details
    assert det.settled_area_m2.iloc[0] == pytest.approx(4000 * 150)
    # 8 clusters of 500 on flat ground; the clusters lie within 10 × 60 ha = 6 km² (≤ 18)
    assert det.settlement_clusters.iloc[0] == 8
    assert det.trunk_m.iloc[0] == pytest.approx(0.7 * np.sqrt(6e6) * 6.75 / np.sqrt(7) * 1.3)


@pytest.mark.parametrize("deg, clusters", [(1.0, 2), (4.0, 5), (10.0, 6)])
def test_clusters_follow_the_mean_slope(tmp_path, deg, clusters):
    # a plane rising at `deg` degrees: slope = tan(deg) everywhere
    dem = write_dem(tmp_path / "plane.tif", lambda x, y: 100 + np.tan(np.radians(deg)) * (x + 1000))
    v = box_villages([(3000, 3000, 1000, 330)])
    det = sewage_plan(district(v, dem=dem)).details
    assert det.slope_percent.iloc[0] == pytest.approx(100 * np.tan(np.radians(deg)), rel=1e-4)
    # residents per cluster: 500 up to 2°, 500·(120/500)^((deg−2)/4) up to 6°, then 120:
    # 1° → 500 → 2;  4° → 244.9 → ⌈4.08⌉ = 5;  10° → 120 → 9, capped at 3 per km² × 2 km² = 6
    assert det.settlement_clusters.iloc[0] == clusters
    assert det.settlement_population.iloc[0] == pytest.approx(1000 / clusters)


def test_mst_length_matches_random_spanning_trees():
    from scipy.sparse.csgraph import minimum_spanning_tree
    from scipy.spatial.distance import cdist

    from geo_env.analysis.sewage import mst_length

    rng = np.random.default_rng(11)
    for k in (2, 3, 5, 10):
        pts = rng.uniform(0, 1000.0, (600, k, 2))  # 1 km² squares
        mean = np.mean([minimum_spanning_tree(cdist(p, p)).sum() for p in pts])
        assert mst_length(k, 1e6) == pytest.approx(mean, rel=0.05)
    assert mst_length(1, 1e6) == 0 and mst_length(2, 4e6) == pytest.approx(2 * mst_length(2, 1e6))


# ---------------------------------------------------------------------------------------
# guideline rules
# ---------------------------------------------------------------------------------------
def test_near_gravity_village_connects_first_even_when_dearer(tmp_path):
    # a hamlet of 150 residents 2 km from a plant (sewer 2.6 km ≤ 3 km); the ground falls 1 %
    # towards the plant, so the sewer runs by gravity; household systems would cost less
    # (no premium cap here: test_priority_connections_are_capped_by_a_premium)
    down = write_dem(tmp_path / "down.tif", lambda x, y: 200 - 0.01 * (x + 1000),
                     origin=(-3000.0, -1000.0), size_m=14000.0)  # covers every village
    v = villages([(-2000, 0, 150, 50)])
    p = plants([(0, 0, 1000, 0)])
    row = ge.sewage_modes(district(v, p, dem=down), **NO_CAP).iloc[0]
    assert row.sewage_mode == "connect" and row.pump_stations == 0
    assert row.pipe_length_m == pytest.approx(2600)
    assert row.cost_connect_yuan_per_year > row.cost_household_yuan_per_year
    assert row.sewage_reason.startswith("距厂0（P0）管线2.6 km（不超过3.0 km）且全程重力流，按就近纳管优先原则接入")
    # without the rule, or when the sewer would need lift stations, cost decides: household
    off = ge.sewage_modes(district(v, p, dem=down), connect_priority_distance_m=0, **NO_CAP).iloc[0]
    assert off.sewage_mode == "household"
    up = write_dem(tmp_path / "up.tif", lambda x, y: 100 + 0.01 * (x + 1000),
                   origin=(-3000.0, -1000.0), size_m=14000.0)
    uphill = ge.sewage_modes(district(v, p, dem=up), **NO_CAP).iloc[0]
    assert uphill.sewage_mode == "household"
    assert "提升泵站" in uphill.sewage_reason


def test_household_systems_not_for_large_settlements():
    # 900 residents on flat ground: 2 clusters of 450 (> 200): household systems excluded
    v = villages([(0, 0, 900, 300), (9000, 0, 150, 50)])
    sew = ge.sewage_modes(district(v))
    assert np.isnan(sew.cost_household_yuan_per_year.iloc[0])
    assert sew.sewage_mode.iloc[0] == "centralized"
    assert "2处居民点平均450人，超过分户处理上限200人" in sew.sewage_reason.iloc[0]
    assert sew.sewage_mode.iloc[1] == "household"  # 150 residents: allowed and cheaper
    # the bound lifted: household systems are costed (per household) and compete again
    free = ge.sewage_modes(district(v), household_max_settlement_population=0)
    crf15 = capital_recovery_factor(0.08, 15)
    assert free.cost_household_yuan_per_year.iloc[0] == pytest.approx(300 * (7000 * crf15 + 200))


def test_protection_zone_applies_to_the_settlement_not_the_whole_territory():
    # 2 km × 1 km territory; the zone covers its far east end, 800 m from the anchor, while the
    # settled area (150 × 150 m² → a disc of 84 m radius) lies round the anchor
    v = box_villages([(0, 0, 150, 50)])
    zone = gpd.GeoDataFrame({"protection": ["drinking_water_source"]},
                            geometry=[shapely.box(X0 + 800, Y0 - 600, X0 + 1200, Y0 + 600)], crs=CRS)
    sew = ge.sewage_modes(district(v, water=zone))
    assert sew.sewage_mode.iloc[0] == "household"
    near = zone.copy()
    near["geometry"] = [shapely.box(X0 + 50, Y0 - 600, X0 + 1200, Y0 + 600)]
    assert ge.sewage_modes(district(v, water=near)).sewage_mode.iloc[0] == "centralized"


def test_sewer_does_not_follow_a_long_road_detour():
    # the only road from the village to the plant 1 km away loops 3 km out and back
    roads = gpd.GeoDataFrame({"name": ["绕行路"]}, geometry=[shapely.LineString(
        [(X0, Y0), (X0, Y0 + 1500), (X0 + 1000, Y0 + 1500), (X0 + 1000, Y0)])], crs=CRS)
    v = villages([(0, 0, 3000, 1000)])
    d = district(v, plants([(1000, 0, 5000, 0)]), roads=roads)
    res = sewage_plan(d)
    assert res.villages.sewage_mode.iloc[0] == "connect"
    assert res.villages.pipe_length_m.iloc[0] == pytest.approx(1000 * P["detour_factor"])
    # a looser bound follows the 4 km road (4 km > 1.5 × 1 km, but ≤ 5 × 1 km)
    res5 = sewage_plan(d, max_road_detour=5, sewer_cost_yuan_per_m=20)  # cheap sewer: connects
    assert res5.villages.sewage_mode.iloc[0] == "connect"
    assert res5.villages.pipe_length_m.iloc[0] == pytest.approx(4000)


def test_reasons_name_plants_cleanly():
    v = villages([(300, 0, 1000, 380), (600, 0, 1000, 380), (20000, 0, 300, 100)])
    p = plants([(0, 0, 1000, 0), (900, 0, 1000, 0)])
    p["name"] = ["城东污水处理厂", None]
    sew = ge.sewage_modes(district(v, p), connect_priority_distance_m=0)  # connect on cost
    assert sew.sewage_reason.iloc[0].startswith("接入城东污水处理厂（P0），")
    assert sew.sewage_reason.iloc[1].startswith("接入污水厂P1，")
    prio = ge.sewage_modes(district(v, p))
    assert prio.sewage_reason.iloc[0].startswith("距城东污水处理厂（P0）管线")
    assert prio.sewage_reason.iloc[1].startswith("距污水厂P1管线")
    assert sew.sewage_reason.iloc[2].startswith("距最近的污水厂P1直线19.1 km，超过纳管距离5.0 km；")
    for text in sew.sewage_reason:
        assert "污水厂污水" not in text and "厂0污水" not in text and "None" not in text
    en = ge.sewage_modes(district(v, p, lang="en"), connect_priority_distance_m=0)
    assert en.sewage_reason.iloc[0].startswith("Connects to 城东污水处理厂 (P0): ")
    assert en.sewage_reason.iloc[2].startswith("The nearest plant, plant P1, is 19.1 km away")


# ---------------------------------------------------------------------------------------
# the priority rule is a property of a (village, plant) pair, and reasons tell the truth
# ---------------------------------------------------------------------------------------
def test_priority_rule_does_not_leak_to_a_far_plant_when_the_near_plant_is_full(tmp_path):
    # ground falling 1 % eastwards; two hamlets of 150 residents (7.2 m³/d each).  The near
    # plant P0 has room for one of them (8 m³/d); both sewers to it are gravity and ≤ 3 km
    # (1.95 km and 2.85 km): priority pairs.  The far plant P1 has room, but its sewers
    # (4.3 and 4.8 km) are longer than 3 km: not priority pairs, and dearer than household
    # systems.  So the hamlet refused by P0 must not connect to P1.  (No premium cap: the
    # hamlets' connections cost far more than household systems.)
    down = write_dem(tmp_path / "down.tif", lambda x, y: 200 - 0.01 * (x + 1000),
                     origin=(-3000.0, -1000.0), size_m=14000.0)  # covers every village
    v = villages([(-1500, 0, 150, 50), (-1500, 1600, 150, 50)])
    p = plants([(0, 0, 8, 0), (1800, 0, 1000, 0)])
    d = district(v, p, dem=down)
    sew = ge.sewage_modes(d, **NO_CAP)
    assert sew.sewage_mode.tolist() == ["connect", "household"]
    assert sew.sewage_plant_id.iloc[0] == "P0"
    assert sew.pipe_length_m.iloc[0] == pytest.approx(1500 * P["detour_factor"])
    assert "按就近纳管优先原则接入" in sew.sewage_reason.iloc[0]
    # P0's 8 m³/d went to the first hamlet; 0.8 m³/d is left (sewer √(1500² + 1600²) × 1.3)
    assert sew.sewage_reason.iloc[1].startswith(
        "可接入的厂0（P0）距本村管线2.9 km，其余量8.0 m³/d已分配给其他村，余下0.8 m³/d不足本村污水量7.2 m³/d")
    # oracle: with P1 alone (no priority pair anywhere) cost decides and neither connects
    only_far = ge.sewage_modes(district(v, p.iloc[[1]], dem=down), **NO_CAP)
    assert only_far.sewage_mode.tolist() == ["household", "household"]
    assert (only_far.cost_connect_yuan_per_year > only_far.cost_household_yuan_per_year).all()


_RE_PRIO = re.compile(r"^距(?P<label>.+?)管线(?P<km>[\d.]+) km（不超过(?P<lim>[\d.]+) km）且全程重力流，"
                      r"按就近纳管优先原则接入（年费用比(?P<alt>联户分户|村级集中)(?P<dir>高|低)(?P<pct>\d+)%）$")
_RE_COST = re.compile(r"^接入(?P<label>.+?)，管线(?P<km>[\d.]+) km，(?:需(?P<pumps>\d+)座提升泵站|(?P<gravity>全程重力流))，"
                      r"纳管年费用比(?P<alt>联户分户|村级集中)低(?P<pct>\d+)%$")
_RE_DEARER = re.compile(r"纳管(?:需(?P<pumps>\d+)座提升泵站，)?年费用高(?P<pct>\d+)%；")
_RE_SPARE = re.compile(r"本村污水量(?P<q>[\d.]+) m³/d")
_RE_NO_ROOM = re.compile(
    r"^(?:距最近的(?P<n_label>.+?)管线(?P<n_km>[\d.]+) km，超过纳管距离(?P<n_lim>[\d.]+) km；)?"
    r"管线(?P<lim>[\d.]+) km内可达的污水厂余量不足（本村污水量(?P<q>[\d.]+) m³/d，其中余量最多的"
    r"(?P<label>.+?)管线(?P<km>[\d.]+) km、余量(?P<spare>[\d.]+) m³/d）；")
_RE_BLOCKED = re.compile(
    r"^可接入的(?P<label>.+?)距本村管线(?P<km>[\d.]+) km，其余量(?P<spare>[\d.]+) m³/d已分配给其他村，"
    r"余下(?P<after>[\d.]+) m³/d不足本村污水量(?P<q>[\d.]+) m³/d（余量先使纳管村数最多）；")
_RE_OVER_CAP = re.compile(
    r"^距(?P<label>.+?)管线(?P<km>[\d.]+) km且全程重力流，但纳管年费用比(?P<alt>联户分户|村级集中)"
    r"高(?P<pct>\d+)%(?:（不计村内干管高(?P<pct_rule>\d+)%）|(?P<below>，而(?:联户分户|村级集中)年费用还低于村内干管))?"
    r"，超过就近纳管优先的加价上限(?P<cap>\d+)%；")
_RE_CLUSTER = re.compile(r"与(?P<n>\d+)个相邻村共建片区处理站，年费用比单独处理低(?P<pct>\d+)%$")
_RE_CENTRAL = re.compile(r"建村级处理站，年费用比联户分户低(?P<pct>\d+)%$")
_RE_HOUSE = re.compile(r"联户分户年费用比村级集中低(?P<pct>\d+)%$")


def plant_of(label, plants_in):
    """The plant row a reason's plant label names (labels end in （id）)."""
    pid = re.search(r"（(P\d+)）$", label)[1]
    return plants_in.set_index("id").loc[pid]


def check_reason_numbers(row, res, plants_in, cluster_sizes):
    """Every number a zh reason states agrees with the row's columns and, for the plants it
    names, with the plants' data (spare = capacity − load; sewer = straight line × detour, as
    these districts have no roads) — recomputed here.

    Returns the kinds of statement checked, so a caller can make sure none was vacuous."""
    prm, det = res.params, res.details.loc[row.name]
    text = row.sewage_reason
    cen, hou = row.cost_centralized_yuan_per_year, row.cost_household_yuan_per_year
    alone = np.fmin(cen, hou)
    alt = "联户分户" if np.isfinite(hou) and hou < cen else "村级集中"
    lim_m = prm["max_connect_distance_m"]
    q = row.sewage_flow_m3_per_day
    xy = np.array(row.geometry.coords[0])

    def pct(chosen, other):
        return f"{(other - chosen) / other * 100:.0f}"

    def sewer_m(plant):  # the sewer length of this village's pair to a plant
        return np.hypot(*(np.array(plant.geometry.coords[0]) - xy)) * prm["detour_factor"]

    def spare(plant):
        return plant.capacity_m3_per_day - plant.load_m3_per_day

    if row.sewage_mode == "connect":
        m = _RE_PRIO.match(text) or _RE_COST.match(text)
        assert m, text
        assert f"（{row.sewage_plant_id}）" in m["label"]
        assert m["km"] == f"{row.pipe_length_m / 1000:.1f}"
        assert m["alt"] == alt
        if m.re is _RE_PRIO:  # a priority pair: short, by gravity and within the premium cap
            kinds = {"connect_priority_dearer" if m["dir"] == "高" else "connect_priority_cheaper"}
            assert row.pump_stations == 0
            assert m["lim"] == f"{prm['connect_priority_distance_m'] / 1000:.1f}"
            assert row.pipe_length_m <= prm["connect_priority_distance_m"] + 1e-9
            saving = alone - row.cost_connect_yuan_per_year
            assert m["dir"] == ("低" if saving >= 0 else "高")
            assert m["pct"] == pct(row.cost_connect_yuan_per_year, alone).lstrip("-")
            trunk = det.cost_trunk_yuan_per_year
            assert (row.cost_connect_yuan_per_year - trunk
                    <= (1 + prm["connect_priority_max_premium"]) * (alone - trunk) + 1e-6)
        else:  # chosen by cost: cheaper, with the lift stations of its own sewer
            kinds = {"connect_cost" if m["pumps"] is None else "connect_cost_pumped"}
            assert row.cost_connect_yuan_per_year < alone
            assert m["pct"] == pct(row.cost_connect_yuan_per_year, alone)
            assert (m["gravity"] is not None) == (row.pump_stations == 0)
            if m["pumps"] is not None:
                assert int(m["pumps"]) == row.pump_stations
        return kinds
    kinds = set()
    assert not text.startswith("接入") and "纳管优先原则接入" not in text, text
    m = _RE_DEARER.search(text)
    if m:  # connecting was feasible but dearer by the stated share
        kinds.add("dearer")
        assert row.cost_connect_yuan_per_year > alone
        assert m["pct"] == f"{(row.cost_connect_yuan_per_year - alone) / alone * 100:.0f}"
    m = _RE_SPARE.search(text)
    if m:
        assert m["q"] == f"{q:.1f}"
    m = _RE_NO_ROOM.match(text)
    if m:  # the plants within reach all lack room: the roomiest is quoted with its own numbers
        kinds.add("no_room")
        named = plant_of(m["label"], plants_in)
        assert m["km"] == f"{sewer_m(named) / 1000:.1f}" and sewer_m(named) <= lim_m
        assert m["spare"] == f"{spare(named):.1f}" and spare(named) < q
        reach = [pl for _, pl in plants_in.iterrows() if sewer_m(pl) <= lim_m]
        assert spare(named) == max(spare(pl) for pl in reach)
        nearest = plants_in.iloc[int(np.argmin([sewer_m(pl) for _, pl in plants_in.iterrows()]))]
        if m["n_label"]:  # the nearest plant is out of reach, as said
            kinds.add("no_room_nearest_out_of_reach")
            assert plant_of(m["n_label"], plants_in).name == nearest.name
            assert m["n_km"] == f"{sewer_m(nearest) / 1000:.1f}" and sewer_m(nearest) > lim_m
        else:
            assert sewer_m(nearest) <= lim_m
    m = _RE_BLOCKED.match(text)
    if m:  # an eligible plant with room for this village alone, filled by others
        kinds.add("capacity_blocked")
        named = plant_of(m["label"], plants_in)
        assert m["km"] == f"{sewer_m(named) / 1000:.1f}" and sewer_m(named) <= lim_m
        assert m["spare"] == f"{spare(named):.1f}" and spare(named) >= q
        after = res.plants.set_index("id").loc[named.name, "spare_after_m3_per_day"]
        assert m["after"] == f"{after:.1f}" and after < q
    m = _RE_OVER_CAP.match(text)
    if m:  # a short gravity sewer whose cost is above the priority premium cap
        named = plant_of(m["label"], plants_in)
        assert m["km"] == f"{sewer_m(named) / 1000:.1f}"
        assert sewer_m(named) <= prm["connect_priority_distance_m"]
        assert m["alt"] == alt and m["cap"] == f"{prm['connect_priority_max_premium'] * 100:.0f}"
        trunk, cost = det.cost_trunk_yuan_per_year, row.cost_connect_yuan_per_year
        assert m["pct"] == pct(cost, alone).lstrip("-")
        assert (m["pct_rule"] is not None) == (0 < trunk < alone)
        kinds.add("over_cap_trunk" if trunk > 0 else "over_cap")
        assert (m["below"] is not None) == (0 < trunk and alone <= trunk)
        if alone > trunk:  # the premium the cap compares: trunk left out of both sides
            rule = (cost - alone) / (alone - trunk)
            assert rule > prm["connect_priority_max_premium"]
            assert m["pct_rule" if trunk > 0 else "pct"] == f"{rule * 100:.0f}"
    if row.sewage_mode == "cluster":
        m = _RE_CLUSTER.search(text)
        assert m, text
        assert int(m["n"]) == cluster_sizes[row.sewage_cluster_id] - 1
        assert m["pct"] == pct(row.cost_cluster_yuan_per_year, alone)
    elif row.sewage_mode == "centralized":
        m = _RE_CENTRAL.search(text)
        if m:  # (otherwise household systems are not allowed, and the reason says why)
            assert m["pct"] == pct(cen, hou)
        else:
            assert np.isnan(hou)
    else:
        m = _RE_HOUSE.search(text)
        assert m, text
        assert m["pct"] == pct(hou, cen)
    return kinds | {row.sewage_mode}


def test_every_reason_states_the_numbers_of_its_row(hilly_dem):
    # small random districts with scarce, uneven capacity: priority pairs compete, plants fill
    # (the defaults, and cheap sewers in shallow trenches with cheap lift stations, so that
    # connections chosen on cost with lift stations occur too)
    seen = set()
    # (and dear sewers, so that priority connections of villages with trunk sewers hit the cap)
    for overrides in ({}, {"sewer_cost_yuan_per_m": 60, "max_trench_depth_m": 2.5,
                           "pump_station_capex_yuan": 20000}, {"sewer_cost_yuan_per_m": 2000}):
        for seed in range(100, 106):
            rng = np.random.default_rng(seed)
            v, p = random_county(seed, n=24, n_plants=3, size=6000.0, pop=(30, 900))
            p["capacity_m3_per_day"] = rng.choice([15.0, 40.0, 400.0], 3)
            p["load_m3_per_day"] = 0.0
            res = sewage_plan(district(v, p, dem=hilly_dem), **overrides)
            sew = res.villages
            sizes = sew.sewage_cluster_id.value_counts().to_dict()
            for _, row in sew.iterrows():
                seen |= check_reason_numbers(row, res, p, sizes)
    # every kind of statement was met (none of the checks above was vacuous)
    assert seen >= {"connect_priority_dearer", "connect_priority_cheaper", "connect_cost",
                    "connect_cost_pumped", "dearer", "no_room", "capacity_blocked", "over_cap",
                    "over_cap_trunk", "cluster", "centralized", "household"}, seen
    # (a nearest plant out of reach while a farther one is reachable needs roads: the next test)


def test_no_room_reason_quotes_the_plants_in_reach_not_the_nearest_one():
    # P0 is 3.6 km away in a straight line with 5000 m³/d spare, but its road route is
    # 2 × √(1800² + 1950²) = 5.3 km, beyond the 5 km limit; P1 is 4 km along the road with
    # 1 m³/d spare; the village's flow is 800 × 80 L / 1000 × 0.6 = 38.4 m³/d
    v = villages([(0, 0, 800, 300)])
    p = plants([(3600, 0, 5000, 0), (0, 4000, 1, 0)])
    roads = gpd.GeoDataFrame({"id": ["r1", "r2"]}, geometry=[
        shapely.LineString([(X0, Y0), (X0 + 1800, Y0 - 1950), (X0 + 3600, Y0)]),
        shapely.LineString([(X0, Y0), (X0, Y0 + 4000)])], crs=CRS)
    row = ge.sewage_modes(district(v, p, roads=roads)).iloc[0]
    assert row.sewage_mode != "connect"
    assert row.sewage_reason.startswith(
        "距最近的厂0（P0）管线5.3 km，超过纳管距离5.0 km；管线5.0 km内可达的污水厂余量不足（本村污水量"
        "38.4 m³/d，其中余量最多的厂1（P1）管线4.0 km、余量1.0 m³/d）；")
    en = ge.sewage_modes(district(v, p, roads=roads, lang="en")).iloc[0]
    assert en.sewage_reason.startswith(
        "The sewer to the nearest plant, 厂0 (P0), would be 5.3 km, beyond the 5.0 km limit; the "
        "plants within 5.0 km of sewer lack room for its 38.4 m³/d (the roomiest, 厂1 (P1), 4.0 km "
        "of sewer, has 1.0 m³/d spare)")


# ---------------------------------------------------------------------------------------
# the DEM is read over everything the analysis looks at
# ---------------------------------------------------------------------------------------
def test_zonal_slope_covers_the_whole_village_not_just_its_anchor(tmp_path):
    # flat (100 m) west of x = 605 m (a row of cell centres), rising 9 % east of it; a 4.3 km
    # wide village whose anchor (the village committee) stands at x = 0 on the flat part
    from geo_env.terrain import read_dem, zonal_mean

    dem = write_dem(tmp_path / "kink.tif", lambda x, y: 100 + 0.09 * np.maximum(x - 605, 0))
    v = box_villages([(1850, 0, 900, 300)])
    v["geometry"] = [shapely.box(X0 - 300, Y0 - 500, X0 + 4000, Y0 + 500)]
    v["anchor_x"], v["anchor_y"] = X0, Y0
    det = sewage_plan(district(v, dem=dem)).details
    # oracle: the mean slope over the polygon on the whole DEM, read without a window
    full = read_dem(dem, crs=CRS)
    expected, count = zonal_mean(full.slope_percent(), full.transform, np.asarray(v.geometry.values))
    assert count[0] > 4000
    assert det.slope_percent.iloc[0] == pytest.approx(expected[0], rel=1e-9)
    # by hand: 9 % over the 3395 m east of the kink (4.5 % in its one column) of 4300 m
    assert det.slope_percent.iloc[0] == pytest.approx(9.0 * (4000 - 605) / 4300, abs=0.1)


def test_route_profiles_are_sampled_beyond_the_villages_and_plants(tmp_path):
    # the road from the village (0, 0) to the plant (1000, 0) loops 1.5 km north, over ground
    # that is flat up to y = 605 m (a row of cell centres) and rises 5 % beyond
    def ground(x, y):
        return 100 + 0.05 * np.maximum(np.asarray(y, dtype=float) - 605, 0)

    dem = write_dem(tmp_path / "ridge.tif", ground)
    route = [(0, 0), (0, 1500), (1000, 1500), (1000, 0)]
    roads = gpd.GeoDataFrame({"name": ["绕行路"]}, geometry=[shapely.LineString(
        [(X0 + x, Y0 + y) for x, y in route])], crs=CRS)
    d = district(villages([(0, 0, 3000, 1000)]), plants([(1000, 0, 5000, 0)]), roads=roads, dem=dem)
    res = sewage_plan(d, max_road_detour=5)
    row = res.villages.iloc[0]
    # oracle: the naive loop on the exact ground, sampled every 10 m along the 4 km road
    s = np.arange(401) * 10.0
    y = np.interp(s, [0, 1500, 2500, 4000], [0, 1500, 1500, 0])
    p_ref, _ = naive_gravity(s, ground(0, y), min_slope=0.003, min_depth=1.0, max_depth=8.0)
    # the north leg climbs 44.75 m over 895 m: 6 lifts, then the flat top adds one; a profile
    # read as flat beyond the anchors and plants would need 1 (4 km at 0.3 % > 7 m)
    assert p_ref == 7
    assert row.sewage_mode != "connect"
    assert f"纳管需{p_ref}座提升泵站" in row.sewage_reason


# ---------------------------------------------------------------------------------------
# villages without residents
# ---------------------------------------------------------------------------------------
def test_villages_without_residents_need_no_facility():
    # an emptied village (0 residents, 0 households), one with stale households (0 residents,
    # 3 households on the register) and a hamlet of 150 residents
    v = villages([(0, 0, 0, 0), (3000, 0, 0, 3), (6000, 0, 150, 50)])
    res = sewage_plan(district(v))
    sew = res.villages
    assert sew.sewage_mode.tolist() == ["household", "household", "household"]  # the contract
    empty = sew.iloc[:2]
    assert (empty.sewage_flow_m3_per_day == 0).all()
    assert (empty.cost_household_yuan_per_year == 0).all()
    assert empty.cost_centralized_yuan_per_year.isna().all()
    assert (empty.sewage_reason == "无常住人口，无需建设污水设施").all()
    assert (empty.toilet_suggestion == "not_needed").all()
    assert sew.toilet_suggestion.iloc[2] == "septic_tank"
    # the summary counts them apart from household villages
    s = res.summary
    assert s["by_mode"]["household"]["villages"] == 1
    assert s["by_mode"]["household"]["population"] == 150
    assert s["no_population"] == {"villages": 2}
    assert sum(b["villages"] for b in s["by_mode"].values()) + s["no_population"]["villages"] == 3
    assert s["by_township"]["甲镇"]["no_population"] == {"villages": 1}  # rows 0 and 2
    assert s["by_township"]["甲镇"]["household"]["villages"] == 1
    assert s["cost_yuan_per_year"] == pytest.approx(sew.cost_household_yuan_per_year.iloc[2], abs=1)
    table = res.by_township.set_index("township")
    assert table.loc["total", "household_villages"] == 1
    assert table.loc["total", "no_population_villages"] == 2
    assert table.loc["乙镇", "no_population_villages"] == 1
    en = ge.sewage_modes(district(v, lang="en"))
    assert en.sewage_reason.iloc[0] == "No residents: no sewage works needed"


def test_cluster_station_and_cost_match_a_brute_force_over_stations():
    # six equal villages (450 residents: one settlement each, too large for household
    # systems) on flat ground, no plant; short links (≤ 2.3 km of pipe: no lift station).
    # Oracle: each cluster's cost − internal networks − shared station is the smallest sum of
    # hand-costed linking sewers over the choice of station village, and that is its station.
    xy = np.array([(0, 0), (200, 0), (400, 50), (150, 220), (520, 260), (2000, 0)], dtype=float)
    v = villages(np.column_stack([xy, np.full(6, 450), np.full(6, 170)]))
    res = sewage_plan(district(v))
    assert res.clusters.villages_count.max() >= 3  # the choice of station matters
    crf30, crf15 = capital_recovery_factor(0.08, 30), capital_recovery_factor(0.08, 15)

    def link(a, b):  # DN300, flat: the trench deepens 0.3 % from 1 m; mean depth 1 + L·0.0015
        length = np.hypot(*(xy[a] - xy[b])) * P["detour_factor"]
        return length * (400 + 80 * (1 + 0.0015 * length)) * (crf30 + 0.01)

    internal = res.details["cost_internal_yuan_per_year"].to_numpy()
    for _, cl in res.clusters.iterrows():
        members = np.flatnonzero(res.villages.sewage_cluster_id == cl.sewage_cluster_id)
        q = 450 * 0.08 * 0.6 * len(members)
        station = 20000 * 20 * (q / 20) ** 0.66 * crf15 + q * 365 * 1.5
        sums = {s: sum(link(m, s) for m in members if m != s) for s in members}
        best = min(sums, key=sums.get)
        assert cl.station_village_id == f"v{best}"
        assert cl.cost_yuan_per_year == pytest.approx(internal[members].sum() + station + sums[best], rel=1e-9)


def test_standards_bind_each_cited_document_to_one_name():
    # a module-level name bound twice in standards.py (e.g. one `_GUIDE` for the sewage
    # investment guide, then for the livestock guideline) makes later entries cite the wrong one
    import ast
    import collections
    import inspect

    from geo_env import standards

    tree = ast.parse(inspect.getsource(standards))
    bound = collections.Counter(
        t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
        for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name))
    assert [name for name, k in bound.items() if k > 1] == []
    guide = "《农村生活污水处理项目建设与投资指南》"
    cited = [p for p in standards.PARAMETERS.values() if guide in p.source]
    assert {p.name for p in cited} >= {"station_capex_yuan_per_m3_day", "station_scale_exponent"}
    assert all(p.section == "sewage" for p in cited)


def test_a_zone_over_half_the_district_holds_no_discharge_point():
    # issue 17 acceptance: a 二级 zone over the western half of the sample district; no new
    # station (village or shared) may discharge inside it
    d = ge.sample_district()
    xmin, ymin, xmax, ymax = d.villages.total_bounds
    zone = shapely.box(xmin - 1, ymin - 1, (xmin + xmax) / 2, ymax + 1)
    water = pd.concat([d.water, gpd.GeoDataFrame({"protection": ["二级"]}, geometry=[zone], crs=d.crs)],
                      ignore_index=True)
    water["protection"] = water["protection"].where(water["protection"].notna(), "")
    res = sewage_plan(replace(d, water=gpd.GeoDataFrame(water, geometry="geometry", crs=d.crs)))
    v = res.villages
    anchors = shapely.points(d.villages[["anchor_x", "anchor_y"]].to_numpy())
    inside = shapely.contains(zone, anchors)
    assert inside.sum() > 40  # the zone holds about half the villages
    stations = v["sewage_mode"].isin(["centralized"]).to_numpy()
    hosts = v["id"].isin(res.clusters["station_village_id"]).to_numpy()
    assert not (inside & (stations | hosts)).any()
    assert not v.loc[inside, "sewage_mode"].isin(["centralized", "cluster"]).any()
    assert res.summary["protection_zone"]["inside_villages"] == int(inside.sum())
    # their reasons say why: no outfall inside the zone (or they connect to a plant)
    said = v.loc[inside & (v["sewage_mode"] == "household").to_numpy(), "sewage_reason"]
    assert said.str.contains("保护区内").all()
