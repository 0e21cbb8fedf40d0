using System.Net;
using Orchestrator.Actors.Tests.Support;

namespace Orchestrator.Actors.Tests;

/// <summary>API keys: who may call /v1, what a read-only or a namespace-limited key may do, and what needs no key.</summary>
public sealed class HttpAuthSpecs(HttpAuthSpecs.Fixture fixture) : IClassFixture<HttpAuthSpecs.Fixture>
{
    public const string FullKey = "full-access-key-0123456789", ReadOnlyKey = "read-only-key-0123456789",
        TeamKey = "team-a-only-key-0123456789", EnvironmentKey = "from-the-environment-0123456789";

    public sealed class Fixture : HttpServerFixture
    {
        protected override string Overlay => $$"""
            orchestrator.http.api-keys = [
              "{{FullKey}}",
              { key = "{{ReadOnlyKey}}", read-only = on },
              { key = "{{TeamKey}}", namespaces = ["team-a"] }
            ]
            """;

        protected override IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?> { ["ORCHESTRATOR_API_KEYS"] = EnvironmentKey };
    }

    private readonly HttpServer _server = fixture.Server;

    private Task<HttpResponseMessage> Send(HttpMethod method, string path, string? key, string? json = null) =>
        _server.Send(method, path, json, key is null ? [] : [("Authorization", $"Bearer {key}")]);

    [Fact]
    public async Task The_MCP_endpoint_needs_a_full_key()
    {
        // Without a key, or with one limited to namespaces, the MCP session does not even start
        await Assert.ThrowsAnyAsync<Exception>(() => McpTestClients.OverHttp(_server));
        await Assert.ThrowsAnyAsync<Exception>(() => McpTestClients.OverHttp(_server, TeamKey));
        using var refused = await Send(HttpMethod.Post, "/mcp", null, """{"jsonrpc":"2.0","id":1,"method":"tools/list"}""");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        // With a full key it serves the tools
        await using var client = await McpTestClients.OverHttp(_server, FullKey);
        Assert.Contains("define_task", (await client.ListToolsAsync()).Select(t => t.Name));
    }

    [Fact]
    public async Task A_missing_key_and_a_wrong_key_get_the_same_401()
    {
        using var missing = await Send(HttpMethod.Get, "/v1/namespaces/default/stats", null);
        using var wrong = await Send(HttpMethod.Get, "/v1/namespaces/default/stats", "not-a-key-of-this-server-at-all");

        await HttpServer.Problem(missing, 401);
        await HttpServer.Problem(wrong, 401);
        Assert.Equal(await missing.Content.ReadAsStringAsync(), await wrong.Content.ReadAsStringAsync());
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal("Bearer", wrong.Headers.WwwAuthenticate.Single().Scheme);
        Assert.DoesNotContain(FullKey, await wrong.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(FullKey)]
    [InlineData(EnvironmentKey)]
    public async Task A_full_key_reads_and_writes(string key)
    {
        var ns = HttpServer.NewNamespace();
        using var written = await Send(HttpMethod.Post, $"/v1/namespaces/{ns}/tasks", key, """{"taskId":"k1","agent":"a","taskFile":"f"}""");
        using var read = await Send(HttpMethod.Get, $"/v1/namespaces/{ns}/tasks/k1", key);
        using var cluster = await Send(HttpMethod.Get, "/v1/cluster", key);

        Assert.Equal(HttpStatusCode.Created, written.StatusCode);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.OK, cluster.StatusCode);
    }

    [Fact]
    public async Task A_read_only_key_may_GET_and_is_refused_403_on_a_POST()
    {
        using var read = await Send(HttpMethod.Get, "/v1/namespaces/default/stats", ReadOnlyKey);
        using var write = await Send(HttpMethod.Post, "/v1/namespaces/default/tasks", ReadOnlyKey, """{"taskId":"ro","agent":"a","taskFile":"f"}""");

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Contains("may only read", (await HttpServer.Problem(write, 403)).GetProperty("detail").GetString());
        using var check = await Send(HttpMethod.Get, "/v1/namespaces/default/tasks/ro", FullKey);
        Assert.Equal(HttpStatusCode.NotFound, check.StatusCode);
    }

