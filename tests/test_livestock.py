"""Tests of geo_env.analysis.livestock: pig equivalents, setbacks, manure–land balance.

Expected numbers are computed by hand in the comments (factor tables of 农办牧〔2018〕1号
and GB 18596-2001 as given in standards.py) or by an independent brute-force shapely
computation.
"""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from shapely.geometry import LineString, Point, box

import geo_env as ge
from geo_env.analysis import livestock as lv
from geo_env.errors import ColumnNotFoundError, DataValueError, DataWarning, ParameterError
from geo_env.io.project import District
from geo_env.parts import livestock_part

CRS = pyproj.CRS("EPSG:4548")
X0, Y0 = 500_000.0, 3_000_000.0


def _box(x1, y1, x2, y2):
    return box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def _pt(x, y):
    return Point(X0 + x, Y0 + y)


def _villages(farmland=(1000.0, 500.0, 0.0, 2000.0)):
    return gpd.GeoDataFrame(
        {
            "id": ["V1", "V2", "V3", "V4"],
            "name": ["甲村", "乙村", "丙村", "丁村"],
            "township": ["T1", "T1", "T2", "T2"],
            "population": [500, 400, 300, 200],
            "households": [150, 120, 90, 60],
            "farmland_mu": list(farmland),
        },
        geometry=[_box(0, 0, 1000, 1000), _box(2000, 0, 3000, 1000),
                  _box(0, 3000, 1000, 4000), _box(10000, 10000, 11000, 11000)],
        crs=CRS,
    )


# farm          where                                   species / head        PE (guideline)
# F1 inside V1 (500, 500)                               生猪 1000 stock        1000
# F2 on V1's east boundary (1000, 500)                  奶牛 60                 400
# F3 between V1 and V2 (1500, 500): 500 m from both     pig 200                 200
# F4 inside V3 (500, 3500), in the prohibited zone      肉鸡 10000              400
# F5 outside every village, 300 m west of V4            羊 500                  200
# F6 500.5 m east of V2 (3500.5, 500), 300 m from river  beef_cattle 30          100
# F7 499.5 m east of V2 (3499.5, 200)                   layer 2500              100
FARMS = [
    ("F1", "生猪", 1000, (500, 500)),
    ("F2", "奶牛", 60, (1000, 500)),
    ("F3", "pig", 200, (1500, 500)),
    ("F4", "肉鸡", 10000, (500, 3500)),
    ("F5", "羊", 500, (9700, 10500)),
    ("F6", "beef_cattle", 30, (3500.5, 500)),
    ("F7", " Layer ", 2500, (3499.5, 200)),
]
PE_GUIDE = np.array([1000, 400, 200, 400, 200, 100, 100], dtype=float)


def _farms():
    return gpd.GeoDataFrame(
        {"id": [f[0] for f in FARMS], "name": [f"场{f[0]}" for f in FARMS],
         "species": [f[1] for f in FARMS], "head": [f[2] for f in FARMS]},
        geometry=[_pt(*f[3]) for f in FARMS], crs=CRS,
    )


def _water():
    # a river along x = 3800 from y = -2000 to y = 2000
    return gpd.GeoDataFrame(geometry=[LineString([(X0 + 3800, Y0 - 2000),
                                                  (X0 + 3800, Y0 + 2000)])], crs=CRS)


def _zones():
    return gpd.GeoDataFrame(geometry=[_box(400, 3400, 600, 3600)], crs=CRS)


def _plants():
    return gpd.GeoDataFrame({"id": ["S1"], "name": ["污水厂"], "capacity_m3_per_day": [100.0],
                             "load_m3_per_day": [50.0]}, geometry=[_pt(0, -1000)], crs=CRS)


def _district(**kw):
    args = dict(name="测试区", crs=CRS, villages=_villages(), livestock_farms=_farms(),
                water=_water(), prohibited_zones=_zones(), sewage_plants=_plants())
    args.update(kw)
    return District(**args)


