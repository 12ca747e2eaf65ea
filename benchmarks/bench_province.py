"""Province scale on Dask (issue 16), against the way an analyst would do it without geo_env.

Three cases (``--case``), each printing its figures and ratios:

* ``counties`` (a): N synthetic counties (``tools/make_counties.py``: the sample generator
  with other seeds, ~165 villages each, every layer and a DEM) run three ways into fresh
  folders — ``geo-env run`` N times one after the other (a shell loop: the analyst's way),
  ``geo-env batch --workers 1`` and ``geo-env batch --workers 2`` — then the batch again
  with nothing changed (every county skipped by its content hash).  Ratios: 1 worker ÷ 2
  workers (aim ≥ 1.7 on 2 free cores) and serial runs ÷ 2 workers.
* ``households`` (b): P building points (default 30 million) in a province-sized extent,
  written as a spatially partitioned GeoParquet by Dask (partition by partition: never the
  whole province in memory), × T collection points (default 20,000), straight coverage with
  :func:`geo_env.analysis.households.household_coverage` on a local cluster of 2 workers;
  peak RSS of this process and every worker, sampled every 0.2 s.  Against plain
  geopandas (``gpd.read_parquet`` + ``sjoin_nearest`` + ``to_parquet``) on a subset, its
  time and memory extrapolated linearly to P (the whole province in one process).
* ``projection`` (c), run after (b): the measured cost of one partition (read + kernel +
  write, median of 5, one core) projected onto a 16-worker cluster:
  ceil(partitions ÷ 16) × cost, plus the scheduler's ~1 ms per task.

``python benchmarks/bench_province.py --case counties --counties 100`` (about 40 min on 2
cores), ``--case households --points 30000000`` (about 10 min, ~4 GB of GeoParquet in
``--work``); smaller sizes for a quick look.  Timings are wall-clock on whatever machine
runs it: the load average is printed (other processes on the cores shrink the ratios).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

#: Province extent for (b): ~600 km × 400 km in EPSG:4547 (CGCS2000 3° zone CM 114E).
EPSG = 4547
X0, Y0, W, H = 200_000.0, 2_300_000.0, 600_000.0, 400_000.0


def _load() -> str:
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def _geo_env() -> list[str]:
    return [sys.executable, "-m", "geo_env"]


def case_counties(n: int, work: Path) -> dict:
    from make_counties import write_counties

    src = work / f"counties_{n}"
    t = time.perf_counter()
    projects = write_counties(src, n)
    print(f"{n} counties ready in {time.perf_counter() - t:.0f} s ({_load()})", flush=True)
    times = {}
    out = work / "serial"
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    for p in projects:
        subprocess.run([*_geo_env(), "-q", "run", str(p), "--out", str(out / p.parent.name)], check=True,
                       stdout=subprocess.DEVNULL)
    times["serial"] = time.perf_counter() - t
    print(f"serial geo-env run × {n}: {times['serial']:.0f} s ({_load()})", flush=True)
    for workers in (1, 2):
        out = work / f"batch{workers}"
        shutil.rmtree(out, ignore_errors=True)
        t = time.perf_counter()
        subprocess.run([*_geo_env(), "-q", "batch", str(src), "--out", str(out), "--workers", str(workers)],
                       check=True, stdout=subprocess.DEVNULL)
        times[f"workers{workers}"] = time.perf_counter() - t
        tasks = json.loads((out / "summary.json").read_text(encoding="utf-8"))["counties"]
        # Σ county seconds ÷ wall: how many counties ran at once, in effect (2 free cores: ~2)
        times[f"parallelism{workers}"] = sum(c["seconds"] for c in tasks) / times[f"workers{workers}"]
        print(f"batch --workers {workers}: {times[f'workers{workers}']:.0f} s ({_load()})", flush=True)
    t = time.perf_counter()
    subprocess.run([*_geo_env(), "-q", "batch", str(src), "--out", str(work / "batch2"), "--workers", "2"],
                   check=True, stdout=subprocess.DEVNULL)
    times["rerun_unchanged"] = time.perf_counter() - t
    s = json.loads((work / "batch2" / "summary.json").read_text(encoding="utf-8"))
    same = all(
        json.loads((work / "serial" / c["folder"] / "summary.json").read_text(encoding="utf-8"))["indicators"]
        == json.loads((work / "batch2" / c["folder"] / "summary.json").read_text(encoding="utf-8"))["indicators"]
        for c in s["counties"])
    return {"case": "counties", "counties": n, "villages": s["totals"]["villages"], **times,
            "speedup_2_vs_1": times["workers1"] / times["workers2"],
            "speedup_2_vs_serial": times["serial"] / times["workers2"],
            "skipped_on_rerun": s["counties_skipped"], "same_indicators_as_serial": same}


class _PeakRss:
    """Peak of the summed RSS of this process and its children (workers), sampled."""

    def __init__(self) -> None:
        import psutil

        self.me = psutil.Process()
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            for p in [self.me, *self.me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total / 2**20)
            time.sleep(0.2)

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _tile(k: int, per_tile: int, n_tiles: int, seed: int):  # noqa: ANN202 - a GeoDataFrame
    """Partition k of the synthetic buildings: a compact strip of the extent (clustered)."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed + k)
    cols = int(math.ceil(math.sqrt(n_tiles * W / H)))
    rows = int(math.ceil(n_tiles / cols))
    i, j = k % cols, k // cols
    x0, y0 = X0 + i * W / cols, Y0 + j * H / rows
    centres = rng.uniform([x0, y0], [x0 + W / cols, y0 + H / rows], size=(max(1, per_tile // 400), 2))
    xy = centres[rng.integers(0, len(centres), per_tile)] + rng.normal(0, 250.0, (per_tile, 2))
    return gpd.GeoDataFrame({"county": np.full(per_tile, f"county_{k % 120:03d}"),
                             "households": rng.integers(1, 4, per_tile).astype(np.int16)},
                            geometry=shapely.points(xy), crs=EPSG)


def _write_buildings(path: Path, points: int, per_part: int, client) -> int:  # noqa: ANN001
    import dask.dataframe as dd
    import dask_geopandas  # noqa: F401 - registers the GeoDataFrame backend of from_map

    n_tiles = max(1, math.ceil(points / per_part))
    sizes = [per_part] * (n_tiles - 1) + [points - per_part * (n_tiles - 1)]
    ddf = dd.from_map(_tile, range(n_tiles), sizes, n_tiles=n_tiles, seed=7, meta=_tile(0, 1, 1, 7).iloc[:0])
    ddf.to_parquet(path, write_index=False, overwrite=True, compute_kwargs={"scheduler": client})
    return n_tiles


def _collection_points(n: int):  # noqa: ANN202
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(11)
    xy = rng.uniform([X0, Y0], [X0 + W, Y0 + H], size=(n, 2))
    return gpd.GeoDataFrame({"id": [f"C{i:05d}" for i in range(n)]}, geometry=shapely.points(xy), crs=EPSG)


def _plain_geopandas(src: Path, targets, parts: int, points: int) -> dict:  # noqa: ANN001
    """The analyst's way on a subset: read into geopandas, sjoin_nearest, save; extrapolated."""
    import gc

    import geopandas as gpd

    files = sorted(src.glob("*.parquet"))[:parts]
    gc.collect()
    with _PeakRss() as rss:
        base = rss.me.memory_info().rss / 2**20
        t = time.perf_counter()
        b = gpd.read_parquet(files[0]) if len(files) == 1 else \
            gpd.GeoDataFrame(__import__("pandas").concat([gpd.read_parquet(f) for f in files]), crs=EPSG)
        joined = gpd.sjoin_nearest(b, targets, distance_col="distance_m")
        covered = (joined["distance_m"] <= 3000).mean()
        joined.to_parquet(src.parent / "plain.parquet")  # and saved, as the Dask run writes its result
        secs = time.perf_counter() - t
    n = len(b)
    return {"subset_points": n, "subset_s": secs, "subset_rss_mb": rss.peak - base, "covered": float(covered),
            "extrapolated_s": secs * points / n, "extrapolated_rss_gb": (rss.peak - base) * points / n / 1024}


def case_households(points: int, targets_n: int, per_part: int, work: Path, subset_parts: int) -> dict:
    from distributed import Client, LocalCluster

    from geo_env.analysis.households import household_coverage

    src, dst = work / "buildings.parquet", work / "covered.parquet"
    targets = _collection_points(targets_n)
    with LocalCluster(n_workers=2, threads_per_worker=1, memory_limit="1.8GiB", dashboard_address=":0") as cl, \
            Client(cl) as client:
        t = time.perf_counter()
        n_parts = _write_buildings(src, points, per_part, client)
        t_write = time.perf_counter() - t
        print(f"{points:,} points in {n_parts} partitions written in {t_write:.0f} s ({_load()})", flush=True)
        with _PeakRss() as rss:
            t = time.perf_counter()
            res = household_coverage(src, targets, dst, radius_m=3000, by="county", weight="households",
                                     client=client)
            secs = time.perf_counter() - t
    plain = _plain_geopandas(src, targets, subset_parts, points)
    rate = float(res.table["covered"].sum() / res.table["points"].sum())
    return {"case": "households", "points": points, "collection_points": targets_n, "partitions": n_parts,
            "write_s": t_write, "dask_s": secs, "peak_rss_gb": rss.peak / 1024, "covered_share": rate,
            **{f"plain_{k}": v for k, v in plain.items()},
            "ratio_plain_extrapolated_vs_dask": plain["extrapolated_s"] / secs,
            "geoparquet_gb": sum(f.stat().st_size for f in src.glob("*.parquet")) / 2**30}


def case_projection(work: Path, targets_n: int, workers: int = 16) -> dict:
    import geopandas as gpd
    from scipy.spatial import cKDTree

    from geo_env.analysis.households import coverage_partition

    targets = _collection_points(targets_n)
    xy = np.asarray([[g.x, g.y] for g in targets.geometry])
    tree = cKDTree(xy)
    files = sorted((work / "buildings.parquet").glob("*.parquet"))
    if not files:
        raise SystemExit("run --case households first (it writes the partitions)")
    costs = []
    for f in files[:5]:
        t = time.perf_counter()
        part = gpd.read_parquet(f)
        coverage_partition(part, tree, targets["id"].to_numpy(), 3000.0).to_parquet(work / "one.parquet")
        costs.append(time.perf_counter() - t)
    cost = float(np.median(costs))
    n = len(files)
    projected = math.ceil(n / workers) * cost + n * 0.001
    size_mb = float(np.median([f.stat().st_size for f in files[:5]])) / 2**20
    return {"case": "projection", "partitions": n, "per_partition_s": cost, "workers": workers,
            "projected_s": projected, "io_needed_mb_per_s": 2 * size_mb * workers / cost}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", choices=("counties", "households", "projection", "all"), default="all")
    ap.add_argument("--counties", type=int, default=100)
    ap.add_argument("--points", type=int, default=30_000_000)
    ap.add_argument("--targets", type=int, default=20_000)
    ap.add_argument("--partition-size", type=int, default=500_000)
    ap.add_argument("--subset-partitions", type=int, default=2, help="partitions plain geopandas reads")
    ap.add_argument("--work", type=Path, default=Path("/tmp/geo_env_bench_province"))
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    print(f"start: {_load()}, {os.cpu_count()} cores", flush=True)
    results = []
    if a.case in ("counties", "all"):
        results.append(case_counties(a.counties, a.work))
    if a.case in ("households", "all"):
        results.append(case_households(a.points, a.targets, a.partition_size, a.work, a.subset_partitions))
    if a.case in ("households", "projection", "all"):
        results.append(case_projection(a.work, a.targets))
    for r in results:
        print(json.dumps(r, ensure_ascii=False, indent=1, default=float))
    print(f"end: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
