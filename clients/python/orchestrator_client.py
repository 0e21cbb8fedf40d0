"""A client of the orchestrator's HTTP/JSON door, in one file, standard library only.

    from orchestrator_client import OrchestratorClient, Conflict

    client = OrchestratorClient("http://127.0.0.1:8080", namespace="builds")
    client.define_task("build-1", agent="builder", task_file="tasks/build.md", payload={"target": "linux"})
    job = client.claim("builder", lease="2m", wait="30s")     # None when nothing became READY
    if job is not None:
        client.complete(job, result={"ok": True})
    client.define_schedule("poll", agent="poller", task_file="tasks/poll.md", every="15m")  # a task each 15 minutes

Every method is one request of the routes in the repository's README ("Over HTTP"). Answers are
dataclasses; fields the server adds later are kept in ``extra``. A refusal raises a subclass of
``OrchestratorError`` (``Rejected``, ``Unauthorized``, ``Forbidden``, ``NotFound``, ``Conflict``,
``Unavailable``; any other status is the base class). Durations are ``"30s"``-style strings, numbers of seconds or ``timedelta``.
A recurring schedule (``define_schedule``: a cron expression or an interval) defines one task per
occurrence, id ``{schedule_id}:{yyyyMMddTHHmmssZ}`` (UTC), READY at once; ``list_schedules``,
``iter_schedules`` and ``schedules`` read them, ``remove_schedule`` ends one (its tasks stay).
``purge_tasks`` removes finished tasks (COMPLETED, CANCELLED, DEAD) for good; ``set_retention`` has
the server purge the ones finished longer ago than a duration, every minute.
Python 3.9 or later.
"""

from __future__ import annotations

import dataclasses
import datetime
import email.utils
import http.client
import json
import os
import re
import socket
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field as _field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, TypeVar, Union

__all__ = [
    "OrchestratorClient", "EventStream",
    "Task", "ClaimInfo", "Assignment", "TaskDefinition", "DefineResult", "BatchItem", "BatchResult",
    "FieldError", "TaskPage", "HistoryEntry", "TaskHistory", "LeaseRenewal", "StateSaved", "StateDocument",
    "TasksChanged", "ClaimLimits",
    "Stats", "Activity", "ActivityPoint", "Agent", "AgentPage", "ClusterMember", "ClusterStatus", "TaskTransition", "Event",
    "Schedule", "ScheduleDefined", "SchedulePage",
    "OrchestratorError", "Rejected", "Unauthorized", "Forbidden", "NotFound", "Conflict", "Unavailable",
    "format_duration", "duration_seconds",
]

__version__ = "0.1.0"

DEFAULT_URL = "http://127.0.0.1:8080"
"""Where ``serve`` answers HTTP by default."""

Duration = Union[str, int, float, datetime.timedelta]
"""``"500ms"``, ``"30s"``, ``"2m"``, ``"1h"``, ``"30d"`` or ``"hh:mm:ss"``; a number of seconds; a timedelta."""

JSON = Any


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------

class OrchestratorError(Exception):
    """The orchestrator did not do what was asked; the subclass says why.

    ``status`` is the HTTP status (None when no answer arrived), ``title``/``detail`` the problem's,
    ``field``/``value`` name the offending input of a 400, ``problem`` is the whole
    ``application/problem+json`` body as a dict (empty when there was none).
    """

    def __init__(self, message: str, *, status: Optional[int] = None, title: Optional[str] = None,
                 detail: Optional[str] = None, field: Optional[str] = None, value: Optional[str] = None,
                 problem: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.title = title
        self.detail = detail
        self.field = field
        self.value = value
        self.problem: Dict[str, Any] = dict(problem or {})

    def __repr__(self) -> str:
        return "%s(status=%r, message=%r)" % (type(self).__name__, self.status, self.message)


class Rejected(OrchestratorError):
    """The request was invalid (400; 413 too large; 415 not JSON): nothing was written.
    ``field`` and ``value`` name the offending input."""


class Unauthorized(OrchestratorError):
    """401: the server needs an API key and none, or an unknown one, was sent."""


class Forbidden(OrchestratorError):
    """403: the API key may not do this (a read-only key writing, a key limited to other namespaces)."""


class NotFound(OrchestratorError):
    """404: no task, document or schedule with that id (``task_id``, ``owner_id`` and ``key``, or
    ``schedule_id``)."""

    @property
    def task_id(self) -> Optional[str]:
        return self.problem.get("taskId")

    @property
    def schedule_id(self) -> Optional[str]:
        return self.problem.get("scheduleId")


class Conflict(OrchestratorError):
    """409, 412 or 422: the request conflicts with the state; nothing was written.

    A different definition under an existing id carries ``existing`` (the task as defined); an
    illegal transition ``task_status`` and ``action``; a stale claim ``claim_id`` and
    ``task_status``; a version conflict of a document (412) ``expected_version`` and
    ``current_version``; an idempotency key already used for another request (422)
    ``idempotency_key`` and ``used_at``.
    """

    @property
    def task_id(self) -> Optional[str]:
        return self.problem.get("taskId")

    @property
    def existing(self) -> Optional[Task]:
        existing = self.problem.get("existing")
        return Task.from_json(existing) if isinstance(existing, dict) else None

    @property
    def task_status(self) -> Optional[str]:
        return self.problem.get("taskStatus")

    @property
    def action(self) -> Optional[str]:
        return self.problem.get("action")

    @property
    def claim_id(self) -> Optional[str]:
        return self.problem.get("claimId")

    @property
    def expected_version(self) -> Optional[int]:
        return self.problem.get("expectedVersion")

    @property
    def current_version(self) -> Optional[int]:
        return self.problem.get("currentVersion")

    @property
    def idempotency_key(self) -> Optional[str]:
        return self.problem.get("idempotencyKey")

    @property
    def used_at(self) -> Optional[datetime.datetime]:
        return _time(self.problem.get("usedAt"))


class Unavailable(OrchestratorError):
    """503, or no answer at all (connection refused, reset, timed out); ``status`` is None then.

    After a 503 nothing was done, so retrying is safe; ``retry_after`` is the server's hint in
    seconds. Without an answer the request may or may not have been done: definitions are
    idempotent and a save with ``expected_version`` says on a repeat, while a claim made for a
    lost answer lapses after its lease."""

    def __init__(self, message: str, *, retry_after: Optional[float] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


_ERRORS = {400: Rejected, 413: Rejected, 415: Rejected, 401: Unauthorized, 403: Forbidden,
           404: NotFound, 409: Conflict, 412: Conflict, 422: Conflict, 503: Unavailable}


def _instant(value: Optional[Union[datetime.datetime, str]], name: str = "not_before") -> Optional[str]:
    """A time for the server: ISO 8601 with its offset. A naive datetime is refused (its zone is unknown)."""
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, datetime.datetime):
        raise TypeError("%s must be a datetime or an ISO 8601 str, not %s" % (name, type(value).__name__))
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("%s must be an aware datetime (with a tzinfo, such as datetime.timezone.utc)" % name)
    return value.isoformat()


def _keyed(idempotency_key: Optional[str]) -> Dict[str, str]:
    """The Idempotency-Key header of a change, when it has a key."""
    if idempotency_key is None:
        return {}
    if not isinstance(idempotency_key, str):
        raise TypeError("idempotency_key must be a str, not %s" % type(idempotency_key).__name__)
    return {"Idempotency-Key": idempotency_key}


def _retry_after(text: Optional[str]) -> Optional[float]:
    if not text:
        return None
    text = text.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds())


