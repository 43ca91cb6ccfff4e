#!/usr/bin/env bash
# Regenerates the web app's screenshots in docs/ with headless Chromium
# against a running `familyflow serve` (on loopback, a fresh data folder):
#   docs/serve-page.png     the page: shipped scenario, form, TOML text, check
#   docs/serve-compare.png  a comparison's report inside the app (the page
#                           opened at #run=ID: the default scenario against
#                           itself with family help FTE raised, 2
#                           replications on common seeds)
# Usage: scripts/serve-screenshots.sh   (FAMILYFLOW=path/to/binary to skip
# the release build; CHROMIUM=… for another browser binary).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${FAMILYFLOW:-}
if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin=target/release/familyflow
fi
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$chromium" ] || { echo "serve-screenshots: no chromium found (apt-get install chromium)" >&2; exit 1; }
for tool in curl python3; do
  command -v "$tool" >/dev/null || { echo "serve-screenshots: needs $tool" >&2; exit 1; }
done

work=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" serve --bind 127.0.0.1:0 --data "$work/data" >"$work/serve.log" 2>&1 &
server=$!
url=
for _ in $(seq 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$work/serve.log" | head -1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$work/serve.log" >&2; exit 1; }

shot() { # shot FILE WIDTHxHEIGHT URL
  "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$work/profile" --window-size="$2" \
    --virtual-time-budget=8000 --screenshot="$1" "$3" >/dev/null 2>&1
  [ -s "$1" ] || { echo "serve-screenshots: chromium wrote no $1" >&2; exit 1; }
  echo "wrote $1"
}

mkdir -p docs
shot docs/serve-page.png 1280,1500 "$url"

# The comparison: B is the default scenario with family help FTE 99 → 130.
request='{"scenario": "scenarios/default.toml", "compare_text": "extends = \"default.toml\"\n[family_help]\nfte = 130\n", "seed": 1, "replications": 2}'
id=$(curl -sf -H 'Content-Type: application/json' -d "$request" "${url}api/runs" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for _ in $(seq 1800); do
  state=$(curl -sf "${url}api/runs/$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["state"])')
  case $state in
    done) break ;;
    failed|cancelled) echo "serve-screenshots: the comparison $state" >&2; exit 1 ;;
  esac
  sleep 1
done
[ "$state" = done ] || { echo "serve-screenshots: the comparison did not finish" >&2; exit 1; }
shot docs/serve-compare.png 1280,2600 "${url}#run=$id"
