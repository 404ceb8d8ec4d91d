#!/usr/bin/env bash
# Times albmtls against the tools an operator would otherwise use, on every shape of
# input in issue 19, on the same files in one run; checks that they agree on counts and
# prints medians and every ratio.
#
#   benches/compare.sh [SHAPE...]     (default: every shape)
#   RUNS=7 benches/compare.sh base    (hyperfine runs per command; default 5)
#   PGO=1 benches/compare.sh          (albmtls and decode-only built by benches/pgo.sh)
#   ISAL=1 benches/compare.sh         (also albmtls and decode-only built with the ISA-L
#                                      inflate backend: --features isal, needs libisal-dev)
#   BUILD=0 benches/compare.sh        (use the binaries already in target/ as they are)
#
# Shapes (corpora are generated once by albmtls-corpus, deterministically, and cached
# under benches/corpus/, which git ignores):
#   base      48 files x 50,000 lines, 5,000 skewed clients (~700 MB raw, gzip level 6)
#   single    the same lines in one file, in 4 gzip members (each ~35 MB compressed)
#   members   the same lines in one file written as ALB writes its files (a gzip member
#             every 1,000 lines), which albmtls inflates on a thread per core
#   fleet     one file of 3,000,000 lines, every line a new client and a new subject, all
#             failing (a large IoT fleet)
#   flat      48 files x 50,000 lines, 20,000 clients and 20,000 subjects of equal
#             popularity: less compressible (4.2:1)
#   small     2,000 files x 1,200 lines
#   many      30,000 files x 40 lines: a day of a large fleet's load balancers (a file per
#             node every 5 minutes), where listing and per-file costs show
#   s3-small  the small shape's 2,000 objects from a local S3 server (s3s-fs on loopback)
#   s3-large  the base shape's 48 objects from the same server
#   ndjson    the base shape's records as a vended delivery of gzip NDJSON (Hive layout),
#             `report` timed against the classic files
#   parquet   the same records as vended Parquet (snappy, row groups of 10,000 rows)
#
# Needs: hyperfine, gawk, ripgrep, igzip (apt-get install hyperfine gawk ripgrep isal),
# python3; DuckDB is used when `python3 -c "import duckdb"` works (pip install duckdb).
# The ndjson and parquet shapes need only hyperfine and python3.
# Results go to benches/results/ (hyperfine JSON per shape, plus summary.txt).
#
# To check the script itself on a tiny corpus (not a measurement), keep it apart from the
# cached corpora: CORPUS=/tmp/c OUT=/tmp/r FILES=2 LINES=1000 RUNS=1 benches/compare.sh ndjson
# (FILES and LINES size the base shape and the ones made of its records; BUILD=0
# BIN=target/debug uses binaries already built.)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
CORPUS=${CORPUS:-benches/corpus}
OUT=${OUT:-benches/results}
FILES=${FILES:-48}
LINES=${LINES:-50000}
mkdir -p "$OUT" "$CORPUS"
ALL_SHAPES=(base single members fleet flat small many s3-small s3-large ndjson parquet)
SHAPES=("$@")
[ ${#SHAPES[@]} -gt 0 ] || SHAPES=("${ALL_SHAPES[@]}")
for shape in "${SHAPES[@]}"; do
    [[ " ${ALL_SHAPES[*]} " == *" $shape "* ]] || { echo "compare.sh: unknown shape $shape (one of: ${ALL_SHAPES[*]})" >&2; exit 2; }
done

TOOLS=(hyperfine python3)
for shape in "${SHAPES[@]}"; do
    case $shape in
        ndjson | parquet) ;;
        *) TOOLS=(hyperfine gawk rg igzip python3) ;;
    esac
done
for tool in "${TOOLS[@]}"; do
    command -v "$tool" >/dev/null || { echo "compare.sh: $tool is missing (apt-get install hyperfine gawk ripgrep isal)" >&2; exit 2; }
done
HAVE_DUCKDB=0
python3 -c "import duckdb" 2>/dev/null && HAVE_DUCKDB=1

