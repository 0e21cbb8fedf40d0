"""The acceptance test of concurrent definitions, over HTTP.

    python3 seed_concurrency_test.py --url http://127.0.0.1:8080 [--api-key KEY] [--namespace NS]

25 processes define 25 distinct tasks at once (one each). When all are answered, every third
process defines its neighbour's task again, identically (must come back as a repeat, not an
error), and every third, one further, defines its neighbour's task differently (must come back as
Conflict carrying the definition that stands). Then the 25 tasks are read back: each must still be
as first defined. Each run uses a task prefix of its own, so it can run again on the same server.
Exit 0 only when all of that held, else 1.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import sys
import uuid
from typing import Any, Dict, List, Optional

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from orchestrator_client import Conflict, OrchestratorClient, OrchestratorError  # noqa: E402

PROCESSES = 25
BARRIER_TIMEOUT = 60.0


def task_id(prefix: str, i: int) -> str:
    return "%s%02d" % (prefix, i % PROCESSES)


def task_file(i: int) -> str:
    return "tasks/seed-%02d.md" % (i % PROCESSES)


def definer(i: int, url: str, api_key: Optional[str], namespace: str, prefix: str,
            barrier: Any, results: Any) -> None:
    """One process: define task i at the start signal; then repeat or contradict task i+1."""
    client = OrchestratorClient(url, api_key=api_key, namespace=namespace)
    report: Dict[str, Any] = {"index": i, "define": None, "second": None, "kind": None}

    def attempt(tid: str, agent: str, file: str, priority: str) -> str:
        try:
            r = client.define_task(tid, agent=agent, task_file=file, priority=priority, payload={"seed": tid})
            return "created" if r.created else "unchanged"
        except Conflict as e:
            existing = e.existing
            told_apart = existing is not None and existing.task_id == tid and existing.task_file == task_file(int(tid[-2:]))
            return "conflict" if told_apart else "conflict-without-existing"
        except OrchestratorError as e:
            return "error: %s" % e

    try:
        barrier.wait(BARRIER_TIMEOUT)
        report["define"] = attempt(task_id(prefix, i), "seed-agent-%02d" % i, task_file(i), "HIGH")
        barrier.wait(BARRIER_TIMEOUT)
        n = i + 1
        if i % 3 == 0:
            report["kind"] = "repeat"
            report["second"] = attempt(task_id(prefix, n), "seed-agent-%02d" % (n % PROCESSES), task_file(n), "HIGH")
        elif i % 3 == 1:
            report["kind"] = "conflict"
            report["second"] = attempt(task_id(prefix, n), "seed-agent-%02d" % i, "tasks/other-%02d.md" % i, "LOW")
    except Exception as e:  # a broken barrier, anything: reported, never a hang
        report["error"] = "%s: %s" % (type(e).__name__, e)
    results.put(report)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--namespace", default=None, help="default: a fresh one for this run")
    args = parser.parse_args(argv)

    run = uuid.uuid4().hex[:8]
    namespace = args.namespace or "seed-" + run
    prefix = "seed-%s-" % run
    barrier = multiprocessing.Barrier(PROCESSES)
    results: Any = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=definer, args=(i, args.url, args.api_key, namespace, prefix, barrier, results))
                 for i in range(PROCESSES)]
    for p in processes:
        p.start()
    reports: List[Dict[str, Any]] = []
    try:
        for _ in processes:
            reports.append(results.get(timeout=BARRIER_TIMEOUT * 3))
    except queue.Empty:
        pass
    for p in processes:
        p.join(timeout=30)
        if p.is_alive():
            p.terminate()
            p.join()
    results.close()
    results.join_thread()

    defined = sum(1 for r in reports if r["define"] == "created")
    repeats = [r for r in reports if r["kind"] == "repeat"]
    conflicts = [r for r in reports if r["kind"] == "conflict"]
    repeats_ok = sum(1 for r in repeats if r["second"] == "unchanged")
    conflicts_ok = sum(1 for r in conflicts if r["second"] == "conflict")
    problems = ["process %d: %s" % (r["index"], r.get("error") or r["define"] or r["second"])
                for r in reports if r.get("error") or r["define"] != "created"
                or (r["kind"] == "repeat" and r["second"] != "unchanged")
                or (r["kind"] == "conflict" and r["second"] != "conflict")]
    if len(reports) < PROCESSES:
        problems.append("%d of %d processes did not report" % (PROCESSES - len(reports), PROCESSES))

    # What stands must be the first definitions: the conflicts changed nothing.
    intact = 0
    try:
        client = OrchestratorClient(args.url, api_key=args.api_key, namespace=namespace)
        standing = {t.task_id: t for t in client.iter_tasks() if t.task_id.startswith(prefix)}
        for i in range(PROCESSES):
            t = standing.get(task_id(prefix, i))
            if t is not None and t.task_file == task_file(i) and t.priority == "HIGH" and t.agent == "seed-agent-%02d" % i:
                intact += 1
        if len(standing) != PROCESSES:
            problems.append("%d tasks with the prefix stand, not %d" % (len(standing), PROCESSES))
    except OrchestratorError as e:
        problems.append("reading back: %s" % e)

    print("namespace %s, task prefix %s" % (namespace, prefix))
    print("defined %d/%d" % (defined, PROCESSES))
    print("repeats %d/%d succeeded as repeats" % (repeats_ok, len(repeats)))
    print("conflicts %d/%d told apart" % (conflicts_ok, len(conflicts)))
    print("intact %d/%d as first defined" % (intact, PROCESSES))
    for p in problems:
        print("problem: %s" % p)
    ok = (not problems and defined == PROCESSES and repeats_ok == len(repeats) and conflicts_ok == len(conflicts)
          and intact == PROCESSES)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
