#!/usr/bin/env python3
"""The man pages render (man -l, with groff's warnings) and hold every option of the --help
they are written from; `cmake --install` puts them in share/man/man1.

  man_pages.py --build DIR --source DIR --binary gilfree-omp=PATH ...
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import add_binary_args, binaries, check, status  # noqa: E402

ENV = dict(os.environ, LC_ALL="C", LANG="C", MANWIDTH="200")


def render(page):
    out = subprocess.run(["man", "--warnings", "-l", page], capture_output=True, text=True,
                         env=ENV, timeout=60, stdin=subprocess.DEVNULL)
    return out.returncode, out.stdout, out.stderr


def help_options(cmd):
    out = subprocess.run(cmd + ["--help"], capture_output=True, text=True, timeout=60,
                         stdin=subprocess.DEVNULL)
    # an option's name ends in a letter: a word that argparse wrapped at its hyphen ("--ci-")
    # is no option
    names = re.findall(r"(?<![\w-])(--[a-z][a-z-]*[a-z])(?![\w-])", out.stdout)
    return out.returncode, sorted(set(names))


def check_page(name, page, cmd):
    rc, text, err = render(page)
    check(rc == 0 and text and not err.strip(), f"{name}: man -l renders without warnings",
          f"exit {rc}, stderr {err[:300]!r}")
    check(re.search(r"^NAME\n", text, re.M) and re.search(r"^OPTIONS\n", text, re.M),
          f"{name}: NAME and OPTIONS sections")
    hrc, opts = help_options(cmd)
    check(hrc == 0 and len(opts) > 5, f"{name}: --help lists {len(opts)} options")
    missing = [o for o in opts if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", text)]
    check(not missing, f"{name}: every option of --help is in the page", f"missing {missing}")
    if name.startswith("gilfree-"):
        for word in ("(default: ", "EXIT STATUS"):
            check(word in text, f"{name}: the page has {word!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_binary_args(ap)
    ap.add_argument("--build", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    man_dir = os.path.join(args.build, "man", "man1")
    check(shutil.which("man") is not None, "man is installed (man-db)")
    pages = []
    for b, path in binaries(args):
        pages.append((f"gilfree-{b}", [path]))
    pages.append(("compare.py", [sys.executable,
                                 os.path.join(args.source, "scripts", "compare.py")]))
    for name, cmd in pages:
        page = os.path.join(man_dir, f"{name}.1")
        if check(os.path.isfile(page), f"{name}: {page} was written at build time"):
            check_page(name, page, cmd)
    with tempfile.TemporaryDirectory(prefix="gf-man-") as prefix:
        out = subprocess.run(["cmake", "--install", args.build, "--prefix", prefix],
                             capture_output=True, text=True, timeout=120)
        installed = os.path.join(prefix, "share", "man", "man1")
        for name, _ in pages:
            check(out.returncode == 0 and os.path.isfile(os.path.join(installed, f"{name}.1")),
                  f"cmake --install: share/man/man1/{name}.1", out.stderr[-300:])
    return status()


if __name__ == "__main__":
    sys.exit(main())