# ---------------------------------------------------------------------------------------
# species and pig equivalents
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("names, code", [
    (["pig", "PIG", " Pigs ", "swine", "生猪", "猪", "ｐｉｇ"], "pig"),
    (["dairy_cow", "Dairy Cow", "DAIRY-COW", "dairy  cow", "奶牛", " 奶牛 "], "dairy_cow"),
    (["beef_cattle", "Beef cattle", "肉牛"], "beef_cattle"),
    (["sheep", "goat", "羊", "山羊", "绵羊"], "sheep"),
    (["layer", "Laying hens", "蛋鸡"], "layer"),
    (["broiler", "BROILERS", "肉鸡"], "broiler"),
    (["poultry", "家禽", "鸭", "鹅"], "poultry"),
])
def test_species_names_english_and_chinese(names, code):
    assert list(lv.parse_species(names)) == [code] * len(names)


@pytest.mark.parametrize("bad", ["unicorn", "牛", None, float("nan"), ""])
def test_unknown_species_names_row_value_and_accepted_names(bad):
    with pytest.raises(DataValueError) as e:
        lv.parse_species(["pig", "奶牛", bad])
    msg = str(e.value)
    assert "row 3" in msg and "column 'species'" in msg and "livestock_farms" in msg
    assert repr(bad) in msg
    assert "生猪" in msg and "dairy_cow" in msg and "肉鸡" in msg  # the accepted names


def test_unknown_species_in_district_names_the_row():
    farms = _farms()
    farms.loc[4, "species"] = "骆驼"
    with pytest.raises(DataValueError, match=r"row 5: unknown species '骆驼' of farm 'F5'"):
        ge.livestock_check(_district(livestock_farms=farms))


# hand calculation: guideline 100 pigs = 15 dairy cows = 30 beef cattle = 250 sheep = 2500
# poultry; GB 18596: 1 dairy cow = 10 pigs, 1 beef = 5, 30 layers = 1, 60 broilers = 1,
# 3 sheep = 1. Output → stock: × days / 365 (pig 180 d, broiler & poultry 45 d, others 365 d)
HAND = [
    # species, head, head_is, guideline PE, gb18596 PE
    ("pig", 100, "stock", 100.0, 100.0),
    ("dairy_cow", 15, "stock", 100.0, 150.0),
    ("beef_cattle", 30, "stock", 100.0, 150.0),
    ("sheep", 250, "stock", 100.0, 250 / 3),
    ("layer", 2500, "stock", 100.0, 2500 / 30),
    ("broiler", 2500, "stock", 100.0, 2500 / 60),
    ("poultry", 2500, "stock", 100.0, 2500 / 30),
    ("pig", 730, "output", 360.0, 360.0),          # 730 × 180/365 = 360 on hand
    ("dairy_cow", 15, "output", 100.0, 150.0),     # 365 d: output = stock
    ("beef_cattle", 30, "output", 100.0, 150.0),
    ("sheep", 250, "output", 100.0, 250 / 3),
    ("layer", 2500, "output", 100.0, 2500 / 30),
    ("broiler", 7300, "output", 36.0, 15.0),       # 7300 × 45/365 = 900 on hand
    ("poultry", 7300, "output", 36.0, 30.0),
]


@pytest.mark.parametrize("species, head, head_is, guide, gb", HAND)
def test_pig_equivalents_hand_calculation(species, head, head_is, guide, gb):
    got_guide = lv.pig_equivalents([species], [head], factors="guideline2018", head_is=head_is)
    got_gb = lv.pig_equivalents([species], [head], factors="gb18596", head_is=head_is)
    assert got_guide[0] == pytest.approx(guide, rel=1e-12)
    assert got_gb[0] == pytest.approx(gb, rel=1e-12)


def test_every_species_is_in_both_factor_sets_and_the_hand_table():
    assert {s for s, *_ in HAND} == set(lv.SPECIES)
    assert {(s, h) for s, _, h, *_ in HAND} == {(s, h) for s in lv.SPECIES
                                                for h in ("stock", "output")}


def test_output_conversion_uses_project_cycle_days():
    d = _district().with_params("livestock", head_is="output", cycle_days={"生猪": 146})
    farms = ge.livestock_check(d)
    assert farms.loc[0, "pig_equivalents"] == pytest.approx(1000 * 146 / 365)  # 400


def test_bad_cycle_days_species_is_a_parameter_error():
    d = _district().with_params("livestock", cycle_days={"unicorn": 100})
    with pytest.raises(ParameterError, match="unicorn"):
        ge.livestock_check(d)


def test_bad_head_names_the_row():
    farms = _farms()
    farms["head"] = farms["head"].astype(object)
    farms.loc[2, "head"] = "many"
    with pytest.raises(DataValueError, match=r"column 'head', row 3"):
        ge.livestock_check(_district(livestock_farms=farms))


