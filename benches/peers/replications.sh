#!/usr/bin/env bash
# Speed-up of replications from 1 to 2 threads.
#
#   benches/peers/replications.sh           # 3 rounds, medians
#   RUNS=5 SCENARIO=scenarios/default.toml benches/peers/replications.sh
#
# If `familyflow run` has --replications/--threads, it runs 2 replications
# with --threads 1 and with --threads 2. If it has not (it is being added
# separately), it uses a stand-in: two `familyflow run` processes (seeds 1
# and 2) one after the other, then both at once, which measures what two
# cores give two independent single-threaded runs (memory bandwidth, cache,
# turbo) but not a threaded implementation's own overheads.
#
# The default scenario is the England baseline at 10% of its children for
# 10 years (about 3 million events per run), without a log.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${RUNS:-3}
(cd "$root" && cargo build --release --quiet)
ff="${CARGO_TARGET_DIR:-$root/target}/release/familyflow"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -n "${SCENARIO:-}" ]; then
  scn=$SCENARIO
else
  scn="$tmp/england-10pct.toml"
  cat >"$scn" <<TOML
extends = "$root/scenarios/england-baseline.toml"
name = "England at 10% (replications.sh)"
[area]
children = 1_215_000
TOML
fi

now() { echo "$EPOCHREALTIME"; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

if "$ff" run --help | grep -q -- '--replications'; then
  mode="familyflow run --replications 2 --threads 1 vs --threads 2"
  one() { "$ff" run "$scn" --replications 2 --threads 1 >/dev/null 2>&1; }
  two() { "$ff" run "$scn" --replications 2 --threads 2 >/dev/null 2>&1; }
else
  mode="stand-in (no --replications in this build): 2 processes sequentially vs concurrently"
  # Each process's CPU time (user + sys) goes to $tmp/cpu: if the CPU time
  # per replication rises when two run at once, they contend for caches or
  # memory; if wall time rises but CPU time does not, the cores were busy
  # with something else.
  timed() { /usr/bin/time -f "%U %S" -a -o "$tmp/cpu.$1" "$ff" run "$scn" --seed "$2" >/dev/null 2>&1; }
  one() { timed seq 1; timed seq 2; }
  two() {
    timed par 1 &
    local p=$!
    timed par 2
    wait "$p"
  }
  [ -x /usr/bin/time ] || { echo "GNU time is missing: apt-get install time" >&2; exit 1; }
fi

seq_t=(); par_t=()
for i in $(seq "$runs"); do
  t0=$(now); one; t1=$(now); two; t2=$(now)
  seq_t+=("$(echo "$t1 - $t0" | bc -l)"); par_t+=("$(echo "$t2 - $t1" | bc -l)")
  echo "   round $i: 1 thread ${seq_t[-1]} s, 2 threads ${par_t[-1]} s" >&2
done
s=$(printf '%s\n' "${seq_t[@]}" | median)
p=$(printf '%s\n' "${par_t[@]}" | median)
echo "mode: $mode"
echo "scenario: $scn; $(nproc) cores; medians of $runs rounds"
printf '| threads | seconds for 2 replications | speed-up |\n| ---: | ---: | ---: |\n'
printf '| 1 | %.2f | 1.00 |\n| 2 | %.2f | %.2f |\n' "$s" "$p" "$(echo "$s / $p" | bc -l)"
if [ -f "$tmp/cpu.seq" ]; then
  cpu() { awk '{s += $1 + $2; n++} END {printf "%.2f", s / n}' "$tmp/cpu.$1"; }
  echo "mean CPU seconds per replication: $(cpu seq) one at a time, $(cpu par) two at once"
fi
