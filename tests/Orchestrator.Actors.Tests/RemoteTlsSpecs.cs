using Akka.Actor;
using Akka.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Tests.Support;
using Orchestrator.Server.Gateway;
using Orchestrator.Server.Hosting;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// Mutual TLS on Akka.Remote: a node started as <c>serve</c> with <c>orchestrator.remote.tls</c>
/// serves a client whose certificate its CA signed, and no other; the client checks the node the
/// same way; a node that would listen beyond loopback without TLS does not start.
/// </summary>
public sealed class RemoteTlsSpecs : IAsyncLifetime
{
    private static readonly OrchestratorClientOptions Quick = new(TimeSpan.FromSeconds(10));

    private readonly TestCertificates _certificates = new();
    private readonly List<ActorSystem> _clients = [];
    private HttpServer _server = null!;
    private string _ca = null!;

    public async Task InitializeAsync()
    {
        _ca = _certificates.Authority("cluster-ca");
        var node = _certificates.Issue("node-1", "cluster-ca");
        _server = await HttpServer.StartAsync(TlsOverlay(node.Certificate, node.Key, _ca));
    }

    public async Task DisposeAsync()
    {
        foreach (var system in _clients) await system.Terminate();
        await _server.DisposeAsync();
        _certificates.Dispose();
    }

    private static string TlsOverlay(string certificate, string? key, string? trust) => $$"""
        orchestrator.remote.tls {
          certificate = {{Quote(certificate)}}
          key = {{Quote(key ?? "")}}
          trust = {{Quote(trust ?? "")}}
        }
        """;

    private static string Quote(string text) => Orchestrator.Actors.Configuration.OrchestratorConfig.Quote(text);

    private static string Address(HttpServer server) => $"127.0.0.1:{server.App.Services.GetRequiredService<OrchestratorGateway>().Node.Address.Port}";

    private Task<OrchestratorClient> ConnectAsync(RemoteTls? tls, HttpServer? server = null)
    {
        var system = OrchestratorClient.CreateSystem("tls-client", tls, ConfigurationFactory.ParseString("akka.remote.retry-gate-closed-for = 200ms"));
        _clients.Add(system);
        return OrchestratorClient.ConnectAsync(system, Address(server ?? _server), Quick);
    }

    private RemoteTls ClientTls(string name, string? authority, string? trust) => Tls(_certificates.Issue(name, authority), trust);

    private static RemoteTls Tls((string Certificate, string Key) files, string? trust) => new RemoteTlsFiles(files.Certificate, files.Key, trust).Load();

    [Fact]
    public async Task A_client_whose_certificate_the_nodes_CA_signed_is_served()
    {
        var client = await ConnectAsync(ClientTls("agent-1", "cluster-ca", _ca));

        var defined = await client.DefineTaskAsync(new DefineTask("tls-1", "agent-1", "tasks/tls-1.md"));
        Assert.False(defined.AlreadyDefined);
        Assert.Equal("tls-1", (await client.GetTaskAsync("tls-1")).Task.TaskId);
    }

    public static TheoryData<string> Refused => new() { "no TLS", "another CA", "self-signed", "expired", "client trusts another CA" };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_client_the_node_cannot_admit_or_that_cannot_admit_the_node_is_not_served_and_the_node_keeps_serving(string client)
    {
        _certificates.Authority("rogue-ca");
        var tls = client switch
        {
            "no TLS" => null,
            "another CA" => ClientTls("rogue-agent", "rogue-ca", Path.Combine(_certificates.Folder, "rogue-ca.crt")),
            // The same subject as a real client, signed by nobody the node trusts; it trusts the node's CA.
            "self-signed" => ClientTls("agent-1", null, _ca),
            "expired" => Tls(_certificates.Issue("old-agent", "cluster-ca", DateTimeOffset.UtcNow.AddYears(-2), DateTimeOffset.UtcNow.AddDays(-1)), _ca),
            // A certificate the node would admit, but the node's own is not signed by the CA this client trusts.
            _ => ClientTls("careful-agent", "cluster-ca", Path.Combine(_certificates.Folder, "rogue-ca.crt")),
        };

        await Assert.ThrowsAsync<OrchestratorUnreachableException>(() => ConnectAsync(tls));

        var admitted = await ConnectAsync(ClientTls("agent-2", "cluster-ca", _ca));
        Assert.False((await admitted.DefineTaskAsync(new DefineTask($"after-{Guid.NewGuid():N}", "agent-2", "tasks/after.md"))).AlreadyDefined);
    }

