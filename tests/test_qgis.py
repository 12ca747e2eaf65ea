"""plan.gpkg styled for QGIS (issue 15): the layer_styles table, aliases and descriptions, and
QGIS itself (python3-qgis, headless) applying them — every feature's colour equal to the
colour of its class on the plan map.

The QGIS test runs Debian's /usr/bin/python3 with python3-qgis in a subprocess (QGIS's Python
bindings are built for the system Python, not for the test venv).  Without it the test skips
with how to install it — except under GEO_ENV_REQUIRE_QGIS=1 (set by .ci/run, which installs
python3-qgis), where it fails.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from geo_env.outputs.style import (
    FACILITY_STATUS,
    FARMS,
    FLOW_COLORS,
    FLOW_WIDTHS,
    SEWAGE,
    SEWAGE_BASELINE,
    UTILISATION,
    WASTE,
    facility_status_class,
    farm_class,
    flow_class,
    phase_class,
    phase_table,
    sewage_baseline_class,
    sewage_class,
    utilisation_class,
    waste_class,
)
from test_phasing import _sample_with

SYSTEM_PYTHON = Path("/usr/bin/python3")
HOSTILE = '近期<img src=x onerror="1">&"\''
PHASES = [{"name": HOSTILE, "end_year": 2027, "budget_wan": 8000.0, "om_ceiling_wan_per_year": None},
          {"name": "远期", "end_year": 2035, "budget_wan": 15000.0, "om_ceiling_wan_per_year": None}]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    plan = _sample_with(PHASES)
    out = tmp_path_factory.mktemp("qgis") / "out"
    plan.save(out)
    return plan, out / "plan.gpkg"


def test_every_layer_has_one_default_style_aliases_and_a_description(saved):
    plan, gpkg = saved
    con = sqlite3.connect(gpkg)
    layers = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'features'")]
    assert set(layers) == set(plan.gpkg_layers())
    for name in layers:
        styles = con.execute("SELECT styleName, useAsDefault, styleQML, f_geometry_column FROM layer_styles "
                             "WHERE f_table_name = ?", (name,)).fetchall()
        assert sum(bool(s[1]) for s in styles) == 1, name
        geom = con.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (name,)).fetchone()
        assert all(s[3] == geom[0] for s in styles)
        for s in styles:
            ET.fromstring(s[2].split("\n", 1)[1])  # well-formed XML
        desc = con.execute("SELECT description FROM gpkg_contents WHERE table_name = ?", (name,)).fetchone()[0]
        assert desc and desc != name
    names = [r[0] for r in con.execute("SELECT styleName FROM layer_styles WHERE f_table_name = 'villages' "
                                       "ORDER BY id")]
    assert names == ["污水治理模式", "垃圾收运覆盖", "现状污水治理", "污水治理分期实施"]
    alias = dict(con.execute("SELECT column_name, title FROM gpkg_data_columns WHERE table_name = 'villages'"))
    assert alias["sewage_mode"] == "污水治理模式" and alias["effluent_standard"] == "出水标准"
    ext = con.execute("SELECT extension_name FROM gpkg_extensions WHERE table_name = 'gpkg_data_columns'").fetchall()
    assert ext == [("gpkg_schema",)]


def test_the_qml_categories_are_the_map_palette_and_user_text_stays_text(saved):
    _, gpkg = saved
    con = sqlite3.connect(gpkg)
    qml = dict(con.execute("SELECT styleName, styleQML FROM layer_styles WHERE f_table_name = 'villages'"))
    root = ET.fromstring(qml["污水治理模式"].split("\n", 1)[1])
    cats = root.findall("./renderer-v2/categories/category")
    assert [c.get("value") for c in cats] == [*SEWAGE.codes[:-1], ""]
    colors = [root.find(f"./renderer-v2/symbols/symbol[@name='{c.get('symbol')}']/layer/Option/Option[@name='color']")
              .get("value") for c in cats]
    want = [SEWAGE.colors[c] for c in SEWAGE.codes]
    assert [tuple(int(x) for x in v.split(",")[:3]) for v in colors] == [
        tuple(int(w[i:i + 2], 16) for i in (1, 3, 5)) for w in want]
    phase = ET.fromstring(qml["污水治理分期实施"].split("\n", 1)[1])
    assert phase.findall("./renderer-v2/categories/category")[0].get("value") == HOSTILE  # parsed back intact
    assert HOSTILE not in qml["污水治理分期实施"]  # escaped in the document


_PROBE = r"""
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from qgis.core import (QgsApplication, QgsExpressionContext, QgsExpressionContextUtils, QgsRenderContext,
                       QgsVectorLayer)
from qgis.PyQt.QtXml import QDomDocument
app = QgsApplication([], False)
app.initQgis()
path, out = sys.argv[1], {}
for name in sys.argv[2:]:
    lyr = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    info = {"valid": lyr.isValid(), "default": lyr.renderer().type(),
            "aliases": {f.name(): lyr.attributeAlias(i) for i, f in enumerate(lyr.fields())}, "themes": {}}
    n, ids, names, _, _ = lyr.listStylesInDatabase()
    for sid, sname in list(zip(ids, names))[:n]:  # this layer's own styles come first
        qml, _ = lyr.getStyleFromDatabase(sid)
        doc = QDomDocument()
        doc.setContent(qml)
        ok, err = lyr.importNamedStyle(doc)
        r = lyr.renderer()
        ctx = QgsRenderContext()
        ctx.setExpressionContext(QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(lyr)))
        r.startRender(ctx, lyr.fields())
        fill, stroke, width = {}, {}, {}
        keyed = lyr.fields().indexOf("id") >= 0
        for f in lyr.getFeatures():
            ctx.expressionContext().setFeature(f)
            s = r.symbolForFeature(f, ctx)
            key = str(f["id"]) if keyed else str(f.id())  # else the GeoPackage fid (1, 2, … in row order)
            fill[key] = s.color().name() if s else None
            stroke[key] = s.symbolLayer(0).strokeColor().name() if s and s.type() != 1 else fill[key]
            width[key] = round(s.width(), 3) if s and s.type() == 1 else None  # QgsSymbol.Line
        r.stopRender(ctx)
        info["themes"][sname] = {"ok": ok, "error": err, "type": r.type(), "fill": fill, "stroke": stroke,
                                 "width": width}
    out[name] = info
