"""psycopg2's side of pgkit-compare: runs one case and prints {"seconds": ...} as JSON.

Usage: /usr/bin/python3 psycopg2_cases.py <case> <count>, with the conninfo as the first line of stdin
(never on the command line, where a password would show in ps).
"""
import io
import json
import sys
import time
from decimal import Decimal

import psycopg2

POINT_SELECT = "SELECT id, name, price, qty FROM bench_rows WHERE id = %s"
FETCH = "SELECT id, name, price, qty FROM bench_rows LIMIT %s"
INSERT = "INSERT INTO bench_insert (id, name, price, qty) VALUES (%s, %s, %s, %s)"
COPY_OUT = "SELECT id, name, price, qty FROM bench_rows"
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


def source_rows(count):
    """The same rows as the C++ side's source_rows(): (id, name, price, qty)."""
    return [(i, f"product {i}", Decimal(f"{i % 100000}.{i % 100:02}"), i % 1000) for i in range(1, count + 1)]


def expect_rows(cur, table, count):
    cur.execute(f"SELECT count(*) FROM {table}")  # a constant table name, not user input
    assert cur.fetchone()[0] == count


def insert_many(cur, count):
    rows = source_rows(count)
    cur.execute("TRUNCATE bench_insert")
    start = time.perf_counter()
    cur.execute("BEGIN")
    cur.executemany(INSERT, rows)
    cur.execute("COMMIT")
    elapsed = time.perf_counter() - start
    expect_rows(cur, "bench_insert", count)
    return elapsed


def copy_in(cur, count):
    rows = source_rows(count)
    cur.execute("TRUNCATE bench_copy")
    start = time.perf_counter()
    data = io.StringIO("".join(f"{i}\t{name}\t{price}\t{qty}\n" for i, name, price, qty in rows))
    cur.copy_expert("COPY bench_copy (id, name, price, qty) FROM STDIN", data)
    elapsed = time.perf_counter() - start
    expect_rows(cur, "bench_copy", count)
    return elapsed


def copy_out(cur, count):
    start = time.perf_counter()
    data = io.StringIO()
    cur.copy_expert(f"COPY ({COPY_OUT}) TO STDOUT", data)
    rows = []
    for line in data.getvalue().splitlines():
        i, name, price, qty = line.split("\t")
        rows.append((int(i), name, Decimal(price), int(qty)))
    elapsed = time.perf_counter() - start
    assert len(rows) == count
    return elapsed


CASES = {
    "select1": select1,
    "point_select": point_select,
    "fetch_decode": fetch_decode,
    "insert_many": insert_many,
    "copy_in": copy_in,
    "copy_out": copy_out,
}


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
