using Orchestrator.Actors.Domain;
using System.Net;
using System.Text.Json;
using Orchestrator.Actors.Tests.Support;

namespace Orchestrator.Actors.Tests;

/// <summary>The routes of the HTTP contract against a real Kestrel: each answer of the contract's table.</summary>
public sealed class HttpApiSpecs(HttpApiSpecs.Fixture fixture) : IClassFixture<HttpApiSpecs.Fixture>
{
    public sealed class Fixture : HttpServerFixture
    {
        // Small enough that the 413 specs send little; every other body here is far below it. Replies
        // kept to 640 KiB (about the least allowed), so that a listing ends a page early with little set-up.
        protected override string Overlay => "orchestrator.http.max-request-body-size = 64KiB\norchestrator.limits.max-reply-bytes = 640KiB\n";
    }

    private readonly HttpServer _server = fixture.Server;
    private readonly string _ns = HttpServer.NewNamespace();

    private string Tasks => $"/v1/namespaces/{_ns}/tasks";

    [Fact]
    public async Task Define_answers_201_with_Location_then_200_for_the_identical_repeat_and_409_with_the_existing_task()
    {
        const string definition = """{"taskId":"plan/1:a","agent":"planner","taskFile":"tasks/plan.md","priority":"high","payload":{"steps":[1,2]}}""";

        using var created = await _server.Post(Tasks, definition);
        var task = await HttpServer.Json(created);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/v1/namespaces/{_ns}/tasks/plan%2F1%3Aa", created.Headers.Location?.OriginalString);
        Assert.Equal("plan/1:a", task.GetProperty("taskId").GetString());
        Assert.Equal("HIGH", task.GetProperty("priority").GetString());
        Assert.Equal("READY", task.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Array, task.GetProperty("dependsOn").ValueKind);
        Assert.Equal(JsonValueKind.Null, task.GetProperty("claim").ValueKind);
        Assert.False(task.TryGetProperty("payload", out _), "the plain task object carries no payload");

        using var repeat = await _server.Post(Tasks, definition);
        Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        Assert.Null(repeat.Headers.Location);
        Assert.Equal(task.GetProperty("definedAt").GetString(), (await HttpServer.Json(repeat)).GetProperty("definedAt").GetString());

        using var conflict = await _server.Post(Tasks, """{"taskId":"plan/1:a","agent":"planner","taskFile":"tasks/other.md"}""");
        var problem = await HttpServer.Problem(conflict, 409);
        Assert.Equal("plan/1:a", problem.GetProperty("taskId").GetString());
        Assert.Equal("tasks/plan.md", problem.GetProperty("existing").GetProperty("taskFile").GetString());
        Assert.Equal("HIGH", problem.GetProperty("existing").GetProperty("priority").GetString());
        Assert.Contains("already defined differently", problem.GetProperty("detail").GetString());

        // The Location names the task: reading it there finds it, payload embedded as JSON.
        using var read = await _server.Get(created.Headers.Location!.OriginalString);
        var found = await HttpServer.Json(read);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(2, found.GetProperty("payload").GetProperty("steps")[1].GetInt32());
        Assert.Equal(JsonValueKind.Null, found.GetProperty("result").ValueKind);
    }

