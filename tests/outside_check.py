#!/usr/bin/env python3
"""Faults found from outside, second round: each part one case of docs/failures.md.

- across: compare.py --hostfile (a one-host hostfile: the path of a real cluster) with
  --timeout runs the rows across hosts (no traceback), and SIGTERM and SIGHUP during them
  say how many of those runs were done (no "None") in stderr, report.md and records.jsonl.
- records: bench_report.py stopped by SIGTERM leaves a records file that reads back as
  incomplete, through bench_report.py --records and compare.py --records (exit 1); one with
  its end record reads as whole.
- inputs: /dev/zero, a FIFO, a folder and a file past the size limit as --hostfile, --records
  (both scripts) and --simulate: one line, exit 2, no folder made, no wait.
- reason: a failed MPI run's reason is the rank's own line, not mpirun's banner rule.
- baseline: py_baseline.py under a process limit as an unprivileged user: one line, exit 1,
  no hang; stopped by SIGTERM, SIGINT and SIGHUP: one last line, 143, 130, 129, no child left.
- platform: a platform with speed="fast" refused before anything runs, naming it; SimGrid's
  own error line (from a real smpirun, where SimGrid is installed) passed through.
- counting: a checks.py script that checked nothing exits 1; a CUnit program exits 0 or 1,
  with 256 failures too, and 1 when no test ran.

Exit status 0 passed, 1 failed, 77 skipped (the part needs root, or a tool that is missing).

  outside_check.py --build build --only across|records|inputs|reason|baseline|platform|counting
"""
import argparse
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from checks import check, status  # noqa: E402

COMPARE = os.path.join(ROOT, "scripts", "compare.py")
REPORT = os.path.join(ROOT, "scripts", "bench_report.py")
BASELINE = os.path.join(ROOT, "scripts", "py_baseline.py")
SKIP = 77
TEST_EXIT = [None]


def run(argv, timeout=300, **kw):
    return subprocess.run([sys.executable] + argv, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, **kw)


def one_line(r, needle, code=2):
    lines = r.stderr.strip().splitlines()
    return r.returncode == code and len(lines) == 1 and needle in lines[0]


def wait_line(child, needle, limit=240):
    """Reads child's stderr until a line holding needle (True), or its end (False)."""
    t0 = time.monotonic()
    for line in child.stderr:
        if needle in line:
            return True
        if time.monotonic() - t0 > limit:
            break
    return False


