"""The phased programme (issue 17, item 4): the MILP against brute force, budgets, the
metamorphic relation on budgets, priorities, the project file's [[phases]]."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import geo_env as ge
from geo_env.analysis.phasing import priority_scores, schedule
from geo_env.errors import ProjectFileError


def brute(count, value, capex, om, budgets, ceilings, objective="indicator"):
    """Every assignment of items to phases (or none): the lexicographic optimum's levels."""
    g, n_p = len(count), len(budgets)
    worth = count if objective == "indicator" else value
    best, best_key = None, None
    for assign in itertools.product(range(-1, n_p), repeat=g):
        a = np.array(assign)
        ok = all(capex[a == p].sum() <= budgets[p] + 1e-9 for p in range(n_p))
        ok &= all(ceilings[p] is None or om[(a >= 0) & (a <= p)].sum() <= ceilings[p] + 1e-9 for p in range(n_p))
        if not ok:
            continue
        key = tuple(round(float(worth[(a >= 0) & (a <= p)].sum()), 6) for p in range(n_p)) + (
            round(float(sum(value[i] * (n_p - a[i]) for i in range(g) if a[i] >= 0)), 6),)
        if best_key is None or key > best_key:
            best, best_key = a, key
    return best, best_key


def levels(phase, count, value, n_p, objective="indicator"):
    worth = count if objective == "indicator" else value
    return tuple(worth[(phase >= 0) & (phase <= p)].sum() for p in range(n_p)) + (
        sum(value[i] * (n_p - phase[i]) for i in range(len(phase)) if phase[i] >= 0),)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("objective", ["indicator", "priority"])
def test_schedule_matches_brute_force(seed, objective):
    rng = np.random.default_rng(seed)
    g = 6
    count = rng.integers(1, 4, g).astype(float)
    value = np.round(rng.uniform(1, 10, g), 2)
    capex = np.round(rng.uniform(50, 400, g), 1)
    om = np.round(rng.uniform(1, 20, g), 1)
    budgets = [float(np.round(rng.uniform(200, 600), 1)), float(np.round(rng.uniform(200, 800), 1))]
    ceilings = [None, float(np.round(rng.uniform(20, 80), 1))] if seed % 2 else [None, None]
    phase, optimal = schedule(count, value, capex, om, budgets, ceilings, objective=objective)
    assert optimal
    _, want = brute(count, value, capex, om, budgets, ceilings, objective)
    got = levels(phase, count, value, 2, objective)
    assert got == pytest.approx(want)
    for p in range(2):  # budgets never exceeded
        assert capex[phase == p].sum() <= budgets[p] + 1e-6


@pytest.mark.parametrize("seed", range(5))
def test_raising_a_budget_never_lowers_that_phase_s_indicator(seed):
    rng = np.random.default_rng(100 + seed)
    g = 12
    count = rng.integers(1, 4, g).astype(float)
    value = rng.uniform(1, 5, g)
    capex = rng.uniform(50, 300, g)
    om = rng.uniform(1, 10, g)
    budgets = [400.0, 600.0, 500.0]
    base, _ = schedule(count, value, capex, om, budgets, [None] * 3)
    for p in range(3):
        more = list(budgets)
        more[p] *= 1.5
        raised, _ = schedule(count, value, capex, om, more, [None] * 3)
        assert count[(raised >= 0) & (raised <= p)].sum() >= count[(base >= 0) & (base <= p)].sum()


def test_priority_factors_by_hand():
    import pandas as pd

    v = pd.DataFrame({"population": [100.0, 400.0], "capex_wan": [10.0, 20.0], "key_village": ["是", ""]})
    w = {"protection_zone": 1.0, "black_odorous": 1.0, "key_village": 1.0, "population": 1.0, "cost_per_person": 1.0}
    got = priority_scores(v, np.array([True, False]), np.array([False, True]), w)
    # village 0: zone 1, black 0, key 1, pop 0.25, cost/person 0.1 vs 0.05 → 1 − 1 = 0
    # village 1: zone 0, black 1, key 0, pop 1, cost/person 0.05 → 1 − 0.5 = 0.5
    assert got == pytest.approx([(1 + 0 + 1 + 0.25 + 0) / 5, (0 + 1 + 0 + 1 + 0.5) / 5])


def _sample_with(phases):
    d = ge.sample_district().with_params("phasing", phases=phases)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ge.analyze(d)


def test_the_sample_programme_keeps_budgets_and_rates_rise():
    phases = [{"name": "近期", "end_year": 2027, "budget_wan": 8000.0, "om_ceiling_wan_per_year": 150.0},
              {"name": "远期", "end_year": 2035, "budget_wan": 15000.0, "om_ceiling_wan_per_year": None}]
    plan = _sample_with(phases)
    v = plan.villages
    s = plan.summary["phases"]
    assert [p["name"] for p in s] == ["近期", "远期"]
    for p, ph in zip(s, phases):
        built = v["phase"] == ph["name"]
        assert v.loc[built, "capex_wan"].sum() == pytest.approx(p["capex_wan"], abs=0.01)
        assert p["capex_wan"] <= ph["budget_wan"] + 1e-6
    assert v.loc[v["phase"] == "近期", "om_wan_per_year"].sum() <= 150.0 + 1e-6
    rates = [p["indicators"]["sewage_treatment_rate"]["district"] for p in s]
    assert rates[0] < rates[1] <= 1.0
    # kept villages are not scheduled; a cluster's villages share one phase
    assert v.loc[(v["sewage_mode"] == "existing") & (v["capex_wan"] == 0), "phase"].isna().all()
    for _, members in v.dropna(subset=["sewage_cluster_id"]).groupby("sewage_cluster_id"):
        assert members["phase"].nunique(dropna=False) == 1
    assert "phases" in plan.tables


