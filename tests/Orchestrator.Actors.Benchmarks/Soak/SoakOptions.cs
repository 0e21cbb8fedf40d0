using System.Globalization;

namespace Orchestrator.Actors.Benchmarks.Soak;

/// <summary>What a soak run (one node or a cluster) was asked for; the leases and the journal's call timeout are fixed.</summary>
internal sealed record SoakOptions(int Rounds, TimeSpan Round, int Agents, int Seed, TimeSpan Lease, TimeSpan CallTimeout)
{
    public const string Usage = "[--rounds N] [--round-seconds S (>= 8)] [--agents A (even, >= 2)] [--seed S]";

    /// <summary>The options, or null when an argument is unknown or out of range.</summary>
    public static SoakOptions? Parse(string[] args)
    {
        int rounds = 6, seconds = 20, agents = 8, seed = Environment.TickCount & 0xFFFF;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            var parsed = args[i] switch
            {
                "--rounds" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out rounds) && rounds >= 1,
                "--round-seconds" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out seconds) && seconds >= 8,
                "--agents" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out agents) && agents >= 2 && agents % 2 == 0,
                "--seed" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out seed),
                _ => false,
            };
            if (!parsed) return null;
            i++;
        }
        return new SoakOptions(rounds, TimeSpan.FromSeconds(seconds), agents, seed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
    }
}
