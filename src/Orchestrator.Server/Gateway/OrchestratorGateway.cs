using Akka.Actor;
using Orchestrator.Actors;
using Orchestrator.Actors.Client;

namespace Orchestrator.Server.Gateway;

/// <summary>
/// The one path every door of the server (HTTP, MCP) takes to the orchestrator: the typed
/// <see cref="OrchestratorClient"/> over the node's <c>/user/state-manager</c>, in this process.
/// So a request's validation, its rejection's wording and what each reply means are the
/// protocol's, written once; a door only maps them onto its own conventions.
/// </summary>
public sealed class OrchestratorGateway
{
    private readonly TaskCompletionSource<OrchestratorNode> _node = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private OrchestratorClient? _client;
    private ActorSystem? _system;

    /// <summary>A gateway whose node is attached later, when the host has started the ActorSystem.</summary>
    public OrchestratorGateway(TimeSpan requestTimeout) => RequestTimeout = requestTimeout;

    /// <summary>A gateway over a node that runs already (tests, embedding).</summary>
    public OrchestratorGateway(OrchestratorNode node, TimeSpan requestTimeout) : this(requestTimeout) => Attach(node);

    /// <summary>How long one request waits for its reply.</summary>
    public TimeSpan RequestTimeout { get; }

    /// <summary>The node, once started.</summary>
    public OrchestratorNode Node => _node.Task.IsCompletedSuccessfully
        ? _node.Task.Result
        : throw new InvalidOperationException("the orchestrator node has not started yet");

    /// <summary>The ActorSystem the doors' own actors run in: the node's, or a remote client's own.</summary>
    public ActorSystem System => _system ?? throw new InvalidOperationException("the orchestrator node has not started yet");

    /// <summary>Completes when the node has started.</summary>
    public Task<OrchestratorNode> Started => _node.Task;

    /// <summary>Called once, when the node has started.</summary>
    public void Attach(OrchestratorNode node)
    {
        Attach(node.System, new OrchestratorClient(node.StateManager, new OrchestratorClientOptions(RequestTimeout, Retries: 0), node.Address.ToString()));
        _node.TrySetResult(node);
    }

    /// <summary>
    /// Called once, for a door in another process than the node (<c>orchestrator mcp</c>): its
    /// requests go through <paramref name="client"/>, its own actors (event feeds) run in
    /// <paramref name="system"/>, which the client's remoting lives in.
    /// </summary>
    public void Attach(ActorSystem system, OrchestratorClient client)
    {
        _system = system;
        _client = client;
    }

    /// <summary>The client of <paramref name="namespace"/>. Its namespace is checked by the node, as every request's is.</summary>
    public OrchestratorClient For(string @namespace) =>
        (_client ?? throw new InvalidOperationException("the orchestrator node has not started yet")).ForNamespace(@namespace);

    /// <summary>The client for requests that name no namespace (the cluster status).</summary>
    public OrchestratorClient Client => _client ?? throw new InvalidOperationException("the orchestrator node has not started yet");
}
