#!/usr/bin/env python3
"""Service workers against Python's process pools, in one run, on the same tiny tasks.

    bench/service_bench.py BUILD_DIR [--tasks N] [--rounds R] [--skip-executor] [--skip-slow]
                           [--compare OTHER_BUILD_DIR]

Times f(x) = 2x over N inputs (default 200,000) with 2 workers each:
  multiprocessing.Pool(2).imap_unordered(f, xs, chunksize=1)
  multiprocessing.Pool(2).map(f, xs)                       (default chunking)
  concurrent.futures.ProcessPoolExecutor(2).map(f, xs)
  shoal run -j2 --service shoal-double-worker --service-mode json   (C++, JSON lines; and with -k)
  shoal run -j2 --service 'python3 -u double_worker.py'             (Python, line mode)
  service_floor shoal-double-worker 2   (the protocol's floor: a bare driver, no engine)
and prints tasks/s and Shoal's ratios. Then Shoal's peak memory with 1,000,000 queued tasks.
--skip-slow leaves out the peers that run one task per round trip (imap_unordered with
chunksize=1, the executor, the Python worker): at 3,000,000 tasks they take minutes, and start-up
no longer dominates the others. --compare adds the same Shoal rows for another build (the same
worker program), so that a change is measured before and after in one run.
Pool timings include starting the pool, as Shoal's include starting its workers (and Shoal
itself: it is a separate program). Rounds are interleaved, peer after peer, and each peer's
median round is reported, so that a noisy moment of a shared machine hits every peer alike.
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import Pool

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def f(x):
    return 2 * x


def timed(fn):
    t0 = time.perf_counter()
    count = fn()
    return count, time.perf_counter() - t0


def imap_unordered(xs):
    with Pool(2) as pool:
        return sum(1 for _ in pool.imap_unordered(f, xs, chunksize=1))


def pool_map(xs):
    with Pool(2) as pool:
        return len(pool.map(f, xs))


def executor_map(xs):
    with ProcessPoolExecutor(2) as ex:
        return sum(1 for _ in ex.map(f, xs))


def shoal(build, service_args, inputs_path, expect):
    def run():
        out = subprocess.run([os.path.join(build, "bin", "shoal"), "run", "-j2", "--no-bar"] + service_args
                             + ["::::", inputs_path], stdout=subprocess.PIPE, check=True).stdout
        lines = out.count(b"\n")
        if lines != expect:
            raise SystemExit(f"shoal printed {lines} results, expected {expect}")
        return lines
    return run


def floor(build, worker, inputs_path, expect):
    def run():
        out = subprocess.run([os.path.join(build, "bin", "service_floor"), worker, "2", inputs_path],
                             stdout=subprocess.PIPE, check=True).stdout
        if out.count(b"\n") != expect:
            raise SystemExit("service_floor printed the wrong number of results")
        return expect
    return run


def peak_rss_kib(cmd):
    code = ("import resource, subprocess, sys\n"
            "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    return int(subprocess.run([sys.executable, "-c", code] + cmd, stdout=subprocess.PIPE, check=True).stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=os.path.join(ROOT, "build"))
    ap.add_argument("--tasks", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--skip-executor", action="store_true", help="ProcessPoolExecutor takes about a minute")
    ap.add_argument("--skip-slow", action="store_true", help="only the peers that batch (see above)")
    ap.add_argument("--compare", metavar="BUILD", help="also time this build's shoal")
    ap.add_argument("--skip-memory", action="store_true", help="no peak-RSS measurement")
    args = ap.parse_args()
    n = args.tasks
    xs = range(n)
    worker_cpp = os.path.join(args.build, "bin", "shoal-double-worker")
    worker_py = os.path.join(ROOT, "resources", "examples", "double_worker.py")

    with tempfile.TemporaryDirectory() as tmp:
        inputs = os.path.join(tmp, "inputs.txt")
        with open(inputs, "w") as fh:
            fh.write("".join(f"{i}\n" for i in xs))

        slow = not args.skip_slow
        rows = []
        if slow:
            rows.append(("Pool(2).imap_unordered(chunksize=1)", lambda: imap_unordered(xs)))
        rows.append(("Pool(2).map (default chunks)", lambda: pool_map(xs)))
        if slow and not args.skip_executor:
            rows.append(("ProcessPoolExecutor(2).map", lambda: executor_map(xs)))
        json_args = ["--service", worker_cpp, "--service-mode", "json"]
        rows += [
            ("shoal --service C++ json", shoal(args.build, json_args, inputs, n)),
            ("shoal --service C++ json -k (ordered)", shoal(args.build, ["-k"] + json_args, inputs, n)),
        ]
        if args.compare:
            rows += [
                ("other build: shoal C++ json", shoal(args.compare, json_args, inputs, n)),
                ("other build: shoal C++ json -k", shoal(args.compare, ["-k"] + json_args, inputs, n)),
            ]
        if slow:
            rows.append(("shoal --service python3 line",
                         shoal(args.build, ["--service", f"{sys.executable} -u {worker_py}"], inputs, n)))
        rows.append(("floor: bare driver, C++ json", floor(args.build, worker_cpp, inputs, n)))
        times = {name: [] for name, _ in rows}
        for _ in range(args.rounds):
            for name, fn in rows:
                count, seconds = timed(fn)
                assert count == n, (name, count)
                times[name].append(seconds)
        rates = {}
        print(f"{n} tasks of f(x) = 2x, 2 workers each; median of {args.rounds} interleaved rounds")
        print(f"{'peer':40s} {'tasks/s':>12s} {'seconds':>9s}   rounds (s)")
        for name, _ in rows:
            seconds = statistics.median(times[name])
            rates[name] = n / seconds
            spread = " ".join(f"{t:.3f}" for t in times[name])
            print(f"{name:40s} {rates[name]:12.0f} {seconds:9.3f}   {spread}", flush=True)

        cpp = rates["shoal --service C++ json"]
        pmap = rates["Pool(2).map (default chunks)"]
        ordered = rates["shoal --service C++ json -k (ordered)"]
        bare = rates["floor: bare driver, C++ json"]
        print()
        if slow:
            imap = rates["Pool(2).imap_unordered(chunksize=1)"]
            py = rates["shoal --service python3 line"]
            print(f"shoal C++ / imap_unordered(chunksize=1)   {cpp / imap:7.1f}x   (target >= 10x)")
            print(f"shoal Python / imap_unordered(chunksize=1){py / imap:7.1f}x   (target >= 2x)")
        print(f"shoal C++ / Pool.map default chunks       {cpp / pmap:7.2f}x   (target >= 2x)")
        print(f"shoal C++ -k / Pool.map (both in order)   {ordered / pmap:7.2f}x")
        print(f"floor / Pool.map default chunks           {bare / pmap:7.2f}x   (the most this protocol allows here)")
        print(f"shoal C++ / floor                         {cpp / bare:7.2f}x   (target >= 0.9 at 3,000,000 tasks)")
        if args.compare:
            other = rates["other build: shoal C++ json"]
            other_k = rates["other build: shoal C++ json -k"]
            print(f"this build / other build                  {cpp / other:7.2f}x   (-k: {ordered / other_k:.2f}x)")
        if args.skip_memory:
            return

        # Memory: 1,000,000 queued tasks against 1,000, same program, same input shape.
        big = os.path.join(tmp, "big.txt")
        with open(big, "w") as fh:
            fh.write("".join(f"{i}\n" for i in range(1_000_000)))
        small = os.path.join(tmp, "small.txt")
        with open(small, "w") as fh:
            fh.write("".join(f"{i}\n" for i in range(1_000)))
        base = [os.path.join(args.build, "bin", "shoal"), "run", "-j2", "--no-bar", "--service", worker_cpp,
                "--service-mode", "json", "::::"]
        rss_big = peak_rss_kib(base + [big])
        rss_small = peak_rss_kib(base + [small])
        input_bytes = os.path.getsize(big) / 1_000_000
        per_task = (rss_big - rss_small) * 1024 / 999_000
        print()
        print(f"peak RSS: {rss_big / 1024:.1f} MiB with 1,000,000 tasks, {rss_small / 1024:.1f} MiB with 1,000")
        print(f"          {per_task:.0f} bytes per task in all; the input lines are {input_bytes:.1f} bytes each")
        print(f"          ({per_task - input_bytes:.0f} bytes per task beyond the input text; target < 200)")


if __name__ == "__main__":
    main()
