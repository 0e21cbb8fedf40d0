using System.Net;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestrator.Actors;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Configuration;
using Orchestrator.Server.Gateway;
using Orchestrator.Server.Http;

namespace Orchestrator.Server.Hosting;

/// <summary>
/// <c>orchestrator serve</c>: one generic host in which Akka.Hosting runs the orchestrator node and
/// Kestrel serves the HTTP door, so both start, stop and log together. The configuration is
/// hocon.conf and its overlays, as for every node; the command line's choices are typed options
/// laid over it. On SIGTERM or Ctrl+C the host stops Kestrel first, which answers the HTTP requests
/// in flight, then the ActorSystem's coordinated shutdown lets the state managers finish their
/// writes. When coordinated shutdown starts by itself (the node was downed or left its cluster),
/// its first phase stops Kestrel the same way before the state managers stop.
/// </summary>
public static class OrchestratorServer
{
    /// <summary>Exit codes of <c>serve</c>: 0 stopped cleanly, 1 could not listen or failed, 2 invalid configuration.</summary>
    public const int Stopped = 0, Failed = 1, InvalidConfiguration = 2;

    /// <summary>Checks the configuration, starts the host, prints where it listens, runs until stopped.</summary>
    public static async Task<int> RunAsync(ServeOptions options, TextWriter output, TextWriter errors, CancellationToken cancellation)
    {
        ServerPlan plan;
        try
        {
            plan = ServerPlan.From(options);
        }
        catch (Exception ex) when (ex is ConfigurationException or InvalidOperationException or ArgumentException)
        {
            errors.WriteLine($"orchestrator: {ex.Message.ReplaceLineEndings(" ")}");
            return InvalidConfiguration;
        }

        var app = Build(plan, args: []);
        try
        {
            // The ActorSystem is created here, before the host starts it, so that a port already
            // taken is reported as one line (Akka.Hosting would print the whole exception on stdout).
            app.Services.GetRequiredService<ActorSystem>();
            await app.StartAsync(cancellation);
        }
        catch (Exception ex) when (ListenFailure(ex) is { } cause)
        {
            errors.WriteLine($"orchestrator: cannot listen: {cause}");
            await StopQuietly(app);
            return Failed;
        }
        catch (Exception ex) when (ex is ConfigurationException or InvalidOperationException or ArgumentException)
        {
            errors.WriteLine($"orchestrator: {ex.Message.ReplaceLineEndings(" ")}");
            await StopQuietly(app);
            return InvalidConfiguration;
        }

        var gateway = app.Services.GetRequiredService<OrchestratorGateway>();
        var node = gateway.Node;
        output.WriteLine(StartupLine(node, plan));
        if (plan.Http.Enabled)
            output.WriteLine($"orchestrator: HTTP at {HttpUrl(app)}" + (plan.Http.RequiresKeys
                ? $" (API keys required, {plan.Http.ApiKeys.Count} configured)"
                : " (no API keys: loopback only)"));
        if (node.Cluster is not null)
        {
            var member = Akka.Cluster.Cluster.Get(node.System);
            // The cluster's state is not yet updated when this runs, so it names the node only.
            member.RegisterOnMemberUp(() => output.WriteLine($"orchestrator: member up in the cluster as {node.Address}"));
            member.RegisterOnMemberRemoved(() => output.WriteLine("orchestrator: removed from the cluster; stopping"));
        }
        output.WriteLine("orchestrator: press Ctrl+C to stop");

        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStopping.Register(() => output.WriteLine("orchestrator: stopping after the requests and writes in flight"));
        await app.WaitForShutdownAsync(cancellation);
        var reason = CoordinatedShutdown.Get(node.System).ShutdownReason;
        await app.DisposeAsync();
        if (reason is OrchestratorNode.RouterStopped)
        {
            errors.WriteLine($"orchestrator: stopped because {reason}");
            return Failed;
        }
        output.WriteLine("orchestrator: stopped");
        return Environment.ExitCode == 0 ? Stopped : Failed;
    }

    /// <summary>
    /// The host of <paramref name="plan"/>, not started: Akka.Hosting with the loaded configuration,
    /// the orchestrator attached to its ActorSystem, and (unless disabled) Kestrel with the routes.
    /// </summary>
    public static WebApplication Build(ServerPlan plan, string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
            console.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        // The MCP SDK logs every request at Information (three lines a tool call over /mcp): as ASP.NET Core's
        // per-request lines, only its warnings and errors (orchestrator mcp on stdio logs at Warning too).
        builder.Logging.AddFilter("ModelContextProtocol", LogLevel.Warning);
        // The ActorSystem's coordinated shutdown (up to its service-stop timeout) runs inside the host's stop.
        var shutdownTimeout = plan.Config.GetTimeSpan("akka.coordinated-shutdown.phases.service-stop.timeout", TimeSpan.FromSeconds(35)) +
                              plan.Http.RequestTimeout + TimeSpan.FromSeconds(10);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = shutdownTimeout);

