#!/usr/bin/env bash
# A sweep on a real Slurm: a one-node cluster (Debian's slurmctld, slurmd,
# slurm-client and munge, started without systemd), the scripts
# `familyflow sweep --slurm` writes submitted as they are (an array job and
# its merge, chained with afterok), and the merged files compared byte for
# byte with a single-machine sweep of the same experiment.
#
#   scripts/slurm/check.sh [FAMILYFLOW_BINARY]     (default target/release/familyflow)
#
# Needs root (it installs packages when missing, writes /etc/slurm and
# starts the daemons). Where slurmd cannot start, it prints the exact reason,
# then still proves the array's mechanics: every task of the same script run
# with SLURM_ARRAY_TASK_ID set, then the merge script, compared the same way;
# it says so on its last line ("array mechanics only") and exits 0, or 1 with
# FAMILYFLOW_REQUIRE_SLURM=1. Any difference in the files exits 1. Waits are
# bounded (FAMILYFLOW_SLURM_WAIT seconds for the jobs, default 300).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
bin=${1:-$root/target/release/familyflow}
bin=$(readlink -f "$bin")
wait_jobs=${FAMILYFLOW_SLURM_WAIT:-300}
[ -x "$bin" ] || { echo "error: no familyflow binary at $bin (cargo build --release)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/familyflow-slurm.XXXXXX")
chmod 755 "$work"
echo "== experiment in $work"
cp "$root/tests/data/tiny.toml" "$work/tiny.toml"
printf 'extends = "tiny.toml"\nname = "reform"\n\n[[policy]]\ndate = 2024-07-01\nfamily_help.fte = 6\n' >"$work/reform.toml"
cat >"$work/exp.sweep" <<'EOF'
name = "Slurm check"
scenario = "tiny.toml"
compare = "reform.toml"
seed = 5
replications = 2
outputs = ["family_help.mean_wait_days", "referrals.total"]

[design]
kind = "morris"
trajectories = 2
levels = 4

[[factor]]
key = "family_help.fte"
lower = 1
upper = 3
applies_to = "scenario"

[[factor]]
key = "area.new_referrals_per_10k_children"
dist = "triang"
lower = 300
upper = 500
peak = 0.5
EOF

"$bin" sweep "$work/exp.sweep" --out "$work/local" -q >"$work/local.txt"
"$bin" sweep "$work/exp.sweep" --slurm "$work/slurm" --tasks 5 --max-running 2 --threads 1 -q
grep -E '^#SBATCH --(array|time|mem)=' "$work/slurm/sweep-array.sbatch"

compare() {
  if diff -r -x .familyflow.lock "$work/local" "$work/slurm/results"; then
    echo "merged files equal the single-machine sweep's ($(find "$work/local" -type f ! -name .familyflow.lock | wc -l) files)"
  else
    echo "FAILED: the merged files differ from the single-machine sweep's" >&2
    exit 1
  fi
}

mechanics_only() {
  echo "SLURM NOT AVAILABLE: $1"
  echo "== the array's mechanics without Slurm: each task with SLURM_ARRAY_TASK_ID set"
  for i in 1 2 3 4 5; do
    SLURM_ARRAY_TASK_ID=$i bash "$work/slurm/sweep-array.sbatch" 2>&1 | tail -1
  done
  bash "$work/slurm/sweep-merge.sbatch" 2>&1 | tail -1
  compare
  echo "slurm check: array mechanics only ($1)"
  [ "${FAMILYFLOW_REQUIRE_SLURM:-}" != 1 ] || exit 1
  exit 0
}

[ "$(id -u)" = 0 ] || mechanics_only "not root: cannot install or start slurmctld, slurmd and munge"