# ---------------------------------------------------------------------------------------
# setbacks
# ---------------------------------------------------------------------------------------
def _oracle(d, res_m=500.0, water_m=400.0):
    """Brute force, one farm at a time, with plain shapely calls."""
    rows = []
    for g in d.livestock_farms.geometry:
        dv = min(g.distance(v) for v in d.villages.geometry)
        dw = min(g.distance(w) for w in d.water.geometry)
        ds = min(g.distance(s) for s in d.sewage_plants.geometry)
        z = any(g.intersects(p) for p in d.prohibited_zones.geometry)
        rows.append((dv, dw, ds, z, dv < res_m, dw < water_m,
                     not (dv < res_m or dw < water_m or z)))
    return pd.DataFrame(rows, columns=["nearest_village_distance_m", "water_distance_m",
                                       "sewage_plant_distance_m", "in_prohibited_zone",
                                       "near_village", "near_water", "setback_ok"])


def test_setback_flags_equal_brute_force_shapely():
    d = _district()
    got = ge.livestock_check(d)
    want = _oracle(d)
    for col in want.columns:
        if want[col].dtype == bool:
            assert got[col].tolist() == want[col].tolist(), col
        else:
            np.testing.assert_allclose(got[col].to_numpy(), want[col].to_numpy(), atol=1e-9)


def test_setback_cases_by_hand():
    got = ge.livestock_check(_district()).set_index("id")
    # inside a village and on its boundary: distance 0, too close
    assert got.loc["F1", "nearest_village_distance_m"] == 0
    assert got.loc["F2", "nearest_village_distance_m"] == 0
    assert got.loc["F1", "near_village"] and got.loc["F2", "near_village"]
    # exactly 500 m passes ("不得小于500m"); 500.5 m passes; 499.5 m does not
    assert got.loc["F3", "nearest_village_distance_m"] == 500
    assert not got.loc["F3", "near_village"]
    assert got.loc["F6", "nearest_village_distance_m"] == pytest.approx(500.5)
    assert not got.loc["F6", "near_village"]
    assert got.loc["F7", "nearest_village_distance_m"] == pytest.approx(499.5)
    assert got.loc["F7", "near_village"]
    # water: F6 is 3800 - 3500.5 = 299.5 m from the river
    assert got.loc["F6", "water_distance_m"] == pytest.approx(299.5)
    assert got.loc["F6", "near_water"] and not got.loc["F6", "setback_ok"]
    # prohibited zone; the sewage plant at (0, -1000) is hypot(1500, 1500) from F3
    assert got.loc["F4", "in_prohibited_zone"] and not got.loc["F1", "in_prohibited_zone"]
    assert got.loc["F3", "sewage_plant_distance_m"] == pytest.approx(math.hypot(1500, 1500))
    assert got.loc["F3", "setback_ok"]


def test_issues_text_in_both_languages():
    d = _district()
    zh = ge.livestock_check(d).set_index("id")["issues"]
    en = ge.livestock_check(District(**{**d.__dict__, "lang": "en"})).set_index("id")["issues"]
    assert zh["F3"] == "" and en["F3"] == ""
    assert zh["F1"] == "距居民点 0 m（< 500 m）"
    assert zh["F4"] == "距居民点 0 m（< 500 m）；位于禁养区"
    assert zh["F6"] == "距水体 299 m（< 400 m）"  # 299.5 m, shown rounded down
    assert zh["F7"] == "距居民点 499 m（< 500 m）；距水体 300 m（< 400 m）"
    assert en["F4"] == "0 m from a village (< 500 m); in a no-farming zone"
    assert en["F5"] == "300 m from a village (< 500 m)"


def test_setback_override_and_anchor_basis():
    d = _district()
    # 600 m setback: F3 (500 m) and F6 (500.5 m) now too close
    got = ge.livestock_check(d, residential_setback_m=600).set_index("id")
    assert got.loc["F3", "near_village"] and got.loc["F6", "near_village"]
    # anchors = centroids: F1 at V1's centroid → 0; F3 1000 m from both centroids
    got = ge.livestock_check(d, residential_basis="anchor").set_index("id")
    assert got.loc["F1", "nearest_village_distance_m"] == 0
    assert got.loc["F3", "nearest_village_distance_m"] == pytest.approx(1000)
    assert got.loc["F2", "nearest_village_distance_m"] == pytest.approx(500)


