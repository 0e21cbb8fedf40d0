using BenchmarkDotNet.Running;
using Orchestrator.Actors.Benchmarks.Load;
using Orchestrator.Actors.Benchmarks.Soak;

// dotnet run -c Release --project tests/Orchestrator.Actors.Benchmarks -- table [--smoke]
// dotnet run -c Release --project tests/Orchestrator.Actors.Benchmarks -- micro [BenchmarkDotNet arguments]
// dotnet run -c Release --project tests/Orchestrator.Actors.Benchmarks -- claims [--tasks N] [--agents A] [--tenants T] [--rounds R]
// dotnet run -c Release --project tests/Orchestrator.Actors.Benchmarks -- state-memory [--tasks N] [--tags T]
// dotnet run -c Release --project tests/Orchestrator.Actors.Benchmarks -- recover TEMPLATE-DIR   (one recovery, for a profiler)
// ORCHESTRATOR_TEST_POSTGRES=... dotnet run -c Release --project tests/Orchestrator.Actors.Benchmarks -- failover [--tasks N]
// dotnet run -c Release --project tests/Orchestrator.Actors.Benchmarks -- soak [--rounds N] [--round-seconds S] [--agents A] [--seed S]
// ORCHESTRATOR_TEST_POSTGRES=... dotnet run -c Release --project tests/Orchestrator.Actors.Benchmarks -- cluster-soak [--rounds N] [--round-seconds S] [--agents A] [--seed S]
if (args.Length > 0 && args[0] == "micro")
{
    BenchmarkSwitcher.FromAssembly(typeof(LoadTable).Assembly).Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "claims") return await ClaimsRun.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "state-memory") return StateMemoryRun.Run(args[1..]);
if (args.Length > 0 && args[0] == "recover") return await RecoverOnce.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "soak") return await SoakRun.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "cluster-soak") return await ClusterSoakRun.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "failover") return await FailoverRun.RunAsync(args[1..]);
return await LoadTable.RunAsync(args.Length > 0 && args[0] == "table" ? args[1..] : args);
