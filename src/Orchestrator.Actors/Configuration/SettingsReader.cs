using Akka.Configuration;

namespace Orchestrator.Actors.Configuration;

/// <summary>
/// Reads the keys of the <c>orchestrator</c> section, each checked: a bad value is a
/// <see cref="ConfigurationException"/> naming <c>orchestrator.KEY</c> and the value as written.
/// </summary>
public sealed class SettingsReader(Config config)
{
    public string Text(string key)
    {
        var value = Raw(key);
        return string.IsNullOrWhiteSpace(value) ? throw Bad(key, value, "must not be empty") : value;
    }

    public string OneOf(string key, params string[] allowed)
    {
        var value = Text(key);
        return allowed.FirstOrDefault(a => a.Equals(value, StringComparison.OrdinalIgnoreCase))
               ?? throw Bad(key, value, $"expected one of {string.Join(", ", allowed)}");
    }

    public int Int(string key, int min, int max)
    {
        var value = Raw(key);
        if (!int.TryParse(value, out var n)) throw Bad(key, value, "must be a whole number");
        return n < min || n > max ? throw Bad(key, value, $"must be between {min} and {max}") : n;
    }

    public double Double(string key, double min, double max)
    {
        var value = Raw(key);
        if (!double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var d))
            throw Bad(key, value, "must be a number");
        return d < min || d > max ? throw Bad(key, value, $"must be between {min} and {max}") : d;
    }

    public bool Bool(string key)
    {
        var value = Raw(key);
        return value?.ToLowerInvariant() switch
        {
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            _ => throw Bad(key, value, "must be on or off"),
        };
    }

    // A year bounds every duration: a lease or a retry time must stay a representable date.
    private static readonly TimeSpan LongestDuration = TimeSpan.FromDays(365);

    public TimeSpan Duration(string key, TimeSpan min)
    {
        var value = Raw(key);
        TimeSpan duration;
        try
        {
            duration = config.GetTimeSpan(key, null, allowInfinite: false);
        }
        catch (Exception)
        {
            throw Bad(key, value, "must be a duration such as 500ms, 30s or 2m");
        }
        if (duration > LongestDuration) throw Bad(key, value, $"must be at most {LongestDuration.TotalDays:0} days");
        return duration < min ? throw Bad(key, value, $"must be at least {min}") : duration;
    }

    public long Size(string key, long min, long max)
    {
        var value = Raw(key);
        long? bytes;
        try
        {
            bytes = config.GetByteSize(key);
        }
        catch (Exception)
        {
            throw Bad(key, value, "must be a size such as 512KiB or 1MiB");
        }
        if (bytes is null) throw Bad(key, value, "must be a size such as 512KiB or 1MiB");
        return bytes < min || bytes > max ? throw Bad(key, value, $"must be between {min} and {max} bytes") : bytes.Value;
    }

    /// <summary>The value as written, or null when the key is absent.</summary>
    public string? Raw(string key) => config.HasPath(key) ? config.GetString(key) : null;

    /// <summary>The value as the operator wrote it, quoted, for errors that relate two keys.</summary>
    public string Quoted(string key) => $"'{Raw(key)}'";

    public static ConfigurationException Bad(string key, string? value, string reason) =>
        new(value is null
            ? $"orchestrator.{key} is missing: it {reason}"
            : $"orchestrator.{key} = '{value}' is invalid: it {reason}");
}