ISAL_BIN=
if [ "${BUILD:-1}" = 1 ] && [ "${ISAL:-0}" = 1 ]; then
    # Built first and copied aside: the plain build below then leaves target/release as usual.
    cargo build --release --locked -p albmtls -p albmtls-benches --bin albmtls --bin decode-only --features isal
    mkdir -p target/isal
    cp target/release/albmtls target/release/decode-only target/isal/
fi
[ "${ISAL:-0}" = 1 ] && ISAL_BIN=target/isal
[ "${BUILD:-1}" = 1 ] && cargo build --release --locked -p albmtls -p albmtls-corpus -p albmtls-benches --bins
BIN=${BIN:-target/release}
GEN=$BIN/albmtls-corpus
# albmtls and decode-only always come from the same build, so their ratio compares like with like.
if [ "${PGO:-0}" = 1 ]; then
    benches/pgo.sh
    BIN=target/pgo/release
fi
ALBMTLS=$BIN/albmtls

# corpus NAME ARGS...: generates benches/corpus/NAME once.
corpus() {
    local name=$1
    shift
    if [ ! -f "$CORPUS/$name/truth.json" ]; then
        rm -rf "${CORPUS:?}/$name"
        # Level 6 compresses like ALB's own files; the generator's default level 1 is for speed.
        "$GEN" --out "$CORPUS/$name" --level 6 --no-other-logs "$@"
    fi
}
files_of() { find "$CORPUS/$1/AWSLogs" -name '*.log.gz' | sort; }
truth() { python3 -c "import json,sys; print(json.load(open('$CORPUS/$1/truth.json'))$2)"; }

# igzip in two processes, each on half the files (one process for one file): the
# hardware floor of decompression on two cores.
igzip_two() {
    local list=$1 n
    n=$(wc -l <"$list")
    echo "xargs -a $list -P 2 -n $(((n + 1) / 2)) igzip -dc > /dev/null"
}

# The IP of the client with the most failures (from the truth when it lists clients, else
# the first failing line's client).
busiest_failing_client() {
    python3 - "$CORPUS/$1/truth.json" "$2" <<'PY'
import gzip, json, sys
t = json.load(open(sys.argv[1]))
per = {}
for status, clients in t["clients_by_status"].items():
    if status.startswith("Failed:"):
        for ip, n in clients.items():
            per[ip] = per.get(ip, 0) + n
if per:
    print(max(sorted(per), key=per.get).strip("[]"))
else:
    with gzip.open(open(sys.argv[2]).readline().strip(), "rt") as f:
        for line in f:
            fields = line.split(" ")
            if "Failed:" in line:
                print(fields[1].strip("[]"))
                break
PY
}

rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

