"""The SQL engine route to albmtls' report: counts by status and client IP over the same
gzip files, with DuckDB's CSV reader (space-delimited, one quoted field, 11-15 fields).
Prints the status counts as JSON so compare.sh can check they agree with albmtls."""
import json
import sys
from collections import Counter

import duckdb

files = sys.argv[1:]
columns = "{" + ",".join(f"'c{i:02}':'VARCHAR'" for i in range(15)) + "}"
sql = (
    f"SELECT c10 AS status, c01 AS client_ip, count(*) FROM read_csv({files!r}, delim=' ', quote='\"', "
    f"escape='\\', header=false, null_padding=true, auto_detect=false, strict_mode=false, columns={columns}) "
    "GROUP BY ALL"
)
by_status = Counter()
for status, _client, count in duckdb.sql(sql).fetchall():
    by_status[status] += count
json.dump(dict(sorted(by_status.items())), sys.stdout)
print()
