using System.Text.Json;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Serialization;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

/// <summary>
/// Replies that grow with the state stay within orchestrator.limits.max-reply-bytes, so that they
/// always fit a remoting frame: a page ends early and says where the next one starts, a history
/// leaves out its oldest entries, and the largest single view the input rules allow fits the
/// smallest budget the settings take.
/// </summary>
public sealed class ReplyBudgetSpecs
{
    private static readonly DomainLimits SmallBudget = new(MaxReplyBytes: 64 * 1024);

    // What the serializer writes for the reply: what a remoting frame carries.
    private static int Bytes(IOrchestratorReply reply) =>
        JsonSerializer.SerializeToUtf8Bytes(reply, OrchestratorJsonContext.Default.GetTypeInfo(reply.GetType())!).Length;

    // Ids of 200 characters, the longest allowed.
    private static string LongId(string prefix, int i) => $"{prefix}-{i:D4}-".PadRight(Validation.MaxIdLength, 'x');

    // Given: dependencies with the longest ids, then tasks that each depend on every one of them.
    private static Scenario TasksWithLongDependencies(int dependencies, int tasks, DomainLimits? limits = null)
    {
        var ids = Enumerable.Range(0, dependencies).Select(i => LongId("dep", i)).ToArray();
        var scenario = new Scenario(limits: limits).Given(new DefineTasks([.. ids.Select(id => Task(id, "agent-b"))]));
        for (var from = 0; from < tasks; from += 500)
            scenario.Given(new DefineTasks([.. Enumerable.Range(from, Math.Min(500, tasks - from))
                .Select(i => Task($"t-{i:D4}", i % 2 == 0 ? "agent-a" : "agent-b", i % 3 == 0 ? "HIGH" : "LOW", dependsOn: ids))]));
        return scenario;
    }

    // When: the listing is read page after page from each page's NextOffset; every page is checked against the budget.
    private static List<TaskPage> EveryPage(Scenario scenario, ListTasks query)
    {
        var pages = new List<TaskPage>();
        for (int? offset = 0; offset is { } next;)
        {
            var page = Assert.IsType<TaskPage>(scenario.Ask(query with { Offset = next }));
            Assert.True(Bytes(page) <= scenario.Limits.MaxReplyBytes, $"the page at {next} takes {Bytes(page):N0} bytes");
            Assert.NotEmpty(page.Tasks);
            pages.Add(page);
            offset = page.NextOffset;
            Assert.True(pages.Count < 10_000, "the pages never end");
        }
        return pages;
    }

    [Fact]
    public void A_page_of_a_thousand_tasks_with_a_hundred_long_dependencies_each_ends_within_the_budget_and_the_next_goes_on_where_it_ended()
    {
        // Given 100 tasks with the longest ids, then 1,000 that each depend on all of them: about 20 MB of views
        var scenario = TasksWithLongDependencies(100, 1000);

        // When the first page of up to 1,000 is read
        var first = Assert.IsType<TaskPage>(scenario.Ask(new ListTasks(Limit: 1000)));

        // Then it ends before the 4 MiB budget, short of its limit, and says where to go on
        Assert.InRange(Bytes(first), DomainLimits.DefaultMaxReplyBytes * 3 / 4, DomainLimits.DefaultMaxReplyBytes);
        Assert.InRange(first.Tasks.Count, 101, 999);
        Assert.Equal((1100, 0, 1000, first.Tasks.Count), (first.Total, first.Offset, first.Limit, first.NextOffset));

        // And reading on from there lists every task exactly once, in definition order
        var pages = EveryPage(scenario, new ListTasks(Limit: 1000));
        Assert.True(pages.Count > 5, $"{pages.Count} pages");
        Assert.Equal(scenario.State.Order, pages.SelectMany(p => p.Tasks).Select(t => t.TaskId));
    }

    [Theory]
    [InlineData("agent-a", null, null, null)]
    [InlineData(null, "PENDING", null, null)]
    [InlineData(null, null, "LOW", null)]
    [InlineData(null, null, null, "t-")]
    [InlineData("agent-b", "PENDING", null, null)]
    [InlineData(null, "PENDING", "HIGH", "t-0")]
    public void A_filtered_page_ends_within_the_budget_too_and_counts_every_match(string? agent, string? status, string? priority, string? idPrefix)
    {
        var scenario = TasksWithLongDependencies(10, 400, SmallBudget);
        var query = new ListTasks(agent, status, priority, Limit: 1000, IdPrefix: idPrefix);
        var everyMatch = Assert.IsType<TaskPage>(scenario.Ask(query with { Limit = 1000 }, new DomainLimits()));

        var pages = EveryPage(scenario, query);

        Assert.True(pages.Count > 1, $"{pages.Count} pages");
        Assert.All(pages, p => Assert.Equal(everyMatch.Total, p.Total));
        Assert.Equal(everyMatch.Tasks.Select(t => t.TaskId), pages.SelectMany(p => p.Tasks).Select(t => t.TaskId));
    }

