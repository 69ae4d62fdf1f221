#!/usr/bin/env bash
# The Slurm test (issue 16): starts a single-node Slurm cluster on this
# machine, submits examples/cluster/slurm_sweep.sh as a job array of 4
# shards, merges the shards and checks that the merged tables equal a
# single-machine run of the same sweep byte for byte; then requeues a shard
# in the middle of its run and checks that it resumes to the same tables.
# Stops every daemon it started (by pid) and removes its state, whatever
# happens.
#
#   bash scripts/slurm-test.sh            # as root (or with sudo for apt)
#
# Installs Debian's slurmctld, slurmd, slurm-client and munge if missing
# (Slurm 22.05 on Debian 12). The cluster runs without systemd or cgroups:
# ProctrackType=proctrack/linuxproc, TaskPlugin=task/none, no accounting
# storage, a fresh munge key, controller and node on 127.0.0.1 only
# (ports 16817/16818 unless SLURM_TEST_PORT is set), all state under a
# temporary folder. Needs a built carecast: CARECAST, default
# $CARGO_TARGET_DIR (or target)/release/carecast, else .../debug/carecast
# (as `cargo test` builds it). Takes about 15 s.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo -E bash "$0" "$@"
  fi
  echo "slurm-test: runs daemons as root (munged, slurmctld, slurmd); run as root" >&2
  exit 1
fi

need=()
for pair in slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client munged:munge; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pair%%:*}" ] || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "slurm-test: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d keeps the packages' services from starting: this test
  # starts its own daemons.
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
export PATH="/usr/sbin:$PATH"

target_dir=${CARGO_TARGET_DIR:-target}
if [ -z "${CARECAST:-}" ]; then
  CARECAST="$target_dir/release/carecast"
  [ -x "$CARECAST" ] || CARECAST="$target_dir/debug/carecast"
