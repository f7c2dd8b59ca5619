"""psycopg2's side of pgkit-compare: runs one case and prints {"seconds": ...} as JSON.

Usage: /usr/bin/python3 psycopg2_cases.py <case> <count>, with the conninfo as the first line of stdin
(never on the command line, where a password would show in ps).
"""
import json
import sys
import time

import psycopg2

POINT_SELECT = "SELECT id, name, price, qty FROM bench_rows WHERE id = %s"
FETCH = "SELECT id, name, price, qty FROM bench_rows LIMIT %s"
FIXTURE_ROWS = 200_000


def select1(cur, count):
    total = 0
    start = time.perf_counter()
    for _ in range(count):
        cur.execute("SELECT 1")
        total += cur.fetchone()[0]
    elapsed = time.perf_counter() - start
    assert total == count
    return elapsed


def point_select(cur, count):
    total = 0
    start = time.perf_counter()
    for i in range(count):
        cur.execute(POINT_SELECT, (i % FIXTURE_ROWS + 1,))
        row = cur.fetchone()
        total += row[3]
    elapsed = time.perf_counter() - start
    assert total >= 0
    return elapsed


def fetch_decode(cur, count):
    start = time.perf_counter()
    cur.execute(FETCH, (count,))
    rows = cur.fetchall()  # tuples of int, str, Decimal, int
    elapsed = time.perf_counter() - start
    assert len(rows) == count
    return elapsed


CASES = {"select1": select1, "point_select": point_select, "fetch_decode": fetch_decode}


def main():
    case, count = sys.argv[1], int(sys.argv[2])
    conninfo = sys.stdin.readline().rstrip("\n")
    conn = psycopg2.connect(conninfo)
    conn.autocommit = True  # like the others: no transaction around the work
    try:
        with conn.cursor() as cur:
            seconds = CASES[case](cur, count)
    finally:
        conn.close()
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    main()
