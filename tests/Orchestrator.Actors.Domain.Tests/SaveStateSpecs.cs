using System.Text;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

public sealed class SaveStateSpecs
{
    private static readonly DomainLimits SmallDocuments = new(MaxDocumentBytes: 64);

    /// <summary>A JSON string literal of exactly <paramref name="bytes"/> UTF-8 bytes, starting with <paramref name="prefix"/>.</summary>
    private static string JsonStringOfBytes(int bytes, string prefix = "")
    {
        var padding = bytes - 2 - Encoding.UTF8.GetByteCount(prefix);
        var json = "\"" + prefix + new string('a', padding) + "\"";
        Assert.Equal(bytes, Encoding.UTF8.GetByteCount(json));
        return json;
    }

    [Fact]
    public void First_save_journals_version_1_and_replies_saved_at_version_1()
    {
        var decision = Decide(OrchestratorState.Empty, new SaveState("agent-a", "progress", """{"step":1}"""), T0);

        var saved = Assert.IsType<StateSavedEvent>(Assert.Single(decision.Events));
        Assert.Equal(new StateSavedEvent("agent-a", "progress", """{"step":1}""", 1, T0), saved);
        Assert.Equal(new StateSaved("agent-a", "progress", 1), decision.Reply);
    }

    [Fact]
    public void A_namespace_at_max_documents_refuses_a_new_document_naming_the_limit_but_saves_over_one_that_exists()
    {
        var limits = new DomainLimits(MaxDocuments: 2);
        var state = Given(new SaveState("agent-a", "one", "1"), new SaveState("agent-a", "two", "2"));

        var beyond = Decide(state, new SaveState("agent-b", "three", "3"), T2, limits);
        var over = Decide(state, new SaveState("agent-a", "two", "22"), T2, limits);

        var rejected = AssertRejected(beyond, "key");
        Assert.Equal("three", rejected.Value);
        Assert.Contains("would be document 3 of the namespace: it holds at most orchestrator.limits.max-documents = 2", rejected.Reason);
        Assert.Equal(2, Assert.IsType<StateSaved>(over.Reply).Version);
    }

    [Fact]
    public void Second_save_journals_version_2()
    {
        var state = Given(new SaveState("agent-a", "progress", """{"step":1}"""));

        var decision = Decide(state, new SaveState("agent-a", "progress", """{"step":2}"""), T2);

        Assert.Equal(new StateSavedEvent("agent-a", "progress", """{"step":2}""", 2, T2), Assert.Single(decision.Events));
        Assert.Equal(new StateSaved("agent-a", "progress", 2), decision.Reply);
    }

    [Fact]
    public void Saved_document_is_read_back_at_its_latest_version()
    {
        var state = Given(
            new SaveState("agent-a", "progress", """{"step":1}"""),
            new SaveState("agent-a", "progress", """{"step":2}"""));

        var reply = Ask(state, new GetState("agent-a", "progress"));

        Assert.Equal(new StateDocument("agent-a", "progress", """{"step":2}""", 2, T1), reply);
    }

    [Fact]
    public void Versions_count_per_owner_and_key()
    {
        var state = Given(
            new SaveState("agent-a", "progress", "1"),
            new SaveState("agent-a", "progress", "2"));

        var otherKey = Decide(state, new SaveState("agent-a", "notes", "1"));
        var otherOwner = Decide(state, new SaveState("agent-b", "progress", "1"));

        Assert.Equal(new StateSaved("agent-a", "notes", 1), otherKey.Reply);
        Assert.Equal(new StateSaved("agent-b", "progress", 1), otherOwner.Reply);
    }

    [Fact]
    public void Expected_version_0_saves_a_new_document()
    {
        var decision = Decide(OrchestratorState.Empty, new SaveState("agent-a", "progress", "{}", ExpectedVersion: 0));

        Assert.Single(decision.Events);
        Assert.Equal(new StateSaved("agent-a", "progress", 1), decision.Reply);
    }

    [Fact]
    public void Expected_version_equal_to_the_current_version_saves_the_next_version()
    {
        var state = Given(new SaveState("agent-a", "progress", "{}"));

        var decision = Decide(state, new SaveState("agent-a", "progress", "[]", ExpectedVersion: 1));

        Assert.Single(decision.Events);
        Assert.Equal(new StateSaved("agent-a", "progress", 2), decision.Reply);
    }

    [Theory]
    [InlineData(0, 2)]  // "must not exist yet", but it does
    [InlineData(1, 2)]  // stale
    [InlineData(3, 2)]  // from the future
    public void Expected_version_other_than_the_current_is_a_conflict_without_an_event(long expected, long current)
    {
        // Given a document at version 2
        var state = Given(
            new SaveState("agent-a", "progress", "{}"),
            new SaveState("agent-a", "progress", "{}"));

        // When it is saved expecting another version
        var decision = Decide(state, new SaveState("agent-a", "progress", "{}", expected));

        // Then nothing is journaled and the conflict names the current version
        Assert.Empty(decision.Events);
        Assert.Equal(new StateVersionConflict("agent-a", "progress", expected, current), decision.Reply);
    }

