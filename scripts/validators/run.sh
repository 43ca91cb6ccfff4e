#!/bin/sh
# Checks familyflow's data returns with the sector's own validators of the
# DfE rules (Data to Insight, on PyPI): csc-validator-be-903 for SSDA903 and
# csc-validator-be-cin for the children in need census, at the versions
# the excused false positives (362, 8569Q) were checked against: 0.1.17 and
# 0.1.13.
#
#   scripts/validators/run.sh [SCENARIO] [SEED]
#
# Creates a venv (VENV, default /tmp/venv) with both packages if it has not
# got them (installing Debian's python3-venv when the venv module is
# missing; exits 1 saying why when it cannot), builds familyflow (release;
# BIN=path uses that binary instead), runs the scenario (default
# scenarios/default.toml; YEARS=n runs it for n years instead of its own),
# exports both returns under WORK (default /tmp/familyflow-validators),
# one folder per collection year (2025/ for 2024-25: header.csv,
# episodes.csv, cin.xml), and prints for each year and return the rules
# that fail with their counts, then checks the excuses (test_excuses.py).
#
# Every failing rule not listed in uncovered.txt beside this script (rules
# needing data the model does not produce) is marked FAIL, and the script
# then exits 2: .ci/run runs it so.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${VENV:-/tmp/venv}
work=${WORK:-/tmp/familyflow-validators}
scenario=${1:-$root/scenarios/default.toml}
seed=${2:-1}
uncovered=$here/uncovered.txt

if ! "$venv/bin/python" -c 'import lac_validator, cin_validator' 2>/dev/null; then
    if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
        if command -v apt-get >/dev/null 2>&1; then
            { apt-get update -qq >/dev/null 2>&1 || true; }
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null 2>&1 || true
        fi
    fi
    rm -rf "$venv"
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        echo "error: cannot create a Python virtual environment at $venv (python3 -m venv failed; apt-get install python3-venv did not help)" >&2
        exit 1
    fi
    if ! "$venv/bin/pip" install --quiet --disable-pip-version-check csc-validator-be-903==0.1.17 csc-validator-be-cin==0.1.13; then
        echo "error: cannot install the validators (pip install csc-validator-be-903 csc-validator-be-cin failed in $venv)" >&2
        exit 1
    fi
fi

# BIN: a familyflow binary to use instead of building one.
if [ -z "${BIN:-}" ]; then
    (cd "$root" && cargo build --release --locked --quiet)
fi
bin=${BIN:-$root/target/release/familyflow}
rm -rf "$work"
mkdir -p "$work"
if [ -n "${YEARS:-}" ]; then
    # The scenario for YEARS years: the same file with its `years` line changed.
    sed "s/^years = [0-9]*/years = $YEARS/" "$scenario" > "$work/scenario.toml"
    grep -q "^years = $YEARS" "$work/scenario.toml" || {
        echo "error: $scenario has no 'years = N' line to change to $YEARS" >&2
        exit 1
    }
    scenario=$work/scenario.toml
fi
"$bin" --quiet run "$scenario" --seed "$seed" --out "$work/run" >/dev/null
"$bin" --quiet export "$work/run/events.ffl" --format ssda903 --out "$work/returns"
"$bin" --quiet export "$work/run/events.ffl" --format cin --out "$work/returns"

# The validators print pandas' warnings on stderr: keep only their reports.
cd "$work"
status=0
years=0
# Each year's two returns are checked side by side (two processes: the CIN
# validator alone takes minutes), their reports printed in order.
for dir in "$work"/returns/[0-9][0-9][0-9][0-9]/; do
    end=$(basename "$dir")
    year="$((end - 1))-$(printf %02d $((end % 100)))"
    years=$((years + 1))
    { "$venv/bin/python" -W ignore "$here/validate_903.py" "$dir" "$year" "$uncovered" \
        >"$work/903.out" 2>/dev/null; echo $? >"$work/903.status"; } &
    { "$venv/bin/python" -W ignore "$here/validate_cin.py" "$dir/cin.xml" "$year" "$uncovered" \
        >"$work/cin.out" 2>/dev/null; echo $? >"$work/cin.status"; } &
    wait
    for r in 903 cin; do
        cat "$work/$r.out"
        code=$(cat "$work/$r.status")
        [ "$code" -eq 0 ] || status=$code
    done
done
if [ "$years" -eq 0 ]; then
    echo "error: the export wrote no collection year under $work/returns" >&2
    exit 1
fi
# The excused false positives (362, 8569Q) are only those: a genuine EPO
# of 44 days added to a copy of the last year's return must still fail.
"$venv/bin/python" -W ignore "$here/test_excuses.py" "$dir" "$year" || status=1
if [ "$status" -ne 0 ]; then
    echo "error: a validator failed a rule the model covers (marked FAIL above), or could not read a return" >&2
fi
exit "$status"
