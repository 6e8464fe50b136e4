#!/usr/bin/env python3
"""Runs every experiment of one backend's bench subcommand at a tiny size and checks its
records: their shape, every method present, every payload size present, the checked
quantities (a counter's final value, bytes received equal to bytes sent, checksums), every
grain row's measured grain and its grain_off flag against the 20% rule (and the parent's CPU
per task where a parent hands out the tasks), and that bad input is refused with exit status 2
and one line on stderr. Never checks a time.

    bench_check.py --backend omp --binary build/bin/gilfree-omp
    bench_check.py --backend mpi --binary build/bin/gilfree-mpi --launcher "mpiexec -n 2"
    bench_check.py --backend python --binary scripts/py_bench.py
"""

import argparse
import glob
import json
import os
import shlex
import subprocess
import sys

METHODS = {
    "omp": {
        "startup": ["omp_first_region", "omp_region"],
        "ipc": ["omp_handoff", "memcpy"],
        "counter": ["omp_atomic", "omp_critical", "omp_reduction"],
        "grain": ["omp_for"],
        "paths": ["omp_frames", "omp_paths"],
    },
    "posix": {
        "startup": ["fork", "fork_exec", "posix_spawn", "pthread"],
        "ipc": ["pipe", "socketpair", "shm", "shm_spin", "pipe_bw", "socketpair_bw",
                "memcpy"],
        "counter": ["shm_atomic", "shm_mutex", "manager"],
        "grain": ["posix_pool"],
        "paths": ["pipe_frames", "mmap_paths"],
    },
    "mpi": {
        "startup": ["mpi_init"],
        "ipc": ["mpi_pingpong", "mpi_pingpong_one_buffer", "mpi_bw", "mpi_scatter",
                "mpi_gather", "mpi_win_shared", "memcpy"],
        "counter": ["mpi_fetch_and_op", "mpi_accumulate", "mpi_reduce"],
        "grain": ["mpi_ranks"],
        "paths": ["mpi_frames", "mmap_paths"],
    },
    "python": {
        "startup": ["process_fork", "process_spawn", "thread"],
        "ipc": ["pipe", "queue"],
        "counter": ["manager", "value_lock", "rawvalue"],
        "grain": ["pool_map"],
        "paths": ["queue_frames", "mmap_paths"],
    },
}

TINY = {
    "startup": ["--iters", "3", "--warmup", "1", "--reps", "1"],
    "ipc": ["--max-size", "2k", "--iters", "5", "--warmup", "2"],
    "counter": ["--count", "1001", "--reps", "2", "--workers", "2"],
    "grain": ["--min-grain", "10", "--max-grain", "100", "--reps", "1", "--workers", "2"],
    "paths": ["--images", "3", "--width", "64", "--height", "33", "--reps", "2",
              "--workers", "2"],
}
IPC_SIZES = [8, 32, 128, 512, 2048]
STATS = {"startup": "lat_us", "ipc": "lat_us", "counter": "ns_per_inc", "grain": "par_s",
         "paths": "time_s"}

# The ping-pongs, whose rows carry avg_us (the mean of the round trips, osu_latency's figure).
PINGPONG = {
    "posix": ("pipe", "socketpair", "shm", "shm_spin"),
    "mpi": ("mpi_pingpong", "mpi_pingpong_one_buffer"),
}

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, fail, failures, status  # noqa: E402


def run(cmd, timeout=120):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def is_stats(v):
    """{min, median, max, ci_low, ci_high}: in order, and the median's interval (null below six
    samples) around the median, between min and max."""
    if not (isinstance(v, dict) and set(v) == {"min", "median", "max", "ci_low", "ci_high"}
            and v["min"] <= v["median"] <= v["max"] and v["min"] >= 0):
        return False
    lo, hi = v["ci_low"], v["ci_high"]
    return (lo is None and hi is None) or (
        is_number(lo) and is_number(hi) and v["min"] <= lo <= v["median"] <= hi <= v["max"])


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# Methods whose tasks a parent process hands out, and so have its CPU per task.
PARENT = ("posix_pool", "pool_map")


