"""Peak memory and time of loading hostile model files (zip bombs), and of a normal save and load.

Usage::

    python benchmarks/bench_model_files.py [--inflated-mb 1536] [--rounds 3]

A bomb is a real model file whose ``codebook.npy`` member keeps its valid ``.npy`` header but is
followed by ``--inflated-mb`` of zeros (about 1.5 MB compressed for 1.5 GB).  Each load runs in its
own subprocess, so its peak RSS (``ru_maxrss``) is its own; the script prints the medians over
``--rounds`` runs.  Run it with ``PYTHONPATH`` pointing at another checkout to compare versions.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path


def make_files(folder: Path, inflated_mb: int) -> dict:
    import io

    import numpy as np

    from somnium import SOM

    X = np.random.default_rng(0).normal(size=(2000, 8))
    model = SOM(mapsize=(20, 20), random_state=0).fit(X, epochs=3)
    good = folder / "good.som"
    model.save(good)
    with zipfile.ZipFile(good) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    stream = io.BytesIO(parts["codebook.npy"])
    np.lib.format.read_magic(stream)
    np.lib.format.read_array_header_1_0(stream)
    header = parts["codebook.npy"][: stream.tell()]
    bomb = folder / "bomb.som"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, payload in parts.items():
            if name != "codebook.npy":
                archive.writestr(name, payload)
        with archive.open("codebook.npy", "w", force_zip64=True) as entry:
            entry.write(header)
            zeros = bytes(2**20)
            for _ in range(inflated_mb):
                entry.write(zeros)
    return {"good": str(good), "bomb": str(bomb), "bomb_bytes": bomb.stat().st_size}


def load_once(path: str) -> dict:
    from somnium import SOM
    from somnium.exceptions import ModelFileError

    start = time.perf_counter()
    try:
        SOM.load(path)
        outcome = "loaded"
    except ModelFileError as error:
        outcome = f"ModelFileError: {str(error)[:90]}"
    return {
        "seconds": time.perf_counter() - start,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "outcome": outcome,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--inflated-mb", type=int, default=1536)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(load_once(args.one)))
        return
    import somnium

    print(f"somnium from {Path(somnium.__file__).parent}")
    with tempfile.TemporaryDirectory() as folder:
        files = make_files(Path(folder), args.inflated_mb)
        print(f"bomb: {files['bomb_bytes'] / 2**20:.2f} MB on disk, {args.inflated_mb} MB inflated")
        # the interpreter and numpy alone, for reference
        baseline = subprocess.run(
            [
                sys.executable,
                "-c",
                "import resource, somnium; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        print(f"import somnium alone: {float(baseline.stdout):.0f} MB peak RSS")
        for name in ("good", "bomb"):
            runs = []
            for _ in range(args.rounds):
                out = subprocess.run(
                    [sys.executable, __file__, "--one", files[name]],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            seconds = [r["seconds"] for r in runs]
            peaks = [r["peak_rss_mb"] for r in runs]
            print(
                f"{name:5} load: median {statistics.median(seconds):.3f} s (range {min(seconds):.3f}-{max(seconds):.3f}), "
                f"peak RSS median {statistics.median(peaks):.0f} MB (range {min(peaks):.0f}-{max(peaks):.0f}); "
                f"{runs[0]['outcome']}"
            )


if __name__ == "__main__":
    main()