def _error(status: int, reason: str, headers: Any, body: bytes) -> OrchestratorError:
    problem: Dict[str, Any] = {}
    try:
        parsed = json.loads(body.decode("utf-8")) if body else None
        if isinstance(parsed, dict):
            problem = parsed
    except (ValueError, UnicodeDecodeError):
        pass
    title = problem.get("title") or reason or "HTTP error"
    detail = problem.get("detail")
    message = "%d %s: %s" % (status, title, detail) if detail else "%d %s" % (status, title)
    value = problem.get("value")
    kwargs: Dict[str, Any] = dict(status=status, title=title, detail=detail, field=problem.get("field"),
                                  value=None if value is None else str(value), problem=problem)
    cls = _ERRORS.get(status)
    if cls is None and status in (502, 504):
        cls = Unavailable  # a proxy in front that could not reach the server
    if cls is Unavailable:
        return Unavailable(message, retry_after=_retry_after(headers.get("Retry-After") if headers else None), **kwargs)
    return (cls or OrchestratorError)(message, **kwargs)


# --------------------------------------------------------------------------------------------
# Values: durations, times, JSON to dataclasses
# --------------------------------------------------------------------------------------------

def format_duration(value: Duration) -> str:
    """A duration as the server reads it: ``"30s"`` strings pass unchanged (the server checks them
    and names the field of a bad one); seconds and timedeltas become ``"30s"`` or ``"1500ms"``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, datetime.timedelta)):
        raise TypeError("a duration is a string such as '30s', a number of seconds or a timedelta, not %r" % (value,))
    seconds = value.total_seconds() if isinstance(value, datetime.timedelta) else float(value)
    if seconds < 0:
        raise ValueError("a duration must not be negative: %r" % (value,))
    millis = int(round(seconds * 1000))
    return "%ds" % (millis // 1000) if millis % 1000 == 0 else "%dms" % millis


_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$")
_SPAN = re.compile(r"^(-)?(?:(\d+)\.)?(\d+):(\d\d):(\d\d)(?:\.(\d+))?$")


def _time(text: Any) -> Any:
    """ISO 8601 as .NET writes it (seven fractional digits) to an aware datetime; else unchanged."""
    if not isinstance(text, str):
        return text
    m = _TIME.match(text)
    if not m:
        return text
    fraction = (m.group(2) or "")[:6].ljust(6, "0")
    zone = m.group(3) or ""
    zone = "+00:00" if zone == "Z" else zone
    try:
        return datetime.datetime.fromisoformat("%s.%s%s" % (m.group(1), fraction, zone))
    except ValueError:
        return text


def _span(text: Any) -> Any:
    """``[-][d.]hh:mm:ss[.fffffff]`` to a timedelta; else unchanged."""
    if not isinstance(text, str):
        return text
    m = _SPAN.match(text)
    if not m:
        return text
    sign, days, hours, minutes, seconds, fraction = m.groups()
    span = datetime.timedelta(days=int(days or 0), hours=int(hours), minutes=int(minutes), seconds=int(seconds),
                              microseconds=int((fraction or "")[:6].ljust(6, "0")))
    return -span if sign else span


def _interval(text: Any) -> Any:
    """A duration as the server shows it (``"15m"``, ``"30s"``, ``"500ms"``; or ``hh:mm:ss``) to a timedelta; else unchanged."""
    seconds = duration_seconds(text) if isinstance(text, str) else None
    return text if seconds is None else datetime.timedelta(seconds=seconds)


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _build(cls: Any, data: Any, converters: Optional[Mapping[str, Any]] = None,
           renames: Optional[Mapping[str, str]] = None) -> Any:
    """``cls`` from a JSON object: camelCase keys to its fields (converted), the rest to ``extra``."""
    if not isinstance(data, dict):
        raise OrchestratorError("the orchestrator answered something that is not a JSON object: %.200r" % (data,))
    names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
    kwargs: Dict[str, Any] = {}
    extra: Dict[str, Any] = {}
    for key, value in data.items():
        name = (renames or {}).get(key) or _snake(key)
        if name in names:
            convert = (converters or {}).get(name)
            kwargs[name] = convert(value) if convert is not None and value is not None else value
        else:
            extra[key] = value
    return cls(extra=extra, **kwargs)


def _compact(mapping: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in mapping.items() if v is not None}


@dataclass
class ClaimInfo:
    """The current claim of a CLAIMED task."""
    claim_id: str = ""
    agent: str = ""
    attempt: int = 0
    claimed_at: Optional[datetime.datetime] = None
    lease_duration: Optional[datetime.timedelta] = None
    lease_until: Optional[datetime.datetime] = None
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> ClaimInfo:
        return _build(cls, data, {"claimed_at": _time, "lease_duration": _span, "lease_until": _time})


_TASK_CONVERTERS = {"defined_at": _time, "updated_at": _time, "retry_at": _time, "lease_until": _time, "not_before": _time, "answer_by": _time,
                    "claim": ClaimInfo.from_json, "depends_on": list, "tags": list}


@dataclass
class Task:
    """A task as the server shows it. ``payload`` and ``result`` are filled by ``get_task`` (and
    ``payload`` by ``claim``); elsewhere they are None."""
    task_id: str = ""
    agent: str = ""
    task_file: str = ""
    priority: str = ""
    status: str = ""
    defined_at: Optional[datetime.datetime] = None
    depends_on: List[str] = _field(default_factory=list)
    max_attempts: int = 0
    attempts: int = 0
    claim: Optional[ClaimInfo] = None
    retry_at: Optional[datetime.datetime] = None
    reason: Optional[str] = None
    updated_at: Optional[datetime.datetime] = None
    tags: List[str] = _field(default_factory=list)
    not_before: Optional[datetime.datetime] = None
    question: Optional[str] = None
    answer_by: Optional[datetime.datetime] = None
    payload: JSON = None
    result: JSON = None
    input: JSON = None
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> Task:
        return _build(cls, data, _TASK_CONVERTERS)


@dataclass
class Assignment(Task):
    """A task just claimed: pass it (or its ``claim_id``) to heartbeat, complete and fail."""
    claim_id: str = ""
    lease_until: Optional[datetime.datetime] = None

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> Assignment:
        return _build(cls, data, _TASK_CONVERTERS)

    @property
    def claim_agent(self) -> str:
        """The agent that holds the claim."""
        return self.claim.agent if self.claim is not None else self.agent


@dataclass
class TaskDefinition:
    """One definition for ``define_tasks`` (``define_task`` takes the same as keywords)."""
    task_id: str
    agent: str
    task_file: str
    priority: Optional[str] = None
    depends_on: Optional[List[str]] = None
    max_attempts: Optional[int] = None
    payload: JSON = None
    by: Optional[str] = None
    tags: Optional[List[str]] = None
    not_before: Optional[Union[datetime.datetime, str]] = None

    def to_json(self) -> Dict[str, Any]:
        return _compact({"taskId": self.task_id, "agent": self.agent, "taskFile": self.task_file,
                         "priority": self.priority, "dependsOn": self.depends_on,
                         "maxAttempts": self.max_attempts, "payload": self.payload, "by": self.by,
                         "tags": self.tags, "notBefore": _instant(self.not_before)})


@dataclass
class TasksChanged:
    """What ``cancel_tasks``, ``requeue_tasks`` or ``purge_tasks`` did: how many tasks, which, and whether more match."""
    count: int = 0
    task_ids: List[str] = _field(default_factory=list)
    more: bool = False
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> TasksChanged:
        return _build(cls, data, {"task_ids": list})


@dataclass
class DefineResult:
    """``define_task``'s answer: the task, and whether this request created it (201) or it was
    already defined identically (200). A different definition raises ``Conflict``."""
    task: Task
    created: bool

    @property
    def already_defined(self) -> bool:
        return not self.created


@dataclass
class FieldError:
    """Why one definition of a batch was invalid."""
    field: Optional[str] = None
    value: Optional[str] = None
    reason: Optional[str] = None
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> FieldError:
        return _build(cls, data)


@dataclass
class BatchItem:
    """One definition's outcome: ``created``/``unchanged`` with ``task``, ``conflict`` with
    ``existing``, ``invalid`` with ``error``."""
    index: int = 0
    task_id: Optional[str] = None
    outcome: str = ""
    task: Optional[Task] = None
    existing: Optional[Task] = None
    error: Optional[FieldError] = None
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> BatchItem:
        return _build(cls, data, {"task": Task.from_json, "existing": Task.from_json, "error": FieldError.from_json})


@dataclass
class BatchResult:
    """``define_tasks``' answer: one item per definition, in the order given, and the counts."""
    results: List[BatchItem] = _field(default_factory=list)
    created: int = 0
    unchanged: int = 0
    conflicts: int = 0
    invalid: int = 0
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> BatchResult:
        return _build(cls, data, {"results": lambda items: [BatchItem.from_json(i) for i in items]})


