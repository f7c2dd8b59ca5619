"""The seed's way of migrating many schemas, for the migrate benchmark to compare against.

The seed's MigrationManager (../shared/seed, application 4) opens a new psycopg2 connection for each
step: one to create schema_migrations, one to read the applied versions, then one connection and one
transaction per pending migration (run it, record it, commit). Looping it over tenant schemas (with the
search_path set per schema, as its multi-tenant application does) is what this script times:

  1. migrate_<N>_schemas: N schemas from nothing, the 5 migrations of bench/migrate/migrations applied
     to each (the same files, up sections, the C++ benchmark applies);
  2. migrate_noop_<N>_schemas: the same loop again, where every schema is checked and nothing is pending.

Prints one JSON line per case, like pgkit-compare:
  {"case": "migrate_1000_schemas", "impl": "psycopg2_seed", "seconds": ...}

Connection: DATABASE_URL if set, else libpq's PG* variables (never the command line, where a password
would show in ps). Usage: /usr/bin/python3 seed_loop.py [--schemas N] [--prefix P] [--keep]
Unlike the seed, names are quoted as identifiers (psycopg2.sql), never pasted into SQL.
"""
import argparse
import hashlib
import json
import os
import pathlib
import re
import sys
import time

import psycopg2
from psycopg2 import sql

MIGRATIONS_DIR = pathlib.Path(__file__).resolve().parent / "migrations"
FILE_NAME = re.compile(r"^(\d+)_([a-z0-9_]+)\.sql$")


def up_section(text, path):
    """The text between `-- migrate:up` and `-- migrate:down` (or the end)."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == "-- migrate:up"]
    if len(starts) != 1:
        raise SystemExit(f"{path}: expected one '-- migrate:up' line")
    up = []
    for line in lines[starts[0] + 1:]:
        if line.strip() == "-- migrate:down":
            break
        up.append(line)
    return "\n".join(up).strip()


def load_migrations(directory):
    """(version, name, up SQL, checksum) for each <version>_<name>.sql, in version order."""
    migrations = []
    for path in sorted(directory.iterdir()):
        match = FILE_NAME.match(path.name)
        if not match:
            continue
        up = up_section(path.read_text(encoding="utf-8"), path)
        checksum = hashlib.md5(up.encode()).hexdigest()  # the seed's 32-character checksum column
        migrations.append((match.group(1), match.group(2), up, checksum))
    if not migrations:
        raise SystemExit(f"no migrations in {directory}")
    return sorted(migrations, key=lambda m: int(m[0]))


def connect():
    url = os.environ.get("DATABASE_URL")
    return psycopg2.connect(url) if url else psycopg2.connect("")


def set_search_path(cur, schema):
    cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))


def init_schema(schema):
    """The seed's init_migrations_table, in the tenant's schema (which the tenant app creates first)."""
    with connect() as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        set_search_path(cur, schema)
        cur.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version VARCHAR(20) PRIMARY KEY,
                name VARCHAR(200) NOT NULL,
                checksum VARCHAR(32) NOT NULL,
                applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
            )""")
    conn.close()  # psycopg2's `with connection` commits but does not close


def applied_versions(schema):
    with connect() as conn, conn.cursor() as cur:
        set_search_path(cur, schema)
        cur.execute("SELECT version FROM schema_migrations ORDER BY version")
        versions = {row[0] for row in cur.fetchall()}
    conn.close()
    return versions


def apply(schema, migration):
    version, name, up, checksum = migration
    with connect() as conn, conn.cursor() as cur:
        set_search_path(cur, schema)
        cur.execute(up)
        cur.execute("INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                    (version, name, checksum))
    conn.close()


def migrate_schema(schema, migrations):
    """One MigrationManager run for one schema; returns how many migrations it applied."""
    init_schema(schema)
    applied = applied_versions(schema)
    pending = [m for m in migrations if m[0] not in applied]
    for migration in pending:
        apply(schema, migration)
    return len(pending)


def drop_schemas(schemas):
    with connect() as conn, conn.cursor() as cur:
        for schema in schemas:
            cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
            conn.commit()  # one schema per transaction: a thousand in one would exceed the lock table
    conn.close()


def timed_pass(schemas, migrations):
    start = time.perf_counter()
    applied = sum(migrate_schema(schema, migrations) for schema in schemas)
    return time.perf_counter() - start, applied


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schemas", type=int, default=1000, help="number of schemas (default 1000)")
    parser.add_argument("--prefix", default="seed_tenant_", help="schema name prefix (default seed_tenant_)")
    parser.add_argument("--migrations", type=pathlib.Path, default=MIGRATIONS_DIR, help="migrations folder")
    parser.add_argument("--keep", action="store_true", help="leave the schemas in place afterwards")
    args = parser.parse_args()
    if args.schemas < 1:
        parser.error("--schemas must be at least 1")
    migrations = load_migrations(args.migrations)
    schemas = [f"{args.prefix}{i:05d}" for i in range(1, args.schemas + 1)]

    drop_schemas(schemas)  # from nothing; not timed
    seconds, applied = timed_pass(schemas, migrations)
    if applied != len(schemas) * len(migrations):
        raise SystemExit(f"applied {applied} migrations, expected {len(schemas) * len(migrations)}")
    print(json.dumps({"case": f"migrate_{args.schemas}_schemas", "impl": "psycopg2_seed",
                      "seconds": round(seconds, 3)}), flush=True)

    seconds, applied = timed_pass(schemas, migrations)
    if applied != 0:
        raise SystemExit(f"the no-op pass applied {applied} migrations")
    print(json.dumps({"case": f"migrate_noop_{args.schemas}_schemas", "impl": "psycopg2_seed",
                      "seconds": round(seconds, 3)}), flush=True)
    if not args.keep:
        drop_schemas(schemas)
    return 0


if __name__ == "__main__":
    sys.exit(main())
