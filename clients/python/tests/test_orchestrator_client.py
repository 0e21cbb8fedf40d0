"""The Python client against a real orchestrator (``serve`` started per test class).

Run: ``python3 -m unittest discover -s clients/python/tests -v`` after ``dotnet build``.
"""

from __future__ import annotations

import datetime
import http.server
import importlib.util
import json
import os
import re
import subprocess
import sys
import threading
import time
import unittest
import uuid
from typing import Any, Callable, List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from server_process import CLIENT_DIR, CuttingProxy, ServerProcess, free_port  # noqa: E402

import orchestrator_client as oc  # noqa: E402  (server_process puts it on the path)
from orchestrator_client import (  # noqa: E402
    Assignment, BatchResult, Conflict, Forbidden, NotFound, OrchestratorClient,
    OrchestratorError, Rejected, Task, TaskDefinition, Unauthorized, Unavailable)

EXAMPLES = os.path.join(CLIENT_DIR, "examples")


def load_example(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, name + ".py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def unique(prefix: str) -> str:
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def wait_until(condition: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    """Re-checks a condition on the server (each check a request) until it holds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        pause.wait(0.02)


class Threaded:
    """Runs a call in a thread; ``result()`` joins it (with a timeout) and returns or re-raises."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self._value: Any = None
        self._error: Optional[BaseException] = None

        def run() -> None:
            try:
                self._value = call()
            except BaseException as e:  # handed to the test thread
                self._error = e

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def result(self, timeout: float = 30.0) -> Any:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise AssertionError("the call did not finish within %ss" % timeout)
        if self._error is not None:
            raise self._error
        return self._value


def next_within(stream: oc.EventStream, timeout: float = 20.0) -> oc.Event:
    """The stream's next event; a test fails (never hangs) when it does not come."""
    waiting = Threaded(lambda: next(stream))
    try:
        return waiting.result(timeout)
    except AssertionError:
        stream.close()
        raise AssertionError("no event within %ss" % timeout)


class ServerTestCase(unittest.TestCase):
    """One server for the class, a fresh namespace (``self.client``) for each test."""

    server: ServerProcess
    env: Optional[dict] = None
    config: Optional[str] = None

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = ServerProcess(env=cls.env, config=cls.config)
        cls.addClassCleanup(cls._stop_server)

    @classmethod
    def _stop_server(cls) -> None:
        code = cls.server.stop()
        if code != 0:
            raise AssertionError("serve exited with %s after SIGTERM:\n%s" % (code, cls.server.tail()))


class ClientTests(ServerTestCase):

    def setUp(self) -> None:
        self.ns = unique("py")
        self.client = OrchestratorClient(self.server.url, namespace=self.ns, timeout=15)

    def define(self, task_id: str, agent: str = "a", **kwargs: Any) -> Task:
        return self.client.define_task(task_id, agent=agent, task_file="tasks/%s.md" % task_id, **kwargs).task

    # -- defining ------------------------------------------------------------------------------

    def test_define_is_created_then_an_identical_repeat_then_a_conflict_carrying_the_existing_definition(self) -> None:
        first = self.client.define_task("t1", agent="builder", task_file="tasks/build.md", priority="HIGH",
                                        payload={"target": "linux"})
        self.assertTrue(first.created)
        self.assertEqual(("t1", "builder", "tasks/build.md", "HIGH", "READY"),
                         (first.task.task_id, first.task.agent, first.task.task_file, first.task.priority, first.task.status))
        self.assertIsInstance(first.task.defined_at, datetime.datetime)
        self.assertIsNotNone(first.task.defined_at.tzinfo)

        again = self.client.define_task("t1", agent="builder", task_file="tasks/build.md", priority="HIGH",
                                        payload={"target": "linux"})
        self.assertFalse(again.created)
        self.assertTrue(again.already_defined)
        self.assertEqual(first.task.defined_at, again.task.defined_at)

        with self.assertRaises(Conflict) as caught:
            self.client.define_task("t1", agent="builder", task_file="tasks/other.md")
        e = caught.exception
        self.assertEqual(409, e.status)
        self.assertEqual("t1", e.task_id)
        self.assertIsInstance(e.existing, Task)
        self.assertEqual("tasks/build.md", e.existing.task_file)
        self.assertEqual("HIGH", e.existing.priority)
        self.assertIn("already defined differently", str(e))
        self.assertEqual("tasks/build.md", self.client.get_task("t1").task_file)

    def test_a_definition_with_every_field_is_read_back_with_its_payload(self) -> None:
        self.define("dep")
        task = self.client.define_task("full", agent="*", task_file="tasks/full.md", priority="critical",
                                       depends_on=["dep"], max_attempts=5, payload={"n": [1, 2.5, None, "x"]},
                                       by="tester").task
        self.assertEqual(("PENDING", "CRITICAL", ["dep"], 5, 0), (task.status, task.priority, task.depends_on, task.max_attempts, task.attempts))
        read = self.client.get_task("full")
        self.assertEqual({"n": [1, 2.5, None, "x"]}, read.payload)
        self.assertIsNone(read.result)
        self.assertIsNone(read.claim)

    def test_an_id_with_a_slash_and_other_characters_travels_percent_encoded(self) -> None:
        odd = "dir/sub:task_1.x-y/z"
        self.assertTrue(self.client.define_task(odd, agent="a", task_file="f.md").created)
        self.assertEqual(odd, self.client.get_task(odd).task_id)
        self.assertEqual(odd, self.client.get_history(odd).task_id)
        self.assertEqual("CANCELLED", self.client.cancel(odd, reason="done with it").status)
        self.assertEqual(["task-defined", "task-cancelled"], [e.event for e in self.client.get_history(odd).entries])
        with self.assertRaises(NotFound):
            self.client.get_task("dir")
        with self.assertRaises(Rejected) as caught:
            self.client.define_task("a b", agent="a", task_file="f.md")
        self.assertEqual(("taskId", "a b"), (caught.exception.field, caught.exception.value))

    def test_bad_input_is_rejected_naming_the_field_and_the_value(self) -> None:
        with self.assertRaises(Rejected) as caught:
            self.client.define_task("bad", agent="a", task_file="f.md", priority="urgent")
        e = caught.exception
        self.assertEqual((400, "priority", "urgent"), (e.status, e.field, e.value))
        self.assertIn("urgent", str(e))
        self.assertEqual("priority", e.problem["field"])

        with self.assertRaises(Rejected) as caught:
            self.client.claim("a", lease="soon")
        self.assertEqual(("lease", "soon"), (caught.exception.field, caught.exception.value))

        with self.assertRaises(Rejected) as caught:
            self.client.list_tasks(limit=0)
        self.assertEqual(("limit", "0"), (caught.exception.field, caught.exception.value))

        with self.assertRaises(Rejected) as caught:
            self.client.claim("a", wait="10m")  # over max-claim-wait (5m)
        self.assertEqual("wait", caught.exception.field)

        with self.assertRaises(Rejected) as caught:
            self.client.define_tasks([{"task_id": "x", "agent": "a", "task_file": "f", "colour": "red"}])
        self.assertIn("colour", caught.exception.field or "")
        with self.assertRaises(NotFound):
            self.client.get_task("bad")  # nothing was written

    def test_a_body_over_the_size_limits_is_rejected(self) -> None:
        with self.assertRaises(Rejected) as caught:
            self.client.define_task("big", agent="a", task_file="f.md", payload="x" * (1024 * 1024 + 1))
        self.assertEqual((400, "payload"), (caught.exception.status, caught.exception.field))
        # Over max-request-body-size (16 MiB) the server answers 413 before it has read the body, and
        # closes: the client still reads that answer rather than reporting a broken connection.
        with self.assertRaises(Rejected) as caught:
            self.client.save_state("o", "huge", "x" * (17 * 1024 * 1024))
        self.assertEqual((413, 16 * 1024 * 1024), (caught.exception.status, caught.exception.problem.get("limit")))
        self.assertIn("max-request-body-size", str(caught.exception))
        with self.assertRaises(NotFound):
            self.client.get_state("o", "huge")

    # -- batches -------------------------------------------------------------------------------

    def test_a_batch_answers_one_result_per_definition_in_order(self) -> None:
        self.define("old")
        result = self.client.define_tasks([
            TaskDefinition("b1", "a", "tasks/b1.md", priority="LOW"),
            {"task_id": "b2", "agent": "a", "task_file": "tasks/b2.md", "depends_on": ["b1"]},
            {"taskId": "old", "agent": "a", "taskFile": "tasks/old.md"},
            TaskDefinition("old", "a", "tasks/changed.md"),
            TaskDefinition("b3", "a", "tasks/b3.md", priority="urgent"),
            TaskDefinition("b1", "a", "tasks/b1.md", priority="LOW"),
        ])
        self.assertIsInstance(result, BatchResult)
        self.assertEqual((2, 2, 1, 1), (result.created, result.unchanged, result.conflicts, result.invalid))
        self.assertEqual(["created", "created", "unchanged", "conflict", "invalid", "unchanged"],
                         [r.outcome for r in result.results])
        self.assertEqual(list(range(6)), [r.index for r in result.results])
        self.assertEqual("PENDING", result.results[1].task.status)
        conflict = result.results[3]
        self.assertIsNone(conflict.task)
        self.assertEqual("tasks/old.md", conflict.existing.task_file)
        invalid = result.results[4]
        self.assertEqual(("priority", "urgent"), (invalid.error.field, invalid.error.value))
        self.assertIn("unknown priority", invalid.error.reason)
        self.assertEqual(["old", "b1", "b2"], [t.task_id for t in self.client.iter_tasks()])

        with self.assertRaises(Rejected):
            self.client.define_tasks([])

    # -- reading -------------------------------------------------------------------------------

    def test_list_filters_combine_and_the_iterator_walks_every_page(self) -> None:
        ids = []
        for i in range(7):
            ids.append(self.define("l%d" % i, agent="even" if i % 2 == 0 else "odd",
                                   priority="HIGH" if i < 3 else "LOW").task_id)
        page = self.client.list_tasks(limit=3, offset=3)
        self.assertEqual((7, 3, 3, 6), (page.total, page.offset, page.limit, page.next_offset))
        self.assertIsNone(self.client.list_tasks(limit=3, offset=6).next_offset)
        self.assertEqual(["l3", "l4", "l5"], [t.task_id for t in page.tasks])
        self.assertEqual(["l0", "l2", "l4", "l6"], [t.task_id for t in self.client.list_tasks(agent="even").tasks])
        self.assertEqual(["l0", "l2"], [t.task_id for t in self.client.list_tasks(agent="even", priority="HIGH").tasks])
        self.assertEqual(ids, [t.task_id for t in self.client.iter_tasks(page_size=2)])
        self.assertEqual(["l1", "l3", "l5"], [t.task_id for t in self.client.iter_tasks(agent="odd", page_size=1)])
        self.client.cancel("l6", reason="not needed")
        self.assertEqual(["l6"], [t.task_id for t in self.client.iter_tasks(status="CANCELLED")])
        self.assertEqual(6, self.client.list_tasks(status="READY").total)
        with self.assertRaises(Rejected) as caught:
            self.client.list_tasks(status="SLEEPING")
        self.assertEqual(("status", "SLEEPING"), (caught.exception.field, caught.exception.value))

    def test_agents_are_listed_a_page_at_a_time_by_name_and_every_one_is_read_across_the_pages(self) -> None:
        for agent in ("echo", "alpha", "delta", "bravo", "charlie"):
            self.client.register_agent(agent)
        page = self.client.list_agents(offset=1, limit=2)
        self.assertEqual((["bravo", "charlie"], 5, 1, 2, 3),
                         ([a.agent for a in page.agents], page.total, page.offset, page.limit, page.next_offset))
        self.assertIsNone(self.client.list_agents(offset=4, limit=2).next_offset)
        names = ["alpha", "bravo", "charlie", "delta", "echo"]
        self.assertEqual(names, [a.agent for a in self.client.iter_agents(page_size=2)])
        self.assertEqual(names, [a.agent for a in self.client.agents()])
        for offset, limit, field in ((0, 0, "limit"), (0, 1001, "limit"), (-1, 10, "offset")):
            with self.assertRaises(Rejected) as caught:
                self.client.list_agents(offset=offset, limit=limit)
            self.assertEqual((field, str(limit if field == "limit" else offset)), (caught.exception.field, caught.exception.value))

    def test_an_id_prefix_narrows_the_list_case_sensitively_and_combines_with_the_other_filters(self) -> None:
        for task_id, agent in (("build-1", "a"), ("build-2", "b"), ("build-3", "a"), ("Build-4", "a"),
                               ("test-build-5", "a"), ("build-6", "a")):
            self.define(task_id, agent=agent)
        self.assertEqual(["build-1", "build-2", "build-3", "build-6"],
                         [t.task_id for t in self.client.list_tasks(id_prefix="build-").tasks])
        self.assertEqual(["Build-4"], [t.task_id for t in self.client.list_tasks(id_prefix="Build").tasks])
        self.assertEqual(0, self.client.list_tasks(id_prefix="BUILD").total)

        page = self.client.list_tasks(agent="a", id_prefix="build-", limit=2)
        self.assertEqual(["build-1", "build-3"], [t.task_id for t in page.tasks])
        self.assertEqual(3, page.total, "the total counts every match of the prefix and the agent, not the page")
        self.assertEqual(["build-1", "build-3", "build-6"],
                         [t.task_id for t in self.client.iter_tasks(agent="a", page_size=1, id_prefix="build-")])
        self.client.cancel("build-3", reason="not needed")
        self.assertEqual(["build-1", "build-2", "build-6"],
                         [t.task_id for t in self.client.iter_tasks("READY", id_prefix="build-")])
        self.assertEqual(["build-3"], [t.task_id for t in self.client.list_tasks(status="CANCELLED", id_prefix="build").tasks])
        # The filters before it keep their positions.
        positional = self.client.list_tasks(None, "a", None, 1, 2)
        self.assertEqual((["build-3", "Build-4"], 5), ([t.task_id for t in positional.tasks], positional.total))

        for bad in ("build #", "build 1"):
            with self.assertRaises(Rejected) as caught:
                self.client.list_tasks(id_prefix=bad)
            self.assertEqual((400, "idPrefix", bad), (caught.exception.status, caught.exception.field, caught.exception.value))
        with self.assertRaises(Rejected) as caught:
            list(self.client.iter_tasks(agent="a", id_prefix="#"))
        self.assertEqual("idPrefix", caught.exception.field)

    def test_tags_are_given_at_definition_and_a_list_by_tag_finds_the_tags_tasks(self) -> None:
        self.define("g1", tags=["team:core", "tenant=acme"])
        self.define("g2", agent="b", tags=["team:core"])
        self.define("g3")
        self.client.define_tasks([{"task_id": "g4", "agent": "a", "task_file": "f", "tags": ["tenant=acme"]}])
        self.assertEqual(["team:core", "tenant=acme"], self.client.get_task("g1").tags)
        self.assertEqual([], self.client.get_task("g3").tags)

        page = self.client.list_tasks(tag="team:core")
        self.assertEqual((["g1", "g2"], 2), ([t.task_id for t in page.tasks], page.total))
        self.assertEqual(["g1", "g4"], [t.task_id for t in self.client.iter_tasks(tag="tenant=acme", page_size=1)])
        self.assertEqual(["g2"], [t.task_id for t in self.client.iter_tasks(agent="b", tag="team:core")])

        with self.assertRaises(Rejected) as caught:
            self.client.define_task("g5", agent="a", task_file="f", tags=["two words"])
        self.assertEqual(("tags", "two words"), (caught.exception.field, caught.exception.value))
        with self.assertRaises(TypeError):
            self.client.define_task("g6", agent="a", task_file="f", tags="team:core")

    def test_a_task_scheduled_for_later_is_pending_with_its_time_and_not_claimed(self) -> None:
        at = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + datetime.timedelta(hours=1)
        task = self.define("s1", agent="sched", not_before=at)
        self.assertEqual(("PENDING", at), (task.status, task.not_before))
        self.assertIsNone(self.client.claim("sched"))
        self.assertEqual(at, self.client.get_task("s1").not_before)
        self.assertIsNone(self.define("s2", agent="sched").not_before)
        self.assertEqual("PENDING", self.define("s3", agent="sched", not_before="2099-01-01T00:00:00Z").status)
        with self.assertRaises(ValueError):
            self.define("s4", agent="sched", not_before=datetime.datetime(2099, 1, 1))

    def test_unknown_tasks_are_not_found(self) -> None:
        for call in (lambda: self.client.get_task("nope"), lambda: self.client.get_history("nope"),
                     lambda: self.client.heartbeat("nope", agent="a", claim_id="claim-1"),
                     lambda: self.client.complete("nope", agent="a", claim_id="claim-1"),
                     lambda: self.client.fail("nope", reason="r", agent="a", claim_id="claim-1"), lambda: self.client.cancel("nope", reason="r"),
                     lambda: self.client.requeue("nope")):
            with self.assertRaises(NotFound) as caught:
                call()
            self.assertEqual((404, "nope"), (caught.exception.status, caught.exception.task_id))

    def test_a_claim_message_by_task_id_needs_the_claim_id_and_sends_nothing_without_it(self) -> None:
        for call in (lambda: self.client.heartbeat("t", agent="a"), lambda: self.client.complete("t", agent="a"),
                     lambda: self.client.fail("t", reason="r", agent="a")):
            with self.assertRaises(ValueError) as caught:
                call()
            self.assertIn("claim_id is required", str(caught.exception))

    def test_namespaces_are_apart(self) -> None:
        self.define("mine")
        other = self.client.for_namespace(unique("py-other"))
        self.assertNotEqual(self.client.namespace, other.namespace)
        self.assertEqual(self.client.url, other.url)
        with self.assertRaises(NotFound):
            other.get_task("mine")
        self.assertEqual(0, other.stats().tasks)
        with self.assertRaises(Rejected) as caught:
            self.client.for_namespace("no spaces").stats()
        self.assertEqual("namespace", caught.exception.field)

    # -- claims and the lifecycle --------------------------------------------------------------

    def test_claim_returns_the_assignment_with_its_lease_and_payload(self) -> None:
        self.define("c1", agent="w", payload={"job": 1})
        job = self.client.claim("w", lease="45s")
        self.assertIsInstance(job, Assignment)
        self.assertEqual(("c1", "CLAIMED", 1, {"job": 1}), (job.task_id, job.status, job.attempts, job.payload))
        self.assertTrue(job.claim_id)
        # The claimer has the whole claim id; the task, which anyone may read, shows its public part.
        self.assertTrue(job.claim_id.startswith(job.claim.claim_id + "-"), (job.claim_id, job.claim.claim_id))
        self.assertEqual("w", job.claim_agent)
        self.assertEqual(datetime.timedelta(seconds=45), job.claim.lease_duration)
        self.assertEqual(job.claim.lease_until, job.lease_until)
        self.assertIsNone(self.client.claim("w"), "nothing else is READY")

        self.define("c2", agent="w")
        self.define("c3", agent="w")
        self.assertEqual(datetime.timedelta(seconds=90), self.client.claim("w", lease=datetime.timedelta(minutes=1.5)).claim.lease_duration)
        self.assertEqual(datetime.timedelta(seconds=2.5), self.client.claim("w", lease=2.5).claim.lease_duration)

    def test_a_claim_that_waits_returns_none_when_nothing_becomes_ready(self) -> None:
        started = time.monotonic()
        self.assertIsNone(self.client.claim("idle", wait="1s"))
        self.assertGreaterEqual(time.monotonic() - started, 0.9, "the server held the request for the wait")

    def test_a_waiting_claim_is_woken_by_a_definition_from_another_thread(self) -> None:
        agent = unique("waiter")

        def define_once_the_claim_waits() -> None:
            # The claim's first try, finding nothing, makes the agent known: it is then waiting.
            wait_until(lambda: any(a.agent == agent for a in self.client.agents()), what="the claim to wait")
            self.client.define_task("wake", agent=agent, task_file="f.md", payload="go")

        definer = Threaded(define_once_the_claim_waits)
        started = time.monotonic()
        job = self.client.claim(agent, wait="30s")
        elapsed = time.monotonic() - started
        definer.result()
        self.assertIsNotNone(job)
        self.assertEqual(("wake", "go"), (job.task_id, job.payload))
        self.assertLess(elapsed, 20, "woken by the definition, not by the end of the wait")

    def test_heartbeat_renews_the_lease_and_complete_stores_the_result(self) -> None:
        self.define("h1", agent="w")
        job = self.client.claim("w", lease="10s")
        renewed = self.client.heartbeat(job, lease="1m")
        self.assertEqual(("h1", job.claim_id), (renewed.task_id, renewed.claim_id))
        self.assertGreater(renewed.lease_until, job.lease_until)
        by_id = self.client.heartbeat("h1", agent="w", claim_id=job.claim_id)
        self.assertEqual(job.claim_id, by_id.claim_id)

        done = self.client.complete(job, result={"artifacts": ["a.tgz"]})
        self.assertEqual(("COMPLETED", None), (done.status, done.claim))
        self.assertEqual({"artifacts": ["a.tgz"]}, self.client.get_task("h1").result)
        events = [e.event for e in self.client.get_history("h1").entries]
        self.assertEqual(["task-defined", "task-claimed", "task-completed"], events)  # renewals are not transitions
        history = self.client.get_history("h1")
        self.assertEqual((None, "READY"), (history.entries[0].from_status, history.entries[0].to_status))
        self.assertEqual(("CLAIMED", "COMPLETED"), (history.entries[-1].from_status, history.entries[-1].to_status))
        self.assertEqual(0, history.dropped)

        with self.assertRaises(Conflict) as caught:
            self.client.complete(job)
        self.assertEqual(409, caught.exception.status)
        self.assertEqual("COMPLETED", caught.exception.task_status)

    def test_a_stale_claim_is_a_conflict_naming_the_claim(self) -> None:
        self.define("s1", agent="w")
        job = self.client.claim("w")
        for call in (lambda: self.client.complete("s1", agent="w", claim_id="claim-999999"),
                     lambda: self.client.heartbeat("s1", agent="w", claim_id="claim-999999"),
                     lambda: self.client.fail("s1", reason="x", agent="w", claim_id="claim-999999")):
            with self.assertRaises(Conflict) as caught:
                call()
            e = caught.exception
            self.assertEqual((409, "Stale claim", "claim-999999", "CLAIMED"), (e.status, e.title, e.claim_id, e.task_status))
        self.assertEqual("CLAIMED", self.client.get_task("s1").status)
        self.assertTrue(job.claim_id.startswith(self.client.get_task("s1").claim.claim_id + "-"))

    def test_fail_retries_then_dies_and_requeue_brings_it_back(self) -> None:
        self.define("f1", agent="w", max_attempts=3)
        failed = self.client.fail(self.client.claim("w"), reason="flaky disk")
        self.assertEqual(("FAILED", "flaky disk"), (failed.status, failed.reason))
        self.assertIsInstance(failed.retry_at, datetime.datetime)

        self.define("f2", agent="once", max_attempts=1)
        dead = self.client.fail(self.client.claim("once"), reason="broken")
        self.assertEqual("DEAD", dead.status)
        with self.assertRaises(Conflict) as caught:
            self.client.cancel("f2", reason="too late")
        self.assertEqual(("DEAD", "cancel"), (caught.exception.task_status, caught.exception.action))

        back = self.client.requeue("f2", by="operator")
        self.assertEqual(("READY", 0), (back.status, back.attempts))
        self.assertEqual("operator", self.client.get_history("f2").entries[-1].by)
        with self.assertRaises(Conflict) as caught:
            self.client.requeue("f2")
        self.assertEqual(("READY", "requeue"), (caught.exception.task_status, caught.exception.action))
        dead_again = self.client.fail(self.client.claim("once"), reason="still broken")
        self.assertEqual("DEAD", dead_again.status)
        self.assertEqual("READY", self.client.requeue("f2").status)

    def test_changes_sent_again_under_their_idempotency_key_are_done_once_and_answered_as_the_first_time(self) -> None:
        self.define("k1", agent="w")
        self.define("k2", agent="w")
        key = str(uuid.uuid4())
        first = self.client.claim("w", idempotency_key=key)
        again = self.client.claim("w", idempotency_key=key)
        self.assertEqual(("k1", first.claim_id), (again.task_id, again.claim_id))
        self.assertEqual("READY", self.client.get_task("k2").status, "the repeat claimed nothing more")

        saved = self.client.save_state("w", "notes", {"n": 1}, idempotency_key="save-" + key)
        self.assertEqual((1, 1), (saved.version, self.client.save_state("w", "notes", {"n": 1}, idempotency_key="save-" + key).version))
        self.assertEqual(1, self.client.get_state("w", "notes").version)

        done = self.client.complete(first, result={"ok": True}, idempotency_key="done-" + key)
        self.assertEqual("COMPLETED", self.client.complete(first, result={"ok": True}, idempotency_key="done-" + key).status)
        self.assertEqual("COMPLETED", done.status)

        # The key on another request is a 422 conflict, naming the key and when it was used
        with self.assertRaises(Conflict) as reused:
            self.client.claim("someone-else", idempotency_key=key)
        self.assertEqual((422, key), (reused.exception.status, reused.exception.idempotency_key))
        self.assertIsInstance(reused.exception.used_at, datetime.datetime)
        self.assertLessEqual(reused.exception.used_at, datetime.datetime.now(datetime.timezone.utc))
        self.assertEqual("READY", self.client.get_task("k2").status, "the refused claim claimed nothing")
        with self.assertRaises(Rejected) as caught:
            self.client.cancel("k2", reason="no", idempotency_key="has space")
        self.assertEqual(("Idempotency-Key", "has space"), (caught.exception.field, caught.exception.value))
        with self.assertRaises(TypeError):
            self.client.requeue("k2", idempotency_key=42)  # type: ignore[arg-type]

    def test_a_task_waits_for_input_and_its_next_claim_carries_the_question_and_the_answer(self) -> None:
        self.define("w1", agent="asker")
        job = self.client.claim("asker")
        waiting = self.client.request_input(job, "Which region?", answer_within="1h")
        self.assertEqual(("WAITING", "Which region?"), (waiting.status, waiting.question))
        self.assertIsInstance(waiting.answer_by, datetime.datetime)
        self.assertIsNone(self.client.claim("asker"))
        with self.assertRaises(Conflict):
            self.client.complete(job)

        ready = self.client.provide_input("w1", {"region": "eu-west"}, by="alice")
        self.assertEqual("READY", ready.status)
        again = self.client.claim("asker")
        self.assertEqual(({"region": "eu-west"}, "Which region?"), (again.input, again.question))
        self.assertEqual({"region": "eu-west"}, self.client.get_task("w1").input)
        with self.assertRaises(Conflict) as caught:
            self.client.provide_input("w1", {"again": True})
        self.assertEqual(("CLAIMED", "provide input"), (caught.exception.task_status, caught.exception.action))

    def test_bulk_cancel_and_requeue_by_tag_take_every_match_a_limit_at_a_time(self) -> None:
        for i in range(3):
            self.define("b%d" % i, agent="bulk", tags=["wave:1"], max_attempts=1)
        self.define("keep", agent="bulk", tags=["wave:2"], max_attempts=1)
        first = self.client.cancel_tasks("called off", tag="wave:1", by="ops", limit=2)
        self.assertEqual((2, ["b0", "b1"], True), (first.count, first.task_ids, first.more))
        rest = self.client.cancel_tasks("called off", tag="wave:1")
        self.assertEqual((1, False), (rest.count, rest.more))
        self.assertEqual(["CANCELLED"] * 3 + ["READY"], [self.client.get_task(t).status for t in ("b0", "b1", "b2", "keep")])

        self.client.fail(self.client.claim("bulk"), reason="broken")
        requeued = self.client.requeue_tasks(tag="wave:2")
        self.assertEqual((1, ["keep"]), (requeued.count, requeued.task_ids))
        with self.assertRaises(Rejected) as caught:
            self.client.cancel_tasks("x", status="nope")
        self.assertEqual(("status", "nope"), (caught.exception.field, caught.exception.value))

    def test_claim_limits_hold_a_tag_back_and_show_in_the_stats(self) -> None:
        self.define("l1", agent="lim", tags=["tenant=a"])
        self.define("l2", agent="lim", tags=["tenant=a"])
        self.define("l3", agent="lim", tags=["tenant=b"])
        limits = self.client.set_claim_limits(max_claims_per_tag={"tenant=a": 1}, by="ops")
        self.assertEqual(({"tenant=a": 1}, None), (limits.max_claims_per_tag, limits.max_claims))
        self.assertEqual(["l1", "l3"], [self.client.claim("lim").task_id, self.client.claim("lim").task_id])
        self.assertIsNone(self.client.claim("lim"))
        self.assertEqual({"tenant=a": 1}, self.client.stats().claim_limits.max_claims_per_tag)
        self.assertIsNone(self.client.set_claim_limits().max_claims)
        self.assertEqual("l2", self.client.claim("lim").task_id)
        with self.assertRaises(Rejected) as caught:
            self.client.set_claim_limits(max_claims=-1)
        self.assertEqual("maxClaims", caught.exception.field)

    def test_a_rate_limit_spaces_a_tags_claims_and_a_waiting_claim_gets_the_next_when_the_rate_allows(self) -> None:
        self.define("r1", agent="rated", tags=["model=slow"])
        self.define("r2", agent="rated", tags=["model=slow"])
        limits = self.client.set_claim_limits(max_claims_per_second_per_tag={"model=slow": 2})
        self.assertEqual({"model=slow": 2.0}, limits.max_claims_per_second_per_tag)
        self.assertEqual({"model=slow": 2.0}, self.client.stats().claim_limits.max_claims_per_second_per_tag)
        # A burst of two, then one each 500 ms: take the burst's second place so that r2 waits on the spacing.
        self.define("r0", agent="rated", tags=["model=slow"], priority="HIGH")
        self.assertEqual(["r0", "r1"], [self.client.claim("rated").task_id, self.client.claim("rated").task_id])
        self.assertIsNone(self.client.claim("rated"))
        # No task becomes READY meanwhile: the wait ends because the rate lets the claim through.
        self.assertEqual("r2", self.client.claim("rated", wait="10s").task_id)
        with self.assertRaises(Rejected) as caught:
            self.client.set_claim_limits(max_claims_per_second_per_tag={"model=slow": -1})
        self.assertEqual("maxClaimsPerSecondPerTag[model=slow]", caught.exception.field)
        self.client.set_claim_limits()

    def test_fairness_rotates_claims_across_the_groups_of_a_tag_prefix(self) -> None:
        for task_id, tenant in [("f-a1", "a"), ("f-a2", "a"), ("f-a3", "a"), ("f-b1", "b")]:
            self.define(task_id, agent="fair", tags=["tenant=" + tenant])
        limits = self.client.set_claim_limits(fair_by="tenant=")
        self.assertEqual("tenant=", limits.fair_by)
        self.assertEqual("tenant=", self.client.stats().claim_limits.fair_by)
        self.assertEqual(["f-a1", "f-b1", "f-a2"], [self.client.claim("fair").task_id for _ in range(3)])
        with self.assertRaises(Rejected) as caught:
            self.client.set_claim_limits(fair_by="tenant id")
        self.assertEqual("fairBy", caught.exception.field)

    def test_purge_removes_only_the_finished_tasks_the_filters_match_and_the_stats_count_them(self) -> None:
        self.define("p-done", agent="pw", tags=["batch:p"])
        self.define("p-dead", agent="pw", tags=["batch:p"], max_attempts=1)
        self.define("p-cancelled", agent="pw", tags=["batch:p"])
        self.define("p-ready", agent="idle", tags=["batch:p"])
        self.define("p-other", agent="pw", tags=["batch:q"])
        self.define("p-parent", agent="pw", tags=["batch:p"])
        self.define("p-child", agent="idle", tags=["batch:q"], depends_on=["p-parent"])
        self.client.cancel("p-cancelled", reason="not needed")
        self.client.cancel("p-other", reason="not needed")
        done = self.client.complete(self.client.claim("pw"))
        dead = self.client.fail(self.client.claim("pw"), reason="broken")
        parent = self.client.complete(self.client.claim("pw"))
        self.assertEqual([("p-done", "COMPLETED"), ("p-dead", "DEAD"), ("p-parent", "COMPLETED")],
                         [(t.task_id, t.status) for t in (done, dead, parent)])

        recent = self.client.purge_tasks(tag="batch:p", finished_for=datetime.timedelta(hours=1))
        self.assertEqual((0, [], False), (recent.count, recent.task_ids, recent.more), "none finished an hour ago")
        purged = self.client.purge_tasks(tag="batch:p", by="ops")
        self.assertIsInstance(purged, oc.TasksChanged)
        self.assertEqual((3, {"p-done", "p-dead", "p-cancelled"}, False), (purged.count, set(purged.task_ids), purged.more))
        with self.assertRaises(NotFound) as caught:
            self.client.get_task("p-done")
        self.assertEqual("p-done", caught.exception.task_id)
        self.assertEqual("COMPLETED", self.client.get_task("p-parent").status, "a kept task depends on it")
        self.assertEqual("CANCELLED", self.client.get_task("p-other").status, "another tag")
        self.assertEqual("READY", self.client.get_task("p-ready").status, "not finished")
        stats = self.client.stats()
        self.assertEqual((3, 4, None), (stats.purged, stats.tasks, stats.retention))

        limited = self.client.purge_tasks(status="CANCELLED", limit=1)
        self.assertEqual((1, ["p-other"], False), (limited.count, limited.task_ids, limited.more))
        self.assertEqual(4, self.client.stats().purged)
        with self.assertRaises(Rejected) as caught:
            self.client.purge_tasks(status="READY")
        self.assertEqual(("status", "READY"), (caught.exception.field, caught.exception.value))
        with self.assertRaises(Rejected) as caught:
            self.client.purge_tasks(finished_for="soon")
        self.assertEqual(("finishedFor", "soon"), (caught.exception.field, caught.exception.value))

    def test_retention_is_set_shown_in_the_stats_and_cleared(self) -> None:
        self.assertIsNone(self.client.stats().retention)
        self.assertEqual(datetime.timedelta(days=30), self.client.set_retention("30d", by="ops"))
        self.assertEqual(datetime.timedelta(days=30), self.client.stats().retention)
        self.assertEqual(datetime.timedelta(hours=12), self.client.set_retention(datetime.timedelta(hours=12)))
        self.assertEqual(datetime.timedelta(hours=12), self.client.stats().retention)
        self.assertIsNone(self.client.set_retention(None))
        self.assertIsNone(self.client.stats().retention)
        for bad in ("soon", "30s", "400d"):
            with self.assertRaises(Rejected) as caught:
                self.client.set_retention(bad)
            self.assertEqual("finishedFor", caught.exception.field, bad)
        self.assertIsNone(self.client.stats().retention)

    def test_cancel_ends_an_unfinished_task_and_kills_its_dependants(self) -> None:
        self.define("parent")
        self.define("child", depends_on=["parent"])
        cancelled = self.client.cancel("parent", reason="plans changed", by="me")
        self.assertEqual(("CANCELLED", "plans changed"), (cancelled.status, cancelled.reason))
        self.assertEqual("DEAD", self.client.get_task("child").status)
        self.assertEqual("me", self.client.get_history("parent").entries[-1].by)
        again = self.client.cancel("parent", reason="again")  # idempotent: nothing changes
        self.assertEqual(("CANCELLED", "plans changed"), (again.status, again.reason))
        self.define("finished", agent="w")
        self.client.complete(self.client.claim("w"))
        with self.assertRaises(Conflict) as caught:
            self.client.cancel("finished", reason="too late")
        self.assertEqual(("COMPLETED", "cancel"), (caught.exception.task_status, caught.exception.action))

    # -- schedules -----------------------------------------------------------------------------

    def test_an_interval_schedule_defines_a_task_per_occurrence_until_it_is_removed(self) -> None:
        def define(every: Any) -> oc.ScheduleDefined:
            return self.client.define_schedule("poll", agent="poller", task_file="tasks/poll.md", every=every,
                                               priority="HIGH", payload={"feed": "news"}, tags=["team:ops"], by="ops")
        first = define(datetime.timedelta(seconds=1))
        schedule = first.schedule
        self.assertFalse(first.unchanged)
        self.assertEqual(("poll", "poller", "tasks/poll.md", "HIGH", datetime.timedelta(seconds=1), None, None, "one",
                          {"feed": "news"}, ["team:ops"], "ops"),
                         (schedule.schedule_id, schedule.agent, schedule.task_file, schedule.priority, schedule.every,
                          schedule.cron, schedule.time_zone, schedule.catch_up, schedule.payload, schedule.tags, schedule.by))
        self.assertIsNotNone(schedule.next_at.tzinfo)
        self.assertGreater(schedule.next_at, schedule.defined_at)

        wait_until(lambda: self.client.list_tasks(id_prefix="poll:").total > 0, what="the schedule's first task")
        task = self.client.get_task(self.client.list_tasks(id_prefix="poll:", limit=1).tasks[0].task_id)
        self.assertRegex(task.task_id, r"^poll:\d{8}T\d{6}Z$")
        at = datetime.datetime.strptime(task.task_id[len("poll:"):], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        self.assertLessEqual(schedule.defined_at.replace(microsecond=0), at)
        self.assertEqual(("poller", "tasks/poll.md", "HIGH", {"feed": "news"}, ["team:ops"]),
                         (task.agent, task.task_file, task.priority, task.payload, task.tags))
        self.assertEqual("READY", task.status)
        self.assertEqual("schedule:poll", self.client.get_history(task.task_id).entries[0].by)
        self.assertIn(task.task_id, [t.task_id for t in self.client.iter_tasks(tag="team:ops")])

        again = define("1s")  # the same interval written another way
        self.assertTrue(again.unchanged)
        self.assertEqual(schedule.defined_at, again.schedule.defined_at)

        listed = self.client.schedules()
        self.assertEqual(["poll"], [s.schedule_id for s in listed])
        self.assertGreaterEqual(listed[0].occurrences, 1)
        self.assertIsNotNone(listed[0].last_occurrence)
        page = self.client.list_schedules(offset=0, limit=1)
        self.assertEqual((1, 0, 1, None), (page.total, page.offset, page.limit, page.next_offset))

        self.assertIsNone(self.client.remove_schedule("poll", by="ops"))
        self.assertEqual([], self.client.schedules())
        self.assertGreater(self.client.list_tasks(id_prefix="poll:").total, 0, "the tasks it defined stay")
        with self.assertRaises(NotFound) as caught:
            self.client.remove_schedule("poll")
        self.assertEqual((404, "poll"), (caught.exception.status, caught.exception.schedule_id))

    def test_cron_schedules_are_listed_by_id_and_bad_input_is_rejected_naming_the_field(self) -> None:
        for schedule_id in ("nightly-c", "nightly-a", "nightly-b"):
            defined = self.client.define_schedule(schedule_id, agent="reporter", task_file="tasks/report.md",
                                                  cron="0 3 * * *", catch_up="none")
            self.assertEqual(("0 3 * * *", None, None, "none", 0), (defined.schedule.cron, defined.schedule.every,
                             defined.schedule.start, defined.schedule.catch_up, defined.schedule.occurrences))
            self.assertGreater(defined.schedule.next_at, datetime.datetime.now(datetime.timezone.utc))
        self.assertEqual(["nightly-a", "nightly-b", "nightly-c"], [s.schedule_id for s in self.client.iter_schedules(page_size=2)])
        self.assertEqual(2, self.client.list_schedules(offset=0, limit=2).next_offset)

        start = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + datetime.timedelta(hours=1)
        later = self.client.define_schedule("later", agent="a", task_file="f", every="2h", start=start).schedule
        self.assertEqual((datetime.timedelta(hours=2), start, start), (later.every, later.start, later.next_at))

        for kwargs, field, value in (({"cron": "not a cron"}, "cron", "not a cron"),
                                     ({"cron": "0 3 * * *", "catch_up": "sometimes"}, "catchUp", "sometimes"),
                                     ({"every": "soon"}, "every", "soon"),
                                     ({"cron": "0 3 * * *", "time_zone": "Mars/Olympus"}, "timeZone", "Mars/Olympus")):
            with self.assertRaises(Rejected) as caught:
                self.client.define_schedule("bad", agent="a", task_file="f", **kwargs)
            self.assertEqual((400, field, value), (caught.exception.status, caught.exception.field, caught.exception.value))
        with self.assertRaises(ValueError):
            self.client.define_schedule("bad", agent="a", task_file="f", every="1h", start=datetime.datetime(2099, 1, 1))
        with self.assertRaises(TypeError):
            self.client.define_schedule("bad", agent="a", task_file="f", every="1h", tags="team:ops")
        self.assertEqual(4, self.client.list_schedules().total)

    # -- state ---------------------------------------------------------------------------------

    def test_state_versions_are_entity_tags_and_a_wrong_one_is_a_conflict(self) -> None:
        created = self.client.save_state("agent/7", "notes", {"step": 1}, only_if_absent=True)
        self.assertEqual(("agent/7", "notes", 1, True), (created.owner_id, created.key, created.version, created.created))
        with self.assertRaises(Conflict) as caught:
            self.client.save_state("agent/7", "notes", {"step": 99}, only_if_absent=True)
        self.assertEqual((412, 0, 1), (caught.exception.status, caught.exception.expected_version, caught.exception.current_version))

        second = self.client.save_state("agent/7", "notes", {"step": 2}, expected_version=1)
        self.assertEqual((2, False), (second.version, second.created))
        with self.assertRaises(Conflict) as caught:
            self.client.save_state("agent/7", "notes", {"step": 3}, expected_version=1)
        self.assertEqual((1, 2), (caught.exception.expected_version, caught.exception.current_version))
        self.assertEqual(3, self.client.save_state("agent/7", "notes", [1, "two", None]).version)

        doc = self.client.get_state("agent/7", "notes")
        self.assertEqual(("agent/7", "notes", 3, [1, "two", None]), (doc.owner_id, doc.key, doc.version, doc.value))
        self.assertIsInstance(doc.saved_at, datetime.datetime)
        self.assertEqual(1, self.client.save_state("agent/7", "scalar", "just text").version)
        self.assertEqual("just text", self.client.get_state("agent/7", "scalar").value)

        with self.assertRaises(NotFound) as caught:
            self.client.get_state("agent/7", "missing")
        self.assertEqual(("agent/7", "missing"), (caught.exception.problem["ownerId"], caught.exception.problem["key"]))
        with self.assertRaises(ValueError):
            self.client.save_state("o", "k", 1, expected_version=1, only_if_absent=True)
        self.assertEqual(2, self.client.stats().state_documents)

    # -- information ---------------------------------------------------------------------------

    def test_stats_agents_and_the_cluster(self) -> None:
        self.define("i1", agent="w", priority="HIGH")
        self.define("i2", agent="w", priority="LOW")
        self.client.claim("w")
        registered = self.client.register_agent("reviewer", capabilities=["python", "dotnet"])
        self.assertEqual(("reviewer", ["python", "dotnet"], True), (registered.agent, registered.capabilities, registered.registered))
        self.assertIsInstance(registered.registered_at, datetime.datetime)

        agents = {a.agent: a for a in self.client.agents()}
        self.assertEqual({"reviewer", "w"}, set(agents))
        self.assertEqual((False, 1), (agents["w"].registered, agents["w"].claims_held))

        stats = self.client.stats()
        self.assertEqual((self.ns, 2, 2), (stats.namespace, stats.tasks, stats.agents))
        self.assertEqual((1, 1), (stats.by_status["READY"], stats.by_status["CLAIMED"]))
        self.assertEqual((1, 1, 0), (stats.by_priority["HIGH"], stats.by_priority["LOW"], stats.by_priority["CRITICAL"]))
        self.assertGreaterEqual(stats.events_journaled, 4)
        self.assertIsInstance(stats.oldest_ready_age, datetime.timedelta)

        cluster = self.client.cluster_status()
        self.assertFalse(cluster.clustered)
        self.assertTrue(cluster.self_address.startswith("akka.tcp://"))
        self.assertEqual([cluster.self_address], [m.address for m in cluster.members])
        self.assertEqual("Up", cluster.members[0].status)
        mine = [n for n in cluster.namespaces if n.namespace == self.ns]
        self.assertEqual(1, len(mine))
        self.assertEqual(2, mine[0].tasks)

        with self.assertRaises(Rejected) as caught:
            self.client.register_agent("")
        self.assertEqual("agent", caught.exception.field)

    def test_an_agent_counts_the_claims_it_completed_failed_and_let_expire(self) -> None:
        agent = unique("counted")
        registered = self.client.register_agent(agent)
        self.assertEqual((0, 0, 0), (registered.completed, registered.failed, registered.leases_expired))
        self.define("done", agent=agent)
        self.define("broken", agent=agent)
        self.client.complete(self.client.claim(agent))
        self.client.fail(self.client.claim(agent), reason="flaky")

        counted = {a.agent: a for a in self.client.agents()}[agent]
        self.assertEqual((1, 1, 0, 0), (counted.completed, counted.failed, counted.leases_expired, counted.claims_held))
        again = self.client.register_agent(agent, capabilities=["python"])
        self.assertEqual((1, 1, 0), (again.completed, again.failed, again.leases_expired), "registering again keeps the counts")

        self.define("abandoned", agent=agent)
        self.assertEqual("abandoned", self.client.claim(agent, lease="1s").task_id)
        wait_until(lambda: {a.agent: a for a in self.client.agents()}[agent].leases_expired == 1, what="the lease to expire")
        counted = {a.agent: a for a in self.client.agents()}[agent]
        self.assertEqual((1, 1, 1, 0), (counted.completed, counted.failed, counted.leases_expired, counted.claims_held))

    def test_activity_sums_what_the_journal_confirmed_over_the_last_hour(self) -> None:
        before = datetime.datetime.now(datetime.timezone.utc)
        defined = 4
        for i in range(defined):
            self.define("a%d" % i, agent="w")
        self.client.complete(self.client.claim("w"))

        activity = self.client.activity(step_seconds=10)
        self.assertIsInstance(activity, oc.Activity)
        self.assertEqual((self.ns, 10), (activity.namespace, activity.step_seconds))
        self.assertIsInstance(activity.since, datetime.datetime)
        self.assertIsNotNone(activity.since.tzinfo)
        self.assertLessEqual(activity.since, datetime.datetime.now(datetime.timezone.utc))
        self.assertGreaterEqual(activity.since, before - datetime.timedelta(seconds=5), "a fresh namespace started just now")
        self.assertIn(len(activity.points), (360, 361))
        points = activity.points
        self.assertTrue(all(isinstance(p, oc.ActivityPoint) and isinstance(p.at, datetime.datetime) for p in points))
        self.assertTrue(all(a.at < b.at for a, b in zip(points, points[1:])), "oldest first")
        self.assertTrue(all((b.at - a.at) == datetime.timedelta(seconds=10) for a, b in zip(points, points[1:])))
        self.assertEqual((defined, 1, 1, 0), (sum(p.defined for p in points), sum(p.claimed for p in points),
                                              sum(p.completed for p in points), sum(p.failed for p in points)))
        self.assertGreaterEqual(sum(p.writes for p in points), defined + 2)
        busy = [p for p in points if p.writes]
        self.assertTrue(busy)
        for p in busy:
            self.assertIsInstance(p.write_mean_ms, float)
            self.assertGreaterEqual(p.write_max_ms, p.write_mean_ms)
        self.assertTrue(all((p.write_mean_ms, p.write_max_ms) == (0.0, 0.0) for p in points if not p.writes))

        hourly = self.client.activity()
        self.assertEqual(60, hourly.step_seconds)
        self.assertIn(len(hourly.points), (60, 61))
        self.assertEqual(defined, sum(p.defined for p in hourly.points))
        for bad in (7, 0, 3605):
            with self.assertRaises(Rejected) as caught:
                self.client.activity(step_seconds=bad)
            self.assertEqual((400, "stepSeconds", str(bad)), (caught.exception.status, caught.exception.field, caught.exception.value))

    # -- events --------------------------------------------------------------------------------

    def test_events_yield_each_transition(self) -> None:
        with self.client.events() as stream:
            self.define("e1", agent="w")
            job = self.client.claim("w")
            self.client.complete(job)
            seen = [next_within(stream) for _ in range(3)]
        self.assertTrue(stream.closed)
        self.assertEqual(["task-transitioned"] * 3, [e.type for e in seen])
        self.assertEqual(["task-defined", "task-claimed", "task-completed"], [e.transition.entry.event for e in seen])
        self.assertEqual(["READY", "CLAIMED", "COMPLETED"], [e.transition.entry.to_status for e in seen])
        self.assertEqual({"e1"}, {e.transition.task_id for e in seen})
        self.assertEqual("w", seen[1].transition.claim_agent)
        self.assertTrue(all(e.id for e in seen))
        self.assertEqual(len(seen), len({e.id for e in seen}), "ids are distinct")
        self.assertEqual(seen[-1].id, stream.last_event_id)
        self.assertFalse(seen[0].is_reset)

    def test_event_filters_pass_only_what_matches(self) -> None:
        with self.client.events(task_id="wanted") as stream:
            self.define("unwanted")
            self.define("wanted")
            event = next_within(stream)
        self.assertEqual("wanted", event.transition.task_id)
        with self.assertRaises(Rejected) as caught:
            self.client.events(agent="")
        self.assertEqual("agent", caught.exception.field)

    def test_events_resume_after_the_last_event_id(self) -> None:
        with self.client.events() as first:
            self.define("r1")
            seen = next_within(first)
        self.define("r2")  # while nobody listens
        with self.client.events(last_event_id=seen.id) as resumed:
            replayed = next_within(resumed)
        self.assertEqual("r2", replayed.transition.task_id)

    def test_an_unknown_last_event_id_surfaces_a_reset(self) -> None:
        with self.client.events(last_event_id="gone-42") as stream:
            reset = next_within(stream)
            self.assertTrue(reset.is_reset)
            self.assertEqual("reset", reset.type)
            self.assertIn("no longer held", reset.reason)
            self.assertIsNone(reset.transition)
            self.define("after-reset")
            self.assertEqual("after-reset", next_within(stream).transition.task_id)

    def test_the_event_iterator_reconnects_with_last_event_id_when_the_connection_drops(self) -> None:
        host, port = re.match(r"https?://([^:/]+):(\d+)", self.server.url).groups()
        proxy = CuttingProxy(host, int(port))
        self.addCleanup(proxy.close)
        through_proxy = OrchestratorClient(proxy.url, namespace=self.ns)
        with through_proxy.events(retry_delay=0.05) as stream:
            self.define("before-cut")
            self.assertEqual("before-cut", next_within(stream).transition.task_id)
            proxy.cut()
            self.define("during-cut")  # missed by the dropped connection, replayed after it
            event = next_within(stream)
        self.assertEqual("during-cut", event.transition.task_id)
        self.assertFalse(event.is_reset)
        self.assertGreaterEqual(stream.reconnects, 1)
        self.assertGreaterEqual(proxy.connections, 2)

    def test_closing_the_stream_from_another_thread_ends_the_iteration(self) -> None:
        stream = self.client.events()
        reader = Threaded(lambda: list(stream))
        stream.close()
        self.assertEqual([], reader.result(timeout=10))

    # -- the examples --------------------------------------------------------------------------

    def test_the_worker_completes_fails_and_heartbeats(self) -> None:
        worker = load_example("worker")
        agent = unique("worker")
        self.client.define_task("slow", agent=agent, task_file="f.md", payload={"wait_for_heartbeat": True})
        self.client.define_task("fine", agent=agent, task_file="f.md", payload={"n": 2})
        self.client.define_task("boom", agent=agent, task_file="f.md", payload={"fail": True}, max_attempts=1)
        beat = threading.Event()
        handled: List[str] = []

        def handle(job: Assignment) -> Any:
            handled.append(job.task_id)
            if job.payload.get("fail"):
                raise RuntimeError("cannot do " + job.task_id)
            if job.payload.get("wait_for_heartbeat"):
                self.assertTrue(beat.wait(20), "a heartbeat was sent while the task ran")
            return {"done": job.task_id}

        logs: List[str] = []
        done = worker.work(self.client, agent, handle, lease="2s", wait="1s", exit_when_idle=True,
                           heartbeat_every=0.1, on_heartbeat=lambda job: beat.set(), log=logs.append)
        self.assertEqual(3, done)
        self.assertEqual(["slow", "fine", "boom"], handled)
        self.assertEqual({"done": "slow"}, self.client.get_task("slow").result)
        self.assertEqual("COMPLETED", self.client.get_task("fine").status)
        boom = self.client.get_task("boom")
        self.assertEqual("DEAD", boom.status)
        self.assertEqual("RuntimeError: cannot do boom", boom.reason)
        self.assertIn("completed slow", logs)

    def test_the_worker_script_runs_until_idle(self) -> None:
        agent = unique("cli-worker")
        self.client.define_task("via-cli", agent=agent, task_file="f.md", payload={"x": 1})
        run = subprocess.run([sys.executable, os.path.join(EXAMPLES, "worker.py"), "--url", self.server.url,
                              "--namespace", self.ns, "--agent", agent, "--wait", "1s", "--exit-when-idle"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(0, run.returncode, run.stderr)
        self.assertIn("completed via-cli", run.stdout)
        self.assertIn("1 task(s) done", run.stdout)
        self.assertEqual({"handled": "via-cli"}, self.client.get_task("via-cli").result)

    def test_the_seed_concurrency_test_passes_twice_on_one_server(self) -> None:
        script = os.path.join(EXAMPLES, "seed_concurrency_test.py")
        for _ in range(2):
            run = subprocess.run([sys.executable, script, "--url", self.server.url], capture_output=True, text=True, timeout=120)
            self.assertEqual(0, run.returncode, run.stdout + run.stderr)
            self.assertIn("defined 25/25", run.stdout)
            self.assertIn("repeats 9/9 succeeded as repeats", run.stdout)
            self.assertIn("conflicts 8/8 told apart", run.stdout)
            self.assertIn("intact 25/25", run.stdout)
            ns = re.search(r"namespace (\S+),", run.stdout).group(1)
            stats = self.client.for_namespace(ns).stats()
            self.assertEqual(25, stats.tasks)

        # Into a namespace given, run after run: each run its own prefix.
        run = subprocess.run([sys.executable, script, "--url", self.server.url, "--namespace", self.ns],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        self.assertEqual(25, self.client.stats().tasks)

    def test_the_seed_concurrency_test_fails_when_the_server_is_not_there(self) -> None:
        run = subprocess.run([sys.executable, os.path.join(EXAMPLES, "seed_concurrency_test.py"),
                              "--url", "http://127.0.0.1:%d" % free_port()], capture_output=True, text=True, timeout=120)
        self.assertEqual(1, run.returncode)
        self.assertIn("defined 0/25", run.stdout)
        self.assertIn("FAIL", run.stdout)


KEY_FULL = "full-access-key-0123456789abcdef"
KEY_READ = "read-only-key-0123456789abcdef"
KEY_TEAM = "team-a-key-0123456789abcdef"


class ApiKeyTests(ServerTestCase):
    env = {"ORCHESTRATOR_API_KEYS": KEY_FULL}
    config = """orchestrator.http.api-keys = [
  { key = "%s", read-only = on }
  { key = "%s", namespaces = ["team-a"] }
]
""" % (KEY_READ, KEY_TEAM)

    def setUp(self) -> None:
        self.ns = unique("keys")

    def client(self, key: Optional[str], namespace: Optional[str] = None) -> OrchestratorClient:
        return OrchestratorClient(self.server.url, api_key=key, namespace=namespace or self.ns, timeout=15)

    def assertKeyHidden(self, error: BaseException, *keys: str) -> None:
        for text in (str(error), repr(error), json.dumps(getattr(error, "problem", {}))):
            for key in keys:
                self.assertNotIn(key, text)

    def test_the_server_announced_its_keys(self) -> None:
        self.assertTrue(any("API keys required, 3 configured" in line for line in self.server.output), self.server.tail())

    def test_no_key_or_a_wrong_key_is_unauthorized(self) -> None:
        for key in (None, "wrong-key-0123456789abcdef"):
            with self.assertRaises(Unauthorized) as caught:
                self.client(key).stats()
            e = caught.exception
            self.assertEqual((401, "Unauthorized"), (e.status, e.title))
            self.assertIn("Bearer", e.detail)
            if key:
                self.assertKeyHidden(e, key)
        with self.assertRaises(Unauthorized):
            self.client(None).events()

    def test_a_full_key_may_do_everything(self) -> None:
        client = self.client(KEY_FULL)
        self.assertTrue(client.define_task("k1", agent="a", task_file="f.md").created)
        self.assertEqual("k1", client.claim("a").task_id)
        self.assertFalse(client.cluster_status().clustered)
        self.assertNotIn(KEY_FULL, repr(client))
        self.assertIn("***", repr(client))

    def test_a_read_only_key_may_read_but_not_write(self) -> None:
        self.client(KEY_FULL).define_task("k2", agent="a", task_file="f.md")
        reader = self.client(KEY_READ)
        self.assertEqual("k2", reader.get_task("k2").task_id)
        self.assertEqual(1, reader.stats().tasks)
        with reader.events() as stream:
            self.client(KEY_FULL).define_task("k3", agent="a", task_file="f.md")
            self.assertEqual("k3", next_within(stream).transition.task_id)
        for write in (lambda: reader.define_task("k4", agent="a", task_file="f.md"), lambda: reader.claim("a"),
                      lambda: reader.save_state("o", "k", 1)):
            with self.assertRaises(Forbidden) as caught:
                write()
            e = caught.exception
            self.assertEqual(403, e.status)
            self.assertIn("may only read", e.detail)
            self.assertKeyHidden(e, KEY_READ, KEY_FULL)

    def test_a_namespace_limited_key_stays_in_its_namespaces(self) -> None:
        team = self.client(KEY_TEAM, namespace="team-a")
        team.define_task(unique("t"), agent="a", task_file="f.md")
        self.assertGreaterEqual(team.stats().tasks, 1)
        self.assertEqual(1, team.define_tasks([TaskDefinition(unique("b"), "a", "f.md")]).created)
        with self.assertRaises(Forbidden):
            team.for_namespace("team-b").define_tasks([TaskDefinition(unique("b"), "a", "f.md")])
        with self.assertRaises(Forbidden):
            team.for_namespace("team-b").events()
        with self.assertRaises(Forbidden) as caught:
            team.for_namespace(self.ns).stats()
        self.assertEqual(403, caught.exception.status)
        self.assertIn("may not use namespace '%s'" % self.ns, caught.exception.detail)
        self.assertKeyHidden(caught.exception, KEY_TEAM)
        with self.assertRaises(Forbidden) as caught:
            team.cluster_status()
        self.assertIn("limited to namespaces", caught.exception.detail)
        self.assertKeyHidden(caught.exception, KEY_TEAM)

    def test_the_key_comes_from_the_environment(self) -> None:
        old = os.environ.get("ORCHESTRATOR_API_KEY"), os.environ.get("ORCHESTRATOR_URL")
        os.environ["ORCHESTRATOR_API_KEY"], os.environ["ORCHESTRATOR_URL"] = KEY_FULL, self.server.url

        def restore() -> None:
            for name, value in zip(("ORCHESTRATOR_API_KEY", "ORCHESTRATOR_URL"), old):
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        self.addCleanup(restore)
        client = OrchestratorClient(namespace=self.ns)
        self.assertEqual(self.server.url, client.url)
        self.assertEqual(0, client.stats().tasks)

    def test_the_seed_and_worker_scripts_take_the_key(self) -> None:
        script = os.path.join(EXAMPLES, "seed_concurrency_test.py")
        run = subprocess.run([sys.executable, script, "--url", self.server.url, "--api-key", KEY_FULL],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        self.assertIn("defined 25/25", run.stdout)
        wrong = "wrong-key-0123456789abcdef"
        run = subprocess.run([sys.executable, script, "--url", self.server.url, "--api-key", wrong],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(1, run.returncode)
        self.assertIn("401 Unauthorized", run.stdout)
        self.assertNotIn(wrong, run.stdout + run.stderr)


class _StubHandler(http.server.BaseHTTPRequestHandler):
    """Answers what the test put in ``server.answer``: (status, headers, body)."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.bodies.append(self.rfile.read(length) if length else b"")  # type: ignore[attr-defined]
        self.server.requests.append((self.command, self.path, dict(self.headers)))  # type: ignore[attr-defined]
        status, headers, body = self.server.answer  # type: ignore[attr-defined]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:
        pass


class OfflineTests(unittest.TestCase):
    """What needs no orchestrator: durations, and answers a real one gives rarely (a stub serves them)."""

    def stub(self, status: int, body: Any, headers: Optional[dict] = None, content_type: str = "application/problem+json") -> OrchestratorClient:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StubHandler)
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        server.answer = (status, dict({"Content-Type": content_type}, **(headers or {})), raw)  # type: ignore[attr-defined]
        server.requests = []  # type: ignore[attr-defined]
        server.bodies = []  # type: ignore[attr-defined]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()

        def stop() -> None:
            server.shutdown()
            server.server_close()
            thread.join()
        self.addCleanup(stop)
        self.stub_server = server
        return OrchestratorClient("http://127.0.0.1:%d" % server.server_address[1], api_key="secret-key-0123456789", timeout=5)

    def test_durations(self) -> None:
        self.assertEqual("30s", oc.format_duration("30s"))
        self.assertEqual("30s", oc.format_duration(30))
        self.assertEqual("2500ms", oc.format_duration(2.5))
        self.assertEqual("90s", oc.format_duration(datetime.timedelta(minutes=1, seconds=30)))
        self.assertEqual("0s", oc.format_duration(0))
        with self.assertRaises(ValueError):
            oc.format_duration(-1)
        with self.assertRaises(TypeError):
            oc.format_duration(True)
        self.assertEqual(120.0, oc.duration_seconds("2m"))
        self.assertEqual(0.5, oc.duration_seconds("500ms"))
        self.assertEqual(3723.0, oc.duration_seconds("01:02:03"))
        self.assertEqual(2592000.0, oc.duration_seconds("30d"))
        self.assertEqual(2592000.0, oc.duration_seconds("30.00:00:00"))
        self.assertIsNone(oc.duration_seconds("soon"))

    def test_a_503_is_unavailable_with_retry_after(self) -> None:
        client = self.stub(503, {"status": 503, "title": "Unavailable, retry", "detail": "journal down", "reason": "write failed"},
                           {"Retry-After": "1"})
        with self.assertRaises(Unavailable) as caught:
            client.stats()
        e = caught.exception
        self.assertEqual((503, 1.0, "journal down", "write failed"), (e.status, e.retry_after, e.detail, e.problem["reason"]))
        self.assertKeyNotIn(e, "secret-key-0123456789")
        method, path, headers = self.stub_server.requests[-1]
        self.assertEqual(("GET", "/v1/namespaces/default/stats"), (method, path))
        self.assertEqual("Bearer secret-key-0123456789", headers["Authorization"])

    def test_413_and_415_are_rejected_and_other_statuses_the_base_error(self) -> None:
        for status in (413, 415):
            with self.assertRaises(Rejected) as caught:
                self.stub(status, {"status": status, "title": "Too large", "detail": "over the limit"}).define_task("t", "a", "f")
            self.assertEqual(status, caught.exception.status)
        with self.assertRaises(OrchestratorError) as caught:
            self.stub(500, {"status": 500, "title": "Internal error", "detail": "see the log"}).stats()
        self.assertIs(OrchestratorError, type(caught.exception))
        self.assertEqual("500 Internal error: see the log", str(caught.exception))
        with self.assertRaises(Unavailable) as caught:
            self.stub(502, b"<html>bad gateway</html>", content_type="text/html").stats()
        self.assertEqual(({}, 502), (caught.exception.problem, caught.exception.status))

    def test_unknown_fields_are_kept_aside(self) -> None:
        body = {"taskId": "t", "agent": "a", "taskFile": "f", "priority": "LOW", "status": "READY",
                "definedAt": "2026-12-06T07:38:03.6466747Z", "dependsOn": [], "maxAttempts": 3, "attempts": 0,
                "claim": None, "retryAt": None, "reason": None, "updatedAt": None, "shinyNewField": {"x": 1}}
        task = self.stub(200, body, content_type="application/json").get_task("t")
        self.assertEqual({"shinyNewField": {"x": 1}}, task.extra)
        self.assertEqual(datetime.datetime(2026, 12, 6, 7, 38, 3, 646674, tzinfo=datetime.timezone.utc), task.defined_at)
        self.assertEqual("/v1/namespaces/default/tasks/t", self.stub_server.requests[-1][1])

    def test_activity_and_id_prefix_travel_as_query_parameters(self) -> None:
        body = {"namespace": "team-a", "since": "2026-12-06T14:54:14.123+00:00", "stepSeconds": 10, "points": [
            {"at": "2026-12-06T13:55:00+00:00", "defined": 2, "claimed": 1, "completed": 1, "failed": 0, "writes": 4,
             "writeMeanMs": 1, "writeMaxMs": 2.5, "later": True}], "alsoLater": 1}
        client = self.stub(200, body, content_type="application/json")
        activity = client.for_namespace("team-a").activity(step_seconds=10)
        self.assertEqual("/v1/namespaces/team-a/activity?stepSeconds=10", self.stub_server.requests[-1][1])
        self.assertEqual(("team-a", 10, {"alsoLater": 1}), (activity.namespace, activity.step_seconds, activity.extra))
        self.assertEqual(datetime.datetime(2026, 12, 6, 14, 54, 14, 123000, tzinfo=datetime.timezone.utc), activity.since)
        point = activity.points[0]
        self.assertEqual(datetime.datetime(2026, 12, 6, 13, 55, tzinfo=datetime.timezone.utc), point.at)
        self.assertEqual((2, 1, 1, 0, 4, 1.0, 2.5, {"later": True}),
                         (point.defined, point.claimed, point.completed, point.failed, point.writes,
                          point.write_mean_ms, point.write_max_ms, point.extra))
        self.assertIsInstance(point.write_mean_ms, float)
        client.activity()
        self.assertEqual("/v1/namespaces/default/activity?stepSeconds=60", self.stub_server.requests[-1][1])

        client = self.stub(200, {"tasks": [], "total": 0, "offset": 0, "limit": 5}, content_type="application/json")
        client.list_tasks("READY", None, None, 0, 5, id_prefix="a/b")
        self.assertEqual("/v1/namespaces/default/tasks?status=READY&idPrefix=a%2Fb&offset=0&limit=5",
                         self.stub_server.requests[-1][1])

    def test_paging_asks_for_offset_and_limit_and_goes_on_past_a_page_from_a_server_older_than_next_offset(self) -> None:
        task = {"taskId": "t", "agent": "a", "taskFile": "f", "priority": "LOW", "status": "READY", "definedAt": "2026-12-06T13:55:00+00:00"}
        client = self.stub(200, {"tasks": [task], "total": 2, "offset": 0, "limit": 1}, content_type="application/json")
        self.assertEqual(2, len(list(client.iter_tasks(page_size=1))))
        self.assertEqual(["/v1/namespaces/default/tasks?offset=0&limit=1", "/v1/namespaces/default/tasks?offset=1&limit=1"],
                         [r[1] for r in self.stub_server.requests])

        client = self.stub(200, {"agents": [{"agent": "a"}, {"agent": "b"}]}, content_type="application/json")
        self.assertEqual(["a", "b"], [a.agent for a in client.agents()])
        self.assertEqual(["/v1/namespaces/default/agents?offset=0&limit=100"], [r[1] for r in self.stub_server.requests])
        page = client.for_namespace("team-a").list_agents(offset=4, limit=2)
        self.assertEqual("/v1/namespaces/team-a/agents?offset=4&limit=2", self.stub_server.requests[-1][1])
        self.assertEqual((2, None), (len(page.agents), page.next_offset))

        client = self.stub(200, {"agents": [{"agent": "c"}], "total": 9, "offset": 4, "limit": 1, "nextOffset": 5}, content_type="application/json")
        self.assertEqual(5, client.list_agents(offset=4, limit=1).next_offset)

    def test_schedules_travel_as_put_delete_and_a_paged_get_and_read_back_with_their_interval_and_times(self) -> None:
        shown = {"scheduleId": "a/b", "agent": "poller", "taskFile": "tasks/poll.md", "priority": "HIGH", "cron": None,
                 "timeZone": None, "every": "15m", "start": "2026-12-07T09:15:00+00:00", "catchUp": "all",
                 "nextAt": "2026-12-07T09:30:00+00:00", "maxAttempts": 2, "payload": {"x": 1}, "tags": ["t"],
                 "definedAt": "2026-12-07T09:00:00.1234567+00:00", "by": "ops", "occurrences": 3, "missed": 1,
                 "lastOccurrence": "2026-12-07T09:15:00+00:00", "note": None, "later": True}
        client = self.stub(200, {"schedule": shown, "unchanged": True}, content_type="application/json")
        start = datetime.datetime(2026, 12, 7, 9, 15, tzinfo=datetime.timezone.utc)
        defined = client.for_namespace("team-a").define_schedule(
            "a/b", "poller", "tasks/poll.md", every=datetime.timedelta(minutes=15), start=start, catch_up="all",
            priority="HIGH", max_attempts=2, payload={"x": 1}, tags=("t",), by="ops")
        self.assertEqual(("PUT", "/v1/namespaces/team-a/schedules/a%2Fb"), self.stub_server.requests[-1][:2])
        self.assertEqual({"agent": "poller", "taskFile": "tasks/poll.md", "every": "900s", "start": "2026-12-07T09:15:00+00:00",
                          "catchUp": "all", "priority": "HIGH", "maxAttempts": 2, "payload": {"x": 1}, "tags": ["t"], "by": "ops"},
                         json.loads(self.stub_server.bodies[-1]))
        schedule = defined.schedule
        self.assertTrue(defined.unchanged)
        self.assertEqual((datetime.timedelta(minutes=15), start, start + datetime.timedelta(minutes=15), start, 3, 1, {"later": True}),
                         (schedule.every, schedule.start, schedule.next_at, schedule.last_occurrence,
                          schedule.occurrences, schedule.missed, schedule.extra))
        self.assertEqual(datetime.datetime(2026, 12, 7, 9, 0, 0, 123456, tzinfo=datetime.timezone.utc), schedule.defined_at)
        client.define_schedule("c", "a", "f", cron="0 3 * * *", time_zone="Europe/Berlin")
        self.assertEqual({"agent": "a", "taskFile": "f", "cron": "0 3 * * *", "timeZone": "Europe/Berlin"},
                         json.loads(self.stub_server.bodies[-1]))

        client = self.stub(204, b"", content_type="text/plain")
        self.assertIsNone(client.remove_schedule("a/b", by="ops"))
        client.remove_schedule("c")
        self.assertEqual([("DELETE", "/v1/namespaces/default/schedules/a%2Fb?by=ops"), ("DELETE", "/v1/namespaces/default/schedules/c")],
                         [r[:2] for r in self.stub_server.requests])

        client = self.stub(200, {"schedules": [dict(shown, every="00:00:30")], "total": 1, "offset": 0, "limit": 100,
                                 "nextOffset": None}, content_type="application/json")
        self.assertEqual([datetime.timedelta(seconds=30)], [s.every for s in client.schedules()])
        self.assertEqual(["/v1/namespaces/default/schedules?offset=0&limit=100"], [r[1] for r in self.stub_server.requests])
        client.list_schedules(offset=5, limit=2)
        self.assertEqual("/v1/namespaces/default/schedules?offset=5&limit=2", self.stub_server.requests[-1][1])

        client = self.stub(404, {"status": 404, "title": "Not found", "detail": "no schedule 'x'", "scheduleId": "x"})
        with self.assertRaises(NotFound) as caught:
            client.remove_schedule("x")
        self.assertEqual(("x", None), (caught.exception.schedule_id, caught.exception.task_id))

    def test_purge_and_retention_travel_as_post_and_put_and_the_stats_read_back_retention_and_purged(self) -> None:
        client = self.stub(200, {"count": 2, "taskIds": ["a", "b"], "more": True, "later": 1}, content_type="application/json")
        purged = client.for_namespace("team-a").purge_tasks(status="COMPLETED", agent="w", priority="LOW", id_prefix="a/",
                                                            tag="team:x", finished_for=datetime.timedelta(days=7), by="ops", limit=2)
        self.assertEqual(("POST", "/v1/namespaces/team-a/tasks:purge"), self.stub_server.requests[-1][:2])
        self.assertEqual({"status": "COMPLETED", "agent": "w", "priority": "LOW", "idPrefix": "a/", "tag": "team:x",
                          "finishedFor": "604800s", "by": "ops", "limit": 2}, json.loads(self.stub_server.bodies[-1]))
        self.assertEqual((2, ["a", "b"], True, {"later": 1}), (purged.count, purged.task_ids, purged.more, purged.extra))
        client.purge_tasks(finished_for="7d")
        self.assertEqual(("POST", "/v1/namespaces/default/tasks:purge"), self.stub_server.requests[-1][:2])
        self.assertEqual({"finishedFor": "7d"}, json.loads(self.stub_server.bodies[-1]))
        client.purge_tasks()
        self.assertEqual({}, json.loads(self.stub_server.bodies[-1]))
        with self.assertRaises(TypeError):
            client.purge_tasks("COMPLETED")  # type: ignore[misc]

        client = self.stub(200, {"finishedFor": "30.00:00:00"}, content_type="application/json")
        self.assertEqual(datetime.timedelta(days=30), client.for_namespace("team-a").set_retention("30d", by="ops"))
        self.assertEqual(("PUT", "/v1/namespaces/team-a/retention"), self.stub_server.requests[-1][:2])
        self.assertEqual({"finishedFor": "30d", "by": "ops"}, json.loads(self.stub_server.bodies[-1]))
        client.set_retention(datetime.timedelta(hours=12))
        self.assertEqual({"finishedFor": "43200s"}, json.loads(self.stub_server.bodies[-1]))
        client = self.stub(200, {"finishedFor": None}, content_type="application/json")
        self.assertIsNone(client.set_retention(None))
        self.assertEqual({"finishedFor": None}, json.loads(self.stub_server.bodies[-1]), "null is sent: keep every task")

        client = self.stub(200, {"namespace": "default", "tasks": 1, "retention": "12:00:00", "purged": 7, "schedules": 3},
                           content_type="application/json")
        stats = client.stats()
        self.assertEqual((datetime.timedelta(hours=12), 7, 3, {}), (stats.retention, stats.purged, stats.schedules, stats.extra))
        client = self.stub(200, {"namespace": "default", "tasks": 1, "purged": 0}, content_type="application/json")
        self.assertEqual((None, 0), (client.stats().retention, client.stats().purged))

    def test_an_unreachable_server_is_unavailable(self) -> None:
        url = "http://127.0.0.1:%d" % free_port()
        client = OrchestratorClient(url, api_key="secret-key-0123456789", timeout=5)
        with self.assertRaises(Unavailable) as caught:
            client.define_task("t", "a", "f")
        e = caught.exception
        self.assertIsNone(e.status)
        self.assertIn(url, str(e))
        self.assertKeyNotIn(e, "secret-key-0123456789")
        with self.assertRaises(Unavailable):
            client.events(reconnect=False)
        self.assertNotIn("secret", repr(client))

    def test_ids_are_percent_encoded_into_one_segment(self) -> None:
        client = self.stub(200, {"taskId": "a/b c", "entries": [], "dropped": 0}, content_type="application/json")
        client.for_namespace("ns.1").get_history("a/b c")
        self.assertEqual("/v1/namespaces/ns.1/tasks/a%2Fb%20c/history", self.stub_server.requests[-1][1])
        with self.assertRaises(ValueError):
            client.get_task("")

    def assertKeyNotIn(self, error: BaseException, key: str) -> None:
        for text in (str(error), repr(error), json.dumps(getattr(error, "problem", {}))):
            self.assertNotIn(key, text)


if __name__ == "__main__":
    unittest.main()
