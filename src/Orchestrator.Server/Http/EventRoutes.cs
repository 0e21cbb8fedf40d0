using System.Diagnostics;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol.Subscriptions;
using Orchestrator.Server.Gateway;
using Orchestrator.Server.Hosting;
using Orchestrator.Server.Json;

namespace Orchestrator.Server.Http;

/// <summary>
/// The transitions of a namespace as Server-Sent Events: <c>id: EPOCH-SEQ</c>,
/// <c>event: task-transitioned</c>, the notice as data. A client that reconnects with
/// <c>Last-Event-ID</c> gets what it missed when the namespace's buffer still holds it, otherwise an
/// <c>event: reset</c> first; then it follows on. With <c>digest=1s</c> (a watcher such as the
/// dashboard, which needs to know that something moved, not what) the transitions are counted
/// instead: one <c>event: digest</c> at most every that long, carrying their number and the last one's id.
/// </summary>
internal static class EventRoutes
{
    public const string NoticeEvent = "task-transitioned", ResetEvent = "reset", DigestEvent = "digest", EndedEvent = "subscription-ended";

    private static readonly TimeSpan ShortestDigest = TimeSpan.FromMilliseconds(100), LongestDigest = TimeSpan.FromMinutes(1);

    private static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();

    public static void Map(RouteGroupBuilder ns)
    {
        ns.MapGet("/events", Events).WithName("FollowTransitions")
            .WithSummary("Follow task transitions (text/event-stream)")
            .WithDescription("Optional filters agent and taskId, matched as SubscribeToTasks matches them. Reconnect with Last-Event-ID; " +
                             "event: reset (data {\"reason\"}) when the missed notices are gone. A ': keep-alive' comment every orchestrator.http.events.keep-alive. " +
                             "digest=1s (100ms to 1m) sends event: digest (data {\"transitions\"}) at most that often instead of each transition.")
            .Produces<TaskTransitioned>(StatusCodes.Status200OK, "text/event-stream")
            .Problems(StatusCodes.Status400BadRequest);
    }

    private static async Task<EventStreamResult> Events(
        string ns, TaskFeeds feeds, HttpSettings settings, IHostApplicationLifetime lifetime, CancellationToken cancellation,
        [FromQuery] string? agent = null, [FromQuery] string? taskId = null, [FromQuery] string? digest = null,
        [FromHeader(Name = "Last-Event-ID")] string? lastEventId = null)
    {
        // The filter is the protocol's: checked by its rule and matched by its rule.
        if (Validation.SubscriptionFilter(agent, taskId) is { } invalid) throw new OrchestratorRejectedException(invalid);
        var every = HttpInput.OptionalDuration("digest", digest);
        if (every is { } d && (d < ShortestDigest || d > LongestDigest))
            throw HttpInput.Invalid("digest", digest, "must be between 100ms and 1m");
        var feed = await feeds.ForAsync(ns, cancellation);
        var filter = new SubscribeToTasks(agent, taskId);
        return new EventStreamResult(Stream(feed, filter, every, lastEventId, settings.EventKeepAlive, lifetime.ApplicationStopping, cancellation));
    }

