using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

public sealed class QuerySpecs
{
    // Ids in definition order deliberately do not sort alphabetically.
    private static readonly OrchestratorState FiveTasks = Given(
        Define("zeta", "agent-a", "tasks/zeta.md", "HIGH"),
        Define("alpha", "agent-b", "tasks/alpha.md", "LOW"),
        Define("mid", "agent-a", "tasks/mid.md", "HIGH"),
        Define("beta", "*", "tasks/beta.md", "MEDIUM"),
        Define("omega", "agent-a", "tasks/omega.md", "CRITICAL"));

    private static List<string> Ids(IOrchestratorReply reply) =>
        Assert.IsType<TaskPage>(reply).Tasks.Select(t => t.TaskId).ToList();

    // ---- GetTask -------------------------------------------------------------------------------

    [Fact]
    public void Get_task_finds_a_defined_task()
    {
        var reply = Ask(FiveTasks, new GetTask("mid"));

        Assert.Equal(new TaskFound(new TaskView("mid", "agent-a", "tasks/mid.md", TaskPriority.High, TaskState.Ready, T2, [], 3, UpdatedAt: T2)), reply);
    }

    [Fact]
    public void Get_task_of_an_unknown_id_is_not_found()
    {
        var reply = Ask(FiveTasks, new GetTask("nope"));

        Assert.Equal(new TaskNotFound("nope"), reply);
    }

    [Fact]
    public void Get_task_ids_are_case_sensitive()
    {
        var reply = Ask(FiveTasks, new GetTask("ZETA"));

        Assert.Equal(new TaskNotFound("ZETA"), reply);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("a#b")]
    public void Get_task_with_an_invalid_id_is_rejected(string id)
    {
        AssertRejected(Ask(FiveTasks, new GetTask(id)), "taskId");
    }

    [Fact]
    public void Get_task_with_a_201_character_id_is_rejected()
    {
        AssertRejected(Ask(FiveTasks, new GetTask(new string('a', 201))), "taskId");
    }

    // ---- ListTasks -----------------------------------------------------------------------------

    [Fact]
    public void List_without_filters_returns_every_task_in_definition_order()
    {
        var reply = Ask(FiveTasks, new ListTasks());

        var page = Assert.IsType<TaskPage>(reply);
        Assert.Equal(["zeta", "alpha", "mid", "beta", "omega"], Ids(page));
        Assert.Equal(5, page.Total);
        Assert.Equal(0, page.Offset);
        Assert.Equal(100, page.Limit);
    }

    [Fact]
    public void List_returns_full_task_views()
    {
        var page = Assert.IsType<TaskPage>(Ask(FiveTasks, new ListTasks(Agent: "agent-b")));

        Assert.Equal(new TaskView("alpha", "agent-b", "tasks/alpha.md", TaskPriority.Low, TaskState.Ready, T1, [], 3, UpdatedAt: T1), Assert.Single(page.Tasks));
    }

    [Fact]
    public void List_keeps_definition_order_for_many_tasks_whose_ids_sort_differently()
    {
        // 200 ids in a scrambled order, so that neither id order nor hash order matches definition order.
        var ids = Enumerable.Range(0, 200).Select(i => $"t-{(i * 7919) % 1000:D4}").ToList();
        var state = Given(ids.Select(id => (IStateManagerCommand)Define(id)).ToArray());

        var reply = Ask(state, new ListTasks(Limit: 1000));

        Assert.Equal(ids, Ids(reply));
    }

    [Fact]
    public void List_filters_by_agent_exactly()
    {
        Assert.Equal(["zeta", "mid", "omega"], Ids(Ask(FiveTasks, new ListTasks(Agent: "agent-a"))));
        Assert.Empty(Ids(Ask(FiveTasks, new ListTasks(Agent: "AGENT-A"))));
        Assert.Empty(Ids(Ask(FiveTasks, new ListTasks(Agent: "agent-z"))));
    }

    [Fact]
    public void List_for_the_any_agent_star_lists_only_tasks_defined_for_any_agent()
    {
        Assert.Equal(["beta"], Ids(Ask(FiveTasks, new ListTasks(Agent: "*"))));
    }

    [Theory]
    [InlineData("READY")]
    [InlineData("ready")]
    [InlineData("Ready")]
    [InlineData(" rEaDy ")]
    public void List_filters_by_status_ignoring_case(string status)
    {
        var page = Assert.IsType<TaskPage>(Ask(FiveTasks, new ListTasks(Status: status)));

        Assert.Equal(["zeta", "alpha", "mid", "beta", "omega"], Ids(page));
    }