@dataclass
class TaskPage:
    """A page of ``list_tasks``, in definition order; ``total`` counts every match. A page may hold
    fewer than ``limit`` before the end (it stops short of the server's reply size limit);
    ``next_offset`` is where the next page starts, None on the last."""
    tasks: List[Task] = _field(default_factory=list)
    total: int = 0
    offset: int = 0
    limit: int = 0
    next_offset: Optional[int] = None
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> TaskPage:
        return _build(cls, data, {"tasks": lambda items: [Task.from_json(t) for t in items]})


@dataclass
class HistoryEntry:
    """One transition: ``event`` (task-defined, task-claimed, ...), ``from_status`` -> ``to_status``."""
    event: str = ""
    from_status: Optional[str] = None
    to_status: Optional[str] = None
    at: Optional[datetime.datetime] = None
    by: Optional[str] = None
    claim_id: Optional[str] = None
    detail: Optional[str] = None
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> HistoryEntry:
        return _build(cls, data, {"at": _time}, {"from": "from_status", "to": "to_status"})


@dataclass
class TaskHistory:
    """A task's transitions, oldest first; ``dropped`` counts the oldest ones no longer kept."""
    task_id: str = ""
    entries: List[HistoryEntry] = _field(default_factory=list)
    dropped: int = 0
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> TaskHistory:
        return _build(cls, data, {"entries": lambda items: [HistoryEntry.from_json(e) for e in items]})


@dataclass
class LeaseRenewal:
    """``heartbeat``'s answer."""
    task_id: str = ""
    claim_id: str = ""
    lease_until: Optional[datetime.datetime] = None
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> LeaseRenewal:
        return _build(cls, data, {"lease_until": _time})


@dataclass
class StateSaved:
    """``save_state``'s answer: the document's new version (``created`` for version 1)."""
    owner_id: str = ""
    key: str = ""
    version: int = 0
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @property
    def created(self) -> bool:
        return self.version == 1

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> StateSaved:
        return _build(cls, data)


@dataclass
class StateDocument:
    """A saved document: its JSON ``value``, its ``version`` (the ETag) and when it was saved."""
    owner_id: str
    key: str
    version: int
    value: JSON
    saved_at: Optional[datetime.datetime] = None


@dataclass
class Stats:
    """A namespace's figures. ``retention``: how long finished tasks are kept (None: for good, see
    ``set_retention``); ``purged``: the tasks purged from the namespace all told; ``schedules``: the
    recurring schedules it holds."""
    namespace: Optional[str] = None
    tasks: int = 0
    by_status: Dict[str, int] = _field(default_factory=dict)
    by_priority: Dict[str, int] = _field(default_factory=dict)
    state_documents: int = 0
    events_journaled: int = 0
    last_snapshot_sequence_nr: int = 0
    journal_sequence_nr: int = 0
    agents: int = 0
    oldest_ready_age: Optional[datetime.timedelta] = None
    claim_limits: Optional[ClaimLimits] = None
    retention: Optional[datetime.timedelta] = None
    purged: int = 0
    schedules: int = 0
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> Stats:
        return _build(cls, data, {"by_status": dict, "by_priority": dict, "oldest_ready_age": _span,
                                  "claim_limits": ClaimLimits.from_json, "retention": _span})


@dataclass
class ClaimLimits:
    """A namespace's claim limits; None: no such limit. ``max_claims_per_second_per_tag``: the most
    claims per second per tag (a burst of up to the rate at once). ``fair_by``: the fairness tag prefix
    (claims rotate across the groups of tasks sharing the first tag with it, within a priority); None:
    first come, first served."""
    max_claims: Optional[int] = None
    max_claims_per_agent: Optional[int] = None
    max_claims_per_tag: Dict[str, int] = _field(default_factory=dict)
    fair_by: Optional[str] = None
    max_claims_per_second_per_tag: Dict[str, float] = _field(default_factory=dict)
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> ClaimLimits:
        return _build(cls, data, {"max_claims_per_tag": dict, "max_claims_per_second_per_tag": dict})


@dataclass
class ActivityPoint:
    """One step of ``activity()``: what the journal confirmed from ``at`` on. ``failed`` counts the
    failures reported and the leases expired; ``writes`` the journal writes, ``write_mean_ms`` and
    ``write_max_ms`` their latency (0 without writes)."""
    at: Optional[datetime.datetime] = None
    defined: int = 0
    claimed: int = 0
    completed: int = 0
    failed: int = 0
    writes: int = 0
    write_mean_ms: float = 0.0
    write_max_ms: float = 0.0
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> ActivityPoint:
        return _build(cls, data, {"at": _time, "write_mean_ms": float, "write_max_ms": float})


@dataclass
class Activity:
    """A namespace's last hour, one point per ``step_seconds``, oldest first (the last one still
    running). It is kept in memory since ``since``, when the namespace's state manager started on
    its node: the steps before read zero."""
    namespace: Optional[str] = None
    since: Optional[datetime.datetime] = None
    step_seconds: int = 0
    points: List[ActivityPoint] = _field(default_factory=list)
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> Activity:
        return _build(cls, data, {"since": _time, "points": lambda items: [ActivityPoint.from_json(p) for p in items]})


