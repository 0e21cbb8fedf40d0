"""A worker: claim a task (waiting for one), keep its lease alive while working, complete or fail it.

    python3 worker.py --url http://127.0.0.1:8080 --agent builder [--namespace NS] [--api-key KEY]

The work here only echoes the payload; put yours in ``handle``. A task whose handler raises is
failed with the error as its reason (retried later, or DEAD after its last attempt).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from typing import Any, Callable, Optional

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from orchestrator_client import (Assignment, Conflict, OrchestratorClient, OrchestratorError,  # noqa: E402
                                 Unavailable, duration_seconds)


def work(client: OrchestratorClient, agent: str, handle: Callable[[Assignment], Any], lease: str = "30s",
         wait: str = "20s", stop: Optional[threading.Event] = None, exit_when_idle: bool = False,
         heartbeat_every: Optional[float] = None, on_heartbeat: Optional[Callable[[Assignment], None]] = None,
         log: Callable[[str], None] = print) -> int:
    """Runs until ``stop`` is set (or, with ``exit_when_idle``, until a claim finds nothing);
    returns how many tasks it completed or failed."""
    stop = stop or threading.Event()
    every = heartbeat_every or max(0.5, (duration_seconds(lease) or 30.0) / 3)
    done = 0
    while not stop.is_set():
        try:
            job = client.claim(agent, lease=lease, wait=wait)
        except Unavailable as e:
            log("unavailable, retrying: %s" % e)
            stop.wait(e.retry_after or 1.0)
            continue
        if job is None:
            if exit_when_idle:
                break
            continue
        finished = threading.Event()

        def beat(job: Assignment = job, finished: threading.Event = finished) -> None:
            while not finished.wait(every):
                try:
                    client.heartbeat(job, lease=lease)
                    if on_heartbeat is not None:
                        on_heartbeat(job)
                except OrchestratorError as e:  # lost the claim, or the server is away: the outcome says
                    log("heartbeat of %s failed: %s" % (job.task_id, e))

        heart = threading.Thread(target=beat, name="heartbeat-" + job.task_id, daemon=True)
        heart.start()
        try:
            result = handle(job)
        except Exception as e:  # the task failed, not the worker
            outcome = ("fail", "%s: %s" % (type(e).__name__, e))
        else:
            outcome = ("complete", result)
        finally:
            finished.set()
            heart.join()
        try:
            if outcome[0] == "complete":
                client.complete(job, result=outcome[1])
                log("completed %s" % job.task_id)
            else:
                task = client.fail(job, reason=outcome[1])
                log("failed %s (%s): %s" % (job.task_id, task.status, outcome[1]))
            done += 1
        except Conflict as e:  # the lease ran out and the task went on without us
            log("%s is no longer ours: %s" % (job.task_id, e))
    return done


def echo(job: Assignment) -> Any:
    print("working on %s (%s): payload %r" % (job.task_id, job.task_file, job.payload))
    return {"handled": job.task_id}


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="default $ORCHESTRATOR_URL or http://127.0.0.1:8080")
    parser.add_argument("--api-key", default=None, help="default $ORCHESTRATOR_API_KEY")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--agent", required=True)
    parser.add_argument("--lease", default="30s")
    parser.add_argument("--wait", default="20s")
    parser.add_argument("--exit-when-idle", action="store_true", help="stop when a claim finds nothing")
    args = parser.parse_args(argv)
    client = OrchestratorClient(args.url, api_key=args.api_key, namespace=args.namespace)
    try:
        done = work(client, args.agent, echo, lease=args.lease, wait=args.wait, exit_when_idle=args.exit_when_idle)
    except KeyboardInterrupt:
        return 130
    except OrchestratorError as e:
        print("worker: %s" % e, file=sys.stderr)
        return 1
    print("worker: %d task(s) done" % done)
    return 0


if __name__ == "__main__":
    sys.exit(main())
