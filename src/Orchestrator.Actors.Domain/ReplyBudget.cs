using Orchestrator.Actors.Protocol.Serialization;
using static Orchestrator.Actors.Protocol.Serialization.JsonTextSizes;

namespace Orchestrator.Actors.Domain;

/// <summary>
/// What the replies that grow with the state may take (<see cref="DomainLimits.MaxReplyBytes"/>): a
/// page of tasks or agents ends before the view that would take it past the budget, and a task's
/// history leaves out its oldest entries. Every page holds at least one view, so that paging always
/// moves on; the input rules bound the largest view, and the budget may not be set below it
/// (<see cref="Smallest"/>).
/// </summary>
public static class ReplyBudget
{
    // A claim id as the views show it (claim-N), with room to spare.
    private const int LongestClaimId = 100;

    // A generated sentence around a text (a failure's reason with its attempt and retry time, a
    // lease expiry naming its agent), with room to spare.
    private const int SentenceAround = 100;

    /// <summary>
    /// The largest agent view the input rules allow: a name and 100 capabilities of 1,000 characters,
    /// each character one that JSON may escape. About 600 KB, well within the default budget.
    /// </summary>
    public static long LargestAgent { get; } =
        ViewSizes.Allowance + Longest(Validation.MaxTextLength) + Validation.MaxCapabilities * (Longest(Validation.MaxTextLength) + 4);

    /// <summary>The largest task view the input rules allow with at most <paramref name="maxDependencies"/> dependencies.</summary>
    public static long LargestTask(int maxDependencies) =>
        ViewSizes.Allowance
        + Id                                                  // taskId
        + 2 * Longest(Validation.MaxTextLength)               // agent, taskFile
        + maxDependencies * (Id + 4)                          // dependsOn
        + Longest(Validation.MaxTextLength + SentenceAround)  // reason
        + Longest(LongestClaimId) + Longest(Validation.MaxTextLength); // the claim's id and agent

    /// <summary>The largest history entry the input rules allow with at most <paramref name="maxDependencies"/> dependencies.</summary>
    public static long LargestHistoryEntry(int maxDependencies) =>
        ViewSizes.Allowance
        + Longest(SentenceAround)                             // the event's name
        + Longest(Validation.MaxTextLength)                   // by
        + Longest(LongestClaimId)
        // The detail: a reason in a sentence, or the definition's "waits for a, b, c" (ids are never escaped).
        + Math.Max(Longest(Validation.MaxTextLength + SentenceAround), SentenceAround + maxDependencies * (Id + 2));

    /// <summary>
    /// The smallest budget that holds any one view the input rules allow under <paramref name="policy"/>:
    /// below it, a page of one agent or one task could pass the budget.
    /// </summary>
    public static long Smallest(LifecyclePolicy policy) =>
        ViewSizes.ReplyAllowance + Math.Max(LargestAgent, Math.Max(LargestTask(policy.MaxDependencies), LargestHistoryEntry(policy.MaxDependencies)));

    // An id takes its characters and its quotes: every character an id may have is written as it is.
    private const long Id = Validation.MaxIdLength + 2;
}

/// <summary>The bytes one reply has used of its budget, view by view.</summary>
internal struct ReplyBytes(int budget)
{
    private long _used = ViewSizes.ReplyAllowance;
    private bool _any;

    /// <summary>
    /// Counts a view of <paramref name="bytes"/> and answers true when it fits; the first always
    /// does (the budget is at least <see cref="ReplyBudget.Smallest"/>, and a page of none would never move on).
    /// </summary>
    public bool Take(long bytes)
    {
        if (_any && _used + bytes > budget) return false;
        _used += bytes;
        _any = true;
        return true;
    }
}
