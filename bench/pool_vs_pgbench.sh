#!/usr/bin/env bash
# pgkit pool-bench beside pgbench, on one fresh embedded server, in one run:
#   pgbench -S -M prepared -c 8 -j 2        (the issue's reference: pgbench's select-only script)
#   pgbench -f 'SELECT 1' -M prepared -c 8 -j 2
#   pgkit pool-bench --connections 8 --threads 16   (SELECT 1, and pgbench's select by a fixed aid),
#     under fifo (the pool's default) and throughput fairness
# The runs are interleaved over several rounds and each figure is the median of its rounds: on a shared
# 2-core machine one run alone can be off by 20%.
# Usage: bench/pool_vs_pgbench.sh [seconds per run, default 10] [rounds, default 3]. Needs `make` first.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
rounds=${2:-3}
pgkit=build/tools/pgkit/pgkit
bindir=$(pg_config --bindir 2>/dev/null || true)
pgbench=$bindir/pgbench
[[ -x $pgbench ]] || pgbench=$(ls -d /usr/lib/postgresql/*/bin/pgbench | sort -V | tail -1)

export PGKIT_HOME=/tmp/pgkit-poolbench-$$
unset DATABASE_URL
trap '$pgkit db stop >/dev/null 2>&1 || true; rm -rf "$PGKIT_HOME"' EXIT
$pgkit db start >/dev/null
url=$($pgkit db url)
"$pgbench" -i -s 1 -q "$url" >/dev/null 2>&1
script=$PGKIT_HOME/select1.sql
echo 'SELECT 1;' >"$script"

tps_of_pgbench() { "$pgbench" "$@" -M prepared -c 8 -j 2 -T "$seconds" "$url" 2>/dev/null |
  sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1; }
tps_of_pool_bench() { $pgkit pool-bench --connections 8 --threads 16 --seconds "$seconds" --json "$@" |
  sed -n 's/.*"tps": \([0-9.]*\).*/\1/p'; }

tps_of_pgbench() { "$pgbench" "$@" -M prepared -c 8 -j 2 -T "$seconds" "$url" 2>/dev/null |
  sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1; }
tps_of_pool_bench() { $pgkit pool-bench --connections 8 --threads 16 --seconds "$seconds" --json "$@" |
  sed -n 's/.*"tps": \([0-9.]*\).*/\1/p'; }

aid_sql="SELECT abalance FROM pgbench_accounts WHERE aid = 4242"
names=("pgbench -S -M prepared -c 8 -j 2"
  "pgbench -f 'SELECT 1' -M prepared -c 8 -j 2"
  "pgkit pool-bench SELECT 1, 16 threads, fifo"
  "pgkit pool-bench SELECT 1, 16 threads, throughput"
  "pgkit pool-bench select by aid, 16 thr, throughput")
declare -a runs
for ((round = 1; round <= rounds; round++)); do
  runs[0]+=" $(tps_of_pgbench -S)"
  runs[1]+=" $(tps_of_pgbench -f "$script")"
  runs[2]+=" $(tps_of_pool_bench --fairness fifo)"
  runs[3]+=" $(tps_of_pool_bench --fairness throughput)"
  runs[4]+=" $(tps_of_pool_bench --fairness throughput --sql "$aid_sql")"
done
median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf '%-52s %10s   %s\n' "run ($seconds s each, 8 connections, $rounds rounds)" "median" "each round"
declare -a medians
for i in "${!names[@]}"; do
  medians[i]=$(median "${runs[i]}")
  printf '%-52s %10.0f  %s\n' "${names[i]}" "${medians[i]}" "${runs[i]}"
done
awk -v f="${medians[2]}" -v t="${medians[3]}" -v s="${medians[0]}" -v one="${medians[1]}" 'BEGIN {
  printf "pool-bench SELECT 1 / pgbench -S:        fifo %.2f   throughput %.2f\n", f / s, t / s
  printf "pool-bench SELECT 1 / pgbench SELECT 1:  fifo %.2f   throughput %.2f\n", f / one, t / one }'
