using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CsCheck;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// Generated requests at the HTTP door, over its real routes on a real Kestrel: random methods and
/// hostile path segments, bodies truncated, nested 100,000 deep, too large, of the wrong types or not
/// UTF-8, odd content types and junk in Last-Event-ID, If-Match, If-None-Match and Authorization. No
/// answer is a 5xx; every 4xx is a problem+json with a title (and a 400 its detail); the server
/// answers afterwards; the tasks and the document acknowledged before are unchanged.
/// </summary>
public sealed class HttpFuzzSpecs(HttpFuzzSpecs.Fixture fixture, ITestOutputHelper output) : IClassFixture<HttpFuzzSpecs.Fixture>
{
    public sealed class Fixture : HttpServerFixture
    {
        // A small body limit, so that a body over it costs little; no claim may wait, so no case blocks.
        protected override string Overlay => """
            orchestrator.http.max-request-body-size = 64KiB
            orchestrator.http.max-claim-wait = 0s
            """;
    }

    private readonly HttpServer _server = fixture.Server;

    // The namespace the cases work in; the acknowledged tasks live there too, under ids, an agent and
    // an owner no generator makes.
    private const string Ns = "fuzz";
    private static readonly string Acked = "acked-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Any_generated_request_is_answered_without_a_5xx_and_a_4xx_is_a_problem_and_nothing_acknowledged_changes()
    {
        // Given tasks (one waiting for another) and a document, acknowledged
        await _server.Define(Ns, $$$"""{"taskId":"{{{Acked}}}-1","agent":"{{{Acked}}}-agent","taskFile":"tasks/a.md","priority":"HIGH","payload":{"n":1}}""");
        await _server.Define(Ns, $$"""{"taskId":"{{Acked}}-2","agent":"{{Acked}}-agent","taskFile":"tasks/b.md","dependsOn":["{{Acked}}-1"]}""");
        using (var saved = await _server.Send(HttpMethod.Put, $"/v1/namespaces/{Ns}/state/{Acked}/doc", """{"step":1}"""))
            Assert.Equal(HttpStatusCode.Created, saved.StatusCode);
        var before = await AcknowledgedAsync();
        var statuses = new ConcurrentDictionary<int, int>();
        var watch = Stopwatch.StartNew();

        // When generated requests are sent
        await FuzzRequests.Requests.SampleAsync(async request =>
        {
            using var message = request.ToMessage(_server.Client.BaseAddress!);
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            using var response = await _server.Client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, patience.Token);
            var status = (int)response.StatusCode;
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);

            // Then none is a server error, and every refusal is a problem that says what is wrong
            if (response.Content.Headers.ContentType?.MediaType == "text/event-stream") return; // a stream that would follow on
            var body = await response.Content.ReadAsStringAsync(patience.Token);
            Assert.True(status < 500, $"{status}: {body}");
            if (RefusedByKestrel(request, status, body)) return;
            if (status >= 400) AssertProblem(status, response, body);
        }, iter: NastyInput.Cases, print: r => r.ToString());

        // And the server still answers, with what it acknowledged unchanged
        using var health = await _server.Get("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(before, await AcknowledgedAsync());
        output.WriteLine($"{NastyInput.Cases:N0} requests in {watch.Elapsed.TotalSeconds:F1} s: "
                         + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} x{s.Value}")));
    }

    // Kestrel itself refuses a request target holding NUL (%00), and one longer than its 8 KiB
    // request line, before any middleware runs: a bare 400 or 414 without a body.
    private static bool RefusedByKestrel(FuzzRequest request, int status, string body) =>
        body.Length == 0
        && ((status == 400 && request.Path.Contains("%00", StringComparison.Ordinal))
            || (status == 414 && request.Path.Length > 8 * 1024 - 64));

    private static void AssertProblem(int status, HttpResponseMessage response, string body)
    {
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json",
            $"{status} as {response.Content.Headers.ContentType}: {body}");
        using var problem = JsonDocument.Parse(body);
        var root = problem.RootElement;
        Assert.Equal(status, root.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("title").GetString()), body);
        if (status == 400) Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("detail").GetString()), body);
    }

    // The acknowledged tasks (with payload and history) and the document (with its version), as read.
    private async Task<string> AcknowledgedAsync()
    {
        var read = new StringBuilder();
        foreach (var path in new[]
                 {
                     $"tasks/{Acked}-1", $"tasks/{Acked}-1/history", $"tasks/{Acked}-2", $"tasks/{Acked}-2/history", $"state/{Acked}/doc",
                 })
        {
            using var response = await _server.Get($"/v1/namespaces/{Ns}/{path}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            read.Append(path).Append(' ').Append(response.Headers.ETag).Append(' ').AppendLine(await response.Content.ReadAsStringAsync());
        }
        return read.ToString();
    }
}

