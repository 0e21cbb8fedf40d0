namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>The side-by-side load table (placeholder until the harness lands).</summary>
public static class LoadTable
{
    public static Task<int> RunAsync(string[] args)
    {
        Console.Error.WriteLine("load table not written yet");
        return Task.FromResult(1);
    }
}
