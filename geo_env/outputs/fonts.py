"""The CJK font of geo_env's figures, and of notebook plots.

:func:`cjk_font` finds an installed font that draws Chinese text (the print figures set
their text in it, :mod:`geo_env.outputs.figures`); :func:`use_cjk_font` registers it with
matplotlib globally as the fallback for characters the default font lacks, so that
Chinese labels in an analyst's own plots show as characters, not empty boxes.
``import geo_env`` calls it in a Jupyter kernel (never in plain scripts or the CLI).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from matplotlib import font_manager

from ..errors import GeoEnvError

__all__ = ["FONT_HINT", "PREFERRED_CJK", "FontNotFoundError", "cjk_font", "use_cjk_font"]

log = logging.getLogger(__name__)

#: Families tried first, in order; any other installed font with CJK glyphs follows.
PREFERRED_CJK = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "Microsoft YaHei",
                 "SimHei", "PingFang SC", "Hiragino Sans GB", "WenQuanYi Zen Hei",
                 "WenQuanYi Micro Hei", "Noto Sans CJK JP", "Source Han Sans CN")
#: Characters a CJK font must have (common in every figure).
_PROBE = "行政村乡镇覆盖率污水处理养殖场图例比例尺北"

FONT_HINT = ("install a CJK font: `pip install geo_env[fonts]` (Noto Sans CJK, SIL OFL), or on "
             "Debian/Ubuntu `sudo apt-get install fonts-noto-cjk`, "
             "on Fedora `sudo dnf install google-noto-sans-cjk-fonts`; on Windows Microsoft "
             "YaHei or SimHei are present by default")


class FontNotFoundError(GeoEnvError, LookupError):
    """No installed font can draw the figures' Chinese text."""


#: Code points no real font draws (unassigned U+0378, the noncharacter U+FFFE): a font that
#: maps them is a catch-all "last resort" font (matplotlib 3.11 ships Last Resort HE), whose
#: glyphs for Chinese characters are boxes naming the Unicode block.
_NOT_CHARACTERS = "\u0378\ufffe"


def _has_glyphs(path: str, text: str, index: int = 0) -> bool:
    """The font draws every character of ``text`` and is not a catch-all font."""
    from matplotlib.ft2font import FT2Font

    try:
        try:
            font = FT2Font(path, face_index=index)
        except TypeError:  # matplotlib < 3.10 reads the first face of a collection only
            font = FT2Font(path)
    except Exception:  # unreadable font file: not a candidate
        return False
    if any(font.get_char_index(ord(c)) != 0 for c in _NOT_CHARACTERS):
        return False
    return all(font.get_char_index(ord(c)) != 0 for c in text)


def _find_cjk(entries: Sequence[Any]) -> str | None:
    by_name: dict[str, Any] = {}
    for e in entries:
        by_name.setdefault(e.name, e)
    for name in PREFERRED_CJK:
        e = by_name.get(name)
        if e is not None and _has_glyphs(e.fname, _PROBE, getattr(e, "index", 0)):
            return name
    for name, e in sorted(by_name.items()):
        if _has_glyphs(e.fname, _PROBE, getattr(e, "index", 0)):
            return name
    return None


def _packaged_cjk_font() -> Path | None:
    """Noto Sans CJK (SIL OFL 1.1) from the optional ``geo_env[fonts]`` dependency
    ``noto-cjk-sans-otc``, for machines without a system CJK font; None if not installed."""
    import importlib.util

    spec = importlib.util.find_spec("noto_cjk_sans_otc")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for path in sorted(Path(folder).glob("*.tt[cf]")):
            return path
    return None


@cache
def cjk_font() -> str:
    """The family name of an installed font that draws Chinese text.

    Looks among matplotlib's known fonts, preferring :data:`PREFERRED_CJK`; when none
    has the glyphs, adds the system's font files matplotlib has not seen yet (a font
    installed after matplotlib built its cache) and looks again.

    Raises
    ------
    FontNotFoundError
        When no installed font has Chinese glyphs (the message says what to install).
    """
    name = _find_cjk(font_manager.fontManager.ttflist)
    if name is None:
        known = {e.fname for e in font_manager.fontManager.ttflist}
        for path in font_manager.findSystemFonts():
            if path not in known:
                try:
                    font_manager.fontManager.addfont(path)
                except Exception:  # a broken font file is skipped, not fatal
                    log.debug("cannot read font %s", path)
        name = _find_cjk(font_manager.fontManager.ttflist)
    if name is None:
        packaged = _packaged_cjk_font()
        if packaged is not None:
            font_manager.fontManager.addfont(str(packaged))
            name = _find_cjk(font_manager.fontManager.ttflist)
    if name is None:
        raise FontNotFoundError("no installed font has Chinese characters, so the figures "
                                "cannot be drawn without empty boxes", hint=FONT_HINT)
    log.debug("CJK font: %s", name)
    return name


def use_cjk_font() -> str:
    """Let matplotlib draw Chinese text in every plot: the CJK font of :func:`cjk_font`
    becomes the fallback of ``rcParams["font.family"]`` (Latin text keeps the default font;
    characters it lacks come from the CJK font).  Changes matplotlib's global settings:
    ``import geo_env`` calls it in a Jupyter kernel only; call it yourself elsewhere.
    Calling it again changes nothing.

    Returns
    -------
    str
        The CJK font's family name.

    Raises
    ------
    FontNotFoundError
        When no installed font has Chinese glyphs (the message says what to install).
    """
    import matplotlib

    name = cjk_font()
    family = matplotlib.rcParams["font.family"]
    family = [family] if isinstance(family, str) else list(family)
    if name not in family:
        matplotlib.rcParams["font.family"] = [*family, name]
    return name
