#!/usr/bin/env python3
"""Checks of the documentation: README.md and docs/*.md.

  docs_check.py --source SRC_DIR --build BUILD_DIR --only links|examples
                [--backends omp;posix;mpi;hybrid] [PAGE...]

links:    every relative link points to a file or folder that exists, and every #anchor to
          a heading of its page; docs/README.md links every page of docs/; README.md has at
          most 250 lines and links at least 5 pages of docs/; a page with shell examples
          marks at least one of them as tested.
examples: every fenced example marked as tested runs from the source folder against the
          build, with the MPI environment set, and ends as the page says.

How an example is marked (the info string of its fence, after the language):
  ```sh test            the block is one bash script (set -e, pipefail); it must exit 0
  ```console test       each line "$ COMMAND" is run on its own; the lines after it are
                        output the page shows, and each must begin a line of the command's
                        output (stdout and stderr), with any number standing for any number
                        (timings, core counts) and "..." for any text; it must exit 0
  exit=N                after "test": the exit status expected instead of 0
  needs=PATH            after "test": run only where PATH exists (build/bin/gilfree-mpi-sim),
                        else say it was skipped
  timeout=S             after "test": seconds the block may take (default 120)
A path beginning with build/ in a tested example is the build under test; an example that
names the binary of a backend the build leaves out (--backends, CMake's GF_BACKENDS) is
skipped, and says so. The examples run
with TMPDIR set to a scratch folder that is removed afterwards, so that what they write
there (mktemp -d) goes with it; each one's process group is killed when it ends.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from checks import check, status

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
NUMBER = re.compile(r"(\d+(?:\.\d+)?)")
BACKEND_BINARY = re.compile(r"\bgilfree-(omp|posix|mpi|hybrid)\b(?!-)")
ALL_BACKENDS = "omp;posix;mpi;hybrid"
SHELL_LANGS = {"sh", "bash", "shell", "console"}
MPI_ENV = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_rmaps_base_oversubscribe": "1",
    "OMPI_MCA_mpi_yield_when_idle": "1",
}
README_MAX_LINES = 250
README_MIN_DOCS = 5


class Block:
    """One fenced block: its page, the line of its first content line, its language, whether
    it is tested, its attributes (exit, needs, timeout) and its lines, unindented."""

    def __init__(self, page, line, info, lines):
        words = info.split()
        self.page, self.line, self.lines = page, line, lines
        self.lang = words[0] if words else ""
        self.tested = "test" in words[1:]
        self.attrs = dict(w.split("=", 1) for w in words[1:] if "=" in w)

    def where(self):
        return f"{self.page}:{self.line}"


def pages(source):
    """README.md and every docs/*.md, as paths relative to source."""
    found = [Path("README.md")] if (source / "README.md").exists() else []
    return found + sorted(p.relative_to(source) for p in (source / "docs").glob("*.md"))


def parse(source, page):
    """(blocks, text lines outside the fences) of one page."""
    blocks, prose, open_ = [], [], None
    for n, line in enumerate((source / page).read_text().splitlines(), 1):
        m = FENCE.match(line)
        if open_ is None:
            if m:
                indent, fence, info = m.groups()
                open_ = (len(indent), fence, info, n + 1, [])
            else:
                prose.append(line)
            continue
        indent, fence, info, first, lines = open_
        if m and m.group(2)[0] == fence[0] and len(m.group(2)) >= len(fence) \
                and not m.group(3).strip():
            blocks.append(Block(str(page), first, info, lines))
            open_ = None
        else:
            cut = len(line) - len(line.lstrip(" "))
            lines.append(line[min(cut, indent):])
    return blocks, prose


def slug(heading):
    """The anchor GitHub gives a heading: lower case, punctuation but - and _ dropped,
    spaces turned into -."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(source, page):
    """The anchors of a page's headings, with GitHub's -1, -2 for repeated ones."""
    seen, out = {}, set()
    for line in parse(source, page)[1]:
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        s = slug(m.group(1))
        out.add(f"{s}-{seen[s]}" if s in seen else s)
        seen[s] = seen.get(s, 0) + 1
    return out


def check_links(source, page_list):
    for page in page_list:
        blocks, prose = parse(source, page)
        text = re.sub(r"`[^`]*`", "", "\n".join(prose))  # no links inside code
        bad = []
        for target in LINK.findall(text):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            path, _, anchor = target.partition("#")
            dest = (source / page).parent / path if path else source / page
            if not dest.exists():
                bad.append(f"{target} (no such file)")
            elif anchor and dest.suffix == ".md" and \
                    anchor not in anchors(source, dest.resolve().relative_to(source.resolve())):
                bad.append(f"{target} (no such heading)")
        check(not bad, f"{page}: every relative link leads somewhere", "; ".join(bad))
        shell = [b for b in blocks if b.lang in SHELL_LANGS]
        if shell:
            check(any(b.tested for b in shell), f"{page}: at least one shell example is tested",
                  f"{len(shell)} shell blocks, none marked test")

    readme = source / "README.md"
    lines = readme.read_text().splitlines()
    check(len(lines) <= README_MAX_LINES, f"README.md has at most {README_MAX_LINES} lines",
          f"{len(lines)} lines")
    linked = {t.split("#")[0] for t in LINK.findall(readme.read_text())}
    docs = {f"docs/{p.name}" for p in (source / "docs").glob("*.md") if p.name != "README.md"}
    check(len(docs & linked) >= README_MIN_DOCS,
          f"README.md points into at least {README_MIN_DOCS} pages of docs/",
          f"it links {sorted(docs & linked)}")
    index = source / "docs" / "README.md"
    if check(index.exists(), "docs/README.md, the index, exists"):
        listed = {t.split("#")[0] for t in LINK.findall(index.read_text())}
        missing = sorted(d for d in docs if d[len("docs/"):] not in listed)
        check(not missing, "docs/README.md links every page of docs/", ", ".join(missing))


def with_build(text, build, source):
    """text with the paths into build/ made paths into the build under test."""
    if build.resolve() == (source / "build").resolve():
        return text
    return re.sub(r"(?<![\w./-])build(?=/|\s|$)", str(build), text)


def run(script, env, timeout):
    """(exit status, output) of bash running script in its own process group, which is killed
    when it ends or runs past timeout (exit status None)."""
    proc = subprocess.Popen(["bash", "-c", script], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, text=True, errors="replace")
    try:
        out, _ = proc.communicate(timeout=timeout)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        rc = None
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if rc is None:
        out, _ = proc.communicate()
    return rc, out


def tail(out, n=15):
    return "\n    ".join([""] + out.rstrip().splitlines()[-n:])


def shown_pattern(line):
    """The regular expression a shown output line stands for: numbers stand for any number,
    "..." for any text, runs of blanks for any blanks."""
    parts = []
    for piece in " ".join(line.split()).split("..."):
        parts.append("".join(r"\d+(?:\.\d+)?" if NUMBER.fullmatch(p) else re.escape(p)
                             for p in NUMBER.split(piece)))
    return re.compile(".*".join(parts))


def console_commands(lines):
    """[(command, [shown output lines])] of a console block."""
    cmds = []
    for line in lines:
        if line.startswith("$ "):
            cmds.append([line[2:], []])
        elif cmds and cmds[-1][0].endswith("\\") and not cmds[-1][1]:
            cmds[-1][0] += "\n" + line
        elif cmds and line.strip():
            cmds[-1][1].append(line)
    return cmds


def run_block(block, source, build, env, backends):
    want = int(block.attrs.get("exit", 0))
    timeout = float(block.attrs.get("timeout", 120))
    needs = block.attrs.get("needs")
    if needs and not Path(with_build(needs, build, source)).exists():
        print(f"skip {block.where()}: {needs} is not built", flush=True)
        return
    left_out = sorted(set(BACKEND_BINARY.findall("\n".join(block.lines))) - backends)
    if left_out:
        print(f"skip {block.where()}: this build leaves out {', '.join(left_out)}", flush=True)
        return
    if block.lang == "console":
        for cmd, shown in console_commands(block.lines):
            rc, out = run("set -o pipefail\n" + with_build(cmd, build, source), env, timeout)
            what = f"{block.where()}: $ {cmd}"
            if not check(rc == want, f"{what} exits {want}",
                         f"exit {rc}" + tail(out) if rc is not None
                         else f"still running after {timeout:g} s" + tail(out)):
                continue
            got = [" ".join(x.split()) for x in out.splitlines()]
            missing = [s for s in shown if not any(shown_pattern(s).match(g) for g in got)]
            check(not missing, f"{what} prints the lines shown",
                  "missing:" + "".join(f"\n    {m}" for m in missing) + "\n  output:" + tail(out))
        return
    # One bash script; the trap names the page's line of the command that failed.
    offset = block.line - 3
    script = ("set -eo pipefail\n"
              f"trap 'echo \"docs_check: the command at line $((LINENO + {offset})) "
              "exited $?\" >&2' ERR\n" + with_build("\n".join(block.lines), build, source))
    rc, out = run(script, env, timeout)
    check(rc == want, f"{block.where()}: the {block.lang} example exits {want}",
          f"exit {rc}" + tail(out) if rc is not None
          else f"still running after {timeout:g} s" + tail(out))


def check_examples(source, build, page_list, backends):
    scratch = tempfile.mkdtemp(prefix="gf-docs-")
    env = dict(os.environ, TMPDIR=scratch, PYTHONDONTWRITEBYTECODE="1")
    for k, v in MPI_ENV.items():
        env.setdefault(k, v)
    try:
        count = 0
        for page in page_list:
            for block in parse(source, page)[0]:
                if block.tested:
                    count += 1
                    run_block(block, source, build, env, backends)
        check(count > 0, "there are tested examples", "none marked test")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", required=True, type=Path)
    ap.add_argument("--build", required=True, type=Path)
    ap.add_argument("--only", required=True, choices=["links", "examples"])
    ap.add_argument("--backends", default=ALL_BACKENDS,
                    help=f"the backends built, ;-separated (default {ALL_BACKENDS})")
    ap.add_argument("page", nargs="*", help="only these pages (paths under --source)")
    args = ap.parse_args()
    source, build = args.source.resolve(), args.build.resolve()
    page_list = [Path(p) for p in args.page] or pages(source)
    for p in page_list:
        if not (source / p).is_file():
            print(f"docs_check.py: no page '{p}' under {source}", file=sys.stderr)
            return 2
    os.chdir(source)
    if args.only == "links":
        check_links(source, page_list)
    else:
        check_examples(source, build, page_list, set(args.backends.split(";")))
    return status()


if __name__ == "__main__":
    sys.exit(main())
