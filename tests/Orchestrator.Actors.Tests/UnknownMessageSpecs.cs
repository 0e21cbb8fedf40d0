using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>Messages the orchestrator does not know are logged and answered, and never reach (or restart) the state manager.</summary>
public sealed class UnknownMessageSpecs(ITestOutputHelper output) : SqliteSpec(output)
{
    [Fact]
    public async Task An_unknown_message_is_answered_as_rejected_and_the_state_manager_keeps_serving()
    {
        await StateManager.Define("before");
        var probe = CreateTestProbe();

        StateManager.Tell("hello, orchestrator", probe.Ref);
        StateManager.Tell(new Uri("https://example.org/not-a-request"), probe.Ref);

        Assert.Equal(("message", "String"), Of(probe.ExpectMsg<CommandRejected>()));
        Assert.Equal(("message", "Uri"), Of(probe.ExpectMsg<CommandRejected>()));
        await StateManager.Define("after");
        var stats = await StateManager.Expect<StatsReport>(Protocol.Queries.GetStats.Instance);
        Assert.Equal(2, stats.Tasks);
    }

    [Fact]
    public void A_stray_reply_is_not_answered_so_two_orchestrators_cannot_loop()
    {
        var probe = CreateTestProbe();

        StateManager.Tell(new TaskNotFound("t-1"), probe.Ref);
        StateManager.Tell(new CommandRejected("message", "String", "unknown"), probe.Ref);

        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    private static (string, string?) Of(CommandRejected r) => (r.Field, r.Value);
}