/// <summary>One generated HTTP request: a method, a path (with its query), a body, its content type and other headers.</summary>
internal sealed record FuzzRequest(HttpMethod Method, string Path, byte[]? Body, string? ContentType, (string Name, string Value)[] Headers)
{
    public HttpRequestMessage ToMessage(Uri server)
    {
        // The path is sent as generated: no client-side cleaning of "..", escapes or slashes.
        var uri = new Uri(server + Path.TrimStart('/'), new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        // A connection of its own: a refusal that leaves a body unread makes Kestrel close its
        // connection, and a request sent on it meanwhile would fail for no fault of its own.
        var message = new HttpRequestMessage(Method, uri) { Headers = { ConnectionClose = true } };
        if (Body is not null) message.Content = new ByteArrayContent(Body);
        if (ContentType is not null)
        {
            message.Content ??= new ByteArrayContent([]);
            message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
        }
        foreach (var (name, value) in Headers) message.Headers.TryAddWithoutValidation(name, value);
        return message;
    }

    public override string ToString() =>
        $"{Method} {(Path.Length > 2_000 ? Path[..2_000] + $"... ({Path.Length:N0} characters)" : Path)} [{ContentType}] {string.Join(" ", Headers.Select(h => $"{h.Name}: {h.Value}"))} "
        + (Body is null ? "(no body)" : Body.Length > 2_000 ? $"({Body.Length:N0} bytes)" : Encoding.UTF8.GetString(Body));
}

/// <summary>Requests over the HTTP door's routes, their segments, queries, bodies and headers generated.</summary>
internal static class FuzzRequests
{
    private const string Ns = "fuzz";

    private static readonly Gen<string> Namespace = Gen.Frequency((6, Gen.Const(Ns)), (1, Gen.Const("default")), (2, Segment()));

    private static readonly Gen<string> Id = Gen.Frequency((2, Gen.OneOf("t-1", "t-2", "t-3", "a/b")), (3, Segment()));

    // A path segment: escaped text, or raw tricks (dot segments, bad escapes, encoded slashes, long).
    private static Gen<string> Segment() => Gen.Frequency(
        (4, NastyInput.Text.Select(Escape)),
        (1, Gen.OneOf("..", ".", "%ZZ", "%", "%00", "%2F", "a%2Fb", "%2e%2e", "%FF%FE", "%C0%AF", "%E2%82", "%u0041", ";x", "a;b=c", "%20", "+")),
        (1, Gen.Int[1, 3_000].Select(n => new string('x', n))));

    private static string Escape(string text)
    {
        var escaped = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(text)) // a lone surrogate goes as the bytes of U+FFFD
            escaped.Append(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'_' or (byte)'.' ? ((char)b).ToString() : $"%{b:X2}");
        return escaped.ToString();
    }

    private static Gen<string> Query(params string[] names) =>
        Gen.Select(Gen.Bool.Array[names.Length, names.Length], Gen.Frequency((1, Gen.OneOf("0", "0s", "1", "100", "READY", "high", "t-")), (3, NastyInput.Text)).Array[names.Length, names.Length])
            .Select((present, values) =>
            {
                var pairs = names.Where((_, i) => present[i]).Select((n, i) => $"{n}={Escape(values[i])}").ToList();
                return pairs.Count == 0 ? "" : "?" + string.Join("&", pairs);
            });

