using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Orchestrator.Actors.Protocol.Telemetry;
using Orchestrator.Actors.Tests.Support;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// Traces: an HTTP request's W3C <c>traceparent</c> is continued by ASP.NET Core's span, the
/// client's request span, the state manager's span of the command and, under that, the journal
/// write that held its events. Captured with an <see cref="ActivityListener"/> in this process,
/// as an OpenTelemetry exporter would be given them; only spans of the spec's own trace are kept.
/// </summary>
public sealed class TracingSpecs(HttpServerFixture fixture) : IClassFixture<HttpServerFixture>
{
    private readonly HttpServer _server = fixture.Server;

    [Fact]
    public async Task An_http_request_s_trace_runs_through_the_command_to_its_journal_write()
    {
        var trace = ActivityTraceId.CreateRandom();
        var caller = ActivitySpanId.CreateRandom();
        var spans = new ConcurrentQueue<Activity>();
        var httpEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is OrchestratorActivities.Name or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = span =>
            {
                if (span.TraceId != trace) return;
                spans.Enqueue(span);
                if (span.Source.Name == "Microsoft.AspNetCore") httpEnded.TrySetResult();
            },
        };
        ActivitySource.AddActivityListener(listener);

        var ns = HttpServer.NewNamespace();
        using var response = await _server.Send(HttpMethod.Post, $"/v1/namespaces/{ns}/tasks", """{"taskId":"traced","agent":"a","taskFile":"f"}""",
            ("traceparent", $"00-{trace}-{caller}-01"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        // ASP.NET Core ends its span once the response is written, the others before it is.
        await httpEnded.Task.WaitAsync(HttpServer.Patience);

        var http = Assert.Single(spans, s => s.Source.Name == "Microsoft.AspNetCore");
        var request = Assert.Single(spans, s => s.OperationName == "orchestrator.request DefineTask");
        var command = Assert.Single(spans, s => s.OperationName == "orchestrator.command DefineTask");
        var write = Assert.Single(spans, s => s.OperationName == "orchestrator.journal.write");
        Assert.Equal(caller, http.ParentSpanId);
        Assert.Equal(http.SpanId, request.ParentSpanId);
        Assert.Equal(request.SpanId, command.ParentSpanId);
        Assert.Equal(command.SpanId, write.ParentSpanId);
        Assert.Equal((ActivityKind.Client, ActivityKind.Server), (request.Kind, command.Kind));
        Assert.Equal(ns, command.GetTagItem("orchestrator.namespace"));
        Assert.Equal("TaskDefinitionAccepted", command.GetTagItem("orchestrator.reply"));
        Assert.Equal(1, write.GetTagItem("orchestrator.journal.write.events"));
        Assert.True((long)write.GetTagItem("orchestrator.journal.sequence_nr")! > 0);
        // Nested in time as in the tree.
        Assert.InRange(write.StartTimeUtc, command.StartTimeUtc, command.StartTimeUtc + command.Duration);
        Assert.True(write.StartTimeUtc + write.Duration <= command.StartTimeUtc + command.Duration);
        Assert.Equal(ActivityStatusCode.Unset, command.Status);
    }
}
