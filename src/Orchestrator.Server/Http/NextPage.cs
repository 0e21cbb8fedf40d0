using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Orchestrator.Server.Http;

/// <summary>
/// The next-page signal of a listing besides its <c>nextOffset</c> field: a <c>Link</c> header
/// (RFC 8288) with <c>rel="next"</c> naming the same request at the next offset. None on the last page.
/// </summary>
internal static class NextPage
{
    public static void Link(HttpRequest request, HttpResponse response, int? nextOffset)
    {
        if (nextOffset is not { } next) return;
        var query = request.Query.Where(p => p.Key != "offset")
            .Append(new KeyValuePair<string, StringValues>("offset", next.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        response.Headers.Link = $"<{(request.PathBase + request.Path).ToUriComponent()}{QueryString.Create(query).ToUriComponent()}>; rel=\"next\"";
    }
}
