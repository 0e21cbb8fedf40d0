namespace Orchestrator.Actors.Domain;

/// <summary>
/// Rate limits on claims per tag, as the generic cell rate algorithm (GCRA, the leaky bucket as a
/// meter): each rated tag keeps one time, <c>due</c>, that every claim of one of its tasks moves on by
/// the spacing <c>1/rate</c> (from the claim's time when <c>due</c> is past). A claim goes through
/// while <c>due</c> is at most <c>burst - 1</c> spacings ahead of now, so a burst of up to the rate (at
/// least one claim) goes at once and then one claim each spacing. Whole ticks, no floating point in
/// the state: replaying the journaled claims gives the same times on every node.
/// </summary>
public static class ClaimRates
{
    /// <summary>The lowest rate other than 0 (one claim each 1,000 s).</summary>
    public const double LowestRate = 0.001;

    /// <summary>The time between two claims at <paramref name="rate"/> (above 0) claims per second.</summary>
    public static TimeSpan Spacing(double rate) => TimeSpan.FromTicks(Math.Max(1L, (long)Math.Round(TimeSpan.TicksPerSecond / rate)));

    /// <summary>How many claims go at once at <paramref name="rate"/>: the rate's whole part, at least one.</summary>
    public static long Burst(double rate) => Math.Max(1L, (long)Math.Floor(rate));

    /// <summary>
    /// When the next claim at <paramref name="rate"/> may go, given the tag's <paramref name="due"/>
    /// (null: no claim yet, so now); null for a rate of 0, which lets none through.
    /// </summary>
    public static DateTimeOffset? FreeAt(double rate, DateTimeOffset? due) =>
        rate <= 0 ? null : due is { } d ? d - Spacing(rate) * (Burst(rate) - 1) : DateTimeOffset.MinValue;

    /// <summary>The tag's due time after a claim at <paramref name="at"/>.</summary>
    public static DateTimeOffset After(double rate, DateTimeOffset? due, DateTimeOffset at) =>
        (due is { } d && d > at ? d : at) + Spacing(rate);
}