    [Fact]
    public async Task One_self_signed_certificate_shared_by_node_and_client_needs_no_trust_file()
    {
        var shared = _certificates.Issue("shared", null);
        var password = "p4ss-" + Guid.NewGuid().ToString("N");
        var pfx = _certificates.Pkcs12("shared", password);
        await using var server = await HttpServer.StartAsync(TlsOverlay(shared.Certificate, shared.Key, null));

        var client = await ConnectAsync(new RemoteTlsFiles(pfx, Password: password).Load(), server);

        Assert.False((await client.DefineTaskAsync(new DefineTask("shared-1", "a", "tasks/shared-1.md"))).AlreadyDefined);
        await Assert.ThrowsAsync<OrchestratorUnreachableException>(() => ConnectAsync(ClientTls("agent-3", "cluster-ca", _ca), server));
    }

    [SkippableFact]
    public async Task Two_cluster_members_with_certificates_of_the_CA_form_a_cluster_over_TLS_and_a_cluster_client_reaches_it()
    {
        using var database = PostgresDatabase.Create();
        var seedPort = HostProcess.FreePort();
        string Overlay(string member)
        {
            var files = _certificates.Issue(member, "cluster-ca");
            return File.ReadAllText(PostgresDatabase.OverlayPath) +
                   $"\norchestrator.postgres.connection-string = {Quote(database.ConnectionString)}\n" + TlsOverlay(files.Certificate, files.Key, _ca);
        }
        await using var first = await HttpServer.StartAsync(new ServeOptions(Port: seedPort, HttpPort: 0, Cluster: true, Seeds: [$"127.0.0.1:{seedPort}"]), Overlay("member-a"));
        await using var second = await HttpServer.StartAsync(new ServeOptions(Port: 0, HttpPort: 0, Cluster: true, Seeds: [$"127.0.0.1:{seedPort}"]), Overlay("member-b"));
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Akka.Cluster.Cluster.Get(second.App.Services.GetRequiredService<ActorSystem>()).RegisterOnMemberUp(() => up.TrySetResult());
        await up.Task.WaitAsync(HttpServer.Patience);

        var system = OrchestratorClient.CreateSystem("tls-cluster-client", ClientTls("cluster-agent", "cluster-ca", _ca));
        _clients.Add(system);
        var client = await OrchestratorClient.ConnectClusterAsync(system, [Address(first), Address(second)], Quick);
        var cluster = await client.GetClusterStatusAsync();

        Assert.Equal(["Up", "Up"], cluster.Members.Select(m => m.Status));
        Assert.All(cluster.Members, m => Assert.StartsWith("akka.ssl.tcp://orchestrator@127.0.0.1:", m.Address));
        Assert.False((await client.DefineTaskAsync(new DefineTask("cluster-tls-1", "a", "tasks/c.md"))).AlreadyDefined);
    }

