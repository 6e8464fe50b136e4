#!/usr/bin/env python3
"""gilfree-mpi-sim on simulated clusters (scripts/gilfree/simulate.py, compare.py --simulate).

- results: class S of every workload and a parameter set that is no class, on 16 and 64
  simulated ranks of the shipped platform ib-edr-64: each run verified, its results identical
  to gilfree-omp's with the same parameters and workers, every phase of every repetition and
  MPI_Init's time non-negative, every phase inside its repetition's parallel time, each rank
  on the simulated host its hostfile gave it.
- scaling: 4096 equal images on 16 and on 64 simulated ranks: the 64 ranks' simulated
  parallel time is the shorter (no figure is expected, only the order).
- bad: compare.py with a --simulate or --sim-ranks it must refuse (a missing file, an unknown
  name, a file that is not a platform, empty, not a number, 0, over 1024, twice, more ranks
  than the platform's cores, --sim-ranks without --simulate): exit 2, one line naming the
  value, no results folder, nothing in the temporary folder.
- determinism: the same simulated runs twice (primes' class S and short resize tasks on 64
  ranks of ib-edr-64): parallel times and every phase within 1% of each other, each task
  charged its modelled operations (its simulated time the cost model's, within 1%).
- limits: gilfree-mpi-sim takes --workers 4096 (past the real build's 1024; refused only for
  its world of one rank) and refuses 16385; gilfree-mpi refuses 1025; a bad GF_SIM_COST
  weight is refused: each exit 2, one line naming the value.
- compare: compare.py --simulate ib-edr-16 --sim-ranks 16,64 --sim-quick beside a small
  measured matrix (and, where a virtual cluster can be built, --vcluster 2): exit 0, mpi-sim
  records verified and apart from the measured rows, the report's section with its
  validation table and errors, each run across the virtual cluster simulated; then the same
  stopped by SIGTERM while it simulates: exit 143, the records saying so.
After each part: nothing left in the temporary folder (TMPDIR, made for the test) and no
process of the simulation.

  sim_check.py --build build [--only results|scaling|determinism|limits|bad|compare]
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from gilfree import cluster, launch, simulate  # noqa: E402
from gilfree.crosscheck import diff_results  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, status  # noqa: E402

COMPARE = os.path.join(ROOT, "scripts", "compare.py")
ENV = dict(os.environ, **launch.MPI_ENV)
ENV.pop("OMP_NUM_THREADS", None)

# Parameters of this test only: an odd n, limits in no order, images of an odd size.
HIDDEN = [
    ("sum", ["--n", "123457"]),
    ("primes", ["--limits", "7919,1001,31337,2"]),
    ("resize", ["--images", "13", "--width", "333", "--height", "77"]),
]
CLASS_S = [(wl, ["--class", "S"]) for wl in ("sum", "primes", "resize")]

class Progress:
    quiet = True

    def say(self, msg):
        pass


def leftovers(tmp):
    """What a simulation left: files in the temporary folder, processes naming it."""
    files = os.listdir(tmp)
    procs = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if tmp in cmd and "sim_check.py" not in cmd:
            procs.append(f"{pid}: {cmd[:120]}")
    return files, procs


def check_clean(tmp, what):
    files, procs = leftovers(tmp)
    check(not files and not procs, f"{what}: nothing left (files {files[:3]}, processes "
          f"{procs[:3]})")


def simulation(build, out):
    env = dict(ENV)
    cal, bad = simulate.calibrate(build, env)
    check(cal is not None and cal["host_speed"] > 0, f"calibration: {bad or 'a speed'}")
    ping, bad = simulate.pingpong(build, env, True)
    check(ping is not None and ping["lat_s"] > 0 and ping["bw_Bps"] > 0,
          f"ping-pong: {bad or 'a latency and a bandwidth'}")
    return simulate.Simulation(build, out, cal, ping)


def lst(wl, args):
    return (wl, "strong", f"{wl} {' '.join(args)}", lambda p: [wl] + args)


def omp_run(build, wl, args, workers):
    argv = [os.path.join(build, "bin", "gilfree-omp"), wl, *args, "--workers", str(workers),
            "--reps", "1", "--format", "json"]
    r = subprocess.run(argv, capture_output=True, text=True, env=ENV, timeout=120)
    return json.loads(r.stdout) if r.returncode == 0 else None


def check_phases(rec, what):
    """Every phase sample and MPI_Init non-negative, each phase within its repetition."""
    samples = rec.get("samples", {})
    par = samples.get("par_s") or []
    phases = samples.get("phases") or {}
    bad = []
    for name, got in phases.items():
        for i, v in enumerate(got):
            if v < 0 or (i < len(par) and v > par[i] * (1 + 1e-9) + 1e-12):
                bad.append(f"{name}[{i}]={v} (parallel {par[i] if i < len(par) else '?'})")
    setup = rec.get("setup_s", {})
    bad += [f"{k}={v}" for k, v in setup.items() if v < 0]
    check(par and phases and all(p >= 0 for p in par) and not bad,
          f"{what}: phases non-negative and inside the run's span {bad[:3]}")


def test_results(build, tmp):
    out = tempfile.mkdtemp(dir=tmp, prefix="out-")
    plat = simulate.Platform("ib-edr-64")
    sim = simulation(build, out)
    try:
        for ranks in (16, 64):
            for wl, args in CLASS_S + HIDDEN:
                what = f"{wl} {' '.join(args)} on {ranks} simulated ranks"
                rec, failure = sim.run(plat, ranks, lst(wl, args), 2, "strong", ENV)
                check(failure is None and rec.get("verified") is True, f"{what}: verified "
                      f"({failure or rec.get('notes')})")
                if failure:
                    continue
                ref = omp_run(build, wl, args, ranks)
                check(ref is not None and not diff_results(ref, rec),
                      f"{what}: results identical to gilfree-omp's")
                check_phases(rec, what)
                want = plat.slots(ranks)
                got = [p["host"] for p in sorted(rec["placement"], key=lambda p: p["worker"])]
                check(got == want, f"{what}: each rank on its hostfile's host")
    finally:
        sim.close()
    shutil.rmtree(out)
    check_clean(tmp, "results")


def test_scaling(build, tmp):
    out = tempfile.mkdtemp(dir=tmp, prefix="out-")
    plat = simulate.Platform("ib-edr-64")
    sim = simulation(build, out)
    images = lst("resize", ["--images", "4096", "--width", "960", "--height", "540"])
    try:
        got = {}
        for ranks in (16, 64):
            rec, failure = sim.run(plat, ranks, images, 2, "strong", ENV)
            check(failure is None and rec.get("verified"), f"4096 images, {ranks} ranks: "
                  f"verified ({failure})")
            got[ranks] = rec["par_s"]["median"] if not failure else None
    finally:
        sim.close()
    check(None not in got.values() and got[64] < got[16],
          f"4096 equal images: 64 simulated ranks faster than 16 ({got})")
    shutil.rmtree(out)
    check_clean(tmp, "scaling")


def test_determinism(build, tmp):
    out = tempfile.mkdtemp(dir=tmp, prefix="out-")
    plat = simulate.Platform("ib-edr-64")
    sim = simulation(build, out)
    lists = [lst("primes", ["--class", "S"]),
             lst("resize", ["--images", "512", "--width", "96", "--height", "54"])]
    try:
        for one in lists:
            a, fa = sim.run(plat, 64, one, 2, "strong", ENV)
            b, fb = sim.run(plat, 64, one, 2, "strong", ENV)
            check(fa is None and fb is None and a["verified"] and b["verified"],
                  f"{one[2]}, 64 ranks twice: verified ({fa or fb})")
            if fa or fb:
                continue
            pairs = [("parallel", a["par_s"]["median"], b["par_s"]["median"])]
            pairs += [(k, v["median"], b["phases"][k]["median"])
                      for k, v in a["phases"].items()]
            off = [(k, x, y) for k, x, y in pairs if abs(x - y) > 0.01 * max(x, y)]
            check(not off, f"{one[2]}, 64 ranks twice: the same times within 1% {off[:3]}")
        # each task's simulated time is its modelled operations at the calibrated speed
        w = sim.cal["weights"]
        want = (w["resize"] * (96 * 54 // 100) + w.get("task", 0.0)) / sim.cal["host_speed"]
        tasks = b.get("task_s") or []
        # (SMPI charges a reading of its clock, smpi/wtime, 10 ns a reading by default)
        check(tasks and all(abs(t - want) <= 0.01 * want + 2e-8 for t in tasks),
              f"each resize task charged its modelled time {want:.3g} s ({tasks[:2]})")
    finally:
        sim.close()
    shutil.rmtree(out)
    check_clean(tmp, "determinism")


def one_rank(build, tmp, binary, args, env=None):
    """binary (gilfree-mpi-sim under smpirun, or gilfree-mpi under mpirun) on one rank."""
    if binary == simulate.SIM_BINARY:
        plat = os.path.join(tmp, "one.xml")
        hosts = os.path.join(tmp, "one.txt")
        with open(plat, "w", encoding="utf-8") as f:
            f.write(simulate.Platform("this-machine").fill(
                {"SPEED": "1e9f", "CORES": 1, "LOOP_LAT": "1us", "LOOP_BW": "1GBps"}))
        with open(hosts, "w", encoding="utf-8") as f:
            f.write("here-0\n")
        argv, add = launch.command("smpirun", [os.path.join(build, "bin", binary), *args],
                                   ranks=1, hostfile=hosts, platform=plat,
                                   extra=[f"--cfg=smpi/tmpdir:{tmp}",
                                          "--log=root.thres:critical"])
    else:
        argv, add = launch.command("mpirun", [os.path.join(build, "bin", binary), *args],
                                   ranks=1)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                       env={**ENV, **add, **(env or {})})
    for f in ("one.xml", "one.txt"):
        if os.path.exists(os.path.join(tmp, f)):
            os.unlink(os.path.join(tmp, f))
    return r.returncode, [ln for ln in r.stderr.splitlines() if ln.startswith("gilfree")]


def test_limits(build, tmp):
    cases = [
        (simulate.SIM_BINARY, ["sum", "--workers", "4096"], None,
         "invalid --workers '4096': the MPI world has 1 rank"),
        (simulate.SIM_BINARY, ["sum", "--workers", "16385"], None, "'16385': too large"),
        ("gilfree-mpi", ["sum", "--workers", "1025"], None, "'1025': too large (at most 1024)"),
        (simulate.SIM_BINARY, ["sum"], {"GF_SIM_COST": "sum=2,primes=-1"}, "'-1'"),
        (simulate.SIM_BINARY, ["sum"], {"GF_SIM_COST": "sums=2"}, "'sums=2'"),
        (simulate.SIM_BINARY, ["sum"], {"GF_SIM_COST": "sum=2,task=-0.5"}, "'-0.5'"),
    ]
    for binary, args, env, needle in cases:
        rc, lines = one_rank(build, tmp, binary, args, env)
        check(rc == 2 and len(lines) == 1 and needle in lines[0],
              f"{binary} {' '.join(args)} {env or ''}: exit 2, one line naming {needle!r} "
              f"({rc}: {lines[:2]})")
    check_clean(tmp, "limits")


def compare(build, tmp, args, out, quiet=True, **kw):
    argv = [sys.executable, COMPARE, "--build", build, "-o", out, *(["-q"] if quiet else []),
            *args]
    env = dict(ENV, TMPDIR=tmp)
    kw.setdefault("stdout", subprocess.PIPE)
    return subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, env=env, **kw)


def test_bad(build, tmp):
    notxml = os.path.join(tmp, "notxml.xml")
    with open(notxml, "w", encoding="utf-8") as f:
        f.write("not a platform\n")
    kept = os.path.join(tmp, "kept.jsonl")  # an earlier simulation's calibration records
    with open(kept, "w", encoding="utf-8") as f:
        f.write(json.dumps({"kind": "sim_calibration", "host_speed": 1e9,
                            "weights": {"sum": 2}}) + "\n")
        f.write(json.dumps({"kind": "sim_pingpong", "lat_s": 1e-6, "bw_Bps": 1e9,
                            "sweep": [[8, 1e-6]]}) + "\n")
    cases = [
        (["--simulate", os.path.join(tmp, "missing.xml")], "missing.xml"),
        (["--simulate", "no-such-platform"], "no-such-platform"),
        (["--simulate", notxml], "notxml.xml"),
        (["--simulate", "ib-edr-16", "--sim-ranks", ""], "''"),
        (["--simulate", "ib-edr-16", "--sim-ranks", "16,x"], "'x'"),
        (["--simulate", "ib-edr-16", "--sim-ranks", "0"], "'0'"),
        (["--simulate", "ib-edr-16", "--sim-ranks", "16385"], "'16385'"),
        (["--simulate", "ib-edr-16", "--sim-lists", "nosuch"], "'nosuch'"),
        (["--simulate", "ib-edr-16", "--sim-calibration", notxml], "notxml.xml"),
        (["--simulate", "ib-edr-16", "--sim-ranks", "16,64,16"], "16 twice"),
        (["--simulate", "ib-edr-16", "--sim-ranks", "16,"], "empty item"),
        (["--simulate", "ib-edr-16", "--sim-ranks", "512"], "512 ranks"),
        (["--simulate", "this-machine", "--sim-ranks", "1024"], "1024 ranks"),
        (["--sim-ranks", "16"], "--sim-ranks needs --simulate"),
        (["--sim-recalibrate"], "--sim-recalibrate needs --simulate"),
        (["--simulate", "ib-edr-16", "--sim-calibration", kept, "--sim-recalibrate"],
         "--sim-recalibrate"),
    ]
    for args, needle in cases:
        out = os.path.join(tmp, "bad-out")
        p = compare(build, tmp, args, out)
        stdout, stderr = p.communicate(timeout=60)
        lines = stderr.strip().splitlines()
        check(p.returncode == 2 and len(lines) == 1 and needle in lines[0] and not stdout
              and not os.path.exists(out),
              f"bad {args}: exit 2, one line naming {needle!r} ({p.returncode}: {lines[:2]})")
    os.unlink(notxml)
    os.unlink(kept)
    check_clean(tmp, "bad")


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


SMALL = ["--only", "backend=mpi", "--workers", "2", "--classes", "S", "--python-classes",
         "none", "--reps", "2", "--simulate", "ib-edr-16", "--sim-ranks", "16,64",
         "--sim-quick"]


def test_compare(build, tmp):
    # the results folders beside the temporary folder, which must be left empty
    work = tempfile.mkdtemp(dir=os.path.dirname(tmp), prefix="gilfree-simout-")
    out = os.path.join(work, "cmp")
    why = cluster.missing()
    if why:
        print(f"not checked: the runs across a virtual cluster simulated ({why})")
    vc = [] if why else ["--vcluster", "2", "--bench-quick"]
    p = compare(build, tmp, SMALL + vc, out)
    stdout, stderr = p.communicate(timeout=600)
    check(p.returncode == 0, f"compare --simulate: exit 0 ({p.returncode}: "
          f"{stderr.strip()[-300:]})")
    recs = read_jsonl(os.path.join(out, "records.jsonl"))
    sims = [r for r in recs if r.get("kind") == "sim"]
    runs = [r for r in recs if r.get("kind", "run") == "run"]
    check(sims and all(r["label"] == "mpi-sim" and r["verified"] is True for r in sims),
          f"{len(sims)} mpi-sim records, all verified")
    check({r["workers"] for r in sims if r["scaling"] not in ("validation", "vcluster")}
          == {16, 64},
          "simulated at 16 and 64 ranks")
    check(runs and all(r["label"] != "mpi-sim" for r in runs), "no simulated row among the "
          "measured runs")
    check(any(r.get("kind") == "sim_calibration" and r["host_speed"] > 0 for r in recs),
          "the calibrated speed recorded")
    # calibrated once: kept in the build folder for the next simulation, or taken from there
    cal = next((r for r in recs if r.get("kind") == "sim_calibration"), {})
    kept = simulate.stored(build, True)
    check(kept is not None and (cal.get("stored_in") or cal.get("reused_from"))
          == simulate.store_path(build, True) and kept[0]["weights"] == cal["weights"],
          f"the calibration kept in {simulate.store_path(build, True)} and recorded as such")
    check(os.path.isfile(os.path.join(out, "sim", "platform-ib-edr-16.xml")) and
          os.path.isfile(os.path.join(out, "sim", "hostfile-ib-edr-16-64.txt")),
          "platform and hostfile in the results folder")
    with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
        report = f.read()
    sec = report[report.find("## Simulated clusters"):]
    check("## Simulated clusters" in report and "simulated" in sec and
          "### Validation" in sec and "%" in sec.split("### Validation")[1] and
          "Where each workload stops scaling" in sec, "the report's section: simulated, "
          "validation with errors, where scaling stops")
    check(not any(line.startswith("| mpi-sim") for line in
                  report[:report.find("## Simulated clusters")].splitlines()),
          "no mpi-sim row in the measured tables")
    if vc:
        across = [r for r in recs if r.get("kind", "run") == "run" and "@" in r["label"]
                  and r["backend"] == "mpi"]
        simulated = [r for r in sims if r["scaling"] == "vcluster"]
        check(across and len(simulated) == len(across) and
              all(r["verified"] is True for r in simulated),
              f"each of the {len(across)} runs across the virtual cluster simulated, verified")
        check("The runs across the virtual cluster" in sec and "mpi@spread" in sec,
              "the report's table of the virtual cluster, measured and simulated")
    check_clean(tmp, "compare")
    # stopped while it simulates
    out2 = os.path.join(work, "cmp-stop")
    p = compare(build, tmp, SMALL, out2, quiet=False, stdout=subprocess.DEVNULL,
                start_new_session=True)
    seen, t0 = False, time.monotonic()
    for line in p.stderr:  # progress lines: stop at the first simulated run on the platform
        if "on ib-edr-16" in line:
            seen = True
            break
        if time.monotonic() - t0 > 300:
            break
    time.sleep(0.3)
    p.send_signal(signal.SIGTERM)
    p.stderr.read()
    p.wait(timeout=120)
    check(seen and p.returncode == 143, f"SIGTERM while simulating: exit 143 ({p.returncode})")
    recs = read_jsonl(os.path.join(out2, "records.jsonl"))
    check(any(r.get("kind") == "interrupted" for r in recs), "the records say it was "
          "interrupted")
    time.sleep(0.5)
    check_clean(tmp, "compare stopped by SIGTERM")
    shutil.rmtree(work)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--only", choices=("results", "scaling", "determinism", "limits", "bad",
                                       "compare"))
    opts = ap.parse_args()
    build = os.path.abspath(opts.build)
    why = simulate.missing(build)
    if why:
        print(f"skipped: {why}")
        return 77
    tmp = tempfile.mkdtemp(prefix="gilfree-simtest-")
    os.environ["TMPDIR"] = tmp  # the simulations' temporary folders go here
    tempfile.tempdir = None
    try:
        for name, fn in (("results", test_results), ("scaling", test_scaling),
                         ("determinism", test_determinism), ("limits", test_limits),
                         ("bad", test_bad), ("compare", test_compare)):
            if opts.only in (None, name):
                fn(build, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return status()


if __name__ == "__main__":
    sys.exit(main())
