using System.Text.Json;
using System.Text.Json.Nodes;
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
/// Who follows which task or document, and the <c>notifications/resources/updated</c> each gets
/// when the node journals a transition of that task or a save of that document. A client follows
/// with <c>resources/subscribe</c> (protocol revisions up to 2025-11-25: the notice goes to its
/// session) or, from the 2026-07-28 revision on, with <c>subscriptions/listen</c> and
/// <c>resourceSubscriptions</c> (the notices go over that request's own stream, tagged with its
/// id, until the client cancels it). Changes come from the namespace's one shared feed
/// (<see cref="TaskFeeds"/>), the same the event streams and waiting claims follow; the feed's
/// subscription is confirmed before a subscribe is answered, so no change after it is missed. Where
/// the feed may have lost notices (the namespace moved, a slow listener), every resource followed
/// in that namespace is told it may have changed. A follower that cannot be sent to any more is forgotten.
/// </summary>
public sealed class ResourceSubscriptions(TaskFeeds feeds, IHostApplicationLifetime lifetime, ILogger<ResourceSubscriptions> log)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, HashSet<Follower>> _followers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _watched = new(StringComparer.Ordinal);

    /// <summary>The handler of <c>resources/subscribe</c>.</summary>
    public async ValueTask<EmptyResult> SubscribeAsync(RequestContext<SubscribeRequestParams> request, CancellationToken cancellation)
    {
        await FollowAsync(new SessionFollower(request.Server), [request.Params?.Uri], cancellation);
        return new EmptyResult();
    }

    /// <summary>The handler of <c>resources/unsubscribe</c>.</summary>
    public ValueTask<EmptyResult> UnsubscribeAsync(RequestContext<UnsubscribeRequestParams> request, CancellationToken cancellation)
    {
        if (ResourceUris.Parse(request.Params?.Uri) is { } address)
            lock (_gate)
                if (_followers.TryGetValue(Canonical(address), out var followers))
                    followers.Remove(new SessionFollower(request.Server));
        return ValueTask.FromResult(new EmptyResult());
    }

    /// <summary>
    /// The handler of <c>subscriptions/listen</c> (2026-07-28 on): follows the resources asked for,
    /// acknowledges them, and holds the request open until the client cancels it. Lists never change
    /// here, so no list-changed notice is granted.
    /// </summary>
    public async ValueTask<EmptyResult> ListenAsync(RequestContext<SubscriptionsListenRequestParams> request, CancellationToken cancellation)
    {
        var uris = request.Params?.Notifications?.ResourceSubscriptions ?? [];
        // The request's server is bound to the request's own stream (on Streamable HTTP, the listen's response).
        var follower = new ListenFollower(request.Server, request.JsonRpcRequest.Id);
        await FollowAsync(follower, uris, cancellation);
        try
        {
            var granted = new SubscriptionsListenNotifications { ResourceSubscriptions = uris.Count > 0 ? [.. uris] : null };
            await follower.SendAsync(NotificationMethods.SubscriptionsAcknowledgedNotification,
                JsonSerializer.SerializeToNode(new SubscriptionsAcknowledgedNotificationParams { Notifications = granted },
                    McpJsonUtilities.DefaultOptions), cancellation);
            await Task.Delay(Timeout.Infinite, cancellation);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The client ended the listen (or went away).
        }
        finally
        {
            Forget(follower);
        }
        return new EmptyResult();
    }

    private async Task FollowAsync(Follower follower, IEnumerable<string?> uris, CancellationToken cancellation)
    {
        var addresses = uris.Select(uri => ResourceUris.Parse(uri)
                                           ?? throw new McpProtocolException($"'{uri}' is not a resource of this server: {ResourceUris.Expected}", McpErrorCode.InvalidParams))
            .ToList();
        var feedsByNamespace = new Dictionary<string, TaskFeed>(StringComparer.Ordinal);
        foreach (var ns in addresses.Select(a => a.Namespace).Distinct())
        {
            try
            {
                feedsByNamespace[ns] = await feeds.ForAsync(ns, cancellation);
            }
            catch (OrchestratorException ex)
            {
                throw ToolResults.ProtocolError(ex);
            }
        }
        lock (_gate)
        {
            foreach (var address in addresses)
            {
                var canonical = Canonical(address);
                if (!_followers.TryGetValue(canonical, out var followers)) _followers[canonical] = followers = [];
                followers.Add(follower);
            }
            // Listening starts here, inside the subscribe: a change right after the answer is heard.
            foreach (var (ns, feed) in feedsByNamespace)
            {
                if (!_watched.Add(ns)) continue;
                feed.DocumentSaved += saved => _ = NotifyAsync(ResourceUris.State(ns, saved.OwnerId, saved.Key));
                _ = WatchAsync(ns, feed, feed.Listen(null));
            }
        }
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
            lock (_gate) followed = _followers.Keys.Where(uri => ResourceUris.Parse(uri)?.Namespace == @namespace).ToList();
            foreach (var uri in followed) await NotifyAsync(uri);
            listener = feed.Listen(null);
        }
    }

    private async Task NotifyAsync(string uri)
    {
        Follower[] followers;
        lock (_gate)
        {
            if (!_followers.TryGetValue(uri, out var set) || set.Count == 0) return;
            followers = [.. set];
        }
        var update = JsonSerializer.SerializeToNode(new ResourceUpdatedNotificationParams { Uri = uri }, McpJsonUtilities.DefaultOptions);
        foreach (var follower in followers)
        {
            try
            {
                await follower.SendAsync(NotificationMethods.ResourceUpdatedNotification, update?.DeepClone(), lifetime.ApplicationStopping);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The session or the listen stream ended: it follows nothing any more.
                log.LogDebug(ex, "Dropping an MCP follower of {Uri} that cannot be sent to", uri);
                Forget(follower);
            }
        }
    }

    private void Forget(Follower follower)
    {
        lock (_gate)
            foreach (var set in _followers.Values) set.Remove(follower);
    }

    /// <summary>Where a follower's notices go.</summary>
    private abstract record Follower(McpServer Server)
    {
        public abstract Task SendAsync(string method, JsonNode? parameters, CancellationToken cancellation);
    }

    // resources/subscribe: to the session.
    private sealed record SessionFollower(McpServer Server) : Follower(Server)
    {
        public override Task SendAsync(string method, JsonNode? parameters, CancellationToken cancellation) =>
            Server.SendMessageAsync(new JsonRpcNotification { Method = method, Params = parameters }, cancellation);
    }

    // subscriptions/listen: over the listen request's own stream, tagged with its id (SEP-2575).
    private sealed record ListenFollower(McpServer Server, RequestId Id) : Follower(Server)
    {
        public override Task SendAsync(string method, JsonNode? parameters, CancellationToken cancellation)
        {
            var tagged = parameters as JsonObject ?? new JsonObject();
            if (tagged["_meta"] is not JsonObject meta) tagged["_meta"] = meta = new JsonObject();
            meta[MetaKeys.SubscriptionId] = Id.Id switch
            {
                string text => JsonValue.Create(text),
                long number => JsonValue.Create(number),
                _ => null,
            };
            return Server.SendMessageAsync(new JsonRpcNotification { Method = method, Params = tagged }, cancellation);
        }
    }
}