    [Fact]
    public void Expected_version_on_a_missing_document_is_a_conflict_at_version_0()
    {
        var decision = Decide(OrchestratorState.Empty, new SaveState("agent-a", "progress", "{}", ExpectedVersion: 1));

        Assert.Empty(decision.Events);
        Assert.Equal(new StateVersionConflict("agent-a", "progress", 1, 0), decision.Reply);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(long.MinValue)]
    public void Negative_expected_version_is_rejected(long expected)
    {
        var decision = Decide(OrchestratorState.Empty, new SaveState("agent-a", "progress", "{}", expected));

        var rejected = AssertRejected(decision, "expectedVersion");
        Assert.Equal(expected.ToString(), rejected.Value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("not json")]
    [InlineData("""{"a":}""")]
    [InlineData("""{"a":1} trailing""")]
    [InlineData("{'a':1}")]
    public void Invalid_json_is_rejected_naming_the_json_field(string json)
    {
        var decision = Decide(OrchestratorState.Empty, new SaveState("agent-a", "progress", json));

        var rejected = AssertRejected(decision, "json");
        Assert.Contains("JSON", rejected.Reason);
    }

    [Fact]
    public void Missing_json_is_rejected()
    {
        var decision = Decide(OrchestratorState.Empty, new SaveState("agent-a", "progress", null!));

        AssertRejected(decision, "json");
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("42")]
    [InlineData("\"text\"")]
    [InlineData("""{"nested":{"list":[1,2,{"x":null}]}}""")]
    public void Any_well_formed_json_value_is_saved_as_given(string json)
    {
        var decision = Decide(OrchestratorState.Empty, new SaveState("agent-a", "progress", json));

        Assert.Equal(json, Assert.IsType<StateSavedEvent>(Assert.Single(decision.Events)).Json);
    }

    [Theory]
    [InlineData("")]
    [InlineData("é")]   // 2 bytes in UTF-8, 1 character
    [InlineData("€")]   // 3 bytes in UTF-8, 1 character
    [InlineData("😀")]  // 4 bytes in UTF-8, 2 characters
    public void Document_of_exactly_the_byte_limit_is_saved(string prefix)
    {
        var json = JsonStringOfBytes(64, prefix);

        var decision = Decide(OrchestratorState.Empty, new SaveState("agent-a", "progress", json), limits: SmallDocuments);

        Assert.Equal(json, Assert.IsType<StateSavedEvent>(Assert.Single(decision.Events)).Json);
    }

    [Theory]
    [InlineData("")]
    [InlineData("é")]
    [InlineData("€")]
    [InlineData("😀")]
    public void Document_one_byte_over_the_limit_is_rejected(string prefix)
    {
        // With a multi-byte character the document has fewer characters than bytes,
        // so only a byte count catches it.
        var json = JsonStringOfBytes(65, prefix);

        var decision = Decide(OrchestratorState.Empty, new SaveState("agent-a", "progress", json), limits: SmallDocuments);

        var rejected = AssertRejected(decision, "json");
        Assert.Contains("65", rejected.Reason);
        Assert.Contains("64", rejected.Reason);
    }

    [Fact]
    public void Multi_byte_document_within_the_character_count_but_over_the_byte_limit_is_rejected()
    {
        // 22 characters of 3 bytes each plus two quotes: 24 characters, 68 bytes.
        var json = "\"" + new string('€', 22) + "\"";
        Assert.True(json.Length <= 64);

        var decision = Decide(OrchestratorState.Empty, new SaveState("agent-a", "progress", json), limits: SmallDocuments);

        AssertRejected(decision, "json");
    }

    [Fact]
    public void Oversized_document_is_not_echoed_in_the_rejection()
    {
        var json = JsonStringOfBytes(65);

        var decision = Decide(OrchestratorState.Empty, new SaveState("agent-a", "progress", json), limits: SmallDocuments);

        Assert.Null(AssertRejected(decision, "json").Value);
    }

    [Theory]
    [InlineData("", "progress", "ownerId")]
    [InlineData("agent a", "progress", "ownerId")]
    [InlineData("agent#a", "progress", "ownerId")]
    [InlineData("agent-a", "", "key")]
    [InlineData("agent-a", "my key", "key")]
    [InlineData("agent-a", "key?", "key")]
    public void Invalid_owner_or_key_is_rejected_naming_the_field(string owner, string key, string field)
    {
        var decision = Decide(OrchestratorState.Empty, new SaveState(owner, key, "{}"));

        AssertRejected(decision, field);
    }

    [Fact]
    public void Owner_or_key_longer_than_200_characters_is_rejected()
    {
        var longOwner = Decide(OrchestratorState.Empty, new SaveState(new string('o', 201), "k", "{}"));
        var longKey = Decide(OrchestratorState.Empty, new SaveState("o", new string('k', 201), "{}"));
        var longest = Decide(OrchestratorState.Empty, new SaveState(new string('o', 200), new string('k', 200), "{}"));

        AssertRejected(longOwner, "ownerId");
        AssertRejected(longKey, "key");
        Assert.Single(longest.Events);
    }

    [Fact]
    public void Rejected_save_leaves_the_version_unchanged()
    {
        var state = Given(new SaveState("agent-a", "progress", "{}"));

        var rejected = Decide(state, new SaveState("agent-a", "progress", "{"));
        state = OrchestratorDomain.ApplyAll(state, rejected.Events);
        var next = Decide(state, new SaveState("agent-a", "progress", "{}"));

        Assert.Equal(new StateSaved("agent-a", "progress", 2), next.Reply);
    }
}