def part_across(build, tmp):
    hf = os.path.join(tmp, "hosts")
    with open(hf, "w", encoding="utf-8") as f:
        f.write("localhost slots=2\n")
    base = [COMPARE, "--build", build, "--hostfile", hf, "--only", "backend=mpi,workload=sum",
            "--workers", "2", "--classes", "S", "--reps", "1", "--python-classes", "none",
            "--timeout", "60"]
    out = os.path.join(tmp, "timeout")
    r = run(base + ["--out", out, "--quiet"])
    recs = read_jsonl(os.path.join(out, "records.jsonl"))
    spread = [x for x in recs if x.get("kind") == "run" and x.get("label") == "mpi@spread"]
    check("Traceback" not in r.stderr and spread and spread[0].get("verified") is True,
          f"--hostfile with --timeout 60: the rows across hosts run and verify "
          f"({r.returncode}: {r.stderr[-300:]!r})")
    for sig in (signal.SIGTERM, signal.SIGHUP):
        out = os.path.join(tmp, sig.name)
        child = subprocess.Popen([sys.executable] + base + ["--out", out], cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen = wait_line(child, "across hosts:")
        child.send_signal(sig)
        stdout, stderr = child.communicate(timeout=120)
        said = f"interrupted by {sig.name} after 0 of 2 runs across hosts"
        report, records = (slurp(os.path.join(out, n)) for n in ("report.md", "records.jsonl"))
        check(seen and child.returncode == 128 + sig and said in stderr and said in report
              and said in records and "None" not in stderr + report,
              f"{sig.name} across hosts: exit {128 + sig}, '{said}' in stderr, report.md and "
              f"records.jsonl ({child.returncode}: {stderr[-300:]!r})")


def slurp(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""


def read_jsonl(path):
    try:
        with open(path, encoding="utf-8") as f:
            return [json.loads(x) for x in f if x.strip()]
    except OSError:
        return []


def part_records(build, tmp):
    out = os.path.join(tmp, "bench")
    child = subprocess.Popen([sys.executable, REPORT, "--quick", "--build", build, "--out", out],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True)
    for line in child.stdout:  # the first benchmark done: stop it in the second
        if line.startswith("# ") and ": " in line:
            break
    child.send_signal(signal.SIGTERM)
    child.communicate(timeout=120)
    path = os.path.join(out, "bench_records.jsonl")
    check(child.returncode == 143 and os.path.isfile(path),
          f"bench_report.py stopped by SIGTERM: exit 143, its records written "
          f"({child.returncode})")
    r = run([REPORT, "--records", path, "--out", os.path.join(tmp, "again")])
    check(r.returncode == 1 and "incomplete: interrupted by SIGTERM" in r.stdout,
          f"bench_report.py --records on it: incomplete, exit 1 ({r.returncode}: "
          f"{r.stdout[-300:]!r})")
    r = run([COMPARE, "--records", path, "--out", os.path.join(tmp, "cmp"), "--quiet"])
    check(r.returncode == 1 and "incomplete" in r.stdout and "All 0 runs" not in r.stdout,
          f"compare.py --records on it: incomplete, exit 1 ({r.returncode}: "
          f"{r.stdout[-300:]!r})")
    recs = [x for x in read_jsonl(path) if x.get("kind") == "bench"]
    cut = os.path.join(tmp, "killed.jsonl")  # as a SIGKILL leaves it: no last line at all
    whole = os.path.join(tmp, "whole.jsonl")
    with open(cut, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(x) + "\n" for x in recs)
    with open(whole, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(x) + "\n" for x in recs + [{"kind": "end", "done": 1,
                                                             "planned": 1}])
    r = run([REPORT, "--records", cut, "--out", os.path.join(tmp, "cut")])
    check(recs and r.returncode == 1 and "incomplete" in r.stdout,
          f"benchmarks' records without an end record: incomplete, exit 1 ({r.returncode})")
    r = run([REPORT, "--records", whole, "--out", os.path.join(tmp, "whole")])
    check(r.returncode == 0 and "incomplete" not in r.stdout,
          f"the same with an end record: whole, exit 0 ({r.returncode}: {r.stdout[-300:]!r})")


def part_inputs(build, tmp):
    fifo, big = os.path.join(tmp, "fifo"), os.path.join(tmp, "big")
    os.mkfifo(fifo)
    with open(big, "wb") as f:
        f.truncate(300 << 20)  # sparse: past every limit, no disk used
    for path, what in (("/dev/zero", "not a regular file"), (fifo, "not a regular file"),
                       (tmp, "not a regular file"), (big, "more than")):
        for prog, argv in (("compare.py", [COMPARE, "--build", build, "--hostfile", path]),
                           ("compare.py", [COMPARE, "--records", path]),
                           ("bench_report.py", [REPORT, "--records", path]),
                           ("compare.py", [COMPARE, "--build", build, "--simulate", path])):
            if path == tmp and "--records" in argv and prog == "compare.py":
                continue  # a folder is a results folder there: its records.jsonl
            out = os.path.join(tmp, "out")
            try:
                r = run(argv + ["--out", out], timeout=30)
            except subprocess.TimeoutExpired:
                check(False, f"{prog} {argv[-2]} {path}: refused without waiting")
                continue
            check(one_line(r, what) and not os.path.exists(out),
                  f"{prog} {argv[-2]} {os.path.basename(path)}: one line, exit 2 "
                  f"({r.returncode}: {r.stderr.strip()[-200:]!r})")


def part_reason(build, tmp):
    out = os.path.join(tmp, "reason")
    r = run([COMPARE, "--build", build, "--only", "backend=mpi,workload=primes", "--workers",
             "2", "--classes", "W", "--reps", "1", "--python-classes", "none", "--timeout",
             "0.001", "--out", out, "--quiet"])
    lines = [x for x in r.stdout.splitlines() if x.startswith("mpi primes")]
    check(r.returncode == 1 and lines and "(gilfree-mpi: " in lines[0] and "(---" not in lines[0],
          f"a failed MPI run's reason is the rank's own line ({r.returncode}: {lines[:1]!r})")


def uid_free():
    """A user id with no process and no name: a process limit counts only its own."""
    taken = set()
    for st in glob.glob("/proc/[0-9]*/status"):
        try:
            with open(st, encoding="ascii") as f:
                taken |= {int(x.split()[1]) for x in f if x.startswith("Uid:")}
        except (OSError, ValueError):
            pass
    uid = 47000 + os.getpid() % 1000
    while uid in taken:
        uid += 1
    return uid


def part_baseline(build, tmp):
    py = sys.executable if os.access(sys.executable, os.X_OK) and \
        not sys.executable.startswith("/root") else shutil.which("python3", path="/usr/bin")
    if os.geteuid() != 0 or not shutil.which("setpriv") or not shutil.which("prlimit") or not py:
        print("skip (limit): needs root, setpriv, prlimit and a python3 outside /root")
    else:
        uid = uid_free()
        # the scripts copied where that uid can read them: a checkout in a folder of mode
        # 0700 (mktemp -d) is closed to it
        shared = tempfile.mkdtemp(prefix="gilfree-outside-scripts-")
        os.chmod(shared, 0o755)
        scripts = os.path.join(shared, "scripts")
        shutil.copytree(os.path.dirname(BASELINE), scripts,
                        ignore=shutil.ignore_patterns("__pycache__"))
        for wl in ("sum", "primes", "resize"):
            argv = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "prlimit",
                    "--nproc=3", py, os.path.join(scripts, os.path.basename(BASELINE)), wl,
                    "--workers", "2", "--reps", "1"]
            try:
                r = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd="/")
            except subprocess.TimeoutExpired:
                check(False, f"{wl} under --nproc=3: an answer, not a hang")
                continue
            left = subprocess.run(["pgrep", "-u", str(uid)], capture_output=True, text=True)
            check(one_line(r, "cannot start", 1) and not left.stdout.strip(),
                  f"{wl} under --nproc=3 as uid {uid}: one line, exit 1, nothing left "
                  f"({r.returncode}: {r.stderr.strip()[-300:]!r})")
        shutil.rmtree(shared)
    # sum: its workers and the Manager's server; primes: a Queue's; resize: a Pool's. The
    # parallel repetitions, which come after every sequential one, last a second or more
    # past the 0.2 s wait once the children are seen: 10 of resize's, 20 ms each, once ended
    # before the signal came.
    for sig, wl, reps in ((signal.SIGTERM, "sum", 10), (signal.SIGINT, "sum", 10),
                          (signal.SIGHUP, "primes", 10), (signal.SIGINT, "resize", 100)):
        child = subprocess.Popen([sys.executable, BASELINE, wl, "--class", "S", "--workers",
                                  "2", "--reps", str(reps)], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True, cwd=ROOT)
        kids = []
        for _ in range(1200):  # its workers started (the Manager's server, for sum)
            kids = children(child.pid)
            if kids or child.poll() is not None:
                break
            time.sleep(0.05)
        time.sleep(0.2)
        kids = children(child.pid) or kids
        child.send_signal(sig)
        try:
            err = child.communicate(timeout=60)[1]
        except subprocess.TimeoutExpired:
            child.kill()
            err = child.communicate()[1] + "\n(no end within 60 s: killed)"
        time.sleep(0.3)
        left = [k for k in kids if os.path.exists(f"/proc/{k}")
                and not open(f"/proc/{k}/stat").read().split(")")[1].split()[0] == "Z"]
        lines = err.strip().splitlines()
        check(kids and child.returncode == 128 + sig and lines ==
              [f"py_baseline.py: interrupted by {sig.name}"] and not left,
              f"{wl} stopped by {sig.name}: one line, exit {128 + sig}, none of its "
              f"{len(kids)} children left ({child.returncode}: {lines[-3:]!r}, left {left})")


