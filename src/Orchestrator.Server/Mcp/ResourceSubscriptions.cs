using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Orchestrator.Actors.Client;
using Orchestrator.Server.Gateway;
using Orchestrator.Server.Http;

namespace Orchestrator.Server.Mcp;

/// <summary>
/// Which MCP session follows which task or document (<c>resources/subscribe</c>), and the
/// <c>notifications/resources/updated</c> each gets when the node journals a transition of that
/// task or a save of that document. Both come from the namespace's one shared feed
/// (<see cref="TaskFeeds"/>), the same the event streams and waiting claims follow; the feed's
/// subscription is confirmed before the subscribe is answered, so no change after it is missed. Where the feed may have lost
/// notices (the namespace moved, a slow listener), every resource followed in that namespace is
/// told it may have changed. A session that cannot be sent to any more is forgotten.
/// </summary>
public sealed class ResourceSubscriptions(TaskFeeds feeds, IHostApplicationLifetime lifetime, ILogger<ResourceSubscriptions> log)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, HashSet<McpServer>> _sessions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _watched = new(StringComparer.Ordinal);

    /// <summary>The handler of <c>resources/subscribe</c>.</summary>
    public async ValueTask<EmptyResult> SubscribeAsync(RequestContext<SubscribeRequestParams> request, CancellationToken cancellation)
    {
        var uri = request.Params?.Uri;
        var address = ResourceUris.Parse(uri) ?? throw new McpProtocolException($"'{uri}' is not a resource of this server: {ResourceUris.Expected}", McpErrorCode.InvalidParams);
        TaskFeed feed;
        try
        {
            feed = await feeds.ForAsync(address.Namespace, cancellation);
        }
        catch (OrchestratorException ex)
        {
            var problem = ReplyResults.Problem(ex);
            throw new McpProtocolException($"{problem.Title}: {problem.Detail}", problem.Status == 400 ? McpErrorCode.InvalidParams : McpErrorCode.InternalError);
        }
        var canonical = Canonical(address);
        lock (_gate)
        {
            if (!_sessions.TryGetValue(canonical, out var sessions)) _sessions[canonical] = sessions = [];
            sessions.Add(request.Server);
            // Listening starts here, inside the subscribe: a transition right after the answer is heard.
            if (_watched.Add(address.Namespace))
            {
                var ns = address.Namespace;
                feed.DocumentSaved += saved => _ = NotifyAsync(ResourceUris.State(ns, saved.OwnerId, saved.Key));
                _ = WatchAsync(ns, feed, feed.Listen(null));
            }
        }
        return new EmptyResult();
    }

    /// <summary>The handler of <c>resources/unsubscribe</c>.</summary>
    public ValueTask<EmptyResult> UnsubscribeAsync(RequestContext<UnsubscribeRequestParams> request, CancellationToken cancellation)
    {
        if (ResourceUris.Parse(request.Params?.Uri) is { } address)
            lock (_gate)
                if (_sessions.TryGetValue(Canonical(address), out var sessions))
                    sessions.Remove(request.Server);
        return ValueTask.FromResult(new EmptyResult());
    }

    // One spelling per resource, however the client escaped it.
    private static string Canonical(ResourceAddress address) =>
        address.TaskId is { } taskId
            ? ResourceUris.Task(address.Namespace, taskId)
            : ResourceUris.State(address.Namespace, address.OwnerId!, address.Key!);

    private async Task WatchAsync(string @namespace, TaskFeed feed, FeedListener listener)
    {
        var stopping = lifetime.ApplicationStopping;
        while (!stopping.IsCancellationRequested)
        {
            using (listener)
            {
                try
                {
                    await foreach (var item in listener.Live.ReadAllAsync(stopping))
                        await NotifyAsync(ResourceUris.Task(@namespace, item.Notice.TaskId));
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            // The feed ended this listener: notices may have been lost in between.
            List<string> followed;
            lock (_gate) followed = _sessions.Keys.Where(uri => ResourceUris.Parse(uri)?.Namespace == @namespace).ToList();
            foreach (var uri in followed) await NotifyAsync(uri);
            listener = feed.Listen(null);
        }
    }

    private async Task NotifyAsync(string uri)
    {
        McpServer[] sessions;
        lock (_gate)
        {
            if (!_sessions.TryGetValue(uri, out var set) || set.Count == 0) return;
            sessions = [.. set];
        }
        foreach (var session in sessions)
        {
            try
            {
                await session.SendNotificationAsync(NotificationMethods.ResourceUpdatedNotification, new ResourceUpdatedNotificationParams { Uri = uri },
                    McpJsonUtilities.DefaultOptions, lifetime.ApplicationStopping);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The session ended (closed, timed out): it follows nothing any more.
                log.LogDebug(ex, "Dropping a closed MCP session's subscriptions to {Uri}", uri);
                lock (_gate)
                    foreach (var set in _sessions.Values) set.Remove(session);
            }
        }
    }
}