def test_phases_in_the_project_file(tmp_path):
    from builders import write_project

    ok = write_project(tmp_path / "a", extra='[[phases]]\nname = "近期"\nend_year = 2027\nbudget_wan = 3000\n'
                                              '[[phases]]\nname = "远期"\nend_year = 2035\nbudget_wan = 5000\n'
                                              'om_ceiling_wan_per_year = 200\n')
    d = ge.load_project(ok)
    assert [p["name"] for p in d.params["phasing"]["phases"]] == ["近期", "远期"]
    assert d.params["phasing"]["phases"][1]["om_ceiling_wan_per_year"] == 200.0
    bad = write_project(tmp_path / "b", extra='[[phases]]\nname = "远期"\nend_year = 2035\nbudget_wan = 1\n'
                                               '[[phases]]\nname = "近期"\nend_year = 2027\nbudget_wan = 1\n')
    with pytest.raises(ProjectFileError, match="not after the previous phase"):
        ge.load_project(bad)
    typo = write_project(tmp_path / "c", extra='[[phases]]\nname = "近期"\nend_year = 2027\nbudget = 1\n')
    with pytest.raises(ProjectFileError, match="budget_wan"):
        ge.load_project(typo)


def test_the_trajectory_figure_is_written_with_phases(tmp_path):
    phases = [{"name": "近期", "end_year": 2027, "budget_wan": 8000.0, "om_ceiling_wan_per_year": None}]
    plan = _sample_with(phases)
    files = plan.save(tmp_path / "out")
    png = tmp_path / "out" / "figures" / "phases.png"
    assert png in files and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    without = _sample_with([])
    assert "phases" not in without.summary
    assert "phases.png" not in [p.name for p in without.save(tmp_path / "b")]


def test_the_map_colours_villages_by_phase_and_escapes_phase_names():
    from test_maps import data_of, layer, page

    hostile = '<img src=x onerror="document.title=1">'
    phases = [{"name": hostile, "end_year": 2027, "budget_wan": 8000.0, "om_ceiling_wan_per_year": None},
              {"name": "远期", "end_year": 2035, "budget_wan": 15000.0, "om_ceiling_wan_per_year": None}]
    plan = _sample_with(phases)
    html = page(plan)
    assert hostile not in html
    lay = layer(data_of(html), "villages_phase")
    v = plan.villages
    want = np.where(v["phase"] == hostile, 0, np.where(v["phase"] == "远期", 1,
                    np.where(v["sewage_mode"] == "existing", 2, 3)))
    assert lay["cls"] == want.tolist()
    labels = [e["label"] for e in lay["legend"]]
    assert lay["filter"] is True and [e["cls"] for e in lay["legend"]] == sorted(set(want.tolist()))
    assert labels[0] == '&lt;img src=x onerror=&quot;document.title=1&quot;&gt;' and "远期" in labels


@pytest.mark.browser
def test_the_phase_filter_hides_and_shows_a_phase_in_chromium(tmp_path):
    import io

    from PIL import Image

    from geo_env.outputs import maps

    from _browser import browser, open_page, skip_or_fail_without_browser

    skip_or_fail_without_browser()
    phases = [{"name": "近期", "end_year": 2027, "budget_wan": 8000.0, "om_ceiling_wan_per_year": None},
              {"name": "远期", "end_year": 2035, "budget_wan": 15000.0, "om_ceiling_wan_per_year": None}]
    plan = _sample_with(phases)
    path = tmp_path / "map.html"
    maps.save_map(maps.plan_map(plan), path)
    v = plan.villages
    i = int(np.flatnonzero((v["phase"] == "近期").to_numpy())[0])
    pt = v.geometry.iloc[[i]].representative_point().to_crs(4326).iloc[0]
    probe = """([lat, lon]) => {
        const p = geoEnv.map.latLngToContainerPoint(L.latLng(lat, lon));
        const r = geoEnv.map.getContainer().getBoundingClientRect();
        return [geoEnv.groups['villages_phase'].hit(p), p.x + r.left, p.y + r.top];
    }"""
    with browser() as b, open_page(b, path) as (page, log):
        page.evaluate("""() => {
            for (const s of geoEnv.specs) {
                const g = geoEnv.groups[s.key];
                if (s.key.startsWith('villages_') && geoEnv.map.hasLayer(g)) geoEnv.map.removeLayer(g);
            }
            geoEnv.map.addLayer(geoEnv.groups['villages_phase']);
        }""")
        page.wait_for_timeout(100)
        boxes = page.locator(".ge-filter input")
        spec = page.evaluate("() => geoEnv.specs.find(s => s.key === 'villages_phase').legend")
        assert boxes.count() == len(spec) >= 3 and all(boxes.nth(k).is_checked() for k in range(boxes.count()))

        def look():
            hit, x, y = page.evaluate(probe, [pt.y, pt.x])
            png = page.screenshot(clip={"x": x - 1, "y": y - 1, "width": 3, "height": 3})
            return hit, np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))[1, 1].astype(int)

        hit, shown = look()
        assert hit == i
        boxes.nth(0).uncheck()  # 近期 off: its villages vanish and take no clicks
        page.wait_for_timeout(100)
        hit, hidden = look()
        assert hit == -1 and np.abs(hidden - shown).max() > 20
        assert not page.locator(".ge-filter input").nth(0).is_checked()  # the legend keeps the state
        page.locator(".ge-filter input").nth(0).check()
        page.wait_for_timeout(100)
        hit, again = look()
        assert hit == i and np.abs(again - shown).max() <= 3
        assert log.console_errors == [] and log.page_errors == []