    [Fact]
    public async Task A_batch_answers_one_result_per_item_in_order_and_an_empty_one_is_400()
    {
        await _server.Define(_ns, """{"taskId":"b-old","agent":"a","taskFile":"f"}""");
        const string batch = """
            {"tasks":[
              {"taskId":"b-1","agent":"a","taskFile":"f","payload":{"n":1}},
              {"taskId":"b-old","agent":"a","taskFile":"f"},
              {"taskId":"b-old","agent":"a","taskFile":"other"},
              {"taskId":"bad id","agent":"a","taskFile":"f"},
              {"taskId":"b-2","agent":"a","taskFile":"f","dependsOn":["b-1"]}]}
            """;

        using var response = await _server.Post($"{Tasks}:batch", batch);
        var answer = await HttpServer.Json(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = answer.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["created", "unchanged", "conflict", "invalid", "created"], results.Select(r => r.GetProperty("outcome").GetString()));
        Assert.Equal([0, 1, 2, 3, 4], results.Select(r => r.GetProperty("index").GetInt32()));
        Assert.Equal("READY", results[0].GetProperty("task").GetProperty("status").GetString());
        Assert.Equal("f", results[2].GetProperty("existing").GetProperty("taskFile").GetString());
        Assert.Equal("taskId", results[3].GetProperty("error").GetProperty("field").GetString());
        Assert.Equal("bad id", results[3].GetProperty("error").GetProperty("value").GetString());
        Assert.Equal("PENDING", results[4].GetProperty("task").GetProperty("status").GetString());
        Assert.Equal((2, 1, 1, 1), (answer.GetProperty("created").GetInt32(), answer.GetProperty("unchanged").GetInt32(),
            answer.GetProperty("conflicts").GetInt32(), answer.GetProperty("invalid").GetInt32()));
        using var read = await _server.Get($"{Tasks}/b-1");
        Assert.Equal(1, (await HttpServer.Json(read)).GetProperty("payload").GetProperty("n").GetInt32());

        using var empty = await _server.Post($"{Tasks}:batch", """{"tasks":[]}""");
        Assert.Equal("tasks", (await HttpServer.Problem(empty, 400)).GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("""{"taskId":"bad id","agent":"a","taskFile":"f"}""", "taskId", "bad id")]
    [InlineData("""{"taskId":"t1","agent":"a","taskFile":"f","priority":"urgent"}""", "priority", "urgent")]
    [InlineData("""{"taskId":"t1","agent":"a","taskFile":"f","colour":"blue"}""", "colour", "colour")]
    [InlineData("""{"taskId":"t1","agent":"a","taskFile":"f","maxAttempts":"3"}""", "maxAttempts", null)]
    [InlineData("""{"taskId":"t1","taskId":"t2","agent":"a","taskFile":"f"}""", "taskId", null)]
    [InlineData("""{"agent":"a","taskFile":"f"}""", "taskId", null)]
    [InlineData("""{"taskId":"t1",""", "body", null)]
    [InlineData("""[1,2]""", "body", null)]
    [InlineData("", "body", null)]
    public async Task A_bad_definition_is_400_naming_the_field_and_the_value(string body, string field, string? value)
    {
        using var response = await _server.Send(HttpMethod.Post, Tasks, body.Length == 0 ? null : body,
            body.Length == 0 ? [("Content-Type", "application/json")] : []);

        var problem = await HttpServer.Problem(response, 400);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Equal(value, problem.GetProperty("value").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        using var list = await _server.Get(Tasks);
        Assert.Equal(0, (await HttpServer.Json(list)).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task A_malformed_body_is_400_naming_where()
    {
        using var response = await _server.Post(Tasks, "{\n  \"taskId\": \"t1\",\n  \"agent\": nope\n}");

        var problem = await HttpServer.Problem(response, 400);
        Assert.Equal("$.agent", problem.GetProperty("path").GetString());
        Assert.Equal(3, problem.GetProperty("line").GetInt32());
        Assert.Contains("line 3", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("", """{"taskId":"u-1","agent":"a","taskFile":"f","payload":{"text":"#"}}""")]
    [InlineData(":batch", """{"tasks":[{"taskId":"u-1","agent":"a","taskFile":"f","payload":"#"}]}""")]
    [InlineData("/u-1/complete", """{"agent":"a","result":["#"]}""")]
    public async Task A_JSON_value_holding_bytes_that_are_not_UTF8_is_400_naming_the_body(string route, string json)
    {
        // Found by HttpFuzzSpecs: a payload or result keeps its JSON as it is, so its bytes were only
        // decoded when the command was built, and the InvalidOperationException was a 500.
        var bytes = System.Text.Encoding.UTF8.GetBytes(json);
        bytes[Array.IndexOf(bytes, (byte)'#')] = 0x80;
        using var request = new HttpRequestMessage(HttpMethod.Post, Tasks + route)
        {
            Content = new ByteArrayContent(bytes) { Headers = { ContentType = new("application/json") } },
        };

        using var response = await _server.Client.SendAsync(request);

        var problem = await HttpServer.Problem(response, 400);
        Assert.Equal("body", problem.GetProperty("field").GetString());
        Assert.Contains("is not UTF-8", problem.GetProperty("detail").GetString());
        using var list = await _server.Get(Tasks);
        Assert.Equal(0, (await HttpServer.Json(list)).GetProperty("total").GetInt32());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_body_over_the_limit_is_413_naming_the_setting_and_the_limit(bool withLength)
    {
        var payload = new string('x', 70 * 1024);
        var json = $$"""{"taskId":"big","agent":"a","taskFile":"f","payload":"{{payload}}"}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, Tasks)
        {
            Content = withLength ? new StringContent(json, System.Text.Encoding.UTF8, "application/json") : new ChunkedContent(json),
        };

        using var response = await _server.Client.SendAsync(request);

        var problem = await HttpServer.Problem(response, 413);
        Assert.Equal("orchestrator.http.max-request-body-size", problem.GetProperty("setting").GetString());
        Assert.Equal(64 * 1024, problem.GetProperty("limit").GetInt64());
        Assert.Contains("64 KiB", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Listing_filters_combine_with_AND_and_pages_in_definition_order()
    {
        await _server.Define(_ns, """{"taskId":"l1","agent":"a","taskFile":"f","priority":"HIGH"}""");
        await _server.Define(_ns, """{"taskId":"l2","agent":"b","taskFile":"f","priority":"HIGH"}""");
        await _server.Define(_ns, """{"taskId":"l3","agent":"a","taskFile":"f","priority":"LOW"}""");
        await _server.Define(_ns, """{"taskId":"l4","agent":"a","taskFile":"f","priority":"HIGH","dependsOn":["l3"]}""");

        async Task<(string[] Ids, int Total, int Offset, int Limit)> List(string query)
        {
            using var response = await _server.Get($"{Tasks}?{query}");
            var page = await HttpServer.Json(response);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return ([.. page.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("taskId").GetString()!)],
                page.GetProperty("total").GetInt32(), page.GetProperty("offset").GetInt32(), page.GetProperty("limit").GetInt32());
        }

        Assert.Equal(("l1,l2,l3,l4", 4, 0, 100), Normalize(await List("")));
        Assert.Equal(("l1,l4", 2, 0, 100), Normalize(await List("agent=a&priority=high")));
        Assert.Equal(("l4", 1, 0, 100), Normalize(await List("status=PENDING")));
        Assert.Equal(("l2,l3", 4, 1, 2), Normalize(await List("offset=1&limit=2")));
        Assert.Equal(("l3", 1, 0, 100), Normalize(await List("idPrefix=l3")));
        Assert.Equal(("l3,l4", 3, 1, 100), Normalize(await List("idPrefix=l&agent=a&offset=1")));
        Assert.Equal(("", 0, 0, 100), Normalize(await List("idPrefix=L")));
    }

    private static (string, int, int, int) Normalize((string[] Ids, int Total, int Offset, int Limit) page) =>
        (string.Join(",", page.Ids), page.Total, page.Offset, page.Limit);

    // The next page's link, or null on the last page.
    private static string? NextLink(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Link", out var links) ? Assert.Single(links) : null;

    [Fact]
    public async Task A_page_of_tasks_says_where_the_next_starts_in_nextOffset_and_a_Link_header_keeping_the_filters()
    {
        foreach (var id in new[] { "n1", "n2", "n3" })
            await _server.Define(_ns, $$"""{"taskId":"{{id}}","agent":"a","taskFile":"f"}""");

        using var first = await _server.Get($"{Tasks}?agent=a&limit=2");
        using var last = await _server.Get($"{Tasks}?agent=a&limit=2&offset=2");

        Assert.Equal(2, (await HttpServer.Json(first)).GetProperty("nextOffset").GetInt32());
        Assert.Equal($"<{Tasks}?agent=a&limit=2&offset=2>; rel=\"next\"", NextLink(first));
        Assert.Equal(JsonValueKind.Null, (await HttpServer.Json(last)).GetProperty("nextOffset").ValueKind);
        Assert.Null(NextLink(last));
    }

    [Fact]
    public async Task A_listing_past_the_reply_budget_ends_pages_early_and_the_links_lead_through_every_task_once()
    {
        // Given 10 tasks with the longest ids and 300 that depend on all of them: about 800 KB of views, past the 640 KiB budget
        var dependencies = Enumerable.Range(0, 10).Select(i => $"dep-{i}-".PadRight(200, 'x')).ToArray();
        var ids = new List<string>(dependencies);
        await _server.Post($"{Tasks}:batch", JsonSerializer.Serialize(new { tasks = dependencies.Select(id => new { taskId = id, agent = "a", taskFile = "f" }) }));
        for (var batch = 0; batch < 12; batch++)
        {
            var tasks = Enumerable.Range(batch * 25, 25).Select(i => $"wide-{i:D3}").ToList();
            using var defined = await _server.Post($"{Tasks}:batch",
                JsonSerializer.Serialize(new { tasks = tasks.Select(id => new { taskId = id, agent = "a", taskFile = "f", dependsOn = dependencies }) }));
            Assert.Equal(25, (await HttpServer.Json(defined)).GetProperty("created").GetInt32());
            ids.AddRange(tasks);
        }

        // When the listing is read by following each page's Link
        var listed = new List<string>();
        var counts = new List<int>();
        for (var link = $"<{Tasks}?limit=1000>"; link is not null;)
        {
            using var response = await _server.Get(link[1..link.IndexOf('>')]);
            var page = await HttpServer.Json(response);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var tasks = page.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("taskId").GetString()!).ToList();
            listed.AddRange(tasks);
            counts.Add(tasks.Count);
            link = NextLink(response);
            Assert.Equal(link is null ? JsonValueKind.Null : JsonValueKind.Number, page.GetProperty("nextOffset").ValueKind);
            Assert.Equal(310, page.GetProperty("total").GetInt32());
        }

        // Then the first page ended short of its limit, and the pages hold every task once, in order
        Assert.True(counts.Count > 1 && counts[0] < 310, string.Join(",", counts));
        Assert.Equal(ids, listed);
    }

    [Fact]
    public async Task Agents_are_listed_a_page_at_a_time_by_name_with_the_next_page_signalled_as_for_tasks()
    {
        foreach (var agent in new[] { "carol", "alice", "bob" })
            (await _server.Post($"/v1/namespaces/{_ns}/agents", $$"""{"agent":"{{agent}}"}""")).Dispose();

        using var first = await _server.Get($"/v1/namespaces/{_ns}/agents?limit=2");
        using var last = await _server.Get($"/v1/namespaces/{_ns}/agents?offset=2&limit=2");
        var page = await HttpServer.Json(first);

        Assert.Equal(["alice", "bob"], page.GetProperty("agents").EnumerateArray().Select(a => a.GetProperty("agent").GetString()));
        Assert.Equal((3, 0, 2, 2), (page.GetProperty("total").GetInt32(), page.GetProperty("offset").GetInt32(),
            page.GetProperty("limit").GetInt32(), page.GetProperty("nextOffset").GetInt32()));
        Assert.Equal($"</v1/namespaces/{_ns}/agents?limit=2&offset=2>; rel=\"next\"", NextLink(first));
        Assert.Equal(["carol"], (await HttpServer.Json(last)).GetProperty("agents").EnumerateArray().Select(a => a.GetProperty("agent").GetString()));
        Assert.Null(NextLink(last));
    }

    [Theory]
    [InlineData("tasks", "status=SLEEPING", "status", "SLEEPING")]
    [InlineData("tasks", "priority=2", "priority", "2")]
    [InlineData("tasks", "limit=abc", "limit", "abc")]
    [InlineData("tasks", "limit=0", "limit", "0")]
    [InlineData("tasks", "offset=-1", "offset", "-1")]
    [InlineData("tasks", "idPrefix=a%20b", "idPrefix", "a b")]
    [InlineData("agents", "limit=abc", "limit", "abc")]
    [InlineData("agents", "limit=0", "limit", "0")]
    [InlineData("agents", "limit=1001", "limit", "1001")]
    [InlineData("agents", "offset=-1", "offset", "-1")]
    [InlineData("agents", "offset=1.5", "offset", "1.5")]
    public async Task A_bad_filter_or_page_of_a_listing_is_400_naming_it(string listing, string query, string field, string value)
    {
        using var response = await _server.Get($"/v1/namespaces/{_ns}/{listing}?{query}");

        var problem = await HttpServer.Problem(response, 400);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Equal(value, problem.GetProperty("value").GetString());
    }

    [Fact]
    public async Task Get_and_history_answer_404_naming_an_unknown_task_and_400_for_an_invalid_id()
    {
        using var missing = await _server.Get($"{Tasks}/nope");
        Assert.Equal("nope", (await HttpServer.Problem(missing, 404)).GetProperty("taskId").GetString());
        using var missingHistory = await _server.Get($"{Tasks}/nope/history");
        Assert.Equal("nope", (await HttpServer.Problem(missingHistory, 404)).GetProperty("taskId").GetString());
        using var invalid = await _server.Get($"{Tasks}/bad%20id");
        Assert.Equal("taskId", (await HttpServer.Problem(invalid, 400)).GetProperty("field").GetString());
    }

    [Fact]
    public async Task History_lists_the_transitions_oldest_first()
    {
        await _server.Define(_ns, """{"taskId":"h1","agent":"worker","taskFile":"f","by":"planner"}""");
        using var claim = await _server.Post($"/v1/namespaces/{_ns}/claims", """{"agent":"worker"}""");
        Assert.Equal(HttpStatusCode.OK, claim.StatusCode);

        using var response = await _server.Get($"{Tasks}/h1/history");
        var history = await HttpServer.Json(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("h1", history.GetProperty("taskId").GetString());
        Assert.Equal(0, history.GetProperty("dropped").GetInt32());
        var entries = history.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(["task-defined", "task-claimed"], entries.Select(e => e.GetProperty("event").GetString()));
        Assert.Equal(JsonValueKind.Null, entries[0].GetProperty("from").ValueKind);
        Assert.Equal("READY", entries[1].GetProperty("from").GetString());
        Assert.Equal("CLAIMED", entries[1].GetProperty("to").GetString());
        Assert.Equal("planner", entries[0].GetProperty("by").GetString());
        Assert.StartsWith("claim-", entries[1].GetProperty("claimId").GetString());
    }

    [Fact]
    public async Task Claim_answers_the_task_with_its_claim_and_payload_then_204_when_nothing_is_ready()
    {
        await _server.Define(_ns, """{"taskId":"c1","agent":"*","taskFile":"f","payload":{"target":"linux"}}""");

        using var claimed = await _server.Post($"/v1/namespaces/{_ns}/claims", """{"agent":"builder","lease":"2m"}""");
        var task = await HttpServer.Json(claimed);
        Assert.Equal(HttpStatusCode.OK, claimed.StatusCode);
        Assert.Equal("c1", task.GetProperty("taskId").GetString());
        Assert.Equal("CLAIMED", task.GetProperty("status").GetString());
        Assert.Equal("linux", task.GetProperty("payload").GetProperty("target").GetString());
        // The claimer learns the whole claim id; the task, which anyone may read, shows its public part.
        Assert.Equal(ClaimIds.Public(task.GetProperty("claimId").GetString()!), task.GetProperty("claim").GetProperty("claimId").GetString());
        Assert.NotEqual(task.GetProperty("claim").GetProperty("claimId").GetString(), task.GetProperty("claimId").GetString());
        Assert.Equal("00:02:00", task.GetProperty("claim").GetProperty("leaseDuration").GetString());
        Assert.Equal(task.GetProperty("claim").GetProperty("leaseUntil").GetDateTimeOffset(), task.GetProperty("leaseUntil").GetDateTimeOffset());

        using var none = await _server.Post($"/v1/namespaces/{_ns}/claims", """{"agent":"builder"}""");
        Assert.Equal(HttpStatusCode.NoContent, none.StatusCode);
        Assert.Empty(await none.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Tags_are_defined_with_a_task_shown_on_it_and_a_list_by_tag_reads_that_tags_tasks()
    {
        using var created = await _server.Post(Tasks, """{"taskId":"g1","agent":"*","taskFile":"f","tags":["team:core","tenant=acme","team:core"]}""");
        Assert.Equal(["team:core", "tenant=acme"], (await HttpServer.Json(created)).GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        await _server.Define(_ns, """{"taskId":"g2","agent":"b","taskFile":"f","tags":["team:core"]}""");
        await _server.Define(_ns, """{"taskId":"g3","agent":"*","taskFile":"f"}""");
        using var untagged = await _server.Get($"{Tasks}/g3");
        Assert.Equal(0, (await HttpServer.Json(untagged)).GetProperty("tags").GetArrayLength());

        using var listed = await _server.Get($"{Tasks}?tag=team:core&limit=1");
        var page = await HttpServer.Json(listed);
        Assert.Equal(["g1"], page.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("taskId").GetString()));
        Assert.Equal((2, 1), (page.GetProperty("total").GetInt32(), page.GetProperty("nextOffset").GetInt32()));
        Assert.Contains("tag=team%3Acore", listed.Headers.GetValues("Link").Single());
        using var both = await _server.Get($"{Tasks}?tag=team:core&agent=b");
        Assert.Equal(["g2"], (await HttpServer.Json(both)).GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("taskId").GetString()));

        using var badTag = await _server.Get($"{Tasks}?tag=two%20words");
        Assert.Equal(("tag", "two words"), await FieldAndValue(badTag));
        using var badDefinition = await _server.Post(Tasks, """{"taskId":"g4","agent":"*","taskFile":"f","tags":[""]}""");
        Assert.Equal(("tags", ""), await FieldAndValue(badDefinition));
        using var conflict = await _server.Post(Tasks, """{"taskId":"g1","agent":"*","taskFile":"f","tags":["team:core"]}""");
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);

        static async Task<(string?, string?)> FieldAndValue(HttpResponseMessage response)
        {
            var problem = await HttpServer.Problem(response, 400);
            return (problem.GetProperty("field").GetString(), problem.GetProperty("value").GetString());
        }
    }

    [Fact]
    public async Task Request_input_makes_a_claimed_task_WAITING_and_provide_input_makes_it_READY_with_the_answer_for_the_next_claim()
    {
        await _server.Define(_ns, """{"taskId":"w1","agent":"asker","taskFile":"f"}""");
        using var claim = await _server.Post($"/v1/namespaces/{_ns}/claims", """{"agent":"asker"}""");
        var claimId = (await HttpServer.Json(claim)).GetProperty("claimId").GetString();

        using var asked = await _server.Post($"{Tasks}/w1/request-input", $$"""{"agent":"asker","claimId":"{{claimId}}","question":"Which region?","answerWithin":"1h"}""");
        var waiting = await HttpServer.Json(asked);
        Assert.Equal((HttpStatusCode.OK, "WAITING", "Which region?"), (asked.StatusCode, waiting.GetProperty("status").GetString(), waiting.GetProperty("question").GetString()));
        Assert.True(waiting.GetProperty("answerBy").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(50));
        using var stale = await _server.Post($"{Tasks}/w1/complete", $$"""{"agent":"asker","claimId":"{{claimId}}"}""");
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);

        using var answered = await _server.Post($"{Tasks}/w1/provide-input", """{"input":{"region":"eu-west"},"by":"alice"}""");
        Assert.Equal("READY", (await HttpServer.Json(answered)).GetProperty("status").GetString());
        using var again = await _server.Post($"/v1/namespaces/{_ns}/claims", """{"agent":"asker"}""");
        var next = await HttpServer.Json(again);
        Assert.Equal(("eu-west", "Which region?"), (next.GetProperty("input").GetProperty("region").GetString(), next.GetProperty("question").GetString()));
        using var detail = await _server.Get($"{Tasks}/w1");
        Assert.Equal("eu-west", (await HttpServer.Json(detail)).GetProperty("input").GetProperty("region").GetString());

        using var notWaiting = await _server.Post($"{Tasks}/w1/provide-input", """{"input":1}""");
        var problem = await HttpServer.Problem(notWaiting, 409);
        Assert.Equal("provide input", problem.GetProperty("action").GetString());
        using var noQuestion = await _server.Post($"{Tasks}/w1/request-input", """{"agent":"asker","claimId":"claim-1"}""");
        Assert.Equal("question", (await HttpServer.Problem(noQuestion, 400)).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Claim_limits_are_set_with_PUT_hold_a_claim_back_to_204_and_show_in_the_stats()
    {
        await _server.Define(_ns, """{"taskId":"c1","agent":"*","taskFile":"f","tags":["tenant=a"]}""");
        await _server.Define(_ns, """{"taskId":"c2","agent":"*","taskFile":"f","tags":["tenant=a"]}""");
        using var set = await _server.Send(HttpMethod.Put, $"/v1/namespaces/{_ns}/claim-limits", """{"maxClaimsPerTag":{"tenant=a":1},"by":"ops","fairBy":"tenant="}""");
        var limits = await HttpServer.Json(set);
        Assert.Equal((1, "tenant="), (limits.GetProperty("maxClaimsPerTag").GetProperty("tenant=a").GetInt32(), limits.GetProperty("fairBy").GetString()));

        using var first = await _server.Post($"/v1/namespaces/{_ns}/claims", """{"agent":"w"}""");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var held = await _server.Post($"/v1/namespaces/{_ns}/claims", """{"agent":"w"}""");
        Assert.Equal(HttpStatusCode.NoContent, held.StatusCode);
        using var stats = await _server.Get($"/v1/namespaces/{_ns}/stats");
        Assert.Equal(1, (await HttpServer.Json(stats)).GetProperty("claimLimits").GetProperty("maxClaimsPerTag").GetProperty("tenant=a").GetInt32());

        using var bad = await _server.Send(HttpMethod.Put, $"/v1/namespaces/{_ns}/claim-limits", """{"maxClaims":-1}""");
        Assert.Equal(("maxClaims", "-1"), ((await HttpServer.Problem(bad, 400)).GetProperty("field").GetString(), (await HttpServer.Problem(bad, 400)).GetProperty("value").GetString()));
    }

    [Fact]
    public async Task A_rate_limit_answers_204_naming_it_with_Retry_After_and_a_waiting_claim_gets_the_task_when_the_rate_allows()
    {
        await _server.Define(_ns, """{"taskId":"r1","agent":"*","taskFile":"f","tags":["model=slow"]}""");
        await _server.Define(_ns, """{"taskId":"r2","agent":"*","taskFile":"f","tags":["model=slow"]}""");
        using var set = await _server.Send(HttpMethod.Put, $"/v1/namespaces/{_ns}/claim-limits", """{"maxClaimsPerSecondPerTag":{"model=slow":0.5}}""");
        Assert.Equal(0.5, (await HttpServer.Json(set)).GetProperty("maxClaimsPerSecondPerTag").GetProperty("model=slow").GetDouble());

        using var first = await _server.Post($"/v1/namespaces/{_ns}/claims", """{"agent":"w"}""");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var held = await _server.Post($"/v1/namespaces/{_ns}/claims", """{"agent":"w"}""");
        Assert.Equal(HttpStatusCode.NoContent, held.StatusCode);
        Assert.StartsWith("tag 'model=slow' is at its rate limit maxClaimsPerSecondPerTag = 0.5", held.Headers.GetValues("Orchestrator-Limited").Single());
        Assert.InRange(held.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));

        // Nothing becomes READY meanwhile: the waiting claim is tried again when the rate lets one through.
        using var waited = await _server.Post($"/v1/namespaces/{_ns}/claims?wait=20s", """{"agent":"w"}""");
        Assert.Equal("r2", (await HttpServer.Json(waited)).GetProperty("taskId").GetString());

        using var bad = await _server.Send(HttpMethod.Put, $"/v1/namespaces/{_ns}/claim-limits", """{"maxClaimsPerSecondPerTag":{"model=slow":-3}}""");
        var problem = await HttpServer.Problem(bad, 400);
        Assert.Equal(("maxClaimsPerSecondPerTag[model=slow]", "-3"), (problem.GetProperty("field").GetString(), problem.GetProperty("value").GetString()));
    }

    [Fact]
    public async Task Schedules_are_defined_with_PUT_listed_refused_naming_the_field_and_removed_with_DELETE()
    {
        var path = $"/v1/namespaces/{_ns}/schedules/nightly";
        const string body = """{"agent":"*","taskFile":"tasks/nightly.md","cron":"0 2 * * *","timeZone":"Europe/Berlin","payload":{"full":true},"tags":["team:reports"]}""";
        using var defined = await _server.Send(HttpMethod.Put, path, body);
        var accepted = await HttpServer.Json(defined);
        var schedule = accepted.GetProperty("schedule");
        Assert.False(accepted.GetProperty("unchanged").GetBoolean());
        Assert.Equal(("0 2 * * *", "Europe/Berlin", "one", true), (schedule.GetProperty("cron").GetString(), schedule.GetProperty("timeZone").GetString(),
            schedule.GetProperty("catchUp").GetString(), schedule.GetProperty("payload").GetProperty("full").GetBoolean()));
        var next = schedule.GetProperty("nextAt").GetDateTimeOffset();
        Assert.True(next > DateTimeOffset.UtcNow && next <= DateTimeOffset.UtcNow.AddDays(1).AddHours(1), $"nextAt {next:O}");
        Assert.Equal(0, TimeZoneInfo.ConvertTime(next, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")).Minute);
        using (var again = await _server.Send(HttpMethod.Put, path, body))
            Assert.True((await HttpServer.Json(again)).GetProperty("unchanged").GetBoolean());
        using (var interval = await _server.Send(HttpMethod.Put, $"/v1/namespaces/{_ns}/schedules/poll", """{"agent":"*","taskFile":"f","every":"15m","catchUp":"none"}"""))
            Assert.Equal("15m", (await HttpServer.Json(interval)).GetProperty("schedule").GetProperty("every").GetString());

        using var list = await _server.Get($"/v1/namespaces/{_ns}/schedules?limit=1");
        var page = await HttpServer.Json(list);
        Assert.Equal((2, 1, "nightly"), (page.GetProperty("total").GetInt32(), page.GetProperty("nextOffset").GetInt32(),
            page.GetProperty("schedules")[0].GetProperty("scheduleId").GetString()));

        using var bad = await _server.Send(HttpMethod.Put, path, """{"agent":"*","taskFile":"f","cron":"0 25 * * *"}""");
        Assert.Equal(("cron", "0 25 * * *"), ((await HttpServer.Problem(bad, 400)).GetProperty("field").GetString(), (await HttpServer.Problem(bad, 400)).GetProperty("value").GetString()));
        using var badEvery = await _server.Send(HttpMethod.Put, path, """{"agent":"*","taskFile":"f","every":"soon"}""");
        Assert.Equal("every", (await HttpServer.Problem(badEvery, 400)).GetProperty("field").GetString());

        using (var removed = await _server.Send(HttpMethod.Delete, path, null))
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        using var gone = await _server.Send(HttpMethod.Delete, path, null);
        Assert.Equal("nightly", (await HttpServer.Problem(gone, 404)).GetProperty("scheduleId").GetString());
    }

    [Fact]
    public async Task Tasks_purge_removes_finished_tasks_and_retention_is_set_with_PUT_and_shown_in_the_stats()
    {
        await _server.Define(_ns, """{"taskId":"p1","agent":"*","taskFile":"f","tags":["wave:p"]}""");
        await _server.Define(_ns, """{"taskId":"p2","agent":"*","taskFile":"f","tags":["wave:p"]}""");
        using (var cancelled = await _server.Post($"{Tasks}/p1/cancel", """{"reason":"not needed"}"""))
            Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);

        using var purge = await _server.Post($"{Tasks}:purge", """{"tag":"wave:p","by":"ops"}""");
        var purged = await HttpServer.Json(purge);
        Assert.Equal(["p1"], purged.GetProperty("taskIds").EnumerateArray().Select(t => t.GetString()));
        Assert.False(purged.GetProperty("more").GetBoolean());
        using (var gone = await _server.Get($"{Tasks}/p1"))
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using var notFinished = await _server.Post($"{Tasks}:purge", """{"status":"READY"}""");
        Assert.Equal("status", (await HttpServer.Problem(notFinished, 400)).GetProperty("field").GetString());

        using var retention = await _server.Send(HttpMethod.Put, $"/v1/namespaces/{_ns}/retention", """{"finishedFor":"30d","by":"ops"}""");
        Assert.Equal("30.00:00:00", (await HttpServer.Json(retention)).GetProperty("finishedFor").GetString());
        using var stats = await _server.Get($"/v1/namespaces/{_ns}/stats");
        var figures = await HttpServer.Json(stats);
        Assert.Equal(("30.00:00:00", 1), (figures.GetProperty("retention").GetString(), figures.GetProperty("purged").GetInt32()));
        using var bad = await _server.Send(HttpMethod.Put, $"/v1/namespaces/{_ns}/retention", """{"finishedFor":"5s"}""");
        Assert.Equal(("finishedFor", "5s"), ((await HttpServer.Problem(bad, 400)).GetProperty("field").GetString(), (await HttpServer.Problem(bad, 400)).GetProperty("value").GetString()));
        using (var off = await _server.Send(HttpMethod.Put, $"/v1/namespaces/{_ns}/retention", """{"finishedFor":null}"""))
            Assert.Equal(JsonValueKind.Null, (await HttpServer.Json(off)).GetProperty("finishedFor").ValueKind);
    }

    [Fact]
    public async Task Tasks_cancel_and_requeue_change_what_the_filters_match_a_limit_at_a_time_and_answer_the_count()
    {
        foreach (var id in new[] { "k1", "k2", "k3" })
            await _server.Define(_ns, $$"""{"taskId":"{{id}}","agent":"bulk","taskFile":"f","tags":["wave:1"],"maxAttempts":1}""");
        await _server.Define(_ns, """{"taskId":"k4","agent":"bulk","taskFile":"f","tags":["wave:2"],"maxAttempts":1}""");

        using var first = await _server.Post($"{Tasks}:cancel", """{"tag":"wave:1","reason":"called off","by":"ops","limit":2}""");
        var changed = await HttpServer.Json(first);
        Assert.Equal(["k1", "k2"], changed.GetProperty("taskIds").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal((2, true), (changed.GetProperty("count").GetInt32(), changed.GetProperty("more").GetBoolean()));
        using var rest = await _server.Post($"{Tasks}:cancel", """{"tag":"wave:1","reason":"called off"}""");
        Assert.Equal((1, false), ((await HttpServer.Json(rest)).GetProperty("count").GetInt32(), (await HttpServer.Json(rest)).GetProperty("more").GetBoolean()));

        using var claim = await _server.Post($"/v1/namespaces/{_ns}/claims", """{"agent":"bulk"}""");
        var held = await HttpServer.Json(claim);
        using var failed = await _server.Post($"{Tasks}/k4/fail", $$"""{"agent":"bulk","claimId":"{{held.GetProperty("claimId").GetString()}}","reason":"broken"}""");
        using var requeued = await _server.Post($"{Tasks}:requeue", """{"tag":"wave:2"}""");
        Assert.Equal(["k4"], (await HttpServer.Json(requeued)).GetProperty("taskIds").EnumerateArray().Select(t => t.GetString()));

        using var noReason = await _server.Post($"{Tasks}:cancel", """{"tag":"wave:1"}""");
        Assert.Equal("reason", (await HttpServer.Problem(noReason, 400)).GetProperty("field").GetString());
        using var badLimit = await _server.Post($"{Tasks}:requeue", """{"limit":5000}""");
        Assert.Equal("limit", (await HttpServer.Problem(badLimit, 400)).GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_task_defined_with_notBefore_ahead_is_PENDING_with_its_time_and_not_claimed_and_a_bad_time_is_400()
    {
        var at = DateTimeOffset.UtcNow.AddHours(1);
        using var created = await _server.Post(Tasks, $$"""{"taskId":"s1","agent":"sched","taskFile":"f","notBefore":"{{at:O}}"}""");
        var task = await HttpServer.Json(created);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(("PENDING", at), (task.GetProperty("status").GetString(), task.GetProperty("notBefore").GetDateTimeOffset()));
        using var none = await _server.Post($"/v1/namespaces/{_ns}/claims", """{"agent":"sched"}""");
        Assert.Equal(HttpStatusCode.NoContent, none.StatusCode);
        using var unscheduled = await _server.Post(Tasks, """{"taskId":"s2","agent":"sched","taskFile":"f"}""");
        Assert.Equal(JsonValueKind.Null, (await HttpServer.Json(unscheduled)).GetProperty("notBefore").ValueKind);

        using var bad = await _server.Post(Tasks, """{"taskId":"s3","agent":"sched","taskFile":"f","notBefore":"tomorrow"}""");
        var problem = await HttpServer.Problem(bad, 400);
        Assert.Contains("notBefore", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_change_sent_again_with_its_Idempotency_Key_is_done_once_and_answered_as_the_first_time()
    {
        await _server.Define(_ns, """{"taskId":"i1","agent":"*","taskFile":"f"}""");
        await _server.Define(_ns, """{"taskId":"i2","agent":"*","taskFile":"f"}""");
        var key = Guid.NewGuid().ToString();

        using var first = await _server.Post($"/v1/namespaces/{_ns}/claims", """{"agent":"builder"}""", ("Idempotency-Key", key));
        // The header as a structured-field string names the same key
        using var again = await _server.Post($"/v1/namespaces/{_ns}/claims", """{"agent":"builder"}""", ("Idempotency-Key", $"\"{key}\""));
        var (claimed, repeated) = (await HttpServer.Json(first), await HttpServer.Json(again));
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, again.StatusCode));
        Assert.Equal(("i1", claimed.GetProperty("claimId").GetString()), (repeated.GetProperty("taskId").GetString(), repeated.GetProperty("claimId").GetString()));
        using var other = await _server.Get($"{Tasks}/i2");
        Assert.Equal("READY", (await HttpServer.Json(other)).GetProperty("status").GetString());

        var path = $"/v1/namespaces/{_ns}/state/agent-1/notes";
        foreach (var _ in new[] { 1, 2 })
        {
            using var saved = await _server.Send(HttpMethod.Put, path, """{"n":1}""", ("Idempotency-Key", "save-" + key));
            Assert.Equal((HttpStatusCode.Created, "\"1\""), (saved.StatusCode, saved.Headers.ETag?.ToString()));
        }

        // The key on another request: 422 (draft-ietf-httpapi-idempotency-key-header) naming the key, when it was used and this request
        using var reused = await _server.Post($"/v1/namespaces/{_ns}/claims", """{"agent":"someone-else"}""", ("Idempotency-Key", key));
        var problem = await HttpServer.Problem(reused, 422);
        Assert.Equal((key, "ClaimTask"), (problem.GetProperty("idempotencyKey").GetString(), problem.GetProperty("request").GetString()));
        Assert.True(DateTimeOffset.Parse(problem.GetProperty("usedAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture) <= DateTimeOffset.UtcNow);
        using var untouched = await _server.Get($"{Tasks}/i2");
        Assert.Equal("READY", (await HttpServer.Json(untouched)).GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("/claims", "has space")]
    [InlineData("/tasks/i1/cancel", "")]
    [InlineData("/tasks/i1/requeue", "201 characters")]
    public async Task A_malformed_Idempotency_Key_is_400_naming_the_header_and_nothing_is_done(string route, string key)
    {
        if (key == "201 characters") key = new string('k', 201);
        await _server.Define(_ns, """{"taskId":"i1","agent":"*","taskFile":"f"}""");
        var body = route switch { "/claims" => """{"agent":"builder"}""", "/tasks/i1/cancel" => """{"reason":"no"}""", _ => "{}" };
        using var response = await _server.Post($"/v1/namespaces/{_ns}{route}", body, ("Idempotency-Key", key));

        var problem = await HttpServer.Problem(response, 400);
        // A long value is echoed cut to its first 100 characters
        Assert.Equal(("Idempotency-Key", key.Length > 100 ? key[..100] + "…" : key), (problem.GetProperty("field").GetString(), problem.GetProperty("value").GetString()));
        using var task = await _server.Get($"{Tasks}/i1");
        Assert.Equal("READY", (await HttpServer.Json(task)).GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("", """{"agent":"*"}""", "agent", "*")]
    [InlineData("", """{"agent":"builder","lease":"30"}""", "lease", "30")]
    [InlineData("", """{"agent":"builder","lease":"2h"}""", "lease", "2h")]
    [InlineData("", """{"agent":"builder","lease":"500ms"}""", "lease", "500ms")]
    [InlineData("?wait=soon", """{"agent":"builder"}""", "wait", "soon")]
    [InlineData("?wait=6m", """{"agent":"builder"}""", "wait", "6m")]
    public async Task A_bad_claim_is_400_naming_the_field_and_the_value(string query, string body, string field, string value)
    {
        using var response = await _server.Post($"/v1/namespaces/{_ns}/claims{query}", body);

        var problem = await HttpServer.Problem(response, 400);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Equal(value, problem.GetProperty("value").GetString());
        if (field == "wait" && value == "6m") Assert.Contains("orchestrator.http.max-claim-wait (5m)", problem.GetProperty("detail").GetString());
        if (field == "lease" && value.EndsWith('s')) Assert.Contains("between 1s and 1h", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_waiting_claim_is_woken_by_a_definition_made_while_it_waits()
    {
        var waiting = _server.Post($"/v1/namespaces/{_ns}/claims?wait=30s", """{"agent":"sleeper"}""");
        // Its first try found nothing once the agent is known (an empty claim records the agent): it waits now.
        await AgentKnown("sleeper");
        Assert.False(waiting.IsCompleted);

        await _server.Define(_ns, """{"taskId":"w1","agent":"sleeper","taskFile":"f"}""");

        using var response = await waiting.WaitAsync(HttpServer.Patience);
        var task = await HttpServer.Json(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("w1", task.GetProperty("taskId").GetString());
        Assert.Equal("sleeper", task.GetProperty("claim").GetProperty("agent").GetString());
    }

    [Fact]
    public async Task A_waiting_claim_that_finds_nothing_answers_204_when_its_wait_ends()
    {
        await _server.Define(_ns, """{"taskId":"other","agent":"someone-else","taskFile":"f"}""");
        var watch = System.Diagnostics.Stopwatch.StartNew();

        using var response = await _server.Post($"/v1/namespaces/{_ns}/claims?wait=700ms", """{"agent":"idle"}""");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(650), $"answered after {watch.Elapsed}, before its wait ended");
    }

    private async Task AgentKnown(string agent)
    {
        using var patience = new CancellationTokenSource(HttpServer.Patience);
        while (true)
        {
            using var response = await _server.Get($"/v1/namespaces/{_ns}/agents");
            var agents = await HttpServer.Json(response);
            if (agents.GetProperty("agents").EnumerateArray().Any(a => a.GetProperty("agent").GetString() == agent)) return;
            patience.Token.ThrowIfCancellationRequested();
        }
    }

    [Fact]
    public async Task Heartbeat_and_complete_answer_the_holder_and_refuse_a_stale_claim_or_another_agent()
    {
        await _server.Define(_ns, """{"taskId":"hb","agent":"worker","taskFile":"f"}""");
        using var claim = await _server.Post($"/v1/namespaces/{_ns}/claims", """{"agent":"worker"}""");
        var claimId = (await HttpServer.Json(claim)).GetProperty("claimId").GetString();

        using var renewed = await _server.Post($"{Tasks}/hb/heartbeat", $$"""{"agent":"worker","claimId":"{{claimId}}","lease":"00:01:00"}""");
        var lease = await HttpServer.Json(renewed);
        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        Assert.Equal(["taskId", "claimId", "leaseUntil"], lease.EnumerateObject().Select(p => p.Name));
        Assert.Equal(claimId, lease.GetProperty("claimId").GetString());

        using var stale = await _server.Post($"{Tasks}/hb/heartbeat", """{"agent":"worker","claimId":"claim-999"}""");
        var staleProblem = await HttpServer.Problem(stale, 409);
        Assert.Equal("claim-999", staleProblem.GetProperty("claimId").GetString());
        Assert.Equal("CLAIMED", staleProblem.GetProperty("taskStatus").GetString());

        using var notHolder = await _server.Post($"{Tasks}/hb/complete", """{"agent":"intruder","claimId":"claim-1"}""");
        await HttpServer.Problem(notHolder, 409);
        using var noClaimId = await _server.Post($"{Tasks}/hb/complete", """{"agent":"worker"}""");
        Assert.Equal("claimId", (await HttpServer.Problem(noClaimId, 400)).GetProperty("field").GetString());

        using var completed = await _server.Post($"{Tasks}/hb/complete", $$$"""{"agent":"worker","claimId":"{{{claimId}}}","result":{"lines":42}}""");
        var task = await HttpServer.Json(completed);
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        Assert.Equal("COMPLETED", task.GetProperty("status").GetString());
        using var read = await _server.Get($"{Tasks}/hb");
        Assert.Equal(42, (await HttpServer.Json(read)).GetProperty("result").GetProperty("lines").GetInt32());

        using var missing = await _server.Post($"{Tasks}/nope/heartbeat", """{"agent":"worker","claimId":"claim-1"}""");
        Assert.Equal("nope", (await HttpServer.Problem(missing, 404)).GetProperty("taskId").GetString());
        using var missingComplete = await _server.Post($"{Tasks}/nope/complete", """{"agent":"worker","claimId":"claim-1"}""");
        await HttpServer.Problem(missingComplete, 404);
    }

    [Fact]
    public async Task Fail_retries_then_kills_and_requeue_brings_a_dead_task_back()
    {
        await _server.Define(_ns, """{"taskId":"f1","agent":"worker","taskFile":"f","maxAttempts":1}""");
        using var claim = await _server.Post($"/v1/namespaces/{_ns}/claims", """{"agent":"worker"}""");
        Assert.Equal(HttpStatusCode.OK, claim.StatusCode);
        var claimId = (await HttpServer.Json(claim)).GetProperty("claimId").GetString();

        using var failed = await _server.Post($"{Tasks}/f1/fail", $$"""{"agent":"worker","claimId":"{{claimId}}","reason":"compiler crashed"}""");
        var dead = await HttpServer.Json(failed);
        Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        Assert.Equal("DEAD", dead.GetProperty("status").GetString());
        Assert.Equal("compiler crashed", dead.GetProperty("reason").GetString());

        using var noReason = await _server.Post($"{Tasks}/f1/fail", $$"""{"agent":"worker","claimId":"{{claimId}}"}""");
        Assert.Equal("reason", (await HttpServer.Problem(noReason, 400)).GetProperty("field").GetString());
        using var missing = await _server.Post($"{Tasks}/nope/fail", """{"agent":"worker","claimId":"claim-1","reason":"r"}""");
        await HttpServer.Problem(missing, 404);

        // Requeue takes no body at all.
        using var requeued = await _server.Send(HttpMethod.Post, $"{Tasks}/f1/requeue");
        var ready = await HttpServer.Json(requeued);
        Assert.Equal(HttpStatusCode.OK, requeued.StatusCode);
        Assert.Equal("READY", ready.GetProperty("status").GetString());
        Assert.Equal(0, ready.GetProperty("attempts").GetInt32());

        using var notDead = await _server.Post($"{Tasks}/f1/requeue", """{"by":"ops"}""");
        var problem = await HttpServer.Problem(notDead, 409);
        Assert.Equal("READY", problem.GetProperty("taskStatus").GetString());
        Assert.Equal("requeue", problem.GetProperty("action").GetString());
        using var missingRequeue = await _server.Post($"{Tasks}/nope/requeue", "{}");
        await HttpServer.Problem(missingRequeue, 404);
    }

    [Fact]
    public async Task Fail_with_attempts_left_is_FAILED_until_its_retry()
    {
        await _server.Define(_ns, """{"taskId":"f2","agent":"worker","taskFile":"f","maxAttempts":3}""");
        using var claim = await _server.Post($"/v1/namespaces/{_ns}/claims", """{"agent":"worker"}""");
        var claimId = (await HttpServer.Json(claim)).GetProperty("claimId").GetString();

        using var failed = await _server.Post($"{Tasks}/f2/fail", $$"""{"agent":"worker","claimId":"{{claimId}}","reason":"flaky"}""");
        var task = await HttpServer.Json(failed);

        Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        Assert.Equal("FAILED", task.GetProperty("status").GetString());
        Assert.True(task.GetProperty("retryAt").GetDateTimeOffset() > task.GetProperty("updatedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Cancel_answers_the_cancelled_task_and_409_for_a_finished_one()
    {
        await _server.Define(_ns, """{"taskId":"x1","agent":"worker","taskFile":"f"}""");

        using var cancelled = await _server.Post($"{Tasks}/x1/cancel", """{"reason":"not needed","by":"ops"}""");
        var task = await HttpServer.Json(cancelled);
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal("CANCELLED", task.GetProperty("status").GetString());
        Assert.Equal("not needed", task.GetProperty("reason").GetString());

        await _server.Define(_ns, """{"taskId":"x2","agent":"worker","taskFile":"f","maxAttempts":1}""");
        using var claim = await _server.Post($"/v1/namespaces/{_ns}/claims", """{"agent":"worker"}""");
        var x2Claim = (await HttpServer.Json(claim)).GetProperty("claimId").GetString();
        using var _ = await _server.Post($"{Tasks}/x2/fail", $$"""{"agent":"worker","claimId":"{{x2Claim}}","reason":"r"}""");
        using var deadCancel = await _server.Post($"{Tasks}/x2/cancel", """{"reason":"late"}""");
        var problem = await HttpServer.Problem(deadCancel, 409);
        Assert.Equal("DEAD", problem.GetProperty("taskStatus").GetString());
        Assert.Equal("cancel", problem.GetProperty("action").GetString());

        using var missing = await _server.Post($"{Tasks}/nope/cancel", """{"reason":"r"}""");
        await HttpServer.Problem(missing, 404);
        using var noBody = await _server.Send(HttpMethod.Post, $"{Tasks}/x1/cancel", null, ("Content-Type", "application/json"));
        Assert.Equal("body", (await HttpServer.Problem(noBody, 400)).GetProperty("field").GetString());
    }

    [Fact]
    public async Task State_is_saved_with_versions_as_ETags_and_read_back_as_the_document_itself()
    {
        var path = $"/v1/namespaces/{_ns}/state/agent-1/notes";

        using var created = await _server.Send(HttpMethod.Put, path, """{"step":1}""", ("If-None-Match", "*"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("\"1\"", created.Headers.ETag?.ToString());
        Assert.Equal(path, created.Headers.Location?.OriginalString);
        var saved = await HttpServer.Json(created);
        Assert.Equal(("agent-1", "notes", 1L), (saved.GetProperty("ownerId").GetString(), saved.GetProperty("key").GetString(), saved.GetProperty("version").GetInt64()));

        using var updated = await _server.Send(HttpMethod.Put, path, """{"step":2,"done":["a"]}""", ("If-Match", "\"1\""));
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal("\"2\"", updated.Headers.ETag?.ToString());

        using var stale = await _server.Send(HttpMethod.Put, path, """{"step":3}""", ("If-Match", "\"1\""));
        var problem = await HttpServer.Problem(stale, 412);
        Assert.Equal(1, problem.GetProperty("expectedVersion").GetInt64());
        Assert.Equal(2, problem.GetProperty("currentVersion").GetInt64());

        using var exists = await _server.Send(HttpMethod.Put, path, """{"step":3}""", ("If-None-Match", "*"));
        var existsProblem = await HttpServer.Problem(exists, 412);
        Assert.Equal(0, existsProblem.GetProperty("expectedVersion").GetInt64());

        using var unconditional = await _server.Send(HttpMethod.Put, path, """{"step":3}""");
        Assert.Equal(HttpStatusCode.OK, unconditional.StatusCode);
        Assert.Equal("\"3\"", unconditional.Headers.ETag?.ToString());

        using var read = await _server.Get(path);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("application/json", read.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"step":3}""", await read.Content.ReadAsStringAsync());
        Assert.Equal("\"3\"", read.Headers.ETag?.ToString());
        var modified = read.Content.Headers.LastModified;
        Assert.NotNull(modified);
        Assert.InRange(modified.Value, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Theory]
    [InlineData("If-Match", "3", "If-Match")]
    [InlineData("If-Match", "W/\"3\"", "If-Match")]
    [InlineData("If-Match", "\"three\"", "If-Match")]
    [InlineData("If-None-Match", "\"3\"", "If-None-Match")]
    public async Task A_malformed_condition_is_400_naming_the_header(string header, string value, string field)
    {
        using var response = await _server.Send(HttpMethod.Put, $"/v1/namespaces/{_ns}/state/o/k", """{"a":1}""", (header, value));

        var problem = await HttpServer.Problem(response, 400);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Equal(value, problem.GetProperty("value").GetString());
    }

    [Fact]
    public async Task State_that_is_not_JSON_is_refused_and_a_missing_document_is_404_naming_it()
    {
        using var notJson = await _server.Send(HttpMethod.Put, $"/v1/namespaces/{_ns}/state/o/k", "{not json");
        Assert.Equal("json", (await HttpServer.Problem(notJson, 400)).GetProperty("field").GetString());

        using var missing = await _server.Get($"/v1/namespaces/{_ns}/state/o/absent");
        var problem = await HttpServer.Problem(missing, 404);
        Assert.Equal("o", problem.GetProperty("ownerId").GetString());
        Assert.Equal("absent", problem.GetProperty("key").GetString());
    }

    [Fact]
    public async Task Stats_agents_and_cluster_answer_the_protocol_reports()
    {
        await _server.Define(_ns, """{"taskId":"s1","agent":"a","taskFile":"f","priority":"LOW"}""");
        using var registered = await _server.Post($"/v1/namespaces/{_ns}/agents", """{"agent":"reviewer","capabilities":["review","merge"]}""");
        var agent = await HttpServer.Json(registered);
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        Assert.Equal(["review", "merge"], agent.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()));
        Assert.True(agent.GetProperty("registered").GetBoolean());

        using var agents = await _server.Get($"/v1/namespaces/{_ns}/agents");
        Assert.Equal(["reviewer"], (await HttpServer.Json(agents)).GetProperty("agents").EnumerateArray().Select(a => a.GetProperty("agent").GetString()));

        using var statsResponse = await _server.Get($"/v1/namespaces/{_ns}/stats");
        var stats = await HttpServer.Json(statsResponse);
        Assert.Equal(_ns, stats.GetProperty("namespace").GetString());
        Assert.Equal(1, stats.GetProperty("tasks").GetInt32());
        Assert.Equal(1, stats.GetProperty("byStatus").GetProperty("READY").GetInt32());
        Assert.Equal(0, stats.GetProperty("byStatus").GetProperty("DEAD").GetInt32());
        Assert.Equal(1, stats.GetProperty("byPriority").GetProperty("LOW").GetInt32());
        Assert.Equal(1, stats.GetProperty("agents").GetInt32());
        Assert.True(stats.GetProperty("eventsJournaled").GetInt64() >= 2);

        using var clusterResponse = await _server.Get("/v1/cluster");
        var cluster = await HttpServer.Json(clusterResponse);
        Assert.Equal(HttpStatusCode.OK, clusterResponse.StatusCode);
        Assert.False(cluster.GetProperty("clustered").GetBoolean());
        Assert.Single(cluster.GetProperty("members").EnumerateArray());
        Assert.Contains(cluster.GetProperty("namespaces").EnumerateArray(), n => n.GetProperty("namespace").GetString() == _ns);

        using var badAgent = await _server.Post($"/v1/namespaces/{_ns}/agents", """{"agent":"*"}""");
        Assert.Equal("agent", (await HttpServer.Problem(badAgent, 400)).GetProperty("field").GetString());

        // The last hour in steps of 10 s: the definition above counted once, in the newest steps.
        using var activityResponse = await _server.Get($"/v1/namespaces/{_ns}/activity?stepSeconds=10");
        var activity = await HttpServer.Json(activityResponse);
        Assert.Equal(HttpStatusCode.OK, activityResponse.StatusCode);
        Assert.Equal((_ns, 10), (activity.GetProperty("namespace").GetString(), activity.GetProperty("stepSeconds").GetInt32()));
        var points = activity.GetProperty("points").EnumerateArray().ToList();
        Assert.InRange(points.Count, 360, 361);
        Assert.Equal(1, points.Sum(p => p.GetProperty("defined").GetInt64()));
        Assert.True(points.Sum(p => p.GetProperty("writes").GetInt64()) >= 2, activity.ToString());
        Assert.Contains(points, p => p.GetProperty("writeMaxMs").GetDouble() > 0);

        using var badStep = await _server.Get($"/v1/namespaces/{_ns}/activity?stepSeconds=7");
        var refused = await HttpServer.Problem(badStep, 400);
        Assert.Equal(("stepSeconds", "7"), (refused.GetProperty("field").GetString(), refused.GetProperty("value").GetString()));
    }

    [Fact]
    public async Task An_invalid_namespace_is_400_naming_it_and_an_unknown_route_is_a_problem_too()
    {
        using var invalid = await _server.Get("/v1/namespaces/-bad/stats");
        var problem = await HttpServer.Problem(invalid, 400);
        Assert.Equal("namespace", problem.GetProperty("field").GetString());
        Assert.Equal("-bad", problem.GetProperty("value").GetString());

        using var unknown = await _server.Get("/v1/nothing-here");
        await HttpServer.Problem(unknown, 404);
        using var wrongMethod = await _server.Send(HttpMethod.Delete, Tasks);
        await HttpServer.Problem(wrongMethod, 405);
    }

    [Fact]
    public async Task The_OpenAPI_document_lists_every_route_with_its_errors_and_the_bearer_scheme()
    {
        using var response = await _server.Get("/openapi/v1.json");
        var document = await HttpServer.Json(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("3.1", document.GetProperty("openapi").GetString());
        var operations = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => $"{o.Name.ToUpperInvariant()} {p.Name}"))
            .Order().ToList();
        string[] expected =
        [
            "GET /healthz", "GET /readyz", "GET /v1/cluster",
            "GET /v1/namespaces/{ns}/activity", "GET /v1/namespaces/{ns}/agents", "POST /v1/namespaces/{ns}/agents",
            "POST /v1/namespaces/{ns}/claims", "GET /v1/namespaces/{ns}/events",
            "GET /v1/namespaces/{ns}/state/{ownerId}/{key}", "PUT /v1/namespaces/{ns}/state/{ownerId}/{key}",
            "GET /v1/namespaces/{ns}/stats",
            "GET /v1/namespaces/{ns}/tasks", "POST /v1/namespaces/{ns}/tasks", "POST /v1/namespaces/{ns}/tasks:batch",
            "GET /v1/namespaces/{ns}/tasks/{taskId}", "POST /v1/namespaces/{ns}/tasks/{taskId}/cancel",
            "POST /v1/namespaces/{ns}/tasks/{taskId}/complete", "POST /v1/namespaces/{ns}/tasks/{taskId}/fail",
            "POST /v1/namespaces/{ns}/tasks/{taskId}/heartbeat", "GET /v1/namespaces/{ns}/tasks/{taskId}/history",
            "POST /v1/namespaces/{ns}/tasks/{taskId}/requeue", "POST /v1/namespaces/{ns}/tasks/{taskId}/request-input",
            "POST /v1/namespaces/{ns}/tasks/{taskId}/provide-input",
            "POST /v1/namespaces/{ns}/tasks:cancel", "POST /v1/namespaces/{ns}/tasks:requeue", "PUT /v1/namespaces/{ns}/claim-limits",
            "GET /v1/namespaces/{ns}/schedules", "PUT /v1/namespaces/{ns}/schedules/{scheduleId}", "DELETE /v1/namespaces/{ns}/schedules/{scheduleId}",
            "POST /v1/namespaces/{ns}/tasks:purge", "PUT /v1/namespaces/{ns}/retention",
        ];
        Assert.Equal(expected.Order(), operations);

        var paths = document.GetProperty("paths");
        var define = paths.GetProperty("/v1/namespaces/{ns}/tasks").GetProperty("post");
        Assert.False(string.IsNullOrEmpty(define.GetProperty("summary").GetString()));
        Assert.True(define.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        foreach (var status in new[] { "201", "200", "400", "409", "413", "503" })
            Assert.True(define.GetProperty("responses").TryGetProperty(status, out _), $"define lacks {status}");
        Assert.True(paths.GetProperty("/v1/namespaces/{ns}/state/{ownerId}/{key}").GetProperty("put").GetProperty("responses").TryGetProperty("412", out _));
        // The changes whose Idempotency-Key is remembered may answer 422 (the key used for another request); a definition's is only checked
        string[] remembered =
        [
            "POST /v1/namespaces/{ns}/claims", "POST /v1/namespaces/{ns}/tasks/{taskId}/complete", "POST /v1/namespaces/{ns}/tasks/{taskId}/fail",
            "POST /v1/namespaces/{ns}/tasks/{taskId}/cancel", "POST /v1/namespaces/{ns}/tasks/{taskId}/requeue", "POST /v1/namespaces/{ns}/tasks/{taskId}/request-input",
            "POST /v1/namespaces/{ns}/tasks/{taskId}/provide-input", "PUT /v1/namespaces/{ns}/state/{ownerId}/{key}",
        ];
        Assert.Equal(remembered.Order(), operations.Where(o => Operation(paths, o).GetProperty("responses").TryGetProperty("422", out _)));
        Assert.Equal("bearer", define.GetProperty("security")[0].EnumerateObject().Single().Name);
        Assert.False(paths.GetProperty("/healthz").GetProperty("get").TryGetProperty("security", out _));
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer");
        Assert.Equal(("http", "bearer"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("scheme").GetString()));
        Assert.All(operations, o => Assert.False(string.IsNullOrEmpty(Operation(paths, o).GetProperty("summary").GetString())));
    }

    [Fact]
    public async Task The_OpenAPI_examples_are_what_the_routes_take_and_answer()
    {
        using var response = await _server.Get("/openapi/v1.json");
        var document = await HttpServer.Json(response);
        var schemas = document.GetProperty("components").GetProperty("schemas");
        JsonElement Example(string schema) =>
            Assert.Single(schemas.GetProperty(schema).GetProperty("examples").EnumerateArray());

        // Every request body of the document has an example
        var bodies = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject())
            .Where(o => o.Value.TryGetProperty("requestBody", out var body) && body.GetProperty("content").TryGetProperty("application/json", out _))
            .Select(o => o.Value.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"))
            .Where(s => s.TryGetProperty("$ref", out _))
            .Select(s => s.GetProperty("$ref").GetString()!.Split('/')[^1])
            .Distinct().ToList();
        Assert.Contains("DefineTaskBody", bodies);
        Assert.All(bodies, b => Assert.True(schemas.GetProperty(b).TryGetProperty("examples", out _), $"{b} has no example"));

        // The define example, posted as it stands (its dependency defined first), is created as the task example shows it
        var ns = HttpServer.NewNamespace();
        await _server.Define(ns, """{"taskId":"plan-1","agent":"planner","taskFile":"tasks/plan.md"}""");
        using var defined = await _server.Post($"/v1/namespaces/{ns}/tasks", Example("DefineTaskBody").GetRawText());
        var task = await HttpServer.Json(defined);
        Assert.Equal(HttpStatusCode.Created, defined.StatusCode);
        var shown = Example("TaskShape");
        foreach (var field in new[] { "taskId", "agent", "taskFile", "priority", "maxAttempts" })
            Assert.True(JsonElement.DeepEquals(shown.GetProperty(field), task.GetProperty(field)), $"{field}: example {shown.GetProperty(field)}, answer {task.GetProperty(field)}");
        Assert.True(JsonElement.DeepEquals(Example("DefineTaskBody").GetProperty("dependsOn"), task.GetProperty("dependsOn")), task.ToString());

        // The batch example is taken too
        using var batch = await _server.Post($"/v1/namespaces/{ns}/tasks:batch", Example("DefineTasksBody").GetRawText());
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);

        // The problem example is the server's own answer to the bad value it names
        var problem = Example("ProblemDetails");
        var bad = $$"""{"taskId":"x","agent":"a","taskFile":"f","{{problem.GetProperty("field").GetString()}}":"{{problem.GetProperty("value").GetString()}}"}""";
        using var refused = await _server.Post($"/v1/namespaces/{ns}/tasks", bad);
        var answer = await HttpServer.Problem(refused, 400);
        Assert.Equal(problem.GetProperty("detail").GetString(), answer.GetProperty("detail").GetString());
    }

    private static JsonElement Operation(JsonElement paths, string operation)
    {
        var (method, path) = (operation[..operation.IndexOf(' ')].ToLowerInvariant(), operation[(operation.IndexOf(' ') + 1)..]);
        return paths.GetProperty(path).GetProperty(method);
    }

    [Fact]
    public async Task The_reference_page_at_docs_is_served_from_this_server_only()
    {
        using var response = await _server.Get("/docs/");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<script", html);
        Assert.DoesNotMatch(@"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html);
        Assert.Contains("openapi/v1.json", html);
        var scripts = System.Text.RegularExpressions.Regex.Matches(html, "src=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(scripts);
        foreach (var script in scripts)
        {
            using var asset = await _server.Get("/docs/" + script);
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
            Assert.Contains("javascript", asset.Content.Headers.ContentType?.MediaType);
        }
    }

    // A body sent chunked, without Content-Length: Kestrel finds it too large while it is read.
    private sealed class ChunkedContent : HttpContent
    {
        private readonly string _text;

        public ChunkedContent(string text)
        {
            _text = text;
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(_text)).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
