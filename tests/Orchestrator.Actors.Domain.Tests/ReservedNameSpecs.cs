using Orchestrator.Actors.Protocol.Commands;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

/// <summary>
/// "orchestrator" and "operator" name causes in the history that are not agents (timers, and cancels
/// or requeues without a name), so no agent may take them, and no one may act as the orchestrator.
/// </summary>
public sealed class ReservedNameSpecs
{
    public static TheoryData<string> Reserved => new("orchestrator", "operator");

    [Theory]
    [MemberData(nameof(Reserved))]
    public void An_agent_may_not_claim_register_or_be_the_target_of_a_task_under_a_reserved_name(string name)
    {
        var scenario = new Scenario().Given(Task("t-1", "*"));

        AssertRejected(scenario.Decide(new ClaimTask(name)), "agent");
        AssertRejected(scenario.Decide(new RegisterAgent(name)), "agent");
        AssertRejected(scenario.Decide(Task("t-2", name)), "agent");
        AssertRejected(scenario.Decide(new Heartbeat("t-1", name)), "agent");
    }

    [Fact]
    public void No_one_may_act_by_the_orchestrator_s_name()
    {
        var scenario = new Scenario().Given(Task("t-1", "*"));

        AssertRejected(scenario.Decide(new CancelTask("t-1", "why not", "orchestrator")), "by");
        AssertRejected(scenario.Decide(new RequeueDeadTask("t-1", "orchestrator")), "by");
        AssertRejected(scenario.Decide(new DefineTask("t-2", "*", "f.md", By: "orchestrator")), "by");
    }

    [Fact]
    public void An_operator_may_sign_a_cancel_as_operator()
    {
        var scenario = new Scenario().Given(Task("t-1", "*"));

        scenario.Given(new CancelTask("t-1", "not needed", "operator"));

        Assert.Equal("operator", scenario["t-1"].History[^1].By);
    }
}
