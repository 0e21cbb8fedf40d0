using BenchmarkDotNet.Attributes;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol.Serialization;
using Orchestrator.Actors.Protocol.Snapshots;

namespace Orchestrator.Actors.Benchmarks.Micro;

/// <summary>
/// Writing and reading a snapshot of <see cref="Tasks"/> READY tasks: whole (as the snapshot store and
/// recovery do it) and split into its domain half and its serializer half.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class SnapshotBenchmarks
{
    private OrchestratorSerializer _serializer = null!;
    private OrchestratorState _state = null!;
    private OrchestratorSnapshotV2 _snapshot = null!;
    private byte[] _bytes = null!;
    private string _manifest = null!;

    /// <summary>Tasks in the state.</summary>
    [Params(10_000, 100_000)]
    public int Tasks { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _serializer = SerializerBenchmarks.NewSerializer();
        _state = BenchmarkStates.WithTasks(Tasks);
        _snapshot = Snapshots.ToSnapshot(_state);
        _bytes = _serializer.ToBinary(_snapshot);
        _manifest = _serializer.Manifest(_snapshot);
        Console.WriteLine($"// snapshot of {Tasks:N0} tasks: {_bytes.Length:N0} bytes ({_bytes.Length / Tasks:N0} per task), manifest {_manifest}");
    }

    /// <summary>What the snapshot store does with the state manager's snapshot.</summary>
    [Benchmark]
    public byte[] ToSnapshot_and_ToBinary() => _serializer.ToBinary(Snapshots.ToSnapshot(_state));

    /// <summary>What recovery does with a stored snapshot.</summary>
    [Benchmark]
    public OrchestratorState FromBinary_and_FromSnapshot() =>
        Snapshots.FromSnapshot((OrchestratorSnapshotV2)_serializer.FromBinary(_bytes, _manifest));

    [Benchmark]
    public OrchestratorSnapshotV2 ToSnapshot() => Snapshots.ToSnapshot(_state);

    [Benchmark]
    public byte[] ToBinary() => _serializer.ToBinary(_snapshot);

    [Benchmark]
    public object FromBinary() => _serializer.FromBinary(_bytes, _manifest);

    [Benchmark]
    public OrchestratorState FromSnapshot() => Snapshots.FromSnapshot(_snapshot);
}
