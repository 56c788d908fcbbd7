#!/usr/bin/env bash
# tests/lint/shellcheck.sh SOURCE_ROOT: every shell script in the tree passes
# the linter with the tree's settings (.shellcheckrc). A script is a tracked
# file named *.sh, any file in scripts/, or a file whose first line is a
# sh or bash shebang. Prints each finding and how many scripts it read;
# exits 1 on any finding, or when shellcheck or git is missing (never a
# skip: scripts/install-deps installs both).
set -u
root=$(realpath "${1:?usage: shellcheck.sh SOURCE_ROOT}")
cd "$root" || exit 1
for t in shellcheck git; do
	command -v "$t" >/dev/null || { echo "FAIL: missing $t (scripts/install-deps installs it)"; exit 1; }
done
git rev-parse --git-dir >/dev/null 2>&1 || { echo "FAIL: $root is not a git checkout"; exit 1; }

scripts=()
while IFS= read -r -d '' f; do
	[ -f "$f" ] || continue
	case $f in
	*.sh | scripts/*) scripts+=("$f") ;;
	*) head -n1 "$f" | grep -qE '^#!(/usr/bin/env |/bin/)(ba)?sh\b' && scripts+=("$f") ;;
	esac
done < <(git ls-files -z --cached --others --exclude-standard)
[ ${#scripts[@]} -gt 20 ] || { echo "FAIL: only ${#scripts[@]} scripts found"; exit 1; }

if shellcheck -x -f gcc "${scripts[@]}"; then
	echo "PASS: ${#scripts[@]} scripts, no findings"
	exit 0
fi
echo "FAIL: shellcheck found the above in ${#scripts[@]} scripts"
exit 1
