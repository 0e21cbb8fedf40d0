using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Telemetry;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>The last hour of a namespace, in steps: the window on its own, with times the spec picks.</summary>
public sealed class ActivityWindowSpecs
{
    // A minute boundary, so that steps of 5, 10 and 60 s all start on it.
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static IOrchestratorEvent Defined(string id) => new TaskDefined(id, "*", "f", TaskPriority.Medium, T0, [], 3, null, null);
    private static IOrchestratorEvent Claimed(string id) => new TaskClaimed(id, "a", "c", 1, TimeSpan.FromSeconds(30), T0, T0);
    private static IOrchestratorEvent Completed(string id) => new TaskCompleted(id, "a", "c", null, T0);
    private static IOrchestratorEvent Failed(string id) => new TaskFailed(id, "a", "c", "broke", 1, null, T0);
    private static IOrchestratorEvent Expired(string id) => new LeaseExpired(id, "a", "c", 1, false, T0);

    private static ActivityReport Report(ActivityWindow window, DateTimeOffset now, int step) =>
        Assert.IsType<ActivityReport>(window.Report("team-a", now, step));

    [Fact]
    public void A_write_counts_its_events_by_kind_and_its_latency_in_the_step_that_holds_it()
    {
        var window = new ActivityWindow(T0);
        window.Journaled(T0.AddSeconds(61), [Defined("a"), Defined("b"), Claimed("a"), new AgentSeen("a", T0)], TimeSpan.FromMilliseconds(2));
        window.Journaled(T0.AddSeconds(64), [Completed("a"), Failed("b"), Expired("c")], TimeSpan.FromMilliseconds(6));
        window.Journaled(T0.AddSeconds(125), [Defined("c")], TimeSpan.FromMilliseconds(1));

        var report = Report(window, T0.AddSeconds(130), 60);

        Assert.Equal(("team-a", T0, 60), (report.Namespace, report.Since, report.StepSeconds));
        var minute = Assert.Single(report.Points, p => p.At == T0.AddMinutes(1));
        Assert.Equal(new ActivityPoint(T0.AddMinutes(1), Defined: 2, Claimed: 1, Completed: 1, Failed: 2, Writes: 2, WriteMeanMs: 4, WriteMaxMs: 6), minute);
        Assert.Equal(new ActivityPoint(T0.AddMinutes(2), 1, 0, 0, 0, 1, 1, 1), report.Points[^1]);
        Assert.All(report.Points.SkipLast(2), p => Assert.Equal(new ActivityPoint(p.At, 0, 0, 0, 0, 0, 0, 0), p));
    }

    [Theory]
    [InlineData(5, 720)]
    [InlineData(10, 360)]
    [InlineData(60, 60)]
    [InlineData(3600, 1)]
    public void The_report_covers_the_last_hour_oldest_first_in_steps_aligned_to_their_length(int step, int points)
    {
        var now = T0.AddSeconds(-1); // the last second of a step of every length above
        var report = Report(new ActivityWindow(T0), now, step);

        Assert.Equal(points, report.Points.Count);
        Assert.Equal(now.AddSeconds(1 - step), report.Points[^1].At);
        Assert.Equal(T0.AddHours(-1), report.Points[0].At);
        Assert.All(report.Points.Zip(report.Points.Skip(1), (earlier, later) => later.At - earlier.At), gap => Assert.Equal(TimeSpan.FromSeconds(step), gap));
    }

    [Fact]
    public void In_the_middle_of_a_step_the_first_step_is_cut_to_the_hour_and_the_last_is_the_one_running()
    {
        var window = new ActivityWindow(T0);
        var now = T0.AddSeconds(30);
        window.Journaled(T0.AddSeconds(-3_560), [Defined("old")], TimeSpan.FromMilliseconds(1)); // 59:50 before now: in
        window.Journaled(now, [Defined("new")], TimeSpan.FromMilliseconds(1));

        var report = Report(window, now, 60);

        Assert.Equal(61, report.Points.Count);
        Assert.Equal((T0.AddHours(-1), 1L), (report.Points[0].At, report.Points[0].Defined));
        Assert.Equal((T0, 1L), (report.Points[^1].At, report.Points[^1].Defined));
        // Ten seconds later the old write is more than an hour old.
        Assert.Equal(0, Report(window, now.AddSeconds(10), 60).Points[0].Defined);
    }