    private static readonly Dictionary<string, Gen<string>> Good = new()
    {
        ["taskId"] = Gen.OneOf("t-1", "t-2", "t-3").Select(NastyInput.Quote),
        ["agent"] = Gen.OneOf("agent-a", "*").Select(NastyInput.Quote),
        ["taskFile"] = Gen.Const("\"tasks/t.md\""),
        ["priority"] = Gen.Const("\"HIGH\""),
        ["dependsOn"] = Gen.Const("[\"t-1\"]"),
        ["maxAttempts"] = Gen.Const("2"),
        ["payload"] = Gen.Const("{\"n\":1}"),
        ["reason"] = Gen.Const("\"why\""),
        ["lease"] = Gen.Const("\"30s\""),
        ["claimId"] = Gen.Const("\"c-1\""),
        ["capabilities"] = Gen.Const("[\"python\"]"),
    };

    private static Gen<byte[]?> Json(params string[] fields) => Body(NastyInput.JsonObject(fields, Good));

    // A body built on JSON of the route's shape: as it is, taken apart, or not JSON at all.
    private static Gen<byte[]?> Body(Gen<string> json) => Gen.Frequency(
        (6, json.SelectMany(NastyInput.Mangled).Select(b => (byte[]?)b)),
        (1, Gen.Const((byte[]?)null)),
        (1, Gen.Const((byte[]?)[])),
        (1, NastyInput.Bytes.Select(b => (byte[]?)b)),
        (1, Gen.OneOf(NastyInput.InvalidUtf8).Select(b => (byte[]?)b)),
        (1, Gen.Const((byte[]?)Encoding.UTF8.GetBytes($$"""{"taskId":"{{new string('x', 100_000)}}"}"""))));

    private static readonly Gen<byte[]?> Batch = Body(Gen.Frequency(
        (4, NastyInput.JsonObject(["taskId", "agent", "taskFile", "priority", "dependsOn", "maxAttempts", "payload", "by"], Good)
            .Array[0, 5].Select(items => "{\"tasks\":[" + string.Join(",", items) + "]}")),
        (1, NastyInput.JsonObject(["tasks"]))));

    private static readonly Gen<(HttpMethod, string, Gen<byte[]?>)>[] Routes =
    [
        Namespace.Select(ns => (HttpMethod.Post, $"/v1/namespaces/{ns}/tasks", Json("taskId", "agent", "taskFile", "priority", "dependsOn", "maxAttempts", "payload", "by"))),
        Namespace.Select(ns => (HttpMethod.Post, $"/v1/namespaces/{ns}/tasks:batch", Batch)),
        Gen.Select(Namespace, Query("status", "agent", "priority", "offset", "limit", "idPrefix")).Select((ns, q) => (HttpMethod.Get, $"/v1/namespaces/{ns}/tasks{q}", Gen.Const((byte[]?)null))),
        Gen.Select(Namespace, Id, Gen.OneOf("", "/history")).Select((ns, id, tail) => (HttpMethod.Get, $"/v1/namespaces/{ns}/tasks/{id}{tail}", Gen.Const((byte[]?)null))),
        Gen.Select(Namespace, Id).Select((ns, id) => (HttpMethod.Post, $"/v1/namespaces/{ns}/tasks/{id}/cancel", Json("reason", "by"))),
        Gen.Select(Namespace, Id).Select((ns, id) => (HttpMethod.Post, $"/v1/namespaces/{ns}/tasks/{id}/requeue", Json("by"))),
        Gen.Select(Namespace, Id).Select((ns, id) => (HttpMethod.Post, $"/v1/namespaces/{ns}/tasks/{id}/heartbeat", Json("agent", "claimId", "lease"))),
        Gen.Select(Namespace, Id).Select((ns, id) => (HttpMethod.Post, $"/v1/namespaces/{ns}/tasks/{id}/complete", Json("agent", "claimId", "result"))),
        Gen.Select(Namespace, Id).Select((ns, id) => (HttpMethod.Post, $"/v1/namespaces/{ns}/tasks/{id}/fail", Json("agent", "claimId", "reason"))),
        Gen.Select(Namespace, Query("wait")).Select((ns, q) => (HttpMethod.Post, $"/v1/namespaces/{ns}/claims{q}", Json("agent", "lease"))),
        Gen.Select(Namespace, Id, Id).Select((ns, owner, key) => (HttpMethod.Put, $"/v1/namespaces/{ns}/state/{owner}/{key}",
            Body(Gen.Frequency((3, NastyInput.JsonValue), (1, NastyInput.Text), (1, NastyInput.DeepJson))))),
        Gen.Select(Namespace, Id, Id).Select((ns, owner, key) => (HttpMethod.Get, $"/v1/namespaces/{ns}/state/{owner}/{key}", Gen.Const((byte[]?)null))),
        Gen.Select(Namespace, Gen.OneOf("/stats", "/agents")).Select((ns, tail) => (HttpMethod.Get, $"/v1/namespaces/{ns}{tail}", Gen.Const((byte[]?)null))),
        Gen.Select(Namespace, Query("stepSeconds")).Select((ns, q) => (HttpMethod.Get, $"/v1/namespaces/{ns}/activity{q}", Gen.Const((byte[]?)null))),
        Namespace.Select(ns => (HttpMethod.Post, $"/v1/namespaces/{ns}/agents", Json("agent", "capabilities"))),
        Gen.Select(Namespace, Query("agent", "taskId", "digest")).Select((ns, q) => (HttpMethod.Get, $"/v1/namespaces/{ns}/events{q}", Gen.Const((byte[]?)null))),
        Gen.OneOf("/v1/cluster", "/healthz", "/readyz", "/v1", "/v1/namespaces", "/v1/namespaces/fuzz/nothing", "/mcp/../v1/cluster", "/")
            .Select(path => (HttpMethod.Get, path, Gen.Const((byte[]?)null))),
    ];

