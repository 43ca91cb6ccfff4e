#!/usr/bin/env bash
# Peak memory (maximum resident set size) and wall time of `familyflow run`
# as the area grows and as the horizon grows, with the log written to a
# temporary folder (--out), as a modeller would run it.
#
#   benches/peers/memory.sh                 # England at 1%, 10%, 100% x 1, 5, 10 years
#   SIZES="0.01 0.1" YEARS="1 10" benches/peers/memory.sh
#
# Each case is a small scenario written to a temporary folder that extends
# scenarios/england-baseline.toml and sets area.children (a share of England's
# 12,150,000) and years. Peak RSS comes from GNU time (`/usr/bin/time -v`);
# if it is missing: `apt-get install time` (Debian/Ubuntu).
#
# If memory follows the families open at once, peak RSS grows with the area
# and levels off along the horizon once re-referrals have built up, while
# events (and the log) grow with both.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
sizes=${SIZES:-"0.01 0.1 1"}
years_list=${YEARS:-"1 5 10"}
england=12150000

if [ ! -x /usr/bin/time ]; then
  echo "GNU time is missing: install it with 'apt-get install time'" >&2
  exit 1
fi
(cd "$root" && cargo build --release --quiet)
ff="${CARGO_TARGET_DIR:-$root/target}/release/familyflow"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf '| %-6s | %10s | %5s | %12s | %9s | %9s | %16s | %12s | %9s |\n' \
  share children years events "wall s" "CPU s" "events/CPU s" "peak RSS MiB" "log MiB"
printf '| %-6s | %10s | %5s | %12s | %9s | %9s | %16s | %12s | %9s |\n' --- ---: ---: ---: ---: ---: ---: ---: ---:
for share in $sizes; do
  children=$(awk -v s="$share" -v e="$england" 'BEGIN {printf "%d", s * e + 0.5}')
  for years in $years_list; do
    scn="$tmp/england-$share-$years.toml"
    cat >"$scn" <<TOML
extends = "$root/scenarios/england-baseline.toml"
name = "England at $share of its children, $years years (memory.sh)"
years = $years
[area]
children = $children
TOML
    rm -rf "$tmp/out"
    /usr/bin/time -v -o "$tmp/time" "$ff" run "$scn" --out "$tmp/out" --json >"$tmp/summary.json" 2>"$tmp/stderr"
    rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time")
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time" |
      awk -F: '{s=0; for (i=1;i<=NF;i++) s=s*60+$i; print s}')
    cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$tmp/time")
    events=$(sed -n 's/^ *"events": \([0-9]*\),*$/\1/p' "$tmp/summary.json" | head -1)
    log_bytes=$(stat -c %s "$tmp/out/events.ffl")
    printf '| %-6s | %10d | %5d | %12d | %9.2f | %9.2f | %16.0f | %12.1f | %9.1f |\n' \
      "$share" "$children" "$years" "$events" "$wall" "$cpu" \
      "$(awk -v e="$events" -v c="$cpu" 'BEGIN {print (c > 0 ? e / c : 0)}')" \
      "$(awk -v k="$rss_kb" 'BEGIN {print k / 1024}')" \
      "$(awk -v b="$log_bytes" 'BEGIN {print b / 1048576}')"
  done
done