def test_auto_basis_polygons_for_settlements_anchors_for_territories():
    # the fixture's four separate squares cover 4 km² of a ~121 km² hull: settlements
    assert ge.livestock_check(_district()).attrs["residential_basis"] == "polygon"
    # a 3 × 3 tiling of 1 km squares covers its whole hull: territories (村界) → anchors
    tiles = gpd.GeoDataFrame(
        {"id": [f"V{k}" for k in range(9)], "name": [f"村{k}" for k in range(9)],
         "township": ["T"] * 9, "population": [1] * 9, "households": [1] * 9},
        geometry=[_box(i * 1000, j * 1000, (i + 1) * 1000, (j + 1) * 1000)
                  for j in range(3) for i in range(3)], crs=CRS)
    farms = gpd.GeoDataFrame({"id": ["a"], "species": ["pig"], "head": [10]},
                             geometry=[_pt(1500, 1800)], crs=CRS)
    d = District(name="t", crs=CRS, villages=tiles, livestock_farms=farms)
    got = ge.livestock_check(d)
    assert got.attrs["residential_basis"] == "anchor"
    # nearest anchor: the centroid of the middle tile (1500, 1500), 300 m away
    assert got.loc[0, "nearest_village_distance_m"] == pytest.approx(300)
    assert got.loc[0, "village_id"] == "V4"
    got = ge.livestock_check(d, residential_basis="polygon")
    assert got.loc[0, "nearest_village_distance_m"] == 0


def test_village_assignment_inside_else_nearest():
    got = ge.livestock_check(_district()).set_index("id")
    assert got.loc["F1", "village_id"] == "V1"
    assert got.loc["F2", "village_id"] == "V1"      # on V1's boundary, 1000 m from V2
    assert got.loc["F3", "village_id"] == "V1"      # tie at 500 m: the first village
    assert got.loc["F5", "village_id"] == "V4"      # outside all villages: nearest
    assert got.loc["F5", "township"] == "T2"
    assert got.loc["F6", "village_id"] == "V2"


def test_no_optional_layers_gives_nan_and_no_flags():
    d = _district(water=None, prohibited_zones=None, sewage_plants=None)
    got = ge.livestock_check(d)
    assert got["water_distance_m"].isna().all() and got["sewage_plant_distance_m"].isna().all()
    assert not got["near_water"].any() and not got["in_prohibited_zone"].any()


def test_scale_farm_thresholds_by_hand():
    # pig threshold 500 (output) = 500 × 180/365 = 246.6 on hand; dairy 100 stock;
    # broiler 50000 output = 6164.4 on hand; sheep: pig equivalents ≥ 246.6
    farms = gpd.GeoDataFrame(
        {"id": list("abcdefgh"),
         "species": ["pig", "pig", "奶牛", "奶牛", "肉鸡", "肉鸡", "羊", "羊"],
         "head": [247, 246, 100, 99, 6165, 6164, 617, 616]},
        geometry=[_pt(20000 + i * 10, 0) for i in range(8)], crs=CRS)
    got = ge.livestock_check(_district(livestock_farms=farms))
    # sheep: 617 × 0.4 = 246.8 ≥ 246.58; 616 × 0.4 = 246.4 <
    assert got["scale_farm"].tolist() == [True, False, True, False, True, False, True, False]
    # the same heads as annual output: pigs compare with 500 directly (247 < 500); dairy
    # 100 output = 100 on hand (365 d) ≥ 100; broilers 6165 < 50000
    got = ge.livestock_check(_district(livestock_farms=farms), head_is="output")
    assert got["scale_farm"].tolist()[:6] == [False, False, True, False, False, False]
    assert got.loc[0, "pig_equivalents"] == pytest.approx(247 * 180 / 365)


def test_inputs_not_mutated_and_index_kept():
    d = _district()
    farms = d.livestock_farms.copy()
    farms.index = [10, 11, 12, 13, 14, 15, 16]
    d = _district(livestock_farms=farms)
    before = farms.copy()
    got = ge.livestock_check(d)
    pd.testing.assert_frame_equal(farms, before)
    assert list(got.index) == [10, 11, 12, 13, 14, 15, 16]
    assert got["species"].tolist() == ["pig", "dairy_cow", "pig", "broiler", "sheep",
                                       "beef_cattle", "layer"]