    [Fact]
    public async Task A_namespace_limited_key_is_refused_403_elsewhere_and_on_the_cluster()
    {
        using var own = await Send(HttpMethod.Get, "/v1/namespaces/team-a/stats", TeamKey);
        using var other = await Send(HttpMethod.Get, "/v1/namespaces/team-b/stats", TeamKey);
        using var cluster = await Send(HttpMethod.Get, "/v1/cluster", TeamKey);

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Contains("team-b", (await HttpServer.Problem(other, 403)).GetProperty("detail").GetString());
        await HttpServer.Problem(cluster, 403);
    }

    [Fact]
    public async Task Metrics_need_a_key_and_one_limited_to_namespaces_may_not_read_them()
    {
        // /metrics holds every namespace's figures.
        using var missing = await Send(HttpMethod.Get, "/metrics", null);
        using var team = await Send(HttpMethod.Get, "/metrics", TeamKey);
        using var readOnly = await Send(HttpMethod.Get, "/metrics", ReadOnlyKey);

        await HttpServer.Problem(missing, 401);
        Assert.Contains("limited to namespaces", (await HttpServer.Problem(team, 403)).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, readOnly.StatusCode);
        Assert.Contains("# TYPE", await readOnly.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/openapi/v1.json")]
    [InlineData("/docs/")]
    public async Task Health_the_document_and_the_reference_page_need_no_key(string path)
    {
        using var response = await Send(HttpMethod.Get, path, null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}

/// <summary>`serve` beyond loopback without keys refuses to start.</summary>
public sealed class HttpServeRefusalSpecs : IDisposable
{
    private readonly string _dataDirectory = TestConfigs.NewDataDirectory();

    [Fact]
    public async Task Serve_on_all_interfaces_without_keys_exits_2_with_one_line()
    {
        using var host = HostProcess.Start(new Dictionary<string, string> { ["ORCHESTRATOR_API_KEYS"] = "" },
            "serve", "--data-dir", _dataDirectory, "--port", "0", "--http-host", "0.0.0.0");

        var exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exitCode);
        var error = Assert.Single(host.Errors);
        Assert.StartsWith("orchestrator: refusing to serve HTTP on 0.0.0.0", error);
        Assert.Contains("orchestrator.http.api-keys", error);
        Assert.DoesNotContain(host.Output, l => l.Contains("HTTP at"));
    }

    [Fact]
    public async Task Keys_right_wrong_and_malformed_never_appear_in_the_output_of_serve()
    {
        const string key = "a-served-key-0123456789abcdef", wrong = "a-wrong-key-0123456789abcdef", tooShort = "short-key";
        using (var host = HostProcess.Start(new Dictionary<string, string> { ["ORCHESTRATOR_API_KEYS"] = key },
                   "serve", "--data-dir", _dataDirectory, "--port", "0", "--http-port", "0"))
        {
            var line = await host.WaitForLineAsync("orchestrator: HTTP at ", TimeSpan.FromSeconds(60));
            using var http = new HttpClient { BaseAddress = new Uri(line[line.IndexOf("http://", StringComparison.Ordinal)..].Split(' ')[0]) };
            foreach (var (bearer, expected) in new[] { (key, HttpStatusCode.OK), (wrong, HttpStatusCode.Unauthorized) })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/namespaces/default/stats");
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
                using var response = await http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                Assert.Equal(expected, response.StatusCode);
                Assert.DoesNotContain(bearer, body);
            }
            host.Send(Signal.Terminate);
            Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.DoesNotContain(host.Output.Concat(host.Errors), l => l.Contains(key) || l.Contains(wrong));
        }

        using var refused = HostProcess.Start(new Dictionary<string, string> { ["ORCHESTRATOR_API_KEYS"] = tooShort },
            "serve", "--data-dir", _dataDirectory, "--port", "0", "--http-port", "0");
        Assert.Equal(2, await refused.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var error = Assert.Single(refused.Errors);
        Assert.Contains("ORCHESTRATOR_API_KEYS", error);
        Assert.DoesNotContain(refused.Output.Concat(refused.Errors), l => l.Contains(tooShort));
    }

    public void Dispose() => TestConfigs.DeleteDataDirectory(_dataDirectory);
}
