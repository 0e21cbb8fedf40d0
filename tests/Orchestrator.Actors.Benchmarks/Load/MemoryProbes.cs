namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>The peak of the managed heap (<see cref="GC.GetTotalMemory(bool)"/>, no collection forced), sampled every 50 ms while it runs.</summary>
internal sealed class HeapSampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private long _peak = GC.GetTotalMemory(false);

    public HeapSampler() => _sampling = SampleAsync();

    public long Peak => Interlocked.Read(ref _peak);

    public const string What = "managed heap";

    public PeakMemory Result => new(Peak, What);

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
                Interlocked.Exchange(ref _peak, Math.Max(Peak, GC.GetTotalMemory(false)));
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }
}

/// <summary>Figures of other processes, from /proc.</summary>
internal static class ProcessMemory
{
    /// <summary>The resident set's peak (VmHWM) of process <paramref name="pid"/>, or null where /proc does not say.</summary>
    public static long? PeakResidentBytes(int pid)
    {
        var status = $"/proc/{pid}/status";
        if (!File.Exists(status)) return null;
        foreach (var line in File.ReadLines(status))
        {
            if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(parts[1]) * 1024;
        }
        return null;
    }

    /// <summary>
    /// The CPU time (user and system, all threads) process <paramref name="pid"/> has used so far, from
    /// /proc/PID/stat in clock ticks of 10 ms (USER_HZ is 100 on Linux); null where /proc does not say.
    /// </summary>
    public static TimeSpan? CpuTime(int pid) => Stat(pid) is { } stat ? stat.Cpu : null;

    /// <summary>
    /// The name and CPU time (user and system) of process <paramref name="pid"/>, read once from
    /// /proc/PID/stat (clock ticks of 10 ms: USER_HZ is 100 on Linux); null where /proc does not say,
    /// or the process ended meanwhile.
    /// </summary>
    public static (string Name, TimeSpan Cpu)? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // "pid (comm) state ppid ...": the name may hold spaces, so the fields are counted after its ')'; utime and stime are fields 14 and 15.
            var end = stat.LastIndexOf(')');
            var fields = stat[(end + 2)..].Split(' ');
            return (stat[(stat.IndexOf('(') + 1)..end], TimeSpan.FromMilliseconds((long.Parse(fields[11]) + long.Parse(fields[12])) * 10));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Collects everything collectable and returns the managed heap left.</summary>
    public static long SettledHeap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