@dataclass
class Agent:
    """An agent the namespace knows: registered, or seen claiming. ``completed`` and ``failed``
    count the claims it completed and reported failed, ``leases_expired`` those whose lease ran
    out while it held them."""
    agent: str = ""
    capabilities: List[str] = _field(default_factory=list)
    registered: bool = False
    registered_at: Optional[datetime.datetime] = None
    last_seen: Optional[datetime.datetime] = None
    claims_held: int = 0
    completed: int = 0
    failed: int = 0
    leases_expired: int = 0
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> Agent:
        return _build(cls, data, {"registered_at": _time, "last_seen": _time, "capabilities": list})


@dataclass
class AgentPage:
    """A page of ``list_agents``, by name; ``total`` counts every agent. As a ``TaskPage``, it may
    hold fewer than ``limit`` before the end; ``next_offset`` is where the next page starts."""
    agents: List[Agent] = _field(default_factory=list)
    total: int = 0
    offset: int = 0
    limit: int = 0
    next_offset: Optional[int] = None
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> AgentPage:
        return _build(cls, data, {"agents": lambda items: [Agent.from_json(a) for a in items]})


@dataclass
class Schedule:
    """A recurring schedule and what it has done since it was (last) defined.

    It runs on a ``cron`` expression (five fields, read in ``time_zone``, UTC when None) or every
    ``every`` (a timedelta) from ``start``; ``catch_up`` (``one``, ``all`` or ``none``) says what
    becomes of occurrences missed while the namespace was not running. Each occurrence defines a
    task ``{schedule_id}:{yyyyMMddTHHmmssZ}`` (its time in UTC, such as ``poll:20261207T091500Z``),
    READY at once, from the template (``agent``, ``task_file``, ``priority``, ``max_attempts``,
    ``payload``, ``tags``) and defined by ``schedule:{schedule_id}``. ``next_at`` is the next
    occurrence (None when none is left); ``occurrences`` counts the tasks it defined, ``missed``
    the occurrences it passed over, ``note`` says why one was last passed over for another reason
    than the catch-up policy (its task existed already, say)."""
    schedule_id: str = ""
    agent: str = ""
    task_file: str = ""
    priority: str = ""
    cron: Optional[str] = None
    time_zone: Optional[str] = None
    every: Optional[datetime.timedelta] = None
    start: Optional[datetime.datetime] = None
    catch_up: str = ""
    next_at: Optional[datetime.datetime] = None
    max_attempts: Optional[int] = None
    payload: JSON = None
    tags: List[str] = _field(default_factory=list)
    defined_at: Optional[datetime.datetime] = None
    by: str = ""
    occurrences: int = 0
    missed: int = 0
    last_occurrence: Optional[datetime.datetime] = None
    note: Optional[str] = None
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> Schedule:
        return _build(cls, data, {"every": _interval, "start": _time, "next_at": _time, "defined_at": _time,
                                  "last_occurrence": _time, "tags": list})


@dataclass
class ScheduleDefined:
    """``define_schedule``'s answer: the schedule as defined now, and ``unchanged`` when it was
    defined so already (nothing was written; its counts and next occurrence go on). A different
    definition under the same id replaces the schedule (it is not a conflict)."""
    schedule: Optional[Schedule] = None
    unchanged: bool = False
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> ScheduleDefined:
        return _build(cls, data, {"schedule": Schedule.from_json})


@dataclass
class SchedulePage:
    """A page of ``list_schedules``, by id; ``total`` counts every schedule. As a ``TaskPage``, it
    may hold fewer than ``limit`` before the end; ``next_offset`` is where the next page starts."""
    schedules: List[Schedule] = _field(default_factory=list)
    total: int = 0
    offset: int = 0
    limit: int = 0
    next_offset: Optional[int] = None
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> SchedulePage:
        return _build(cls, data, {"schedules": lambda items: [Schedule.from_json(s) for s in items]})


_Item = TypeVar("_Item")


def _every_page(fetch: Callable[[int], Any], items: Callable[[Any], List[_Item]]) -> Iterator[_Item]:
    """The items of every page, ``fetch(offset)`` after ``fetch(offset)`` until the last one."""
    offset: Optional[int] = 0
    while offset is not None:
        page = fetch(offset)
        found = items(page)
        yield from found
        offset = _next_offset(page, offset, len(found))


def _next_offset(page: Any, offset: int, items: int) -> Optional[int]:
    """Where the page after ``page`` (asked for at ``offset``) starts: its ``next_offset``, or (from
    a server older than it) after its items while they fall short of the total; None after the last."""
    if page.next_offset is not None:
        return page.next_offset
    return offset + items if items > 0 and offset + items < page.total else None


@dataclass
class ClusterMember:
    address: str = ""
    status: str = ""
    roles: List[str] = _field(default_factory=list)
    reachable: bool = False
    leader: bool = False
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> ClusterMember:
        return _build(cls, data)


@dataclass
class ClusterStatus:
    """The members, where each shard of namespaces runs (as the server's objects) and each running
    namespace's figures."""
    clustered: bool = False
    self_address: str = ""
    members: List[ClusterMember] = _field(default_factory=list)
    shards: List[Dict[str, Any]] = _field(default_factory=list)
    namespaces: List[Stats] = _field(default_factory=list)
    unanswered: List[Any] = _field(default_factory=list)
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> ClusterStatus:
        return _build(cls, data, {"members": lambda ms: [ClusterMember.from_json(m) for m in ms],
                                  "namespaces": lambda ns: [Stats.from_json(n) for n in ns]},
                      {"self": "self_address"})


@dataclass
class TaskTransition:
    """The data of a ``task-transitioned`` event."""
    task_id: str = ""
    agent: str = ""
    priority: str = ""
    entry: Optional[HistoryEntry] = None
    claim_agent: Optional[str] = None
    extra: Dict[str, Any] = _field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> TaskTransition:
        return _build(cls, data, {"entry": HistoryEntry.from_json})


@dataclass
class Event:
    """One Server-Sent Event: ``type`` is ``task-transitioned`` (``transition`` set) or ``reset``
    (``reason`` set: notices were lost; re-read the tasks, then follow on)."""
    type: str
    id: Optional[str]
    data: JSON
    transition: Optional[TaskTransition] = None

    @property
    def is_reset(self) -> bool:
        return self.type == "reset"

    @property
    def reason(self) -> Optional[str]:
        return self.data.get("reason") if isinstance(self.data, dict) else None


# --------------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------------

_NO_BODY = object()


def _segment(value: str) -> str:
    """A path segment: everything but unreserved characters escaped, ``/`` as ``%2F``."""
    if not isinstance(value, str) or value == "":
        raise ValueError("an id in a path must be a non-empty string, not %r" % (value,))
    return urllib.parse.quote(value, safe="")


def duration_seconds(value: Optional[Duration]) -> Optional[float]:
    """A duration in seconds (None for None, or for a string the server would refuse)."""
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    m = re.match(r"^(\d+)(ms|s|m|h|d)$", text)
    if m:
        return int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    span = _span(text)
    return span.total_seconds() if isinstance(span, datetime.timedelta) else None


class _Reply:
    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None


