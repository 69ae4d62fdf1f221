#!/bin/bash
# Run a carecast sweep as a Slurm job array: task K runs shard K of N.
# Submit from the carecast checkout (with the release binary built):
#   mkdir -p sweep-out
#   sbatch --array=1-8 examples/cluster/slurm_sweep.sh models/sweeps/jiaxing_tfr_e0.toml
# then, when every task has finished:
#   target/release/carecast merge sweep-out/shard-* --out sweep-out/merged
# Seeds come from each point's parameters, so the merged table equals a
# single-machine run byte for byte, whatever N and whichever node ran a shard
# (scripts/slurm-test.sh checks this on a local cluster).
# A task that is requeued (--requeue, scontrol requeue, a pre-empted node)
# runs the same command into the same folder and resumes its shard from the
# chunks it had finished.
# Arguments after the grid go to `carecast sweep` (e.g. --chunk-points 4).
# Environment: CARECAST (the binary, default target/release/carecast),
# SWEEP_OUT (the output folder, default sweep-out; Slurm's log folder in
# --output below must exist before sbatch).
#SBATCH --job-name=carecast-sweep
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=01:00:00
#SBATCH --output=sweep-out/slurm-%A_%a.log
set -euo pipefail
GRID=${1:?usage: sbatch --array=1-N slurm_sweep.sh GRID.toml [sweep options]}
shift
N=${SLURM_ARRAY_TASK_COUNT:?run as a job array (sbatch --array=1-N)}
K=${SLURM_ARRAY_TASK_ID}
OUT=${SWEEP_OUT:-sweep-out}
mkdir -p "$OUT"
"${CARECAST:-target/release/carecast}" sweep --grid "$GRID" --shard "$K/$N" \
  --threads "${SLURM_CPUS_PER_TASK:-2}" --out "$OUT/shard-$K" "$@"
