using BenchmarkDotNet.Attributes;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Serialization;

namespace Orchestrator.Actors.Benchmarks.Micro;

/// <summary>
/// <see cref="OrchestratorSerializer"/> on the three messages of a definition: the command as it
/// arrives from a remote client, the event as it is journaled, the reply as it goes back.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class SerializerBenchmarks
{
    private const string Payload = """{"repo":"orchestrator","branch":"main","steps":["build","test"],"retries":2}""";

    private OrchestratorSerializer _serializer = null!;
    private DefineTask _command = null!;
    private TaskDefined _event = null!;
    private TaskDefinitionAccepted _reply = null!;
    private (byte[] Bytes, string Manifest) _commandBinary;
    private (byte[] Bytes, string Manifest) _eventBinary;
    private (byte[] Bytes, string Manifest) _replyBinary;

    [GlobalSetup]
    public void Setup()
    {
        _serializer = NewSerializer();
        _command = new DefineTask("task-0001234", "agent-0", "tasks/task-0001234.md", "HIGH",
            ["task-0001000", "task-0001001"], MaxAttempts: 5, Payload, By: "cli");

        // The event and the reply are the domain's own, for a task whose dependencies are COMPLETED
        // elsewhere in the journal; here they are only defined, which the serializer cannot tell.
        var state = OrchestratorDomain.ApplyAll(OrchestratorState.Empty,
        [
            new TaskDefined("task-0001000", "agent-0", "tasks/task-0001000.md", TaskPriority.Medium, BenchmarkStates.T0),
            new TaskDefined("task-0001001", "agent-0", "tasks/task-0001001.md", TaskPriority.Medium, BenchmarkStates.T0),
        ]);
        var decision = OrchestratorDomain.Decide(state, _command, BenchmarkStates.Context(BenchmarkStates.T0.AddMinutes(1)));
        _event = (TaskDefined)decision.Events.Single();
        _reply = (TaskDefinitionAccepted)decision.Reply;

        _commandBinary = (_serializer.ToBinary(_command), _serializer.Manifest(_command));
        _eventBinary = (_serializer.ToBinary(_event), _serializer.Manifest(_event));
        _replyBinary = (_serializer.ToBinary(_reply), _serializer.Manifest(_reply));
    }

    /// <summary>
    /// The serializer keeps the system only for Akka's base class, which reads it for a serializer
    /// id taken from HOCON (this one overrides <c>Identifier</c>) and for <c>ToBinaryWithAddress</c>
    /// (not called here), so no actor system is needed.
    /// </summary>
    internal static OrchestratorSerializer NewSerializer() => new(null!);

    [Benchmark]
    public byte[] DefineTask_ToBinary() => _serializer.ToBinary(_command);

    [Benchmark]
    public object DefineTask_FromBinary() => _serializer.FromBinary(_commandBinary.Bytes, _commandBinary.Manifest);

    [Benchmark]
    public byte[] TaskDefined_ToBinary() => _serializer.ToBinary(_event);

    [Benchmark]
    public object TaskDefined_FromBinary() => _serializer.FromBinary(_eventBinary.Bytes, _eventBinary.Manifest);

    [Benchmark]
    public byte[] TaskDefinitionAccepted_ToBinary() => _serializer.ToBinary(_reply);

    [Benchmark]
    public object TaskDefinitionAccepted_FromBinary() => _serializer.FromBinary(_replyBinary.Bytes, _replyBinary.Manifest);
}
