"""The plan map in a real headless Chromium, offline (marker ``browser``).

Opened from file:// with every non-file request aborted and counted: the map renders
with no console error, every layer draws its features, clicking a village opens its
popup, search finds a village, and script payloads in every text field run nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geo_env.outputs import maps

from _browser import browser, open_page, skip_or_fail_without_browser
from _plans import PAYLOADS, make_plan

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium():
    skip_or_fail_without_browser()
    with browser() as b:
        yield b


@pytest.fixture(scope="module")
def map_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("map") / "plan_map.html"
    maps.save_map(maps.plan_map(make_plan()), path)
    return path


def _center_px(page, key: str, i: int) -> tuple[float, float]:
    """Page pixel of feature ``i`` of layer ``key`` (its bounds' centre)."""
    xy = page.evaluate(
        """([key, i]) => {
            const ll = geoEnv.itemBounds(key, i).getCenter();
            const p = geoEnv.map.latLngToContainerPoint(ll);
            const r = geoEnv.map.getContainer().getBoundingClientRect();
            return [p.x + r.left, p.y + r.top];
        }""", [key, i])
    return xy[0], xy[1]


def _pixel(page, x: float, y: float) -> np.ndarray:
    import io

    from PIL import Image

    png = page.screenshot(clip={"x": x - 1, "y": y - 1, "width": 3, "height": 3})
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))[1, 1].astype(int)


def _hex(c: str) -> np.ndarray:
    return np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)])


def test_map_renders_offline_without_errors(chromium, map_file):
    with open_page(chromium, map_file) as (page, log):
        assert page.locator(".folium-map").count() == 1
        assert page.locator(".leaflet-control-layers").count() == 1
        assert page.locator("canvas.leaflet-zoom-animated").count() >= 1
        # every layer builds all its features when switched on
        counts = page.evaluate("""() => geoEnv.specs.map(s => {
            const g = geoEnv.groups[s.key];
            if (!geoEnv.map.hasLayer(g)) geoEnv.map.addLayer(g);
            return [s.key, g.count ? g.count() : g.getLayers().length];
        })""")
        page.wait_for_timeout(200)
        got = dict(counts)
        assert got == {"townships": 1, "district": 1, "township_labels": 2, "villages_waste": 9,
                       "villages_sewage": 9, "service_areas": 1, "water": 2, "roads": 1,
                       "sewage_clusters": 1, "transfer_stations": 1,
                       "proposed_transfer_stations": 1, "sewage_plants": 1,
                       "livestock_farms": 3, "setback_rings": 3}
        assert page.locator(".ge-label").count() == 2
        assert log.blocked == [] and log.console_errors == [] and log.page_errors == []


def test_villages_are_painted_in_their_class_colours(chromium, map_file):
    """Pixel at village centres = class fill at 0.78 opacity over the map background."""
    bg = _hex("#f4f1ea")
    with open_page(chromium, map_file) as (page, log):
        for i, cls in ((0, "covered"), (2, "outside"), (8, "unreachable")):
            x, y = _center_px(page, "villages_waste", i)
            x += 40  # step aside from the markers at some centres
            expected = 0.78 * _hex(maps.COLORS["waste"][cls]) + 0.22 * bg
            assert np.abs(_pixel(page, x, y) - expected).max() <= 6, (i, cls)
        assert log.page_errors == []


def test_clicking_a_village_opens_its_popup(chromium, map_file):
    with open_page(chromium, map_file) as (page, log):
        x, y = _center_px(page, "villages_waste", 4)
        page.mouse.click(x + 30, y + 30)
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(timeout=5000)
        text = popup.inner_text()
        assert "村4" in text and "甲镇" in text and "1,414" in text
        assert "距污水厂2.1 km" in text  # the reason sentence
        assert log.console_errors == [] and log.page_errors == []


def test_search_finds_a_village_and_opens_it(chromium, map_file):
    with open_page(chromium, map_file) as (page, log):
        page.fill(".ge-search input", "村7")
        item = page.locator(".ge-search-results li")
        assert item.count() == 1 and item.inner_text() == "村7 · 甲镇"
        item.click()
        # generous: a CI machine under load once needed more than 5 s here
        page.locator(".leaflet-popup-content").wait_for(timeout=20_000)
        assert "村7" in page.locator(".leaflet-popup-content").inner_text()
        assert log.page_errors == []


