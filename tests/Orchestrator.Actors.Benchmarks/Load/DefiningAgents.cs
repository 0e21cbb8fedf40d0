using System.Diagnostics;
using Akka.Actor;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>What a set of defining agents did between them.</summary>
/// <param name="Accepted">Definitions answered <c>TaskDefinitionAccepted</c> for the id sent, <c>AlreadyDefined = false</c>.</param>
/// <param name="Errors">Any other answer, or none within the reply timeout.</param>
/// <param name="LatenciesMs">Send to reply, every request.</param>
/// <param name="Stopped">Why the agents stopped before their last task (the row's limit, or the first error), or null.</param>
internal sealed record AgentRunResult(long Sent, long Accepted, long Errors, string? FirstError, TimeSpan Elapsed, double[] LatenciesMs, string? Stopped);

/// <summary>
/// N agents as real actors in the node's ActorSystem, each in a closed loop: send a
/// <see cref="DefineTask"/> for a distinct id to the state manager, wait for the reply, send the next.
/// Agent <c>a</c> of <c>N</c> defines ids <c>a, a + N, a + 2N, ...</c> below the task count.
/// </summary>
internal static class DefiningAgents
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The id of task <paramref name="index"/> of a run whose ids start with <paramref name="prefix"/>.</summary>
    public static string TaskId(string prefix, long index) => $"{prefix}{index:D7}";

    /// <param name="tasks">Distinct tasks in all; <see cref="int.MaxValue"/> with <paramref name="stop"/> for a run that ends when told.</param>
    /// <param name="stop">When cancelled, each agent finishes the request it has in flight and stops.</param>
    /// <param name="limit">The longest the run may take; the agents stop at it, as at <paramref name="stop"/>.</param>
    /// <param name="stopOnError">Stop every agent at the first error: the run can no longer acknowledge every task.</param>
    public static async Task<AgentRunResult> RunAsync(
        ActorSystem system, IActorRef stateManager, string prefix, int agents, int tasks,
        TimeSpan limit, bool stopOnError = true, CancellationToken stop = default)
    {
        using var end = CancellationTokenSource.CreateLinkedTokenSource(stop);
        end.CancelAfter(limit);
        string? stopped = null;
        Action onError = stopOnError ? () => { stopped ??= "at the first error"; end.Cancel(); } : () => { };
        var work = Enumerable.Range(0, agents).Select(a => new AgentWork(a, agents, tasks, prefix, end.Token, onError)).ToArray();
        var stopwatch = Stopwatch.StartNew();
        foreach (var w in work)
            system.ActorOf(Props.Create(() => new DefiningAgent(stateManager, w, ReplyTimeout)));
        await Task.WhenAll(work.Select(w => w.Done.Task));
        stopwatch.Stop();

        var sent = work.Sum(w => (long)w.Sent);
        if (tasks != int.MaxValue && sent < tasks && !stop.IsCancellationRequested)
            stopped ??= $"at the row's limit of {limit.TotalSeconds:0} s";
        return new AgentRunResult(
            sent,
            work.Sum(w => (long)w.Accepted),
            work.Sum(w => (long)w.Errors),
            work.Select(w => w.FirstError).FirstOrDefault(e => e is not null),
            stopwatch.Elapsed,
            work.SelectMany(w => w.LatenciesMs).ToArray(),
            stopped);
    }

    /// <summary>One agent's share and what it saw; written by its actor only, read once it is done.</summary>
    private sealed class AgentWork(int agent, int agents, int tasks, string prefix, CancellationToken stop, Action onError)
    {
        public string Name { get; } = $"load-agent-{agent:D4}";
        public List<double> LatenciesMs { get; } = new(tasks == int.MaxValue ? 1024 : tasks / agents + 1);
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Sent, Accepted, Errors;
        public string? FirstError;
        private long _index = agent;

        public bool TryNext(out string taskId)
        {
            taskId = "";
            if (_index >= tasks || stop.IsCancellationRequested) return false;
            taskId = TaskId(prefix, _index);
            _index += agents;
            return true;
        }

        public void Error(string message)
        {
            Errors++;
            FirstError ??= message;
            onError();
        }
    }

    private sealed class DefiningAgent : ReceiveActor
    {
        private readonly IActorRef _stateManager;
        private readonly AgentWork _work;
        private string _current = "";
        private long _sentAt;

        public DefiningAgent(IActorRef stateManager, AgentWork work, TimeSpan replyTimeout)
        {
            _stateManager = stateManager;
            _work = work;
            SetReceiveTimeout(replyTimeout);
            Receive<TaskDefinitionAccepted>(accepted =>
            {
                Record();
                if (accepted.Task.TaskId == _current && !accepted.AlreadyDefined) _work.Accepted++;
                else _work.Error($"{_current}: accepted as {accepted.Task.TaskId}, AlreadyDefined={accepted.AlreadyDefined}");
                SendNext();
            });
            Receive<ReceiveTimeout>(_ =>
            {
                // The answer may still come, but the loop is broken: count it and stop this agent.
                _work.Error($"{_current}: no reply within {replyTimeout.TotalSeconds:0} s");
                Finish();
            });
            ReceiveAny(other =>
            {
                Record();
                _work.Error($"{_current}: {other}");
                SendNext();
            });
        }

        protected override void PreStart() => SendNext();

        private void Record() => _work.LatenciesMs.Add(Stopwatch.GetElapsedTime(_sentAt).TotalMilliseconds);

        private void SendNext()
        {
            if (!_work.TryNext(out _current))
            {
                Finish();
                return;
            }
            _work.Sent++;
            _sentAt = Stopwatch.GetTimestamp();
            _stateManager.Tell(new DefineTask(_current, _work.Name, $"tasks/{_current}.md", By: _work.Name));
        }

        private void Finish()
        {
            _work.Done.TrySetResult();
            Context.Stop(Self);
        }
    }
}
