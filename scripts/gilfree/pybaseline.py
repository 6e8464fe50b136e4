"""The Python baseline (scripts/py_baseline.py): the lecture's three workloads run the
lecture's way on multiprocessing or threading, measured like the C suite, and their record."""
import argparse
import itertools
import json
import math
import multiprocessing
import multiprocessing.connection
import multiprocessing.pool
import os
import queue
import signal
import sys
import threading
import time
from multiprocessing.managers import SyncManager

from .cli import OneLineParser, add_reps_auto_options, int_in, int_list, reps_or_auto
from .project import cores, version
from .runner import signals_held
from .stats import CI_MIN, summary as stats, within_target
from .workloads import CLASSES, WORKLOADS, class_sizes


def clock():
    return time.clock_gettime(time.CLOCK_MONOTONIC)


# The kernels, written as the lecture writes them.
def sum_kernel(n, weight):
    return sum(i * weight for i in range(n))


def primes_kernel(limit):
    # math.isqrt is int(math.sqrt(n)) made exact; they agree for every n the suite allows.
    return sum(1 for n in range(2, limit)
               if all(n % i != 0 for i in range(2, math.isqrt(n) + 1)))


def resize_kernel(width, height):
    total = 0.0
    for pixel in range(width * height // 100):
        total += math.sqrt(pixel + 1)
    return total


def run_task(workload, task):
    """One task -> (index, key, values, kernel begin, kernel end)."""
    index, key, a, b = task
    t0 = clock()
    if workload == "sum":
        values = (sum_kernel(a, b),)
    elif workload == "primes":
        values = (primes_kernel(key),)
    else:
        values = (a // 2, b // 2, resize_kernel(a, b))
    return (index, key, values, t0, clock())


def build_tasks(opts):
    """(index, key, a, b) in submission order, as gf_tasks_build makes them."""
    if opts.workload == "sum":
        return [(w, w, opts.n, w + 1) for w in range(opts.workers)]
    if opts.workload == "primes":
        return [(i, lim, 0, 0) for i, lim in enumerate(opts.limits)]
    return [(i, i, opts.width, opts.height) for i in range(opts.images)]


# Example 25.1: one worker per task, each appending (id, total) to a shared list.
def cpu_worker(worker_id, task, result_list):
    result_list.append((worker_id,) + run_task("sum", task))


# Example 25.2: workers take limits from a queue until a None sentinel.
def prime_worker(worker_id, task_queue, result_queue):
    while True:
        task = task_queue.get()
        if task is None:
            break
        result_queue.put((worker_id,) + run_task("primes", task))


# Example 25.3: Pool.map over the image specs; the worker is known by its pid or thread.
def simulate_image_resize(task):
    who = os.getpid() if multiprocessing.parent_process() else threading.get_ident()
    return (who,) + run_task("resize", task)


def collect(result_queue, n, workers):
    """n results from the queue, as the lecture's loop of get() takes them, but a worker that
    died (a signal, an exception) fails the run instead of leaving it waiting forever."""
    out = []
    while len(out) < n:
        try:
            out.append(result_queue.get(timeout=0.5))
        except queue.Empty:
            dead = [w for w in workers if not w.is_alive()]
            if any(getattr(w, "exitcode", 0) for w in dead) or len(dead) == len(workers):
                try:  # a last result may have been written just before its writer ended
                    out.append(result_queue.get(timeout=0.5))
                    continue
                except queue.Empty:
                    raise RuntimeError(f"a worker ended with {n - len(out)} results "
                                       "still to come") from None
    return out


# The seconds the Manager's server process may take to answer its first call: one that cannot
# start the thread that serves a connection (a process limit counts threads) never answers.
MANAGER_WAIT = 30


def child_signals():
    """In a worker process or the Manager's server: SIGINT ignored and SIGTERM and SIGHUP
    back to their defaults, not the parent's handlers inherited by fork. The parent stops its
    children itself (stop_children), and says the one last line."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def in_child(target, *args):
    child_signals()
    target(*args)


def manager_init():
    """The Manager's server process: the children's signals, and its standard error closed
    to the user: a thread it cannot start is said by the parent, in one line."""
    child_signals()
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)


def stop_children():
    """Every child process still running (workers, a pool's, the Manager's server) killed and
    reaped: nothing is left behind on any way out. The workers go first: one that outlived
    the Manager's server would print its failed call's traceback."""
    for managers in (False, True):
        mine = [c for c in multiprocessing.active_children()
                if c.name.startswith("SyncManager") == managers]
        for child in mine:
            child.kill()
        for child in mine:
            child.join()


def _manager_late(signum, frame):
    raise RuntimeError(f"cannot start the Manager: its server process did not answer within "
                       f"{MANAGER_WAIT} s (it cannot start the thread that serves a "
                       "connection: a process limit?)")


def start_manager(ctx):
    """A SyncManager whose server process has been seen to answer a call, or RuntimeError.
    Its socket's address is made here, in this process's own temporary folder, which this
    process removes as it exits: a server that made its own, and was then killed by
    stop_children, left a pymp-* folder in /tmp."""
    address = multiprocessing.connection.arbitrary_address("AF_UNIX")
    manager = SyncManager(address=address, ctx=ctx)
    old = signal.signal(signal.SIGALRM, _manager_late)
    signal.setitimer(signal.ITIMER_REAL, MANAGER_WAIT)
    try:
        manager.start(initializer=manager_init)
        manager.list()  # the first call: a connection served by a thread of the server's
    except BaseException as e:
        # its server killed first: the manager's finalizer, run when it is collected, would
        # wait forever on a server that cannot answer
        signal.setitimer(signal.ITIMER_REAL, 0)
        stop_children()
        if isinstance(e, EOFError):
            raise RuntimeError("cannot start the Manager: its server process ended (it "
                               "cannot start the thread that serves a connection: a process "
                               "limit?)") from None
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    return manager


def start_all(procs):
    """Starts every worker; a stop signal that arrives meanwhile is raised once all are
    started, so that stop_children knows each one (a worker forked but not yet counted would
    outlive it)."""
    with signals_held():
        for p in procs:
            p.start()


class Runner:
    """The parallel version on processes (mp) or threads (threads)."""

    def __init__(self, opts):
        self.opts = opts
        self.threads = opts.backend == "threads"
        self.ctx = None if self.threads else multiprocessing.get_context(opts.start)
        self.manager = None
        self.queues = []
        self.setup = {}

    def __enter__(self):
        if self.opts.workload == "sum" and not self.threads:
            t0 = clock()
            self.manager = start_manager(self.ctx)  # its server lives across repetitions
            self.setup["manager_start"] = clock() - t0
        return self

    def __exit__(self, kind, *exc):
        if kind is None and self.manager:
            self.manager.shutdown()
        elif kind is not None:  # an error or a stop signal: no child waited for, none kept
            for q in self.queues:
                q.cancel_join_thread()
            stop_children()

    def worker(self, target, args):
        if self.threads:  # a stop signal does not wait for a thread's task to end
            return threading.Thread(target=target, args=args, daemon=True)
        return self.ctx.Process(target=in_child, args=(target,) + args)

    def run(self, tasks):
        """One repetition: [(worker, index, key, values, t_begin, t_end)], t0, t_done."""
        workers = self.opts.workers
        if self.opts.workload == "sum":
            result_list = [] if self.threads else self.manager.list()
            t0 = clock()
            procs = [self.worker(cpu_worker, (w, tasks[w], result_list)) for w in range(workers)]
            start_all(procs)
            for p in procs:
                p.join()
            out = list(result_list)
        elif self.opts.workload == "primes":
            qmod = queue if self.threads else self.ctx
            task_queue, result_queue = qmod.Queue(), qmod.Queue()
            self.queues = [] if self.threads else [task_queue, result_queue]
            t0 = clock()
            procs = [self.worker(prime_worker, (w, task_queue, result_queue))
                     for w in range(workers)]
            start_all(procs)
            for task in tasks:
                task_queue.put(task)
            for _ in range(workers):
                task_queue.put(None)
            out = collect(result_queue, len(tasks), procs)
            for p in procs:
                p.join()
        else:
            procs = []  # the pool joins its own
            t0 = clock()
            pool = None
            try:
                with signals_held():  # a stop signal waits until the pool's workers are known
                    pool = (multiprocessing.pool.ThreadPool(workers) if self.threads
                            else self.ctx.Pool(processes=workers, initializer=child_signals))
                raw = pool.map(simulate_image_resize, tasks)
                pool.terminate()
            except BaseException:
                if pool is not None and not self.threads:
                    # Pool.terminate can wait forever on a queue's lock that a worker stopped
                    # mid-way holds: the workers killed, and the pool's clean-up at exit dropped
                    # (its worker handler stopped first: it would start new workers)
                    pool._worker_handler._state = multiprocessing.pool.TERMINATE
                    stop_children()
                    pool._terminate.cancel()
                raise
            ids = {}
            out = [(ids.setdefault(r[0], len(ids)),) + r[1:] for r in raw]
        t_done = clock()
        for p in procs if not self.threads else []:
            if p.exitcode != 0:
                raise RuntimeError(f"worker exited with status {p.exitcode}")
        return out, t0, t_done


def phases_of(out, t0, t_done):
    """start: until the last worker given work began its first task; compute: until the last
    task ended; stop: until every result was in and every worker joined. They sum to the
    parallel time, as the C backends' phases do."""
    first = {}
    for worker, _, _, _, tb, _ in out:
        first[worker] = min(first.get(worker, tb), tb)
    begun = max(first.values()) if first else t0
    ended = max((r[5] for r in out), default=begun)
    return {"start": max(begun - t0, 0.0), "compute": max(ended - begun, 0.0),
            "stop": max(t_done - ended, 0.0)}


def bits(values):
    """The values with each float as its exact hex, so equality is bit equality."""
    return tuple(v.hex() if isinstance(v, float) else v for v in values)


# --reps auto's most repetitions and its reasons to stop, the worst kept (shared/gf_driver.c's)
REPS_AUTO_MAX = 1000
STOPPED = ["target", "limit", "cap"]


def more(opts, samples, t_first, budget):
    """Whether another timed repetition follows the samples: opts.reps of them, or with --reps
    auto the rule of the C binaries (shared/gf_driver.h): at least CI_MIN, then until the
    median's 95% interval is within --ci-target percent of it, REPS_AUTO_MAX repetitions, or
    budget seconds since t_first; why it stopped goes into opts.stopped."""
    n = len(samples)
    if not opts.auto:
        return n < opts.reps
    if n < CI_MIN:
        return True
    if within_target(samples, opts.ci_target):
        why = "target"
    elif n >= REPS_AUTO_MAX:
        why = "limit"
    elif clock() - t_first >= budget:
        why = "cap"
    else:
        return True
    opts.stopped = max(opts.stopped, STOPPED.index(why))
    return False


def sequential(opts, tasks):
    """The kernels in a loop, one untimed warm-up then the timed repetitions: (the results in
    key order, each task's samples, the loop's samples, the seconds they took)."""
    want, task_samples, seq_samples = None, [[] for _ in tasks], []
    t_first = None
    for rep in itertools.count(-1):
        if rep == 0:
            t_first = clock()
        if rep >= 0 and not more(opts, seq_samples, t_first, opts.reps_cap / 2):
            break
        t0 = clock()
        got = [run_task(opts.workload, t) for t in tasks]
        if rep >= 0:
            seq_samples.append(clock() - t0)
            for i, r in enumerate(got):
                task_samples[i].append(r[4] - r[3])
        want = got
    return (sorted(want, key=lambda r: (r[1], r[0])), task_samples, seq_samples,
            clock() - t_first)


def differs(got, want):
    """Why a repetition's results are not the sequential run's, or None."""
    if len(got) != len(want):
        return f"{len(got)} results, not {len(want)}"
    for g, w in zip(got, want):
        if g[1:3] != w[0:2] or bits(g[3]) != bits(w[2]):
            return f"result for key {w[1]} differs from the sequential run's"
    return None


def parallel(opts, tasks, want, budget):
    """The parallel version, one untimed warm-up then the timed repetitions, each checked
    (--reps auto: within budget seconds): (why they differ or None, {"par_s": samples,
    "phases": {phase: samples}, "busy": each worker's samples}, the one-time setup)."""
    failure, samples = None, {"par_s": [], "phases": {}, "busy": [[] for _ in
                                                                  range(opts.workers)]}
    with Runner(opts) as runner:
        t_first = None
        for rep in itertools.count(-1):
            if rep == 0:
                t_first = clock()
            if rep >= 0 and not more(opts, samples["par_s"], t_first, budget):
                break
            out, t0, t_done = runner.run(tasks)
            failure = failure or differs(sorted(out, key=lambda r: (r[2], r[1])), want)
            if rep < 0:
                continue
            samples["par_s"].append(t_done - t0)
            for name, sec in phases_of(out, t0, t_done).items():
                samples["phases"].setdefault(name, []).append(sec)
            busy = [0.0] * opts.workers
            for r in out:
                if 0 <= r[0] < opts.workers:
                    busy[r[0]] += r[5] - r[4]
            for w in range(opts.workers):
                samples["busy"][w].append(busy[w])
        return failure, samples, runner.setup


def params_of(opts):
    params = {"n": opts.n} if opts.workload == "sum" else (
        {"limits": opts.limits} if opts.workload == "primes" else
        {"images": opts.images, "width": opts.width, "height": opts.height})
    return dict(params, start=opts.start) if opts.backend == "mp" else params


def measure(opts):
    """The run's record, in the C binaries' shape (schema 2: with every sample)."""
    tasks = build_tasks(opts)
    want, task_samples, seq_samples, spent = sequential(opts, tasks)
    failure, samples, setup = parallel(opts, tasks, want, opts.reps_cap - spent)
    if opts.workload == "resize":
        results = [[k, v[0], v[1], v[2]] for _, k, v, _, _ in want]
    else:
        results = [[k, v[0]] for _, k, v, _, _ in want]
    seq, par = stats(seq_samples), stats(samples["par_s"])
    how = {"start": opts.start} if opts.backend == "mp" else {}
    return {
        "schema": 2, "backend": "python-" + opts.backend, "workload": opts.workload,
        "class": opts.cls, "workers": opts.workers, "cores": cores(), "version": version(),
        "params": params_of(opts), "how": how, "order": "blocked", "results": results,
        "verified": failure is None, "seq_s": seq, "par_s": par,
        "speedup": seq["median"] / par["median"] if par["median"] > 0 else 0.0,
        "phases": {k: stats(v) for k, v in samples["phases"].items()}, "setup_s": setup,
        "task_s": [stats(s)["median"] for s in task_samples],
        "busy_s": [stats(s)["median"] for s in samples["busy"]],
        "reps": len(samples["par_s"]), "reps_auto": reps_auto(opts, seq_samples,
                                                              samples["par_s"]),
        "notes": failure or "",
        "samples": {"seq_s": seq_samples, "par_s": samples["par_s"],
                    "phases": samples["phases"]},
        "topology": {"hosts": 1, "ranks": 1,
                     "threads": opts.workers if opts.backend == "threads" else 1,
                     "cores": cores(), "where": "local"},
    }


def reps_auto(opts, seq, par):
    """The record's reps_auto, as the C binaries': None for a fixed count."""
    if not opts.auto:
        return None
    return {"target_pct": float(opts.ci_target), "cap_s": float(opts.reps_cap),
            "reached": within_target(seq, opts.ci_target) and within_target(par, opts.ci_target),
            "stopped": STOPPED[opts.stopped], "seq_reps": len(seq), "par_reps": len(par)}


def print_text(rec):
    tup = {"sum": "({}, {})", "primes": "({}, {})", "resize": "({}, {}, {}, {})"}[rec["workload"]]

    def show(r):
        return tup.format(*(r[:3] + [round(r[3], 2)] if rec["workload"] == "resize" else r))

    print(f"gilfree {rec['backend']} {rec['workload']}: class {rec['class']}, "
          f"{rec['workers']} workers, {rec['reps']} reps after a warm-up, {rec['cores']} cores")
    print("Results: [" + ", ".join(show(r) for r in rec["results"]) + "]")
    if rec["workload"] == "resize":
        print("Sample result:", show(rec["results"][0]))
    print("Verification:", "SUCCESSFUL" if rec["verified"] else f"FAILED ({rec['notes']})")
    for name, key in (("Sequential:", "seq_s"), ("Parallel:  ", "par_s")):
        s, n = rec[key], len(rec["samples"][key])
        ci = (f"95% CI {s['ci_low']:.6f}-{s['ci_high']:.6f} (n={n})" if s["ci_low"] is not None
              else f"no interval: n={n} < {CI_MIN}")
        print(f"{name} median {s['median']:.6f} s (min {s['min']:.6f}, max {s['max']:.6f}), "
              + ci)
    auto = rec["reps_auto"]
    if auto:
        print(f"Repetitions: --reps auto, {auto['seq_reps']} sequential and {auto['par_reps']} "
              f"parallel; both 95% CIs within {auto['target_pct']:g}% of their medians: "
              + ("reached" if auto["reached"] else "not reached")
              + {"cap": f" (stopped by --reps-cap {auto['cap_s']:g} s)",
                 "limit": f" (stopped at the most repetitions, {REPS_AUTO_MAX})"}.get(
                     auto["stopped"], ""))
    for name, sec in rec["setup_s"].items():
        print(f"  {name:<10} {sec:.6f} s (once)")
    for name, s in rec["phases"].items():
        print(f"  {name:<10} median {s['median']:.6f} s")
    print(f"Speedup:    {rec['speedup']:.2f}x (median sequential / median parallel)")


def print_csv(rec):
    cols = ["backend", "workload", "class", "workers", "cores", "reps", "verified"]
    print(",".join(cols) + ",seq_min_s,seq_median_s,seq_max_s,par_min_s,par_median_s,"
          "par_max_s,speedup,seq_ci_low_s,seq_ci_high_s,par_ci_low_s,par_ci_high_s,"
          "ci_target_reached")
    vals = [str(rec[c]).lower() if c == "verified" else str(rec[c]) for c in cols]
    for key in ("seq_s", "par_s"):
        vals += [f"{rec[key][k]:.9g}" for k in ("min", "median", "max")]
    vals.append(f"{rec['speedup']:.6g}")
    for key in ("seq_s", "par_s"):
        vals += ["" if rec[key][k] is None else f"{rec[key][k]:.9g}"
                 for k in ("ci_low", "ci_high")]
    auto = rec["reps_auto"]
    print(",".join(vals + ["" if not auto else str(auto["reached"]).lower()]))


def parse_args(argv, doc):
    p = OneLineParser(prog="py_baseline.py", description=doc.split("\n\n", 1)[1],
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("workload", choices=WORKLOADS)
    p.add_argument("-b", "--backend", choices=["mp", "threads"], default="mp",
                   help="multiprocessing (default) or threading")
    p.add_argument("-c", "--class", dest="cls", choices=list(CLASSES), default="S",
                   help="size class, as the C binaries' (default S, the lecture's sizes)")
    p.add_argument("-w", "--workers", type=int_in("--workers", 1, 1024), default=4,
                   help="worker count (default 4)")
    p.add_argument("--n", type=int_in("--n", 1, 10**12), help="sum: iterations per worker")
    p.add_argument("--limits", type=int_list("--limits", 1, 10**9),
                   help="primes: the task list, in submission order")
    p.add_argument("--images", type=int_in("--images", 1, 10**6), help="resize: image count")
    p.add_argument("--width", type=int_in("--width", 1, 10**6), help="resize: image width")
    p.add_argument("--height", type=int_in("--height", 1, 10**6), help="resize: image height")
    p.add_argument("-r", "--reps", type=reps_or_auto("--reps", 100000), default=5,
                   help="timed repetitions after one untimed warm-up (default 5), or auto: "
                   "until the 95%% confidence intervals of the sequential and parallel medians "
                   "are within --ci-target, as the C binaries' --reps auto")
    add_reps_auto_options(p, 1000000, "seconds all the timed repetitions may take")
    p.add_argument("--start", choices=["fork", "spawn", "forkserver"], default="fork",
                   help="mp: how processes start (default fork, Linux's default)")
    p.add_argument("-f", "--format", choices=["text", "json", "csv"], default="text")
    opts = p.parse_args(argv)
    opts.auto = opts.reps == "auto"
    for name in ("ci_target", "reps_cap"):
        if getattr(opts, name) is not None and not opts.auto:
            p.error(f"invalid --{name.replace('_', '-')} '{getattr(opts, name)}': only with "
                    "--reps auto")
    opts.ci_target = float(opts.ci_target or 5)
    opts.reps_cap = float(opts.reps_cap or 30)
    opts.stopped = 0
    n, limits, images, width, height = class_sizes(opts.cls)
    opts.n = opts.n or n
    opts.limits = opts.limits or limits
    opts.images = opts.images or images
    opts.width = opts.width or width
    opts.height = opts.height or height
    return opts


def main(argv, doc):
    opts = parse_args(argv, doc)
    try:
        rec = measure(opts)
    except OSError as e:  # fork, a pipe, a socket
        sys.stderr.write(f"py_baseline.py: cannot start a {opts.backend} worker or its "
                         f"plumbing: {e.strerror or e} (a process limit?)\n")
        return 1
    except RuntimeError as e:
        why = str(e)
        if "can't start new thread" in why:
            why = "cannot start a thread (a process limit counts threads too?)"
        sys.stderr.write(f"py_baseline.py: {why}\n")
        return 1
    finally:
        stop_children()
    if opts.format == "json":
        print(json.dumps(rec, separators=(",", ":")))
    elif opts.format == "csv":
        print_csv(rec)
    else:
        print_text(rec)
    return 0 if rec["verified"] else 1

