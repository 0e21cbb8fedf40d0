using BenchmarkDotNet.Attributes;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Benchmarks.Micro;

/// <summary>
/// Issue 17's target: a search by tag at a million tasks in under 5 ms in-process. Each task carries
/// one of <see cref="TagCount"/> tenant tags (10,000 tasks a tag at a million) and every tenth the tag
/// <c>urgent</c> too. The kept index reads a tag's tasks only; an id prefix beside it for scale reads
/// every id.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
[GcForce(false)]
public class TagSearchBenchmarks
{
    private const int TagCount = 100;
    private OrchestratorState _state = null!;
    private DateTimeOffset _now;

    /// <summary>Tasks defined before the benchmark.</summary>
    [Params(1_000_000)]
    public int Tasks { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var tenants = Enumerable.Range(0, TagCount).Select(t => $"tenant={t}").ToArray();
        _state = OrchestratorDomain.ApplyAll(OrchestratorState.Empty, Enumerable.Range(0, Tasks).Select(i =>
            BenchmarkStates.Defined(i) with { Tags = i % 10 == 0 ? [tenants[i % TagCount], "urgent"] : [tenants[i % TagCount]] }));
        _now = BenchmarkStates.T0.AddHours(1);
        if (Answer(new ListTasks(Tag: "tenant=7")) is not TaskPage { Total: var total, Tasks.Count: 100 } || total != Tasks / TagCount)
            throw new InvalidOperationException("the tag did not find its tasks");
    }

    private IOrchestratorReply Answer(ListTasks query) => OrchestratorDomain.Answer(_state, query, DomainLimits.Default, _now);

    /// <summary>The first page of one tenant's tasks, with its total (the index's count).</summary>
    [Benchmark]
    public IOrchestratorReply List_by_tag_first_page() => Answer(new ListTasks(Tag: "tenant=7"));

    /// <summary>A page deep in one tenant's tasks (offset 9,000 of 10,000: the index is read by position).</summary>
    [Benchmark]
    public IOrchestratorReply List_by_tag_deep_page() => Answer(new ListTasks(Tag: "tenant=7", Offset: 9_000));

    /// <summary>One tenant's READY tasks: two filters read the tenant's tasks to count the matches.</summary>
    [Benchmark]
    public IOrchestratorReply List_by_tag_and_status() => Answer(new ListTasks(Status: "READY", Tag: "tenant=7"));

    /// <summary>The tag a tenth of the tasks carry (100,000), first page with the total.</summary>
    [Benchmark]
    public IOrchestratorReply List_by_common_tag_first_page() => Answer(new ListTasks(Tag: "urgent"));

    /// <summary>For scale: an id-prefix filter, which reads every id to count.</summary>
    [Benchmark(Baseline = true)]
    public IOrchestratorReply List_by_id_prefix() => Answer(new ListTasks(IdPrefix: "task-00070"));
}
