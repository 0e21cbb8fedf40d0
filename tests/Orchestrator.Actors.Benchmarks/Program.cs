using BenchmarkDotNet.Running;
using Orchestrator.Actors.Benchmarks.Load;

// dotnet run -c Release --project tests/Orchestrator.Actors.Benchmarks -- table [--smoke]
// dotnet run -c Release --project tests/Orchestrator.Actors.Benchmarks -- micro [BenchmarkDotNet arguments]
if (args.Length > 0 && args[0] == "micro")
{
    BenchmarkSwitcher.FromAssembly(typeof(LoadTable).Assembly).Run(args[1..]);
    return 0;
}
return await LoadTable.RunAsync(args.Length > 0 && args[0] == "table" ? args[1..] : args);
