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

    public static TheoryData<string> ControlCharacters => new() { "\u001b[31m", "\n", "\r", "\t", "\u0000", "\u0007", "\u007f", "\u009b" };

    [Theory]
    [MemberData(nameof(ControlCharacters))]
    public void A_name_with_a_control_character_is_rejected_naming_the_field_and_echoing_it_escaped(string control)
    {
        var name = "agent" + control + "x";
        var escaped = string.Concat(name.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        var state = Given(Define("t-1", "agent-a"));
        var rejections = new[]
        {
            AssertRejected(Decide(state, new DefineTask("t", name, "f.md")), "agent"),
            AssertRejected(Decide(state, new DefineTask("t", "a", "tasks/" + name + ".md")), "taskFile"),
            AssertRejected(Decide(state, new ClaimTask(name)), "agent"),
            AssertRejected(Decide(state, new RegisterAgent("reviewer", ["ok", name])), "capabilities"),
            AssertRejected(Decide(state, new CancelTask("t-1", "not needed", name)), "by"),
        };

        Assert.All(rejections, r => Assert.Contains("control character", r.Reason));
        // The echo never carries the character itself: it reaches terminals and logs.
        Assert.All(rejections, r => Assert.DoesNotContain(r.Value!, c => char.IsControl(c)));
        Assert.Equal(escaped, rejections[0].Value);
    }

    [Fact]
    public void Free_text_may_hold_newlines_and_tabs()
    {
        var state = Given(Define("t-1", "agent-a"));

        Assert.Single(Decide(state, new CancelTask("t-1", "first line\nsecond\tline", "ops")).Events);
    }

    [Fact]
    public void Paired_surrogates_are_fine()
    {
        var decision = Decide(OrchestratorState.Empty, new SaveState("owner", "key", "\"😀\""));

        Assert.Single(decision.Events);
    }
}