    [Fact]
    public async Task The_CLI_takes_its_certificate_from_options_or_the_environment_and_names_a_missing_file()
    {
        var agent = _certificates.Issue("cli-agent", "cluster-ca");
        var patience = TimeSpan.FromSeconds(60);
        var server = Address(_server);

        var byOptions = await HostProcess.RunAsync(patience, "define", "cli-tls-1", "--agent", "a", "--file", "tasks/a.md", "--server", server,
            "--tls-certificate", agent.Certificate, "--tls-key", agent.Key, "--tls-trust", _ca);
        var byEnvironment = await HostProcess.RunAsync(patience,
            new Dictionary<string, string>
            {
                [RemoteTlsFiles.CertificateVariable] = agent.Certificate,
                [RemoteTlsFiles.KeyVariable] = agent.Key,
                [RemoteTlsFiles.TrustVariable] = _ca,
            },
            "get", "cli-tls-1", "--json", "--server", server);
        var missing = await HostProcess.RunAsync(patience, "get", "cli-tls-1", "--server", server, "--tls-certificate", "absent.crt");
        var plain = await HostProcess.RunAsync(patience, "get", "cli-tls-1", "--server", server, "--timeout", "5s");

        Assert.True(byOptions.ExitCode == 0, byOptions.ToString());
        Assert.True(byEnvironment.ExitCode == 0, byEnvironment.ToString());
        Assert.Contains("\"taskId\":\"cli-tls-1\"", Assert.Single(byEnvironment.Output));
        Assert.Equal(2, missing.ExitCode);
        Assert.StartsWith("orchestrator: --tls-certificate = 'absent.crt': no such file", Assert.Single(missing.Errors));
        Assert.Equal(1, plain.ExitCode);
        Assert.Contains("not reachable", Assert.Single(plain.Errors));
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("10.1.2.3")]
    [InlineData("")]
    public void Remoting_beyond_loopback_without_TLS_is_refused_before_anything_starts(string host)
    {
        var refused = Assert.Throws<ConfigurationException>(() => ServerPlan.From(new ServeOptions(Host: host, Port: 0, DataDirectory: _certificates.Folder)));

        Assert.Contains($"remoting would listen on '{host}'", refused.Message);
        Assert.Contains("without TLS", refused.Message);
        Assert.Contains("orchestrator.remote.tls.certificate", refused.Message);
    }

    [Fact]
    public async Task Remoting_beyond_loopback_with_TLS_is_planned()
    {
        var node = _certificates.Issue("node-2", "cluster-ca");
        var overlay = Path.Combine(_certificates.Folder, "tls.conf");
        await File.WriteAllTextAsync(overlay, TlsOverlay(node.Certificate, node.Key, _ca));

        var plan = ServerPlan.From(new ServeOptions(ConfigFiles: [overlay], Host: "0.0.0.0", Port: 0, DataDirectory: _certificates.Folder));

        Assert.Equal("CN=node-2", plan.Tls?.Certificate.Subject);
        Assert.Equal("CN=cluster-ca", Assert.Single(plan.Tls!.Trusted).Subject);
    }

    public static TheoryData<string, string> BadFiles => new()
    {
        { "missing certificate", "orchestrator.remote.tls.certificate = '" },
        { "missing key", "orchestrator.remote.tls.key = '" },
        { "no trust for a CA's certificate", "orchestrator.remote.tls.trust is not set and orchestrator.remote.tls.certificate" },
        { "trust without certificates", "orchestrator.remote.tls.trust = '" },
        { "wrong password", "cannot be loaded" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_TLS_file_that_cannot_be_used_is_refused_naming_the_setting(string what, string expected)
    {
        var node = _certificates.Issue("node-3", "cluster-ca");
        var notPem = Path.Combine(_certificates.Folder, "empty.crt");
        File.WriteAllText(notPem, "nothing here\n");
        var files = what switch
        {
            "missing certificate" => new RemoteTlsFiles(Path.Combine(_certificates.Folder, "absent.crt"), node.Key, _ca),
            "missing key" => new RemoteTlsFiles(node.Certificate, Path.Combine(_certificates.Folder, "absent.key"), _ca),
            "no trust for a CA's certificate" => new RemoteTlsFiles(node.Certificate, node.Key),
            "trust without certificates" => new RemoteTlsFiles(node.Certificate, node.Key, notPem),
            _ => new RemoteTlsFiles(_certificates.Pkcs12("node-3", "right-password"), Password: "wrong-password", Trust: _ca),
        };

        var refused = Assert.Throws<ConfigurationException>(() => files.Load());

        Assert.Contains(expected, refused.Message);
        Assert.DoesNotContain("wrong-password", refused.Message);
    }
}