def check_grain_fields(where, r):
    """What the tasks of a grain point took: grain_measured_us > 0, grain_off a bool that agrees
    with the 20% rule recomputed here, and parent_cpu_us >= 0 where it is (always for a pool)."""
    m, g, off = r.get("grain_measured_us"), r.get("grain_us"), r.get("grain_off")
    if not is_number(m) or not m > 0:
        fail(f"{where}: grain_measured_us {m!r}, not a number above 0")
    elif not isinstance(off, bool):
        fail(f"{where}: grain_off {off!r}, not a bool")
    elif is_number(g) and g > 0:
        dev = abs(m / g - 1)
        # a figure printed to 9 digits may land on either side of the line itself
        if off != (dev > 0.20) and abs(dev - 0.20) > 1e-6:
            fail(f"{where}: grain_off {off} with {m} us measured for {g} us "
                 f"({100 * dev:.1f}% off)")
    cpu = r.get("parent_cpu_us")
    if cpu is None and r.get("method") in PARENT:
        fail(f"{where}: no parent_cpu_us")
    elif cpu is not None and (not is_number(cpu) or cpu < 0):
        fail(f"{where}: parent_cpu_us {cpu!r}, not a number of at least 0")


def check_records(backend, exp, recs):
    want = METHODS[backend][exp]
    got = [r["method"] for r in recs]
    for m in want:
        if m not in got:
            fail(f"{exp}: no '{m}' record (got {sorted(set(got))})")
    for r in recs:
        where = f"{exp} {r.get('method')}"
        for k in ("kind", "backend", "experiment", "method", "ok"):
            if k not in r:
                fail(f"{where}: no '{k}'")
                return
        if r["kind"] != "bench" or r["experiment"] != exp:
            fail(f"{where}: kind '{r['kind']}', experiment '{r['experiment']}'")
        if r["backend"] != backend and not (backend == "python" and r["method"] ==
                                            "mpirun_to_init"):
            fail(f"{where}: backend '{r['backend']}'")
        if r["ok"] is not True and not r.get("expected_race"):
            fail(f"{where}: a checked quantity is wrong: {r}")
        if not is_stats(r.get(STATS[exp])):
            fail(f"{where}: '{STATS[exp]}' is not {{min, median, max, ci_low, ci_high}}: "
                 f"{r.get(STATS[exp])}")
        if exp == "ipc" and r["method"] in PINGPONG.get(backend, ()):
            avg, lat = r.get("avg_us"), r.get("lat_us")
            # a mean lies between the least and the greatest sample (both printed to 9 digits)
            if not is_number(avg) or not is_stats(lat) or \
                    not lat["min"] * (1 - 1e-6) <= avg <= lat["max"] * (1 + 1e-6):
                fail(f"{where}: avg_us {avg!r} is not within lat_us {lat!r}")
        if "bytes_sent" in r and r["bytes_sent"] != r.get("bytes_received"):
            fail(f"{where}: sent {r['bytes_sent']} bytes, received {r.get('bytes_received')}")
        if exp == "counter":
            if r.get("count") != 1001:
                fail(f"{where}: count {r.get('count')}, asked 1001")
            if r.get("final") != 1001 and not r.get("expected_race"):
                fail(f"{where}: final count {r.get('final')}, not 1001")
        if exp == "paths":
            if r.get("images") != 3 or r.get("image_bytes") != 64 * 33:
                fail(f"{where}: images {r.get('images')} of {r.get('image_bytes')} bytes")
            if not r.get("bytes_moved", 0) > 0:
                fail(f"{where}: bytes_moved {r.get('bytes_moved')}")
        if exp == "grain":
            if r.get("grain_us") not in (10, 100) or not r.get("tasks", 0) >= 4:
                fail(f"{where}: grain {r.get('grain_us')} us, {r.get('tasks')} tasks")
            if not r.get("speedup", 0) > 0:
                fail(f"{where}: speedup {r.get('speedup')}")
            check_grain_fields(where, r)
    if exp == "ipc":
        for m in want:
            sizes = [r["size"] for r in recs if r["method"] == m]
            if sizes != IPC_SIZES:
                fail(f"ipc {m}: sizes {sizes}, expected {IPC_SIZES}")
    if exp == "grain":
        grains = sorted({r["grain_us"] for r in recs})
        if grains != [10, 100]:
            fail(f"grain: grains {grains}, expected [10, 100]")
        if backend in ("posix", "python"):
            cs = sorted({r.get("chunksize") for r in recs})
            if cs != [0, 1, 4, 16, 64]:
                fail(f"grain: chunksizes {cs}, expected [0 (map's default), 1, 4, 16, 64]")
            for r in recs:
                if r.get("chunksize") == 0 and not r.get("chunksize_used", 0) >= 1:
                    fail(f"grain: map's default chunksize used {r.get('chunksize_used')}")


