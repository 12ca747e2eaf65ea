"""Execute every notebook in notebooks/ (stored without outputs) with the venv's kernel, and
check what each promises is really shown: no cell fails, no warning is printed (geo_env's
own notes about the data aside), the summaries, maps and figures are in the outputs.

The kernel runs with ``PYTHONWARNINGS=default`` (every warning shown once per place, as
pytest's ``filterwarnings = error`` would raise it), so a warning — matplotlib's "Glyph …
missing from font(s) DejaVu Sans" above all — reaches a cell's stderr and fails the test.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import geo_env.errors as errors

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))

#: What each notebook must display: geo_env's summaries (District/Plan ``_repr_html_``), the
#: briefing map (``plan.map()``), a folium map made by ``GeoDataFrame.explore()``, figures.
PROMISES = {
    "01_quickstart.ipynb": {"summaries": 2, "plan_maps": 1, "explore_maps": 1, "figures": 1},
    "02_waste_coverage.ipynb": {"figures": 1},
    "03_sewage_planning.ipynb": {"summaries": 1, "figures": 1},
    "04_livestock.ipynb": {"summaries": 1, "figures": 1},
}

#: Warnings geo_env raises about the data (shown to the analyst, by design).
GEO_ENV_WARNINGS = {name for name, obj in vars(errors).items()
                    if isinstance(obj, type) and issubclass(obj, errors.GeoEnvWarning)}


def _kernel_env() -> dict[str, str]:
    # the same exception as pyproject's filterwarnings: rasterio's Affine `*` (not our code)
    return {**os.environ, "PYTHONWARNINGS": "default,ignore:Use `@` matmul instead:PendingDeprecationWarning"}


def _execute(nb, cwd: Path):  # noqa: ANN001, ANN202
    from nbclient import NotebookClient

    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(cwd)}})
    client.execute(env=_kernel_env())
    return nb


def _outputs(nb) -> list[dict]:  # noqa: ANN001
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def _warnings(outputs: list[dict]) -> list[str]:
    """Warnings printed on a cell's stderr, other than geo_env's notes about the data."""
    found = []
    for o in outputs:
        if o.output_type == "stream" and o.name == "stderr":
            for category in re.findall(r"\b(\w*Warning)\b:", o.text):
                if category not in GEO_ENV_WARNINGS:
                    found.append(o.text)
            if "missing from font" in o.text:
                found.append(o.text)
    return found


def _frames(outputs: list[dict]) -> list[str]:
    """The pages of the folium maps displayed (the iframe's srcdoc, unescaped)."""
    pages = []
    for o in outputs:
        page = getattr(o, "data", {}).get("text/html", "")
        m = re.search(r'<iframe srcdoc="(.*?)"', page, re.S)
        if m:
            pages.append(html.unescape(m.group(1)))
    return pages


def _shown(outputs: list[dict]) -> dict[str, int]:
    frames = _frames(outputs)
    html_outputs = [o.data["text/html"] for o in outputs if "text/html" in getattr(o, "data", {})]
    return {
        "summaries": sum('class="geo-env-summary"' in h for h in html_outputs),
        "plan_maps": sum('id="geo-env-data"' in f for f in frames),
        "explore_maps": sum('id="geo-env-data"' not in f and "L.geoJson" in f for f in frames),
        "figures": sum("image/png" in getattr(o, "data", {}) for o in outputs),
    }


def test_notebooks_exist():
    assert NOTEBOOKS, "notebooks/ holds no notebook"
    assert {p.name for p in NOTEBOOKS} == set(PROMISES), "say what each notebook promises in PROMISES"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_and_shows_what_it_promises(path, tmp_path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, \
                f"{path.name} is stored with outputs: clear them"
    outputs = _outputs(_execute(nb, tmp_path))
    errors_ = [f"{o.ename}: {o.evalue}" for o in outputs if o.output_type == "error"]
    assert not errors_, errors_
    assert not _warnings(outputs), _warnings(outputs)
    shown = _shown(outputs)
    for what, n in PROMISES[path.name].items():
        assert shown[what] >= n, (what, shown)
    for page in _frames(outputs):
        if 'id="geo-env-data"' in page:  # the briefing map needs no network
            assert not re.findall(r"<script[^>]*\bsrc=", page, re.I)


#: Run in a notebook: the same Chinese text drawn with matplotlib's settings after
#: ``import geo_env``, with the CJK font named outright, and with DejaVu Sans alone.
_GLYPH_CELL = r'''
import json, warnings
import numpy as np
import matplotlib
import matplotlib.pyplot as plt
import geo_env
from geo_env.outputs.fonts import cjk_font

def render(**font):
    fig = plt.figure(figsize=(3, 0.6), dpi=100)
    fig.text(0.02, 0.3, "行政村污水处理", fontsize=20, **font)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba()).copy()
    plt.close(fig)
    return pixels, [str(w.message) for w in caught]

default, default_warnings = render()
named, _ = render(fontfamily=cjk_font())
latin, latin_warnings = render(fontfamily="DejaVu Sans")
print(json.dumps({"family": list(matplotlib.rcParams["font.family"]), "cjk": cjk_font(),
                  "same_as_cjk": bool((default == named).all()), "same_as_latin": bool((default == latin).all()),
                  "warnings": default_warnings, "latin_warnings": len(latin_warnings)}, ensure_ascii=False))
'''


@pytest.mark.slow
def test_chinese_text_in_notebook_plots_is_drawn_in_the_cjk_font(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(_GLYPH_CELL),
                nbformat.v4.new_code_cell('plt.plot([1, 2]); plt.title("行政村"); plt.show()')]
    outputs = _outputs(_execute(nb, tmp_path))
    assert not [o for o in outputs if o.output_type == "error"]
    facts = json.loads(next(o.text for o in outputs if o.output_type == "stream" and o.name == "stdout"))
    assert facts["family"][-1] == facts["cjk"]            # the fallback after the default font
    assert facts["same_as_cjk"] and not facts["same_as_latin"]  # the CJK glyphs, not boxes
    assert facts["warnings"] == [] and facts["latin_warnings"] > 0  # (the oracle does warn)
    assert not _warnings(outputs) and _shown(outputs)["figures"] == 1


def test_plain_python_keeps_matplotlib_s_settings():
    """``import geo_env`` in a script (or the CLI) changes no global matplotlib setting."""
    code = ("import matplotlib\nbefore = dict(matplotlib.rcParams)\nimport geo_env as ge\n"
            "ge.analyze; ge.District\nprint(dict(matplotlib.rcParams) == before)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == "True", r.stderr
