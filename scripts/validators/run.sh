#!/bin/sh
# Checks familyflow's data returns with the sector's own validators of the
# DfE rules (Data to Insight, on PyPI): csc-validator-be-903 for SSDA903 and
# csc-validator-be-cin for the children in need census.
#
#   scripts/validators/run.sh [SCENARIO] [SEED]
#
# Creates a venv (VENV, default /tmp/venv) with both packages if it has not
# got them, builds familyflow (release), runs the scenario (default
# scenarios/default.toml: three years after a settled start), exports both
# returns under WORK (default /tmp/familyflow-validators) and prints, for
# each collection year and return, the rules that fail with their counts.
# Rules left failing on purpose (data the model does not have) are listed in
# README.md, "Data returns". Not part of .ci/run.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${VENV:-/tmp/venv}
work=${WORK:-/tmp/familyflow-validators}
scenario=${1:-$root/scenarios/default.toml}
seed=${2:-1}

if ! "$venv/bin/python" -c 'import lac_validator, cin_validator' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet csc-validator-be-903 csc-validator-be-cin
fi

# BIN: a familyflow binary to use instead of building one.
if [ -z "${BIN:-}" ]; then
    (cd "$root" && cargo build --release --quiet)
fi
bin=${BIN:-$root/target/release/familyflow}
rm -rf "$work"
"$bin" --quiet run "$scenario" --seed "$seed" --out "$work/run" >/dev/null
"$bin" --quiet export "$work/run/events.ffl" --format ssda903 --out "$work/returns"
"$bin" --quiet export "$work/run/events.ffl" --format cin --out "$work/returns"

# The validators print pandas' warnings on stderr: keep only their reports.
# One folder a collection year, named by the year it ends: 2025/ holds
# 2024-25's header.csv, episodes.csv and cin.xml.
cd "$work"
for dir in "$work"/returns/[0-9][0-9][0-9][0-9]/; do
    end=$(basename "$dir")
    year="$((end - 1))-$(printf %02d $((end % 100)))"
    "$venv/bin/python" -W ignore "$here/validate_903.py" "$dir" "$year" 2>/dev/null
    "$venv/bin/python" -W ignore "$here/validate_cin.py" "$dir/cin.xml" "$year" 2>/dev/null || true
done
