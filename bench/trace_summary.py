#!/usr/bin/env python3
"""trace_summary.py TRACE BODIES: where the slow answers of a bench_http_load --trace run are.

TRACE holds "connections start_ms latency_ms body" per timed answer; BODIES is the --body-file
(NDJSON check bodies with a "members" list). Per connection count it prints the latency
quantiles by household size (do large households make the tail?) and the mean latency of
250 ms windows (do slow answers come in bursts, when something else takes the cores?).
"""
import collections
import json
import statistics
import sys

WINDOW_MS = 250.0


def quantile(xs, q):
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: trace_summary.py TRACE BODIES")
    members = []
    with open(sys.argv[2]) as f:
        for line in f:
            if line.strip():
                members.append(len(json.loads(line).get("members", [])))
    steps = collections.defaultdict(list)
    with open(sys.argv[1]) as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            if len(parts) != 4:
                sys.exit(f"{sys.argv[1]}:{n}: expected 4 fields, got {len(parts)}")
            steps[int(parts[0])].append((float(parts[1]), float(parts[2]), int(parts[3])))
    for conns in sorted(steps):
        rows = steps[conns]
        lat = sorted(r[1] for r in rows)
        print(f"trace {conns:4d} conns: {len(rows)} answers, p50 {quantile(lat, .5):.1f} ms, "
              f"p99 {quantile(lat, .99):.1f} ms, mean {statistics.mean(lat):.1f} ms")
        by_size = collections.defaultdict(list)
        for _, l, b in rows:
            by_size[members[b] if b < len(members) else -1].append(l)
        for size in sorted(by_size):
            xs = sorted(by_size[size])
            print(f"  {size} member(s): {len(xs):6d} answers, p50 {quantile(xs, .5):7.1f}  "
                  f"p90 {quantile(xs, .9):7.1f}  p99 {quantile(xs, .99):7.1f} ms")
        windows = collections.defaultdict(list)
        for s, l, _ in rows:
            windows[int(s // WINDOW_MS)].append(l)
        means = sorted((statistics.mean(v), k) for k, v in windows.items())
        print(f"  {len(means)} windows of {WINDOW_MS:.0f} ms by start time; their mean latency: "
              f"p10 {means[len(means) // 10][0]:.1f}, p50 {means[len(means) // 2][0]:.1f}, "
              f"p90 {means[9 * len(means) // 10][0]:.1f}, max {means[-1][0]:.1f} ms")
        p95 = quantile(lat, .95)
        worst = {k for _, k in means[-max(1, len(means) // 10):]}
        slow = [s for s, l, _ in rows if l >= p95]
        share = 100 * sum(1 for s in slow if int(s // WINDOW_MS) in worst) / max(1, len(slow))
        print(f"  answers at or above p95 ({p95:.1f} ms): {len(slow)}; {share:.0f} % of them started in "
              f"the slowest 10 % of windows (10 % if slow answers did not bunch)")


if __name__ == "__main__":
    main()