# ---------------------------------------------------------------------------------------
# manure–land balance
# ---------------------------------------------------------------------------------------
# capacity per mu (defaults): N demand = 400/100 × 3.0 × 0.45 × 0.5 / 0.30 = 9.0 kg/mu;
# N per pig equivalent after losses = 11 × 0.65 = 7.15 kg → 9 / 7.15 = 1.258741... PE/mu.
# P: 4 × 1.0 × 0.225 / 0.35 = 2.5714 kg / (1.65 × 0.65) = 2.3976 PE/mu → nitrogen limits.
CAP_MU = 9.0 / 7.15


def test_capacity_per_mu_by_hand():
    n, p = lv._capacity_per_mu(lv._resolve({}))
    assert n == pytest.approx(CAP_MU) and p == pytest.approx(0.9 / 0.35 / 1.0725)


def test_balance_by_hand_and_no_farmland_is_overloaded():
    vt = ge.manure_balance(_district(), by="village").set_index("id")
    # V1: F1 + F2 + F3 = 1000 + 400 + 200; V2: F6 + F7; V3: F4; V4: F5
    assert vt["pig_equivalents"].tolist() == pytest.approx([1600, 200, 400, 200])
    assert vt["farms"].tolist() == [3, 2, 1, 1]
    assert vt["capacity_pig_equivalents"].tolist() == pytest.approx(
        [1000 * CAP_MU, 500 * CAP_MU, 0, 2000 * CAP_MU])
    assert vt.loc["V1", "load_ratio"] == pytest.approx(1600 / (1000 * CAP_MU))
    assert vt.loc["V3", "load_ratio"] == math.inf
    assert vt.loc["V3", "overloaded"] and vt.loc["V3", "no_farmland"]
    assert vt["overloaded"].tolist() == [True, False, True, False]
    assert vt.loc["V1", "surplus_pig_equivalents"] == pytest.approx(1600 - 1000 * CAP_MU)
    assert vt.loc["V2", "spare_pig_equivalents"] == pytest.approx(500 * CAP_MU - 200)
    assert (vt["farmland_source"] == "farmland_mu_column").all()
    assert ge.manure_balance(_district(), by="village").attrs["farmland_source"] \
        == "farmland_mu_column"


def test_village_with_neither_farms_nor_farmland_is_not_overloaded():
    farms = _farms().iloc[[0]]
    vt = ge.manure_balance(_district(livestock_farms=farms), by="village").set_index("id")
    assert vt.loc["V3", "load_ratio"] == 0 and not vt.loc["V3", "overloaded"]


def test_nitrogen_is_conserved_villages_farms_townships():
    d = _district()
    farms = ge.livestock_check(d)
    vt = ge.manure_balance(d, by="village")
    tt = ge.manure_balance(d, by="township")
    total = PE_GUIDE.sum() * 11.0
    assert farms["nitrogen_kg_per_year"].sum() == pytest.approx(total)
    assert vt["nitrogen_kg_per_year"].sum() == pytest.approx(total)
    assert tt["nitrogen_kg_per_year"].sum() == pytest.approx(total)
    assert tt["phosphorus_kg_per_year"].sum() == pytest.approx(PE_GUIDE.sum() * 1.65)
    assert tt.set_index("township").loc["T1", "pig_equivalents"] == pytest.approx(1800)


def test_farm_outside_all_villages_counts_in_the_nearest():
    d = _district()
    vt = ge.manure_balance(d, by="village").set_index("id")
    assert vt.loc["V4", "farms"] == 1 and vt.loc["V4", "pig_equivalents"] == pytest.approx(200)


