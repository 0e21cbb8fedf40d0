namespace Orchestrator.Actors.Tests;

/// <summary>
/// The chaos soak's checker (tests/Shared/SoakChecker.cs) finds each kind of broken promise: a soak
/// that reports "0 lost" is only worth as much as a checker that would have said otherwise.
/// </summary>
public sealed class SoakCheckerSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    // Two tasks: "a" claimed by claim-1 (lease to T0+2s, renewed to T0+3s) and completed; "b" depends
    // on "a", claimed by claim-2, failed, then claimed by claim-3 after claim-2's failure and still
    // held until T0+9s. One document saved at versions 1 and 2.
    private static List<Acknowledged> Ledger() =>
    [
        new AckDefined("http", "a", []),
        new AckDefined("remoting", "b", ["a"]),
        new AckLease("http", "a", "claim-1", T0.AddSeconds(2), Claim: true),
        new AckLease("http", "a", "claim-1", T0.AddSeconds(3), Claim: false),
        new AckEnded("http", "a", "claim-1", Completed: true),
        new AckLease("remoting", "b", "claim-2", T0.AddSeconds(6), Claim: true),
        new AckEnded("remoting", "b", "claim-2", Completed: false),
        new AckLease("remoting", "b", "claim-3", T0.AddSeconds(9), Claim: true),
        new AckSaved("http", "soak", "agent-1", 1, """{"n":1}"""),
        new AckSaved("remoting", "soak", "agent-1", 2, """{"n":2}"""),
    ];

    private static SeenTask A(params SeenEntry[] history) =>
        new("a", "COMPLETED", [], null, null, history.Length > 0 ? history :
        [
            new SeenEntry("task-defined", null, T0),
            new SeenEntry("task-claimed", "claim-1", T0.AddSeconds(0.1)),
            new SeenEntry("task-completed", "claim-1", T0.AddSeconds(2.5)),
        ], 0);

    private static SeenTask B(params SeenEntry[] history) =>
        new("b", "CLAIMED", ["a"], "claim-3", T0.AddSeconds(9), history.Length > 0 ? history :
        [
            new SeenEntry("task-defined", null, T0),
            new SeenEntry("dependencies-met", null, T0.AddSeconds(2.5)),
            new SeenEntry("task-claimed", "claim-2", T0.AddSeconds(4)),
            new SeenEntry("task-failed", "claim-2", T0.AddSeconds(5)),
            new SeenEntry("retry-due", null, T0.AddSeconds(6)),
            new SeenEntry("task-claimed", "claim-3", T0.AddSeconds(7)),
        ], 0);

    private static SoakObservation Seen(SeenTask? a = null, SeenTask? b = null, SeenDocument? document = null) =>
        new(new[] { a ?? A(), b ?? B() }.ToDictionary(t => t.TaskId),
            new Dictionary<(string, string), SeenDocument> { [("soak", "agent-1")] = document ?? new SeenDocument("soak", "agent-1", 2, """{"n":2}""") });

    private static IReadOnlyList<string> Check(SoakObservation seen, List<Acknowledged>? ledger = null, Dictionary<(string Owner, string Key), long>? versions = null) =>
        SoakChecker.Check(ledger ?? Ledger(), seen, versions ?? []);

    [Fact]
    public void A_state_that_keeps_every_acknowledged_operation_passes()
    {
        Assert.Empty(Check(Seen()));
    }

    [Fact]
    public void A_later_save_the_ledger_missed_may_raise_the_version()
    {
        Assert.Empty(Check(Seen(document: new SeenDocument("soak", "agent-1", 3, """{"n":"unknown outcome"}"""))));
    }

    [Fact]
    public void A_task_whose_definition_was_acknowledged_but_is_gone_is_named()
    {
        var seen = new SoakObservation(new Dictionary<string, SeenTask> { ["b"] = B() }, Seen().Documents);
        Assert.Contains(Check(seen), v => v.StartsWith("task 'a': definition acknowledged over http, but the task is gone"));
    }

    [Fact]
    public void An_acknowledged_completion_not_in_the_state_is_named()
    {
        var violations = Check(Seen(a: A() with { Status = "READY", History = A().History.Take(2).ToList() }));
        Assert.Contains("task 'a': completion acknowledged under claim-1, but the task is READY", violations);
        Assert.Contains("task 'a': task-completed under claim-1 acknowledged over http, but not in its history", violations);
    }

    [Fact]
    public void An_acknowledged_failure_missing_from_the_history_is_named()
    {
        var history = B().History.Where(h => h.Event != "task-failed").ToList();
        Assert.Contains(Check(Seen(b: B() with { History = history })), v => v.Contains("task-failed under claim-2 acknowledged over remoting, but not in its history"));
    }

    [Fact]
    public void An_acknowledged_claim_missing_from_the_history_is_named()
    {
        var history = B().History.Where(h => h.ClaimId != "claim-3").ToList();
        Assert.Contains("task 'b': claim claim-3 acknowledged over remoting, but not in its history", Check(Seen(b: B() with { History = history })));
    }

    [Fact]
    public void A_task_completed_under_two_claims_is_named()
    {
        var ledger = Ledger();
        ledger.Add(new AckLease("remoting", "a", "claim-9", T0.AddSeconds(20), Claim: true));
        ledger.Add(new AckEnded("remoting", "a", "claim-9", Completed: true));
        var a = A(new SeenEntry("task-defined", null, T0),
            new SeenEntry("task-claimed", "claim-1", T0.AddSeconds(0.1)),
            new SeenEntry("task-completed", "claim-1", T0.AddSeconds(2.5)),
            new SeenEntry("task-claimed", "claim-9", T0.AddSeconds(10)),
            new SeenEntry("task-completed", "claim-9", T0.AddSeconds(11)));

        var violations = Check(Seen(a: a), ledger);

        Assert.Contains("task 'a': completion acknowledged under 2 claims (claim-1, claim-9)", violations);
        Assert.Contains("task 'a': completed 2 times in its history", violations);
    }

    [Fact]
    public void A_claim_granted_while_another_was_current_is_named()
    {
        var b = B(new SeenEntry("task-defined", null, T0),
            new SeenEntry("task-claimed", "claim-2", T0.AddSeconds(4)),
            new SeenEntry("task-claimed", "claim-3", T0.AddSeconds(4.5)),
            new SeenEntry("task-failed", "claim-2", T0.AddSeconds(5)));

        var violations = Check(Seen(b: b));

        Assert.Contains("task 'b': claim-3 granted while claim-2 was still current", violations);
        Assert.Contains("task 'b': task-failed under claim-2, which was not the current claim (claim-3)", violations);
    }

    [Fact]
    public void A_lease_that_expired_before_its_acknowledged_end_and_went_to_another_is_named()
    {
        // claim-2's lease was acknowledged until T0+6s, yet it expired at T0+4.5s and claim-3 got the task.
        var ledger = Ledger().Where(e => e is not AckEnded { ClaimId: "claim-2" }).ToList();
        var b = B(new SeenEntry("task-defined", null, T0),
            new SeenEntry("task-claimed", "claim-2", T0.AddSeconds(4)),
            new SeenEntry("lease-expired", "claim-2", T0.AddSeconds(4.5)),
            new SeenEntry("task-claimed", "claim-3", T0.AddSeconds(5)));

        var violations = Check(Seen(b: b), ledger);

        Assert.Equal([$"task 'b': claim-3 granted at {T0.AddSeconds(5):O} while claim-2's acknowledged lease ran until {T0.AddSeconds(6):O}"], violations);
    }

    [Fact]
    public void A_current_claim_recovered_with_a_shorter_lease_than_acknowledged_is_named()
    {
        var violations = Check(Seen(b: B() with { LeaseUntil = T0.AddSeconds(8) }));
        Assert.Equal([$"task 'b': claim-3's lease recovered until {T0.AddSeconds(8):O}, but {T0.AddSeconds(9):O} was acknowledged"], violations);
    }

    [Fact]
    public void A_task_completed_before_its_dependency_is_named()
    {
        var violations = Check(Seen(a: A() with { Status = "CLAIMED" }, b: B() with { Status = "COMPLETED", ClaimId = null, LeaseUntil = null }));
        Assert.Contains("task 'b': COMPLETED while its dependency 'a' is CLAIMED", violations);
    }

    [Fact]
    public void A_document_recovered_at_an_older_version_or_with_other_content_is_named()
    {
        Assert.Equal(["document soak/agent-1: saved at version 2, but recovered at version 1"],
            Check(Seen(document: new SeenDocument("soak", "agent-1", 1, """{"n":1}"""))));
        Assert.Equal(["document soak/agent-1: version 2 recovered with other content than was acknowledged"],
            Check(Seen(document: new SeenDocument("soak", "agent-1", 2, """{"n":"other"}"""))));
    }

    [Fact]
    public void Two_saves_acknowledged_at_one_version_are_a_lost_update()
    {
        var ledger = Ledger();
        ledger.Add(new AckSaved("http", "soak", "agent-1", 2, """{"n":"also 2"}"""));
        Assert.Contains("document soak/agent-1: version 2 acknowledged for 2 different saves (a lost update)", Check(Seen(), ledger));
    }

    [Fact]
    public void A_document_version_lower_than_an_earlier_check_saw_is_named_and_versions_only_rise()
    {
        var versions = new Dictionary<(string Owner, string Key), long> { [("soak", "agent-1")] = 4 };

        var violations = Check(Seen(), versions: versions);

        Assert.Contains("document soak/agent-1: version went down from 4 to 2", violations);
        Assert.Equal(4, versions[("soak", "agent-1")]);
    }

    [Fact]
    public void A_claim_id_is_compared_by_its_public_part()
    {
        Assert.Equal("claim-12", SoakChecker.PublicClaimId("claim-12-9c41d2e07a5b3f68"));
        Assert.Equal("claim-12", SoakChecker.PublicClaimId("claim-12"));
    }
}
