"""Reads an emulator request log (--log gallery_emulator=debug --log-format json)
and checks what the clients did, from the server's side.

Every request is one "served" event carrying its status and duration, inside
the request span (method, path, request_id). A long-running operation's id is
the request id of the request that started it, and its status monitor is
GET .../capsOperations/{id}: the Azure-AsyncOperation form answers 200 (with
the status in the body), the Location form (?monitor=true) answers 202 while
running and 204 when done. Every client polls again until it reads a terminal
status, so in the default (instant) timing an operation finished at the first
poll exactly when it got at most one 200 status poll and no 202 monitor poll.
A second 200 poll means the first one read InProgress.

Usage: log_check.py LOG [--lro] [--require 'METHOD REGEX' ...]
Prints one line per check; exits 1 when a check fails.
"""

import argparse
import collections
import json
import re
import sys


def served(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                e = json.loads(line)
            except json.JSONDecodeError:
                continue
            if e.get("fields", {}).get("message") != "served":
                continue
            span = e.get("span") or {}
            yield {
                "time": e.get("timestamp", ""),
                "method": span.get("method", "?"),
                "path": span.get("path", "?"),
                "id": (span.get("request_id") or "").lower(),
                "status": int(e["fields"].get("status", 0)),
                "micros": int(e["fields"].get("micros", 0)),
            }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--lro", action="store_true", help="every operation finished at the first poll")
    ap.add_argument("--require", action="append", default=[], metavar="'METHOD REGEX'",
                    help="at least one 2xx request with this method and a path matching REGEX")
    ap.add_argument("--name", default="log")
    args = ap.parse_args()

    requests = list(served(args.log))
    by_id = {r["id"]: r for r in requests}
    failed = False
    statuses = collections.Counter(f"{r['status'] // 100}xx" for r in requests)
    print(f"{args.name}: {len(requests)} requests served ({', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))})")
    if not requests:
        print(f"{args.name}: FAIL the log has no 'served' events (was it started with --log gallery_emulator=debug --log-format json?)")
        return 1

    for spec in args.require:
        method, _, pattern = spec.partition(" ")
        rx = re.compile(pattern)
        hits = [r for r in requests if r["method"] == method and rx.search(r["path"]) and 200 <= r["status"] < 300]
        if hits:
            print(f"{args.name}: ok   {len(hits)} x {method} {pattern} answered 2xx (first: {hits[0]['path']})")
        else:
            failed = True
            print(f"{args.name}: FAIL no 2xx {method} request matching {pattern}")

    if args.lro:
        polls = collections.defaultdict(list)
        for r in requests:
            if r["method"] == "GET" and "/capsoperations/" in r["path"].lower():
                polls[r["path"].rsplit("/", 1)[-1].lower()].append(r)
        late, broken = [], []
        for op, rs in polls.items():
            ok_polls = [r for r in rs if r["status"] == 200]
            running = [r for r in rs if r["status"] == 202]
            errors = [r for r in rs if r["status"] >= 300]
            starter = by_id.get(op)
            what = f"{starter['method']} {starter['path']} -> {starter['status']}" if starter else f"operation {op}"
            seq = " ".join(str(r["status"]) for r in rs)
            if len(ok_polls) > 1 or running:
                late.append(f"{what}: polls answered {seq}")
            if errors:
                broken.append(f"{what}: polls answered {seq}")
        finished = [op for op in polls if not any(r["status"] >= 300 for r in polls[op])]
        starters = collections.Counter(by_id[op]["method"] if op in by_id else "?" for op in finished)
        if not polls:
            failed = True
            print(f"{args.name}: FAIL no operation was polled at all")
        elif late:
            failed = True
            print(f"{args.name}: FAIL {len(late)} of {len(polls)} operations were polled again while InProgress:")
            for line in late:
                print(f"{args.name}:      {line}")
        else:
            print(f"{args.name}: ok   all {len(finished)} long-running operations ({', '.join(f'{k} {v}' for k, v in sorted(starters.items()))}) "
                  f"finished at the client's first poll (one 200 status poll each, no 202)")
        for line in broken:
            print(f"{args.name}: note a status poll was refused (not counted above): {line}")

    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