    private static readonly Gen<HttpMethod> AnyMethod = Gen.OneOf(HttpMethod.Get, HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch, HttpMethod.Options, new HttpMethod("BREW"));

    private static readonly Gen<string?> ContentType = Gen.Frequency(
        (6, Gen.Const((string?)"application/json")),
        (3, Gen.OneOf<string?>(null, "", "application/json; charset=utf-8", "application/json; charset=latin1", "text/plain", "text/html",
            "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/problem+json", "*/*", "garbage", "application/json;;;",
            "application/json; charset=\"", "application/xml")),
        (1, Header()));

    // Header values are visible ASCII: a byte HTTP does not allow in a header is refused by Kestrel
    // itself, before the application (a bare 400 with no body), so it tests Kestrel, not this door.
    private static Gen<string?> Header() => NastyInput.Text.Select(t => (string?)new string([.. t.Where(c => c is >= ' ' and <= '~')]));

    private static readonly Gen<(string, string)[]> Headers = Gen.Select(
            Gen.Frequency((3, Gen.Const((string?)null)), (1, Gen.OneOf<string?>("0", "1-1", "abc-def", "-1", "99999999999999999999-1")), (1, Header())),
            Gen.Frequency((3, Gen.Const((string?)null)), (1, Gen.OneOf<string?>("\"1\"", "\"2\"", "*", "W/\"1\"", "\"-1\"", "\"0\"", "\"99999999999999999999\"", "1", "\"1\", \"2\"")), (1, Header())),
            Gen.Frequency((4, Gen.Const((string?)null)), (1, Gen.OneOf<string?>("*", "\"1\"", "W/*")), (1, Header())),
            Gen.Frequency((3, Gen.Const((string?)null)), (1, Gen.OneOf<string?>("Bearer ", "Bearer x", "Basic Zm9vOmJhcg==", "Bearer " + new string('k', 5000))), (1, Header())))
        .Select((lastEventId, ifMatch, ifNoneMatch, authorization) => new (string Name, string? Value)[]
            {
                ("Last-Event-ID", lastEventId), ("If-Match", ifMatch), ("If-None-Match", ifNoneMatch), ("Authorization", authorization),
            }
            .Where(h => h.Value is not null).Select(h => (h.Name, h.Value!)).ToArray());

    /// <summary>Requests over the routes, now and then with a method the route does not take.</summary>
    public static readonly Gen<FuzzRequest> Requests = Gen.OneOf(Routes)
        .SelectMany(route => Gen.Select(route.Item3, Gen.Frequency((9, Gen.Const(route.Item1)), (1, AnyMethod)), ContentType, Headers)
            .Select((body, method, contentType, headers) => new FuzzRequest(method, route.Item2, body, contentType, headers)));
}
