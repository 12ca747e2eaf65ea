"""Make the README images from the sample district: docs/demo_map.png (the plan map in
headless Chromium, offline) and docs/figure_example.png (the waste-coverage figure, else
the first figure the plan has), both reduced to stay small.

Usage: ``python docs/make_images.py`` (needs /usr/bin/chromium and a CJK font).
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import geo_env as ge  # noqa: E402

from _browser import browser, open_page  # noqa: E402


def main() -> int:
    plan = ge.analyze(ge.sample_district())
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        plan.save(out)
        with browser() as b, open_page(b, out / "plan_map.html", width=1200, height=760) as (page, log):
            if log.page_errors or log.console_errors:
                print(log, file=sys.stderr)
                return 1
            png = page.screenshot()
        Image.open(io.BytesIO(png)).convert("P", palette=Image.Palette.ADAPTIVE, colors=128).save(
            HERE / "demo_map.png", optimize=True)
        figs = sorted((out / "figures").glob("*.png"))
        pick = next((f for f in figs if f.name == "waste_coverage.png"), figs[0])
        with Image.open(pick) as im:
            small = im.convert("RGB").resize((im.width * 2 // 5, im.height * 2 // 5), Image.LANCZOS)
        small.convert("P", palette=Image.Palette.ADAPTIVE, colors=128).save(
            HERE / "figure_example.png", optimize=True)
    for name in ("demo_map.png", "figure_example.png"):
        print(f"docs/{name}: {(HERE / name).stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
