using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Orchestrator.Actors.Tests.Support;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// /metrics in Prometheus text: the orchestrator's instruments move with the work done through the
/// HTTP door, agree with the API's own figures, and the page passes Prometheus's own
/// <c>promtool check metrics</c> (Debian's prometheus package; .ci/run installs it).
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
        // ASP.NET Core's own request metric, for the HTTP door.
        Assert.Contains(after.Samples, s => s.Name == "http_server_request_duration_seconds_count" && s.Labels.Contains("http_route=\"/v1/namespaces/{ns}/tasks\""));
    }

    [SkippableFact]
    public async Task The_page_passes_promtool_check_metrics()
    {
        var ns = HttpServer.NewNamespace();
        using (var defined = await _server.Post($"/v1/namespaces/{ns}/tasks", """{"taskId":"p1","agent":"worker","taskFile":"f"}"""))
            Assert.Equal(HttpStatusCode.Created, defined.StatusCode);
        using var response = await _server.Get("/metrics");
        var page = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);

        var promtool = Promtool();
        using var check = Process.Start(new ProcessStartInfo(promtool, "check metrics")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        await check.StandardInput.WriteAsync(page);
        check.StandardInput.Close();
        var said = await check.StandardOutput.ReadToEndAsync() + await check.StandardError.ReadToEndAsync();
        await check.WaitForExitAsync();

        Assert.True(check.ExitCode == 0, $"promtool check metrics exited {check.ExitCode}: {said}");
        Assert.Contains("orchestrator_commands_total", page);
    }

    // promtool on PATH; without it the spec is skipped, or fails under CI, where .ci/run installs it.
    private static string Promtool()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(dir => Path.Combine(dir, "promtool")).FirstOrDefault(File.Exists);
        if (found is not null) return found;
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            Assert.Fail("promtool is not on PATH although CI is set: .ci/run should have installed Debian's prometheus package");
        Skip.If(true, "promtool not installed (apt-get install prometheus); .ci/run installs it");
        return "";
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

        [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$")]
        private static partial Regex SampleLine();
    }
}