def children(pid):
    r = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(x) for x in r.stdout.split()]


def part_platform(build, tmp):
    xml = os.path.join(tmp, "fast.xml")
    with open(xml, "w", encoding="utf-8") as f:
        f.write("<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM "
                "\"https://simgrid.org/simgrid.dtd\">\n<platform version=\"4.1\">\n"
                "  <cluster id=\"c\" prefix=\"n\" suffix=\"\" radical=\"0-1\" speed=\"fast\" "
                "bw=\"10Gbps\" lat=\"1us\" bb_bw=\"10Gbps\" bb_lat=\"1us\"/>\n</platform>\n")
    r = run([COMPARE, "--build", build, "--simulate", xml, "--dry-run"])
    check(one_line(r, 'speed="fast"'), f"speed=\"fast\" refused before anything runs, named "
          f"({r.returncode}: {r.stderr.strip()[-300:]!r})")
    if not (shutil.which("smpicc") and shutil.which("smpirun")):
        print("skip (SimGrid's line): smpicc or smpirun is not installed")
        return
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    try:
        from gilfree import simulate
    except ImportError as e:
        check(False, f"gilfree.simulate: {e}")
        return
    src = os.path.join(tmp, "hello.c")
    with open(src, "w", encoding="utf-8") as f:
        f.write("#include <mpi.h>\nint main(int c, char **v)\n{\n\tMPI_Init(&c, &v);\n"
                "\tMPI_Finalize();\n\treturn 0;\n}\n")
    exe, hf = os.path.join(tmp, "hello"), os.path.join(tmp, "hosts")
    subprocess.run(["smpicc", "-o", exe, src], capture_output=True, timeout=120)
    with open(hf, "w", encoding="utf-8") as f:
        f.write("n0\nn1\n")
    log = _sim_log(simulate)
    done = subprocess.run(["smpirun", "-np", "2", "-platform", xml, "-hostfile", hf,
                           "--cfg=smpi/host-speed:1Gf", *log, exe], capture_output=True,
                          text=True, timeout=120, cwd=tmp)
    why = simulate.sim_reason(done) if hasattr(simulate, "sim_reason") else "-"
    check(done.returncode != 0 and "cannot parse number:fast" in why,
          f"SimGrid's own line passed through, under the simulation's log options ({why!r})")