print("JSON" + json.dumps(out, ensure_ascii=False))
app.exitQgis()
"""


def _qgis_missing() -> str | None:
    if not SYSTEM_PYTHON.exists():
        return f"{SYSTEM_PYTHON} not found"
    r = subprocess.run([str(SYSTEM_PYTHON), "-c", "import qgis.core"], capture_output=True, timeout=120)
    return None if r.returncode == 0 else ("python3-qgis is not installed: `sudo apt-get install "
                                           "--no-install-recommends python3-qgis` (Debian/Ubuntu)")


@pytest.mark.slow
def test_qgis_applies_the_styles_with_the_map_colours(saved, tmp_path):
    reason = _qgis_missing()
    if reason:
        if os.environ.get("GEO_ENV_REQUIRE_QGIS") == "1":
            pytest.fail(f"GEO_ENV_REQUIRE_QGIS=1 but {reason}")
        pytest.skip(reason)
    plan, gpkg = saved
    script = tmp_path / "probe.py"
    script.write_text(_PROBE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    r = subprocess.run([str(SYSTEM_PYTHON), str(script), str(gpkg), "villages", "sewage_plants", "livestock_farms",
                        "transfer_stations", "waste_flows", "waste_facilities"],
                       capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    line = [x for x in r.stdout.splitlines() if x.startswith("JSON")]
    assert line, r.stdout[-2000:] + r.stderr[-2000:]
    got = json.loads(line[0][4:])
    v = plan.villages
    ids = v["id"].astype(str).tolist()
    names = [p["name"] for p in PHASES]
    phase = phase_table(names)
    want = {
        "污水治理模式": [SEWAGE.colors[SEWAGE.codes[c]] for c in sewage_class(v)],
        "垃圾收运覆盖": [WASTE.colors[WASTE.codes[c]] for c in waste_class(v)],
        "现状污水治理": [SEWAGE_BASELINE.colors[SEWAGE_BASELINE.codes[c]] for c in sewage_baseline_class(v)],
        "污水治理分期实施": [phase.colors[phase.codes[c]] for c in phase_class(v, names)],
    }
    vil = got["villages"]
    assert vil["valid"] and vil["default"] == "categorizedSymbol"
    assert vil["aliases"]["sewage_mode"] == "污水治理模式"
    assert set(vil["themes"]) == set(want)
    for theme, colours in want.items():
        t = vil["themes"][theme]
        assert t["ok"], (theme, t["error"])
        assert [t["fill"][i] for i in ids] == [c.lower() for c in colours], theme
    plants = plan.gpkg_layers()["sewage_plants"]
    t = got["sewage_plants"]["themes"]["污水处理厂（站）"]
    assert [t["stroke"][str(i)] for i in plants["id"]] == [
        FACILITY_STATUS.colors[FACILITY_STATUS.codes[c]].lower() for c in facility_status_class(plants)]
    farms = plan.gpkg_layers()["livestock_farms"]
    t = got["livestock_farms"]["themes"]["畜禽养殖场"]
    assert [t["fill"][str(i)] for i in farms["id"]] == [FARMS.colors[FARMS.codes[c]].lower() for c in farm_class(farms)]
    # the waste chain: stations filled by utilisation and outlined by status, flows by link and tonnes
    stations = plan.gpkg_layers()["transfer_stations"]
    assert got["transfer_stations"]["default"] == "categorizedSymbol"
    t = got["transfer_stations"]["themes"]["转运站负荷率"]
    ids = [str(i) for i in stations["id"]]
    assert [t["fill"][i] for i in ids] == [UTILISATION.colors[UTILISATION.codes[c]].lower()
                                           for c in utilisation_class(stations)]
    assert "over" in [UTILISATION.codes[c] for c in utilisation_class(stations)]  # ZZ04 of the sample
    assert [t["stroke"][i] for i in ids] == [FACILITY_STATUS.colors[FACILITY_STATUS.codes[c]].lower()
                                             for c in facility_status_class(stations)]
    flows = plan.gpkg_layers()["waste_flows"]
    t = got["waste_flows"]["themes"]["垃圾收运流向"]
    cls = flow_class(flows)
    links, n = list(FLOW_COLORS), len(FLOW_WIDTHS)
    assert [t["stroke"][str(k + 1)] for k in range(len(flows))] == [FLOW_COLORS[links[c // n]].lower() for c in cls]
    mm = 25.4 / 96  # the QML's millimetres per pixel, rounded as it writes them
    assert [t["width"][str(k + 1)] for k in range(len(flows))] == [float(f"{FLOW_WIDTHS[c % n] * mm:.3f}") for c in cls]
    assert len(set(cls.tolist())) >= 3  # several links and widths are checked, not one
    fac = plan.gpkg_layers()["waste_facilities"]
    t = got["waste_facilities"]["themes"]["垃圾处理设施"]
    assert [t["stroke"][str(i)] for i in fac["id"]] == [
        FACILITY_STATUS.colors[FACILITY_STATUS.codes[c]].lower() for c in facility_status_class(fac)]
