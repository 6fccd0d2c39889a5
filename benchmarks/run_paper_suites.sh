#!/usr/bin/env bash
# Replays the papers' experiments with the harness and writes the tables and plots to
# benchmarks/results/. Usage: bash benchmarks/run_paper_suites.sh [--quick] [WORKERS] [PATTERN]
# PATTERN picks suites by file name (default: every suite but the study-* ones), e.g. 'routing-*'.
# The store (results.db, results-quick.db) stays in benchmarks/results/ and is not committed;
# re-running resumes where it stopped.
set -euo pipefail
cd "$(dirname "$0")"
quick=""; db=results/results.db
if [ "${1:-}" = "--quick" ]; then quick="--quick"; db=results/results-quick.db; shift; fi
workers="${1:-2}"
pattern="${2:-*}"
mkdir -p results/plots
for suite in suites/$pattern.toml; do
    case "$(basename "$suite")" in study-*) [ "$pattern" = "*" ] && continue ;; esac
    name=$(basename "$suite" .toml)${quick:+-quick}
    cpnopt bench run "$suite" $quick --db "$db" --workers "$workers"
    cpnopt bench table --db "$db" --suite "$name" --format md -o "results/$name.md"
    cpnopt bench table --db "$db" --suite "$name" --format latex -o "results/$name.tex"
    cpnopt bench table --db "$db" --suite "$name" --format csv -o "results/$name.csv"
    cpnopt bench plot --db "$db" --suite "$name" --out-dir results/plots > /dev/null
done
