#!/usr/bin/env bash
# familyflow against NeXosim 1.0, SimPy and Ciw on the same M/M/c queue
# (arrivals 9 an hour, 10 servers, exponential service with a mean of 1 hour,
# ~40,000 hours for the Python peers, 43,800 for familyflow and NeXosim).
#
#   benches/peers/compare.sh            # 3 runs of each engine, medians
#   RUNS=5 benches/peers/compare.sh
#   CIW_RUNS=1 benches/peers/compare.sh # Ciw is slow; fewer runs of it
#
# What it does, one engine after another on this machine:
#   1. creates a throw-away virtualenv (benches/peers/.venv, git-ignored;
#      VENV=... to put it elsewhere) and pip-installs simpy and ciw;
#   2. builds familyflow (release) and runs benches/peers/mmc-40000h.toml
#      with the log written (--out to a temporary folder), and once more
#      without a log for reference;
#   3. builds nexosim-mmc/ (a separate cargo project with its own lock file
#      and target folder, not part of familyflow's build or `cargo test`;
#      NeXosim 1.0 with one thread, without its server feature) and runs it
#      for 43,800 hours; its seconds are its simulation loop alone;
#   4. runs mmc_simpy.py and mmc_ciw.py;
#   5. prints a table: engine, model events, seconds, events/s, and how many
#      times faster familyflow (with its log) is, i.e. the ratios in one run.
#      NEXOSIM=0 leaves NeXosim out.
#
# Model events are counted the same way everywhere: arrivals, service starts,
# departures. For familyflow they are counted from the run's own log with
# `familyflow events` (FamilyReferred, FamilyHelpStarted, FamilyHelpEnded);
# familyflow also records TriageDecided, AssessmentCompleted, FamilyHelpQueued
# and CaseClosed, whose cost is inside its time but not in its count. Its
# horizon is 5 365-day years (43,800 hours), the peers' 40,000 hours: the
# figures compare events per second. familyflow's seconds are the wall time
# of the whole `familyflow run` process (start-up, scenario, run, log,
# summary); the peers' are their simulation loop alone (Python's start-up,
# imports and model construction are left out), which favours the peers.
#
# Not part of `cargo test` or CI. Needs python3 (with venv) and network
# access to PyPI and crates.io for the first run.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
peers="$root/benches/peers"
runs=${RUNS:-3}
ciw_runs=${CIW_RUNS:-$runs}
hours=${HOURS:-40000}
venv=${VENV:-$peers/.venv}

if [ ! -x "$venv/bin/python" ]; then
  echo "== creating virtualenv $venv" >&2
  python3 -m venv "$venv"
fi
echo "== pip install simpy ciw" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check simpy ciw
py="$venv/bin/python"
echo "   simpy $("$py" -c 'import simpy; print(simpy.__version__)'), ciw $("$py" -c 'import ciw; print(ciw.__version__)'), $("$py" --version)" >&2

echo "== cargo build --release" >&2
(cd "$root" && cargo build --release --quiet)
ff="${CARGO_TARGET_DIR:-$root/target}/release/familyflow"
scenario="$peers/mmc-40000h.toml"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }

# familyflow: wall time of the process, with the log written.
ff_secs=(); ff_nolog_secs=()
for i in $(seq "$runs"); do
  rm -rf "$tmp/out"
  t0=$EPOCHREALTIME
  "$ff" run "$scenario" --out "$tmp/out" --json >"$tmp/summary.json" 2>"$tmp/stderr"
  t1=$EPOCHREALTIME
  ff_secs+=("$(echo "$t1 - $t0" | bc -l)")
  t0=$EPOCHREALTIME
  "$ff" run "$scenario" >/dev/null 2>&1
  t1=$EPOCHREALTIME
  ff_nolog_secs+=("$(echo "$t1 - $t0" | bc -l)")
  echo "   familyflow run $i: ${ff_secs[-1]} s with log, ${ff_nolog_secs[-1]} s without" >&2
done
ff_all=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["events"])' "$tmp/summary.json")
read -r ff_arr ff_start ff_dep < <("$ff" events "$tmp/out/events.ffl" | awk '
  $3 == "FamilyReferred" {a++} $3 == "FamilyHelpStarted" {s++} $3 == "FamilyHelpEnded" {d++}
  END {print a+0, s+0, d+0}')
ff_events=$((ff_arr + ff_start + ff_dep))
ff_t=$(printf '%s\n' "${ff_secs[@]}" | median)
ff_nolog_t=$(printf '%s\n' "${ff_nolog_secs[@]}" | median)
echo "   familyflow: $ff_arr arrivals, $ff_start service starts, $ff_dep departures ($ff_all events in all)" >&2

peer() { # name script runs -> "events seconds"
  local name=$1 script=$2 n=$3 secs=() events=() line
  for i in $(seq "$n"); do
    line=$("$py" "$peers/$script" --hours "$hours" --seed "$i")
    echo "   $line" >&2
    events+=("$(echo "$line" | field model_events)")
    secs+=("$(echo "$line" | field seconds)")
  done
  echo "$(printf '%s\n' "${events[@]}" | median) $(printf '%s\n' "${secs[@]}" | median)"
}
nexosim=${NEXOSIM:-1}
if [ "$nexosim" != 0 ]; then
  echo "== cargo build --release (benches/peers/nexosim-mmc)" >&2
  (cd "$peers/nexosim-mmc" && cargo build --release --quiet)
  nx_secs=(); nx_events=()
  for i in $(seq "$runs"); do
    line=$("$peers/nexosim-mmc/target/release/nexosim-mmc" --hours 43800 --seed "$i")
    echo "   $line" >&2
    nx_events+=("$(echo "$line" | field model_events)")
    nx_secs+=("$(echo "$line" | field seconds)")
  done
  nx_ev=$(printf '%s\n' "${nx_events[@]}" | median)
  nx_t=$(printf '%s\n' "${nx_secs[@]}" | median)
fi
echo "== SimPy ($runs runs)" >&2
read -r simpy_events simpy_t < <(peer simpy mmc_simpy.py "$runs")
echo "== Ciw ($ciw_runs runs)" >&2
read -r ciw_events ciw_t < <(peer ciw mmc_ciw.py "$ciw_runs")

ff_rate=$(echo "$ff_events / $ff_t" | bc -l)
echo
echo "M/M/c (lambda 9/h, c 10, mu 1/h); medians of $runs runs (Ciw: $ciw_runs); $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
printf '| %-22s | %12s | %9s | %12s | %22s |\n' engine "model events" seconds "events/s" "familyflow is x faster"
printf '| %-22s | %12s | %9s | %12s | %22s |\n' --- ---: ---: ---: ---:
row() { # name events secs
  local rate ratio
  rate=$(echo "$2 / $3" | bc -l)
  ratio=$(echo "$ff_rate / $rate" | bc -l)
  printf '| %-22s | %12.0f | %9.3f | %12.0f | %22.2f |\n' "$1" "$2" "$3" "$rate" "$ratio"
}
row "familyflow (log)" "$ff_events" "$ff_t"
row "familyflow (no log)" "$ff_events" "$ff_nolog_t"
if [ "$nexosim" != 0 ]; then row "NeXosim 1.0 (1 thread)" "$nx_ev" "$nx_t"; fi
row "SimPy" "$simpy_events" "$simpy_t"
row "Ciw" "$ciw_events" "$ciw_t"
echo
printf 'familyflow: %d events of all kinds in %.3f s with the log = %.0f events/s\n' \
  "$ff_all" "$ff_t" "$(echo "$ff_all / $ff_t" | bc -l)"
