#!/usr/bin/env bash
# Fetches Microsoft's ARM example files listed in tests/arm-examples.tsv, each at its pinned
# azure-rest-api-specs commit, into a folder (default: $RUNNER_TEMP/arm-examples or ./target/arm-examples),
# and checks each file's character count so a truncated download or an error page cannot pass for an
# example. Prints the folder; under GitHub Actions it also exports AZAUDIT_ARM_EXAMPLES for later steps.
# The files are not committed here: they are Microsoft's, and the pinned commits make them reproducible.
set -euo pipefail
cd "$(dirname "$0")/.."

# Overridable so the script can be exercised on a few entries.
manifest="${ARM_EXAMPLES_MANIFEST:-tests/arm-examples.tsv}"
dest="${1:-${RUNNER_TEMP:-$PWD/target}/arm-examples}"
# Overridable so the script can be exercised against a local mirror (file://…/<commit>/<path>).
base="${ARM_EXAMPLES_BASE_URL:-https://raw.githubusercontent.com/Azure/azure-rest-api-specs}"
# Character counts are Unicode characters (one example has Cyrillic in an id), so wc -m needs a UTF-8 locale.
export LC_ALL=C.UTF-8

mkdir -p "$dest"
failures=0
count=0
while IFS=$'\t' read -r local source commit chars; do
  case "$local" in '' | '#'*) continue ;; esac
  out="$dest/$local"
  mkdir -p "$(dirname "$out")"
  if ! curl -fsSL --retry 3 --retry-delay 2 -o "$out" "$base/$commit/$source"; then
    echo "fetch failed: $local from $base/$commit/$source" >&2
    failures=$((failures + 1))
    continue
  fi
  got=$(wc -m <"$out" | tr -d ' ')
  if [ "$got" != "$chars" ]; then
    echo "character count mismatch: $local has $got, the manifest says $chars ($base/$commit/$source)" >&2
    failures=$((failures + 1))
    continue
  fi
  count=$((count + 1))
done <"$manifest"

if [ "$failures" -ne 0 ]; then
  echo "$failures example file(s) could not be fetched or verified" >&2
  exit 1
fi
echo "fetched and verified $count example files into $dest"
if [ -n "${GITHUB_ENV:-}" ]; then
  # The variable the tests read for this folder (AZAUDIT_ARM_EXAMPLES_NEXT for the newer set).
  echo "${ARM_EXAMPLES_ENV:-AZAUDIT_ARM_EXAMPLES}=$dest" >>"$GITHUB_ENV"
fi
