namespace Orchestrator.Actors.Tests.Support;

/// <summary>
/// Specs that start `orchestrator` processes run one class at a time: dozens of .NET processes
/// starting at once on two cores stall each other for seconds, long enough to time out requests
/// that a quieter machine answers in milliseconds.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProcessCollection
{
    public const string Name = "orchestrator processes";
}