# local_shape NAME [DUCKDB_FLAG]: report and grep on the shape's local files. Commands
# name the folder, not the files: 2,000 paths in one argument pass the kernel's limit.
local_shape() {
    local name=$1 duck_flag=${2:-} list="$OUT/$1.files" dir="$CORPUS/$1/AWSLogs" ip ip_re truth_records records
    files_of "$name" >"$list"
    ip=$(busiest_failing_client "$name" "$list")
    ip_re=${ip//./\\.}
    local gz_bytes
    gz_bytes=$(xargs -a "$list" cat | wc -c)
    echo "== $name: $(wc -l <"$list") files, $(($(truth "$name" "['raw_bytes']") / 1000000)) MB raw, $((gz_bytes / 1000000)) MB gzip; client $ip"

    truth_records=$(truth "$name" "['records']")
    records=$($ALBMTLS report --format json "$dir" | python3 -c "
import json, sys
r = json.load(sys.stdin)
t = json.load(open('$CORPUS/$name/truth.json'))
for f in r['failures']:
    s = f['status']
    assert f['distinct_clients'] == t['distinct_clients_by_status'][s], (s, 'clients')
    if t.get('distinct_subjects_by_status'):
        assert f['distinct_subjects'] == t['distinct_subjects_by_status'][s], (s, 'subjects')
print(r['records'])")
    [ "$records" = "$truth_records" ] || { echo "compare.sh: $name: albmtls report counted $records records, truth says $truth_records" >&2; exit 1; }
    local zcat_awk="xargs -a $list zcat | gawk -v ip=$ip '(\$2 == ip && \$11 ~ \"Failed\")'"
    local rg_z="rg -z --no-filename '^[^ ]+ \\[?$ip_re\\]? .*Failed:' $dir"
    local a_grep awk rg
    a_grep=$($ALBMTLS grep --ip "$ip" --status failed --count "$dir")
    awk=$(sh -c "$zcat_awk" | wc -l)
    rg=$(sh -c "$rg_z" | wc -l)
    # rg's pattern is exact here (no subject holds "Failed:"): albmtls must find the same lines.
    [ "$a_grep" = "$rg" ] || { echo "compare.sh: $name: albmtls grep found $a_grep lines of client $ip failing, rg -z $rg" >&2; exit 1; }
    echo "   records: albmtls = truth ($records); distinct clients and subjects per failure = truth; client $ip failing: albmtls = rg -z = $a_grep, zcat|awk = $awk (awk's \$11 is not the status when a subject holds spaces)"
    if [ $HAVE_DUCKDB = 1 ]; then
        local d_counts a_counts
        d_counts=$(python3 benches/duckdb_report.py $duck_flag "$dir")
        a_counts=$($ALBMTLS report --format json "$dir" | python3 -c "import json,sys;print(json.dumps(dict(sorted(json.load(sys.stdin)['status_counts'].items()))))")
        [ "$d_counts" = "$a_counts" ] || { echo "compare.sh: $name: DuckDB and albmtls status counts differ" >&2; exit 1; }
        echo "   status counts: albmtls = DuckDB"
    fi

    local cmds=(-n "decode-only" "$BIN/decode-only $dir" -n "albmtls report" "$ALBMTLS report --format json $dir"
        -n "igzip -d (2 processes)" "$(igzip_two "$list")")
    [ -n "$ISAL_BIN" ] && cmds+=(-n "decode-only (isal)" "$ISAL_BIN/decode-only $dir" -n "albmtls report (isal)" "$ISAL_BIN/albmtls report --format json $dir")
    [ $HAVE_DUCKDB = 1 ] && cmds+=(-n "duckdb" "python3 benches/duckdb_report.py $duck_flag $dir")
    hyperfine --warmup 1 --runs "$RUNS" --export-json "$OUT/$name-report.json" "${cmds[@]}" >/dev/null
    hyperfine --warmup 1 --runs "$RUNS" --export-json "$OUT/$name-grep.json" \
        -n "albmtls grep" "$ALBMTLS grep --ip $ip --status failed $dir > /dev/null" \
        -n "zcat | awk" "$zcat_awk > /dev/null" \
        -n "rg -z" "$rg_z > /dev/null" >/dev/null
    rss $ALBMTLS report --format json "$dir" >"$OUT/$name-rss.txt"
    # Memory must not follow the input's size: the same files ten times over.
    [ "$name" = base ] && rss $ALBMTLS report --format json $(for _ in $(seq 10); do echo "$dir"; done) >"$OUT/$name-rss10.txt"
    return 0
}

# s3_shape NAME LOCAL_SHAPE: the local shape's files as objects of a local S3 server,
# against the same report on the local files.
S3_PID=
s3_shape() {
    local name=$1 from=$2 root="$CORPUS/s3" env_file="$OUT/s3-serve.env"
    corpus_for "$from"
    if [ ! -d "$root/$from" ]; then
        mkdir -p "$root"
        # Hard links: the server reads the same files without a second copy on disk.
        cp -al "$CORPUS/$from" "$root/$from.tmp" && mv "$root/$from.tmp" "$root/$from"
        rm -f "$root/$from/truth.json"
    fi
    if [ -z "$S3_PID" ]; then
        target/release/s3-serve "$root" >"$env_file" &
        S3_PID=$!
        trap 'kill $S3_PID 2>/dev/null || true' EXIT
        for _ in $(seq 100); do [ -s "$env_file" ] && break; sleep 0.1; done
    fi
    local env dir="$CORPUS/$from/AWSLogs" records truth_records
    env=$(tr '\n' ' ' <"$env_file")
    truth_records=$(truth "$from" "['records']")
    records=$(env $env $ALBMTLS report --format json "s3://$from/AWSLogs/" | python3 -c "import json,sys;print(json.load(sys.stdin)['records'])")
    [ "$records" = "$truth_records" ] || { echo "compare.sh: $name: albmtls report counted $records records from S3, truth says $truth_records" >&2; exit 1; }
    echo "== $name: $(files_of "$from" | wc -l) objects from $(sed -n 's/^AWS_ENDPOINT_URL=//p' "$env_file"); records: albmtls = truth ($records)"
    local cmds=(-n "albmtls report (local files)" "$ALBMTLS report --format json $dir"
        -n "albmtls report s3:// (default concurrency)" "env $env $ALBMTLS report --format json s3://$from/AWSLogs/")
    for c in 4 16 64; do
        cmds+=(-n "albmtls report s3:// --concurrency $c" "env $env $ALBMTLS report --format json --concurrency $c s3://$from/AWSLogs/")
    done
    hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$OUT/$name-report.json" "${cmds[@]}" >/dev/null
    # Every object in flight holds its buffers: memory at the default concurrency.
    rss env $env $ALBMTLS report --format json "s3://$from/AWSLogs/" >"$OUT/$name-rss.txt"
}

# vended_shape NAME DELIVERY: the base shape's records written as a vended DELIVERY (the
# same seed and spec, so the same records), `report` on its tree against the classic files.
vended_shape() {
    local name=$1 delivery=$2 dir="$CORPUS/$1/AWSLogs" classic="$CORPUS/base/AWSLogs" records truth_records
    corpus_for base
    # --level applies to the gzip NDJSON; Parquet compresses its own pages (snappy).
    corpus "$name" --files "$FILES" --lines "$LINES" --delivery "$delivery"
    truth_records=$(truth base "['records']")
    records=$($ALBMTLS report --format json "$dir" | python3 -c "
import json, subprocess, sys
vended = json.load(sys.stdin)
classic = json.loads(subprocess.run(['$ALBMTLS', 'report', '--format', 'json', '$classic'], capture_output=True, check=True).stdout)
for key in ('records', 'status_counts', 'failures', 'timeline'):
    assert vended[key] == classic[key], key
print(vended['records'])")
    [ "$records" = "$truth_records" ] || { echo "compare.sh: $name: albmtls report counted $records records, truth says $truth_records" >&2; exit 1; }
    echo "== $name: $(find "$dir" -type f | wc -l) files, $(($(du -sk "$dir" | cut -f1) / 1000)) MB as $delivery, $(($(du -sk "$classic" | cut -f1) / 1000)) MB as classic gzip; report = the classic report ($records records)"
    hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$OUT/$name-report.json" \
        -n "albmtls report (classic gzip)" "$ALBMTLS report --format json $classic" \
        -n "albmtls report ($delivery)" "$ALBMTLS report --format json $dir" >/dev/null
}

corpus_for() {
    case $1 in
        base) corpus base --files "$FILES" --lines "$LINES" ;;
        single) corpus single --files 48 --lines 50000 --single-file ;;
        members) corpus members --files 48 --lines 50000 --single-file --members 2400 ;;
        fleet) corpus fleet --files 1 --lines 3000000 --fleet ;;
        flat) corpus flat --files 48 --lines 50000 --clients 20000 --subjects 20000 --client-skew 0 ;;
        small) corpus small --files 2000 --lines 1200 ;;
        many) corpus many --files 30000 --lines 40 ;;
    esac
}