    [Fact]
    public void What_is_older_than_an_hour_is_gone_even_where_the_ring_did_not_write_over_it()
    {
        var window = new ActivityWindow(T0);
        window.Journaled(T0, [Defined("a")], TimeSpan.FromMilliseconds(1));

        Assert.Equal(1, Report(window, T0.AddSeconds(3_599), 5).Points.Sum(p => p.Defined));
        Assert.Equal(0, Report(window, T0.AddSeconds(3_600), 5).Points.Sum(p => p.Defined));

        // The same slot a lap later holds the new five seconds only.
        window.Journaled(T0.AddHours(1), [Claimed("a"), Claimed("b")], TimeSpan.FromMilliseconds(1));
        var later = Report(window, T0.AddHours(1), 5);
        Assert.Equal((0L, 2L, 1L), (later.Points.Sum(p => p.Defined), later.Points.Sum(p => p.Claimed), later.Points.Sum(p => p.Writes)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(3_605)]
    public void A_step_that_is_not_a_multiple_of_5_s_up_to_an_hour_is_refused_naming_it(int step)
    {
        var refused = Assert.IsType<CommandRejected>(new ActivityWindow(T0).Report("team-a", T0, step));

        Assert.Equal(("stepSeconds", step.ToString()), (refused.Field, refused.Value));
        Assert.Contains("multiple of 5", refused.Message);
    }
}

/// <summary>The activity of the real actor and journal (the shipped lifecycle: 30 s leases), with time moved by the spec.</summary>
public sealed class ActivitySpecs(ITestOutputHelper output) : LifecycleSpec(output)
{
    [Fact]
    public async Task The_state_manager_counts_what_its_confirmed_writes_held_in_the_step_they_were_confirmed()
    {
        await StateManager.Define("a");
        await StateManager.Define("b");
        await StateManager.Define("c", maxAttempts: 1);
        var first = await StateManager.Claim("agent-a");
        await StateManager.Expect<TaskUpdated>(new CompleteTask(first.Task.TaskId, "agent-a", first.ClaimId, null));
        var second = await StateManager.Claim("agent-a");
        await StateManager.Expect<TaskUpdated>(new FailTask(second.Task.TaskId, "agent-a", second.ClaimId, "broke"));

        // Two minutes later a claim's lease runs out.
        Time.Advance(TimeSpan.FromMinutes(2));
        await StateManager.Claim("agent-b");
        Time.Advance(TimeSpan.FromSeconds(30));
        await StateManager.Barrier();

        var report = await StateManager.Expect<ActivityReport>(new GetActivity(60));

        Assert.Equal(ManualTime.Start, report.Since);
        var startMinute = Assert.Single(report.Points, p => p.At == ManualTime.Start);
        Assert.Equal((3L, 2L, 1L, 1L), (startMinute.Defined, startMinute.Claimed, startMinute.Completed, startMinute.Failed));
        Assert.Equal(7, startMinute.Writes);
        var laterMinute = Assert.Single(report.Points, p => p.At == ManualTime.Start.AddMinutes(2));
        Assert.Equal((0L, 1L, 0L, 1L), (laterMinute.Defined, laterMinute.Claimed, laterMinute.Completed, laterMinute.Failed));
        Assert.Equal((3L, 3L, 1L, 2L), (report.Points.Sum(p => p.Defined), report.Points.Sum(p => p.Claimed),
            report.Points.Sum(p => p.Completed), report.Points.Sum(p => p.Failed)));
        Assert.All(report.Points.Where(p => p.Writes > 0), p => Assert.True(p.WriteMaxMs >= p.WriteMeanMs && p.WriteMeanMs > 0, p.ToString()));

        var refused = await StateManager.Expect<CommandRejected>(new GetActivity(2));
        Assert.Equal("stepSeconds", refused.Field);
    }
}
