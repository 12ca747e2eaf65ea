"""Horizon population and village classes (issue 17, item 5): hand-computed flows, the
township rate, relocation (搬迁撤并) and suburban (城郊融合) villages, class words.

Fixtures from tests/test_sewage.py (``villages``, ``plants``, ``district``): points on flat
ground, no DEM.
"""

from __future__ import annotations

import numpy as np
import pytest

import geo_env as ge
from geo_env.analysis.sewage import sewage_plan
from geo_env.errors import DataValueError, ParameterError
from geo_env.standards import defaults
from test_sewage import district, plants, villages

P = DEFAULT = defaults("sewage")


def with_class(v, classes):
    out = v.copy()
    out["village_class"] = classes
    return out


def test_standards_defaults_keep_today_s_population():
    assert (DEFAULT["horizon_year"], DEFAULT["base_year"]) == (2035, 2025)
    assert DEFAULT["population_growth_rate"] == 0.0 and DEFAULT["township_growth_rates"] == {}


def test_flow_of_a_growing_village_by_hand():
    # 1000 residents growing 2 % a year over 2035 − 2025 = 10 years: 1000 × 1.02¹⁰ = 1218.99 persons;
    # flow = 1218.99 × 80 L/(person·d) × 0.6 / 1000 = 58.51 m³/d
    v = villages([(0, 0, 1000, 380)])
    res = sewage_plan(district(v), population_growth_rate=0.02)
    row = res.villages.iloc[0]
    horizon = 1000 * 1.02 ** 10
    assert horizon == pytest.approx(1218.994, abs=1e-3)
    assert row.population == 1000  # today's population stays
    assert row.population_horizon == pytest.approx(horizon)
    assert row.sewage_flow_m3_per_day == pytest.approx(
        horizon * P["water_use_l_per_capita_day"] * P["sewage_coefficient"] / 1000)
    assert row.sewage_flow_m3_per_day == pytest.approx(58.5117, abs=1e-3)
    # a shrinking village: 1000 × 0.99⁵ over 2030 − 2025
    row = sewage_plan(district(v), population_growth_rate=-0.01, horizon_year=2030).villages.iloc[0]
    assert row.population_horizon == pytest.approx(1000 * 0.99 ** 5)
    assert row.sewage_flow_m3_per_day == pytest.approx(1000 * 0.99 ** 5 * 80 * 0.6 / 1000)


def test_without_growth_the_plan_is_unchanged():
    v = villages([(0, 0, 1000, 380), (3000, 0, 150, 50), (3200, 0, 450, 170)])
    p = plants([(300, 0, 1000, 0)])
    a = sewage_plan(district(v, p)).villages
    b = sewage_plan(district(with_class(v, ["", "其他", "other"]), p)).villages
    assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
    assert (a["population_horizon"] == a["population"]).all()


def test_a_township_rate_overrides_the_district_rate():
    v = villages([(0, 0, 1000, 380), (5000, 0, 1000, 380)])  # townships 甲镇, 乙镇
    res = sewage_plan(district(v), population_growth_rate=0.01, township_growth_rates={"甲镇": 0.03})
    hz = res.villages["population_horizon"].to_numpy()
    assert hz[0] == pytest.approx(1000 * 1.03 ** 10)
    assert hz[1] == pytest.approx(1000 * 1.01 ** 10)
    assert res.villages["households"].tolist() == [380, 380]  # today's households in the table


def test_growth_parameters_are_checked():
    v = villages([(0, 0, 1000, 380)])
    for kw, words in (({"population_growth_rate": 0.5}, "outside the values"),
                      ({"township_growth_rates": {"甲镇": 3}}, "must be a number from"),
                      ({"township_growth_rates": {"甲真": 0.01}}, "[Dd]id you mean '甲镇'"),
                      ({"horizon_year": 2020}, "must not be before base_year")):
        with pytest.raises(ParameterError, match=words):
            sewage_plan(district(v), **kw)


def test_a_relocation_village_never_gets_fixed_works_even_when_connecting_is_much_cheaper():
    # 1000 residents 300 m from a plant with room: it connects (test_sewage); relocating, it does not
    v = villages([(300, 0, 1000, 380)])
    p = plants([(0, 0, 1000, 500)])
    assert ge.sewage_modes(district(v, p)).sewage_mode.iloc[0] == "connect"
    res = sewage_plan(district(with_class(v, ["搬迁撤并"]), p))
    row = res.villages.iloc[0]
    assert row.sewage_mode == "household"
    # 1000 residents in one settlement: too big for household systems, yet its interim measure
    assert np.isfinite(row.cost_household_yuan_per_year)
    assert np.isnan(row.cost_connect_yuan_per_year)
    assert row.sewage_reason == "搬迁撤并村：不新建固定设施，仅采取临时措施（联户分户）"
    assert bool(res.details["relocation_interim"].iloc[0])
    assert len(res.routes) == 0 and res.plants["connected_villages"].sum() == 0
    en = sewage_plan(district(with_class(v, ["relocation"]), p, lang="en")).villages.iloc[0]
    assert en.sewage_reason.startswith("Village to be relocated or merged")


