#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""spec_tables.py - the tables of docs/limits.md, made from the headers.

    spec_tables.py SRC                print the two tables (errors, limits)
    spec_tables.py SRC --check DOC    exit 1 unless DOC holds them as printed
    spec_tables.py SRC --write DOC    put them into DOC
    spec_tables.py SRC --asserts      a C file asserting every number printed

The tables sit in DOC between `<!-- generated: errors -->` / `<!-- generated:
limits -->` and the next `<!-- end generated -->`. Error codes come from the
enum of protocol/vl_error.h (name, number, its comment) and the texts of
vl_strerror in protocol/vl_error.c; limits from every `#define VL_*` of
protocol/vl_limits.h, their values computed here and, with --asserts, checked
by the C compiler (_Static_assert) so that a number in the doc is the one the
programs use.
"""
import re
import sys

ENUM = re.compile(r'^\s*(VL_[A-Z]+)\s*=\s*(-?\d+),?\s*(?:/\*\*<\s*(.*?)\s*\*/)?\s*$')
CASE = re.compile(r'case (VL_[A-Z]+):\s*return "([^"]*)";')
DEFINE = re.compile(r'^#define (VL_[A-Z0-9_]+)\s+(.+?)\s*$')


def errors(src):
    text = {}
    for m in CASE.finditer(open(src + "/protocol/vl_error.c", encoding="utf-8").read()):
        text[m.group(1)] = m.group(2)
    rows, inside = [], False
    for line in open(src + "/protocol/vl_error.h", encoding="utf-8"):
        if line.startswith("enum {"):
            inside = True
            continue
        if inside and line.startswith("};"):
            break
        m = ENUM.match(line) if inside else None
        if m:
            name = m.group(1)
            if name not in text:
                sys.exit("spec_tables: %s has no text in vl_strerror" % name)
            if not m.group(3):
                sys.exit("spec_tables: %s has no /**< comment */ in vl_error.h" % name)
            rows.append((name, int(m.group(2)), text[name], m.group(3)))
    if len(rows) < 2:
        sys.exit("spec_tables: no error codes found in vl_error.h")
    return rows


def evaluate(expr, known):
    e = re.sub(r'\b(\d+)(?:ull|ul|u|ll|l)\b', r'\1', expr, flags=re.I)
    e = re.sub(r'\b(VL_[A-Z0-9_]+)\b', lambda m: str(known[m.group(1)]), e)
    if not re.fullmatch(r'[0-9+\-*() ]+', e):
        sys.exit("spec_tables: cannot evaluate %r" % expr)
    return int(eval(e, {"__builtins__": {}}))  # digits, + - * and brackets only


def limits(src):
    rows, known, comment, section = [], {}, [], ""
    for line in open(src + "/protocol/vl_limits.h", encoding="utf-8"):
        s = line.strip()
        m = re.match(r'^/\* ---- (.*?) -+ \*/$', s)
        if m:
            section, comment = m.group(1), []
            continue
        if s.startswith("/**"):
            comment = [s[3:]]
        elif comment and s.startswith("*") and not s.startswith("*/"):
            comment.append(s[1:])
        m = DEFINE.match(s)
        if m and m.group(1) != "VL_LIMITS_H":
            name, expr = m.group(1), m.group(2)
            known[name] = evaluate(expr, known)
            why = " ".join(c.strip() for c in comment).replace("*/", "").strip()
            if not why:
                sys.exit("spec_tables: %s has no /** comment */ in vl_limits.h" % name)
            rows.append((section, name, known[name], why))
            comment = []
        elif not s.startswith(("/**", "*", "#define")) and s:
            comment = []
    if len(rows) < 2:
        sys.exit("spec_tables: no limits found in vl_limits.h")
    return rows


def cell(s):
    return s.replace("|", "\\|")


def number(n):
    return "{:,}".format(n)


def tables(src):
    e = ["| name | code | text (`vl_strerror`) | meaning |", "|---|---|---|---|"]
    for name, code, text, why in errors(src):
        e.append("| `%s` | %d | %s | %s |" % (name, code, cell(text), cell(why)))
    l = ["| name | value | section | what it bounds |", "|---|---|---|---|"]
    for section, name, value, why in limits(src):
        l.append("| `%s` | %s | %s | %s |" % (name, number(value), section, cell(why)))
    return {"errors": "\n".join(e), "limits": "\n".join(l)}


def splice(doc, t):
    for key, table in t.items():
        pat = re.compile(r'(<!-- generated: %s -->\n)(.*?)(<!-- end generated -->)' % key, re.S)
        if not pat.search(doc):
            sys.exit("spec_tables: no '<!-- generated: %s -->' block" % key)
        doc = pat.sub(lambda m: m.group(1) + table + "\n" + m.group(3), doc, count=1)
    return doc


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    src, args = sys.argv[1], sys.argv[2:]
    t = tables(src)
    if not args:
        print(t["errors"] + "\n\n" + t["limits"])
    elif args[0] == "--asserts":
        print('#include "vl_error.h"\n#include "vl_limits.h"')
        for name, code, text, _ in errors(src):
            print("_Static_assert(%s == %d, \"%s\");" % (name, code, name))
        for _, name, value, _ in limits(src):
            print("_Static_assert((unsigned long long)(%s) == %dull, \"%s\");" % (name, value, name))
        print("int main(void) { return 0; }")
    elif args[0] in ("--check", "--write") and len(args) == 2:
        doc = open(args[1], encoding="utf-8").read()
        new = splice(doc, t)
        if args[0] == "--write":
            open(args[1], "w", encoding="utf-8").write(new)
        elif new != doc:
            sys.exit("spec_tables: %s differs from the headers: run "
                     "tests/docs/spec_tables.py . --write %s" % (args[1], args[1]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
