using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Cluster.Tools.Client;
using Akka.Configuration;
using Orchestrator.Actors.Cluster;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.StateManager;
using Orchestrator.Actors.Storage;

namespace Orchestrator.Actors;

/// <summary>
/// An ActorSystem with the orchestrator at <c>/user/state-manager</c>: a <see cref="NamespaceRouter"/>
/// that passes each request to its namespace's state manager. With <c>akka.actor.provider = cluster</c>
/// (config/cluster.conf) the state managers are Cluster Sharding entities; otherwise they run here.
/// Stopping it (or the ActorSystem's coordinated shutdown) lets the state managers finish their
/// writes first.
/// </summary>
public sealed class OrchestratorNode : IAsyncDisposable
{
    /// <summary>The default ActorSystem name.</summary>
    public const string DefaultSystemName = OrchestratorNames.SystemName;

    private OrchestratorNode(ActorSystem system, IActorRef stateManager, OrchestratorSettings settings, ClusterSettings? cluster, bool hostsStateManagers)
    {
        System = system;
        StateManager = stateManager;
        Settings = settings;
        Cluster = cluster;
        HostsStateManagers = hostsStateManagers;
    }

    /// <summary>The ActorSystem.</summary>
    public ActorSystem System { get; }

    /// <summary>The orchestrator's router: send commands and queries of any namespace here.</summary>
    public IActorRef StateManager { get; }

    /// <summary>The checked settings.</summary>
    public OrchestratorSettings Settings { get; }

    /// <summary>The cluster settings when the node is a cluster member; null on a single node.</summary>
    public ClusterSettings? Cluster { get; }

    /// <summary>False on a cluster member without the hosting role: it only routes to the others.</summary>
    public bool HostsStateManagers { get; }

    /// <summary>The address other processes reach this node at (<c>akka.tcp://orchestrator@HOST:PORT</c>), or the local address without remoting.</summary>
    public Address Address => ((ExtendedActorSystem)System).Provider.DefaultAddress;

    /// <summary>The state manager's full address, for clients in other processes.</summary>
    public string StateManagerAddress => Address + StateManager.Path.ToStringWithoutAddress();

    /// <summary>Starts a node from a loaded configuration (see <see cref="OrchestratorConfig.Load"/>).</summary>
    /// <exception cref="ConfigurationException">A setting is invalid; the message names it.</exception>
    public static OrchestratorNode Start(Config config, string systemName = DefaultSystemName, TimeProvider? clock = null)
    {
        var settings = Prepare(config, systemName);
        return Attach(ActorSystem.Create(systemName, config), settings, clock);
    }

    /// <summary>
    /// What must happen before the ActorSystem exists: the settings are read and checked, the thread
    /// pool's floor raised, the SQLite files prepared (WAL is set before Akka opens them), the
    /// configured seed nodes checked.
    /// </summary>
    /// <exception cref="ConfigurationException">A setting is invalid; the message names it.</exception>
    public static OrchestratorSettings Prepare(Config config, string systemName = DefaultSystemName)
    {
        var settings = OrchestratorSettings.FromConfig(config);
        RaiseThreadPoolFloor(settings.MinWorkerThreads);
        if (OrchestratorConfig.UsesSqlite(config))
            SqliteDatabase.Prepare(settings);
        if (IsClustered(config)) CheckSeedNodes(config, systemName);
        return settings;
    }

