using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Orchestrator.Actors.Tests.Support;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// The dashboard in a real browser: headless Chromium (Debian's <c>chromium</c>, which .ci/run
/// installs) driven by Playwright. Each view's figures are checked against the API, a definition
/// made through the API shows up without a reload, and a screenshot of each view goes to artifacts/.
/// Without Chromium the specs are skipped, or fail under CI.
/// </summary>
public sealed class DashboardSpecs(DashboardSpecs.Browser browser) : IClassFixture<DashboardSpecs.Browser>
{
    private const string Chromium = "/usr/bin/chromium";

    /// <summary>One server with API keys (the page must ask for one) and one browser for the class.</summary>
    public sealed class Browser : IAsyncLifetime
    {
        public const string ReadOnlyKey = "dashboard-read-only-key-0123456789", FullKey = "dashboard-full-key-0123456789";

        private IPlaywright? _playwright;

        public HttpServer Server { get; private set; } = null!;
        public IBrowser? Chromium { get; private set; }

        public async Task InitializeAsync()
        {
            Server = await HttpServer.StartAsync($$"""
                orchestrator.http.api-keys = ["{{FullKey}}", { key = "{{ReadOnlyKey}}", read-only = on }]
                """);
            if (!File.Exists(DashboardSpecs.Chromium)) return;
            _playwright = await Playwright.CreateAsync();
            Chromium = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = DashboardSpecs.Chromium,
                Headless = true,
                // No network beyond this machine: keep Chromium from trying (and failing) to reach Google.
                Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            });
        }

        public async Task DisposeAsync()
        {
            if (Chromium is not null) await Chromium.DisposeAsync();
            _playwright?.Dispose();
            await Server.DisposeAsync();
        }
    }

    private HttpServer Server => browser.Server;

    [SkippableFact]
    public async Task The_overview_asks_for_a_key_shows_the_api_s_figures_and_follows_a_definition_live()
    {
        var ns = HttpServer.NewNamespace();
        foreach (var (id, priority) in new[] { ("d1", "HIGH"), ("d2", "LOW"), ("d3", "HIGH") })
            await DefineAsync(ns, id, priority);
        using (var limits = await Server.Send(HttpMethod.Put, $"/v1/namespaces/{ns}/claim-limits", """{"maxClaimsPerAgent":4,"maxClaimsPerTag":{"tenant=acme":10},"fairBy":"tenant=","maxClaimsPerSecondPerTag":{"model=gpt":2.5}}""", Auth))
            Assert.Equal(HttpStatusCode.OK, limits.StatusCode);
        using (var schedule = await Server.Send(HttpMethod.Put, $"/v1/namespaces/{ns}/schedules/nightly",
                   """{"agent":"*","taskFile":"tasks/nightly.md","cron":"0 2 * * *","timeZone":"Europe/Berlin","catchUp":"all"}""", Auth))
            Assert.Equal(HttpStatusCode.OK, schedule.StatusCode);
        using (var retention = await Server.Send(HttpMethod.Put, $"/v1/namespaces/{ns}/retention", """{"finishedFor":"30d"}""", Auth))
            Assert.Equal(HttpStatusCode.OK, retention.StatusCode);
        await using var page = await OpenAsync($"/?namespace={ns}");

        // A read-only key is enough to look.
        await page.Page.Locator("#api-key").FillAsync(Browser.ReadOnlyKey);
        await page.Page.Locator("#key-form button").ClickAsync();

        var stats = await StatsAsync(ns);
        await Assertions.Expect(page.Page.Locator("#count-READY")).ToHaveTextAsync(stats.GetProperty("byStatus").GetProperty("READY").GetInt32().ToString());
        await Assertions.Expect(page.Page.Locator("#count-HIGH")).ToHaveTextAsync("2");
        await Assertions.Expect(page.Page.Locator("#total")).ToHaveTextAsync("3");
        await Assertions.Expect(page.Page.Locator("#claim-limits")).ToHaveTextAsync("per agent 4, tenant=acme 10, model=gpt 2.5/s, fair by tenant=");
        var nightly = page.Page.Locator("#schedules-table tbody tr[data-schedule-id='nightly'] td");
        await Assertions.Expect(nightly.Nth(1)).ToHaveTextAsync("0 2 * * * (Europe/Berlin)");
        await Assertions.Expect(nightly.Nth(2)).ToHaveTextAsync("all");
        await Assertions.Expect(nightly.Nth(4)).Not.ToBeEmptyAsync();
        await Assertions.Expect(page.Page.Locator("#schedules-empty")).ToBeHiddenAsync();
        await Assertions.Expect(page.Page.Locator("#retention")).ToHaveTextAsync("finished tasks kept 30d");
        await Assertions.Expect(page.Page.Locator("#purged")).ToHaveTextAsync("0");
        await Assertions.Expect(page.Page.Locator("#schedule-count")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Page.Locator("#live")).ToHaveTextAsync("live");
        await Assertions.Expect(page.Page.Locator("#tasks tbody tr")).ToHaveCountAsync(3);
        // The last hour's charts hold what the API's activity holds.
        await Assertions.Expect(page.Page.Locator("#chart-defined")).ToHaveAttributeAsync("data-total", (await ActivityTotalAsync(ns, "defined")).ToString());
        await Assertions.Expect(page.Page.Locator("#chart-defined polyline")).Not.ToHaveCountAsync(0);
        await Assertions.Expect(page.Page.Locator("#chart-latency")).ToHaveAttributeAsync("data-total", (await ActivityTotalAsync(ns, "writes")).ToString());

        // A definition through the API arrives on the page through the event stream, no reload.
        await DefineAsync(ns, "d4", "CRITICAL");
        await Assertions.Expect(page.Page.Locator("#count-READY")).ToHaveTextAsync("4");
        await Assertions.Expect(page.Page.Locator("#count-CRITICAL")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Page.Locator("#tasks tbody tr[data-task-id='d4'] td.status")).ToHaveTextAsync("READY");
        Assert.Equal(4, (await StatsAsync(ns)).GetProperty("byStatus").GetProperty("READY").GetInt32());
        // The charts are read again at most every five seconds, so the new definition may take that long.
        Assert.Equal(4, await ActivityTotalAsync(ns, "defined"));
        await Assertions.Expect(page.Page.Locator("#chart-defined")).ToHaveAttributeAsync("data-total", "4", new() { Timeout = 15_000 });
        await ScreenshotAsync(page.Page, "dashboard-overview.png");
        Assert.True(page.Errors.Count == 0, "the page reported: " + string.Join(" | ", page.Errors));
    }

    [SkippableFact]
    public async Task The_tasks_table_filters_by_status_id_prefix_and_tag_as_the_api_lists_and_shows_the_tags()
    {
        var ns = HttpServer.NewNamespace();
        for (var i = 0; i < 3; i++) await DefineAsync(ns, $"t{i}", "MEDIUM");
        using (var claim = await Server.Send(HttpMethod.Post, $"/v1/namespaces/{ns}/claims", """{"agent":"worker"}""", Auth))
            Assert.Equal(HttpStatusCode.OK, claim.StatusCode);
        await using var page = await OpenAsync($"/?namespace={ns}", Browser.FullKey);

        await page.Page.Locator("#status-filter").SelectOptionAsync("CLAIMED");

        var claimed = Assert.Single((await HttpServer.Json(await Server.Send(HttpMethod.Get, $"/v1/namespaces/{ns}/tasks?status=CLAIMED", null, Auth)))
            .GetProperty("tasks").EnumerateArray());
        var row = page.Page.Locator("#tasks tbody tr");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row.First).ToHaveAttributeAsync("data-task-id", claimed.GetProperty("taskId").GetString()!);
        await Assertions.Expect(row.First.Locator("td").Nth(5)).ToHaveTextAsync("worker");
        await Assertions.Expect(page.Page.Locator("#page-info")).ToHaveTextAsync("1–1 of 1");
        await ScreenshotAsync(page.Page, "dashboard-tasks.png");

        // By id prefix, with any status: t1 and t10, as the API lists them.
        await DefineAsync(ns, "t10", "MEDIUM", """["team:core","os=linux"]""");
        await DefineAsync(ns, "x1", "MEDIUM", """["team:core"]""");
        await page.Page.Locator("#status-filter").SelectOptionAsync("");
        await page.Page.Locator("#prefix-filter").FillAsync("t1");
        await page.Page.Locator("#prefix-filter").PressAsync("Tab");
        var listed = (await HttpServer.Json(await Server.Send(HttpMethod.Get, $"/v1/namespaces/{ns}/tasks?idPrefix=t1", null, Auth)))
            .GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("taskId").GetString()).ToList();
        Assert.Equal(["t1", "t10"], listed);
        await Assertions.Expect(row).ToHaveCountAsync(2);
        await Assertions.Expect(row.First).ToHaveAttributeAsync("data-task-id", "t1");
        await Assertions.Expect(row.Last).ToHaveAttributeAsync("data-task-id", "t10");
        await Assertions.Expect(page.Page.Locator("#page-info")).ToHaveTextAsync("1–2 of 2");
        await Assertions.Expect(row.Last.Locator("td").Nth(6)).ToHaveTextAsync("team:core, os=linux");

        // By tag, the prefix cleared: t10 and x1, as the API lists them.
        await page.Page.Locator("#prefix-filter").FillAsync("");
        await page.Page.Locator("#tag-filter").FillAsync("team:core");
        await page.Page.Locator("#tag-filter").PressAsync("Tab");
        var tagged = (await HttpServer.Json(await Server.Send(HttpMethod.Get, $"/v1/namespaces/{ns}/tasks?tag=team:core", null, Auth)))
            .GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("taskId").GetString()).ToList();
        Assert.Equal(["t10", "x1"], tagged);
        await Assertions.Expect(row).ToHaveCountAsync(2);
        await Assertions.Expect(row.First).ToHaveAttributeAsync("data-task-id", "t10");
        await Assertions.Expect(row.Last).ToHaveAttributeAsync("data-task-id", "x1");
        Assert.True(page.Errors.Count == 0, "the page reported: " + string.Join(" | ", page.Errors));
    }

    [SkippableFact]
    public async Task Next_and_previous_follow_the_pages_the_api_answers()
    {
        var ns = HttpServer.NewNamespace();
        var batch = JsonSerializer.Serialize(new { tasks = Enumerable.Range(0, 60).Select(i => new { taskId = $"p{i:D2}", agent = "a", taskFile = "f" }) });
        using (var defined = await Server.Send(HttpMethod.Post, $"/v1/namespaces/{ns}/tasks:batch", batch, Auth))
            Assert.Equal(HttpStatusCode.OK, defined.StatusCode);
        await using var page = await OpenAsync($"/?namespace={ns}", Browser.FullKey);
        var info = page.Page.Locator("#page-info");

        await Assertions.Expect(info).ToHaveTextAsync("1–50 of 60");
        await Assertions.Expect(page.Page.Locator("#previous")).ToBeDisabledAsync();
        await page.Page.Locator("#next").ClickAsync();
        await Assertions.Expect(info).ToHaveTextAsync("51–60 of 60");
        await Assertions.Expect(page.Page.Locator("#tasks tbody tr").First).ToHaveAttributeAsync("data-task-id", "p50");
        await Assertions.Expect(page.Page.Locator("#next")).ToBeDisabledAsync();
        await page.Page.Locator("#previous").ClickAsync();
        await Assertions.Expect(info).ToHaveTextAsync("1–50 of 60");
        Assert.True(page.Errors.Count == 0, "the page reported: " + string.Join(" | ", page.Errors));
    }

    [SkippableFact]
    public async Task A_dead_task_is_requeued_through_its_button_once_confirmed_and_a_read_only_key_is_refused()
    {
        var ns = HttpServer.NewNamespace();
        await KillAsync(ns, "dead-1");
        await KillAsync(ns, "dead-2");

        // A read-only key sees the button; the server refuses the act, and the page says so.
        await using (var reader = await OpenAsync($"/?namespace={ns}", Browser.ReadOnlyKey))
        {
            reader.Page.Dialog += (_, dialog) => dialog.AcceptAsync();
            await reader.Page.Locator("#attention tr[data-task-id='dead-2'] button.action-requeue").ClickAsync();
            await Assertions.Expect(reader.Page.Locator("#action-result")).ToContainTextAsync("Requeue of dead-2 refused");
            await Assertions.Expect(reader.Page.Locator("#action-result")).ToContainTextAsync("may only read");
            Assert.True(reader.Errors.Count == 0 || reader.Errors.All(e => e.Contains("status of 403")), string.Join(" | ", reader.Errors));
        }
        Assert.Equal("DEAD", await StatusAsync(ns, "dead-2"));

        await using var page = await OpenAsync($"/?namespace={ns}", Browser.FullKey);
        await Assertions.Expect(page.Page.Locator("#attention tbody tr")).ToHaveCountAsync(2);
        // Dismissed: nothing is sent.
        page.Page.Dialog += DismissOnce;
        await page.Page.Locator("#attention tr[data-task-id='dead-1'] button.action-requeue").ClickAsync();
        Assert.Equal("DEAD", await StatusAsync(ns, "dead-1"));
        // Confirmed: requeued, and the result is shown.
        page.Page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.Page.Locator("#attention tr[data-task-id='dead-1'] button.action-requeue").ClickAsync();

        await Assertions.Expect(page.Page.Locator("#action-result")).ToHaveTextAsync("Requeue: dead-1 is now READY");
        Assert.Equal("READY", await StatusAsync(ns, "dead-1"));
        await Assertions.Expect(page.Page.Locator("#attention tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Page.Locator("#count-DEAD")).ToHaveTextAsync("1");
        await ScreenshotAsync(page.Page, "dashboard-dead.png");
        Assert.True(page.Errors.Count == 0, "the page reported: " + string.Join(" | ", page.Errors));

        void DismissOnce(object? sender, IDialog dialog)
        {
            page.Page.Dialog -= DismissOnce;
            dialog.DismissAsync();
        }
    }

    [SkippableFact]
    public async Task One_task_shows_its_payload_its_lease_counting_down_and_its_history_as_the_api_gives_them()
    {
        var ns = HttpServer.NewNamespace();
        using (var defined = await Server.Send(HttpMethod.Post, $"/v1/namespaces/{ns}/tasks",
                   """{"taskId":"job","agent":"worker","taskFile":"tasks/job.md","payload":{"input":"é"}}""", Auth))
            Assert.Equal(HttpStatusCode.Created, defined.StatusCode);
        using (var claim = await Server.Send(HttpMethod.Post, $"/v1/namespaces/{ns}/claims", """{"agent":"worker","lease":"5m"}""", Auth))
            Assert.Equal(HttpStatusCode.OK, claim.StatusCode);
        await using var page = await OpenAsync($"/?namespace={ns}", Browser.FullKey);

        await page.Page.Locator("#tasks tbody tr[data-task-id='job']").ClickAsync();

        var history = (await HttpServer.Json(await Server.Send(HttpMethod.Get, $"/v1/namespaces/{ns}/tasks/job/history", null, Auth))).GetProperty("entries");
        await Assertions.Expect(page.Page.Locator("#task-id")).ToHaveTextAsync("job");
        await Assertions.Expect(page.Page.Locator("#task-fields dd[data-field='Status']")).ToHaveTextAsync("CLAIMED");
        await Assertions.Expect(page.Page.Locator("#task-fields dd[data-field='Claimed by']")).ToHaveTextAsync("worker");
        await Assertions.Expect(page.Page.Locator("#task-payload")).ToContainTextAsync("\"input\": \"é\"");
        await Assertions.Expect(page.Page.Locator("#task-history li")).ToHaveCountAsync(history.GetArrayLength());
        await Assertions.Expect(page.Page.Locator("#task-history li").Last).ToContainTextAsync("READY → CLAIMED by worker");
        // The lease counts down from about five minutes.
        await Assertions.Expect(page.Page.Locator("#lease-left")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^(2[0-9]{2}|300) s$"));
        await ScreenshotAsync(page.Page, "dashboard-task.png");
        Assert.True(page.Errors.Count == 0, "the page reported: " + string.Join(" | ", page.Errors));
    }

    [SkippableFact]
    public async Task Agents_and_nodes_are_shown_as_the_api_lists_them()
    {
        var ns = HttpServer.NewNamespace();
        await DefineAsync(ns, "a1", "MEDIUM");
        await DefineAsync(ns, "a2", "MEDIUM");
        // The builder completes one claim and holds another.
        string claimId;
        using (var claim = await Server.Send(HttpMethod.Post, $"/v1/namespaces/{ns}/claims", """{"agent":"builder"}""", Auth))
            claimId = (await HttpServer.Json(claim)).GetProperty("claimId").GetString()!;
        using (var complete = await Server.Send(HttpMethod.Post, $"/v1/namespaces/{ns}/tasks/a1/complete", $$"""{"agent":"builder","claimId":"{{claimId}}"}""", Auth))
            Assert.Equal(HttpStatusCode.OK, complete.StatusCode);
        using (var claim = await Server.Send(HttpMethod.Post, $"/v1/namespaces/{ns}/claims", """{"agent":"builder"}""", Auth))
            Assert.Equal(HttpStatusCode.OK, claim.StatusCode);
        using (var register = await Server.Send(HttpMethod.Post, $"/v1/namespaces/{ns}/agents", """{"agent":"reviewer","capabilities":["review"]}""", Auth))
            Assert.True(register.IsSuccessStatusCode, $"register: {(int)register.StatusCode}");
        await using var page = await OpenAsync($"/?namespace={ns}", Browser.FullKey);

        var agents = (await HttpServer.Json(await Server.Send(HttpMethod.Get, $"/v1/namespaces/{ns}/agents", null, Auth))).GetProperty("agents");
        await Assertions.Expect(page.Page.Locator("#agents-table tbody tr")).ToHaveCountAsync(agents.GetArrayLength());
        var builder = agents.EnumerateArray().Single(a => a.GetProperty("agent").GetString() == "builder");
        Assert.Equal((1, 1, 0), (builder.GetProperty("claimsHeld").GetInt32(), builder.GetProperty("completed").GetInt32(), builder.GetProperty("failed").GetInt32()));
        var builderCells = page.Page.Locator("#agents-table tr[data-agent='builder'] td");
        await Assertions.Expect(builderCells.Nth(2)).ToHaveTextAsync("1");
        await Assertions.Expect(builderCells.Nth(3)).ToHaveTextAsync("1");
        await Assertions.Expect(builderCells.Nth(4)).ToHaveTextAsync("0");
        await Assertions.Expect(builderCells.Nth(5)).ToHaveTextAsync("0");
        await Assertions.Expect(page.Page.Locator("#agents-table tr[data-agent='reviewer'] td").Nth(7)).ToHaveTextAsync("review");
        // Every agent is on the first page: no note of more.
        await Assertions.Expect(page.Page.Locator("#agents-more")).ToBeHiddenAsync();

        var cluster = await HttpServer.Json(await Server.Send(HttpMethod.Get, "/v1/cluster", null, Auth));
        var members = page.Page.Locator("#members tbody tr");
        await Assertions.Expect(members).ToHaveCountAsync(cluster.GetProperty("members").GetArrayLength());
        await Assertions.Expect(members.First.Locator("td").Nth(1)).ToHaveTextAsync(cluster.GetProperty("members")[0].GetProperty("status").GetString()!);
        await Assertions.Expect(members.First.Locator("td").Nth(4)).ToContainTextAsync(ns);
        await ScreenshotAsync(page.Page, "dashboard-agents-nodes.png");
        Assert.True(page.Errors.Count == 0, "the page reported: " + string.Join(" | ", page.Errors));
    }

    [SkippableFact]
    public async Task The_nodes_of_a_two_member_cluster_are_shown_with_the_namespaces_each_runs_as_the_api_places_them()
    {
        // Two members of one cluster in this process, on one PostgreSQL database, each with its HTTP door.
        using var database = PostgresDatabase.Create();
        var overlay = await File.ReadAllTextAsync(PostgresDatabase.OverlayPath)
                      + $"\norchestrator.postgres.connection-string = {Orchestrator.Actors.Configuration.OrchestratorConfig.Quote(database.ConnectionString)}\n";
        var seedPort = HostProcess.FreePort();
        await using var first = await HttpServer.StartAsync(new Orchestrator.Server.Hosting.ServeOptions(Port: seedPort, HttpPort: 0, Cluster: true, Seeds: [$"127.0.0.1:{seedPort}"]), overlay);
        await using var second = await HttpServer.StartAsync(new Orchestrator.Server.Hosting.ServeOptions(Port: 0, HttpPort: 0, Cluster: true, Seeds: [$"127.0.0.1:{seedPort}"]), overlay);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Akka.Cluster.Cluster.Get(second.App.Services.GetRequiredService<Akka.Actor.ActorSystem>()).RegisterOnMemberUp(() => up.TrySetResult());
        await up.Task.WaitAsync(HttpServer.Patience);
        // Namespaces defined through either door, so that both members are likely to run some.
        var namespaces = Enumerable.Range(0, 6).Select(_ => HttpServer.NewNamespace()).ToList();
        foreach (var (ns, i) in namespaces.Select((ns, i) => (ns, i)))
            await (i % 2 == 0 ? first : second).Define(ns, """{"taskId":"c1","agent":"a","taskFile":"f"}""");

        var cluster = await HttpServer.Json(await second.Get("/v1/cluster"));
        Assert.True(cluster.GetProperty("clustered").GetBoolean());
        Assert.Equal(["Up", "Up"], cluster.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("status").GetString()));
        await using var page = await OpenOnAsync(second, $"/?namespace={namespaces[0]}");

        var rows = page.Page.Locator("#members tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        foreach (var member in cluster.GetProperty("members").EnumerateArray())
        {
            var address = member.GetProperty("address").GetString()!;
            var row = page.Page.Locator($"#members tr[data-address='{address}']");
            await Assertions.Expect(row.Locator("td").Nth(1)).ToHaveTextAsync("Up");
            // Where the API places each namespace, the page shows it, and nowhere else.
            var runs = cluster.GetProperty("shards").EnumerateArray()
                .Where(s => s.GetProperty("node").GetString() == address)
                .SelectMany(s => s.GetProperty("namespaces").EnumerateArray().Select(n => n.GetString()!)).ToHashSet();
            foreach (var ns in namespaces)
                if (runs.Contains(ns)) await Assertions.Expect(row.Locator("td").Nth(4)).ToContainTextAsync(ns);
                else await Assertions.Expect(row.Locator("td").Nth(4)).Not.ToContainTextAsync(ns);
        }
        Assert.Equal(namespaces.Order(), cluster.GetProperty("shards").EnumerateArray()
            .SelectMany(s => s.GetProperty("namespaces").EnumerateArray().Select(n => n.GetString()!)).Where(namespaces.Contains).Order());
        await ScreenshotAsync(page.Page, "dashboard-cluster.png");
        Assert.True(page.Errors.Count == 0, "the page reported: " + string.Join(" | ", page.Errors));
    }

    [Fact]
    public async Task The_page_is_served_without_a_key_with_a_strict_content_security_policy_and_holds_no_data()
    {
        using var response = await Server.Get("/");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("script-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("/dashboard/dashboard.js", html);
        Assert.DoesNotContain("<script>", html);
        using var script = await Server.Get("/dashboard/dashboard.js");
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        // Its data come from /v1, which still needs the key.
        using var stats = await Server.Get("/v1/namespaces/default/stats");
        Assert.Equal(HttpStatusCode.Unauthorized, stats.StatusCode);
    }

    private static readonly (string, string)[] Auth = [("Authorization", $"Bearer {Browser.FullKey}")];

    private async Task DefineAsync(string ns, string id, string priority, string tags = "[]")
    {
        using var response = await Server.Send(HttpMethod.Post, $"/v1/namespaces/{ns}/tasks",
            $$"""{"taskId":"{{id}}","agent":"*","taskFile":"tasks/{{id}}.md","priority":"{{priority}}","tags":{{tags}}}""", Auth);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    // A task of one attempt, claimed and failed: DEAD.
    private async Task KillAsync(string ns, string id)
    {
        using (var defined = await Server.Send(HttpMethod.Post, $"/v1/namespaces/{ns}/tasks",
                   $$"""{"taskId":"{{id}}","agent":"{{id}}-agent","taskFile":"f","maxAttempts":1}""", Auth))
            Assert.Equal(HttpStatusCode.Created, defined.StatusCode);
        var claim = await HttpServer.Json(await Server.Send(HttpMethod.Post, $"/v1/namespaces/{ns}/claims", $$"""{"agent":"{{id}}-agent"}""", Auth));
        using var failed = await Server.Send(HttpMethod.Post, $"/v1/namespaces/{ns}/tasks/{id}/fail",
            $$"""{"agent":"{{id}}-agent","claimId":"{{claim.GetProperty("claimId").GetString()}}","reason":"broke"}""", Auth);
        Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        Assert.Equal("DEAD", await StatusAsync(ns, id));
    }

    private async Task<string> StatusAsync(string ns, string id) =>
        (await HttpServer.Json(await Server.Send(HttpMethod.Get, $"/v1/namespaces/{ns}/tasks/{id}", null, Auth))).GetProperty("status").GetString()!;

    // The sum of one figure over the hour the activity route reports.
    private async Task<long> ActivityTotalAsync(string ns, string figure) =>
        (await HttpServer.Json(await Server.Send(HttpMethod.Get, $"/v1/namespaces/{ns}/activity?stepSeconds=10", null, Auth)))
            .GetProperty("points").EnumerateArray().Sum(p => p.GetProperty(figure).GetInt64());

    private async Task<System.Text.Json.JsonElement> StatsAsync(string ns) =>
        await HttpServer.Json(await Server.Send(HttpMethod.Get, $"/v1/namespaces/{ns}/stats", null, Auth));

    // A page of the dashboard; with a key, the key is in the tab's session storage before it loads.
    private Task<OpenPage> OpenAsync(string path, string? key = null) => OpenOnAsync(Server, path, key);

    // The page at `path` on `server`'s door, with `key` in the tab's session storage when given.
    private async Task<OpenPage> OpenOnAsync(HttpServer server, string path, string? key = null)
    {
        MachineRequirement.Require(browser.Chromium is not null,
            $"{Chromium} is missing although CI is set: .ci/run should have installed Debian's chromium",
            $"browser specs skipped: no {Chromium} (apt-get install chromium)");
        var context = await browser.Chromium!.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Client.BaseAddress!.ToString() });
        if (key is not null)
            await context.AddInitScriptAsync($"sessionStorage.setItem('orchestrator.api-key', '{key}')");
        var page = await context.NewPageAsync();
        var open = new OpenPage(context, page);
        page.PageError += (_, error) => open.Errors.Add(error);
        // Chromium reports every refused request on the console; the 401s before a key is given are the page's way to ask for one.
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.Contains("status of 401")) open.Errors.Add(message.Text);
        };
        await page.GotoAsync(path);
        return open;
    }

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        var directory = Path.Combine(TestConfigs.RepositoryRoot(), "artifacts");
        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name), FullPage = true });
    }

    private sealed record OpenPage(IBrowserContext Context, IPage Page) : IAsyncDisposable
    {
        public List<string> Errors { get; } = [];

        public ValueTask DisposeAsync() => new(Context.CloseAsync());
    }
}