    [Fact]
    public void A_page_holds_at_least_one_task_whatever_the_budget_so_that_paging_moves_on()
    {
        var scenario = TasksWithLongDependencies(3, 5, new DomainLimits(MaxReplyBytes: 1));

        var pages = new List<TaskPage>();
        for (int? offset = 0; offset is { } next;)
        {
            pages.Add(Assert.IsType<TaskPage>(scenario.Ask(new ListTasks(Offset: next))));
            offset = pages[^1].NextOffset;
        }

        Assert.All(pages, p => Assert.Single(p.Tasks));
        Assert.Equal(scenario.State.Order, pages.Select(p => p.Tasks[0].TaskId));
    }

    [Fact]
    public void Agents_that_would_take_the_page_past_the_budget_wait_for_the_next_one()
    {
        // Given 10 agents, each with 100 capabilities of 1,000 characters that JSON escapes: about 600 KB each
        var scenario = new Scenario().Given([.. Enumerable.Range(0, 10).Select(i => (IStateManagerCommand)new RegisterAgent(
            $"agent-{i}", [.. Enumerable.Range(0, Validation.MaxCapabilities).Select(c => $"{c:D3}".PadRight(Validation.MaxTextLength, 'é'))]))]);

        // When the agents are read page after page
        var pages = new List<AgentList>();
        for (int? offset = 0; offset is { } next;)
        {
            pages.Add(Assert.IsType<AgentList>(scenario.Ask(new ListAgents(next))));
            offset = pages[^1].NextOffset;
        }

        // Then each page ends within the 4 MiB budget, and every agent is listed exactly once, by name
        Assert.Equal(6, pages[0].Agents.Count);
        Assert.Equal((10, 6), (pages[0].Total, pages[0].NextOffset));
        Assert.All(pages, p => Assert.InRange(Bytes(p), 1, DomainLimits.DefaultMaxReplyBytes));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"agent-{i}"), pages.SelectMany(p => p.Agents).Select(a => a.Agent));
    }

    [Fact]
    public void A_history_past_the_budget_keeps_its_newest_entries_and_counts_the_older_ones_as_dropped()
    {
        // Given a task that failed 20 times, each time with a reason of 1,000 characters that JSON escapes
        var scenario = new Scenario(limits: SmallBudget).Given(Task("flaky", maxAttempts: 1000));
        for (var i = 0; i < 20; i++)
        {
            scenario.Fail(scenario.Claim("agent-a"), $"{i:D2}".PadRight(Validation.MaxTextLength, '"'));
            scenario.Advance(TimeSpan.FromMinutes(10)).ProcessDeadlines();
        }
        var kept = scenario["flaky"].History;

        // When its history is read
        var history = Assert.IsType<TaskHistory>(scenario.Ask(new GetTaskHistory("flaky")));

        // Then it holds the newest entries that fit the budget, and counts the others as dropped
        Assert.InRange(Bytes(history), SmallBudget.MaxReplyBytes / 2, SmallBudget.MaxReplyBytes);
        Assert.Equal(kept.TakeLast(history.Entries.Count), history.Entries);
        Assert.Equal(kept.Count, history.Entries.Count + history.Dropped);
        Assert.Equal(kept, Assert.IsType<TaskHistory>(scenario.Ask(new GetTaskHistory("flaky"), new DomainLimits())).Entries);
    }

    [Fact]
    public void A_batch_that_conflicts_with_large_tasks_carries_their_views_while_they_fit_and_every_outcome()
    {
        // Given 300 tasks that each depend on 10 tasks with the longest ids (about 800 KB of views)
        var scenario = TasksWithLongDependencies(10, 300, SmallBudget);

        // When a batch defines 100 of them again, differently
        var decision = scenario.Decide(new DefineTasks([.. Enumerable.Range(0, 100).Select(i => new DefineTask($"t-{i:D4}", "agent-c", "tasks/other.md"))]));

        // Then the reply fits the budget: every outcome is there, the existing tasks while they fit
        var reply = Assert.IsType<TasksDefined>(decision.Reply);
        Assert.InRange(Bytes(reply), SmallBudget.MaxReplyBytes / 2, SmallBudget.MaxReplyBytes);
        Assert.All(reply.Results, r => Assert.Equal(DefinitionOutcome.Conflict, r.Outcome));
        var withViews = reply.Results.TakeWhile(r => r.Existing is not null).Count();
        Assert.InRange(withViews, 1, 99);
        Assert.All(reply.Results.Skip(withViews), r => Assert.Null(r.Existing));
        Assert.Equal(scenario["t-0000"].ToView(), reply.Results[0].Existing);
    }

    [Fact]
    public void The_largest_agent_and_task_the_input_rules_allow_fit_the_smallest_budget_the_settings_take()
    {
        // Given an agent and a task with every text as long as allowed, of characters that JSON escapes
        var name = new string('<', Validation.MaxTextLength);
        var policy = LifecyclePolicy.Default;
        var dependencies = Enumerable.Range(0, policy.MaxDependencies).Select(i => LongId("dep", i)).ToArray();
        var scenario = new Scenario().Given(
            new RegisterAgent(name, [.. Enumerable.Range(0, Validation.MaxCapabilities).Select(c => $"{c:D3}".PadRight(Validation.MaxTextLength, '"'))]),
            new DefineTasks([.. dependencies.Select(id => Task(id))]),
            new DefineTasks([new DefineTask(LongId("big", 0), ProtocolNames.AnyAgent, new string('&', Validation.MaxTextLength), DependsOn: dependencies)]));
        for (var i = 0; i < dependencies.Length; i++) scenario.Complete(scenario.Claim("agent-a"));
        var assigned = scenario.Claim(name);
        scenario.Given(new CancelTask(assigned.Task.TaskId, new string('+', Validation.MaxTextLength), By: new string('`', Validation.MaxTextLength)));

        var agents = Assert.IsType<AgentList>(scenario.Ask(new ListAgents()));
        var task = Assert.IsType<TaskPage>(scenario.Ask(new ListTasks(IdPrefix: "big")));
        var history = Assert.IsType<TaskHistory>(scenario.Ask(new GetTaskHistory(LongId("big", 0))));

        // Then the views' upper bounds are at most the largest the rules allow, the serializer writes
        // no more than the bounds, and a page of one of them fits the smallest budget
        var agent = agents.Agents.Single(a => a.Agent == name);
        Assert.InRange(ViewSizes.UpperBound(agent), ReplyBudget.LargestAgent * 9 / 10, ReplyBudget.LargestAgent);
        Assert.InRange(ViewSizes.UpperBound(task.Tasks.Single()), 1, ReplyBudget.LargestTask(policy.MaxDependencies));
        Assert.All(history.Entries, e => Assert.InRange(ViewSizes.UpperBound(e), 1, ReplyBudget.LargestHistoryEntry(policy.MaxDependencies)));
        Assert.InRange(Bytes(new AgentList([agent], 1, 0, 1)), 1, ViewSizes.ReplyAllowance + ViewSizes.UpperBound(agent));
        Assert.InRange(Bytes(task), 1, ViewSizes.ReplyAllowance + ViewSizes.UpperBound(task.Tasks.Single()));
        Assert.InRange(Bytes(history), 1, ViewSizes.ReplyAllowance + history.Entries.Sum(ViewSizes.UpperBound));
        Assert.InRange(ReplyBudget.Smallest(policy), ViewSizes.ReplyAllowance + ReplyBudget.LargestAgent, DomainLimits.DefaultMaxReplyBytes / 4);
    }

    [Fact]
    public void Past_a_few_thousand_dependencies_the_largest_task_sets_the_smallest_budget()
    {
        var few = LifecyclePolicy.Default with { MaxDependencies = 100 };
        var many = LifecyclePolicy.Default with { MaxDependencies = 100_000 };

        Assert.Equal(ViewSizes.ReplyAllowance + ReplyBudget.LargestAgent, ReplyBudget.Smallest(few));
        Assert.Equal(ViewSizes.ReplyAllowance + ReplyBudget.LargestTask(100_000), ReplyBudget.Smallest(many));
        Assert.True(ReplyBudget.Smallest(many) > 16 * 1024 * 1024, "100,000 dependencies of 200 characters do not fit the 16 MiB frame");
    }
}