echo "== Slurm packages"
if ! command -v slurmd >/dev/null || ! command -v slurmctld >/dev/null || ! command -v sbatch >/dev/null ||
  ! command -v munged >/dev/null; then
  { apt-get update -qq >/dev/null 2>&1 || true; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null 2>&1 ||
    mechanics_only "apt-get install slurmctld slurmd slurm-client munge failed"
fi
slurmd -V

echo "== munge"
started_munge=""
stop() {
  # What this check started, and only that.
  if [ -n "${started_slurm:-}" ]; then scontrol shutdown >/dev/null 2>&1 || true; fi
  if [ -n "${started_munge:-}" ] && [ -s /run/munge/munged.pid ]; then kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true; fi
}
trap stop EXIT
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  if [ ! -s /etc/munge/munge.key ]; then
    (mungekey --create 2>/dev/null || create-munge-key -f 2>/dev/null) ||
      dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null
  fi
  chown munge:munge /etc/munge/munge.key 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
  if id munge >/dev/null 2>&1; then
    runuser -u munge -- munged --force && started_munge=1 || mechanics_only "munged did not start: $(tail -3 /var/log/munge/munged.log 2>/dev/null)"
  else
    munged --force && started_munge=1 || mechanics_only "munged did not start"
  fi
  for _ in $(seq 1 20); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.5; done
  munge -n | unmunge >/dev/null || mechanics_only "munge does not authenticate (munge -n | unmunge)"
fi
echo "munge authenticates"

echo "== slurm.conf (one node)"
if [ -e /etc/slurm/slurm.conf ] && ! grep -q '^ClusterName=familyflow-check$' /etc/slurm/slurm.conf; then
  mechanics_only "/etc/slurm/slurm.conf exists and is not this check's: a real cluster's configuration is left alone"
fi
if scontrol ping 2>/dev/null | grep -q UP; then
  mechanics_only "a Slurm controller is already running here: this check starts its own"
fi
host=$(hostname -s)
node=$(slurmd -C | head -1)
case "$node" in NodeName=*) ;; *) mechanics_only "slurmd -C printed no node: $node" ;; esac
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/slurm
cat >/etc/slurm/slurm.conf <<EOF
ClusterName=familyflow-check
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=1
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
MinJobAge=600
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=check Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
printf 'IgnoreSystemd=yes\n' >/etc/slurm/cgroup.conf
grep -E '^(NodeName|SlurmctldHost)' /etc/slurm/slurm.conf

echo "== slurmctld and slurmd"
started=$(date +%s)
started_slurm=1
slurmctld -c >/dev/null 2>&1 || mechanics_only "slurmctld did not start: $(tail -5 /var/log/slurm/slurmctld.log 2>/dev/null | tr '\n' ' ')"
slurmd >/dev/null 2>&1 || mechanics_only "slurmd did not start: $(tail -5 /var/log/slurm/slurmd.log 2>/dev/null | tr '\n' ' ')"
state=""
for _ in $(seq 1 60); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1)
  case "$state" in idle*) break ;; down* | drain*) scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true ;; esac
  sleep 1
done
case "$state" in
  idle*) echo "node $host idle after $(($(date +%s) - started)) s" ;;
  *) mechanics_only "the node did not become idle in 60 s (sinfo: ${state:-nothing}; slurmd.log: $(tail -3 /var/log/slurm/slurmd.log 2>/dev/null | tr '\n' ' '))" ;;
esac

echo "== submit: sh $work/slurm/submit.sh"
submitted=$(date +%s)
merge_id=$(sh "$work/slurm/submit.sh" | awk '/Submitted batch job/ {print $4}')
[ -n "$merge_id" ] || { echo "FAILED: submit.sh printed no merge job id" >&2; exit 1; }
echo "merge job $merge_id"
while squeue -h 2>/dev/null | grep -q .; do
  if [ $(($(date +%s) - submitted)) -gt "$wait_jobs" ]; then
    squeue
    echo "FAILED: jobs still queued or running after $wait_jobs s" >&2
    exit 1
  fi
  sleep 2
done
scontrol show job "$merge_id" 2>/dev/null | grep -o 'JobState=[A-Z]*' || true
echo "jobs done in $(($(date +%s) - submitted)) s"
ls "$work/slurm/logs"
if [ ! -d "$work/slurm/results" ]; then
  echo "FAILED: no merged results; logs:" >&2
  tail -n 5 "$work"/slurm/logs/* >&2 || true
  exit 1
fi
compare
echo "slurm check: passed on Slurm $(slurmd -V | awk '{print $2}') in $(($(date +%s) - started)) s"
