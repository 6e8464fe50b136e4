"""The lecture's costs measured in Python itself (scripts/py_bench.py), beside the C figures
of `gilfree-* bench`: start-up, IPC, shared state, grain and paths."""

import argparse
import json
import mmap
import multiprocessing as mp
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time
import zlib

from . import launch
from .cli import OneLineParser, int_in
from .runner import run_child
from .stats import median, summary as stats
from .workloads import EXPERIMENTS

# 0: map's own default, chunksize=None (ceil(tasks / (4 * workers)))
CHUNKSIZES = (0, 1, 4, 16, 64)


def size_arg(name):
    def parse(s):
        shift = {"k": 10, "m": 20, "g": 30}.get(s[-1:].lower(), 0)
        digits = s[:-1] if shift else s
        if not digits.isdigit():
            raise argparse.ArgumentTypeError(f"invalid {name} '{s}': not a size")
        v = int(digits) << shift
        if v < 1 or v > 1 << 30:
            raise argparse.ArgumentTypeError(f"invalid {name} '{s}': must be 1 to 1g")
        return v
    return parse


class Parser(OneLineParser):
    def error(self, message):
        # the bad value's own message, without argparse's "argument --x: " before it
        if message.startswith("argument ") and ": invalid --" in message:
            message = message.split(": ", 1)[1]
        super().error(message)


def parse_args(argv, doc):
    p = Parser(prog="py_bench.py", description=doc.split("\n\n")[0],
               formatter_class=argparse.RawDescriptionHelpFormatter,
               epilog=doc.split("\n\n", 2)[2])
    p.add_argument("experiment", choices=EXPERIMENTS)
    p.add_argument("--min-size", type=size_arg("--min-size"), default=8, metavar="S",
                   help="smallest ipc payload (default 8)")
    p.add_argument("--max-size", type=size_arg("--max-size"), default=32 << 20, metavar="S",
                   help="largest ipc payload (default 32m; suffix k, m, g)")
    p.add_argument("--step", type=int_in("--step", 2, 16), default=4, metavar="N",
                   help="each payload size is the previous times N (default 4)")
    p.add_argument("--iters", type=int_in("--iters", 1, 10**7), default=200, metavar="N",
                   help="timed iterations per point up to 8 KiB, a tenth above (default 200)")
    p.add_argument("--warmup", type=int_in("--warmup", 0, 10**7), default=20, metavar="N",
                   help="untimed iterations first (default 20)")
    p.add_argument("-w", "--workers", type=int_in("--workers", 1, 1024), default=2,
                   metavar="N", help="worker processes (default 2)")
    p.add_argument("--count", type=int_in("--count", 1, 10**12), default=10000, metavar="K",
                   help="counter: total increments (default 10000)")
    p.add_argument("--min-grain", type=int_in("--min-grain", 1, 10**7), default=10,
                   metavar="US", help="grain: the first task size, microseconds (default 10)")
    p.add_argument("--max-grain", type=int_in("--max-grain", 1, 10**7), default=100000,
                   metavar="US", help="grain: the last, by tens (default 100000)")
    p.add_argument("-r", "--reps", type=int_in("--reps", 1, 10**5), default=3, metavar="R",
                   help="timed repetitions of counter, grain, paths and --mpi (default 3)")
    p.add_argument("--images", type=int_in("--images", 1, 10**5), default=8, metavar="N",
                   help="paths: number of images (default 8)")
    p.add_argument("--width", type=int_in("--width", 1, 10**5), default=1920, metavar="W",
                   help="paths: image width, one byte a pixel (default 1920)")
    p.add_argument("--height", type=int_in("--height", 1, 10**5), default=1080,
                   metavar="H", help="paths: image height (default 1080)")
    p.add_argument("--mpi", metavar="BINARY", help="startup: also time mpiexec to MPI_Init "
                   "done in the ranks of BINARY (gilfree-mpi)")
    p.add_argument("--mpiexec", default="mpiexec", help="the launcher for --mpi")
    p.add_argument("-f", "--format", choices=("text", "json"), default="text")
    a = p.parse_args(argv)
    if a.min_size > a.max_size:
        p.error(f"invalid --max-size '{a.max_size}': below --min-size {a.min_size}")
    if a.min_grain > a.max_grain:
        p.error(f"invalid --max-grain '{a.max_grain}': below --min-grain {a.min_grain}")
    if a.count < a.workers:
        p.error(f"invalid --count '{a.count}': fewer than the {a.workers} workers")
    if a.mpi and not os.access(a.mpi, os.X_OK):
        p.error(f"invalid --mpi '{a.mpi}': not an executable")
    return a


