#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Every source file we wrote carries "SPDX-License-Identifier: MIT" at its
# top (LICENSE), so that an integrator's legal review can clear the tree
# file by file.
#
#   sh scripts/spdx-check.sh          checks: lists each file without the
#                                     line, exits non-zero if any (make
#                                     check runs this)
#   sh scripts/spdx-check.sh --fix    adds the line where it is missing,
#                                     then checks
#
# Our sources: the files git knows (tracked, or new and not ignored) that
# are C (*.c, *.h), .proto, shell (*.sh), Python (*.py) or a Makefile.
# Not third_party/ (nng's sources are downloaded, and its patches must
# still apply), nor anything generated (build*/ is ignored by git).
#
# The line: the first line of the file, or the second after a "#!" line:
#   C and headers   /* SPDX-License-Identifier: MIT */
#   .proto          // SPDX-License-Identifier: MIT
#   the others      # SPDX-License-Identifier: MIT
# --fix is idempotent: run it again after merging other branches, then
# commit what it changed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${HEDUI_SRC:-$here/..}
cd "$top" || exit 1
fix=0
[ "${1:-}" = "--fix" ] && fix=1

tag="SPDX-License-Identifier: MIT"

sources() {
	if git rev-parse --git-dir >/dev/null 2>&1; then
		git ls-files --cached --others --exclude-standard -- \
			'*.c' '*.h' '*.proto' '*.sh' '*.py' 'Makefile' \
			'*/Makefile'
	else
		# A tree without .git (an unpacked tarball): the same by name.
		find . \( -path ./third_party -o -path './build*' -o \
			-path ./.git \) -prune -o -type f \( -name '*.[ch]' -o \
			-name '*.proto' -o -name '*.sh' -o -name '*.py' -o \
			-name Makefile \) -print | sed 's|^\./||'
	fi | grep -v '^third_party/' | sort -u
}

# The comment line for a file.
line_for() {
	case "$1" in
	*.c | *.h) echo "/* $tag */" ;;
	*.proto) echo "// $tag" ;;
	*) echo "# $tag" ;;
	esac
}

# Whether the file has the tag where it belongs.
has_tag() {
	first=$(sed -n 1p "$1")
	case "$first" in
	*"$tag"*) return 0 ;;
	'#!'*) sed -n 2p "$1" | grep -q "$tag" ;;
	*) return 1 ;;
	esac
}

add_tag() {
	f=$1
	l=$(line_for "$f")
	tmp=$f.spdx.$$
	if sed -n 1p "$f" | grep -q '^#!'; then
		{ sed -n 1p "$f"; echo "$l"; sed '1d' "$f"; } >"$tmp"
	else
		{ echo "$l"; cat "$f"; } >"$tmp"
	fi
	# Keep the mode (scripts stay executable).
	cat "$tmp" >"$f" && rm -f "$tmp"
}

missing=0
checked=0
for f in $(sources); do
	[ -f "$f" ] || continue
	checked=$((checked + 1))
	has_tag "$f" && continue
	if [ "$fix" -eq 1 ]; then
		add_tag "$f"
		has_tag "$f" && continue
	fi
	echo "FAIL: no SPDX line: $f"
	missing=$((missing + 1))
done
echo "$((checked - missing)) passed, $missing failed"
[ "$missing" -eq 0 ]
