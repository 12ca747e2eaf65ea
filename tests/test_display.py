"""Jupyter display: District and Plan as escaped HTML summaries, GeoDataFrame.explore()."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import folium
import pytest

import geo_env as ge
from geo_env._display import Table, html_card
from geo_env.labels import label

from _plans import PAYLOADS, make_plan


class _Tags(HTMLParser):
    """The start tags of a page and its text, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        self.tags.append(tag)
        if tag not in ("br",):
            self.open.append(tag)

    def handle_endtag(self, tag):  # noqa: ANN001
        assert self.open and self.open[-1] == tag, (self.open, tag)
        self.open.pop()

    def handle_data(self, data):  # noqa: ANN001
        self.text.append(data)


def _parse(page: str) -> _Tags:
    p = _Tags()
    p.feed(page)
    p.close()
    assert not p.open, p.open  # every element closed, in order
    return p


SAFE_TAGS = {"div", "p", "table", "caption", "thead", "tbody", "tr", "th", "td", "details", "summary", "ul", "li"}


def test_a_card_escapes_every_string():
    bad = PAYLOADS[0]
    page = html_card(bad, [(bad, bad)], [Table(bad, (bad,), [(bad,)])], notes=[bad], notes_title=bad)
    tags = _parse(page)
    assert set(tags.tags) <= SAFE_TAGS
    assert "".join(tags.text).count(bad) == 8   # title, fact (2), caption, header, cell, notes (2)


def _rows(page: str) -> dict[str, str]:
    """The two-column rows (th, td) of a card, text unescaped."""
    return {html.unescape(k): html.unescape(v)
            for k, v in re.findall(r"<tr><th[^>]*>(.*?)</th><td[^>]*>(.*?)</td></tr>", page)}


def _table_rows(page: str) -> list[list[str]]:
    return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in re.findall(r"<tr>((?:<td[^>]*>.*?</td>)+)</tr>", page)]


def test_district_shows_crs_people_and_every_layer():
    d = make_plan(analyses=False).district
    page = d._repr_html_()
    rows = _rows(page)
    assert rows["工作坐标系"] == "EPSG:4548 · CGCS2000 / 3-degree Gauss-Kruger CM 117E"
    assert rows["行政村数"] == "9" and rows["乡镇（街道）数"] == "2"
    assert rows["人口（人）"] == f"{sum(100 * (k + 1) for k in range(9)):,}"       # 4,500
    assert rows["户数（户）"] == f"{sum(40 * (k + 1) for k in range(9)):,}"
    layers = {r[0]: r[1:] for r in _table_rows(page)}
    assert layers["行政村 (villages)"] == ["9", "Polygon", str(len(d.villages.columns) - 1)]
    assert layers["水系 (water)"][:2] == ["2", "LineString, Polygon"]
    assert set(layers) == {f"{label(name, 'zh')} ({name})" for name in d.layers()}


def test_district_in_english_and_with_hostile_strings():
    plan = make_plan(analyses=False, payload=PAYLOADS[1])
    d = plan.district
    d.lang = "en"
    d.warnings = [PAYLOADS[0], PAYLOADS[2]]
    page = d._repr_html_()
    tags = _parse(page)
    assert set(tags.tags) <= SAFE_TAGS          # no script, img or comment let through
    text = "".join(tags.text)
    assert f"District: {PAYLOADS[1]}" in text and PAYLOADS[0] in text and "Data warnings (2)" in text


def test_plan_key_figures_are_the_summary_s():
    plan = make_plan()
    v = plan.villages
    plan.summary.update({
        "townships": 2, "population": int(v["population"].sum()),
        "waste": {"coverage_rate_villages": float(v["waste_covered"].mean()), "coverage_rate_population":
                  float(v.loc[v["waste_covered"], "population"].sum() / v["population"].sum()),
                  "siting": {"proposed_stations": 1, "after": {"coverage_rate_population": 0.95}}},
        "sewage": {"by_mode": {m: {"villages": int((v["sewage_mode"] == m).sum())}
                               for m in ("connect", "centralized", "cluster", "household", "existing")},
                   "flow_m3_per_day": 1234.5, "investment": {"capex_wan": 4321.0, "om_wan_per_year": 56.78}},
        "warnings": [PAYLOADS[0]],
    })
    page = plan._repr_html_()
    rows = dict((r[0], r[1]) for r in _table_rows(page) if len(r) == 2)
    # 4 of 9 anchors lie within 1.5 km of S1 (hand count in tests/_plans.py)
    assert rows["垃圾收运覆盖率（按村）"] == "44.4%"
    assert rows["新增转运站后覆盖率（按人口）"] == "95.0%（新增 1 座）"
    assert rows["纳管村数（个）"] == "4" and rows["联户/分户处理村数（个）"] == "2"
    assert "现状保留村数（个）" not in rows     # none kept: not shown
    assert rows["污水量（m³/d）"] == "1,234"    # 1234.5 rounds half to even
    assert rows["总投资（万元）"] == "4,321" and rows["年运行维护费（万元/年）"] == "56.8"
    layers = {r[0]: r[1] for r in _table_rows(page) if len(r) == 3}
    assert {k: int(n.replace(",", "")) for k, n in layers.items()} == \
        {f"{label(name, 'zh')} ({name})": len(gdf) for name, gdf in plan.gpkg_layers().items()}
    tags = _parse(page)
    assert set(tags.tags) <= SAFE_TAGS and "数据警告 (1)" in "".join(tags.text)


def test_plan_with_hostile_strings_and_layer_names():
    plan = make_plan(payload=PAYLOADS[3])
    plan.layers[PAYLOADS[1]] = plan.layers["service_areas"]
    tags = _parse(plan._repr_html_())
    assert set(tags.tags) <= SAFE_TAGS
    assert f"{PAYLOADS[1]} ({PAYLOADS[1]})" in "".join(tags.text)


@pytest.fixture(scope="module")
def sample_plan():
    return ge.analyze(ge.sample_district(progress=False), progress=False)


def test_villages_explore_renders_a_folium_map(sample_plan):
    """GeoDataFrame.explore() needs folium, matplotlib and mapclassify (the classification
    of a numeric column): all three are dependencies of geo_env."""
    v = sample_plan.villages
    m = v.explore(column="population", scheme="quantiles", k=5, tooltip=["name", "township", "population"])
    assert isinstance(m, folium.Map)
    page = m.get_root().render()
    assert json.dumps(v["name"].iloc[0])[1:-1] in page                    # the villages' GeoJSON
    assert "tile.openstreetmap.org" in page                                # tiles: the analyst's choice
    bare = v.explore(column="sewage_mode", tiles=None)
    assert "tile.openstreetmap.org" not in bare.get_root().render()        # none asked: none loaded
    assert "<iframe" in m._repr_html_()                                    # how Jupyter shows it


def test_plan_map_displays_offline_in_a_notebook(sample_plan):
    frame = sample_plan.map()._repr_html_()
    inner = html.unescape(re.search(r'srcdoc="(.*?)"', frame, re.S).group(1))
    assert 'id="geo-env-data"' in inner and not re.findall(r"<script[^>]*\bsrc=", inner, re.I)
