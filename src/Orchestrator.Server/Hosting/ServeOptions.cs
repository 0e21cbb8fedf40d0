namespace Orchestrator.Server.Hosting;

/// <summary>
/// What <c>orchestrator serve</c> was asked for on its command line. Each value left null keeps
/// what hocon.conf and its overlays say.
/// </summary>
/// <param name="ConfigFiles">HOCON overlays over hocon.conf, each over the ones before it.</param>
/// <param name="DataDirectory">Where the SQLite files live.</param>
/// <param name="Host">The interface Akka.Remote listens on.</param>
/// <param name="Port">Akka.Remote's port (0: any free one).</param>
/// <param name="PublicHostname">The name other machines use to reach this node.</param>
/// <param name="Cluster">Join an Akka.Cluster (config/cluster.conf is layered in).</param>
/// <param name="Seeds">Seed nodes as HOST:PORT, with <paramref name="Cluster"/>.</param>
/// <param name="Roles">This member's roles, with <paramref name="Cluster"/>.</param>
/// <param name="HttpHost">The interface the HTTP server listens on.</param>
/// <param name="HttpPort">The HTTP server's port (0: any free one).</param>
public sealed record ServeOptions(
    IReadOnlyList<string>? ConfigFiles = null,
    string? DataDirectory = null,
    string? Host = null,
    int? Port = null,
    string? PublicHostname = null,
    bool Cluster = false,
    IReadOnlyList<string>? Seeds = null,
    IReadOnlyList<string>? Roles = null,
    string? HttpHost = null,
    int? HttpPort = null);
