#!/usr/bin/env bash
# Side-by-side run of carecast's ensemble engine and the numpy peer
# (../shared/peers/numpy_ensemble.py) on the same machine, same workload:
# 100,000 trajectories x 30 years, single-year ages 0-100+, two sexes.
# Usage: bash scripts/peer-compare.sh [TRAJECTORIES] [YEARS]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100000}"; years="${2:-30}"
python3 -c 'import numpy' 2>/dev/null || pip install --quiet numpy
cargo build --release --example peer_ensemble --quiet
bin="${CARGO_TARGET_DIR:-target}/release/examples/peer_ensemble"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
peer=$(python3 ../shared/peers/numpy_ensemble.py --trajectories "$n" --years "$years" --seed 42)
echo "numpy peer: $peer"
ours=$("$bin" --trajectories "$n" --years "$years" --seed 42)
echo "carecast (all threads): $ours"
one=$("$bin" --trajectories "$n" --years "$years" --seed 42 --threads 1)
echo "carecast (1 thread): $one"
wall() { sed -E 's/.*wall-s: ([0-9.]+).*/\1/' <<<"$1"; }
python3 - "$(wall "$peer")" "$(wall "$ours")" "$(wall "$one")" <<'PY'
import sys
peer, ours, one = map(float, sys.argv[1:])
print(f"wall time ratio numpy / carecast: {peer / ours:.1f}x; 2 threads vs 1: {one / ours:.2f}x")
PY
