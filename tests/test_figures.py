"""Print figures: A4 landscape PNGs, CJK glyphs really drawn, only for analyses present."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from PIL import Image

from geo_env.outputs import figures, fonts
from geo_env.outputs.figures import FontNotFoundError

from _browser import required
from _plans import make_plan


@pytest.fixture(scope="module")
def cjk() -> str:
    try:
        return figures.cjk_font()
    except FontNotFoundError as exc:
        if required():
            pytest.fail(f"GEO_ENV_REQUIRE_BROWSER=1 but {exc}")
        pytest.skip(f"{exc}")


def _render(text: str, family: str) -> np.ndarray:
    fig = Figure(figsize=(1.2, 0.6), dpi=100)
    FigureCanvasAgg(fig)
    fig.text(0.1, 0.2, text, family=family, fontsize=24)
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., 0].copy()


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of the inked pixels of two renderings."""
    ink_a, ink_b = a < 128, b < 128
    return float((ink_a & ink_b).sum() / max((ink_a | ink_b).sum(), 1))


def test_the_font_found_has_the_chinese_glyphs(cjk):
    path = font_manager.findfont(font_manager.FontProperties(family=cjk), fallback_to_default=False)
    entry = next(e for e in font_manager.fontManager.ttflist if e.fname == path and e.name == cjk)
    font = FT2Font(path, face_index=entry.index)
    for ch in "示例区农村生活垃圾收运覆盖现状图图例北乡镇":
        assert font.get_char_index(ord(ch)) != 0, ch


def test_a_last_resort_font_is_not_taken_for_a_cjk_font():
    """matplotlib 3.11 ships Last Resort HE, which maps every code point to a box naming its
    Unicode block: it must never be chosen (it was, where the font cache predated the CJK fonts)."""
    from types import SimpleNamespace

    path = Path(font_manager.__file__).parent / "mpl-data" / "fonts" / "ttf" / "LastResortHE-Regular.ttf"
    if not path.exists():
        pytest.skip("this matplotlib ships no Last Resort font")
    assert FT2Font(str(path)).get_char_index(ord("村")) != 0  # it claims the glyph …
    entry = SimpleNamespace(name="Last Resort High-Efficiency", fname=str(path), index=0)
    assert fonts._find_cjk([entry]) is None               # … but is no candidate


def test_cjk_text_is_drawn_as_glyphs_not_tofu(cjk):
    """Each character differs from the font's missing-glyph box (U+E000 is not in it),
    while a font without CJK draws exactly that box for a Chinese character."""
    with pytest.warns(UserWarning, match="missing from font"):
        tofu = _render("\ue000", cjk)
    for ch in "村镇覆盖":
        glyph = _render(ch, cjk)
        assert (glyph < 128).sum() > 20            # ink on the page
        assert _overlap(glyph, tofu) < 0.35        # and not the missing-glyph box
    with pytest.warns(UserWarning, match="missing from font"):
        latin = _render("村", "DejaVu Sans")
    with pytest.warns(UserWarning, match="missing from font"):
        latin_tofu = _render("\ue000", "DejaVu Sans")
    assert _overlap(latin, latin_tofu) > 0.5       # the comparison does detect tofu


def test_write_figures_draws_the_three_a4_maps(cjk, tmp_path):
    paths = figures.write_figures(make_plan(), tmp_path)
    assert [p.name for p in paths] == ["waste_coverage.png", "sewage_modes.png", "livestock.png"]
    for p in paths:
        with Image.open(p) as im:
            w, h = im.size
            dpi = im.info["dpi"][0]
        # A4 landscape at 200 dpi: 297 × 210 mm = 2339 × 1654 px (± rounding)
        assert abs(w - 297 / 25.4 * 200) <= 1 and abs(h - 210 / 25.4 * 200) <= 1
        assert dpi == pytest.approx(200, abs=1)
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".")]  # no temp files left


def test_title_and_legend_are_set_in_the_cjk_font(cjk):
    fig = figures.draw_figure(make_plan(), "waste_coverage.png")
    title = fig._suptitle
    assert title.get_text() == "示例区农村生活垃圾收运覆盖现状图"
    path = font_manager.findfont(title.get_fontproperties(), fallback_to_default=False)
    names = {e.name for e in font_manager.fontManager.ttflist
             if e.fname == str(path) and e.index == getattr(path, "face_index", e.index)}
    assert cjk in names
    legend = fig.legends[0]
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts[:3] == ["服务半径内", "超出服务半径", "道路不可达"]
    assert "规划新增转运站" in texts and "乡镇（街道）界" in texts
    towns = {t.get_text() for t in fig.axes[0].texts}
    assert {"甲镇", "乙镇", "北"} <= towns


def test_only_the_figures_of_present_analyses(cjk, tmp_path):
    plan = make_plan(analyses=False)
    assert figures.write_figures(plan, tmp_path) == []
    plan = make_plan()
    plan.villages = plan.villages.drop(columns=["sewage_mode"])
    del plan.layers["livestock_farms"]
    assert [p.name for p in figures.write_figures(plan, tmp_path / "w")] == ["waste_coverage.png"]


def test_names_with_dollar_signs_are_drawn_as_written(cjk, tmp_path):
    plan = make_plan()
    plan.villages["township"] = plan.villages["township"].replace({"甲镇": r"$\foo{$镇"})
    assert figures.write_figures(plan, tmp_path)  # mathtext would raise ParseFatalException


def test_no_cjk_font_fails_loudly(monkeypatch, tmp_path):
    latin = [e for e in font_manager.fontManager.ttflist if e.name == "DejaVu Sans"]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", latin)
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    monkeypatch.setattr(fonts, "_packaged_cjk_font", lambda: None)
    figures.cjk_font.cache_clear()
    try:
        with pytest.raises(FontNotFoundError, match="fonts-noto-cjk"):
            figures.write_figures(make_plan(), tmp_path)
        assert not list(tmp_path.iterdir())
    finally:
        figures.cjk_font.cache_clear()


def test_packaged_font_is_used_when_the_system_has_none(monkeypatch, tmp_path):
    if fonts._packaged_cjk_font() is None:
        pytest.skip("the fonts extra (noto-cjk-sans-otc) is not installed")
    latin = [e for e in font_manager.fontManager.ttflist if e.name == "DejaVu Sans"]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", list(latin))
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    figures.cjk_font.cache_clear()
    try:
        assert figures.cjk_font() == "Noto Sans CJK SC"
        entry = next(e for e in font_manager.fontManager.ttflist if e.name == "Noto Sans CJK SC")
        assert "noto_cjk_sans_otc" in entry.fname
        assert [p.name for p in figures.write_figures(make_plan(), tmp_path)]
    finally:
        figures.cjk_font.cache_clear()


@pytest.mark.parametrize(("span", "expected"), [(9000, 1000), (26_000, 5000), (12, 2), (100, 20),
                                                (4999, 500)])
def test_scale_bar_length_is_round(span, expected):
    assert figures.nice_length(span) == expected


def test_a_long_district_name_stays_on_the_page(cjk):
    from dataclasses import replace

    plan = make_plan()
    plan.district = replace(plan.district, name="某某省某某市某某县" * 5 + "农村人居环境整治")
    fig = figures.draw_figure(plan, "waste_coverage.png")
    fig.canvas.draw()
    box = fig._suptitle.get_window_extent()
    width = fig.get_size_inches()[0] * fig.dpi
    assert 0 <= box.x0 and box.x1 <= width  # not cut at the page edges
    assert fig._suptitle.get_text().endswith("农村生活垃圾收运覆盖现状图")
