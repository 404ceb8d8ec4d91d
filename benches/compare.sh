#!/usr/bin/env bash
# Times albmtls against the tools an operator would otherwise use, on the same files in
# one run, checks that they agree on counts, and prints medians and ratios.
#
#   benches/compare.sh [FILES] [LINES_PER_FILE]     (default: 48 x 50000, ~700 MB raw)
#   PGO=1 benches/compare.sh                         (albmtls and decode-only built by benches/pgo.sh)
#
# Needs: hyperfine, gawk, ripgrep (apt-get install hyperfine gawk ripgrep), python3;
# DuckDB is used when `python3 -c "import duckdb"` works (pip install duckdb).
# Results go to benches/results/ (JSON from hyperfine, plus summary.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=${1:-48}
LINES=${2:-50000}
RUNS=${RUNS:-5}
ROOT=benches/corpus/${FILES}x${LINES}
OUT=benches/results
mkdir -p "$OUT"

for tool in hyperfine gawk rg python3; do
    command -v "$tool" >/dev/null || { echo "compare.sh: $tool is missing (apt-get install hyperfine gawk ripgrep)" >&2; exit 2; }
done

cargo build --release --locked -p albmtls -p albmtls-corpus -p albmtls-benches --bins
BIN=target/release
# albmtls and decode-only always come from the same build, so their ratio compares like with like.
if [ "${PGO:-0}" = 1 ]; then
    benches/pgo.sh
    BIN=target/pgo/release
fi
ALBMTLS=$BIN/albmtls

if [ ! -f "$ROOT/truth.json" ]; then
    # Level 6 compresses like ALB's own files (~4.5:1); the generator's default level 1 is for speed.
    target/release/albmtls-corpus --out "$ROOT" --files "$FILES" --lines "$LINES" --level 6 --no-other-logs
fi
if [ ! -f "$ROOT-single/truth.json" ]; then
    target/release/albmtls-corpus --out "$ROOT-single" --files "$FILES" --lines "$LINES" --level 6 --no-other-logs --single-file
fi
# The same records as vended deliveries (same seed and spec, so the same lines).
if [ ! -f "$ROOT-json/truth.json" ]; then
    target/release/albmtls-corpus --out "$ROOT-json" --files "$FILES" --lines "$LINES" --level 6 --no-other-logs --delivery json
fi
if [ ! -f "$ROOT-parquet/truth.json" ]; then
    target/release/albmtls-corpus --out "$ROOT-parquet" --files "$FILES" --lines "$LINES" --no-other-logs --delivery parquet
