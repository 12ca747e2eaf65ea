"""Rich display in Jupyter (plumbing): the escaped HTML summary card of a District or a Plan.

:func:`html_card` lays out a title, a list of facts and tables; every text it is given is
escaped (village, township and layer names, file names and warnings come from the user's
files and may hold ``<script>``), so callers pass plain strings, never markup.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Table", "html_card", "percent", "number"]

_CELL = "text-align:left"


@dataclass(frozen=True)
class Table:
    """A captioned table of plain strings (escaped when laid out)."""

    caption: str
    header: tuple[str, ...]
    rows: Sequence[tuple[str, ...]] = ()


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _table(t: Table) -> str:
    head = "".join(f'<th style="{_CELL}">{_e(h)}</th>' for h in t.header)
    body = "".join("<tr>" + "".join(f'<td style="{_CELL}">{_e(c)}</td>' for c in row) + "</tr>" for row in t.rows)
    return (f'<table><caption style="text-align:left;font-weight:bold">{_e(t.caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def html_card(title: str, facts: Sequence[tuple[str, str]], tables: Sequence[Table] = (), *,
              notes: Sequence[str] = (), notes_title: str = "") -> str:
    """An HTML block for ``_repr_html_``: ``title``, the ``facts`` as a two-column table, the
    ``tables``, and ``notes`` (warnings) in a collapsed list headed ``notes_title (n)``.

    Every string is escaped; the result holds no script, link or style element.
    """
    rows = "".join(f'<tr><th style="{_CELL}">{_e(k)}</th><td style="{_CELL}">{_e(v)}</td></tr>' for k, v in facts)
    parts = [f'<div class="geo-env-summary"><p style="font-weight:bold;margin:0 0 4px">{_e(title)}</p>',
             f"<table><tbody>{rows}</tbody></table>", *(_table(t) for t in tables)]
    if notes:
        items = "".join(f"<li>{_e(n)}</li>" for n in notes)
        parts.append(f"<details><summary>{_e(notes_title)} ({len(notes)})</summary><ul>{items}</ul></details>")
    return "".join(parts) + "</div>"


def percent(share: float | None) -> str:
    """A share (0–1) as ``48.5%``; ``—`` when unknown."""
    return "—" if share is None or share != share else f"{share:.1%}"


def number(value: float | int | None, digits: int = 0) -> str:
    """A number with thousands separators (``173,724``); ``—`` when unknown."""
    return "—" if value is None or value != value else f"{value:,.{digits}f}"
