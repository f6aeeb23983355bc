#!/bin/sh
# SPDX-License-Identifier: MIT
# The documentation stands on its own: a clone of the repository is all a
# reader has. Checks that
#   - every relative link of every Markdown file in the repository
#     ([text](path), ![alt](path), [label]: path) resolves to a file or
#     directory inside the repository, and a #heading in it to one of the
#     target's headings (GitHub's anchors: lower case, punctuation dropped,
#     spaces to hyphens);
#   - no link climbs out of its document's folder ("../");
#   - no file of the repository mentions a path outside it (the parent
#     directory's shared/, or absolute /work paths).
# Links inside code (fenced blocks, `spans`) are not links and are skipped;
# http(s) and mailto links are not checked (no network in make check).
# Prints "N passed, N failed" (one check per link and per rule); exits
# non-zero if anything failed.
#
#   sh tests/docs/check-links.sh        (from anywhere)
set -u
# Bytes, not characters: headings in Chinese keep every byte.
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "${HEDUI_SRC:-$here/../..}" && pwd -P)
cd "$top" || exit 1

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() {
	failed=$((failed + 1))
	echo "FAIL: $*"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# The repository's files: tracked and new ones git does not ignore; outside
# git (a tarball), every file but the build and fetched trees.
if git rev-parse --show-toplevel >/dev/null 2>&1; then
	git ls-files --cached --others --exclude-standard >"$tmp/all"
else
	find . -type f ! -path './build*' ! -path './.git/*' \
		! -path './third_party/nng/dl/*' | sed 's|^\./||' >"$tmp/all"
fi
# Files listed but deleted in the work tree are not there to read.
while IFS= read -r f; do
	[ -f "$f" ] && printf '%s\n' "$f"
done <"$tmp/all" | sort -u >"$tmp/files"
grep '\.md$' "$tmp/files" >"$tmp/md"

# The links of one Markdown file as "LINE<TAB>TARGET", code left out.
links_of() {
	awk '
	/^[ \t]*(```|~~~)/ { fence = !fence; next }
	fence { next }
	{
		line = $0
		# inline code spans are not links
		gsub(/`[^`]*`/, "", line)
		# reference definitions: [label]: target
		if (match(line, /^[ \t]*\[[^]]+\]:[ \t]*[^ \t]+/)) {
			d = substr(line, RSTART, RLENGTH)
			sub(/^[ \t]*\[[^]]+\]:[ \t]*/, "", d)
			gsub(/^<|>$/, "", d)
			print NR "\t" d
			next
		}
		while (match(line, /\]\([^)]*\)/)) {
			t = substr(line, RSTART + 2, RLENGTH - 3)
			line = substr(line, RSTART + RLENGTH)
			sub(/^[ \t]+/, "", t)
			sub(/[ \t]+".*$/, "", t)   # a title
			gsub(/^<|>$/, "", t)
			if (t != "")
				print NR "\t" t
		}
	}' "$1"
}

# The anchors of one Markdown file's headings, one a line.
anchors_of() {
	awk '
	/^[ \t]*(```|~~~)/ { fence = !fence; next }
	fence { next }
	/^#+[ \t]/ {
		h = $0
		sub(/^#+[ \t]+/, "", h)
		sub(/[ \t]+#+[ \t]*$/, "", h)
		h = tolower(h)
		# GitHub keeps letters, digits, spaces, - and _ (and every
		# non-ASCII letter): ASCII punctuation goes.
		gsub(/[!-,.\/:-@[-^`{-~]/, "", h)
		gsub(/ /, "-", h)
		n = seen[h]++
		print (n > 0 ? h "-" n : h)
	}' "$1"
}

while IFS= read -r md; do
	dir=$(dirname "$md")
	links_of "$md" >"$tmp/links"
	while IFS="$(printf '\t')" read -r line target; do
		# http(s), mailto and any other scheme: not a relative link
		if printf '%s\n' "$target" |
			grep -qE '^[A-Za-z][A-Za-z0-9+.-]*:'; then
			continue
		fi
		path=${target%%#*}
		anchor=
		case "$target" in *'#'*) anchor=${target#*#} ;; esac
		if [ -z "$path" ]; then
			resolved=$md
		else
			case "$path" in
			/*)
				bad "$md:$line: $target is an absolute path"
				continue
				;;
			../* | */../*)
				# A document links at or below its own folder,
				# whatever a viewer does with "..": files above
				# it are named in code (`README.md`).
				bad "$md:$line: $target climbs out of its folder"
				continue
				;;
			esac
			resolved=$(realpath -m --relative-to="$top" \
				"$top/$dir/$path")
		fi
		case "$resolved" in
		.. | ../*)
			bad "$md:$line: $target points outside the repository"
			continue
			;;
		esac
		if [ ! -e "$top/$resolved" ]; then
			bad "$md:$line: $target: no such file in the repository"
			continue
		fi
		if [ -n "$anchor" ]; then
			case "$resolved" in
			*.md)
				if ! anchors_of "$top/$resolved" |
					grep -qxF -- "$anchor"; then
					bad "$md:$line: $target: no heading" \
						"#$anchor in $resolved"
					continue
				fi
				;;
			esac
		fi
		ok
	done <"$tmp/links"
done <"$tmp/md"

# Nothing names a place outside the repository. The patterns are split so
# that this file does not name them.
parent_shared='\.\./share''d'
abs_work='/wor''k/'
while IFS= read -r f; do
	case "$f" in tests/docs/check-links.sh) continue ;; esac
	grep -Iq . "$f" 2>/dev/null || continue # binary or empty
	hits=$(grep -nIE -e "$parent_shared" -e "$abs_work" "$f" | head -n 3)
	if [ -n "$hits" ]; then
		printf '%s\n' "$hits" | while IFS= read -r h; do
			echo "FAIL: $f:$h"
		done
		failed=$((failed + 1))
	fi
done <"$tmp/files"
[ "$failed" -eq 0 ] && ok

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