fi
JSON_GZ=$(find "$ROOT-json/AWSLogs" -name '*.json.gz' | sort | tr '\n' ' ')
PARQUET=$(find "$ROOT-parquet/AWSLogs" -name '*.parquet' | sort | tr '\n' ' ')
GZ=$(find "$ROOT/AWSLogs" -name '*.log.gz' | sort | tr '\n' ' ')
SINGLE=$(find "$ROOT-single/AWSLogs" -name '*.log.gz')
RAW=$(python3 -c "import json;print(json.load(open('$ROOT/truth.json'))['raw_bytes'])")
GZBYTES=$(cat $GZ | wc -c)
# The client with the most failures: the one an operator would be chasing.
IP=$(python3 - "$ROOT/truth.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
per = {}
for status, clients in t["clients_by_status"].items():
    if status.startswith("Failed:"):
        for ip, n in clients.items():
            per[ip] = per.get(ip, 0) + n
print(max(per, key=per.get).strip("[]"))
PY
)
IP_RE=${IP//./\\.}

HAVE_DUCKDB=0
python3 -c "import duckdb" 2>/dev/null && HAVE_DUCKDB=1

echo "== build: $BIN $([ "${PGO:-0}" = 1 ] && echo '(profile-guided)' || echo '(cargo build --release)')"
echo "== corpus: $FILES files x $LINES lines, $((RAW / 1000000)) MB raw, $((GZBYTES / 1000000)) MB gzip; cores: $(nproc); client: $IP"

echo "== agreement (counts for client $IP with a Failed status; report totals)"
TRUTH_IP=$(python3 -c "
import json; t=json.load(open('$ROOT/truth.json'))
print(sum(n for s,c in t['clients_by_status'].items() if s.startswith('Failed:') for ip,n in c.items() if ip.strip('[]')=='$IP'))")
A_GREP=$($ALBMTLS grep --ip "$IP" --status failed --count $GZ)
AWK=$(zcat $GZ | gawk -v ip="$IP" '($2 == ip && $11 ~ "Failed")' | wc -l)
RG=$(rg -z --no-filename -c "^[^ ]+ $IP_RE .*Failed:" $GZ | gawk '{s+=$1} END {print s+0}')
echo "truth=$TRUTH_IP albmtls=$A_GREP zcat|awk=$AWK rg -z=$RG"
[ "$A_GREP" = "$TRUTH_IP" ] || { echo "compare.sh: albmtls grep disagrees with the generator's truth" >&2; exit 1; }
TRUTH_RECORDS=$(python3 -c "import json;print(json.load(open('$ROOT/truth.json'))['records'])")
A_RECORDS=$($ALBMTLS report --format json $GZ | python3 -c "import json,sys;print(json.load(sys.stdin)['records'])")
[ "$A_RECORDS" = "$TRUTH_RECORDS" ] || { echo "compare.sh: albmtls report counted $A_RECORDS records, truth says $TRUTH_RECORDS" >&2; exit 1; }
if [ $HAVE_DUCKDB = 1 ]; then
    D_COUNTS=$(python3 benches/duckdb_report.py $GZ)
    A_COUNTS=$($ALBMTLS report --format json $GZ | python3 -c "import json,sys;print(json.dumps(dict(sorted(json.load(sys.stdin)['status_counts'].items()))))")
    [ "$D_COUNTS" = "$A_COUNTS" ] || { echo "compare.sh: DuckDB and albmtls status counts differ" >&2; exit 1; }
    echo "status counts: albmtls = DuckDB ($TRUTH_RECORDS records)"
else
    echo "DuckDB not installed (pip install duckdb): skipping it"
fi

for delivery in JSON_GZ PARQUET; do
    V_RECORDS=$($ALBMTLS report --format json ${!delivery} | python3 -c "import json,sys;print(json.load(sys.stdin)['records'])")
    [ "$V_RECORDS" = "$TRUTH_RECORDS" ] || { echo "compare.sh: albmtls report counted $V_RECORDS records in $delivery, truth says $TRUTH_RECORDS" >&2; exit 1; }
done

echo "== report: albmtls vs DuckDB vs decode-only"
REPORT_CMDS=(-n "decode-only" "$BIN/decode-only $GZ" -n "albmtls report" "$ALBMTLS report --format json $GZ")
[ $HAVE_DUCKDB = 1 ] && REPORT_CMDS+=(-n "duckdb group by" "python3 benches/duckdb_report.py $GZ")
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$OUT/report.json" "${REPORT_CMDS[@]}" >/dev/null

echo "== grep: albmtls vs zcat|awk vs rg -z"
hyperfine --warmup 1 --runs "$RUNS" --export-json "$OUT/grep.json" \
    -n "albmtls grep" "$ALBMTLS grep --ip $IP --status failed $GZ > /dev/null" \
    -n "zcat | awk" "zcat $GZ | gawk -v ip=$IP '(\$2 == ip && \$11 ~ \"Failed\")' > /dev/null" \
    -n "rg -z" "rg -z --no-filename '^[^ ]+ $IP_RE .*Failed:' $GZ > /dev/null" >/dev/null

echo "== one large file: albmtls vs decode-only"
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$OUT/single.json" \
    -n "decode-only (1 file)" "$BIN/decode-only $SINGLE" \
    -n "albmtls report (1 file)" "$ALBMTLS report --format json $SINGLE" >/dev/null

echo "== vended deliveries: the same records as classic gzip, NDJSON gzip and Parquet"
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$OUT/vended.json" \
    -n "report classic (gzip)" "$ALBMTLS report --format json $GZ" \
    -n "report NDJSON (gzip)" "$ALBMTLS report --format json $JSON_GZ" \
    -n "report Parquet" "$ALBMTLS report --format json $PARQUET" >/dev/null

echo "== memory (peak RSS)"
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
R1=$(rss $ALBMTLS report --format json $GZ)
R10=$(rss $ALBMTLS report --format json $GZ $GZ $GZ $GZ $GZ $GZ $GZ $GZ $GZ $GZ)
RS=$(rss $ALBMTLS report --format json $SINGLE)

python3 - "$OUT" "$R1" "$R10" "$RS" "$RAW" <<'PY' | tee "$OUT/summary.txt"
import json, sys
out, r1, r10, rs, raw = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def medians(name):
    return {r["command"]: r["median"] for r in json.load(open(f"{out}/{name}.json"))["results"]}
rep, grp, one, ven = medians("report"), medians("grep"), medians("single"), medians("vended")
print(f"{'command':28} {'median s':>9} {'MB/s raw':>9}")
for table in (rep, grp, one, ven):
    for cmd, t in table.items():
        size = raw
        print(f"{cmd:28} {t:9.3f} {size / t / 1e6:9.0f}")
a = rep["albmtls report"]
print()
print(f"albmtls report / decode-only        = {a / rep['decode-only']:.3f}x  (target <= 1.300)")
if "duckdb group by" in rep:
    print(f"duckdb / albmtls report             = {rep['duckdb group by'] / a:.2f}x   (target >= 3)")
g = grp["albmtls grep"]
print(f"zcat|awk / albmtls grep             = {grp['zcat | awk'] / g:.2f}x   (target >= 5)")
print(f"rg -z / albmtls grep                = {grp['rg -z'] / g:.2f}x   (target > 1)")
print(f"1 file: albmtls report / decode-only = {one['albmtls report (1 file)'] / one['decode-only (1 file)']:.2f}x   (target <= 1.50)")
c = ven["report classic (gzip)"]
print(f"NDJSON / classic report, same records = {ven['report NDJSON (gzip)'] / c:.2f}x   (target <= 2)")
print(f"Parquet / classic report, same records = {ven['report Parquet'] / c:.2f}x   (target < 1)")
print(f"peak RSS: {r1 / 1024:.0f} MB; 10x the input, same keys: {r10 / 1024:.0f} MB; one large file: {rs / 1024:.0f} MB   (target <= 100 MB)")
PY