        var gateway = new OrchestratorGateway(plan.Http.RequestTimeout);
        builder.Services.AddSingleton(gateway);
        builder.Services.AddSingleton(plan.Http);
        builder.Services.AddAkka(plan.SystemName, (akka, services) =>
        {
            akka.AddHocon(plan.Config, HoconAddMode.Prepend)
                .ConfigureLoggers(loggers =>
                {
                    loggers.ClearLoggers();
                    loggers.AddLoggerFactory();
                });
            if (plan.Tls is { } tls)
                akka.AddHocon(RemoteTls.Hocon, HoconAddMode.Prepend).AddSetup(tls.Setup);
            if (plan.Clustered)
                akka.WithClustering(new ClusterOptions { SeedNodes = [.. plan.SeedAddresses], Roles = plan.Roles is { } roles ? [.. roles] : null });
            if (plan.Options.Host is not null || plan.Options.Port is not null || plan.Options.PublicHostname is not null)
                akka.WithRemoting(new RemoteOptions
                {
                    HostName = plan.Options.Host,
                    Port = plan.Options.Port,
                    PublicHostName = plan.Options.PublicHostname,
                });
            akka.WithActors((system, registry) =>
            {
                var node = OrchestratorNode.Attach(system, plan.Settings);
                registry.Register<OrchestratorNode>(node.StateManager);
                if (plan.Http.Enabled)
                {
                    // A shutdown that starts in the ActorSystem (downed, left the cluster, or SIGTERM
                    // through Akka's CLR exit hook, which runs before the host hears of it) answers the
                    // HTTP requests in flight before the state managers stop; Kestrel's stop is idempotent.
                    // The host's stopping comes first: it ends the long polls and event streams, which
                    // wait on it, so that Kestrel is not left waiting for them.
                    var server = services.GetRequiredService<IServer>();
                    var lifetime = services.GetRequiredService<IHostApplicationLifetime>();
                    CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "stop-http", async () =>
                    {
                        lifetime.StopApplication();
                        using var patience = new CancellationTokenSource(plan.Http.RequestTimeout + TimeSpan.FromSeconds(5));
                        await server.StopAsync(patience.Token);
                        return Akka.Done.Instance;
                    });
                }
                gateway.Attach(node);
            });
        });

        if (plan.Http.Enabled)
        {
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxRequestBodySize = plan.Http.MaxRequestBodySize;
                void Configure(ListenOptions listen)
                {
                    if (plan.Http.Https is { } https) listen.UseHttps(https.Certificate);
                }
                if (plan.Http.Host == "*") kestrel.ListenAnyIP(plan.Http.Port, Configure);
                else if (plan.Http.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) kestrel.Listen(IPAddress.Loopback, plan.Http.Port, Configure);
                else kestrel.Listen(IPAddress.Parse(plan.Http.Host), plan.Http.Port, Configure);
            });
        }
        else
        {
            builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, "");
        }
        OrchestratorApi.AddServices(builder.Services, plan.Http);
        Telemetry.AddServices(builder.Services, plan);

        var app = builder.Build();
        if (plan.Http.Enabled)
        {
            OrchestratorApi.Map(app, plan.Http);
            Telemetry.Map(app, plan.Http);
        }
        return app;
    }

    /// <summary>The URL the HTTP server listens at, with the port it was given.</summary>
    public static string HttpUrl(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        return addresses?.FirstOrDefault() ?? "(none)";
    }

    private static string StartupLine(OrchestratorNode node, ServerPlan plan) =>
        (node.Cluster is null
            ? $"orchestrator: listening at {node.Address}; state manager at {node.StateManagerAddress}; data in {plan.Storage}"
            : $"orchestrator: cluster member at {node.Address}; state manager at {node.StateManagerAddress}; data in {plan.Storage}; " +
              (node.HostsStateManagers ? "hosts namespaces" : "routes only (no state-manager role)")) +
        (plan.Tls is { } tls ? $"; remoting over mutual TLS as '{tls.Certificate.Subject}'" : "; remoting without TLS (loopback only)");

    // The port is taken (by another process, usually), for Akka.Remote or for Kestrel.
    private static string? ListenFailure(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is Akka.Remote.RemoteTransportException)
                return (e.InnerException?.InnerException ?? e.InnerException ?? e).Message.ReplaceLineEndings(" ");
            if (e is IOException && e.InnerException is System.Net.Sockets.SocketException socket)
                return $"HTTP: {socket.Message}";
            if (e is System.Net.Sockets.SocketException s)
                return s.Message;
        }
        return null;
    }

    private static async Task StopQuietly(WebApplication app)
    {
        try
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await app.StopAsync(patience.Token);
        }
        catch (Exception)
        {
            // It failed to start; what it had started is stopped as far as it can be.
        }
    }
}
