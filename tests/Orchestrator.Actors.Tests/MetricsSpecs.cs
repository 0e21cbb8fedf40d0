using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Orchestrator.Actors.Tests.Support;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// /metrics in Prometheus text: the orchestrator's instruments move with the work done through the
/// HTTP door and agree with the API's own figures; <c>serve</c>'s page has ASP.NET Core's request
/// metrics too and passes Prometheus's own <c>promtool check metrics</c> (Debian's prometheus
/// package; .ci/run installs it).
/// </summary>
public sealed partial class MetricsSpecs(HttpServerFixture fixture) : IClassFixture<HttpServerFixture>
{
    private readonly HttpServer _server = fixture.Server;

    [Fact]
    public async Task Commands_writes_and_tasks_by_status_move_with_the_work_of_a_namespace()
    {
        var ns = HttpServer.NewNamespace();
        using (var first = await _server.Post($"/v1/namespaces/{ns}/tasks", """{"taskId":"m1","agent":"worker","taskFile":"f"}"""))
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var before = await ScrapeAsync();

        using (var second = await _server.Post($"/v1/namespaces/{ns}/tasks", """{"taskId":"m2","agent":"worker","taskFile":"f"}"""))
            Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        using (var claim = await _server.Post($"/v1/namespaces/{ns}/claims", """{"agent":"worker"}"""))
            Assert.Equal(HttpStatusCode.OK, claim.StatusCode);
        var after = await ScrapeAsync();

        var defined = Labels(("orchestrator_namespace", ns), ("orchestrator_command", "DefineTask"), ("orchestrator_reply", "TaskDefinitionAccepted"));
        Assert.Equal(1, before.Value("orchestrator_commands_total", defined));
        Assert.Equal(2, after.Value("orchestrator_commands_total", defined));
        Assert.Equal(1, after.Value("orchestrator_commands_total", Labels(("orchestrator_namespace", ns), ("orchestrator_command", "ClaimTask"), ("orchestrator_reply", "TaskAssigned"))));
        // Three writes confirmed in this namespace (a definition, a definition, a claim).
        Assert.Equal(3, after.Value("orchestrator_journal_write_duration_seconds_count", Labels(("orchestrator_namespace", ns), ("orchestrator_written", "true"))));
        Assert.Equal(3, after.Value("orchestrator_journal_write_events_count", Labels(("orchestrator_namespace", ns))));
        Assert.Equal(1, after.Value("orchestrator_recovery_duration_seconds_count", Labels(("orchestrator_namespace", ns))));

        // Tasks by status, as the API's stats count them.
        using var stats = await _server.Get($"/v1/namespaces/{ns}/stats");
        var byStatus = (await HttpServer.Json(stats)).GetProperty("byStatus");
        foreach (var status in new[] { "READY", "CLAIMED", "COMPLETED" })
        {
            var expected = byStatus.TryGetProperty(status, out var count) ? count.GetInt32() : 0;
            Assert.Equal(expected, after.Value("orchestrator_tasks", Labels(("orchestrator_namespace", ns), ("orchestrator_task_status", status))));
        }
        Assert.Equal(1, after.Value("orchestrator_tasks", Labels(("orchestrator_namespace", ns), ("orchestrator_task_status", "CLAIMED"))));
        Assert.Equal(0, after.Value("orchestrator_requests_pending", Labels(("orchestrator_namespace", ns))));
    }

