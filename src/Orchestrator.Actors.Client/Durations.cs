using System.Globalization;
using System.Text.RegularExpressions;

namespace Orchestrator.Actors.Client;

/// <summary>
/// Durations as clients write them: a whole number and a unit, <c>500ms</c>, <c>30s</c>, <c>2m</c>,
/// <c>1h</c>, <c>30d</c> (at most 365 days). The command line and the HTTP door read them here; the HTTP door also takes the
/// protocol's own <c>hh:mm:ss</c>.
/// </summary>
public static partial class Durations
{
    /// <summary>What a refusal says is expected.</summary>
    public const string Expected = "expected a duration such as 500ms, 30s, 2m, 1h or 30d";

    /// <summary>What a refusal says is expected where <c>hh:mm:ss</c> is accepted too.</summary>
    public const string ExpectedOrClock = "expected a duration such as 500ms, 30s, 2m, 1h, 30d or 00:00:30";

    /// <summary>Parses a whole number and a unit.</summary>
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        var match = text is null ? Match.Empty : Pattern().Match(text);
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
            return false;
        var milliseconds = match.Groups[2].Value switch
        {
            "ms" => amount,
            "s" => amount * 1_000.0,
            "m" => amount * 60_000.0,
            "h" => amount * 3_600_000.0,
            _ => amount * 86_400_000.0,
        };
        // Past this a TimeSpan overflows; no lease or timeout is that long anyway.
        if (milliseconds > TimeSpan.FromDays(365).TotalMilliseconds) return false;
        duration = TimeSpan.FromMilliseconds(milliseconds);
        return true;
    }

    /// <summary>Parses a whole number and a unit, or <c>hh:mm:ss</c> (how the protocol writes a TimeSpan).</summary>
    public static bool TryParseOrClock(string? text, out TimeSpan duration) =>
        TryParse(text, out duration) ||
        TimeSpan.TryParseExact(text, @"hh\:mm\:ss", CultureInfo.InvariantCulture, out duration);

    /// <summary>How a duration is written back: the largest unit that divides it.</summary>
    public static string Format(TimeSpan duration) => Protocol.ProtocolNames.Of(duration);

    [GeneratedRegex(@"^([0-9]{1,12})(ms|s|m|h|d)$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