def check_text(prefix, exp, bench=("bench",), columns=()):
    """The OSU-style table: '#' lines, then rows of as many columns as the header names; every
    row under a header that names all of columns."""
    r = run(prefix + list(bench) + [exp] + TINY[exp])
    if r.returncode != 0:
        fail(f"text {exp}: exit {r.returncode}: {r.stderr.strip()}")
        return
    header = None
    rows = 0
    for line in r.stdout.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            header = line[1:].split()
            continue
        if header is None:
            fail(f"text {exp}: a row before any header: {line!r}")
            return
        if len(line.split()) != len(header):
            fail(f"text {exp}: {len(line.split())} columns under {len(header)} names: {line!r}")
        missing = [c for c in columns if c not in header]
        if missing:
            fail(f"text {exp}: no column {', '.join(missing)} in {header}")
            return
        rows += 1
    if rows == 0:
        fail(f"text {exp}: no rows")


def check_bad(prefix, args, what):
    r = run(prefix + args)
    lines = r.stderr.strip().splitlines()
    if r.returncode != 2 or r.stdout.strip():
        fail(f"bad input {args}: exit {r.returncode}, stdout {r.stdout[:200]!r}")
    elif not any(what in ln for ln in lines):
        fail(f"bad input {args}: stderr does not name '{what}': {r.stderr!r}")
    else:
        check(True, f"bad input {args}: exit 2, naming '{what}'")


def check_report(build):
    """bench_report.py --quick: the five sections, their tables and the plots' data files."""
    import shutil
    import tempfile
    out = tempfile.mkdtemp(prefix="gilfree-bench-report-")
    try:
        r = run([sys.executable, build["script"], "--quick", "--build", build["dir"],
                 "--out", out], timeout=300)
        if r.returncode != 0:
            fail(f"bench_report.py: exit {r.returncode}: {r.stdout[-800:]} {r.stderr[-800:]}")
            return
        with open(f"{out}/bench.md", encoding="utf-8") as f:
            md = f.read()
        for title in ("### Start-up", "### IPC by payload size", "### Shared state",
                      "### Grain size", "### Paths, not frames"):
            if title not in md:
                fail(f"bench.md has no section '{title}'")
        if md.count("| lecture claim |") != 5:
            fail(f"bench.md: {md.count('| lecture claim |')} claim tables, expected 5")
        files = os.listdir(out)
        for stem in ("bench_ipc_latency", "bench_ipc_bandwidth", "bench_grain_speedup"):
            if f"{stem}.gp" not in files or f"{stem}_0.dat" not in files:
                fail(f"bench_report.py wrote no {stem}.gp and data")
            if shutil.which("gnuplot") and f"{stem}.png" not in files:
                fail(f"bench_report.py drew no {stem}.png")
        if "bench_records.jsonl" not in files:
            fail("bench_report.py wrote no bench_records.jsonl")
        bad = run([sys.executable, build["script"], "--build", "/nonexistent"])
        if bad.returncode != 2 or "/nonexistent" not in bad.stderr:
            fail(f"bench_report.py --build /nonexistent: exit {bad.returncode}")
    finally:
        shutil.rmtree(out, ignore_errors=True)


