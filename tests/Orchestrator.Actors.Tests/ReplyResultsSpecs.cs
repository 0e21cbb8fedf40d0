using Microsoft.AspNetCore.Http;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Server.Http;
using Orchestrator.Server.Json;

namespace Orchestrator.Actors.Tests;

/// <summary>The one mapping from the client's failures to HTTP problems.</summary>
public sealed class ReplyResultsSpecs
{
    private static readonly TaskView Task = new("t1", "a", "f", TaskPriority.High, TaskState.Claimed, DateTimeOffset.UnixEpoch, MaxAttempts: 3);

    public static TheoryData<string, int> Failures => new()
    {
        { "rejected", 400 }, { "definition-conflict", 409 }, { "transition-rejected", 409 }, { "stale-claim", 409 },
        { "version-conflict", 412 }, { "key-reused", 422 }, { "task-not-found", 404 }, { "state-not-found", 404 }, { "unavailable", 503 }, { "unreachable", 503 },
    };

    private static OrchestratorException Failure(string kind) => kind switch
    {
        "rejected" => new OrchestratorRejectedException(new CommandRejected("taskId", "bad id", "contains ' '")),
        "definition-conflict" => new OrchestratorConflictException(new TaskDefinitionConflict("t1", Task), "conflict"),
        "transition-rejected" => new OrchestratorConflictException(new TransitionRejected("t1", TaskState.Dead, "cancel", "it is over"), "rejected"),
        "stale-claim" => new OrchestratorConflictException(new StaleClaim("t1", "a", "claim-1", TaskState.Ready, "expired"), "stale"),
        "version-conflict" => new OrchestratorConflictException(new StateVersionConflict("o", "k", 1, 2), "version"),
        "key-reused" => new OrchestratorConflictException(new IdempotencyKeyReused("k-1", DateTimeOffset.UnixEpoch, "ClaimTask"), "reused"),
        "task-not-found" => new OrchestratorNotFoundException(new TaskNotFound("t1"), "no task 't1'"),
        "state-not-found" => new OrchestratorNotFoundException(new StateNotFound("o", "k"), "no state 'o/k'"),
        "unavailable" => new OrchestratorUnavailableException(new OrchestratorUnavailable("restarting")),
        _ => new OrchestratorUnreachableException("no answer within 10s"),
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Each_kind_of_failure_has_its_status_and_only_503_asks_for_a_retry(string kind, int status)
    {
        var context = new DefaultHttpContext();

        var problem = ReplyResults.Problem(Failure(kind));
        ReplyResults.Result(context, problem);

        Assert.Equal(status, problem.Status);
        Assert.False(string.IsNullOrWhiteSpace(problem.Detail));
        Assert.Equal(status == 503 ? "1" : "", context.Response.Headers.RetryAfter.ToString());
    }

    [Fact]
    public void The_problems_carry_the_facts_of_their_replies()
    {
        var rejected = ReplyResults.Problem(Failure("rejected"));
        Assert.Equal(("taskId", "bad id"), (rejected.Extensions["field"], rejected.Extensions["value"]));
        Assert.Contains("contains ' '", rejected.Detail);

        var existing = Assert.IsType<TaskShape>(ReplyResults.Problem(Failure("definition-conflict")).Extensions["existing"]);
        Assert.Equal(("t1", TaskPriority.High), (existing.TaskId, existing.Priority));

        var transition = ReplyResults.Problem(Failure("transition-rejected"));
        Assert.Equal(("DEAD", "cancel"), (transition.Extensions["taskStatus"], transition.Extensions["action"]));

        var reused = ReplyResults.Problem(Failure("key-reused"));
        Assert.Equal(("k-1", "1970-01-01T00:00:00.0000000+00:00", "ClaimTask"), (reused.Extensions["idempotencyKey"], reused.Extensions["usedAt"], reused.Extensions["request"]));

        var stale = ReplyResults.Problem(Failure("stale-claim"));
        Assert.Equal(("claim-1", "READY"), (stale.Extensions["claimId"], stale.Extensions["taskStatus"]));

        var version = ReplyResults.Problem(Failure("version-conflict"));
        Assert.Equal((1L, 2L), (version.Extensions["expectedVersion"], version.Extensions["currentVersion"]));

        Assert.Equal("t1", ReplyResults.Problem(Failure("task-not-found")).Extensions["taskId"]);
        Assert.Equal(("o", "k"), (ReplyResults.Problem(Failure("state-not-found")).Extensions["ownerId"], ReplyResults.Problem(Failure("state-not-found")).Extensions["key"]));
        Assert.Equal("restarting", ReplyResults.Problem(Failure("unavailable")).Extensions["reason"]);
    }
}
