"""Per-stage seconds and peak memory (RSS of the process tree) of one study, to find the stage
that dominates before optimising it.

    python benchmarks/profile_stages.py --schools 4000 --folder /tmp/st4000       # generate + run
    python benchmarks/profile_stages.py --folder /tmp/st4000 --stages scoring --cprofile out.prof

The study folder is kept (a second call with the same folder reuses it). Peak memory is sampled
every 0.2 s over the process and its children (``psutil``), per stage.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class TreeRSS:
    """Peak resident memory of this process and its children, sampled in a thread."""

    def __init__(self, every: float = 0.2):
        import psutil
        self._proc, self._every = psutil.Process(), every
        self.peak, self._stop = 0, threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        total = self._proc.memory_info().rss
        for c in self._proc.children(recursive=True):
            try:
                total += c.memory_info().rss
            except Exception:  # noqa: BLE001 - a child may end between listing and reading
                pass
        return total

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self.peak = max(self.peak, self._sample())

    def __enter__(self):
        self.peak = self._sample()
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--schools", type=int)
    ap.add_argument("--waves", type=int, nargs="+", default=[2022, 2023, 2024])
    ap.add_argument("--folder", required=True)
    ap.add_argument("--format", default="parquet")
    ap.add_argument("--stages", nargs="+")
    ap.add_argument("--cprofile", help="write a cProfile of the stages run to this file")
    ap.add_argument("--seed", type=int, default=20240501)
    ap.add_argument("--classes", type=int, default=2, help="classes drawn per sampled school")
    args = ap.parse_args()
    folder = Path(args.folder)
    from shnro_research.pipeline.registry import STAGES
    from shnro_research.pipeline.runner import run_study
    if not (folder / "study.yaml").exists():
        from shnro_research.demo import generate_demo, write_demo
        t0 = time.perf_counter()
        with TreeRSS() as m:
            st = generate_demo(args.seed, n_schools=args.schools, n_sampled=args.schools,
                               waves=tuple(args.waves), classes_per_school=args.classes)
            write_demo(st, folder, format=args.format)
            del st
        print(json.dumps({"stage": "generate+write", "seconds": round(time.perf_counter() - t0, 1),
                          "peak_mb": round(m.peak / 2**20)}), flush=True)
    prof = cProfile.Profile() if args.cprofile else None
    for s in args.stages or list(STAGES):
        t0 = time.perf_counter()
        with TreeRSS() as m:
            if prof:
                prof.enable()
            run_study(folder / "study.yaml", stages=[s], force=True, progress=False)
            if prof:
                prof.disable()
        print(json.dumps({"stage": s, "seconds": round(time.perf_counter() - t0, 1),
                          "peak_mb": round(m.peak / 2**20)}), flush=True)
    if prof:
        prof.dump_stats(args.cprofile)


if __name__ == "__main__":
    main()