class OrchestratorClient:
    """One orchestrator's HTTP door, in one namespace.

    ``url`` defaults to ``$ORCHESTRATOR_URL`` (else http://127.0.0.1:8080), ``api_key`` to
    ``$ORCHESTRATOR_API_KEY`` (sent as ``Authorization: Bearer KEY``; never shown in a repr or an
    error), ``timeout`` is the seconds to wait for each answer (a long poll waits that much longer),
    ``ssl_context`` verifies an HTTPS server (a private CA, say).
    Thread-safe: each call is its own request.
    """

    def __init__(self, url: Optional[str] = None, api_key: Optional[str] = None, namespace: str = "default",
                 timeout: float = 30.0, ssl_context: Optional[ssl.SSLContext] = None) -> None:
        url = url or os.environ.get("ORCHESTRATOR_URL") or DEFAULT_URL
        if "://" not in url:
            url = "http://" + url
        self._url = url.rstrip("/")
        self._api_key = api_key if api_key is not None else (os.environ.get("ORCHESTRATOR_API_KEY") or None)
        self._namespace = namespace
        self._timeout = float(timeout)
        self._ssl_context = ssl_context
        self._opener = urllib.request.build_opener(_NoRedirect(), _HttpHandler(), _HttpsHandler(ssl_context))

    @property
    def url(self) -> str:
        return self._url

    @property
    def namespace(self) -> str:
        return self._namespace

    @property
    def timeout(self) -> float:
        return self._timeout

    def __repr__(self) -> str:
        return "OrchestratorClient(url=%r, namespace=%r, api_key=%s)" % (
            self._url, self._namespace, "'***'" if self._api_key else "None")

    def for_namespace(self, namespace: str) -> OrchestratorClient:
        """The same server and key, another namespace."""
        return OrchestratorClient(self._url, self._api_key, namespace, self._timeout, self._ssl_context)

    # -- tasks ---------------------------------------------------------------------------------

    def define_task(self, task_id: str, agent: str, task_file: str, priority: Optional[str] = None,
                    depends_on: Optional[Iterable[str]] = None, max_attempts: Optional[int] = None,
                    payload: JSON = None, by: Optional[str] = None, *, tags: Optional[Iterable[str]] = None,
                    not_before: Optional[Union[datetime.datetime, str]] = None) -> DefineResult:
        """Defines a task (idempotent). ``created`` is False when the identical definition was
        already there; a different one under the same id raises ``Conflict`` with ``existing``.
        ``tags`` (up to 20, such as ``"team:search"`` or ``"tenant=acme"``) find it again with
        ``list_tasks(tag=...)``. ``not_before`` (an aware ``datetime``, or an ISO 8601 string)
        schedules it: PENDING, not READY before that time."""
        if isinstance(tags, str):
            raise TypeError("tags must be an iterable of str, not one str (write tags=[%r])" % tags)
        definition = TaskDefinition(task_id, agent, task_file, priority,
                                    None if depends_on is None else list(depends_on), max_attempts, payload, by,
                                    None if tags is None else list(tags), not_before)
        reply = self._call("POST", self._ns("/tasks"), definition.to_json())
        return DefineResult(Task.from_json(reply.json()), created=reply.status == 201)

    def define_tasks(self, definitions: Iterable[Union[TaskDefinition, Mapping[str, Any]]]) -> BatchResult:
        """Defines up to 1,000 tasks in one request, decided in order (a definition may depend on an
        earlier one). Conflicts and invalid definitions are results, not exceptions."""
        items = [self._definition(d) for d in definitions]
        return BatchResult.from_json(self._call("POST", self._ns("/tasks:batch"), {"tasks": items}).json())

    def list_tasks(self, status: Optional[str] = None, agent: Optional[str] = None, priority: Optional[str] = None,
                   offset: int = 0, limit: int = 100, *, id_prefix: Optional[str] = None,
                   tag: Optional[str] = None) -> TaskPage:
        """One page of the tasks matching every filter given, in definition order. ``id_prefix``
        keeps the tasks whose id starts with it (case-sensitive), ``tag`` those carrying it."""
        query = _compact({"status": status, "agent": agent, "priority": priority, "idPrefix": id_prefix,
                          "tag": tag, "offset": offset, "limit": limit})
        return TaskPage.from_json(self._call("GET", self._ns("/tasks"), query=query).json())

    def iter_tasks(self, status: Optional[str] = None, agent: Optional[str] = None, priority: Optional[str] = None,
                   page_size: int = 100, *, id_prefix: Optional[str] = None, tag: Optional[str] = None) -> Iterator[Task]:
        """Every matching task, page after page."""
        return _every_page(lambda offset: self.list_tasks(status, agent, priority, offset=offset, limit=page_size, id_prefix=id_prefix, tag=tag),
                           lambda page: page.tasks)

    def get_task(self, task_id: str) -> Task:
        """The task with its ``payload`` and (once COMPLETED) ``result``; ``NotFound`` otherwise."""
        return Task.from_json(self._call("GET", self._task(task_id)).json())

    def get_history(self, task_id: str) -> TaskHistory:
        """The task's transitions, oldest first."""
        return TaskHistory.from_json(self._call("GET", self._task(task_id, "/history")).json())

    # -- claims --------------------------------------------------------------------------------

    def claim(self, agent: str, lease: Optional[Duration] = None, wait: Optional[Duration] = None, *,
              idempotency_key: Optional[str] = None) -> Optional[Assignment]:
        """Claims the next READY task for ``agent``, or None when there is none. With ``wait`` the
        server holds the request until one is READY or the wait is over (at most its
        ``max-claim-wait``, 5m by default). With ``idempotency_key`` (any string you choose, a UUID
        serves) the same claim sent again under the key, within 24 hours, is answered with the claim
        the first one made instead of claiming another task: send it again after ``Unavailable``."""
        body = _compact({"agent": agent, "lease": None if lease is None else format_duration(lease)})
        query = None if wait is None else {"wait": format_duration(wait)}
        extra = duration_seconds(wait) or 0.0
        reply = self._call("POST", self._ns("/claims"), body, query=query, timeout=self._timeout + extra,
                           headers=_keyed(idempotency_key))
        return None if reply.status == 204 else Assignment.from_json(reply.json())

    def heartbeat(self, task: Union[str, Assignment], agent: Optional[str] = None, claim_id: Optional[str] = None,
                  lease: Optional[Duration] = None) -> LeaseRenewal:
        """Renews the lease of a claim (``task`` an Assignment, or a task id with ``agent``)."""
        task_id, agent, claim_id = self._claim_of(task, agent, claim_id)
        body = _compact({"agent": agent, "claimId": claim_id, "lease": None if lease is None else format_duration(lease)})
        return LeaseRenewal.from_json(self._call("POST", self._task(task_id, "/heartbeat"), body).json())

    def complete(self, task: Union[str, Assignment], agent: Optional[str] = None, claim_id: Optional[str] = None,
                 result: JSON = None, *, idempotency_key: Optional[str] = None) -> Task:
        """Completes a claimed task with an optional JSON ``result``. ``idempotency_key``: as for
        ``claim``, sent again under it the completion is answered as done, not refused."""
        task_id, agent, claim_id = self._claim_of(task, agent, claim_id)
        body = _compact({"agent": agent, "claimId": claim_id, "result": result})
        return Task.from_json(self._call("POST", self._task(task_id, "/complete"), body, headers=_keyed(idempotency_key)).json())

    def fail(self, task: Union[str, Assignment], reason: str, agent: Optional[str] = None,
             claim_id: Optional[str] = None, *, idempotency_key: Optional[str] = None) -> Task:
        """Reports that a claimed task failed: FAILED until its retry, or DEAD after its last attempt.
        ``idempotency_key``: as for ``claim``."""
        task_id, agent, claim_id = self._claim_of(task, agent, claim_id)
        body = _compact({"agent": agent, "claimId": claim_id, "reason": reason})
        return Task.from_json(self._call("POST", self._task(task_id, "/fail"), body, headers=_keyed(idempotency_key)).json())

    def request_input(self, task: Union[str, Assignment], question: str, agent: Optional[str] = None,
                      claim_id: Optional[str] = None, answer_within: Optional[Duration] = None, *,
                      idempotency_key: Optional[str] = None) -> Task:
        """Asks for input before a claimed task can go on: the claim ends and the task is WAITING
        with ``question`` until ``provide_input`` answers it (then READY, and its next claim carries
        the answer as ``input``). With ``answer_within``, no answer in that time fails the attempt."""
        task_id, agent, claim_id = self._claim_of(task, agent, claim_id)
        body = _compact({"agent": agent, "claimId": claim_id, "question": question,
                         "answerWithin": None if answer_within is None else format_duration(answer_within)})
        return Task.from_json(self._call("POST", self._task(task_id, "/request-input"), body, headers=_keyed(idempotency_key)).json())

    def provide_input(self, task_id: str, input: JSON, by: Optional[str] = None, *,
                      idempotency_key: Optional[str] = None) -> Task:
        """Answers a WAITING task's question with any JSON value: it is READY again."""
        body = _compact({"input": input, "by": by})
        return Task.from_json(self._call("POST", self._task(task_id, "/provide-input"), body, headers=_keyed(idempotency_key)).json())

    def cancel_tasks(self, reason: str, *, status: Optional[str] = None, agent: Optional[str] = None,
                     priority: Optional[str] = None, id_prefix: Optional[str] = None, tag: Optional[str] = None,
                     by: Optional[str] = None, limit: Optional[int] = None) -> TasksChanged:
        """Cancels the unfinished tasks the filters match (``list_tasks``'s), up to ``limit`` (1 to
        1,000) in one event; ``more`` is True when more match: call again."""
        body = _compact({"status": status, "agent": agent, "priority": priority, "idPrefix": id_prefix, "tag": tag,
                         "reason": reason, "by": by, "limit": limit})
        return TasksChanged.from_json(self._call("POST", self._ns("/tasks:cancel"), body).json())

    def requeue_tasks(self, *, agent: Optional[str] = None, priority: Optional[str] = None,
                      id_prefix: Optional[str] = None, tag: Optional[str] = None, by: Optional[str] = None,
                      limit: Optional[int] = None) -> TasksChanged:
        """Requeues the DEAD tasks the filters match, up to ``limit`` in one event; ``more`` as for ``cancel_tasks``."""
        body = _compact({"agent": agent, "priority": priority, "idPrefix": id_prefix, "tag": tag, "by": by, "limit": limit})
        return TasksChanged.from_json(self._call("POST", self._ns("/tasks:requeue"), body).json())

    def set_claim_limits(self, max_claims: Optional[int] = None, max_claims_per_agent: Optional[int] = None,
                         max_claims_per_tag: Optional[Mapping[str, int]] = None, by: Optional[str] = None,
                         fair_by: Optional[str] = None,
                         max_claims_per_second_per_tag: Optional[Mapping[str, float]] = None) -> ClaimLimits:
        """Sets the namespace's claim limits, replacing the ones before (None: no such limit). A claim
        a limit holds back gets the next task none holds back, or None from ``claim`` (which, given a
        ``wait``, tries again when a rate limit lets a claim through). ``max_claims_per_second_per_tag``
        such as ``{"model=gpt": 2.5}`` spaces each tag's claims (0.5: one every 2 s; 0: none).
        ``fair_by``, a tag prefix such as ``"tenant="``, makes claims rotate across the groups of tasks
        that share the first tag with it, within a priority, so that one tenant's flood does not starve
        the others."""
        body = _compact({"maxClaims": max_claims, "maxClaimsPerAgent": max_claims_per_agent,
                         "maxClaimsPerTag": None if max_claims_per_tag is None else dict(max_claims_per_tag), "by": by,
                         "fairBy": fair_by,
                         "maxClaimsPerSecondPerTag": None if max_claims_per_second_per_tag is None else dict(max_claims_per_second_per_tag)})
        return ClaimLimits.from_json(self._call("PUT", self._ns("/claim-limits"), body).json())

    def purge_tasks(self, *, status: Optional[str] = None, agent: Optional[str] = None, priority: Optional[str] = None,
                    id_prefix: Optional[str] = None, tag: Optional[str] = None, finished_for: Optional[Duration] = None,
                    by: Optional[str] = None, limit: Optional[int] = None) -> TasksChanged:
        """Purges the finished tasks (COMPLETED, CANCELLED, DEAD) the filters match (``list_tasks``'s;
        ``status``, when given, one of those three, else ``Rejected`` naming ``status``) that finished
        at least ``finished_for`` ago (a duration such as ``"7d"``; any finished task when None), up
        to ``limit`` (1 to 1,000) in one event; ``more`` as for ``cancel_tasks``. A purged task is gone
        (``get_task`` raises ``NotFound``; its events stay in the journal); one that a kept task
        depends on stays."""
        body = _compact({"status": status, "agent": agent, "priority": priority, "idPrefix": id_prefix, "tag": tag,
                         "finishedFor": None if finished_for is None else format_duration(finished_for),
                         "by": by, "limit": limit})
        return TasksChanged.from_json(self._call("POST", self._ns("/tasks:purge"), body).json())

    def set_retention(self, finished_for: Optional[Duration], by: Optional[str] = None) -> Optional[datetime.timedelta]:
        """Keeps finished tasks for ``finished_for`` (a duration from 1 minute to 365 days, such as
        ``"30d"``; else ``Rejected`` naming ``finishedFor``), or for good when None. Every minute the
        server purges up to 10,000 of the oldest tasks finished longer ago than that, as
        ``purge_tasks`` does. Answers the retention now in force (also ``stats().retention``)."""
        body = dict({"finishedFor": None if finished_for is None else format_duration(finished_for)}, **_compact({"by": by}))
        reply = self._call("PUT", self._ns("/retention"), body).json()
        if not isinstance(reply, dict):
            raise OrchestratorError("the orchestrator answered something that is not a JSON object: %.200r" % (reply,))
        return _span(reply.get("finishedFor"))

    def cancel(self, task_id: str, reason: str, by: Optional[str] = None, *, idempotency_key: Optional[str] = None) -> Task:
        """Cancels an unfinished task (its PENDING dependants become DEAD). ``idempotency_key``: as for ``claim``."""
        body = _compact({"reason": reason, "by": by})
        return Task.from_json(self._call("POST", self._task(task_id, "/cancel"), body, headers=_keyed(idempotency_key)).json())

    def requeue(self, task_id: str, by: Optional[str] = None, *, idempotency_key: Optional[str] = None) -> Task:
        """Gives a DEAD task another round. ``idempotency_key``: as for ``claim`` (sent again under
        it, the requeue is answered as done and does not requeue a task that died again since)."""
        body = _NO_BODY if by is None else {"by": by}
        return Task.from_json(self._call("POST", self._task(task_id, "/requeue"), body, headers=_keyed(idempotency_key)).json())

    # -- schedules -----------------------------------------------------------------------------

    def define_schedule(self, schedule_id: str, agent: str, task_file: str, *, cron: Optional[str] = None,
                        time_zone: Optional[str] = None, every: Optional[Duration] = None,
                        start: Optional[Union[datetime.datetime, str]] = None, catch_up: Optional[str] = None,
                        priority: Optional[str] = None, max_attempts: Optional[int] = None, payload: JSON = None,
                        tags: Optional[Iterable[str]] = None, by: Optional[str] = None) -> ScheduleDefined:
        """Defines a recurring schedule, or replaces the one of that id: each occurrence defines a
        task ``{schedule_id}:{yyyyMMddTHHmmssZ}`` (UTC), READY at once, for ``agent`` with
        ``task_file``, ``priority``, ``max_attempts``, ``payload`` and ``tags``. Give exactly one of
        ``cron`` (five fields, as in crontab, read in ``time_zone``, an IANA id such as
        ``"Europe/Berlin"``; UTC by default) and ``every`` (a duration, 1 s to 366 days; the first
        occurrence is ``start``, an aware ``datetime`` or an ISO 8601 string, or one interval from
        now). ``catch_up``: ``"one"`` (the default: the latest missed occurrence), ``"all"`` or
        ``"none"``. The identical definition again writes nothing: ``unchanged`` is True. Bad input
        raises ``Rejected`` naming the field (``cron``, ``every``, ``timeZone``, ``catchUp``, ...)."""
        if isinstance(tags, str):
            raise TypeError("tags must be an iterable of str, not one str (write tags=[%r])" % tags)
        body = _compact({"agent": agent, "taskFile": task_file, "cron": cron, "timeZone": time_zone,
                         "every": None if every is None else format_duration(every), "start": _instant(start, "start"),
                         "catchUp": catch_up, "priority": priority, "maxAttempts": max_attempts, "payload": payload,
                         "tags": None if tags is None else list(tags), "by": by})
        return ScheduleDefined.from_json(self._call("PUT", self._schedule(schedule_id), body).json())

    def remove_schedule(self, schedule_id: str, by: Optional[str] = None) -> None:
        """Removes a schedule: no occurrence after this is defined (the tasks it defined stay).
        ``NotFound`` (with ``schedule_id``) when there is no such schedule."""
        self._call("DELETE", self._schedule(schedule_id), query=_compact({"by": by}))

    def list_schedules(self, offset: int = 0, limit: int = 100) -> SchedulePage:
        """One page of the namespace's schedules, by id (``limit`` 1 to 1000)."""
        return SchedulePage.from_json(self._call("GET", self._ns("/schedules"), query={"offset": offset, "limit": limit}).json())

    def iter_schedules(self, page_size: int = 100) -> Iterator[Schedule]:
        """Every schedule, page after page."""
        return _every_page(lambda offset: self.list_schedules(offset=offset, limit=page_size), lambda page: page.schedules)

    def schedules(self) -> List[Schedule]:
        """Every schedule of the namespace, by id (every page of ``list_schedules``)."""
        return list(self.iter_schedules())

    # -- state ---------------------------------------------------------------------------------

    def save_state(self, owner_id: str, key: str, value: JSON, expected_version: Optional[int] = None,
                   only_if_absent: bool = False, *, idempotency_key: Optional[str] = None) -> StateSaved:
        """Saves a JSON document. ``expected_version`` saves only at that version (If-Match),
        ``only_if_absent`` only when there is none yet (If-None-Match: *); ``Conflict`` (412) with
        ``current_version`` otherwise. ``idempotency_key``: as for ``claim`` (sent again under it, the
        save lands once and is answered with the version it made)."""
        if expected_version is not None and only_if_absent:
            raise ValueError("give expected_version or only_if_absent, not both")
        headers = _keyed(idempotency_key)
        if expected_version is not None:
            headers["If-Match"] = '"%d"' % int(expected_version)
        if only_if_absent:
            headers["If-None-Match"] = "*"
        path = self._ns("/state/%s/%s" % (_segment(owner_id), _segment(key)))
        return StateSaved.from_json(self._call("PUT", path, value, headers=headers).json())

    def get_state(self, owner_id: str, key: str) -> StateDocument:
        """A document, its version and when it was saved; ``NotFound`` when there is none."""
        reply = self._call("GET", self._ns("/state/%s/%s" % (_segment(owner_id), _segment(key))))
        etag = (reply.headers.get("ETag") or "").strip().strip('"')
        saved_at = None
        modified = reply.headers.get("Last-Modified")
        if modified:
            try:
                saved_at = email.utils.parsedate_to_datetime(modified)
            except (TypeError, ValueError):
                saved_at = None
        return StateDocument(owner_id, key, int(etag) if etag.isdigit() else 0, reply.json(), saved_at)

    # -- information ---------------------------------------------------------------------------

    def stats(self) -> Stats:
        return Stats.from_json(self._call("GET", self._ns("/stats")).json())

    def activity(self, step_seconds: int = 60) -> Activity:
        """What the namespace's journal confirmed over the last hour, one point per ``step_seconds``
        (a multiple of 5 from 5 to 3600; ``Rejected`` otherwise), oldest first."""
        return Activity.from_json(self._call("GET", self._ns("/activity"), query={"stepSeconds": step_seconds}).json())

    def list_agents(self, offset: int = 0, limit: int = 100) -> AgentPage:
        """One page of the agents the namespace knows, by name (``limit`` 1 to 1000)."""
        return AgentPage.from_json(self._call("GET", self._ns("/agents"), query={"offset": offset, "limit": limit}).json())

    def iter_agents(self, page_size: int = 100) -> Iterator[Agent]:
        """Every agent, page after page."""
        return _every_page(lambda offset: self.list_agents(offset=offset, limit=page_size), lambda page: page.agents)

    def agents(self) -> List[Agent]:
        """Every agent the namespace knows, by name (every page of ``list_agents``)."""
        return list(self.iter_agents())

    def register_agent(self, agent: str, capabilities: Optional[Iterable[str]] = None) -> Agent:
        body = _compact({"agent": agent, "capabilities": None if capabilities is None else list(capabilities)})
        return Agent.from_json(self._call("POST", self._ns("/agents"), body).json())

    def cluster_status(self) -> ClusterStatus:
        return ClusterStatus.from_json(self._call("GET", "/v1/cluster").json())

    # -- events --------------------------------------------------------------------------------

    def events(self, agent: Optional[str] = None, task_id: Optional[str] = None, last_event_id: Optional[str] = None,
               reconnect: bool = True, retry_delay: float = 1.0, read_timeout: float = 60.0) -> EventStream:
        """Follows the namespace's transitions (Server-Sent Events). The stream is connected when
        this returns, so nothing that happens after is missed. Iterating yields ``Event``s; a lost
        connection is reopened with ``Last-Event-ID`` (missed notices are replayed, or a ``reset``
        event says they are gone). Close it (or use ``with``) when done."""
        query = _compact({"agent": agent, "taskId": task_id})
        return EventStream(self, self._ns("/events"), query, last_event_id, reconnect, retry_delay, read_timeout)

    # -- plumbing ------------------------------------------------------------------------------

    def _ns(self, path: str) -> str:
        return "/v1/namespaces/%s%s" % (_segment(self._namespace), path)

    def _task(self, task_id: str, suffix: str = "") -> str:
        return self._ns("/tasks/%s%s" % (_segment(task_id), suffix))

    def _schedule(self, schedule_id: str) -> str:
        return self._ns("/schedules/%s" % _segment(schedule_id))

    @staticmethod
    def _claim_of(task: Union[str, Assignment], agent: Optional[str], claim_id: Optional[str]) -> Tuple[str, Optional[str], Optional[str]]:
        if isinstance(task, Assignment):
            return task.task_id, agent or task.claim_agent, claim_id or task.claim_id
        if not claim_id:
            # The claim id fences the claim; only the claimer has it (a task shows its public part only).
            raise ValueError(f"claim_id is required with a task id ('{task}'): pass the Assignment that claim() returned, "
                             "or its claim_id")
        return task, agent, claim_id

    @staticmethod
    def _definition(item: Union[TaskDefinition, Mapping[str, Any]]) -> Any:
        if isinstance(item, TaskDefinition):
            return item.to_json()
        if item is None:
            return None
        renamed = {}
        for key, value in dict(item).items():
            camel = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), key)
            renamed[camel] = value
        return renamed

    def _open(self, method: str, path: str, body: Any = _NO_BODY, query: Optional[Mapping[str, Any]] = None,
              headers: Optional[Mapping[str, str]] = None, timeout: Optional[float] = None) -> Any:
        """The open response of a 2xx; raises the mapped error otherwise."""
        url = self._url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None
        all_headers = {"Accept": "application/json", "User-Agent": "orchestrator-client-python/" + __version__}
        if body is not _NO_BODY:
            data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        if self._api_key:
            all_headers["Authorization"] = "Bearer " + self._api_key
        request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
        try:
            return self._opener.open(request, timeout=self._timeout if timeout is None else timeout)
        except urllib.error.HTTPError as error:
            try:
                content = error.read()
            except (OSError, http.client.HTTPException):
                content = b""
            finally:
                error.close()
            raise _error(error.code, error.reason if isinstance(error.reason, str) else "", error.headers, content) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            raise _unreachable(self._url, method, path, error) from error

    def _call(self, method: str, path: str, body: Any = _NO_BODY, query: Optional[Mapping[str, Any]] = None,
              headers: Optional[Mapping[str, str]] = None, timeout: Optional[float] = None) -> _Reply:
        response = self._open(method, path, body, query, headers, timeout)
        try:
            with response:
                content = response.read()
                return _Reply(response.status, response.headers, content)
        except (OSError, http.client.HTTPException) as error:
            raise _unreachable(self._url, method, path, error) from error


