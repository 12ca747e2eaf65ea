"""Text encoding of shapefile attributes: geo_env's rule against charset-normalizer, one run.

A shapefile without ``.cpg`` carries its text as bytes; GDAL reads them as Latin-1. The
maintained general-purpose detector is charset-normalizer (what ``requests`` uses). This
script measures how often each gives back the planners' text exactly, on the kind of data
a county sends: the text fields of n records of a village table (name and township, 2–6
Chinese characters each), encoded in GBK or in UTF-8, for n = 1, 3, 10, 50.

geo_env's rule (:func:`geo_env.io.encodings.detect_encoding`): strict UTF-8, else GB18030
(a superset of GBK); a declared code page is checked against the bytes. A guess is right
when the decoded text equals the original exactly.

Usage: ``python benchmarks/bench_encoding.py [--trials 200]``; exits 1 when geo_env is not
right on every sample (its rule is exact on this data, so any miss is a regression).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from geo_env.io.encodings import detect_encoding
from geo_env.sample import sample_district


def _texts() -> list[str]:
    v = sample_district(progress=False).villages
    return [f"{name}\t{town}" for name, town in zip(v["name"].astype(str), v["township"].astype(str))]


def _decode_cn(data: bytes) -> str | None:
    import charset_normalizer

    best = charset_normalizer.from_bytes(data).best()
    return None if best is None else str(best)


def _decode_ge(data: bytes) -> str | None:
    enc, _ = detect_encoding(data)
    try:
        return data.decode(enc)
    except UnicodeDecodeError:
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--trials", type=int, default=200, help="random samples per size and encoding")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(2026)
    texts = _texts()
    print(f"{len(texts)} village records of the sample district; {args.trials} random samples per cell")
    print(f"{'records':>8} {'encoding':>8} {'charset-normalizer':>19} {'geo_env':>8} {'cn ms':>7} {'ge ms':>7}")
    missed = 0
    for n in (1, 3, 10, 50):
        for codec in ("gbk", "utf-8"):
            right = {"cn": 0, "ge": 0}
            spent = {"cn": 0.0, "ge": 0.0}
            for _ in range(args.trials):
                text = "\n".join(texts[i] for i in rng.choice(len(texts), size=n, replace=False))
                data = text.encode(codec)
                for key, fn in (("cn", _decode_cn), ("ge", _decode_ge)):
                    t0 = time.perf_counter()
                    got = fn(data)
                    spent[key] += time.perf_counter() - t0
                    right[key] += got == text
            missed += args.trials - right["ge"]
            print(f"{n:>8} {codec:>8} {right['cn'] / args.trials:>18.1%} {right['ge'] / args.trials:>8.1%} "
                  f"{1e3 * spent['cn'] / args.trials:>7.2f} {1e3 * spent['ge'] / args.trials:>7.3f}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