    // What goes out, a burst at a time: the events the feed holds when the stream gets to it, or a
    // keep-alive, or (first) nothing, which sends the headers.
    private static async IAsyncEnumerable<Burst> Stream(
        TaskFeed feed, SubscribeToTasks filter, TimeSpan? digestEvery, string? lastEventId, TimeSpan keepAlive, CancellationToken stopping,
        [EnumeratorCancellation] CancellationToken cancellation)
    {
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(cancellation, stopping);
        using var timer = new PeriodicTimer(keepAlive);
        var lastEnding = feed.LastEnding;
        var listener = feed.Listen(lastEventId);
        // A digest stream's transitions not yet told, the last one's place, and when the next digest may go.
        var counted = 0;
        var countedUpTo = 0L;
        var nextDigest = 0L;
        try
        {
            // Listening before the headers go out: a client that has the response misses nothing.
            yield return Burst.Headers;
            var replay = new List<SseItem<string>>();
            if (listener.Reset)
                replay.Add(Reset(feed, listener.Position, $"the notices after '{lastEventId}' are no longer held (the buffer overran, or the server restarted): re-read the tasks, then follow on"));
            foreach (var item in listener.Replay) Take(item, replay);
            Digest(replay);
            if (replay.Count > 0) yield return new Burst(replay);
            Task<bool>? next = null, tick = null;
            Task? due = null;
            while (true)
            {
                next ??= listener.Live.WaitToReadAsync(ending.Token).AsTask();
                tick ??= timer.WaitForNextTickAsync(ending.Token).AsTask();
                if (due is null) await Task.WhenAny(next, tick);
                else await Task.WhenAny(next, tick, due);
                if (ending.IsCancellationRequested) yield break;
                if (tick.IsCompleted)
                {
                    tick = null;
                    yield return Burst.KeepAlive;
                }
                // Every notice already waiting goes out in one write: a group commit's notices
                // arrive together, and a write per event would cost a send per event.
                var burst = new List<SseItem<string>>();
                if (next.IsCompleted)
                {
                    var open = await next;
                    next = null;
                    while (listener.Live.TryRead(out var item)) Take(item, burst);
                    if (!open)
                    {
                        // It fell too far behind, or the feed was interrupted: what it missed is gone.
                        // When the node said the subscription ended, the stream says so, and why, first.
                        if (feed.LastEnding is { } ended && !ReferenceEquals(ended, lastEnding))
                        {
                            lastEnding = ended;
                            burst.Add(new SseItem<string>(JsonSerializer.Serialize(new SubscriptionEndedShape(feed.Namespace, ended.Reason),
                                ServerJson.Default.SubscriptionEndedShape), EndedEvent));
                        }
                        listener.Dispose();
                        listener = feed.Listen(null);
                        counted = 0;
                        burst.Add(Reset(feed, listener.Position, "notices were lost (this stream fell behind, or the server's subscription was interrupted): re-read the tasks, then follow on"));
                    }
                }
                if (due?.IsCompleted == true) due = null;
                if (!Digest(burst) && counted > 0 && due is null)
                    due = Task.Delay(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), nextDigest), ending.Token);
                if (burst.Count > 0) yield return new Burst(burst);
            }
        }
        finally
        {
            listener.Dispose();
        }

        // A notice that matches goes into the burst, or into the count of a digest stream.
        void Take(FeedItem item, List<SseItem<string>> burst)
        {
            if (!filter.Matches(item.Notice)) return;
            if (digestEvery is null)
            {
                burst.Add(Notice(feed, item));
                return;
            }
            counted++;
            countedUpTo = item.Seq;
        }

        // A digest stream's count goes into the burst when one may go now; false when it has to wait.
        bool Digest(List<SseItem<string>> burst)
        {
            if (digestEvery is not { } every || counted == 0) return true;
            var now = Stopwatch.GetTimestamp();
            if (now < nextDigest) return false;
            burst.Add(new SseItem<string>(JsonSerializer.Serialize(new DigestShape(counted), ServerJson.Default.DigestShape), DigestEvent)
                { EventId = feed.Id(countedUpTo) });
            counted = 0;
            nextDigest = now + (long)(every.TotalSeconds * Stopwatch.Frequency);
            return true;
        }
    }

    private static SseItem<string> Notice(TaskFeed feed, FeedItem item) =>
        new(JsonSerializer.Serialize(item.Notice, ServerJson.Default.TaskTransitioned), NoticeEvent) { EventId = feed.Id(item.Seq) };

    // The reset carries the position it follows on from, so a client that reconnects after it resumes there.
    private static SseItem<string> Reset(TaskFeed feed, long position, string reason) =>
        new(JsonSerializer.Serialize(new ResetShape(reason), ServerJson.Default.ResetShape), ResetEvent) { EventId = feed.Id(position) };

    // The formatter takes an async sequence; a burst is already in hand (and completes at once).
    private static async IAsyncEnumerable<SseItem<string>> Each(IReadOnlyList<SseItem<string>> events)
    {
        foreach (var item in events) yield return item;
        await Task.CompletedTask;
    }

    /// <summary>What one write of the stream holds: events, a keep-alive comment, or nothing (the headers alone).</summary>
    private sealed record Burst(IReadOnlyList<SseItem<string>> Events, bool IsKeepAlive = false)
    {
        public static readonly Burst Headers = new([]);
        public static readonly Burst KeepAlive = new([], IsKeepAlive: true);
    }

    /// <summary>
    /// <c>text/event-stream</c>, written a burst at a time: the events of a burst are formatted by
    /// .NET's <see cref="SseFormatter"/> into one buffer and sent in one write (ASP.NET Core's
    /// <c>ServerSentEventsResult</c> sends each event on its own, a send per transition when
    /// thousands a second are journaled).
    /// </summary>
    private sealed class EventStreamResult(IAsyncEnumerable<Burst> bursts) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            var response = context.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache,no-store";
            response.Headers.Pragma = "no-cache";
            response.Headers.ContentEncoding = "identity";
            context.Features.GetRequiredFeature<IHttpResponseBodyFeature>().DisableBuffering();
            using var buffer = new MemoryStream();
            try
            {
                await foreach (var burst in bursts.WithCancellation(context.RequestAborted))
                {
                    buffer.SetLength(0);
                    if (burst.IsKeepAlive) buffer.Write(KeepAlive);
                    else if (burst.Events.Count > 0) await SseFormatter.WriteAsync(Each(burst.Events), buffer, context.RequestAborted);
                    if (buffer.Length > 0) await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
                    else await response.Body.FlushAsync(context.RequestAborted);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                // The client went away, or the server is stopping.
            }
        }
    }
}