def test_transfers_fill_nearest_spare_capacity_first():
    # surplus: V1 1600 - 1258.74 = 341.26 (V2 at 2000 m), V3 400 (V2 at 3605.6 m, V1 3000 m
    # but V1 has no spare). V2's spare 629.37 - 200 = 429.37 < 741.26 total surplus:
    # all of it moves, V1's surplus first (shorter), the rest from V3. V4 is 13 km away.
    d = _district()
    tr = ge.manure_balance(d, by="transfers")
    s1, spare2 = 1600 - 1000 * CAP_MU, 500 * CAP_MU - 200
    got = {(r.from_id, r.to_id): r.pig_equivalents for r in tr.itertuples()}
    assert set(got) == {("V1", "V2"), ("V3", "V2")}
    assert got[("V1", "V2")] == pytest.approx(s1, rel=1e-7)
    assert got[("V3", "V2")] == pytest.approx(spare2 - s1, rel=1e-7)
    dist = tr.set_index("from_id")["distance_m"]
    assert dist["V1"] == pytest.approx(2000) and dist["V3"] == pytest.approx(math.hypot(2000, 3000))
    vt = ge.manure_balance(d, by="village").set_index("id")
    assert vt.loc["V3", "remaining_surplus_pig_equivalents"] == pytest.approx(400 - (spare2 - s1),
                                                                            rel=1e-7)
    assert vt.loc["V1", "manure_destinations"].startswith("乙村[V2] 接收 341 猪当量（2.0 km）")
    # nothing within 1 km: no transfers, a readable note
    vt = ge.manure_balance(d, by="village", transport_distance_m=1000).set_index("id")
    assert vt.loc["V1", "transfer_out_pig_equivalents"] == 0
    assert vt.loc["V1", "manure_destinations"] == "1 km 内无可消纳村"


def test_transfers_never_exceed_spare_or_surplus_brute_force():
    # random villages; LP result checked against the constraints and against a brute-force
    # maximum flow computed with networkx
    nx = pytest.importorskip("networkx")
    rng = np.random.default_rng(5)
    n = 12
    xy = rng.uniform(0, 8000, size=(n, 2))
    surplus = np.where(rng.random(n) < 0.5, rng.uniform(0, 100, n), 0.0)
    spare = np.where(surplus > 0, 0.0, rng.uniform(0, 80, n))
    mv = lv._transfers(xy, surplus, spare, 3000.0)
    out = np.bincount(mv["from"], weights=mv["pig_equivalents"], minlength=n)
    inn = np.bincount(mv["to"], weights=mv["pig_equivalents"], minlength=n)
    assert (out <= surplus + 1e-6).all() and (inn <= spare + 1e-6).all()
    assert (mv["distance_m"] <= 3000).all()
    g = nx.DiGraph()
    for i in range(n):
        g.add_edge("s", i, capacity=surplus[i])
        g.add_edge(("t", i), "t", capacity=spare[i])
        for j in range(n):
            if np.hypot(*(xy[i] - xy[j])) <= 3000:
                g.add_edge(i, ("t", j), capacity=1e9)
    assert mv["pig_equivalents"].sum() == pytest.approx(nx.maximum_flow_value(g, "s", "t"),
                                                        rel=1e-6)


def test_farmland_layer_is_preferred_and_intersected():
    # two overlapping parcels over V1's west half (500 × 1000 m = 750 mu, counted once) and
    # one over all of V4 (1500 mu)
    land = gpd.GeoDataFrame(geometry=[_box(-100, 0, 500, 1000), _box(0, 0, 300, 1000),
                                      _box(10000, 10000, 11000, 11000)], crs=CRS)
    with pytest.warns(DataWarning, match="2 polygons overlap; their union is used"):
        vt = ge.manure_balance(_district(farmland=land), by="village").set_index("id")
    assert vt["farmland_mu"].tolist() == pytest.approx([750, 0, 0, 1500])
    assert (vt["farmland_source"] == "farmland_layer").all()
    assert vt.loc["V2", "load_ratio"] == math.inf


def test_no_farmland_information_is_a_clear_error():
    d = _district(villages=_villages().drop(columns="farmland_mu"))
    with pytest.raises(ColumnNotFoundError, match="farmland_mu"):
        ge.manure_balance(d)


def test_gb18596_factors_change_the_balance():
    d = _district().with_params("livestock", factors="gb18596")
    vt = ge.manure_balance(d, by="village").set_index("id")
    # V1: 1000 pigs + 60 dairy × 10 + 200 pigs = 1800
    assert vt.loc["V1", "pig_equivalents"] == pytest.approx(1800)