    [Theory]
    [InlineData("PENDING")]
    [InlineData("claimed")]
    [InlineData("Completed")]
    [InlineData("failed")]
    [InlineData("DEAD")]
    [InlineData("cancelled")]
    public void List_by_a_status_no_task_has_is_an_empty_page(string status)
    {
        var page = Assert.IsType<TaskPage>(Ask(FiveTasks, new ListTasks(Status: status)));

        Assert.Empty(page.Tasks);
        Assert.Equal(0, page.Total);
    }

    [Theory]
    [InlineData("HIGH", new[] { "zeta", "mid" })]
    [InlineData("high", new[] { "zeta", "mid" })]
    [InlineData("Low", new[] { "alpha" })]
    [InlineData("medium", new[] { "beta" })]
    [InlineData("CRITICAL", new[] { "omega" })]
    public void List_filters_by_priority_ignoring_case(string priority, string[] expected)
    {
        Assert.Equal(expected, Ids(Ask(FiveTasks, new ListTasks(Priority: priority))));
    }

    [Fact]
    public void List_filters_combine_with_and()
    {
        var page = Assert.IsType<TaskPage>(Ask(FiveTasks, new ListTasks(Agent: "agent-a", Status: "ready", Priority: "high")));

        Assert.Equal(["zeta", "mid"], Ids(page));
        Assert.Equal(2, page.Total);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void List_with_a_blank_status_or_priority_does_not_filter(string blank)
    {
        Assert.Equal(5, Assert.IsType<TaskPage>(Ask(FiveTasks, new ListTasks(Status: blank))).Total);
        Assert.Equal(5, Assert.IsType<TaskPage>(Ask(FiveTasks, new ListTasks(Priority: blank))).Total);
    }

    [Fact]
    public void List_filters_by_id_prefix_in_definition_order_case_sensitively()
    {
        var state = Given(
            Define("build-2", "agent-a", "tasks/b2.md", "HIGH"),
            Define("test-1", "agent-a", "tasks/t1.md", "HIGH"),
            Define("build-10", "agent-b", "tasks/b10.md", "LOW"),
            Define("build-1", "agent-a", "tasks/b1.md", "LOW"));

        var page = Assert.IsType<TaskPage>(Ask(state, new ListTasks(IdPrefix: "build-1")));
        Assert.Equal(["build-10", "build-1"], Ids(page));
        Assert.Equal(2, page.Total);

        Assert.Equal(["build-2", "build-10", "build-1"], Ids(Ask(state, new ListTasks(IdPrefix: "build"))));
        Assert.Empty(Ids(Ask(state, new ListTasks(IdPrefix: "BUILD"))));
        Assert.Equal(["build-2", "test-1", "build-10", "build-1"], Ids(Ask(state, new ListTasks(IdPrefix: ""))));
    }

    [Fact]
    public void An_id_prefix_combines_with_the_other_filters_and_pages_with_the_total_of_every_match()
    {
        var state = Given(Enumerable.Range(0, 10).Select(i => Define($"job-{i}", i % 2 == 0 ? "even" : "odd", $"tasks/{i}.md", "HIGH"))
            .Append(Define("other-0", "even", "tasks/o.md", "HIGH")).ToArray());

        var page = Assert.IsType<TaskPage>(Ask(state, new ListTasks(Agent: "even", Status: "READY", IdPrefix: "job-", Offset: 1, Limit: 2)));

        Assert.Equal(["job-2", "job-4"], Ids(page));
        Assert.Equal(5, page.Total);
    }

    [Theory]
    [InlineData("a b")]
    [InlineData("a#")]
    public void An_id_prefix_that_no_id_could_start_with_is_rejected_naming_it(string prefix)
    {
        var rejected = AssertRejected(Ask(FiveTasks, new ListTasks(IdPrefix: prefix)), "idPrefix");
        Assert.Contains(prefix, rejected.Message);
    }

    [Theory]
    [InlineData(null, null, null, null, false)]
    [InlineData(null, "READY", null, null, true)]
    [InlineData(null, null, "HIGH", null, true)]
    [InlineData("agent-a", null, null, null, false)]
    [InlineData(null, null, null, "build-", true)]
    [InlineData(null, "READY", "HIGH", null, true)]
    [InlineData("agent-a", "READY", null, null, true)]
    [InlineData("", " ", null, "", false)]
    [InlineData(null, "BOGUS", null, null, false)]
    public void Only_a_list_from_a_kept_order_alone_is_read_on_the_state_managers_thread(string? agent, string? status, string? priority, string? prefix, bool readsEveryTask)
    {
        Assert.Equal(readsEveryTask, OrchestratorDomain.ReadsEveryTask(new ListTasks(agent, status, priority, IdPrefix: prefix)));
        Assert.False(OrchestratorDomain.ReadsEveryTask(GetStats.Instance));
        Assert.False(OrchestratorDomain.ReadsEveryTask(new ListAgents()));
    }

    [Theory]
    [InlineData(null, null, false)]
    [InlineData("READY", null, true)]
    [InlineData(null, "agent-a", true)]
    public void A_tag_alone_reads_its_index_and_a_tag_with_another_filter_counts_as_two(string? status, string? agent, bool readsEveryTask) =>
        Assert.Equal(readsEveryTask, OrchestratorDomain.ReadsEveryTask(new ListTasks(agent, status, Tag: "team:x")));

    [Fact]
    public void List_pages_with_offset_and_limit_and_counts_every_match_in_total()
    {
        var page = Assert.IsType<TaskPage>(Ask(FiveTasks, new ListTasks(Offset: 1, Limit: 2)));

        Assert.Equal(["alpha", "mid"], Ids(page));
        Assert.Equal(5, page.Total);
        Assert.Equal(1, page.Offset);
        Assert.Equal(2, page.Limit);
    }

    [Fact]
    public void List_pages_through_every_task_exactly_once()
    {
        var pages = Enumerable.Range(0, 3)
            .Select(i => Assert.IsType<TaskPage>(Ask(FiveTasks, new ListTasks(Offset: i * 2, Limit: 2))))
            .ToList();

        Assert.Equal(["zeta", "alpha", "mid", "beta", "omega"], pages.SelectMany(p => p.Tasks).Select(t => t.TaskId));
        Assert.All(pages, p => Assert.Equal(5, p.Total));
        Assert.Single(pages[2].Tasks);
    }

    [Fact]
    public void List_pages_filtered_tasks_and_totals_the_filtered_matches()
    {
        var page = Assert.IsType<TaskPage>(Ask(FiveTasks, new ListTasks(Agent: "agent-a", Offset: 1, Limit: 1)));

        Assert.Equal(["mid"], Ids(page));
        Assert.Equal(3, page.Total);
    }

    [Fact]
    public void List_past_the_end_is_an_empty_page_with_the_total()
    {
        var page = Assert.IsType<TaskPage>(Ask(FiveTasks, new ListTasks(Offset: 5, Limit: 10)));

        Assert.Empty(page.Tasks);
        Assert.Equal(5, page.Total);
        Assert.Equal(5, page.Offset);
    }

    [Fact]
    public void List_of_no_tasks_is_an_empty_page()
    {
        var page = Assert.IsType<TaskPage>(Ask(OrchestratorState.Empty, new ListTasks()));

        Assert.Empty(page.Tasks);
        Assert.Equal(0, page.Total);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void List_with_a_negative_offset_is_rejected(int offset)
    {
        var rejected = AssertRejected(Ask(FiveTasks, new ListTasks(Offset: offset)), "offset");

        Assert.Equal(offset.ToString(), rejected.Value);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1001)]
    public void List_with_a_limit_outside_1_to_the_maximum_page_is_rejected(int limit)
    {
        var rejected = AssertRejected(Ask(FiveTasks, new ListTasks(Limit: limit)), "limit");

        Assert.Equal(limit.ToString(), rejected.Value);
        Assert.Contains("1000", rejected.Reason);
    }

    [Fact]
    public void List_accepts_a_limit_of_1_and_of_the_maximum_page()
    {
        Assert.Equal(["zeta"], Ids(Ask(FiveTasks, new ListTasks(Limit: 1))));
        Assert.Equal(5, Ids(Ask(FiveTasks, new ListTasks(Limit: 1000))).Count);
    }

    [Fact]
    public void List_limit_follows_the_configured_maximum_page()
    {
        var limits = new DomainLimits(MaxPageSize: 3);

        var atMax = Ask(FiveTasks, new ListTasks(Limit: 3), limits);
        var overMax = Ask(FiveTasks, new ListTasks(Limit: 4), limits);

        Assert.Equal(["zeta", "alpha", "mid"], Ids(atMax));
        Assert.Contains("3", AssertRejected(overMax, "limit").Reason);
    }

    [Theory]
    [InlineData("DONE")]
    [InlineData("1")]
    [InlineData("READY,CLAIMED")]  // Enum.TryParse reads this as the flags READY|CLAIMED = 1|2 = COMPLETED
    [InlineData("pending,ready")]
    public void List_with_an_unknown_status_is_rejected_listing_the_statuses(string status)
    {
        var rejected = AssertRejected(Ask(FiveTasks, new ListTasks(Status: status)), "status");

        Assert.Equal(status, rejected.Value);
        Assert.Contains("PENDING, READY, CLAIMED, COMPLETED, FAILED, DEAD, CANCELLED", rejected.Reason);
    }

    [Theory]
    [InlineData("URGENT")]
    [InlineData("2")]
    [InlineData("HIGH,LOW")]
    public void List_with_an_unknown_priority_is_rejected_listing_the_priorities(string priority)
    {
        var rejected = AssertRejected(Ask(FiveTasks, new ListTasks(Priority: priority)), "priority");

        Assert.Equal(priority, rejected.Value);
        Assert.Contains("CRITICAL, HIGH, MEDIUM, LOW", rejected.Reason);
    }

    // ---- GetStats ------------------------------------------------------------------------------

    [Fact]
    public void Stats_count_tasks_by_status_and_priority_with_every_key_present()
    {
        var state = Given(FiveTasks,
            new SaveState("agent-a", "progress", "{}"),
            new SaveState("agent-a", "progress", "{}"),
            new SaveState("agent-b", "progress", "{}"));

        var stats = Assert.IsType<StatsReport>(Ask(state, GetStats.Instance));

        Assert.Equal(5, stats.Tasks);
        Assert.Equal(
            new Dictionary<string, int>
            {
                ["PENDING"] = 0, ["READY"] = 5, ["CLAIMED"] = 0, ["COMPLETED"] = 0,
                ["FAILED"] = 0, ["DEAD"] = 0, ["CANCELLED"] = 0, ["WAITING"] = 0,
            },
            stats.ByStatus.ToDictionary());
        Assert.Equal(
            new Dictionary<string, int> { ["CRITICAL"] = 1, ["HIGH"] = 2, ["MEDIUM"] = 1, ["LOW"] = 1 },
            stats.ByPriority.ToDictionary());
        Assert.Equal(2, stats.StateDocuments); // two saves of one document count once
    }

    [Fact]
    public void Stats_of_nothing_are_zeros_under_every_key()
    {
        var stats = Assert.IsType<StatsReport>(Ask(OrchestratorState.Empty, GetStats.Instance));

        Assert.Equal(0, stats.Tasks);
        Assert.Equal(0, stats.StateDocuments);
        Assert.Equal(Enum.GetValues<TaskState>().Select(ProtocolNames.Of).Order(), stats.ByStatus.Keys.Order());
        Assert.Equal(Enum.GetValues<TaskPriority>().Select(ProtocolNames.Of).Order(), stats.ByPriority.Keys.Order());
        Assert.All(stats.ByStatus.Values, v => Assert.Equal(0, v));
        Assert.All(stats.ByPriority.Values, v => Assert.Equal(0, v));
    }

    [Fact]
    public void Stats_leave_journal_figures_to_the_actor()
    {
        var stats = Assert.IsType<StatsReport>(Ask(FiveTasks, GetStats.Instance));

        Assert.Equal(0, stats.EventsJournaled);
        Assert.Equal(0, stats.LastSnapshotSequenceNr);
    }

    // ---- GetState ------------------------------------------------------------------------------

    [Fact]
    public void Get_state_finds_a_saved_document()
    {
        var state = Given(new SaveState("agent-a", "progress", """{"done":["t-1"]}"""));

        var reply = Ask(state, new GetState("agent-a", "progress"));

        Assert.Equal(new StateDocument("agent-a", "progress", """{"done":["t-1"]}""", 1, T0), reply);
    }

    [Theory]
    [InlineData("agent-a", "other")]
    [InlineData("agent-b", "progress")]
    [InlineData("AGENT-A", "progress")]
    public void Get_state_of_an_unsaved_document_is_not_found(string owner, string key)
    {
        var state = Given(new SaveState("agent-a", "progress", "{}"));

        Assert.Equal(new StateNotFound(owner, key), Ask(state, new GetState(owner, key)));
    }

    [Theory]
    [InlineData("", "progress", "ownerId")]
    [InlineData("agent a", "progress", "ownerId")]
    [InlineData("agent-a", "", "key")]
    [InlineData("agent-a", "k#1", "key")]
    public void Get_state_with_an_invalid_owner_or_key_is_rejected(string owner, string key, string field)
    {
        AssertRejected(Ask(OrchestratorState.Empty, new GetState(owner, key)), field);
    }
}
