#!/usr/bin/env bash
# Fingerprints of carecast's output tables: runs project, gap, simulate
# (with and without --keep, 1 and 2 threads), sweep (single run, 3 shards +
# merge) and report (en, zh) on every shipped model and prints one md5 sum
# per table. A restructuring must leave this list unchanged:
#   bash scripts/output-md5.sh BINARY > before.md5   # old binary
#   bash scripts/output-md5.sh BINARY > after.md5    # new binary
#   diff before.md5 after.md5
# Tables only: CSV, Parquet, TOML manifests and index.html (charts are
# rendered images; their CSVs are compared) and the terminal output of every
# run (temporary paths and timings, English and Chinese, masked). Run from the project root.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:?usage: output-md5.sh PATH-TO-carecast-BINARY}"
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Each run's terminal output is kept too (temporary paths and timings masked).
n=0
run() {
  n=$((n + 1))
  "$bin" "$@" > "$work/out.tmp"
  mkdir -p "$work/stdout"
  sed -e "s#$work#WORK#g" -E -e 's/in [0-9]+\.[0-9]+ s/in T s/g' -e 's/[0-9]+\.[0-9]+ s per point/T s per point/g' -e 's/用时 [0-9]+\.[0-9]+ 秒/用时 T 秒/g' "$work/out.tmp" > "$work/stdout/$(printf %03d $n)-$1.txt"
}
for m in jiaxing shanghai huangpu lincang; do
  model="models/$m.toml"
  run validate --model "$model"
  run project --model "$model" --scenario all --out "$work/$m/project"
  run project --model "$model" --format parquet --out "$work/$m/project-parquet"
  run gap --model "$model" --scenario all --out "$work/$m/gap"
  run simulate --model "$model" -n 3000 --seed 11 --threads 1 --out "$work/$m/sim-1"
  run simulate --model "$model" -n 3000 --seed 11 --threads 2 --out "$work/$m/sim-2"
  run simulate --model "$model" -n 1500 --seed 5 --keep 20 --migration-sd 2000 --threads 2 --out "$work/$m/sim-keep"
  run simulate --model "$model" --scenario all -n 600 --seed 3 --threads 2 --format parquet --out "$work/$m/sim-all"
  run report --model "$model" --lang en -n 2000 --seed 4 --threads 2 --out "$work/$m/report-en"
  run report --model "$model" --lang zh -n 2000 --seed 4 --threads 2 --out "$work/$m/report-zh"
done
for spec in data/*/synthesis.toml; do
  run synthesize --spec "$spec" --out "$work/synth/$(basename "$(dirname "$spec")").csv"
done
# The shipped sweep at 300 trajectories a point (a copy beside the original,
# so that its relative model path still resolves).
grid=models/sweeps/.output-md5-grid.toml
trap 'rm -rf "$work" "$grid"' EXIT
sed 's/^trajectories = .*/trajectories = 300/' models/sweeps/jiaxing_tfr_e0.toml > "$grid"
run sweep --grid "$grid" --threads 2 --out "$work/sweep/all"
for k in 1 2 3; do
  run sweep --grid "$grid" --threads 1 --shard "$k/3" --out "$work/sweep/shard-$k"
done
run merge "$work/sweep/shard-1" "$work/sweep/shard-2" "$work/sweep/shard-3" --out "$work/sweep/merged"
run report --model models/jiaxing.toml --lang zh -n 1000 --seed 4 --sweep "$work/sweep/all" --out "$work/sweep/report-zh"
run report --model models/jiaxing.toml -n 1000 --seed 4 --sweep "$work/sweep/all" --sweep-service nursery --out "$work/sweep/report-en"
cd "$work"
find . -type f \( -name '*.csv' -o -name '*.parquet' -o -name '*.toml' -o -name '*.html' -o -name '*.txt' \) \
  | LC_ALL=C sort | xargs md5sum
