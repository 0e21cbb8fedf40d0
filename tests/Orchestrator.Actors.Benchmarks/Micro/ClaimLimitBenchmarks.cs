using BenchmarkDotNet.Attributes;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Benchmarks.Micro;

/// <summary>
/// Issue 17's target: a claim with claim limits on costs at most 10% more than without. A state of
/// <see cref="Tasks"/> READY tasks, each of one of 100 tenant tags, 2,000 of them claimed; the same
/// claim decided without limits, with limits none of which is reached, and with the tag at the head
/// of the queue at its limit (the claim passes its tasks over), with the limits and fairness across
/// the 100 tenant tags (<c>fairBy = tenant=</c>), and with the limits and a rate limit on each of the
/// 100 tags, none reached (the claim moves its tag's spacing on).
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
[GcForce(false)]
[MedianColumn, MinColumn]
public class ClaimLimitBenchmarks
{
    private OrchestratorState _open = null!;
    private OrchestratorState _limited = null!;
    private OrchestratorState _headTagFull = null!;
    private OrchestratorState _fair = null!;
    private OrchestratorState _rated = null!;
    private DecisionContext _context = null!;
    private readonly ClaimTask _claim = new("agent-0");

    /// <summary>Tasks defined before the benchmark.</summary>
    [Params(100_000)]
    public int Tasks { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var at = BenchmarkStates.T0.AddHours(1);
        _context = BenchmarkStates.Context(at);
        var state = OrchestratorDomain.ApplyAll(OrchestratorState.Empty, Enumerable.Range(0, Tasks).Select(i =>
            BenchmarkStates.Defined(i) with { Tags = [$"tenant={i % 100}"] }));
        // 2,000 claims held, spread over the agents and tenants
        for (var i = 0; i < 2_000; i++)
            state = OrchestratorDomain.Decide(state, new ClaimTask(BenchmarkStates.Agent(i)), _context).StateAfter(state);
        _open = state;
        var perTag = Enumerable.Range(0, 100).ToDictionary(t => $"tenant={t}", _ => 1_000);
        _limited = Set(state, new SetClaimLimits(1_000_000, 100_000, perTag));
        var head = ((TaskAssigned)OrchestratorDomain.Decide(state, _claim, _context).Reply).Task.Tags![0];
        _headTagFull = Set(state, new SetClaimLimits(1_000_000, 100_000, new Dictionary<string, int>(perTag) { [head] = 0 }));
        _fair = Set(state, new SetClaimLimits(1_000_000, 100_000, perTag, FairBy: "tenant="));
        _rated = Set(state, new SetClaimLimits(1_000_000, 100_000, perTag, MaxClaimsPerSecondPerTag: perTag.ToDictionary(t => t.Key, _ => 1_000_000.0)));

        foreach (var s in new[] { _open, _limited, _headTagFull, _fair, _rated })
            if (OrchestratorDomain.Decide(s, _claim, _context).Reply is not TaskAssigned)
                throw new InvalidOperationException("the claim found no task");
    }

    private OrchestratorState Set(OrchestratorState state, SetClaimLimits limits) => OrchestratorDomain.Decide(state, limits, _context).StateAfter(state);

    /// <summary>No limits: the head of the agent's queue.</summary>
    [Benchmark(Baseline = true)]
    public Decision Decide_claim_without_limits() => OrchestratorDomain.Decide(_open, _claim, _context);

    /// <summary>Namespace, agent and tag limits, none reached: the head of the queue, its tag checked.</summary>
    [Benchmark]
    public Decision Decide_claim_with_limits() => OrchestratorDomain.Decide(_limited, _claim, _context);

    /// <summary>The limits and fairness across the 100 tenants: the head of the group served longest ago.</summary>
    [Benchmark]
    public Decision Decide_claim_with_limits_and_fairness() => OrchestratorDomain.Decide(_fair, _claim, _context);

    /// <summary>The limits and a rate limit on every tag, none reached: the head's tag's spacing checked and moved on.</summary>
    [Benchmark]
    public Decision Decide_claim_with_limits_and_rates() => OrchestratorDomain.Decide(_rated, _claim, _context);

    /// <summary>The head's tag at its limit: the claim passes that tag's tasks over to the next other tag's.</summary>
    [Benchmark]
    public Decision Decide_claim_with_the_head_tag_full() => OrchestratorDomain.Decide(_headTagFull, _claim, _context);
}
