using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
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
/// <c>event: reset</c> first; then it follows on.
/// </summary>
internal static class EventRoutes
{
    public const string NoticeEvent = "task-transitioned", ResetEvent = "reset";

    private static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();

    public static void Map(RouteGroupBuilder ns)
    {
        ns.MapGet("/events", Events).WithName("FollowTransitions")
            .WithSummary("Follow task transitions (text/event-stream)")
            .WithDescription("Optional filters agent and taskId, matched as SubscribeToTasks matches them. Reconnect with Last-Event-ID; " +
                             "event: reset (data {\"reason\"}) when the missed notices are gone. A ': keep-alive' comment every orchestrator.http.events.keep-alive.")
            .Produces<TaskTransitioned>(StatusCodes.Status200OK, "text/event-stream")
            .Problems(StatusCodes.Status400BadRequest);
    }

    private static async Task<ServerSentEventsResult<string>> Events(
        string ns, HttpResponse response, TaskFeeds feeds, HttpSettings settings, IHostApplicationLifetime lifetime, CancellationToken cancellation,
        [FromQuery] string? agent = null, [FromQuery] string? taskId = null, [FromHeader(Name = "Last-Event-ID")] string? lastEventId = null)
    {
        // The filter is the protocol's: checked by its rule and matched by its rule.
        if (Validation.SubscriptionFilter(agent, taskId) is { } invalid) throw new OrchestratorRejectedException(invalid);
        var feed = await feeds.ForAsync(ns, cancellation);
        var filter = new SubscribeToTasks(agent, taskId);
        return TypedResults.ServerSentEvents(Stream(feed, filter, lastEventId, response, settings.EventKeepAlive, lifetime.ApplicationStopping, cancellation));
    }

    private static async IAsyncEnumerable<SseItem<string>> Stream(
        TaskFeed feed, SubscribeToTasks filter, string? lastEventId, HttpResponse response, TimeSpan keepAlive, CancellationToken stopping,
        [EnumeratorCancellation] CancellationToken cancellation)
    {
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(cancellation, stopping);
        using var timer = new PeriodicTimer(keepAlive);
        var listener = feed.Listen(lastEventId);
        try
        {
            // Listening before the headers go out: a client that has the response misses nothing.
            if (!await Send(response, null, ending.Token)) yield break;
            if (listener.Reset)
                yield return Reset(feed, listener.Position, $"the notices after '{lastEventId}' are no longer held (the buffer overran, or the server restarted): re-read the tasks, then follow on");
            foreach (var item in listener.Replay)
            {
                if (filter.Matches(item.Notice)) yield return Notice(feed, item);
            }
            Task<bool>? next = null, tick = null;
            while (true)
            {
                next ??= listener.Live.WaitToReadAsync(ending.Token).AsTask();
                tick ??= timer.WaitForNextTickAsync(ending.Token).AsTask();
                await Task.WhenAny(next, tick);
                if (ending.IsCancellationRequested) yield break;
                if (tick.IsCompleted)
                {
                    tick = null;
                    if (!await Send(response, KeepAlive, ending.Token)) yield break;
                }
                if (!next.IsCompleted) continue;
                var open = await next;
                next = null;
                while (listener.Live.TryRead(out var item))
                {
                    if (filter.Matches(item.Notice)) yield return Notice(feed, item);
                }
                if (open) continue;
                // It fell too far behind, or the feed was interrupted: what it missed is gone.
                listener.Dispose();
                listener = feed.Listen(null);
                yield return Reset(feed, listener.Position, "notices were lost (this stream fell behind, or the server's subscription was interrupted): re-read the tasks, then follow on");
            }
        }
        finally
        {
            listener.Dispose();
        }
    }

    private static SseItem<string> Notice(TaskFeed feed, FeedItem item) =>
        new(JsonSerializer.Serialize(item.Notice, ServerJson.Default.TaskTransitioned), NoticeEvent) { EventId = feed.Id(item.Seq) };

    // The reset carries the position it follows on from, so a client that reconnects after it resumes there.
    private static SseItem<string> Reset(TaskFeed feed, long position, string reason) =>
        new(JsonSerializer.Serialize(new ResetShape(reason), ServerJson.Default.ResetShape), ResetEvent) { EventId = feed.Id(position) };

    // A comment (or, with null, only the headers) straight to the body, between the formatter's
    // events: SseItem has no comments. False when the client has gone.
    private static async Task<bool> Send(HttpResponse response, byte[]? bytes, CancellationToken cancellation)
    {
        try
        {
            if (bytes is not null) await response.Body.WriteAsync(bytes, cancellation);
            await response.Body.FlushAsync(cancellation);
            return true;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            return false;
        }
    }
}
