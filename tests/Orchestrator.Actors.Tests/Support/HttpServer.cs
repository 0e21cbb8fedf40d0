using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Orchestrator.Server.Hosting;

namespace Orchestrator.Actors.Tests.Support;

/// <summary>
/// The server's one host (Akka node and Kestrel) in this process, on free ports and a fresh data
/// directory, with an HTTP client on its URL. An overlay is layered over hocon.conf as --config is.
/// </summary>
public sealed class HttpServer : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _dataDirectory;

    private HttpServer(WebApplication app, string dataDirectory)
    {
        App = app;
        _dataDirectory = dataDirectory;
        Client = new HttpClient { BaseAddress = new Uri(Orchestrator.Server.Hosting.OrchestratorServer.HttpUrl(app)), Timeout = Patience };
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    /// <summary>Starts a server; the environment is <paramref name="environment"/> only (so the machine's ORCHESTRATOR_API_KEYS never leaks in).</summary>
    public static Task<HttpServer> StartAsync(string overlay = "", IReadOnlyDictionary<string, string?>? environment = null) =>
        StartAsync(new ServeOptions(Port: 0, HttpPort: 0), overlay, environment);

    /// <summary>Starts a server as <c>serve</c> with <paramref name="options"/> would (a cluster member, say), on a fresh data directory.</summary>
    public static async Task<HttpServer> StartAsync(ServeOptions options, string overlay, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var dataDirectory = TestConfigs.NewDataDirectory();
        string? configFile = null;
        if (overlay.Length > 0)
        {
            configFile = Path.Combine(dataDirectory, "overlay.conf");
            await File.WriteAllTextAsync(configFile, overlay);
        }
        var plan = ServerPlan.From(options with { ConfigFiles = configFile is null ? options.ConfigFiles : [.. options.ConfigFiles ?? [], configFile], DataDirectory = dataDirectory },
            environment ?? new Dictionary<string, string?>());
        var app = OrchestratorServer.Build(plan, []);
        await app.StartAsync().WaitAsync(Patience);
        return new HttpServer(app, dataDirectory);
    }

    /// <summary>A namespace of its own for a spec, so that claims and listings see only its tasks.</summary>
    public static string NewNamespace() => "spec-" + Guid.NewGuid().ToString("N")[..12];

    public Task<HttpResponseMessage> Send(HttpMethod method, string path, string? json = null, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        foreach (var (name, value) in headers)
        {
            if (request.Headers.TryAddWithoutValidation(name, value)) continue;
            // A content header (Content-Type) on a request without a body: an empty one.
            request.Content ??= new ByteArrayContent([]);
            request.Content.Headers.TryAddWithoutValidation(name, value);
        }
        return Client.SendAsync(request);
    }

    public Task<HttpResponseMessage> Post(string path, string? json, params (string, string)[] headers) => Send(HttpMethod.Post, path, json, headers);

    public Task<HttpResponseMessage> Get(string path, params (string, string)[] headers) => Send(HttpMethod.Get, path, null, headers);

    /// <summary>Defines a task and checks it was created.</summary>
    public async Task<JsonElement> Define(string ns, string json)
    {
        using var response = await Post($"/v1/namespaces/{ns}/tasks", json);
        var body = await Json(response);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"define answered {(int)response.StatusCode}: {body}");
        return body;
    }

    public static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Reads a problem answer, checking its media type and that its status is the response's.</summary>
    public static async Task<JsonElement> Problem(HttpResponseMessage response, int status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    public static AuthenticationHeaderValue Bearer(string key) => new("Bearer", key);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        using (var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            await App.StopAsync(patience.Token);
        await App.DisposeAsync();
        TestConfigs.DeleteDataDirectory(_dataDirectory);
    }
}

/// <summary>One <see cref="HttpServer"/> for a spec class (xunit class fixture); subclasses give their overlay.</summary>
public class HttpServerFixture : IAsyncLifetime
{
    private HttpServer? _server;

    protected virtual string Overlay => "";

    protected virtual IReadOnlyDictionary<string, string?>? Environment => null;

    public HttpServer Server => _server ?? throw new InvalidOperationException("the server has not started");

    public async Task InitializeAsync() => _server = await HttpServer.StartAsync(Overlay, Environment);

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