def _unreachable(url: str, method: str, path: str, error: BaseException) -> Unavailable:
    reason = getattr(error, "reason", None) or error
    if isinstance(reason, socket.timeout) or "timed out" in str(reason):
        return Unavailable("orchestrator at %s did not answer %s %s in time (%s)" % (url, method, path, reason))
    return Unavailable("orchestrator not reachable at %s (%s %s: %s)" % (url, method, path, reason))


class _AnswerBeforeBody:
    """A server may answer before it has read the whole body (413: the body is over its
    max-request-body-size) and close: the send then breaks, but its answer is there to read."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().request(*args, **kwargs)  # type: ignore[misc]
        except (BrokenPipeError, ConnectionResetError):
            if getattr(self, "sock", None) is None:
                raise
            # getresponse() comes next: it reads the answer, or fails with the connection error.


class _Connection(_AnswerBeforeBody, http.client.HTTPConnection):
    pass


class _SecureConnection(_AnswerBeforeBody, http.client.HTTPSConnection):
    pass


class _HttpHandler(urllib.request.HTTPHandler):
    def http_open(self, req: Any) -> Any:
        return self.do_open(_Connection, req)


class _HttpsHandler(urllib.request.HTTPSHandler):
    def __init__(self, context: Optional[ssl.SSLContext] = None) -> None:
        super().__init__(context=context)
        self._ssl_context = context

    def https_open(self, req: Any) -> Any:
        return self.do_open(_SecureConnection, req, context=self._ssl_context)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """The door never redirects; a redirect (a proxy, a login page) is reported, not followed with the key."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