class Out:
    """Rows in the C benchmarks' format: text tables or json records."""

    def __init__(self, experiment, fmt, stream=None):
        self.experiment, self.fmt, self.f = experiment, fmt, stream or sys.stdout
        self.last = None
        self.failed = False

    def row(self, method, title, fields, backend="python"):
        if "ok" in fields and not fields["ok"] and not fields.get("expected_race"):
            self.failed = True
        if self.fmt == "json":
            rec = {"kind": "bench", "backend": backend, "experiment": self.experiment,
                   "method": method}
            rec.update(fields)
            self.f.write(json.dumps(rec, separators=(",", ":")) + "\n")
        else:
            cols = []
            for k, v in fields.items():
                cols += [k, "min", "max"] if isinstance(v, dict) else [k]
            sig = (method, tuple(cols))
            if sig != self.last:
                if self.last:
                    self.f.write("\n")
                self.f.write(f"# py_bench.py {self.experiment}: {method}, {title}\n")
                self.f.write("#" + " ".join(f"{c:>{max(13, len(c))}}" for c in cols)[1:] + "\n")
                self.last = sig
            cells = []
            for k, v in fields.items():
                vals = [v["median"], v["min"], v["max"]] if isinstance(v, dict) else [v]
                w = max(13, len(k))  # a column as wide as its name, at least 13
                for x in vals:
                    if isinstance(x, bool):  # a wrong check shouts; a flag such as grain_off not
                        cells.append(f"{'yes' if x else 'NO' if k == 'ok' else 'no':>{w}}")
                    elif isinstance(x, int):
                        cells.append(f"{x:>{w}d}")
                    elif isinstance(x, float):
                        fmt = "e" if x and (abs(x) >= 1e9 or abs(x) < 1e-3) else "f"
                        cells.append(f"{x:{w}.{4 if fmt == 'e' else 3}{fmt}}")
                    else:
                        cells.append(f"{str(x):>{w}}")
                    w = 13  # min and max of a statistic
            self.f.write(" ".join(cells) + "\n")
        self.f.flush()

    def note(self, text):
        if self.fmt == "text":
            self.f.write(f"# {text}\n")


