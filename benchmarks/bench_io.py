"""Benchmark: reading a large questionnaire CSV with ``shnro_research.io.read_table`` (issue 15).

    python benchmarks/bench_io.py                  # ~100 MB per file, 3 repeats
    python benchmarks/bench_io.py --rows 100000 --repeat 1

Two files of demo-like answers are written (numpy, a fixed seed): UTF-8 with ``,`` and ``.``
decimals, and Windows-1251 with ``;`` and decimal commas (as Russian Excel saves it), each with
ids, 60 five-point items with 3 % empty cells, hours with decimals and a free-text comment
(Cyrillic; some quoted because they hold the separator or quotes), and the items of a sixth of
them in long format (``resp_id, school_id, item, answer``: many short lines). Each file is
read by

* ``old``: the reader before issue 15 (taken from git, ``--old-rev``): the whole file decoded to
  one string, records found with the ``csv`` module, pandas fed through ``StringIO``;
* ``new``: ``read_table`` now (encoding checks, records and field counts on the bytes, pandas'
  C parser on the same bytes with ``encoding=``);
* ``pandas``: bare ``pandas.read_csv(path, sep=, decimal=, encoding=)``, no checks.

The best of ``--repeat`` runs is printed, with the ratios new/pandas and old/new. The frames of
old and new are compared (``assert_frame_equal``). ``--memory`` adds the peak memory each reader
adds (a fresh process per reader: its peak RSS after the read less its RSS before).
Not a timed unit test.
"""
from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from shnro_research.io import read_table  # noqa: E402

COMMENTS = np.array(["Мне нравится школа", "Хочу перейти в другую школу", "",
                     "Учителя справедливые", "нужен психолог; и спортзал", "Всё хорошо, \"спасибо\"",
                     "Ёлка в актовом зале", ""], dtype=object)


def make_answers(n: int, seed: int = 15) -> pd.DataFrame:
    """``n`` questionnaires: ids, 60 items 1..5 (3 % empty), hours, a comment."""
    rng = np.random.default_rng(seed)
    d = {"resp_id": np.arange(1, n + 1), "school_id": np.sort(rng.integers(1000, 41000, n)),
         "class_id": rng.integers(1, 5, n), "wave": 2024, "sex": rng.integers(1, 3, n),
         "grade": rng.integers(5, 12, n)}
    for k in range(60):
        v = pd.array(rng.integers(1, 6, n), dtype="Int64")
        v[rng.random(n) < 0.03] = pd.NA
        d[f"q_{k + 1:02d}"] = v
    d["hours"] = np.round(rng.gamma(2, 4, n), 1)
    d["comment"] = COMMENTS[rng.integers(0, len(COMMENTS), n)]
    return pd.DataFrame(d)


