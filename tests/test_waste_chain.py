"""The waste chain in tonnes (issue 14): generation, stations, haul, plan, collection.

Oracles: hand-computed figures; networkx (min-cost flow for the transportation problem,
shortest paths for the haul); brute force over every choice of modules for the
capacitated siting; metamorphic relations (mass balance, doubling the rate).
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import pytest
from shapely import LineString, Point, box
from shapely.ops import unary_union

from geo_env.analysis.collection import collection_links
from geo_env.analysis.station_sizing import Modules, size_stations
from geo_env.analysis.transport import nearest_flows, transport
from geo_env.analysis.waste_chain import waste_chain
from geo_env.errors import DataValueError, ParameterError
from geo_env.io.project import District, load_project

from builders import ORIGIN, TO_LONLAT, write_project

CRS = pyproj.CRS("EPSG:4548")
X0, Y0 = 548_900.0, 3_142_000.0


def _pts(xy, **cols) -> gpd.GeoDataFrame:
    n = len(xy)
    data = {"id": cols.pop("ids", [f"p{i}" for i in range(n)]), **cols}
    return gpd.GeoDataFrame(data, geometry=[Point(X0 + x, Y0 + y) for x, y in xy], crs=CRS)


def make_district(vxy, pops, sxy=(), caps=None, status=None, fxy=None, fcaps=None, roads=None, towns=None,
                  **waste) -> District:
    n = len(vxy)
    v = _pts(vxy, ids=[f"v{i}" for i in range(n)], name=[f"村{i}" for i in range(n)],
             township=towns or [("甲镇", "乙镇")[i % 2] for i in range(n)], population=list(pops), households=1)
    st_cols = {"ids": [f"s{i}" for i in range(len(sxy))], "name": [f"站{i}" for i in range(len(sxy))]}
    if caps is not None:
        st_cols["capacity_t_per_day"] = list(caps)
    if status is not None:
        st_cols["status"] = list(status)
    st = _pts(sxy, **st_cols) if len(sxy) else None
    fac = None
    if fxy is not None:
        fcols = {"ids": [f"f{i}" for i in range(len(fxy))], "kind": "incinerator"}
        if fcaps is not None:
            fcols["capacity_t_per_day"] = list(fcaps)
        fac = _pts(fxy, **fcols)
    rd = None if roads is None else gpd.GeoDataFrame(
        geometry=[LineString(np.asarray(c, float) + [X0, Y0]) for c in roads], crs=CRS)
    d = District(name="t", crs=CRS, villages=v, transfer_stations=st, waste_facilities=fac, roads=rd)
    return d.with_params("waste", **waste) if waste else d


def balance_ok(chain) -> None:
    """Mass balance to the kilogram: generation = stations + uncollected; stations = facilities + unhauled."""
    mb = chain.mass_balance()
    assert mb["generation_t_per_day"] == pytest.approx(
        mb["to_stations_t_per_day"] + mb["uncollected_t_per_day"], abs=1e-3)
    assert chain.stations["load_t_per_day"].sum() == pytest.approx(
        chain.village_flows["t_per_day"].sum(), abs=1e-3)
    if mb["to_facilities_t_per_day"] is not None:
        assert mb["to_stations_t_per_day"] == pytest.approx(
            mb["to_facilities_t_per_day"] + mb["unhauled_t_per_day"], abs=1e-3)


# ------------------------------------------------------------------------ generation
def test_generation_is_population_times_rate_with_township_override_and_peak():
    d = make_district([(0, 0), (100, 0), (200, 0)], [1000, 2000, np.nan], [(50, 0)],
                      towns=["甲镇", "乙镇", "乙镇"], generation_kg_per_person_day=0.5, peak_factor=1.4,
                      township_generation_kg_per_person_day={"乙镇": 0.8})
    c = waste_chain(d)
    t = c.villages["waste_t_per_day"].to_numpy()
    assert t == pytest.approx([0.5, 1.6, 0.0])  # 1000 × 0.5 kg, 2000 × 0.8 kg, unknown population
    assert c.villages["waste_peak_t_per_day"].to_numpy() == pytest.approx([0.7, 2.24, 0.0])
    s = c.summary()
    assert s["generation_t_per_day"] == pytest.approx(2.1)
    assert s["peak_generation_t_per_day"] == pytest.approx(2.94)
    assert s["population_unknown_villages"] == 1
    assert s["stations"][0]["load_t_per_day"] == pytest.approx(2.1)
    assert s["stations"][0]["peak_load_t_per_day"] == pytest.approx(2.94)


def test_doubling_the_rate_doubles_every_load():
    base = dict(vxy=[(0, 0), (900, 0), (3000, 100), (5000, 0)], pops=[800, 1200, 400, 2500],
                sxy=[(100, 0), (4800, 0)], fxy=[(2500, 2500)])
    a = waste_chain(make_district(**base, generation_kg_per_person_day=0.4))
    b = waste_chain(make_district(**base, generation_kg_per_person_day=0.8))
    assert b.stations["load_t_per_day"].to_numpy() == pytest.approx(2 * a.stations["load_t_per_day"].to_numpy())
    assert b.facilities["inflow_t_per_day"].to_numpy() == pytest.approx(2 * a.facilities["inflow_t_per_day"].to_numpy())


@pytest.mark.parametrize("bad, words", [
    ({"township_generation_kg_per_person_day": {"丙镇": 0.6}}, "no village lies"),
    ({"township_generation_kg_per_person_day": {"甲镇": -1}}, "must be a number"),
    ({"station_module_capex_wan": {"ten": 100}}, "module size"),
    ({"station_module_capex_wan": {"10": "a lot"}}, "capex"),
    ({"assignment": "cheapest"}, "not one of"),
])
def test_bad_chain_parameters_are_clear_errors(bad, words):
    d = make_district([(0, 0)], [100], [(10, 0)], **bad)
    with pytest.raises(ParameterError, match=words):
        waste_chain(d)


# -------------------------------------------------------------------------- stations
def test_nearest_assignment_loads_and_utilisation_by_hand():
    # v0, v1 nearest s0 (cap 1.0 t/d); v2 nearest s1 (capacity unknown)
    d = make_district([(0, 0), (500, 0), (4000, 0)], [1000, 1500, 600], [(100, 0), (4100, 0)],
                      caps=[1.0, np.nan], generation_kg_per_person_day=0.5)
    c = waste_chain(d)
    st = c.stations.set_index("id")
    assert st.loc["s0", "load_t_per_day"] == pytest.approx(1.25)
    assert st.loc["s0", "utilisation"] == pytest.approx(1.25)
    assert bool(st.loc["s0", "overloaded"]) and st.loc["s0", "overflow_t_per_day"] == pytest.approx(0.25)
    assert st.loc["s1", "load_t_per_day"] == pytest.approx(0.3)
    assert np.isnan(st.loc["s1", "utilisation"]) and st.loc["s1", "utilisation_note"] == "capacity_unknown"
    s = c.summary()
    assert s["overloaded_stations"] == ["s0"] and s["capacity_unknown_stations"] == ["s1"]
    entry = {e["id"]: e for e in s["stations"]}["s1"]
    assert entry["utilisation"] is None and "capacity" in entry["utilisation_note"]
    assert list(c.villages["waste_station_id"]) == ["s0", "s0", "s1"]
    balance_ok(c)


def test_a_stopped_station_takes_no_load():
    d = make_district([(0, 0), (1000, 0)], [1000, 1000], [(0, 10), (2000, 0)], status=["停运", "运行"])
    c = waste_chain(d)
    st = c.stations.set_index("id")
    assert st.loc["s0", "load_t_per_day"] == 0.0 and st.loc["s0", "utilisation_note"] == "stopped"
    assert st.loc["s1", "load_t_per_day"] == pytest.approx(2 * 1000 * 0.52 / 1000)
    assert set(c.villages["waste_station_id"]) == {"s1"}
    balance_ok(c)


def test_capacity_aware_assignment_moves_villages_within_the_radius_and_reports_what_cannot_fit():
    # s0 holds 1 t/d; v1 (1 t/d) lies within 3 km of s1 too, v0 only near s0
    d = make_district([(0, 0), (2000, 0), (9000, 0)], [2000, 2000, 2000], [(100, 0), (4500, 0)],
                      caps=[1.5, 10.0], generation_kg_per_person_day=0.5, assignment="capacity")
    c = waste_chain(d)
    st = c.stations.set_index("id")
    assert st.loc["s0", "load_t_per_day"] == pytest.approx(1.5)  # v0 whole, half of v1
    assert not st["overloaded"].any()
    # v2 lies 4.5 km from s1, beyond the radius: it still goes to its nearest station
    assert c.villages["waste_station_id"].iloc[2] == "s1"
    # too little capacity: the overflow is reported, not hidden
    d2 = make_district([(0, 0), (200, 0)], [2000, 2000], [(100, 0)], caps=[1.0],
                       generation_kg_per_person_day=0.5, assignment="capacity")
    c2 = waste_chain(d2)
    assert c2.stations["overflow_t_per_day"].iloc[0] == pytest.approx(1.0)
    assert c2.summary()["overloaded_stations"] == ["s0"]
    balance_ok(c2)


@pytest.mark.parametrize("seed", range(6))
def test_transportation_problem_equals_networkx_min_cost_flow(seed):
    rng = np.random.default_rng(seed)
    n_src, n_snk = 8, 3
    supply = rng.integers(0, 9, n_src).astype(float)
    cap = rng.integers(4, 20, n_snk).astype(float)
    arcs = [(i, j, int(rng.integers(1, 50))) for i in range(n_src) for j in range(n_snk) if rng.random() < 0.7]
    arcs += [(i, int(rng.integers(n_snk)), 60) for i in range(n_src) if not any(a[0] == i for a in arcs)]
    src, snk, cost = (np.array(x) for x in zip(*arcs))
    f = transport(supply, cap, src, snk, cost.astype(float))
    # the oracle: min-cost flow with an overflow arc per sink at the same penalty
    g = nx.DiGraph()
    penalty = 10 * (cost.max() + 1)
    for i, s in enumerate(supply):
        g.add_node(("s", i), demand=-int(s))
    g.add_node("sink", demand=int(supply.sum()))
    for i, j, c in arcs:
        g.add_edge(("s", i), ("k", j), weight=int(c))
    for j in range(n_snk):
        g.add_edge(("k", j), "sink", capacity=int(cap[j]), weight=0)
        g.add_edge(("k", j), ("o", j), weight=int(penalty))
        g.add_edge(("o", j), "sink", weight=0)
    best = nx.min_cost_flow_cost(g)
    got = float(cost @ f.flow + penalty * f.overflow.sum())
    assert got == pytest.approx(best, abs=1e-6)
    assert np.bincount(src, weights=f.flow, minlength=n_src) == pytest.approx(supply, abs=1e-9)


def test_nearest_flows_pick_the_cheapest_arc_first_on_ties():
    f = nearest_flows(np.array([2.0, 3.0]), np.array([np.inf, 1.0]), np.array([0, 0, 1]), np.array([0, 1, 1]),
                      np.array([5.0, 5.0, 1.0]))
    assert f.flow.tolist() == [2.0, 0.0, 3.0]
    assert f.overflow.tolist() == [0.0, 2.0]


# ------------------------------------------------------------------------------ haul
def _grid_roads(n: int = 6, step: float = 1000.0) -> list:
    lines = []
    for k in range(n):
        lines.append([(0, k * step), ((n - 1) * step, k * step)])
        lines.append([(k * step, 0), (k * step, (n - 1) * step)])
    return lines


def test_haul_distances_equal_networkx_on_the_road_graph():
    rng = np.random.default_rng(3)
    roads = _grid_roads()
    roads.append([(0, 0), (5000, 5000)])  # a diagonal: shorter ways than along the grid
    # the oracle: networkx on the lines noded where they cross (node_crossings = true)
    g = nx.Graph()
    for seg in unary_union([LineString(r) for r in roads]).geoms:
        cs = list(seg.coords)
        for p, q in zip(cs[:-1], cs[1:]):
            g.add_edge(p, q, weight=float(np.hypot(q[0] - p[0], q[1] - p[1])))
    nodes = [(float(i * 1000), float(j * 1000)) for i in range(6) for j in range(6)]
    pick = rng.choice(len(nodes), 7, replace=False)
    sxy = [nodes[k] for k in pick[:4]]
    fxy = [nodes[k] for k in pick[4:6]]
    vxy = [nodes[pick[6]]]
    d = make_district(vxy, [1000], sxy, fxy=fxy, roads=roads, metric="road")
    d = d.with_params("roads", node_crossings=True)
    c = waste_chain(d)
    st = c.stations.set_index("id")
    for i, p in enumerate(sxy):
        oracle = min(nx.shortest_path_length(g, p, q, weight="weight") for q in fxy)
        assert st.loc[f"s{i}", "haul_km"] * 1000 == pytest.approx(oracle, abs=1e-6)


def test_haul_trips_tonne_km_and_cost_by_hand():
    # one station 10 km (straight) from one facility, 16 t/d
    d = make_district([(0, 0)], [32_000], [(0, 0)], fxy=[(6000, 8000)], generation_kg_per_person_day=0.5,
                      vehicle_payload_t=8.0, haul_cost_yuan_per_vehicle_km=6.0, metric="straight")
    c = waste_chain(d)
    s = c.summary()["stations"][0]
    assert s["facility_id"] == "f0" and s["haul_km"] == pytest.approx(10.0)
    assert s["trips_per_day"] == pytest.approx(2.0)
    assert s["tonne_km_per_year"] == pytest.approx(16 * 10 * 365)
    assert s["haul_cost_yuan_per_year"] == pytest.approx(2 * 2 * 10 * 6.0 * 365)
    f = c.summary()["facilities"][0]
    assert f["inflow_t_per_day"] == pytest.approx(16.0) and f["utilisation"] is None
    balance_ok(c)


def test_without_facilities_the_haul_is_not_assessed_and_said_so():
    c = waste_chain(make_district([(0, 0)], [1000], [(10, 0)]))
    s = c.summary()
    assert s["facilities"] is None
    assert s["haul"]["assessed"] is False and "waste_facilities" in s["haul"]["reason"]
    assert s["stations"][0]["facility_id"] is None and s["stations"][0]["haul_km"] is None
    assert s["mass_balance"]["to_facilities_t_per_day"] is None


def test_a_station_with_no_road_to_any_facility_is_reported_and_balance_holds():
    roads = [[(0, 0), (3000, 0)], [(10_000, 0), (13_000, 0)]]  # two pieces, no link
    d = make_district([(0, 50), (10_000, 50)], [1000, 1000], [(100, 10), (10_100, 10)], fxy=[(2900, 10)],
                      roads=roads, metric="road")
    c = waste_chain(d)
    s = c.summary()
    assert s["haul"]["stations_without_facility_path"] == ["s1"]
    assert s["mass_balance"]["unhauled_t_per_day"] == pytest.approx(0.52)
    balance_ok(c)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("assignment", ["nearest", "capacity"])
def test_mass_balance_to_the_kilogram_on_random_districts(seed, assignment):
    rng = np.random.default_rng(seed)
    n = 60
    vxy = rng.uniform(0, 20_000, (n, 2))
    pops = rng.integers(0, 5000, n).astype(float)
    pops[rng.choice(n, 3, replace=False)] = np.nan
    sxy = rng.uniform(0, 20_000, (6, 2))
    d = make_district(vxy, pops, sxy, caps=rng.uniform(2, 30, 6), fxy=rng.uniform(0, 20_000, (2, 2)),
                      fcaps=[20.0, 30.0], assignment=assignment, metric="straight")
    c = waste_chain(d)
    balance_ok(c)
    assert c.facilities["inflow_t_per_day"].sum() == pytest.approx(c.stations["load_t_per_day"].sum(), abs=1e-3)


# ----------------------------------------------------------------- capacitated siting
@pytest.mark.parametrize("seed", range(12))
def test_capacitated_siting_equals_brute_force(seed):
    rng = np.random.default_rng(100 + seed)
    nv, ne, nc = 6, 2, 3
    supply = rng.uniform(0, 12, nv).round(3)
    cap = np.array([rng.uniform(3, 15), np.inf if seed % 3 == 0 else rng.uniform(3, 15)])
    arcs = [(i, j, rng.uniform(1, 100)) for i in range(nv) for j in range(ne + nc) if rng.random() < 0.6]
    src, snk, cost = (np.array(x) for x in zip(*arcs))
    src, snk = src.astype(int), snk.astype(int)
    mods = Modules(np.array([10.0, 20.0, 50.0]), np.array([300.0, 450.0, 800.0]))
    forced = np.array([seed % 2 == 0, False, False])
    res = size_stations(supply, cap, nc, forced, mods, src, snk, cost)
    best = np.inf
    served = np.isin(np.arange(nv), src)
    for combo in itertools.product(range(-1, 3), repeat=nc):
        if forced[0] and combo[0] < 0:
            continue
        capc = np.r_[cap, [mods.capacity_t_per_day[m] if m >= 0 else 0.0 for m in combo]]
        keep = capc[snk] > 0
        if (np.isin(np.arange(nv), src[keep]) != served).any():
            continue
        f = transport(supply, capc, src[keep], snk[keep], cost[keep])
        if f.overflow.sum() > 1e-9:
            continue
        best = min(best, cost[keep] @ f.flow + sum(mods.cost_yuan_per_year[m] for m in combo if m >= 0))
    if np.isfinite(best):
        assert res.flows.overflow.sum() == pytest.approx(0.0, abs=1e-9)
        assert res.cost_yuan_per_year == pytest.approx(best, rel=1e-7)
    else:  # no choice fits: the answer overflows, and says so
        assert res.flows.overflow.sum() > 0


def test_the_plan_adds_capacity_where_a_station_is_overloaded():
    # 8 villages of 4 t/d each around s0 (cap 10 t/d): the plan opens modules beside them
    vxy = [(i * 300.0, 0.0) for i in range(8)]
    d = make_district(vxy, [8000] * 8, [(0, 0)], caps=[10.0], generation_kg_per_person_day=0.5)
    c = waste_chain(d)
    assert c.summary()["overloaded_stations"] == ["s0"]  # today
    plan = c.plan
    assert plan["feasible"] and plan["stations_over_capacity"] == []
    t = c.plan_stations
    assert (t["plan_load_t_per_day"] <= t["capacity_t_per_day"].fillna(np.inf) + 1e-9).all()
    assert t["plan_load_t_per_day"].sum() == pytest.approx(32.0)
    new = t.loc[t["kind"] == "capacity"]
    assert new["capacity_t_per_day"].sum() >= 22.0 and len(new) >= 1
    assert plan["capex_wan"] == pytest.approx(sum(e["capex_wan"] for e in plan["new_stations"]))


def test_an_impossible_plan_is_reported_with_the_reason():
    # one village of 60 t/d; the largest module holds 20 t/d
    d = make_district([(0, 0)], [120_000], [(0, 10)], caps=[5.0], generation_kg_per_person_day=0.5,
                      station_module_capex_wan={"10": 100, "20": 150})
    c = waste_chain(d)
    plan = c.plan
    assert plan["feasible"] is False
    assert plan["stations_over_capacity"] and "20" in plan["reason"]


def test_the_coverage_sites_are_kept_and_sized():
    d = make_district([(0, 0), (9000, 0)], [1000, 30_000], [(0, 10)], caps=[5.0],
                      generation_kg_per_person_day=0.5)
    proposed = _pts([(9000, 20)], ids=["P1"])
    c = waste_chain(d, proposed=proposed)
    new = c.plan_stations.set_index("id")
    assert new.loc["P1", "kind"] == "coverage"
    assert new.loc["P1", "module_t_per_day"] == 20.0  # 15 t/d → the smallest module that holds it
    assert new.loc["P1", "plan_load_t_per_day"] == pytest.approx(15.0)



def test_a_forced_site_opens_even_when_no_tonnes_reach_it():
    # the coverage siting places sites on villages without population (0 t/d): the plan keeps
    # them (the smallest module), as it does when tonnes reach them
    mods = Modules(np.array([10.0, 20.0, 50.0]), np.array([300.0, 450.0, 800.0]))
    none = np.zeros(0, np.int64)
    got = size_stations(np.zeros(3), np.zeros(0), 2, np.array([True, False]), mods, none, none, np.zeros(0))
    assert got.module.tolist() == [0, -1] and got.cost_yuan_per_year == pytest.approx(300.0)
    d = make_district([(0, 0), (9000, 0)], [0, 0], [(0, 10)], caps=[5.0])
    c = waste_chain(d, proposed=_pts([(9000, 20)], ids=["P1"]))
    new = c.plan_stations.set_index("id")
    assert new.loc["P1", "module_t_per_day"] == 10.0 and new.loc["P1", "plan_load_t_per_day"] == 0.0

# ------------------------------------------------------------------------ collection
def test_households_within_the_collection_distance_by_hand():
    v = gpd.GeoDataFrame({"id": ["v0", "v1"], "name": ["甲", "乙"], "township": "甲镇", "population": [10, 10],
                          "households": [3, 3]},
                         geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)],
                         crs=CRS)
    hh = _pts([(100, 100), (200, 100), (900, 900), (1500, 500)], households=[1, 2, np.nan, 4])
    cp = _pts([(100, 150)])
    d = District(name="t", crs=CRS, villages=v, households=hh, collection_points=cp).with_params(
        "waste", collection_distance_m=120.0, collection_target=0.9)
    res = collection_links(d)
    assert res.households["within"].tolist() == [True, True, False, False]
    assert res.share == pytest.approx(3 / 8)  # blank households cell: 1
    assert res.by_village.set_index("village_id")["beyond"].to_dict() == {"v0": 1.0, "v1": 4.0}
    assert len(res.proposed) == 2 and res.share_after == pytest.approx(1.0)
    c = waste_chain(d)
    assert c.summary()["households_within_collection_distance"] == pytest.approx(3 / 8)


def test_without_households_the_collection_link_is_not_assessed():
    c = waste_chain(make_district([(0, 0)], [100], [(10, 0)]))
    s = c.summary()
    assert s["households_within_collection_distance"] is None
    assert s["collection"]["assessed"] is False and "households" in s["collection"]["reason"]


def test_a_bad_capacity_given_by_an_analyst_is_a_clear_error():
    d = make_district([(0, 0)], [100], [(10, 0)], caps=[0.0])
    with pytest.raises(DataValueError, match="greater than 0"):
        waste_chain(d)


# ------------------------------------------------------------------------- the reader
def _facilities_csv(folder, rows) -> None:
    lon, lat = TO_LONLAT.transform(ORIGIN[0] + 3000.0, ORIGIN[1] + 3000.0)
    pd.DataFrame([{"编号": f"F{i}", "名称": f"厂{i}", "经度": lon + 0.001 * i, "纬度": lat, **r}
                  for i, r in enumerate(rows)]).to_csv(folder / "facilities.csv", index=False)


def test_the_project_reads_facilities_households_and_collection_points(tmp_path):
    _facilities_csv(tmp_path, [{"类型": "焚烧发电厂", "设计能力（吨/日）": 600, "运行状态": "运行"},
                               {"类型": "卫生填埋场", "设计能力（吨/日）": "", "运行状态": "停运"}])
    hh = gpd.GeoDataFrame({"户数": [2, None]}, geometry=[box(ORIGIN[0] + 10, ORIGIN[1] + 10, ORIGIN[0] + 20,
                                                          ORIGIN[1] + 20), Point(ORIGIN[0] + 50, ORIGIN[1] + 50)],
                          crs=CRS)
    hh.to_file(tmp_path / "buildings.gpkg", layer="buildings", engine="pyogrio")
    _pts([(0, 0)]).assign(geometry=lambda g: g.geometry.translate(ORIGIN[0] - X0, ORIGIN[1] - Y0)).to_file(
        tmp_path / "points.geojson", engine="pyogrio")
    extra = '''
[layers.waste_facilities]
path = "facilities.csv"
[layers.buildings]
path = "buildings.gpkg"
[layers.collection_points]
path = "points.geojson"
'''
    with pytest.warns(Warning):  # the blank capacity, the buildings' missing ids and blank households
        d = load_project(write_project(tmp_path, extra=extra))
    f = d.waste_facilities
    assert f["kind"].tolist() == ["incinerator", "landfill"] and f["status"].tolist() == ["running", "stopped"]
    assert f["capacity_t_per_day"].iloc[0] == 600 and np.isnan(f["capacity_t_per_day"].iloc[1])
    assert len(d.buildings) == 2 and len(d.collection_points) == 1
    c = waste_chain(d)
    s = c.summary()
    assert s["facilities"][1]["inflow_t_per_day"] == 0.0  # the stopped landfill takes nothing
    assert s["collection"]["assessed"] and s["collection"]["households"] == 3.0


@pytest.mark.parametrize("row, words", [({"类型": "垃圾山", "设计能力（吨/日）": 10}, "unknown facility kind"),
                                        ({"类型": "填埋场", "设计能力（吨/日）": 0}, "greater than 0"),
                                        ({"类型": "填埋场", "设计能力（吨/日）": "约500"}, "must be a number")])
def test_bad_facility_cells_name_the_file_column_and_row(tmp_path, row, words):
    _facilities_csv(tmp_path, [row])
    path = write_project(tmp_path, extra='[layers.waste_facilities]\npath = "facilities.csv"\n')
    with pytest.raises(DataValueError, match=words) as info:
        load_project(path)
    assert "facilities.csv" in str(info.value) and "row" in str(info.value)


def test_a_township_table_naming_no_township_stops_the_load(tmp_path):
    path = write_project(tmp_path, extra='\n[waste]\ntownship_generation_kg_per_person_day = { "河口" = 0.8 }\n')
    with pytest.raises(ParameterError, match="河口镇") as info:  # the closest name is suggested
        load_project(path)
    assert "project.toml" in str(info.value)
