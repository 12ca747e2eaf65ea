"""The waste chain in the briefing pack: summary.json, plan.gpkg, report, map, figure."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import openpyxl
import pyogrio
import pytest
from shapely import LineString, Point

from geo_env.io.project import District
from geo_env.outputs import maps
from geo_env.outputs.figures import draw_figure
from geo_env.parts import waste_part
from geo_env.plan import Plan

from _plans import PAYLOADS

CRS = "EPSG:4548"
X0, Y0 = 548_900.0, 3_142_000.0
UNSAFE = set("<>\"'`$\\")


def chain_plan(text: str | None = None) -> Plan:
    """Four villages, two stations (one over capacity), one facility on a road; ``text``
    replaces every user string (names and ids)."""
    t = (lambda s: s) if text is None else (lambda s: f"{text}{s}")
    v = gpd.GeoDataFrame({"id": [t(f"v{i}") for i in range(4)], "name": [t(f"村{i}") for i in range(4)],
                          "township": [t("甲镇")] * 2 + [t("乙镇")] * 2, "population": [10_000, 12_000, 3000, 4000],
                          "households": 1},
                         geometry=[Point(X0 + x, Y0) for x in (0, 800, 6000, 6600)], crs=CRS)
    st = gpd.GeoDataFrame({"id": [t("s0"), t("s1")], "name": [t("一号站"), t("二号站")],
                           "capacity_t_per_day": [8.0, 10.0], "status": ["running", "running"]},
                          geometry=[Point(X0 + 300, Y0 + 20), Point(X0 + 6300, Y0 + 20)], crs=CRS)
    fac = gpd.GeoDataFrame({"id": [t("f0")], "name": [t("焚烧厂")], "kind": ["incinerator"],
                            "capacity_t_per_day": [500.0]}, geometry=[Point(X0 + 3000, Y0 + 4000)], crs=CRS)
    roads = gpd.GeoDataFrame(geometry=[LineString([(X0 - 100, Y0), (X0 + 7000, Y0)]),
                                       LineString([(X0 + 3000, Y0), (X0 + 3000, Y0 + 4000)])], crs=CRS)
    d = District(name=t("区"), crs=CRS, villages=v, transfer_stations=st, waste_facilities=fac, roads=roads)
    part = waste_part(d)
    villages = v.join(part.village_columns)
    return Plan(district=d, villages=villages, layers=part.layers, tables=part.tables,
                summary={"project": d.name, "waste": part.summary}, results={"waste": part.result})


@pytest.fixture(scope="module")
def plan() -> Plan:
    return chain_plan()


def test_summary_has_the_chain_contract(plan):
    chain = json.loads(json.dumps(plan.summary["waste"]["chain"]))  # JSON-ready as it is
    for key in ("generation_t_per_day", "stations", "facilities", "households_within_collection_distance"):
        assert key in chain
    for e in chain["stations"]:
        assert {"id", "load_t_per_day", "capacity_t_per_day", "utilisation", "facility_id", "haul_km",
                "trips_per_day"} <= set(e)
    assert set(chain["facilities"][0]) >= {"id", "inflow_t_per_day", "capacity_t_per_day"}
    # 29 000 people × 0.52 kg = 15.08 t/d; s0 takes v0, v1 (11.44 t/d > 8): overloaded today
    assert chain["generation_t_per_day"] == pytest.approx(15.08)
    assert chain["overloaded_stations"] == ["s0"]
    assert chain["facilities"][0]["inflow_t_per_day"] == pytest.approx(15.08)
    # road: s0 → 2.7 km along the road, 4 km up the side road, and its 20 m connector
    s0 = chain["stations"][0]
    assert s0["haul_km"] == pytest.approx((2700 + 4000 + 20) / 1000)
    assert chain["plan"]["feasible"] and chain["plan"]["stations_over_capacity"] == []
    assert chain["households_within_collection_distance"] is None


def test_gpkg_layers_carry_the_chain(plan, tmp_path):
    plan.save(tmp_path)
    layers = dict(pyogrio.list_layers(tmp_path / "plan.gpkg"))
    assert {"waste_flows", "waste_facilities", "waste_plan_stations", "transfer_stations"} <= set(layers)
    flows = gpd.read_file(tmp_path / "plan.gpkg", layer="waste_flows")
    assert set(flows["link"]) == {"village_station", "station_facility"}
    vs = flows.loc[flows["link"] == "village_station", "t_per_day"].sum()
    sf = flows.loc[flows["link"] == "station_facility", "t_per_day"].sum()
    assert vs == pytest.approx(sf, abs=1e-3) == pytest.approx(15.08, abs=1e-3)
    st = gpd.read_file(tmp_path / "plan.gpkg", layer="transfer_stations")
    assert {"load_t_per_day", "utilisation", "facility_id", "haul_km", "trips_per_day"} <= set(st.columns)
    wb = openpyxl.load_workbook(tmp_path / "report.xlsx")
    ws = wb["收运体系"]
    assert ws.max_row == 1 + 2 + 1  # two stations and one facility
    head = [c.value for c in ws[1]]
    assert "负荷率" in head and ws.cell(row=2, column=head.index("负荷率") + 1).number_format == "0.0%"
    assert (tmp_path / "figures" / "waste_chain.png").exists()


def _data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="geo-env-data">(.*?)</script>', html, re.S)
    assert m
    return json.loads(m.group(1))


def test_the_map_draws_flows_by_tonnes_and_stations_by_utilisation(plan):
    data = _data(maps.map_html(maps.plan_map(plan)))
    flows = next(s for s in data["layers"] if s["key"] == "waste_flows")
    assert flows["kind"] == "lines"
    weights = {flows["styles"][c]["weight"] for c in flows["cls"]}
    assert len(weights) >= 2  # 1–5 t/d and 5–20 t/d flows
    st = next(s for s in data["layers"] if s["key"] == "transfer_stations")
    fills = [st["styles"][c]["fillColor"] for c in st["cls"]]
    assert fills[0] == "#d73027" and fills[1] in ("#1a9850", "#fdae61")  # over capacity; within it
    assert any("超负荷" in e["label"] for e in st["legend"])
    assert any(s["key"] == "waste_facilities" for s in data["layers"])


@pytest.mark.parametrize("payload", PAYLOADS[:3])
def test_every_chain_string_reaching_the_map_is_escaped(payload):
    html = maps.map_html(maps.plan_map(chain_plan(payload)))
    data = _data(html)
    for key in ("waste_flows", "transfer_stations", "waste_facilities", "waste_plan_stations"):
        table = data["tables"][key]
        for s in json.dumps(table, ensure_ascii=False).split('"'):
            assert not (set("<>`$") & set(s)), s


def test_the_chain_figure_bars_add_up(plan):
    fig = draw_figure(plan, "waste_chain.png", dpi=60)
    ax = fig.axes[0]
    widths = {}
    for patch in ax.patches:
        y = round(patch.get_y() + patch.get_height() / 2)
        widths[y] = widths.get(y, 0.0) + patch.get_width()
    assert widths[2] == pytest.approx(15.08, abs=1e-6)
    assert widths[1] == pytest.approx(15.08, abs=1e-6) and widths[0] == pytest.approx(15.08, abs=1e-6)
def test_the_sample_district_shows_every_link():
    import geo_env as ge

    plan = ge.analyze(ge.sample_district())
    chain = plan.summary["waste"]["chain"]
    assert chain["overloaded_stations"]  # one station over capacity today
    assert chain["facilities"] and chain["haul"]["assessed"]
    assert chain["collection"]["assessed"] and 0 < chain["households_within_collection_distance"] < 1
    assert chain["plan"]["feasible"] and chain["plan"]["new_stations"]
    mb = chain["mass_balance"]
    assert mb["generation_t_per_day"] == pytest.approx(mb["to_stations_t_per_day"] + mb["uncollected_t_per_day"],
                                                       abs=1e-3)
    assert mb["to_stations_t_per_day"] == pytest.approx(mb["to_facilities_t_per_day"] + mb["unhauled_t_per_day"],
                                                        abs=1e-3)
    assert np.isfinite([e["haul_km"] for e in chain["stations"] if e["facility_id"]]).all()
