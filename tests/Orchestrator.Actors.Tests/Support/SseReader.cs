using System.Net.Http.Headers;

namespace Orchestrator.Actors.Tests.Support;

/// <summary>One block of an event stream, as it came over the wire: its fields and its comments.</summary>
public sealed record SseBlock(string? Id, string? Event, string? Data, IReadOnlyList<string> Comments, IReadOnlyList<string> Lines);

/// <summary>An open <c>text/event-stream</c> response, read block by block (a block ends at a blank line).</summary>
public sealed class SseReader : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseReader(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public HttpResponseMessage Response => _response;

    /// <summary>Opens the stream; returns once its headers arrived (the server listens from then on).</summary>
    public static async Task<SseReader> OpenAsync(HttpClient client, string path, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(HttpServer.Patience);
        return new SseReader(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>The next block, or null when the stream ended.</summary>
    public async Task<SseBlock?> NextAsync()
    {
        var lines = new List<string>();
        while (true)
        {
            var line = await _reader.ReadLineAsync().WaitAsync(HttpServer.Patience);
            if (line is null) return lines.Count == 0 ? null : Block(lines);
            if (line.Length == 0)
            {
                if (lines.Count > 0) return Block(lines);
                continue;
            }
            lines.Add(line);
        }
    }

    /// <summary>The next block that is an event (comments skipped).</summary>
    public async Task<SseBlock> NextEventAsync()
    {
        while (true)
        {
            var block = await NextAsync() ?? throw new InvalidOperationException("the stream ended");
            if (block.Event is not null || block.Data is not null) return block;
        }
    }

    private static SseBlock Block(List<string> lines)
    {
        string? Field(string name) => lines.Where(l => l.StartsWith(name + ": ", StringComparison.Ordinal)).Select(l => l[(name.Length + 2)..]).SingleOrDefault();
        return new SseBlock(Field("id"), Field("event"), Field("data"), [.. lines.Where(l => l.StartsWith(':')).Select(l => l[1..].Trim())], lines);
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
