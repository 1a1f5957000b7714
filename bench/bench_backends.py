"""Benchmark: the same work on each Keras backend, in one run, side by side.

    python bench/bench_backends.py                                  # TensorFlow and JAX
    python bench/bench_backends.py --backends tensorflow jax torch --models 40
    python bench/bench_backends.py --lessons 02-counting-parameters 03-first-cnn-mnist
    python bench/bench_backends.py --models 0 --first-run-only --lessons 01-convolution ...

Two measurements, each in a fresh process per backend:

* **many small models**: build ``--models`` small CNNs of random shapes (a convolution, a
  dense layer), as a lesson that counts parameters does; seconds after the imports.
* **lessons**: execute each solution notebook at the quick profile (as nbval and grading
  do), twice on JAX: first with an empty compilation cache (a first run), then with the cache
  that run left (a kernel restarted, a lesson run again, a class graded).

Every run gets its own empty course cache. Nothing here is a test: a busy machine changes
the numbers, not the verdict; compare the backends within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

COURSE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(COURSE))
sys.path.insert(0, str(COURSE / "bench"))

from bench_notebooks import bench_one  # noqa: E402

MODELS = r"""
import json, sys, time
from helpers import setup
setup()
import keras, numpy as np
rng = np.random.default_rng(0)
start = time.perf_counter()
params = 0
for _ in range(int(sys.argv[1])):
    c_in, filters = (int(v) for v in rng.integers(1, 64, 2))
    k = int(rng.integers(1, 6))
    model = keras.Sequential([
        keras.Input((16, 16, c_in)),
        keras.layers.Conv2D(filters, k),
        keras.layers.Flatten(),
        keras.layers.Dense(int(rng.integers(1, 50))),
    ])
    params += model.count_params()
print(json.dumps({"seconds": time.perf_counter() - start, "params": params}))
"""


def run_models(backend: str, n: int, cache: Path) -> dict:
    """Build ``n`` small random models on ``backend`` in a fresh process; seconds and params."""
    env = dict(
        os.environ,
        KERAS_BACKEND=backend,
        COURSE_CACHE=str(cache),
        COURSE_PROFILE="quick",
        COURSE_OFFLINE="1",
    )
    result = subprocess.run(
        [sys.executable, "-c", MODELS, str(n)],
        capture_output=True,
        text=True,
        env=env,
        cwd=COURSE,
        check=False,
    )
    try:
        return json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"seconds": float("nan"), "error": (result.stderr.strip().splitlines() or ["?"])[-1]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="*", default=["tensorflow", "jax"])
    parser.add_argument("--models", type=int, default=40, help="small models to build (0: skip)")
    parser.add_argument("--lessons", nargs="*", default=["02-counting-parameters"])
    parser.add_argument(
        "--first-run-only", action="store_true", help="no second JAX run with the cache warm"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-backends-") as tmp:
        if args.models:
            print(f"{args.models} small models (seconds after the imports)")
            base = None
            for backend in args.backends:
                run = run_models(backend, args.models, Path(tmp) / f"models-{backend}")
                base = base or run["seconds"]
                note = run.get("error") or f"{run['seconds'] / base:.1f}× {args.backends[0]}"
                print(f"  {backend:<12}{run['seconds']:>8.1f} s   {note}", flush=True)
        for lesson in args.lessons:
            print(f"{lesson} at the quick profile (whole notebook, fresh kernel)")
            base = None
            for backend in args.backends:
                cache = Path(tmp) / f"{lesson}-{backend}"
                warm = backend == "jax" and not args.first_run_only
                passes = ["first run", "cache warm"] if warm else ["first run"]
                for label in passes:
                    env = {
                        "KERAS_BACKEND": backend,
                        "COURSE_CACHE": str(cache),
                        "COURSE_OFFLINE": "1",
                    }
                    run = bench_one(lesson, "quick", env)
                    base = base or run["seconds"]
                    status = f"FAILED {run['error']}" if run["error"] else "ok"
                    print(
                        f"  {backend:<12}{label:<12}{run['seconds']:>8.1f} s"
                        f"{run['seconds'] / base:>6.1f}×  peak {run['peak_mib']:.0f} MiB  {status}",
                        flush=True,
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
