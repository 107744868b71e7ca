#!/usr/bin/env bash
# The check written by hand, one release after another, that `python -m matrix check` is timed against:
# unpack the sdist, a fresh venv from its uv.lock (`uv sync --frozen`), our tests unpatched,
# `git apply` of the release's patches (fix, companion, next-turn patches), our tests patched: they
# must pass, but for the next-turn cases the release's patches cannot fix (matrix/groups.py).
#   bench/hand_loop.sh 0.13.3 0.17.7 0.20.0 0.24.0
# The sdists are read from the matrix's cache (HOTFIX_CACHE, else build/cache), where any matrix run
# leaves them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
files="${HOTFIX_CACHE:-$root/build/cache}/files"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for release in "$@"; do
  read -r patch runner < <(awk -v r="$release" '$1 == r { print $2, $3 }' "$root/patches/manifest")
  companion="${patch%.patch}-object-identity.patch"
  tree="$work/openai_agents-$release"
  sdist="$files/openai_agents-$release.tar.gz"
  [[ -f $sdist ]] || { echo "no $sdist: fetch it first with python3 -m matrix check $release" >&2; exit 2; }
  tar -xzf "$sdist" -C "$work"
  cp "$root"/release_tests/test_*.py "$tree/tests/"
  cp -R "$root/hitl_testkit" "$tree/"
  cd "$tree"
  uv sync --quiet --frozen --python 3.11
  ours=(tests/test_server_conversation_tracker_*.py tests/test_hitl_server_conversation_*.py)
  uv run --frozen pytest -q -p no:cacheprovider "${ours[@]}" >/dev/null || true
  git apply "$root/patches/$patch"
  [[ ! -f $root/patches/$companion ]] || git apply "$root/patches/$companion"
  open="reaches_the_server"
  if [[ $runner != - ]]; then
    for each in ${runner//,/ }; do git apply "$root/patches/$each"; done
    open="reaches_the_server and previous_response_id"
  fi
  uv run --frozen pytest -q -p no:cacheprovider -k "not ($open)" "${ours[@]}" >/dev/null
  echo "$release: patched, our tests pass"
done