def counted(what, fn, *args, **kw):
    """Runs one of the check_ functions, which say only their failures, and counts it as one
    check passed when it found none: status() fails a script that counted nothing."""
    before = len(failures)
    fn(*args, **kw)
    if len(failures) == before:
        check(True, what)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--binary")
    p.add_argument("--backend", choices=sorted(METHODS))
    p.add_argument("--report", nargs=2, metavar=("SCRIPT", "BUILD"),
                   help="check bench_report.py --quick against a build folder instead")
    p.add_argument("--launcher", default="", help="e.g. 'mpiexec -n 2'")
    p.add_argument("--single", metavar="LAUNCHER", help="mpi: a one-rank launcher, under which "
                   "ipc and paths must be refused with exit status 2")
    p.add_argument("--mpi", help="python: also time mpiexec to MPI_Init with this gilfree-mpi")
    a = p.parse_args()
    if a.report:
        counted("bench_report.py --quick", check_report,
                {"script": a.report[0], "dir": a.report[1]})
        return status()
    if not a.binary or not a.backend:
        p.error("--binary and --backend are needed")
    if a.mpi:
        TINY["startup"] += ["--mpi", a.mpi, "--workers", "2"]
        METHODS["python"]["startup"].append("mpirun_to_init")
    if a.backend == "python":
        prefix = [sys.executable, a.binary]
    else:
        prefix = shlex.split(a.launcher) + [a.binary]
    # the Python script takes the experiment without the "bench" word
    bench = [] if a.backend == "python" else ["bench"]
    tmp = os.environ.get("TMPDIR") or "/tmp"
    images_before = set(glob.glob(os.path.join(tmp, "gilfree-images-*")))

    for exp in TINY:
        r = run(prefix + bench + [exp] + TINY[exp] + ["--format", "json"])
        if r.returncode != 0:
            fail(f"{exp}: exit {r.returncode}: {r.stderr.strip()[-500:]}")
            continue
        try:
            recs = [json.loads(ln) for ln in r.stdout.splitlines() if ln.strip()]
        except json.JSONDecodeError as e:
            fail(f"{exp}: not one json object per line: {e}")
            continue
        counted(f"{exp}: records", check_records, a.backend, exp, recs)
        print(f"{exp}: {len(recs)} records checked")

    if a.backend == "python":
        counted("text table", check_text, prefix, "grain", bench=(),
                   columns=("grain_us", "grain_measured_us", "grain_off", "parent_cpu_us"))
    else:
        counted("text table", check_text, prefix, "ipc")
        r = run(prefix + ["bench", "--help"])
        if r.returncode != 0 or "usage" not in r.stdout:
            fail(f"bench --help: exit {r.returncode}")
    check_bad(prefix, bench + ["nosuch"], "nosuch")
    check_bad(prefix, bench + ["ipc", "--max-size", "0"], "--max-size")
    check_bad(prefix, bench + ["ipc", "--iters", "x"], "--iters")
    check_bad(prefix, bench + ["counter", "--count", "1", "--workers", "2"], "--count")
    check_bad(prefix, bench + ["grain", "--min-grain", "100", "--max-grain", "10"],
              "--max-grain")
    if a.backend != "python":
        check_bad(prefix, ["bench"], "experiment")
        check_bad(prefix, ["bench", "paths", "--format", "csv"], "--format")
    if a.single:
        for exp in ("ipc", "paths"):
            r = run(shlex.split(a.single) + [a.binary, "bench", exp] + TINY[exp])
            if r.returncode != 2 or "at least 2 ranks" not in r.stderr or r.stdout.strip():
                fail(f"{exp} on one rank: exit {r.returncode}, stderr {r.stderr[-300:]!r}")
    left = set(glob.glob(os.path.join(tmp, "gilfree-images-*"))) - images_before
    if left:
        fail(f"image files left behind: {sorted(left)}")
    return status()


if __name__ == "__main__":
    sys.exit(main())
