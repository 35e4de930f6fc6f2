#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Write a gzipped man page for PROGRAM from its --help (Debian's help2man),
# with every command's --help when the program has commands.
#   packaging/man.sh PROGRAM SECTION VERSION "one-line description" OUT.gz
set -euo pipefail
prog=$1 section=$2 version=$3 desc=$4 out=$5
name=$(basename "$prog")
inc=$(mktemp) page=$(mktemp)
trap 'rm -f "$inc" "$page"' EXIT

# roff-safe text: backslashes escaped, no line starting with a control char
roff() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }

cmds=$("$prog" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
if [ -n "$cmds" ]; then
    echo '[COMMANDS]' >"$inc"
    for c in $cmds; do
        { echo ".SS \"$name $c\""; echo '.nf'; "$prog" "$c" --help | roff; echo '.fi'; } >>"$inc"
    done
fi
cat >>"$inc" <<SEE
[SEE ALSO]
valise(1), valise\\-node(8), and the operator's runbook,
/usr/share/doc/valise/operator.md (docs/operator.md in the source).
SEE
help2man --no-info --no-discard-stderr --section="$section" --name="$desc" \
         --version-string="$version" --include="$inc" --output="$page" "$prog"
gzip -n -9 -c "$page" >"$out"
