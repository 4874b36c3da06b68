#!/usr/bin/env python3
"""Where herald-server's CPU goes: reads `perf script` output (samples with call stacks)
on stdin and prints the share of samples per part of the delivery path; with an argument
(a word of a part's name), also the functions that part's samples were in.

Each sample goes to the first part (in the order below) whose marker appears anywhere in
its stack, so a sample inside SQLite's fsync counts as "durability: fsync", not as
"SQLite statements", and a wake-up the ingest writer makes counts as a wake-up. Used by scripts/profile-server.sh.
"""
import sys
from collections import Counter

# (part, markers): a marker is a substring of a frame's symbol.
PARTS = [
    ("durability: fsync of the WAL", ["fsync", "fdatasync"]),
    ("durability: WAL page writes", ["unixWrite", "pwrite"]),
    ("SQLite: statements (B-trees, JSON, triggers)", ["sqlite3_step", "sqlite3_prepare"]),
    ("password hashing (sign-ins)", ["argon2", "passwords::"]),
    ("thread wake-ups: futex, scheduler", ["futex", "finish_task_switch", "__schedule", "flume::"]),
    ("ingest writer: batch in memory (policy, rows, JSON)", ["herald_server::ingest::"]),
    ("live streams: frames and socket writes", ["http::stream::", "tungstenite"]),
    ("HTTP: hyper, axum, handlers", ["hyper::", "axum::", "herald_server::http::"]),
    ("I/O driver: epoll, timers", ["epoll_wait", "io::driver", "time::Driver", "mio::"]),
    ("allocator", ["malloc", "free", "realloc"]),
]


def main():
    detail = sys.argv[1] if len(sys.argv) > 1 else None
    leaves = Counter()
    counts = Counter()
    total = 0
    stack = []

    def flush():
        nonlocal total
        if not stack:
            return
        total += 1
        joined = "\n".join(stack)
        for part, markers in PARTS:
            if any(m in joined for m in markers):
                counts[part] += 1
                if detail and detail in part:
                    leaves[stack[0].split("+0x")[0]] += 1
                break
        else:
            counts["other"] += 1
        stack.clear()

    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip():
            flush()
        elif line.startswith(("\t", " ")):
            parts = line.strip().split(None, 1)
            if len(parts) == 2:
                stack.append(parts[1])
        else:
            flush()
    flush()
    if total == 0:
        print("no samples")
        return
    print(f"{'part of the path':<55} {'share':>6}")
    for part, _ in PARTS + [("other", [])]:
        if counts[part]:
            print(f"{part:<55} {100 * counts[part] / total:5.1f}%")
    print(f"({total} samples)")
    if detail:
        print(f"\nwhere the samples of the part matching {detail!r} are:")
        for symbol, n in leaves.most_common(25):
            print(f"{100 * n / total:5.1f}%  {symbol[:110]}")


if __name__ == "__main__":
    main()