# ---------------------------------------------------------------------------------------
# plan
# ---------------------------------------------------------------------------------------
def test_plan_part_and_analyze(tmp_path):
    d = _district()
    plan = ge.analyze(d)
    block = plan.summary["livestock"]
    assert block["farms"] == 7 and block["pig_equivalents"] == pytest.approx(PE_GUIDE.sum())
    # near villages: F1 F2 F4 F5 F7; near the river: F6 (299.5 m), F7 (300.5 m)
    assert block["flags"] == {"near_village": 5, "near_water": 2, "in_prohibited_zone": 1,
                              "setback_not_ok": 6}
    assert block["balance"]["overloaded_villages"] == ["V1", "V3"]
    # T1: 1800 PE on 1500 mu (1888 PE); T2: 600 PE on 2000 mu (2517 PE): neither
    assert block["balance"]["overloaded_townships"] == []
    assert plan.villages["manure_load_ratio"].iloc[2] == math.inf
    assert set(plan.tables) >= {"livestock_farms", "manure_balance_township",
                                "manure_balance_village", "manure_transfers"}
    assert "issues" in plan.layers["livestock_farms"].columns
    files = plan.save(tmp_path / "out")
    assert any(f.name == "plan.gpkg" for f in files)
    back = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="livestock_farms")
    assert back["setback_ok"].tolist() == plan.layers["livestock_farms"]["setback_ok"].tolist()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["livestock"]["flags"]["near_water"] == 2


def test_plan_part_without_farmland_still_checks_farms():
    d = _district(villages=_villages().drop(columns="farmland_mu"))
    with pytest.warns(DataWarning, match="manure–land balance is not assessed"):
        part = livestock_part(d)
    assert part.summary["balance"] is None and "farmland_mu" in part.summary["balance_skipped"]
    assert part.village_columns is None and len(part.layers["livestock_farms"]) == 7


def test_empty_farms_layer():
    farms = _farms().iloc[:0]
    got = ge.livestock_check(_district(livestock_farms=farms))
    assert len(got) == 0 and "setback_ok" in got.columns
    vt = ge.manure_balance(_district(livestock_farms=farms), by="village")
    assert (vt["pig_equivalents"] == 0).all() and not vt["overloaded"].any()


def test_plan_part_without_farms_is_none():
    assert livestock_part(_district(livestock_farms=None)) is None


def test_labels_cover_columns_and_species():
    from geo_env.labels import label

    farms = ge.livestock_check(_district())
    for col in farms.columns.drop("geometry"):
        assert label(col, "en") != col or col in ("id",), col
    for s in lv.SPECIES:
        assert label(s, "zh") != s
    vt = ge.manure_balance(_district(), by="village")
    for col in vt.columns:
        assert label(col, "zh") != col, col


def test_project_file_settings_reach_the_analysis(tmp_path):
    from builders import ORIGIN, WORK, write_project

    x0, y0 = ORIGIN  # village 0 of the builders' grid is the 2000 m square at the origin
    farms = gpd.GeoDataFrame({"id": ["F1", "F2"], "name": ["猪场", "牛场"],
                              "species": ["生猪", "奶牛"], "head": [500, 10]},
                             geometry=[Point(x0 + 1000, y0 + 1000), Point(x0 + 1200, y0 + 900)],
                             crs=WORK)
    farms.to_file(tmp_path / "farms.gpkg", engine="pyogrio")
    land = gpd.GeoDataFrame(geometry=[box(x0, y0, x0 + 2000, y0 + 2000)], crs=WORK)
    land.to_file(tmp_path / "farmland.gpkg", engine="pyogrio")
    path = write_project(tmp_path, stations=False, extra='''
[layers.livestock_farms]
path = "farms.gpkg"

[layers.farmland]
path = "farmland.gpkg"

[livestock]
factors = "gb18596"
head_is = "output"
cycle_days = { pig = 146 }
scale_thresholds = { "生猪" = 300 }
''')
    d = ge.load_project(path)
    farms = ge.livestock_check(d)
    # pigs: 500 output × 146/365 = 200 on hand → 200 PE; dairy: 10 × 10 = 100 PE (GB 18596)
    assert farms["pig_equivalents"].tolist() == pytest.approx([200, 100])
    # pig threshold 300 head of output: 500 ≥ 300; dairy 10 < 100
    assert farms["scale_farm"].tolist() == [True, False]
    vt = ge.manure_balance(d, by="village")
    assert vt["farmland_source"].iloc[0] == "farmland_layer"
    assert vt["farmland_mu"].iloc[0] == pytest.approx(2000 * 2000 / MU, rel=1e-6)
    assert vt["pig_equivalents"].iloc[0] == pytest.approx(300)
    assert ge.analyze(d).summary["livestock"]["factors"] == "gb18596"


MU = 10_000 / 15
