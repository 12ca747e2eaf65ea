"""The JavaScript and CSS the HTML map inlines, so that it opens with no network.

Leaflet comes from the ``xstatic-leaflet`` package (its ``leaflet.js``/``leaflet.css``);
the images its CSS refers to become ``data:`` URIs.  geo_env's own runtime (geometry
decoder, search, fullscreen, measure, legend) is ``geo_env/assets/geo_env_map.js`` and
``.css``.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from importlib import resources
from pathlib import Path

__all__ = ["leaflet_js", "leaflet_css", "runtime_js", "runtime_css", "compare_js", "compare_css", "province_js",
           "province_css", "inline_script",
           "inline_style"]


def _leaflet_dir() -> Path:
    import xstatic.pkg.leaflet as xleaflet

    return Path(xleaflet.BASE_DIR)


def _strip_source_map(text: str) -> str:
    return re.sub(r"/[/*][#@] sourceMappingURL=\S+(\s*\*/)?\s*$", "", text.rstrip()) + "\n"


@cache
def leaflet_js() -> str:
    """Leaflet's minified JavaScript, without its source-map comment."""
    return _strip_source_map((_leaflet_dir() / "leaflet.js").read_text(encoding="utf-8"))


@cache
def leaflet_css() -> str:
    """Leaflet's CSS with every ``url(images/…)`` replaced by a ``data:`` URI."""
    base = _leaflet_dir()
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(m: re.Match[str]) -> str:
        data = (base / m.group(1)).read_bytes()
        return "url(data:image/png;base64," + base64.b64encode(data).decode("ascii") + ")"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)


def _asset(name: str) -> str:
    return (resources.files("geo_env.outputs") / "assets" / name).read_text(encoding="utf-8")


@cache
def runtime_js() -> str:
    """geo_env's map runtime (``assets/geo_env_map.js``)."""
    return _asset("geo_env_map.js")


@cache
def runtime_css() -> str:
    """geo_env's map styles (``assets/geo_env_map.css``)."""
    return _asset("geo_env_map.css")


@cache
def province_js() -> str:
    """The province overview map's runtime (``assets/province_map.js``)."""
    return _asset("province_map.js")


@cache
def province_css() -> str:
    """The province overview map's styles (``assets/province_map.css``)."""
    return _asset("province_map.css")


def _check_inline(text: str, tag: str) -> str:
    if re.search(rf"</{tag}|<!--", text, flags=re.IGNORECASE):
        raise ValueError(f"asset text would end its <{tag}> element")
    return text


def inline_script(js: str) -> str:
    """``<script>`` element holding ``js`` (which must not contain ``</script`` or ``<!--``)."""
    return "<script>" + _check_inline(js, "script") + "</script>"


def inline_style(css: str) -> str:
    """``<style>`` element holding ``css``."""
    return "<style>" + _check_inline(css, "style") + "</style>"


@cache
def compare_js() -> str:
    """The comparison map's runtime (``assets/geo_env_compare.js``: two maps kept on one view)."""
    return _asset("geo_env_compare.js")


@cache
def compare_css() -> str:
    """The comparison map's page styles (``assets/geo_env_compare.css``)."""
    return _asset("geo_env_compare.css")