echo "== build: $BIN $([ "${PGO:-0}" = 1 ] && echo '(profile-guided)' || echo '(release)')$([ -n "$ISAL_BIN" ] && echo " and $ISAL_BIN (--features isal)"); cores: $(nproc); runs: $RUNS"
[ $HAVE_DUCKDB = 1 ] || echo "DuckDB not installed (pip install duckdb): skipping it"
for shape in "${SHAPES[@]}"; do
    case $shape in
        fleet) corpus_for fleet && local_shape fleet --subjects ;;
        s3-small) s3_shape s3-small small ;;
        s3-large) s3_shape s3-large base ;;
        ndjson) vended_shape ndjson json ;;
        parquet) vended_shape parquet parquet ;;
        *) corpus_for "$shape" && local_shape "$shape" ;;
    esac
done

python3 - "$OUT" "${SHAPES[@]}" <<'PY' | tee "$OUT/summary.txt"
import json, os, sys
out, shapes = sys.argv[1], sys.argv[2:]
def medians(name):
    path = f"{out}/{name}.json"
    if not os.path.exists(path):
        return {}
    return {r["command"]: r["median"] for r in json.load(open(path))["results"]}
def ratio(label, a, b, target):
    if a is not None and b is not None:
        print(f"  {label:44} = {a / b:6.2f}x   ({target})")