def _sim_log(simulate):
    """The --log options the simulation gives smpirun, read from its command line's code."""
    import inspect
    import re
    return re.findall(r'"(--log=[^"]+)"', inspect.getsource(simulate.Simulation.command))


def part_counting(build, tmp):
    script = os.path.join(tmp, "nothing.py")
    with open(script, "w", encoding="utf-8") as f:
        f.write(f"import sys\nsys.path.insert(0, {os.path.join(ROOT, 'tests')!r})\n"
                "from checks import status\nsys.exit(status())\n")
    r = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=60)
    check(r.returncode == 1, f"a checks.py script that checked nothing: exit 1 ({r.returncode}: "
          f"{r.stdout.strip()!r})")
    exe = TEST_EXIT[0]
    for arg, want in (("0", 0), ("1", 1), ("256", 1), ("none", 1)):
        r = subprocess.run([exe, arg], capture_output=True, text=True, timeout=60)
        check(r.returncode == want, f"CUnit program with {arg} failures: exit {want} "
              f"({r.returncode})")


PARTS = {"across": part_across, "records": part_records, "inputs": part_inputs,
         "reason": part_reason, "baseline": part_baseline, "platform": part_platform,
         "counting": part_counting}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--only", choices=sorted(PARTS), required=True)
    ap.add_argument("--test-exit", default="", help="the test_exit CUnit program (counting)")
    a = ap.parse_args()
    TEST_EXIT[0] = a.test_exit
    with tempfile.TemporaryDirectory(prefix="gilfree-outside-") as tmp:
        PARTS[a.only](os.path.abspath(a.build), tmp)
    return status()


if __name__ == "__main__":
    sys.exit(main())
