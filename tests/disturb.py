#!/usr/bin/env python3
"""The disturbance mark, --bind and the placement of one gilfree binary, from the outside.

  - a planted disturbance is caught: a spinning process pinned to worker 0's CPU, beside a
    run with --bind on 2 workers, makes the record say "disturbed": true, with a least share
    below the threshold, worker 0's own share below it, and the text report say so in its
    "disturbed:" line;
  - the same spinner beside short tasks (class S), beside worker 1, is caught too: by the late
    start it causes where the shares see nothing;
  - the fields are there and agree with each other on runs without a planted spinner (which
    may or may not be disturbed: the machine is shared, so no check asks for a quiet run):
    a CPU time per worker, a share per repetition, the counts, the placement, "bind", csv's
    two columns and the text's placement line;
  - --bind pins: the workers' own Cpus_allowed_list (/proc), read while they run, is one CPU
    each, worker w's the (w mod n)-th of the n CPUs this process may use, and the placement
    says the same; more workers than CPUs get one warning line; without --bind nothing is
    pinned;
  - --bind takes no value: --bind=yes exits 2 with one line naming it, and prints nothing.

  disturb.py --binary build/bin/gilfree-omp --backend omp
  disturb.py --binary build/bin/gilfree-mpi --backend mpi --launcher 'mpiexec -n {workers}'

MPI runs are made without Open MPI's own binding (OMPI_MCA_hwloc_base_binding_policy=none),
so that every rank may use every CPU and --bind alone decides where each rank goes.
"""
import argparse
import collections
import json
import os
import shlex
import socket
import subprocess
import sys
import time

failures = []
CPUS = sorted(os.sched_getaffinity(0))  # the binary inherits this set, in mask order


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def command(args, workers, extra):
    cmd = shlex.split(args.launcher.format(workers=workers)) if args.launcher else []
    cmd.append(args.binary)
    cmd += extra
    if not args.launcher:
        cmd += ["--workers", str(workers)]
    return cmd


def env_for(args):
    env = dict(os.environ)
    if args.backend == "mpi":
        env["OMPI_MCA_hwloc_base_binding_policy"] = "none"
        env["OMPI_MCA_orte_execute_quiet"] = "1"  # no banner of mpirun's after exit 2
    return env


def start(args, workers, extra):
    return subprocess.Popen(command(args, workers, extra), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env_for(args))


def run(args, workers, extra, timeout=120, nice=0):
    """The binary's run; with nice above 0, the run (launcher and ranks alike) at that much
    less priority, which any user may ask."""
    return subprocess.run(command(args, workers, extra), capture_output=True, text=True,
                          timeout=timeout, env=env_for(args),
                          preexec_fn=(lambda: os.nice(nice)) if nice else None)


def record(args, workers, extra, what, nice=0):
    out = run(args, workers, extra + ["--format", "json"], nice=nice)
    if not check(out.returncode == 0, f"{what}: exit {out.returncode} {out.stderr.strip()!r}"):
        return None
    try:
        return json.loads(out.stdout)
    except ValueError:
        check(False, f"{what}: json does not parse: {out.stdout!r}")
        return None


