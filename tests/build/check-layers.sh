#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The layers of docs/design.md §1 and §9, read from the objects of a build:
# for every pair of production source files, an edge A -> B when A's object
# uses a symbol that B's object defines. Fails on an edge that runs up or
# sideways between folders (protocol/ <- store/ <- {node/, tools/}) and on any
# circle between files (tsort finds it).
#   bash tests/build/check-layers.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:?usage: check-layers.sh BUILD_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
objs=()
for t in vl_protocol vl_store vl_nodecore valise valise-node; do
    while IFS= read -r o; do objs+=("$o"); done < <(find "$B/CMakeFiles/$t.dir" -name '*.c.o' | sort)
done
[ "${#objs[@]}" -gt 0 ] || { echo "check-layers: no objects under $B" >&2; exit 1; }
# name of an object: its source path relative to the tree (protocol/vl_codec.c)
name() { local o=${1#"$B"/CMakeFiles/*.dir/}; echo "${o%.o}"; }
rank() {
    case $1 in
    protocol/*) echo 1 ;;
    store/*) echo 2 ;;
    node/*|tools/*) echo 3 ;;
    *) echo 9 ;;
    esac
}
for o in "${objs[@]}"; do
    n=$(name "$o")
    [ -f "$n" ] || continue # an object left by a source file since removed
    echo "$n" >>"$tmp/files"
    nm --defined-only "$o" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sed "s|\$| $n|" >>"$tmp/defs"
    nm -u "$o" | awk '{print $2}' | sed "s|^|$n |" >>"$tmp/uses"
done
sort -k1,1 "$tmp/defs" >"$tmp/defs.s"
# uses: "file sym" -> join on sym with defs "sym file"
awk '{print $2, $1}' "$tmp/uses" | sort -k1,1 | join - "$tmp/defs.s" |
    awk '$2 != $3 {print $2, $3}' | sort -u >"$tmp/edges"
bad=0
while read -r a b; do
    ra=$(rank "$a") rb=$(rank "$b")
    if [ "$rb" -gt "$ra" ] || { [ "$rb" = "$ra" ] && [ "${a%%/*}" != "${b%%/*}" ]; }; then
        echo "check-layers: $a uses $b: an arrow up or sideways" >&2
        bad=1
    fi
done <"$tmp/edges"
if ! tsort "$tmp/edges" >/dev/null 2>"$tmp/tsort"; then
    echo "check-layers: a circle between files:" >&2
    cat "$tmp/tsort" >&2
    bad=1
fi
[ "$bad" = 0 ] || exit 1
echo "check-layers: $(wc -l <"$tmp/edges") arrows between $(wc -l <"$tmp/files") files, none up or sideways, no circle"
