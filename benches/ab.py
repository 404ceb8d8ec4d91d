#!/usr/bin/env python3
"""Interleaved A/B timing of commands over the same corpus files.

    benches/ab.py [--rounds N] [--corpus DIR] NAME=COMMAND ...

Each round runs every command once, in turn, with the corpus's .log.gz files appended
(sorted). The first round is a warm-up. Prints median and fastest wall time, median user
CPU time, and each median wall time relative to the first command's.

Why not hyperfine: hyperfine runs all of one command's runs before the next command's,
so a machine whose speed drifts during the run (this VM's decode-only time drifted from
285 to 305 ms within one session) skews the comparison. Alternating the commands run by
run puts the drift on all of them alike. Example, comparing two builds against the
decode floor:

    benches/ab.py --rounds 11 decode=target/release/decode-only \\
        old="/tmp/albmtls-old report --format json" new="target/release/albmtls report --format json"
"""
import argparse
import pathlib
import resource
import shlex
import statistics
import subprocess
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--corpus", default="benches/corpus/48x50000", help="directory holding the .log.gz files")
    parser.add_argument("commands", nargs="+", metavar="NAME=COMMAND")
    args = parser.parse_args()
    commands = []
    for spec in args.commands:
        name, sep, command = spec.partition("=")
        if not sep or not command:
            parser.error(f"{spec!r} is not NAME=COMMAND")
        commands.append((name, shlex.split(command)))
    files = sorted(str(p) for p in pathlib.Path(args.corpus).rglob("*.log.gz"))
    if not files:
        parser.error(f"no .log.gz files under {args.corpus} (run benches/compare.sh once to generate the corpus)")
    wall = {name: [] for name, _ in commands}
    user = {name: [] for name, _ in commands}
    for round_number in range(args.rounds + 1):
        for name, command in commands:
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
            started = time.perf_counter()
            subprocess.run(command + files, stdout=subprocess.DEVNULL, check=True)
            elapsed = time.perf_counter() - started
            if round_number > 0:
                wall[name].append(elapsed)
                user[name].append(resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before)
    first = statistics.median(wall[commands[0][0]])
    for name, _ in commands:
        median = statistics.median(wall[name])
        print(
            f"{name:12} wall median {median * 1000:7.1f} ms  fastest {min(wall[name]) * 1000:7.1f} ms"
            f"  user median {statistics.median(user[name]) * 1000:7.1f} ms  {median / first:.3f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
