using Akka.Actor;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Tests.Support;

namespace Orchestrator.Actors.Tests;

/// <summary>The overlays shipped in config/ start a working node.</summary>
public sealed class OverlaySpecs
{
    [Fact]
    public async Task The_in_memory_overlay_serves_without_creating_a_database()
    {
        var dataDirectory = Path.Combine(TestConfigs.NewDataDirectory(), "never-created");
        var overlay = Path.Combine(TestConfigs.RepositoryRoot(), "config", "in-memory.conf");
        var config = OrchestratorConfig.Load(overlay, Akka.Configuration.ConfigurationFactory.ParseString(
            $"orchestrator.data-dir = {OrchestratorConfig.Quote(dataDirectory)}"));

        await using var node = OrchestratorNode.Start(config, "in-memory");
        var timeout = TimeSpan.FromSeconds(20);
        Assert.IsType<TaskDefinitionAccepted>(await node.StateManager.Ask<IOrchestratorReply>(new DefineTask("demo", "*", "demo.md"), timeout));
        Assert.IsType<TaskFound>(await node.StateManager.Ask<IOrchestratorReply>(new GetTask("demo"), timeout));

        Assert.False(Directory.Exists(dataDirectory));
    }
}