fi
case "$CARECAST" in /*) ;; *) CARECAST="$repo/$CARECAST" ;; esac
if [ ! -x "$CARECAST" ]; then
  echo "slurm-test: no carecast binary at $CARECAST (cargo build --release, or set CARECAST)" >&2
  exit 1
fi

T=$(mktemp -d /tmp/carecast-slurm.XXXXXX)
chmod 700 "$T"
pids=()
cleanup() {
  local rc=$?
  for f in "$T/slurmd.pid" "$T/slurmctld.pid" "$T/munged.pid"; do
    [ -f "$f" ] && pids+=("$(cat "$f")")
  done
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  # Wait (up to 10 s) for them to go, then force.
  for _ in $(seq 50); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.2
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if [ $rc -ne 0 ]; then
    echo "slurm-test: FAILED (rc=$rc); logs:" >&2
    for l in "$T"/*.log "$T"/out/*.log; do
      [ -f "$l" ] && { echo "--- $l" >&2; tail -n 30 "$l" >&2; }
    done
  fi
  rm -rf "$T"
  exit $rc
}
trap cleanup EXIT INT TERM

port=${SLURM_TEST_PORT:-16817}
cpus=$(nproc)
mem_mb=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)

echo "== munge (key and socket in $T) ($(date +%T))"
mungekey --create --keyfile="$T/munge.key" --force
chmod 400 "$T/munge.key"
munged --force --key-file="$T/munge.key" --socket="$T/munge.socket" \
  --pid-file="$T/munged.pid" --log-file="$T/munged.log" --seed-file="$T/munged.seed"
for _ in $(seq 50); do [ -S "$T/munge.socket" ] && break; sleep 0.1; done
munge --socket="$T/munge.socket" -n | unmunge --socket="$T/munge.socket" >/dev/null

echo "== slurmctld and slurmd on 127.0.0.1:$port/$((port + 1)) ($(date +%T))"
mkdir -p "$T/state" "$T/spool" "$T/out"
cat >"$T/slurm.conf" <<EOF
ClusterName=carecast-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SchedulerParameters=sched_interval=1
CommunicationParameters=NoAddrCache
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
JobRequeue=1
MinJobAge=600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=carecast Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$T/slurm.conf"
slurmctld -f "$SLURM_CONF"
for _ in $(seq 100); do scontrol ping >/dev/null 2>&1 && break; sleep 0.1; done
slurmd -f "$SLURM_CONF"
for _ in $(seq 150); do
  sinfo -h -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)' && break
  sleep 0.2
done
sinfo

# The sweep: the shipped 30-point grid; chunks of 2 points so that a
# requeued shard has finished chunks to resume.
GRID=models/sweeps/jiaxing_tfr_e0.toml
echo "== single-machine run of $GRID ($(date +%T))"
"$CARECAST" sweep --grid "$GRID" --out "$T/single" --quiet

# Waits for every task of job $1 to end; fails on a task that did not
# complete (the job records stay MinJobAge = 600 s).
wait_job() {
  local job=$1
  for _ in $(seq 600); do
    states=$(squeue -h -j "$job" -o '%T' 2>/dev/null || true)
    [ -z "$states" ] && break
    sleep 0.5
  done
  if [ -n "$(squeue -h -j "$job" -o '%T' 2>/dev/null || true)" ]; then
    echo "slurm-test: job $job still queued or running after 300 s" >&2
    squeue >&2
    return 1
  fi
  bad=$(scontrol -o show job "$job" | grep -v 'JobState=COMPLETED' || true)
  if [ -n "$bad" ]; then
    echo "slurm-test: tasks of job $job that did not complete:" >&2
    echo "$bad" | grep -o 'JobId=[^ ]*\|ArrayTaskId=[^ ]*\|JobState=[^ ]*\|ExitCode=[^ ]*' >&2
    return 1
  fi
}

check_merge() {
  local shards=$1 merged=$2
  "$CARECAST" merge $shards --out "$merged" --quiet
  for f in sweep.csv sweep.parquet sweep_manifest.toml; do
    if ! cmp -s "$T/single/$f" "$merged/$f"; then
      echo "slurm-test: merged $f differs from the single-machine run" >&2
      return 1
    fi
  done
}

echo "== sbatch --array=1-4 examples/cluster/slurm_sweep.sh ($(date +%T))"
job=$(CARECAST="$CARECAST" SWEEP_OUT="$T/out" sbatch --parsable --array=1-4 \
  --chdir="$repo" --output="$T/out/slurm-%A_%a.log" \
  examples/cluster/slurm_sweep.sh "$GRID" --chunk-points 2)
echo "job $job submitted"
wait_job "$job"
check_merge "$T/out/shard-1 $T/out/shard-2 $T/out/shard-3 $T/out/shard-4" "$T/merged"
echo "4 shards merged: sweep.csv, sweep.parquet and the manifest equal the single run byte for byte"

echo "== requeue a running shard (1 of 1) in the middle of its run ($(date +%T))"
rm -rf "$T/out"
mkdir -p "$T/out"
job=$(CARECAST="$CARECAST" SWEEP_OUT="$T/out" sbatch --parsable --array=1-1 --requeue \
  --cpus-per-task=1 --open-mode=append --chdir="$repo" --output="$T/out/slurm-%A_%a.log" \
  examples/cluster/slurm_sweep.sh "$GRID" --chunk-points 2)
progress="$T/out/shard-1/.carecast-progress"
for _ in $(seq 600); do
  [ "$(ls "$progress" 2>/dev/null | grep -c '^chunk-' || true)" -ge 2 ] && break
  sleep 0.05
done
done_before=$(ls "$progress" 2>/dev/null | grep -c '^chunk-' || true)
if [ "$done_before" -lt 2 ] || [ -f "$T/out/shard-1/sweep.csv" ]; then
  echo "slurm-test: the shard ended or made no progress before the requeue ($done_before chunks)" >&2
  exit 1
fi
scontrol requeue "${job}_1"
# Slurm holds a requeued job back (Reason=BeginTime, about two minutes):
# once it is pending again, let it start in 2 s (a start within the second
# of the requeue fails: "Job credential revoked").
for _ in $(seq 100); do
  if [ "$(squeue -h -j "${job}_1" -o '%T' 2>/dev/null)" = PENDING ]; then
    scontrol update JobId="${job}_1" StartTime=now+2
    break
  fi
  sleep 0.1
done
echo "requeued after $done_before of 15 chunks"
wait_job "$job"
if ! grep -q "resuming:" "$T/out/slurm-${job}_1.log"; then
  echo "slurm-test: the requeued shard did not resume (no 'resuming:' in its log)" >&2
  exit 1
fi
for f in sweep.csv sweep.parquet; do
  cmp -s "$T/single/$f" "$T/out/shard-1/$f" || {
    echo "slurm-test: requeued shard: $f differs from the single-machine run" >&2
    exit 1
  }
done
echo "the requeued shard resumed ($(grep -o 'resuming: [0-9]* of [0-9]* points' "$T/out/slurm-${job}_1.log" | head -1)) and equals the single run byte for byte"
echo "slurm-test: passed"
