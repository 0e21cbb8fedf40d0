using System.Net;
using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Actors.Tests.Support;

namespace Orchestrator.Actors.Tests;

/// <summary>A journal write that fails is 503 with Retry-After, and a retry after it succeeds.</summary>
public sealed class HttpUnavailableSpecs : IAsyncLifetime
{
    private HttpServer? _server;

    public async Task InitializeAsync() => _server = await HttpServer.StartAsync(
        TestConfigs.TestJournalHocon + "\norchestrator.supervision { min-backoff = 200ms, max-backoff = 1s, random-factor = 0 }\n");

    [Fact]
    public async Task A_failed_journal_write_is_503_with_Retry_After_and_the_retry_is_created()
    {
        var server = _server!;
        var system = server.App.Services.GetRequiredService<ActorSystem>();
        var journal = TestJournal.FromRef(Persistence.Instance.Apply(system).JournalFor(null));
        const string definition = """{"taskId":"u1","agent":"a","taskFile":"f"}""";
        using (var warm = await server.Get("/v1/namespaces/default/stats")) Assert.Equal(HttpStatusCode.OK, warm.StatusCode);

        await journal.OnWrite.Fail();
        using var unavailable = await server.Post("/v1/namespaces/default/tasks", definition);
        var problem = await HttpServer.Problem(unavailable, 503);
        Assert.Equal("1", unavailable.Headers.RetryAfter?.ToString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("reason").GetString()));

        await journal.OnWrite.Pass();
        using var retried = await server.Post("/v1/namespaces/default/tasks", definition);
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
