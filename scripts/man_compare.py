#!/usr/bin/env python3
"""Writes compare.py's man page (roff) on stdout, from its own argparse parser: the same
options, arguments, defaults and help as `compare.py --help`. Run at build time by CMake.

  man_compare.py VERSION > compare.py.1
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gilfree import cli, comparison  # noqa: E402


class Parser(Exception):
    """Carries the parser out of comparison.parse_args before it parses anything."""


def compare_parser():
    def grab(self, *args, **kwargs):
        raise Parser(self)

    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "compare.py")) as f:
        source = f.read()
    doc = source.split('"""', 2)[1]
    was = cli.OneLineParser.parse_args
    cli.OneLineParser.parse_args = grab
    try:
        comparison.parse_args([], doc)
    except Parser as caught:
        return caught.args[0], doc
    finally:
        cli.OneLineParser.parse_args = was
    raise SystemExit("man_compare.py: compare.py's parser was not found")


def roff(text):
    out = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(("\\&" + line if line.startswith((".", "'")) else line)
                     for line in out.split("\n"))


def option(p, action):
    """The .TP paragraph of one option: its spellings, its argument, its help and default."""
    fmt = p._get_formatter()
    arg = fmt._format_args(action, action.dest.upper()) if action.nargs != 0 else ""
    head = ", ".join(f"\\fB{roff(s)}\\fR" for s in action.option_strings)
    help_text = fmt._expand_help(action) if action.help else ""
    default = action.default
    if action.nargs != 0 and default not in (None, argparse.SUPPRESS, [], "") and \
            "default" not in help_text:
        help_text += f" (default: {default})"
    if arg:
        head += " \\fI" + roff(arg) + "\\fR"
    return f".TP\n{head}\n{roff(help_text)}\n"


def main():
    version = sys.argv[1] if len(sys.argv) > 1 else ""
    p, doc = compare_parser()
    summary, _, rest = doc.strip().partition("\n\n")
    out = [f'.TH COMPARE.PY 1 "" "gilfree {version}" "User Commands"', ".SH NAME",
           "compare.py \\- " + roff(" ".join(summary.split()).split(";")[0].rstrip(".")),
           ".SH SYNOPSIS", roff(" ".join(p.format_usage().split()[1:])),
           ".SH DESCRIPTION", roff(" ".join(summary.split())), ".PP"]
    out += [roff(para.replace("\n", " ")) + "\n.PP" for para in rest.split("\n\n")]
    out.append(".SH OPTIONS")
    for action in p._actions:
        if action.option_strings and action.help != argparse.SUPPRESS:
            out.append(option(p, action).rstrip("\n"))
    if p.epilog:
        out += [".SH BACKENDS", ".nf", roff(p.epilog), ".fi"]
    out += [".SH SEE ALSO", "gilfree\\-omp(1), gilfree\\-posix(1), gilfree\\-mpi(1), "
            "gilfree\\-hybrid(1)"]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