print()
for shape in shapes:
    rep, grp = medians(f"{shape}-report"), medians(f"{shape}-grep")
    print(f"{shape}:")
    for table in (rep, grp):
        for cmd, t in table.items():
            print(f"  {cmd:44} {t:8.3f} s")
    if shape in ("ndjson", "parquet"):
        classic = rep.get("albmtls report (classic gzip)")
        if shape == "ndjson":
            ratio("NDJSON per record vs classic", rep.get("albmtls report (json)"), classic, "target <= 2x")
        else:
            ratio("Parquet report vs classic", rep.get("albmtls report (parquet)"), classic, "target: faster, < 1x")
        continue
    if shape.startswith("s3-"):
        local = rep.get("albmtls report (local files)")
        for cmd, t in rep.items():
            if cmd.startswith("albmtls report s3://"):
                ratio(f"{cmd[len('albmtls report '):]} / local", t, local, "target <= 1.3 at the default")
        rss = f"{out}/{shape}-rss.txt"
        if os.path.exists(rss):
            print(f"  peak RSS at the default concurrency          = {int(open(rss).read()) / 1024:6.0f} MB  (target <= 100 MB)")
        continue
    a = rep.get("albmtls report")
    ratio("report / decode-only", a, rep.get("decode-only"), "target <= 1.3; fleet <= 3")
    ratio("duckdb / report", rep.get("duckdb"), a, "target >= 3")
    ratio("report / igzip -d (2 processes)", a, rep.get("igzip -d (2 processes)"), "isal target <= 1.25")
    ratio("decode-only / igzip -d (2 processes)", rep.get("decode-only"), rep.get("igzip -d (2 processes)"), "the floor")
    ratio("report (isal) / igzip -d (2 processes)", rep.get("albmtls report (isal)"), rep.get("igzip -d (2 processes)"), "target <= 1.25")
    ratio("report (isal) / decode-only (isal)", rep.get("albmtls report (isal)"), rep.get("decode-only (isal)"), "target <= 1.3")
    ratio("zcat|awk / grep", grp.get("zcat | awk"), grp.get("albmtls grep"), "target >= 5")
    ratio("rg -z / grep", grp.get("rg -z"), grp.get("albmtls grep"), "target > 1")
    rss = f"{out}/{shape}-rss.txt"
    if os.path.exists(rss):
        limit = "400" if shape == "fleet" else "100"
        print(f"  peak RSS of the report                       = {int(open(rss).read()) / 1024:6.0f} MB  (target <= {limit} MB)")
    if os.path.exists(f"{out}/{shape}-rss10.txt"):
        print(f"  peak RSS, the same files 10 times            = {int(open(f'{out}/{shape}-rss10.txt').read()) / 1024:6.0f} MB  (flat)")
PY