    /// <summary>
    /// Raises the thread pool's floor of worker threads to <paramref name="minimum"/>, never lowers it
    /// (a host that set a higher one keeps it): the pool adds no thread while the CPU is saturated, as
    /// it is during the recovery of a large namespace, and the node's timers and other actors would
    /// wait for the recovery's threads (orchestrator.min-worker-threads in hocon.conf).
    /// </summary>
    public static void RaiseThreadPoolFloor(int minimum)
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        if (minimum > workers) ThreadPool.SetMinThreads(minimum, completionPorts);
    }

    /// <summary>True when <c>akka.actor.provider</c> makes the node a cluster member.</summary>
    public static bool IsClustered(Config config) =>
        config.GetString("akka.actor.provider", "") is "cluster" or "Akka.Cluster.ClusterActorRefProvider, Akka.Cluster";

    /// <summary>
    /// Starts the orchestrator in <paramref name="system"/>, created by the caller (a generic host's
    /// Akka.Hosting, or <see cref="Start"/>) from the configuration <see cref="Prepare"/> checked:
    /// the router at <c>/user/state-manager</c>, the sharding of namespaces on a cluster member, and
    /// the coordinated-shutdown task that lets the state managers finish their writes.
    /// </summary>
    public static OrchestratorNode Attach(ActorSystem system, OrchestratorSettings settings, TimeProvider? clock = null)
    {
        var clustered = ((ExtendedActorSystem)system).Provider is Akka.Cluster.ClusterActorRefProvider;
        var clusterSettings = clustered ? settings.Cluster : null;
        // Lease and retry instants on a clock that steps of the system clock do not move.
        clock ??= new SteadyClock(TimeProvider.System);

        IActorRef? region = null;
        var hosts = true;
        if (clusterSettings is not null)
            (region, hosts) = OrchestratorSharding.Start(system, settings, clusterSettings, clock);
        var stateManager = system.ActorOf(NamespaceRouter.Props(settings, clock, region), NamespaceRouter.Name);
        if (region is not null)
            // Clients outside the cluster (OrchestratorClient.ConnectClusterAsync) reach it through
            // any node's receptionist, and move to another node when theirs dies.
            ClusterClientReceptionist.Get(system).RegisterService(stateManager);
        var shutdown = CoordinatedShutdown.Get(system);
        // The phase's own timeout (hocon.conf) bounds how long held and in-flight requests may take
        // to be answered; the ask ends just before it so the phase does not time out first.
        var patience = shutdown.Timeout(CoordinatedShutdown.PhaseServiceStop) - TimeSpan.FromMilliseconds(500);
        var routerGone = stateManager.WatchAsync();
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceStop, "stop-state-manager", async () =>
        {
            try
            {
                // A router that is gone answers nothing: no need to wait out the patience.
                var answered = stateManager.Ask<ShutdownComplete>(Shutdown.Instance, patience);
                if (await Task.WhenAny(answered, routerGone) == answered) await answered;
            }
            catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
            {
                // Already stopped, or still busy: the journal keeps whatever it confirmed.
            }
            return Done.Instance;
        });
        StopWhenTheRouterStops(system, routerGone, shutdown);
        return new OrchestratorNode(system, stateManager, settings, clusterSettings, hosts);
    }

    /// <summary>Why a node stopped by itself: its router stopped while nothing was stopping the node.</summary>
    public sealed class RouterStopped : CoordinatedShutdown.Reason
    {
        /// <summary>The one instance.</summary>
        public static readonly RouterStopped Instance = new();

        private RouterStopped()
        {
        }

        /// <summary>1: the node failed.</summary>
        public override int ExitCode => 1;

        /// <inheritdoc />
        public override string ToString() => "the namespace router stopped while the node was serving";
    }

    // A node either serves or stops: without its router it would keep listening and answer nothing,
    // so the router stopping by itself (a bug; remote peers cannot stop it) stops the node, and serve
    // exits non-zero (its reason is RouterStopped).
    private static void StopWhenTheRouterStops(ActorSystem system, Task routerGone, CoordinatedShutdown shutdown) =>
        routerGone.ContinueWith(_ =>
        {
            if (shutdown.ShutdownReason is not null || system.WhenTerminated.IsCompleted) return;
            Logging.GetLogger(system, typeof(OrchestratorNode)).Error("The namespace router stopped while the node was serving; stopping the node");
            shutdown.Run(RouterStopped.Instance);
        }, TaskScheduler.Default);

    // Akka throws a bare UriFormatException from deep inside the cluster's start for a bad seed, and
    // waits forever for a seed of another ActorSystem name: both are refused here, naming the seed.
    private static void CheckSeedNodes(Config config, string systemName)
    {
        foreach (var seed in config.GetStringList("akka.cluster.seed-nodes", []))
        {
            Address address;
            try
            {
                address = Address.Parse(seed);
            }
            catch (Exception ex) when (ex is UriFormatException or ArgumentException or FormatException)
            {
                throw new ConfigurationException(
                    $"akka.cluster.seed-nodes: '{seed}' is not a node address such as akka.tcp://{systemName}@127.0.0.1:4053 ({ex.Message})");
            }
            if (address.System != systemName || address.Host is null || address.Port is null)
                throw new ConfigurationException(
                    $"akka.cluster.seed-nodes: '{seed}' is not a node of this cluster: expected akka.tcp://{systemName}@HOST:PORT (akka.ssl.tcp:// with TLS)");
        }
    }

    /// <summary>Stops the state manager after its writes in flight, then the ActorSystem.</summary>
    public Task StopAsync() => CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync();
}
