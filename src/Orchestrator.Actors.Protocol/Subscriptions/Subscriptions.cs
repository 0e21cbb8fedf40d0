using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Protocol.Subscriptions;

/// <summary>A subscription request. The state manager's gateway answers it; the subscriber is the sender.</summary>
public interface ISubscriptionRequest : INamespaced;

/// <summary>A notification pushed to a subscriber.</summary>
public interface IOrchestratorNotification : IOrchestratorMessage;

/// <summary>A subscription's filter: which notifications reach the subscriber that holds it.</summary>
public interface INotificationFilter
{
    /// <summary>True when <paramref name="notification"/> reaches the subscriber.</summary>
    bool Lets(IOrchestratorNotification notification);
}

/// <summary>
/// Subscribes the sender to task transitions: all of them (no filter), those of one agent's tasks
/// (tasks defined for <paramref name="Agent"/>, transitions it caused, and its claims ending), or one task's. Each
/// transition arrives as a <see cref="TaskTransitioned"/> after its event is journaled, in journal
/// order. Subscribing again adds a filter (an identical one counts once; at most
/// <c>orchestrator.subscriptions.max-filters</c>). Subscriptions end when the subscriber stops or
/// sends <see cref="UnsubscribeFromTasks"/>. Replies <see cref="SubscribedToTasks"/>, or
/// <see cref="Replies.CommandRejected"/> for a bad filter or one too many.
/// </summary>
public sealed record SubscribeToTasks(string? Agent = null, string? TaskId = null) : NamespacedRequest, ISubscriptionRequest, INotificationFilter
{
    /// <inheritdoc />
    public bool Lets(IOrchestratorNotification notification) => notification is TaskTransitioned notice && Matches(notice);

    /// <summary>
    /// True when this filter lets <paramref name="notice"/> through. No filter: everything. Agent:
    /// transitions of tasks defined for it, caused by it, or of its claims (so it hears that its
    /// claim on a <c>*</c> task expired). Task: that task's. Both: both must hold.
    /// </summary>
    public bool Matches(TaskTransitioned notice) =>
        (TaskId is null || TaskId == notice.TaskId)
        && (Agent is null || Agent == notice.Agent || Agent == notice.Entry.By || Agent == notice.ClaimAgent);
}

/// <summary>
/// Subscribes the sender to saved documents: every one of the namespace (no owner), or one
/// owner's. Each save arrives as a <see cref="StateChanged"/> after its event is journaled, in
/// journal order. Counts against the same <c>orchestrator.subscriptions.max-filters</c> as task
/// filters; ends as they do (<see cref="UnsubscribeFromTasks.All"/>, or the subscriber stopping).
/// Replies <see cref="SubscribedToDocuments"/>, or <see cref="Replies.CommandRejected"/>.
/// </summary>
public sealed record SubscribeToDocuments(string? OwnerId = null) : NamespacedRequest, ISubscriptionRequest, INotificationFilter
{
    /// <inheritdoc />
    public bool Lets(IOrchestratorNotification notification) =>
        notification is StateChanged changed && (OwnerId is null || OwnerId == changed.OwnerId);
}

/// <summary>The document subscription is active: every later save that matches is delivered.</summary>
public sealed record SubscribedToDocuments(string? OwnerId) : IOrchestratorReply;

/// <summary>A document was saved at a new version (journaled). Read it with GetState.</summary>
/// <param name="OwnerId">Whose document.</param>
/// <param name="Key">Which document of the owner.</param>
/// <param name="Version">Its version now.</param>
/// <param name="SavedAt">When it was saved.</param>
public sealed record StateChanged(string OwnerId, string Key, long Version, DateTimeOffset SavedAt) : IOrchestratorNotification;

/// <summary>
/// Removes the sender's filter with these fields (as it subscribed with them); with neither field,
/// ends every subscription of the sender. Replies <see cref="UnsubscribedFromTasks"/>.
/// </summary>
public sealed record UnsubscribeFromTasks(string? Agent = null, string? TaskId = null) : NamespacedRequest, ISubscriptionRequest
{
    /// <summary>Ends every subscription of the sender.</summary>
    public static readonly UnsubscribeFromTasks All = new();
}

/// <summary>
/// Every subscription of the receiver to <paramref name="Namespace"/> has ended and no more notices
/// will come from it: the namespace is moving to another node, or its node is stopping. Subscribe
/// again (through the router, which finds where the namespace runs next) and re-read what matters,
/// since notices journaled in between are not delivered.
/// </summary>
/// <param name="Namespace">The namespace whose notices stop.</param>
/// <param name="Reason">Why, in words.</param>
public sealed record SubscriptionEnded(string Namespace, string Reason) : IOrchestratorNotification;

/// <summary>The subscription is active: every later transition that matches is delivered.</summary>
public sealed record SubscribedToTasks(string? Agent, string? TaskId) : IOrchestratorReply;

/// <summary>Done: <paramref name="Remaining"/> filters of the sender are left (0 when it has no subscription any more).</summary>
public sealed record UnsubscribedFromTasks(int Remaining) : IOrchestratorReply;

/// <summary>A task made a transition (journaled).</summary>
/// <param name="TaskId">The task.</param>
/// <param name="Agent">The agent the task is defined for (<c>*</c> for any).</param>
/// <param name="Priority">The task's priority.</param>
/// <param name="Entry">The transition, as it appears in the task's history.</param>
/// <param name="ClaimAgent">
/// The agent whose claim the transition made or ended (claimed, completed, failed, lease expired,
/// cancelled while claimed), so that an agent's subscription hears of its claims on <c>*</c> tasks.
/// </param>
public sealed record TaskTransitioned(string TaskId, string Agent, TaskPriority Priority, TaskHistoryEntry Entry, string? ClaimAgent = null) : IOrchestratorNotification;
