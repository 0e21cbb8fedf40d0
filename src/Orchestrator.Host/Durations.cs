using System.Globalization;
using System.Text.RegularExpressions;

namespace Orchestrator.Host;

/// <summary>Durations on the command line: a whole number and a unit, <c>500ms</c>, <c>30s</c>, <c>2m</c>, <c>1h</c>.</summary>
internal static partial class Durations
{
    public const string Expected = "expected a duration such as 500ms, 30s, 2m or 1h";

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
            _ => amount * 3_600_000.0,
        };
        // Past this a TimeSpan overflows; no lease or timeout is that long anyway.
        if (milliseconds > TimeSpan.FromDays(365).TotalMilliseconds) return false;
        duration = TimeSpan.FromMilliseconds(milliseconds);
        return true;
    }

    /// <summary>How a duration is written back: the largest unit that divides it.</summary>
    public static string Format(TimeSpan duration) => duration.TotalMilliseconds switch
    {
        var ms when ms % 3_600_000 == 0 && ms > 0 => $"{ms / 3_600_000:0}h",
        var ms when ms % 60_000 == 0 && ms > 0 => $"{ms / 60_000:0}m",
        var ms when ms % 1_000 == 0 => $"{ms / 1_000:0}s",
        var ms => $"{ms:0}ms",
    };

    [GeneratedRegex(@"^([0-9]{1,12})(ms|s|m|h)$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
