#!/bin/sh
# mkman.sh IN OUT PROGRAM VERSION: the man page IN with @HELP@ replaced by
# PROGRAM's --help, verbatim, so the page's options are always the program's.
set -eu
in=$1 out=$2 prog=$3 version=$4
"$prog" --help > "$out.help" 2>&1 || true
[ -s "$out.help" ] || { echo "mkman: $prog --help printed nothing" >&2; exit 1; }
sed -e 's/\\/\\e/g' -e "s/^[.']/\\\\\&&/" "$out.help" > "$out.roff"
awk -v f="$out.roff" '/^@HELP@$/ { print ".nf"; while ((getline l < f) > 0) print l; print ".fi"; next } { print }' \
  "$in" | sed "s/@VERSION@/$version/g" > "$out"
rm -f "$out.help" "$out.roff"
