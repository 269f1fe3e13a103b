"""NOTAM areas on the corpus: firwatch's parser, and aviconv-notam on the same texts when given.

    python benchmarks/bench_notam_corpus.py [--seeds 1 2 3] [--aviconv-python /path/to/python]

Prints, for the committed corpus (tests/notam/corpus/) and for fresh corpora of the given
seeds: areas within 1 km of the stated area, the exact distance (median, p95, max km),
misses with and without a problem entry, and parse time per NOTAM next to json.loads of the
GeoJSON it gives (the reference a caller pays anyway).  aviconv-notam is not a dependency:
install it in any other environment (``pip install aviconv-notam``) and pass that
environment's python; its answer is its item-E polygon (``source: item-e``) when it gives
one, else its Q-line disk.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.geo.airspaces import AirspaceRegistry  # noqa: E402
from service.notam.features import parse_to_geojson  # noqa: E402
from service.notam.parser import parse_notam  # noqa: E402
from tests.notam.corpus import make_corpus  # noqa: E402
from tests.notam.corpus.score import (  # noqa: E402
    TOLERANCE_KM,
    distance_km,
    entries,
    from_generated,
)

AVICONV = r"""
import json, sys
from aviconv_notam.parser import parse
from aviconv_notam.geometry import notam_to_geojson
out = []
for text in json.load(sys.stdin):
    try:
        try:
            notam = parse(text)
        except Exception:  # it refuses the parenthesised ICAO form: retry without the brackets
            notam = parse(text.strip().removeprefix("(").removesuffix(")"))
        fc = notam_to_geojson(notam)
        feats = fc["features"]
        item_e = [f["geometry"] for f in feats if f["properties"].get("source") == "item-e"]
        disk = [f["geometry"] for f in feats if f["properties"].get("source") == "q-line"]
        out.append({"geometry": (item_e or disk or [None])[0], "error": None,
                    "item_e": bool(item_e)})
    except Exception as exc:
        out.append({"geometry": None, "error": type(exc).__name__, "item_e": False})
json.dump(out, sys.stdout)

"""


def firwatch_reader(airspaces):
    def read(text: str):
        n = parse_notam(text, airspaces=airspaces)
        return (shapely.geometry.shape(n.geometry) if n.geometry else None), n.problems

    return read


def evaluate(name: str, corpus, answers) -> None:
    distances, flagged_misses, silent_misses, errors = [], 0, 0, 0
    for entry, (geometry, problems, error) in zip(corpus, answers, strict=True):
        errors += error is not None
        for area in entry.areas:
            d = distance_km(area, geometry, exact=True)
            distances.append(d)
            if d > TOLERANCE_KM:
                if problems:
                    flagged_misses += 1
                else:
                    silent_misses += 1
    finite = sorted(d for d in distances if d != float("inf")) or [float("nan")]
    within = sum(d <= TOLERANCE_KM for d in distances)
    p95 = finite[int(0.95 * (len(finite) - 1))]
    print(
        f"  {name:<14} {within}/{len(distances)} areas within {TOLERANCE_KM:g} km "
        f"({within / len(distances):.1%}); km median {statistics.median(finite):.3f} "
        f"p95 {p95:.3f} max {max(finite):.1f}; no area {sum(d == float('inf') for d in distances)}; "
        f"misses flagged {flagged_misses}, silent {silent_misses}; parse errors {errors}"
    )


def run_aviconv(python: str, corpus) -> list[tuple]:
    done = subprocess.run(
        [python, "-c", AVICONV],
        input=json.dumps([e.text for e in corpus]).encode(),
        capture_output=True,
        check=True,
        timeout=600,
    )
    out = []
    for answer in json.loads(done.stdout):
        g = answer["geometry"]
        shape = shapely.geometry.shape(g) if g else None
        out.append((shape, (), answer["error"]))
    return out


def timing(corpus, airspaces) -> None:
    texts = [e.text for e in corpus]
    started = time.perf_counter()
    bodies = [json.dumps(parse_to_geojson(t, airspaces)) for t in texts]
    parse_s = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(20):
        for body in bodies:
            json.loads(body)
    loads_s = (time.perf_counter() - started) / 20
    print(
        f"  time: parse to GeoJSON {1000 * parse_s / len(texts):.2f} ms per NOTAM; json.loads "
        f"of that GeoJSON {1000 * loads_s / len(texts):.3f} ms (ratio {parse_s / loads_s:.0f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[])
    parser.add_argument("--aviconv-python", default=None)
    args = parser.parse_args()
    airspaces = AirspaceRegistry.from_geojson(ROOT / "seeds" / "firs.geojson")
    read = firwatch_reader(airspaces)
    corpora = [("committed corpus", list(entries()))]
    corpora += [
        (f"fresh corpus seed {s}", [from_generated(e) for e in make_corpus.build(s)])
        for s in args.seeds
    ]
    for name, corpus in corpora:
        print(f"{name}: {len(corpus)} NOTAMs")
        answers = []
        for e in corpus:
            geometry, problems = read(e.text)
            answers.append((geometry, problems, None))
        evaluate("firwatch", corpus, answers)
        if args.aviconv_python:
            evaluate("aviconv-notam", corpus, run_aviconv(args.aviconv_python, corpus))
        timing(corpus, airspaces)


if __name__ == "__main__":
    main()
