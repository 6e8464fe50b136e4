"""Where the project is and what it runs on: its folder, its version, the machine's cores and
description, and the check of a new output folder."""
import os
import platform
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def installed_prefix():
    """DIR when these scripts are installed (`cmake --install build --prefix DIR` puts them in
    DIR/share/gilfree/scripts and the binaries in DIR/bin), else None."""
    prefix = os.path.dirname(os.path.dirname(ROOT))
    if os.path.basename(os.path.dirname(ROOT)) == "share" and \
            os.path.isfile(os.path.join(ROOT, "VERSION")) and \
            not os.path.isfile(os.path.join(ROOT, "CMakeLists.txt")):
        return prefix
    return None


def default_build():
    """The folder whose bin/ holds the binaries: build/ in a source tree, the prefix of an
    installed one."""
    return installed_prefix() or os.path.join(ROOT, "build")


def version():
    """The project version, from the top-level CMakeLists.txt (the C binaries print the same),
    or the VERSION file installed beside the scripts."""
    try:
        with open(os.path.join(ROOT, "CMakeLists.txt"), encoding="utf-8") as f:
            m = re.search(r"project\(gilfree\s+VERSION\s+([0-9.]+)", f.read())
        return m.group(1) if m else "unknown"
    except OSError:
        pass
    try:
        with open(os.path.join(ROOT, "VERSION"), encoding="utf-8") as f:
            return f.read().strip() or "unknown"
    except OSError:
        return "unknown"


def cores():
    """The online cores of this machine."""
    return os.sysconf("SC_NPROCESSORS_ONLN")


def out_dir_problem(path):
    """What stops path from being a new results folder (a line's end: "exists and is not an
    empty folder", "Permission denied"), or None. A folder that does not exist is created and
    removed again, parents too, to know that it can be: nothing is left behind."""
    path = os.path.abspath(path)
    if os.path.exists(path):
        if not os.path.isdir(path) or os.listdir(path):
            return "exists and is not an empty folder"
        return None if os.access(path, os.W_OK | os.X_OK) else os.strerror(13)
    made, parent = [], path
    while not os.path.exists(parent):
        made.append(parent)
        parent = os.path.dirname(parent)
    try:
        os.makedirs(path)
        problem = None
    except OSError as e:
        problem = e.strerror
    for folder in made:  # deepest first; those made before a failure too
        if os.path.isdir(folder):
            os.rmdir(folder)
    return problem


def first_line(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if out.returncode == 0 and text else None


def machine(build):
    info = {"cores": cores()}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            info["cpu"] = next((line.split(":", 1)[1].strip() for line in f
                                if line.startswith("model name")), platform.processor())
    except OSError:
        info["cpu"] = platform.processor() or "unknown"
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
        info["memory"] = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        info["memory"] = "unknown"
    info["kernel"] = platform.release()
    info["gcc"] = first_line(["gcc", "--version"]) or "gcc not found"
    mpi = first_line(["ompi_info", "--version"]) or first_line(["mpirun", "--version"])
    info["mpi"] = mpi or "no MPI"
    info["python"] = platform.python_version()
    info["gnuplot"] = first_line(["gnuplot", "--version"]) or "not installed"
    info["gilfree"] = version()
    for name in ("omp", "posix", "mpi"):
        v = first_line([os.path.join(build, "bin", f"gilfree-{name}"), "--version"])
        if v:
            info[f"gilfree-{name}"] = v
    commit = first_line(["git", "-C", ROOT, "rev-parse", "HEAD"])
    if commit:
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True)
        commit += " (with uncommitted changes)" if dirty.stdout.strip() else ""
    info["commit"] = commit or "unknown (not a git checkout)"
    return info
