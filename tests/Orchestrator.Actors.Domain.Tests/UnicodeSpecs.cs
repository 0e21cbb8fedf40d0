using Orchestrator.Actors.Protocol.Commands;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

/// <summary>Text that is not valid Unicode is bad input, answered as such, never an exception.</summary>
public sealed class UnicodeSpecs
{
    [Fact]
    public void A_document_with_a_lone_surrogate_is_rejected_naming_json()
    {
        // Built at run time: xunit's theory data would turn a lone surrogate into U+FFFD.
        foreach (var json in new[] { "\"a" + (char)0xD800 + "\"", "{\"k\":\"" + (char)0xDC00 + "\"}" })
        {
            var decision = Decide(OrchestratorState.Empty, new SaveState("owner", "key", json));

            Assert.Contains("Unicode", AssertRejected(decision, "json").Reason);
        }
    }

    [Fact]
    public void An_agent_or_task_file_with_a_lone_surrogate_is_rejected()
    {
        Assert.Contains("Unicode", AssertRejected(Decide(OrchestratorState.Empty, new DefineTask("t", "ag\ud800", "f.md")), "agent").Reason);
        Assert.Contains("Unicode", AssertRejected(Decide(OrchestratorState.Empty, new DefineTask("t", "a", "f\udfff.md")), "taskFile").Reason);
    }

    [Fact]
    public void Paired_surrogates_are_fine()
    {
        var decision = Decide(OrchestratorState.Empty, new SaveState("owner", "key", "\"😀\""));

        Assert.Single(decision.Events);
    }
}