def iters_for(a, size):
    """OSU's plan, as gf_bench_iters: a tenth above 8 KiB, at most 1 GiB per point."""
    it, wu = a.iters, a.warmup
    if size > 8192:
        it, wu = max(it // 10, 1), wu // 10
    it = max(min(it, (1 << 30) // size), 2)
    return it, min(max(wu, 1), it)


def sizes(a):
    s = a.min_size
    while s <= a.max_size:
        yield s
        s *= a.step


# ---- start-up ----


def nothing():
    pass


def wait_on(conn):
    conn.recv()


def smaps(pid):
    """Pss and Private (clean + dirty) of pid, in KiB."""
    mem = {"pss": 0, "private": 0}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key == "Pss":
                mem["pss"] = int(rest.split()[0])
            elif key in ("Private_Clean", "Private_Dirty"):
                mem["private"] += int(rest.split()[0])
    return mem


def process_memory(ctx):
    parent, child = ctx.Pipe()
    p = ctx.Process(target=wait_on, args=(child,))
    p.start()
    time.sleep(0.3 if ctx.get_start_method() == "spawn" else 0.05)
    try:
        return smaps(p.pid)
    finally:
        parent.send(None)
        p.join()


def thread_memory(n=16):
    before = smaps(os.getpid())
    ev = threading.Event()
    ts = [threading.Thread(target=ev.wait) for _ in range(n)]
    for t in ts:
        t.start()
    time.sleep(0.02)
    after = smaps(os.getpid())
    ev.set()
    for t in ts:
        t.join()
    return {k: (after[k] - before[k]) / n for k in before}


def start_join(factory, n, warmup):
    """Seconds to create, start and join factory(target=nothing), n times after warmup
    untimed ones; and whether every one exited with status 0 (a thread always does)."""
    t, ok = [], True
    for i in range(-warmup, n):
        t0 = time.monotonic()
        w = factory(target=nothing)
        w.start()
        w.join()
        if i >= 0:
            t.append(time.monotonic() - t0)
        ok = ok and getattr(w, "exitcode", 0) == 0
    return t, ok


def startup(a, out):
    warmup = min(a.warmup, 2)  # a start is long: two untimed ones are enough
    for method in ("fork", "spawn"):
        ctx = mp.get_context(method)
        t, ok = start_join(ctx.Process, min(a.iters, 50 if method == "fork" else 10), warmup)
        mem = process_memory(ctx)
        out.row(f"process_{method}", f"Process(start method {method}).start() and join()",
                {"workers": 1, "lat_us": stats(t, 1e6), "pss_kb": float(mem["pss"]),
                 "private_kb": float(mem["private"]), "ok": ok})
    t, _ = start_join(threading.Thread, min(a.iters, 200), warmup)
    mem = thread_memory()
    out.row("thread", "threading.Thread start() and join(), memory of 16 threads / 16",
            {"workers": 1, "lat_us": stats(t, 1e6), "pss_kb": mem["pss"],
             "private_kb": mem["private"], "ok": True})
    if a.mpi:
        mpi_startup(a, out)


def mpi_startup(a, out):
    """mpiexec to MPI_Init done: the ranks print when, by CLOCK_MONOTONIC (ours too)."""
    # run_child runs in the project's folder: paths given relative to ours must still hold
    mpiexec = os.path.abspath(a.mpiexec) if os.sep in a.mpiexec else a.mpiexec
    argv, env = launch.command("mpiexec", [os.path.abspath(a.mpi), "bench", "startup",
                                           "--format", "json", "--iters", "10", "--warmup",
                                           "1"], ranks=a.workers, mpiexec=mpiexec)
    env = dict(os.environ, **env)
    t, total, ok = [], [], True
    for _ in range(a.reps):
        t0 = time.monotonic()
        r = run_child(argv, env, 120)  # on a timeout the ranks go with mpiexec
        total.append(time.monotonic() - t0)
        if r is None:
            ok = False
            sys.stderr.write(f"py_bench.py: {a.mpi} bench startup timed out after 120 s\n")
            break
        done = []
        for line in r.stdout.splitlines():
            if line.startswith("{"):
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue  # not a record; no ready_us from it
                if isinstance(rec, dict) and isinstance(rec.get("ready_us"), (int, float)):
                    done.append(rec["ready_us"] * 1e-6)
        if r.returncode != 0 or not done:
            ok = False
            sys.stderr.write(f"py_bench.py: {a.mpi} bench startup failed "
                             f"(status {r.returncode})\n{r.stderr[-2000:]}\n")
            break
        t.append(max(done) - t0)
    if ok:
        out.row("mpirun_to_init", f"{a.mpiexec} -n {a.workers} until MPI_Init returned in "
                "every rank", {"workers": a.workers, "lat_us": stats(t, 1e6),
                               "total_s": stats(total), "ok": ok}, backend="mpi")
    else:
        out.failed = True


# ---- IPC ----


def stamp(buf, size, i):
    r = i & 0xff
    buf[0] = buf[size // 2] = buf[size - 1] = r


def stamped(b, size, i):
    r = i & 0xff
    return len(b) == size and b[0] == r and b[size // 2] == r and b[size - 1] == r


def echo_pipe(conn, plan):
    for size, n in plan:
        for _ in range(n):
            conn.send(conn.recv())


def echo_queue(qin, qout, plan):
    for size, n in plan:
        for _ in range(n):
            qout.put(qin.get())


def ipc(a, out):
    plan = []
    for s in sizes(a):
        it, wu = iters_for(a, s)
        plan.append((s, it + wu))
    ctx = mp.get_context("fork")
    for method in ("pipe", "queue"):
        if method == "pipe":
            here, there = ctx.Pipe()
            p = ctx.Process(target=echo_pipe, args=(there, plan))
            send, recv = here.send, here.recv
            title = "multiprocessing.Pipe, bytes pickled each way, half the round trip"
        else:
            qin, qout = ctx.Queue(), ctx.Queue()
            p = ctx.Process(target=echo_queue, args=(qin, qout, plan))
            send, recv = qin.put, qout.get
            title = "two multiprocessing.Queues, bytes pickled each way, half the round trip"
        p.start()
        for s in sizes(a):
            it, wu = iters_for(a, s)
            buf = bytearray(s)
            t, ok = [], True
            for i in range(it + wu):
                stamp(buf, s, i)
                msg = bytes(buf)  # what a worker would have built: not timed
                t0 = time.monotonic()
                send(msg)
                back = recv()
                if i >= wu:
                    t.append((time.monotonic() - t0) / 2)
                ok = ok and stamped(back, s, i)
            st = stats(t, 1e6)
            out.row(method, title, {"size": s, "lat_us": st,
                                    "bw_MBps": s / st["median"] if st["median"] else 0.0,
                                    "ok": ok})
        p.join()
        if p.exitcode != 0:
            out.failed = True


# ---- shared state ----


def inc_manager(value, lock, n, start, ends, w):
    start.wait()
    for _ in range(n):
        with lock:
            value.value += 1
    ends[w] = time.monotonic()  # the clock stops at the last increment, not at exit


def inc_value(value, n, start, locked, ends, w):
    start.wait()
    for _ in range(n):
        if locked:
            with value.get_lock():
                value.value += 1
        else:
            value.value += 1
    ends[w] = time.monotonic()


def counter(a, out):
    ctx = mp.get_context("fork")
    shares = [a.count // a.workers + (w < a.count % a.workers) for w in range(a.workers)]
    with ctx.Manager() as manager:
        for method in ("manager", "value_lock", "rawvalue"):
            t, final = [], 0
            for rep in range(-1, a.reps):
                start, ends = ctx.Event(), ctx.RawArray("d", a.workers)
                if method == "manager":
                    v, lock = manager.Value("q", 0), manager.Lock()
                    ps = [ctx.Process(target=inc_manager, args=(v, lock, n, start, ends, w))
                          for w, n in enumerate(shares)]
                else:
                    v = ctx.Value("q", 0) if method == "value_lock" else ctx.RawValue("q", 0)
                    ps = [ctx.Process(target=inc_value,
                                      args=(v, n, start, method == "value_lock", ends, w))
                          for w, n in enumerate(shares)]
                for p in ps:
                    p.start()
                time.sleep(0.05)
                t0 = time.monotonic()
                start.set()
                for p in ps:
                    p.join()
                if rep >= 0:
                    t.append(max(ends) - t0)
                final = v.value
                if any(p.exitcode != 0 for p in ps):
                    out.failed = True
            titles = {"manager": "Manager().Value under a Manager().Lock",
                      "value_lock": "Value('q') with its lock",
                      "rawvalue": "RawValue('q') without a lock: updates may be lost"}
            fields = {"workers": a.workers, "count": a.count,
                      "ns_per_inc": stats(t, 1e9 / a.count), "final": final,
                      "ok": final == a.count}
            if method == "rawvalue":
                fields["expected_race"] = True
            out.row(method, titles[method], fields)


# ---- grain ----


def work(units):
    s = 0
    for i in range(units):
        s += i
    return s


# The grain's calibration and rescaling, the same method as the C benchmarks':
CALIBRATE_S = 0.02     # one calibration call takes at least this long
CALIBRATE_WARMUP = 2   # untimed calls of that size, then
CALIBRATE_CALLS = 5    # timed ones, whose median per unit is the unit
RESCALE_AT = 0.10      # a point whose tasks are further than this from their grain is rescaled,
RESCALES = 2           # at most this many times
GRAIN_OFF = 0.20       # and flagged (grain_off) when its final pass is still further than this


def calibrate():
    """Seconds per unit of work: n doubled from 1000 until one call takes CALIBRATE_S, two
    untimed calls of n, then the median per unit of five timed calls of n."""
    n = 1000
    while True:
        t0 = time.monotonic()
        work(n)
        if time.monotonic() - t0 >= CALIBRATE_S:
            break
        n *= 2
    for _ in range(CALIBRATE_WARMUP):
        work(n)
    per = []
    for _ in range(CALIBRATE_CALLS):
        t0 = time.monotonic()
        work(n)
        per.append((time.monotonic() - t0) / n)
    return median(per)


def grain_units(grain_s, unit_s):
    """The units of work of one task of grain_s seconds, at least 1."""
    return max(1, round(grain_s / unit_s))


def rescaled(units, nominal_s, measured_s):
    """The units that bring a task measured at measured_s to nominal_s, or None where it is
    within RESCALE_AT of it already."""
    if abs(measured_s / nominal_s - 1) <= RESCALE_AT:
        return None
    return max(1, round(units * nominal_s / measured_s))


def grain_off(measured_us, grain_us):
    """Whether a point's measured grain is further than GRAIN_OFF from its nominal one."""
    return abs(measured_us / grain_us - 1) > GRAIN_OFF


def seq_pass(units, tasks, reps):
    """The sequential loop of tasks tasks of units each: one untimed run, then reps timed.
    (the seconds of each timed run, the sum of the last run)."""
    seq, got = [], 0
    for rep in range(-1, reps):
        t0 = time.monotonic()
        got = sum(work(units) for _ in range(tasks))
        if rep >= 0:
            seq.append(time.monotonic() - t0)
    return seq, got


def default_chunksize(tasks, workers):
    """Pool.map's chunksize when none is given: ceil(tasks / (4 * workers))."""
    chunk, extra = divmod(tasks, 4 * workers)
    return chunk + 1 if extra else chunk


def grain(a, out):
    per = calibrate()
    out.note(f"one unit of work is {per * 1e9:.3f} ns (median of {CALIBRATE_CALLS} calls of "
             f"at least {CALIBRATE_S * 1e3:.0f} ms after {CALIBRATE_WARMUP} untimed ones)")
    ctx = mp.get_context("fork")
    with ctx.Pool(a.workers) as pool:
        g = a.min_grain
        while g <= a.max_grain:
            nominal = g * 1e-6
            units = grain_units(nominal, per)
            tasks = min(max(100000 // g, 2 * a.workers), 20000)
            seq, got = seq_pass(units, tasks, a.reps)
            for _ in range(RESCALES):
                better = rescaled(units, nominal, median(seq) / tasks)
                if better is None:
                    break
                units = better
                seq, got = seq_pass(units, tasks, a.reps)
            measured_us = median(seq) / tasks * 1e6
            want = tasks * (units * (units - 1) // 2)
            for cs in CHUNKSIZES:
                par, cpu, ok = [], [], got == want
                for rep in range(-1, a.reps):
                    t0, c0 = time.monotonic(), time.process_time()
                    res = sum(pool.map(work, [units] * tasks, chunksize=cs or None))
                    # the parent's CPU, all its threads: the pool's task and result handlers
                    c1, t1 = time.process_time(), time.monotonic()
                    if rep >= 0:
                        par.append(t1 - t0)
                        cpu.append(c1 - c0)
                    ok = ok and res == want
                s, p = stats(seq), stats(par)
                out.row("pool_map", f"Pool({a.workers}).map against a loop",
                        {"chunksize": cs, "chunksize_used": cs or default_chunksize(tasks, a.workers),
                         "grain_us": g, "grain_measured_us": measured_us,
                         "grain_off": grain_off(measured_us, g), "tasks": tasks, "seq_s": s,
                         "par_s": p, "speedup": s["median"] / p["median"],
                         "parent_cpu_us": median(cpu) / tasks * 1e6, "ok": ok})
            g *= 10


# ---- paths, not frames ----


def image(n, i):
    pattern = bytes((k * 31 + i * 7) & 0xff for k in range(256))
    return (pattern * (n // 256 + 1))[:n]


def checksum_frame(frame):
    return zlib.crc32(frame), len(frame)


def checksum_path(arg):
    path, offset, n = arg
    with open(path, "rb") as f:
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return zlib.crc32(m[offset:offset + n]), 0


def paths(a, out):
    n = a.width * a.height
    frames = [image(n, i) for i in range(a.images)]
    want = sorted(zlib.crc32(f) for f in frames)
    ctx = mp.get_context("fork")
    with tempfile.NamedTemporaryFile(prefix="gilfree-images-") as f:
        for fr in frames:
            f.write(fr)
        f.flush()
        with ctx.Pool(a.workers) as pool:
            for method in ("queue_frames", "mmap_paths"):
                t, ok, received = [], True, 0
                # what crosses to the workers: each argument as pickled for the task queue
                args = frames if method == "queue_frames" else \
                    [(f.name, i * n, n) for i in range(a.images)]
                moved = sum(len(pickle.dumps(x, protocol=pickle.HIGHEST_PROTOCOL)) for x in args)
                for rep in range(-1, a.reps):
                    t0 = time.monotonic()
                    fn = checksum_frame if method == "queue_frames" else checksum_path
                    res = pool.map(fn, args, chunksize=1)
                    if rep >= 0:
                        t.append(time.monotonic() - t0)
                    received = sum(r[1] for r in res)
                    sent = n * a.images if method == "queue_frames" else 0
                    ok = ok and sorted(r[0] for r in res) == want and received == sent
                out.row(method, f"{a.images} images of {a.width}x{a.height} bytes, "
                        f"Pool({a.workers}).map", {
                            "images": a.images, "image_bytes": n,
                            "bytes_moved": moved,
                            "bytes_sent": sent, "bytes_received": received,
                            "time_s": stats(t), "ok": ok})


def main(argv, doc):
    a = parse_args(argv, doc)
    out = Out(a.experiment, a.format)
    try:
        {"startup": startup, "ipc": ipc, "counter": counter, "grain": grain,
         "paths": paths}[a.experiment](a, out)
    except (OSError, subprocess.SubprocessError) as e:
        sys.stderr.write(f"py_bench.py: {a.experiment} failed: {e}\n")
        return 1
    if out.failed:
        sys.stderr.write(f"py_bench.py: {a.experiment}: a checked quantity is wrong\n")
    return 1 if out.failed else 0