class EventStream:
    """An open ``events()`` stream: iterate for ``Event``s; ``close()`` (from any thread) to stop.

    ``last_event_id`` is the id of the last event received (what a reconnect sends);
    ``reconnects`` counts the connections reopened after one was lost.
    """

    def __init__(self, client: OrchestratorClient, path: str, query: Mapping[str, Any], last_event_id: Optional[str],
                 reconnect: bool, retry_delay: float, read_timeout: float) -> None:
        self._client = client
        self._path = path
        self._query = dict(query)
        self.last_event_id = last_event_id
        self._reconnect = reconnect
        self._retry = retry_delay
        self._read_timeout = read_timeout
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._response: Any = None
        self.reconnects = 0
        self._connect()

    def _connect(self) -> None:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        response = self._client._open("GET", self._path, query=self._query, headers=headers, timeout=self._read_timeout)
        with self._lock:
            if self._closed.is_set():
                response.close()
                return
            self._response = response

    def __iter__(self) -> EventStream:
        return self

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - best effort at interpreter exit
            pass

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        """Stops the stream; an iteration blocked in another thread ends (StopIteration)."""
        self._closed.set()
        self._drop()

    def _drop(self) -> None:
        with self._lock:
            response, self._response = self._response, None
        if response is None:
            return
        sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        try:
            response.close()
        except Exception:
            pass

    def __next__(self) -> Event:
        while not self._closed.is_set():
            if self._response is None:
                try:
                    self._connect()
                except Unavailable:
                    if not self._reconnect:
                        raise
                    self.reconnects += 1
                    self._closed.wait(self._retry)
                    continue
                continue
            event = None
            try:
                event = self._read(self._response)
            except Exception:
                if self._closed.is_set():
                    break
                event = None
            if event is not None:
                return event
            # The connection ended (or broke, or went silent past read_timeout).
            self._drop()
            if not self._reconnect or self._closed.is_set():
                break
            self.reconnects += 1
            if self._closed.wait(self._retry):
                break
        self._drop()
        raise StopIteration

    def _read(self, response: Any) -> Optional[Event]:
        """The next event of the stream, or None at its end."""
        kind, data, seen, event_id = "message", [], False, None
        while True:
            raw = response.readline()
            if not raw:
                return None
            line = raw.decode("utf-8").rstrip("\r\n")
            if line == "":
                if not seen:
                    continue
                text = "\n".join(data)
                try:
                    value: Any = json.loads(text)
                except ValueError:
                    value = text
                transition = TaskTransition.from_json(value) if kind == "task-transitioned" and isinstance(value, dict) else None
                if event_id is not None:
                    self.last_event_id = event_id
                return Event(kind, self.last_event_id, value, transition)
            if line.startswith(":"):
                continue
            name, _, rest = line.partition(":")
            if rest.startswith(" "):
                rest = rest[1:]
            if name == "event":
                kind, seen = rest, True
            elif name == "data":
                data.append(rest)
                seen = True
            elif name == "id":
                if "\0" not in rest:
                    event_id, seen = rest, True
            elif name == "retry":
                if rest.isdigit():
                    self._retry = int(rest) / 1000.0