def load_old_reader(rev: str):
    """``read_csv`` of ``shnro_research/io/text.py`` at git revision ``rev`` (its encodings
    module alongside), or None when git cannot give it."""
    tmp = Path(tempfile.mkdtemp(prefix="bench_io_old_"))
    try:
        for name in ("text", "encodings"):
            src = subprocess.run(["git", "-C", str(ROOT), "show",
                                  f"{rev}:shnro_research/io/{name}.py"], check=True,
                                 capture_output=True, text=True).stdout
            src = (src.replace("from ..errors", "from shnro_research.errors")
                   .replace("from .columns", "from shnro_research.io.columns")
                   .replace("from .report", "from shnro_research.io.report")
                   .replace("from .encodings", "from old_encodings"))
            (tmp / f"old_{name}.py").write_text(src, encoding="utf-8")
    except (OSError, subprocess.CalledProcessError):
        return None
    sys.path.insert(0, str(tmp))
    spec = importlib.util.spec_from_file_location("old_text", tmp / "old_text.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.read_csv


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


_MEMORY_CODE = """
import sys
sys.path[:0] = [{root!r}, {old_dir!r}]
import pandas as pd
from shnro_research.io import read_table
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1])
kind, path = {kind!r}, {path!r}
if kind == "old":
    from old_text import read_csv
base = status("VmRSS:")
if kind == "pandas":
    pd.read_csv(path, sep={sep!r}, decimal={dec!r}, encoding={enc!r}, low_memory=False)
elif kind == "new":
    read_table(path)
else:
    read_csv(__import__("pathlib").Path(path), None, None, None)
print((status("VmHWM:") - base) / 1024)
"""


def peak_mb(kind: str, path: Path, sep: str, dec: str, enc: str, old_dir: str) -> float:
    """MB of peak memory one read adds, in a fresh Python process (Linux /proc: VmHWM after
    the read less VmRSS before it)."""
    code = _MEMORY_CODE.format(root=str(ROOT), old_dir=old_dir, kind=kind, path=str(path),
                               sep=sep, dec=dec, enc=enc)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    return float(out.split()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=520_000, help="questionnaires (~100 MB)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--old-rev", default="30c5cea", help="git revision of the old reader")
    ap.add_argument("--dir", default=None, help="where to write the files (default: temp)")
    ap.add_argument("--memory", action="store_true", help="also the peak memory of each reader")
    args = ap.parse_args(argv)
    folder = Path(args.dir or tempfile.mkdtemp(prefix="bench_io_"))
    folder.mkdir(parents=True, exist_ok=True)
    df = make_answers(args.rows)
    files = [("utf-8, ',' '.'", folder / "answers_utf8.csv", "utf-8", ",", "."),
             ("cp1251, ';' ','", folder / "answers_cp1251.csv", "cp1251", ";", ","),
             ("long, utf-8", folder / "answers_long.csv", "utf-8", ",", ".")]
    for _, path, enc, sep, dec in files[:2]:
        df.to_csv(path, index=False, encoding=enc, sep=sep, decimal=dec,
                  lineterminator="\r\n" if enc == "cp1251" else "\n")
    items = [f"q_{k + 1:02d}" for k in range(60)]
    long = df.iloc[:len(df) // 6].melt(id_vars=["resp_id", "school_id"], value_vars=items,
                                          var_name="item", value_name="answer")
    long.to_csv(files[2][1], index=False, lineterminator="\n")
    del long
    old = load_old_reader(args.old_rev)
    print(f"{args.rows:,} questionnaires x {df.shape[1]} columns; best of {args.repeat}")
    print(f"{'file':<18}{'MB':>7}{'pandas s':>10}{'new s':>8}{'old s':>8}"
          f"{'new/pandas':>12}{'old/new':>9}  same frame")
    for label, path, enc, sep, dec in files:
        mb = path.stat().st_size / 1e6
        t_pd, _ = best(lambda: pd.read_csv(path, sep=sep, decimal=dec, encoding=enc,
                                           low_memory=False), args.repeat)
        t_new, res = best(lambda: read_table(path), args.repeat)
        if old is not None:
            t_old, (old_df, _) = best(lambda: old(path, None, None, None), args.repeat)
            try:
                pd.testing.assert_frame_equal(res.data, old_df)
                same = "yes"
            except AssertionError:
                same = "NO"
            old_s, ratio = f"{t_old:8.2f}", f"{t_old / t_new:9.1f}"
        else:
            old_s, ratio, same = f"{'-':>8}", f"{'-':>9}", "-"
        print(f"{label:<18}{mb:7.1f}{t_pd:10.2f}{t_new:8.2f}{old_s}{t_new / t_pd:12.2f}"
              f"{ratio}  {same}")
        if args.memory:
            kinds = ("pandas", "new", "old") if old is not None else ("pandas", "new")
            mem = [peak_mb(k, path, sep, dec, enc, str(Path(old.__code__.co_filename).parent)
                           if old is not None else "") for k in kinds]
            print(f"{'  peak MB added':<25}" + "".join(f"{m:>{w}.0f}" for m, w in
                                                       zip(mem, (10, 8, 8))))
    if args.dir is None:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
