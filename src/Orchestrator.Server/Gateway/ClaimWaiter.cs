using Microsoft.Extensions.Hosting;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Server.Hosting;
using Orchestrator.Server.Http;

namespace Orchestrator.Server.Gateway;

/// <summary>
/// A claim that waits for a READY task (long poll), for every door. It takes the namespace's
/// wake-up before each try, so a task that becomes READY between a try that found nothing and the
/// wait is not missed; it tries again at each transition to READY (of any agent's task: the
/// protocol decides who gets what) until a try succeeds or the wait ends. The wait also ends, with
/// nothing claimed, when the host stops; the caller's token ends it when the client goes away.
/// </summary>
public sealed class ClaimWaiter(OrchestratorGateway gateway, TaskFeeds feeds, IHostApplicationLifetime lifetime, HttpSettings settings, TimeProvider time)
{
    /// <summary>
    /// A claim's wait as a door received it (<c>30s</c>, <c>00:00:30</c>): zero when absent, refused
    /// naming it when it is not a duration or longer than <c>orchestrator.http.max-claim-wait</c>.
    /// </summary>
    /// <exception cref="ProblemException">The wait is refused.</exception>
    public TimeSpan Wait(string? text)
    {
        var wait = HttpInput.OptionalDuration("wait", text);
        if (wait > settings.MaxClaimWait)
            throw HttpInput.Invalid("wait", text, $"is longer than orchestrator.http.max-claim-wait ({Actors.Client.Durations.Format(settings.MaxClaimWait)})");
        return wait ?? TimeSpan.Zero;
    }

    /// <summary>
    /// The task claimed (<see cref="TaskAssigned"/>), or the last try's <see cref="NoTaskReady"/> when none
    /// was READY for the agent within <paramref name="wait"/>. A try a rate limit held back is made again
    /// when the limit lets a claim through (<see cref="NoTaskReady.LimitedUntil"/>), READY or not.
    /// </summary>
    public async Task<IClaimReply> ClaimAsync(string @namespace, ClaimTask command, TimeSpan wait, CancellationToken cancellation)
    {
        var client = gateway.For(@namespace);
        if (wait <= TimeSpan.Zero) return await client.ClaimAsync(command, cancellation);
        // The subscription is confirmed before the first try: from then on every READY reaches the feed.
        var feed = await feeds.ForAsync(@namespace, cancellation);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellation, lifetime.ApplicationStopping);
        waiting.CancelAfter(wait);
        while (true)
        {
            var ready = feed.NextReady;
            var reply = await client.ClaimAsync(command, cancellation);
            if (reply is not NoTaskReady none) return reply;
            try
            {
                if (none.LimitedUntil is { } until)
                    await Task.WhenAny(ready, Task.Delay(Later(until - time.GetUtcNow()), time, waiting.Token)).WaitAsync(waiting.Token);
                else
                    await ready.WaitAsync(waiting.Token);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                return none;
            }
        }
    }

    // A rate limit's time as this node's clock reads it, at least a moment on (another member's clock may be behind).
    private static TimeSpan Later(TimeSpan wait) => wait < MinimumRetry ? MinimumRetry : wait;

    private static readonly TimeSpan MinimumRetry = TimeSpan.FromMilliseconds(20);
}