def test_measure_tool_adds_up_distances(chromium, map_file):
    with open_page(chromium, map_file) as (page, log):
        page.locator(".ge-tools a").nth(1).click()
        box = page.locator(".folium-map").bounding_box()
        x0, y0 = box["x"] + 300, box["y"] + 400
        page.mouse.click(x0, y0)
        page.mouse.click(x0 + 200, y0)
        metres = page.evaluate("""() => geoEnv.map.distance(geoEnv.measure.pts[0], geoEnv.measure.pts[1])""")
        tip = page.locator(".ge-measure-tip").inner_text()
        expected = f"{metres / 1000:.2f} km" if metres >= 1000 else f"{round(metres)} m"
        assert tip == expected
        assert log.page_errors == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_every_text_field_run_nothing(chromium, tmp_path, payload):
    plan = make_plan(payload=payload)
    clean_scripts = maps.map_html(maps.plan_map(make_plan())).count("<script")
    path = tmp_path / "evil.html"
    maps.save_map(maps.plan_map(plan), path)
    with open_page(chromium, path) as (page, log):
        expected_title = page.evaluate("() => document.title")
        # put every popup and tooltip of every layer into the page, open a real popup,
        # search for the payload and show every legend
        page.evaluate("""() => {
            const box = document.createElement('div'); box.id = 'all-popups';
            document.body.appendChild(box);
            for (const s of geoEnv.specs) {
                const g = geoEnv.groups[s.key];
                if (!geoEnv.map.hasLayer(g)) geoEnv.map.addLayer(g);
                if (!s.fields) continue;
                for (let i = 0; i < geoEnv.count(s); i++) {
                    const d = document.createElement('div');
                    d.innerHTML = geoEnv.popupHtml(s, i) + geoEnv.tooltipHtml(s, i);
                    box.appendChild(d);
                }
            }
        }""")
        x, y = _center_px(page, "villages_waste", 4)
        page.mouse.click(x + 30, y + 30)
        page.mouse.move(x + 20, y + 20)
        page.fill(".ge-search input", payload[:6])
        page.wait_for_timeout(300)
        assert page.locator(".leaflet-popup-content").count() == 1
        assert page.locator("#all-popups > div").count() > 20
        assert page.evaluate("() => document.title") == expected_title
        assert "pwned" not in page.evaluate("() => document.title").split(" · ")[-1]
        assert expected_title.startswith(payload)  # the text is shown, as text
        assert page.locator("img[src='x']").count() == 0
        assert page.locator("[onerror]").count() == 0
        # no script element was created by the data: as many as in a page without payloads
        assert page.evaluate("() => document.scripts.length") == clean_scripts
        assert log.dialogs == [] and log.page_errors == [] and log.blocked == []


@pytest.mark.parametrize("size", [(1280, 720), (1024, 560)])
def test_legend_never_covers_the_layer_list(chromium, map_file, size):
    """On a briefing-room laptop screen every layer switch stays clickable: the layer list
    and the legend share the right-hand side, each scrolling when both do not fit."""
    with open_page(chromium, map_file, width=size[0], height=size[1]) as (page, log):
        page.evaluate("""() => {  /* every overlay on: the longest legend */
            document.querySelectorAll('.leaflet-control-layers-overlays input').forEach(i => {
                if (!i.checked) { i.click(); } });
        }""")
        page.wait_for_timeout(300)
        r = page.evaluate("""() => {
            const box = document.querySelector('.leaflet-control-layers').getBoundingClientRect();
            const leg = document.querySelector('.ge-legend').getBoundingClientRect();
            const blocked = [];
            document.querySelectorAll('.leaflet-control-layers-overlays input').forEach(i => {
                i.scrollIntoView({block: 'nearest'});
                const b = i.getBoundingClientRect();
                const e = document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2);
                if (!(e === i || (e && e.closest('label') === i.closest('label')))) {
                    blocked.push(i.closest('label').innerText.trim()); }
            });
            return {layers: [box.top, box.bottom], legend: [leg.top, leg.bottom],
                    n: document.querySelectorAll('.leaflet-control-layers-overlays input').length,
                    blocked};
        }""")
        assert r["n"] >= 8
        assert r["layers"][1] <= r["legend"][0], r
        assert r["blocked"] == [], r
        assert not log.page_errors