def allowed(path):
    """The Cpus_allowed_list of a /proc status file, as a set, or None once it is gone."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("Cpus_allowed_list:"):
                    cpus = set()
                    for part in line.split(":", 1)[1].strip().split(","):
                        lo, _, hi = part.partition("-")
                        cpus.update(range(int(lo), int(hi or lo) + 1))
                    return cpus
    except OSError:
        return None
    return None


class Spinner:
    """A busy loop in a process of its own, pinned to one CPU, for as long as the block."""

    def __init__(self, cpu):
        self.cpu = cpu
        code = f"import os\nos.sched_setaffinity(0, {{{cpu}}})\nwhile True:\n    pass\n"
        self.proc = subprocess.Popen([sys.executable, "-c", code])

    def __enter__(self):
        # pinned and spinning before the run starts
        deadline = time.monotonic() + 10
        while allowed(f"/proc/{self.proc.pid}/status") != {self.cpu}:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the spinner did not pin itself")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


def consistent(rec, workers, reps, bind, what):
    """The fields of the mark and of the placement, and how they agree."""
    d, shares, cpu = rec.get("disturbance"), rec.get("samples", {}).get("cpu_share"), \
        rec.get("cpu_s")
    if not check(isinstance(d, dict) and isinstance(shares, list) and isinstance(cpu, list)
                 and isinstance(rec.get("disturbed"), bool),
                 f"{what}: cpu_s, samples.cpu_share, disturbed and disturbance are there"):
        return
    busy = rec["busy_s"]
    check(len(cpu) == workers and all(c is None or c >= 0 for c in cpu) and
          all(c is not None and c > 0 for c, b in zip(cpu, busy) if b > 0),
          f"{what}: a CPU time for each of {workers} workers, every busy one's measured: {cpu}")
    check(len(shares) == reps and all(s is None or s > 0 for s in shares) and
          any(s is not None for s in shares),
          f"{what}: a share above 0 for each of {reps} repetitions: {shares}")
    known = [s for s in shares if s is not None]
    t = d["threshold"]
    check(d["reps"] == reps and 0 <= d["reps_disturbed"] <= d["reps"],
          f"{what}: reps_disturbed {d['reps_disturbed']} of reps {d['reps']}")
    check(t is not None and 0 < t <= 0.9, f"{what}: threshold {t} in (0, 0.9]")
    check(d["cpu_share_min"] == min(known), f"{what}: cpu_share_min {d['cpu_share_min']} is "
          f"the least share of {known}")
    # one host, where every worker is held to the same threshold
    # disturbed: a share below the threshold, a late start or a slow sequential repetition
    check(d["reps_disturbed"] == sum(s < t for s in known) and
          rec["disturbed"] == (d["reps_disturbed"] > 0 or d["late_start_reps"] > 0 or
                               d["seq_reps_disturbed"] > 0) and
          d["seq_disturbed"] == (d["seq_reps_disturbed"] > 0) and
          0 <= d["late_start_reps"] <= reps and 0 <= d["seq_reps_disturbed"] <= d["seq_reps"],
          f"{what}: disturbed {rec['disturbed']} and reps_disturbed {d['reps_disturbed']} "
          f"as the shares {known} against {t}, late starts {d['late_start_reps']}, slow "
          f"sequential {d['seq_reps_disturbed']} of {d['seq_reps']}")
    check(all(d[k] is None or d[k] >= 0 for k in ("steal_s", "others_cpu_s")),
          f"{what}: steal_s {d['steal_s']}, others_cpu_s {d['others_cpu_s']}")
    check(rec.get("bind") is bind, f"{what}: bind {rec.get('bind')}")
    place = rec.get("placement", [])
    host = socket.gethostname()[:255]
    check([p.get("worker") for p in place] == list(range(workers)) and
          all(p.get("host") == host and p.get("cpu") in CPUS for p in place),
          f"{what}: one placement per worker, on {host}, on CPUs of {CPUS}: {place}")
    if bind:
        check([p["cpu"] for p in place] == [CPUS[w % len(CPUS)] for w in range(workers)],
              f"{what}: worker w on CPU w mod {len(CPUS)} of {CPUS}: {place}")


def planted(args):
    """A spinner on worker 0's CPU: the run is marked disturbed, and worker 0 below the
    threshold."""
    target = CPUS[0]
    with Spinner(target):
        rec = record(args, 2, ["sum", "--class", "W", "--reps", "5", "--bind"], "planted")
        text = run(args, 2, ["sum", "--class", "W", "--reps", "3", "--bind"])
    if rec:
        d = rec["disturbance"]
        check(rec["verified"] and rec["disturbed"] is True,
              f"planted: disturbed {rec['disturbed']}: {d}")
        check(d["cpu_share_min"] is not None and d["cpu_share_min"] < d["threshold"] and
              d["reps_disturbed"] >= 1,
              f"planted: cpu_share_min {d['cpu_share_min']} below threshold {d['threshold']} "
              f"in {d['reps_disturbed']} repetitions")
        check(rec["placement"][0]["cpu"] == target,
              f"planted: worker 0 on the spinner's CPU {target}: {rec['placement']}")
        share0 = rec["cpu_s"][0] / rec["busy_s"][0] if rec["busy_s"][0] else None
        check(share0 is not None and share0 < d["threshold"],
              f"planted: worker 0's own share {share0} below {d['threshold']}")
        consistent(rec, 2, 5, True, "planted")
    lines = [l for l in text.stdout.splitlines() if l.startswith("disturbed: ")]
    check(text.returncode == 0 and len(lines) == 1 and "of a core in" in lines[0] and
          "repetitions (threshold" in lines[0],
          f"planted, text: one 'disturbed:' line: {lines} {text.stderr!r}")


SHORT_TRIES = 5


def planted_short(args):
    """A spinner on worker 1's CPU beside short tasks (class S): the tasks run at a full core
    once they run, so the shares alone miss it; the late start of the worker it holds back,
    or the wall time far above the workers' CPU time, marks the run. A task of 0.7 ms can fit
    whole in one of the worker's time slices, ranks that wait awake included, so that a run
    of 10 repetitions may honestly see no disturbance: one of SHORT_TRIES runs must be
    marked, and every run's fields must agree with each other. The run goes at nice 10, about
    a ninth of the spinner's weight: at equal priority the scheduler may let a worker that
    wakes from its wait run its whole task first, so that beside other work (a full suite
    run) 3 runs of 10 repetitions were seen with no late start and every share 1.0; with a
    tenth of the CPU the worker waits its turn (5 to 10 late starts of 10 seen here). The
    gap is made by lowering the run, which any user may, not by raising the spinner to nice
    -10, which needs a privilege a CI machine may lack: one CI run of that form saw what
    equal priority gives, 3 runs with no late start and every share 1.0."""
    seen = []
    with Spinner(CPUS[1 % len(CPUS)]):
        for k in range(SHORT_TRIES):
            rec = record(args, 2, ["sum", "--reps", "10", "--bind"],
                         f"planted, class S, run {k + 1}", nice=10)
            if not rec:
                return
            consistent(rec, 2, 10, True, f"planted, class S, run {k + 1}")
            d = rec["disturbance"]
            seen.append(f"verified {rec['verified']}, disturbed {rec['disturbed']}: late "
                        f"starts {d['late_start_reps']}, "
                        f"shares below the threshold {d['reps_disturbed']} of {d['reps']}")
            if rec["verified"] and rec["disturbed"] is True:
                break
    check(seen and seen[-1].startswith("verified True, disturbed True"),
          f"planted, class S: marked disturbed in one of {SHORT_TRIES} runs: {seen}")


def fields(args):
    """Every workload, with and without --bind: the fields there and in agreement."""
    for workload in ("sum", "primes", "resize"):
        for bind in (False, True):
            what = f"{workload}{' --bind' if bind else ''}"
            extra = [workload, "--reps", "3"] + (["--bind"] if bind else [])
            rec = record(args, 2, extra, what)
            if rec:
                consistent(rec, 2, 3, bind, what)
    out = run(args, 2, ["resize", "--reps", "2", "--format", "csv"])
    rows = [l.split(",") for l in out.stdout.splitlines()]
    ok = out.returncode == 0 and len(rows) == 2 and rows[0][-2:] == ["disturbed", "cpu_share_min"]
    if check(ok, f"csv: the columns disturbed, cpu_share_min: {out.stdout!r}"):
        check(rows[1][-2] in ("true", "false") and float(rows[1][-1]) > 0,
              f"csv: their values {rows[1][-2:]}")
    out = run(args, 2, ["sum", "--reps", "2", "--bind"])
    want = f"placement: {socket.gethostname()[:255]}: "
    want += f"{'ranks' if args.backend == 'mpi' else 'workers'} 0-1 on cpus "
    want += f"{CPUS[0]},{CPUS[1 % len(CPUS)]} (pinned by --bind)"
    check(out.returncode == 0 and want in out.stdout.splitlines(),
          f"text: {want!r} in {out.stdout!r}")


def workers_of(args, proc):
    """The status files of the workers of the run proc started, as they are now: its threads
    (omp), its children (posix), the processes running the binary (mpi, started by
    mpiexec)."""
    if args.backend == "omp":
        base = f"/proc/{proc.pid}/task"
        try:
            return [f"{base}/{t}/status" for t in os.listdir(base)]
        except OSError:
            return []
    if args.backend == "posix":
        try:
            with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
                return [f"/proc/{k}/status" for k in f.read().split()]
        except OSError:
            return []
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if f.read().split(b"\0")[0] == args.binary.encode():
                    found.append(f"/proc/{pid}/task/{pid}/status")
        except OSError:
            pass
    return found


def watch(args, extra):
    """Runs the binary and reads its workers' CPU sets until it ends: returns the exit
    status, stderr, and per worker (its status file) how often each set was seen."""
    proc = start(args, 2, extra)
    seen = {}
    while proc.poll() is None:
        for status in workers_of(args, proc):
            cpus = allowed(status)
            if cpus is not None:
                counts = seen.setdefault(status, collections.Counter())
                counts[frozenset(cpus)] += 1
        time.sleep(0.005)
    _, err = proc.communicate()
    return proc.returncode, err, seen


def pinning(args):
    """What the kernel says of the workers' CPU sets while they run. A worker's set is the
    one seen most often: Open MPI's start and end bind a rank for a moment of their own, and
    a worker pins itself only once it has started (an MPI rank after rank 0's baseline, an
    OpenMP thread in the first parallel region)."""
    # long enough that the workers are seen: the pool's live through every repetition
    extra = {"omp": ["sum", "--class", "W", "--reps", "5"],
             "posix": ["resize", "--class", "W", "--reps", "3"],
             "mpi": ["sum", "--class", "W", "--reps", "5"]}[args.backend]
    want = {frozenset({CPUS[0]}), frozenset({CPUS[1 % len(CPUS)]})}
    rc, err, seen = watch(args, extra + ["--bind"])
    # the CPU each worker was pinned to most of the time it was pinned
    pinned = set()
    for counts in seen.values():
        ones = [(n, s) for s, n in counts.items() if len(s) == 1]
        if ones:
            pinned.add(max(ones, key=lambda x: x[0])[1])
    check(rc == 0 and want <= pinned,
          f"--bind: workers seen pinned to {sorted(map(sorted, pinned))}, want "
          f"{sorted(map(sorted, want))} (exit {rc} {err.strip()!r})")
    if len(CPUS) > 1:
        rc, err, seen = watch(args, extra)
        most = [counts.most_common(1)[0][0] for counts in seen.values()]
        check(rc == 0 and most and all(s == frozenset(CPUS) for s in most),
              f"no --bind: every worker may use all of {CPUS} (exit {rc}, "
              f"{sorted(map(sorted, most))} seen most)")
    # more workers than CPUs: round-robin, and one line says so
    n = len(CPUS) + 1
    out = run(args, n, ["sum", "--bind", "--reps", "1", "--format", "json"])
    warn = [l for l in out.stderr.splitlines() if "--bind" in l]
    check(out.returncode == 0 and len(warn) == 1 and f"{n} " in warn[0],
          f"{n} workers on {len(CPUS)} CPUs: one warning line: {out.stderr!r}")
    if out.returncode == 0:
        consistent(json.loads(out.stdout), n, 1, True, f"{n} workers, --bind")


def bad(args):
    out = run(args, 2, ["sum", "--bind=yes"], timeout=60)
    lines = out.stderr.strip().splitlines()
    check(out.returncode == 2 and any("--bind 'yes'" in l for l in lines) and
          (len(lines) == 1 or args.launcher) and not out.stdout.strip(),
          f"--bind=yes: exit {out.returncode}, stderr {out.stderr!r}, stdout {out.stdout!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--backend", required=True, choices=["omp", "posix", "mpi"])
    ap.add_argument("--launcher", default="", help="'mpiexec -n {workers}' for MPI")
    args = ap.parse_args()
    planted(args)
    planted_short(args)
    fields(args)
    pinning(args)
    bad(args)
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
