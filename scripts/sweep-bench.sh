#!/usr/bin/env bash
# The large-sweep benchmark (issue 16, item 3): points per second,
# cohort-years per second, the overhead of sharding and peak memory.
#   bash scripts/sweep-bench.sh          # about 15 min on 2 cores
#   FULL=1 bash scripts/sweep-bench.sh   # threads and shards on 10k too (about 50 min)
# models/sweeps/bench_1k.toml (1,010 points) and bench_10k.toml (10,100
# points), 1,000 Jiaxing trajectories a point (101 ages x 2 sexes x 29
# years = 5.858 million cohort-years a point). Runs one after the other:
#  1. each grid on all threads (2 here): wall time, points/s, cohort-years/s,
#     peak resident memory;
#  2. the small grid (both with FULL=1) on 1 thread;
#  3. the same grid as 2 and as 4 shards run one after the other, each on
#     all threads: the slowest shard x shards against the single run (the
#     cost of sharding: each shard loads the model and checks every point),
#     then `merge`, checked byte for byte against the single run.
# Wall times from /usr/bin/time; the machine is shared, so run it on a
# quiet machine and compare ratios within one run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/carecast"
out=$(mktemp -d /tmp/carecast-sweep-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT
cohort_years_per_point=$((101 * 2 * 29 * 1000))
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); carecast $("$bin" --version | cut -d' ' -f2)"

# run LABEL POINTS ARGS...: one timed run; prints a line and sets $wall, $rss.
run() {
  local label=$1 points=$2
  shift 2
  /usr/bin/time -f '%e %M' -o "$out/time" "$bin" "$@" --quiet
  read -r wall rss <"$out/time"
  python3 - "$label" "$points" "$wall" "$rss" "$cohort_years_per_point" <<'PY'
import sys
label, points, wall, rss, cy = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
print(f"{label:<34} {points:>6} points {wall:>8.1f} s  {points / wall:>7.1f} points/s  "
      f"{points * cy / wall / 1e9:>5.2f} x 10^9 cohort-years/s  peak {rss / 1024:>6.0f} MiB")
PY
}

# shards GRID POINTS N SINGLE_WALL: N shards one after the other, then merge.
shards() {
  local grid=$1 points=$2 n=$3 single=$4 slowest=0 total=0
  for k in $(seq "$n"); do
    run "  shard $k/$n" $(( (points - k) / n + 1 )) sweep --grid "$grid" --shard "$k/$n" --out "$out/s$n-$k"
    slowest=$(python3 -c "print(max($slowest, $wall))")
    total=$(python3 -c "print($total + $wall)")
  done
  local dirs
  dirs=$(for k in $(seq "$n"); do printf '%s ' "$out/s$n-$k"; done)
  /usr/bin/time -f '%e %M' -o "$out/time" "$bin" merge $dirs --out "$out/m$n" --quiet
  read -r mwall mrss <"$out/time"
  for f in sweep.csv sweep.parquet sweep_manifest.toml; do
    cmp -s "$out/single/$f" "$out/m$n/$f" || { echo "merged $f differs from the single run" >&2; exit 1; }
  done
  python3 - "$n" "$slowest" "$total" "$single" "$mwall" "$mrss" <<'PY'
import sys
n, slowest, total, single, mwall, mrss = int(sys.argv[1]), *map(float, sys.argv[2:6]), int(sys.argv[6])
print(f"  {n} shards: slowest x {n} = {slowest * n:.1f} s vs single {single:.1f} s "
      f"(overhead {100 * (slowest * n / single - 1):+.1f}%); all shards {total:.1f} s; "
      f"merge {mwall:.1f} s, peak {mrss / 1024:.0f} MiB; merged = single byte for byte")
PY
}

for g in bench_1k bench_10k; do
  grid=models/sweeps/$g.toml
  points=$([ $g = bench_1k ] && echo 1010 || echo 10100)
  echo "== $g"
  run "$g, all threads" "$points" sweep --grid "$grid" --out "$out/single"
  single=$wall
  if [ $g = bench_1k ] || [ -n "${FULL:-}" ]; then
    run "$g, 1 thread" "$points" sweep --grid "$grid" --threads 1 --out "$out/one"
    cmp -s "$out/single/sweep.csv" "$out/one/sweep.csv" || { echo "1 thread differs" >&2; exit 1; }
    shards "$grid" "$points" 2 "$single"
    shards "$grid" "$points" 4 "$single"
  fi
  rm -rf "$out"/s* "$out"/m* "$out/one"
  rm -rf "$out/single"
done
