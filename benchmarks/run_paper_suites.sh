#!/usr/bin/env bash
# Replays the papers' experiments with the harness: per suite, the tables (md, tex, csv) and the
# plots. Usage:
#   bash benchmarks/run_paper_suites.sh [--quick] [--out DIR | --update-results] [--suites DIR] [WORKERS] [PATTERN]
# --out DIR          where tables, plots/ and the store go (default: paper-suites/ in the results
#                    folder of `cpnopt bench`: $CPNOPT_RESULTS_DIR, else ~/.cache/cpnopt)
# --update-results   write to benchmarks/results/ instead: regenerates the committed tables
# --suites DIR       suite files to read (default benchmarks/suites)
# PATTERN picks suites by file name (default: every suite but the study-* ones), e.g. 'routing-*'.
# The store (results.db, results-quick.db) in the output folder makes a re-run resume where it
# stopped. A suite that fails does not stop the others: the failed ones are listed at the end
# and the exit code is 1.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
quick=""; out="${CPNOPT_RESULTS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cpnopt}/paper-suites"; suites="$here/suites"
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick="--quick"; shift ;;
        --out) out="$2"; shift 2 ;;
        --update-results) out="$here/results"; shift ;;
        --suites) suites="$2"; shift 2 ;;
        *) break ;;
    esac
done
workers="${1:-2}"
pattern="${2:-*}"
db="$out/results${quick:+-quick}.db"
mkdir -p "$out/plots" || exit 2
failed=()
run_one() {  # suite file, table name
    cpnopt bench run "$1" $quick --db "$db" --workers "$workers" \
    && cpnopt bench table --db "$db" --suite "$2" --format md -o "$out/$2.md" \
    && cpnopt bench table --db "$db" --suite "$2" --format latex -o "$out/$2.tex" \
    && cpnopt bench table --db "$db" --suite "$2" --format csv -o "$out/$2.csv" \
    && cpnopt bench plot --db "$db" --suite "$2" --out-dir "$out/plots" > /dev/null
}
for suite in "$suites"/$pattern.toml; do
    [ -e "$suite" ] || { echo "no suite matches $suites/$pattern.toml" >&2; exit 2; }
    case "$(basename "$suite")" in study-*) [ "$pattern" = "*" ] && continue ;; esac
    name=$(basename "$suite" .toml)${quick:+-quick}
    run_one "$suite" "$name" || failed+=("$name")
done
echo "tables and plots in $out" >&2
if [ ${#failed[@]} -gt 0 ]; then
    echo "failed suites: ${failed[*]}" >&2
    exit 1
fi
