"""The SQL engine route to albmtls' report: counts by status and client IP over the same
gzip files, with DuckDB's CSV reader (space-delimited, one quoted field, 11-15 fields).
Prints the status counts as JSON so compare.sh can check they agree with albmtls.

    duckdb_report.py [--subjects] FILE|DIR...

--subjects computes what the report shows where clients and subjects are many: per
status its count and distinct clients and subjects, and per failure its top 10 clients
and top 10 subjects, all inside DuckDB (only those small results reach Python)."""
import json
import os
import sys
from collections import Counter

import duckdb

args = sys.argv[1:]
subjects = bool(args) and args[0] == "--subjects"
# A folder stands for the .log.gz files under it (thousands of paths do not fit in one
# command line).
files = [f"{a}/**/*.log.gz" if os.path.isdir(a) else a for a in (args[1:] if subjects else args)]
columns = "{" + ",".join(f"'c{i:02}':'VARCHAR'" for i in range(15)) + "}"
source = (
    f"read_csv({files!r}, delim=' ', quote='\"', "
    f"escape='\\', header=false, null_padding=true, auto_detect=false, strict_mode=false, columns={columns})"
)
by_status = Counter()
if subjects:
    # Read once into a table, then the groupings, as a notebook user would.
    duckdb.sql(f"CREATE TABLE lines AS SELECT c10 AS status, c01 AS client_ip, c07 AS subject FROM {source}")
    for key in ("client_ip", "subject"):
        duckdb.sql(
            f"SELECT status, {key}, n FROM (SELECT status, {key}, count(*) AS n, "
            f"row_number() OVER (PARTITION BY status ORDER BY count(*) DESC, {key}) AS r "
            f"FROM lines WHERE status LIKE 'Failed:%' GROUP BY status, {key}) WHERE r <= 10"
        ).fetchall()
    sql = "SELECT status, count(DISTINCT client_ip), count(DISTINCT subject), count(*) FROM lines GROUP BY ALL"
    rows = [(status, count) for status, _clients, _subjects, count in duckdb.sql(sql).fetchall()]
else:
    sql = f"SELECT c10 AS status, c01 AS client_ip, count(*) FROM {source} GROUP BY ALL"
    rows = [(status, count) for status, _client, count in duckdb.sql(sql).fetchall()]
for status, count in rows:
    by_status[status] += count
json.dump(dict(sorted(by_status.items())), sys.stdout)
print()
