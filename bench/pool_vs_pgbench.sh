#!/usr/bin/env bash
# pgkit pool-bench beside pgbench, on one fresh embedded server, in one run:
#   pgbench -S -M prepared -c 8 -j 2        (the issue's reference: pgbench's select-only script)
#   pgbench -f 'SELECT 1' -M prepared -c 8 -j 2
#   pgkit pool-bench --connections 8 --threads 16   (SELECT 1, and pgbench's select by a fixed aid)
# Usage: bench/pool_vs_pgbench.sh [seconds per run, default 10]. Needs `make` first.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
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

pgbench_s=$(tps_of_pgbench -S)
pgbench_1=$(tps_of_pgbench -f "$script")
pool_1=$(tps_of_pool_bench)
pool_s=$(tps_of_pool_bench --sql "SELECT abalance FROM pgbench_accounts WHERE aid = 4242")

printf '%-48s %12s\n' "run ($seconds s each, 8 connections)" "tps"
printf '%-48s %12s\n' "pgbench -S -M prepared -c 8 -j 2" "$pgbench_s"
printf '%-48s %12s\n' "pgbench -f 'SELECT 1' -M prepared -c 8 -j 2" "$pgbench_1"
printf '%-48s %12s\n' "pgkit pool-bench SELECT 1, 16 threads" "$pool_1"
printf '%-48s %12s\n' "pgkit pool-bench select by aid, 16 threads" "$pool_s"
awk -v a="$pool_1" -v b="$pgbench_s" -v c="$pgbench_1" \
  'BEGIN { printf "pool-bench SELECT 1 / pgbench -S: %.2f   / pgbench SELECT 1: %.2f\n", a / b, a / c }'