def test_relocation_villages_join_no_cluster():
    # two villages 200 m apart share a station (test_sewage); when one relocates neither clusters
    v = villages([(0, 0, 450, 170), (200, 0, 450, 170)])
    assert sewage_plan(district(v)).villages.sewage_mode.tolist() == ["cluster", "cluster"]
    sew = sewage_plan(district(with_class(v, ["relocation", "集聚提升"]))).villages
    assert sew.sewage_mode.tolist() == ["household", "centralized"]
    assert sew.sewage_cluster_id.isna().all()


def test_a_suburban_village_connects_through_a_priority_pair_where_it_otherwise_would_not():
    # 150 residents 3.5 km from a plant: sewer 3.5 × 1.3 = 4.55 km (≤ 5 km, > 3 km priority
    # distance): feasible but dearer than household systems, so it stays household …
    v = villages([(-3500, 0, 150, 50)])
    p = plants([(0, 0, 1000, 0)])
    res = sewage_plan(district(v, p))
    row = res.villages.iloc[0]
    assert row.sewage_mode == "household"
    assert row.cost_connect_yuan_per_year > row.cost_household_yuan_per_year
    assert not res.details["connect_priority"].iloc[0]
    # … unless it is suburban (城郊融合): every feasible pair of it is a priority pair
    sub = sewage_plan(district(with_class(v, ["城郊融合类"]), p))
    row2 = sub.villages.iloc[0]
    assert row2.sewage_mode == "connect" and row2.sewage_plant_id == "P0"
    assert row2.pipe_length_m == pytest.approx(3500 * P["detour_factor"])
    assert row2.cost_connect_yuan_per_year == pytest.approx(row.cost_connect_yuan_per_year)
    assert bool(sub.details["connect_priority"].iloc[0]) and bool(sub.details["connected_by_priority"].iloc[0])
    # flat ground: 4.55 km at the minimum slope 0.003 is 13.7 m of fall, beyond the 8 m trench: one lift
    assert row2.pump_stations == 1
    assert row2.sewage_reason.startswith("城郊融合村，优先纳管：接入厂0（P0），管线4.5 km，需1座提升泵站（年费用比联户分户高")
    # beyond the connection limit it cannot connect, suburban or not
    far = with_class(villages([(-4000, 0, 150, 50)]), ["suburban"])  # 5.2 km of sewer > 5 km
    assert ge.sewage_modes(district(far, p)).sewage_mode.iloc[0] == "household"


def test_unknown_class_word_names_column_and_row():
    v = with_class(villages([(0, 0, 100, 40), (500, 0, 100, 40)]), ["集聚提升", "乱写"])
    with pytest.raises(DataValueError) as e:
        sewage_plan(district(v))
    msg = str(e.value)
    assert "village_class" in msg and "row 2" in msg and "乱写" in msg and "城郊融合" in msg


def test_reader_maps_class_words_and_names_file_column_and_row(tmp_path):
    p = tmp_path / "v.csv"
    p.write_text("id,name,lon,lat,人口,户数,村庄分类\nV1,甲村,117.5,28.4,100,40,集聚提升类\n"
                 "V2,乙村,117.51,28.41,50,20,\nV3,丙村,117.52,28.42,50,20,搬迁撤并\n", encoding="utf-8")
    v = ge.read_layer(p, kind="villages", x="lon", y="lat", crs=4326)
    assert v["village_class"].tolist() == ["agglomeration", "other", "relocation"]
    p.write_text("id,name,lon,lat,人口,户数,村庄分类\nV1,甲村,117.5,28.4,100,40,集聚提升类\n"
                 "V2,乙村,117.51,28.41,50,20,城中村\n", encoding="utf-8")
    with pytest.raises(DataValueError) as e:
        ge.read_layer(p, kind="villages", x="lon", y="lat", crs=4326)
    msg = str(e.value)
    assert "column '村庄分类'" in msg and "row 3" in msg and "城中村" in msg and "v.csv" in msg


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_raising_the_growth_rate_never_lowers_a_design_flow(seed):
    rng = np.random.default_rng(seed)
    n = 12
    rows = np.column_stack([rng.uniform(0, 8000, n), rng.uniform(0, 8000, n), rng.integers(0, 2000, n),
                            rng.integers(0, 600, n)])
    v = with_class(villages(rows), rng.choice(["agglomeration", "suburban", "relocation", "other"], n))
    p = plants([(4000, 4000, 300, 100)])
    last = None
    for rate in (-0.05, -0.01, 0.0, 0.01, 0.03, 0.08):
        flow = sewage_plan(district(v, p), population_growth_rate=rate).villages["sewage_flow_m3_per_day"]
        if last is not None:
            assert (flow.to_numpy() >= last - 1e-9).all()
        last = flow.to_numpy()