    [SkippableFact]
    public async Task Serve_s_page_has_the_http_requests_and_passes_promtool_check_metrics()
    {
        // orchestrator serve as a process of its own: ASP.NET Core's request metrics are per host,
        // and the other specs' hosts in this process come and go under the same meter names.
        var promtool = Promtool();
        using var serve = HostProcess.Start("serve", "--port", "0", "--http-port", "0", "--data-dir", TestConfigs.NewDataDirectory());
        var line = await serve.WaitForLineAsync("orchestrator: HTTP at ", HttpServer.Patience);
        using var http = new HttpClient { BaseAddress = new Uri(line[line.IndexOf("http://", StringComparison.Ordinal)..].Split(' ')[0]), Timeout = HttpServer.Patience };
        using (var defined = await http.PostAsync("/v1/namespaces/default/tasks",
                   new StringContent("""{"taskId":"p1","agent":"worker","taskFile":"f"}""", System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Created, defined.StatusCode);
        // Two tool calls over MCP, one refused: the SDK's operation duration counts them by tool and outcome.
        await using (var mcp = await McpTestClients.OverHttp(http.BaseAddress!))
        {
            Assert.NotEqual(true, (await mcp.CallToolAsync("stats")).IsError);
            Assert.True((await mcp.CallToolAsync("get_task", new Dictionary<string, object?> { ["taskId"] = "no such task" })).IsError);
        }
        // A second request: the first one's duration is recorded once its response has gone out.
        using (var stats = await http.GetAsync("/v1/namespaces/default/stats"))
            Assert.Equal(HttpStatusCode.OK, stats.StatusCode);

        using var response = await http.GetAsync("/metrics");
        var page = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        var scrape = Scrape.Parse(page);
        Assert.Equal(1, scrape.Value("orchestrator_commands_total", Labels(("orchestrator_namespace", "default"), ("orchestrator_command", "DefineTask"))));
        Assert.Equal(1, scrape.Value("http_server_request_duration_seconds_count",
            Labels(("http_route", "/v1/namespaces/{ns}/tasks"), ("http_request_method", "POST"), ("http_response_status_code", "201"))));
        // The SDK's request duration counts both calls; the orchestrator's counter tells the tools and outcomes apart.
        Assert.Equal(2, scrape.Total("mcp_server_operation_duration_seconds_count", Labels(("mcp_method_name", "tools/call"))));
        Assert.Equal(1, scrape.Value("orchestrator_mcp_tool_calls_total", Labels(("gen_ai_tool_name", "stats"))));
        Assert.Equal(1, scrape.Value("orchestrator_mcp_tool_calls_total", Labels(("gen_ai_tool_name", "get_task"), ("error_type", "tool_error"))));

        using var check = Process.Start(new ProcessStartInfo(promtool, "check metrics")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        await check.StandardInput.WriteAsync(page);
        check.StandardInput.Close();
        var said = await check.StandardOutput.ReadToEndAsync() + await check.StandardError.ReadToEndAsync();
        await check.WaitForExitAsync();
        Assert.True(check.ExitCode == 0, $"promtool check metrics exited {check.ExitCode}: {said}");

        serve.Send(Signal.Terminate);
        Assert.Equal(0, await serve.WaitForExitAsync(HttpServer.Patience));
    }

    [Fact]
    public async Task With_metrics_off_there_is_no_metrics_page_and_a_bad_value_is_refused_naming_it()
    {
        await using var quiet = await HttpServer.StartAsync("orchestrator.http.metrics = off\n");
        using var response = await quiet.Get("/metrics");
        await HttpServer.Problem(response, 404);

        var overlay = Path.Combine(Path.GetTempPath(), $"metrics-{Guid.NewGuid():N}.conf");
        await File.WriteAllTextAsync(overlay, "orchestrator.http.metrics = maybe\n");
        try
        {
            var error = Assert.Throws<Akka.Configuration.ConfigurationException>(() => Orchestrator.Server.Hosting.ServerPlan.From(
                new Orchestrator.Server.Hosting.ServeOptions(ConfigFiles: [overlay], DataDirectory: TestConfigs.NewDataDirectory(), Port: 0, HttpPort: 0),
                new Dictionary<string, string?>()));
            Assert.Contains("orchestrator.http.metrics = 'maybe'", error.Message);
        }
        finally
        {
            File.Delete(overlay);
        }
    }

    // promtool on PATH; without it the spec is skipped, or fails under CI, where .ci/run installs it.
    private static string Promtool()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(dir => Path.Combine(dir, "promtool")).FirstOrDefault(File.Exists);
        MachineRequirement.Require(found is not null,
            "promtool is not on PATH although CI is set: .ci/run should have installed Debian's prometheus package",
            "promtool not installed (apt-get install prometheus); .ci/run installs it");
        return found!;
    }

    private static string[] Labels(params (string Name, string Value)[] labels) => labels.Select(l => $"{l.Name}=\"{l.Value}\"").ToArray();

    private async Task<Scrape> ScrapeAsync()
    {
        using var response = await _server.Get("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Scrape.Parse(await response.Content.ReadAsStringAsync());
    }

    private sealed record Sample(string Name, string Labels, double Value);

    private sealed partial record Scrape(IReadOnlyList<Sample> Samples)
    {
        public static Scrape Parse(string page) => new(page.Split('\n')
            .Select(line => SampleLine().Match(line))
            .Where(m => m.Success)
            .Select(m => new Sample(m.Groups["name"].Value, m.Groups["labels"].Value, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)))
            .ToList());

        /// <summary>The one sample of <paramref name="name"/> carrying every label given; 0 when none does.</summary>
        public double Value(string name, string[] labels)
        {
            var matching = Samples.Where(s => s.Name == name && labels.All(s.Labels.Contains)).ToList();
            Assert.True(matching.Count <= 1, $"{matching.Count} samples of {name} match {string.Join(",", labels)}");
            return matching.Count == 0 ? 0 : matching[0].Value;
        }

        /// <summary>The sum of every sample of <paramref name="name"/> that has <paramref name="labels"/>, whatever its other labels.</summary>
        public double Total(string name, string[] labels) =>
            Samples.Where(s => s.Name == name && labels.All(s.Labels.Contains)).Sum(s => s.Value);

        [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$")]
        private static partial Regex SampleLine();
    }
}
