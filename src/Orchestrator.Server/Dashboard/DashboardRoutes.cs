using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Orchestrator.Server.Dashboard;

/// <summary>
/// The dashboard at <c>/</c>: a static page, its script and its style, embedded in this assembly
/// (nothing fetched from elsewhere, at build or at run time). The page holds no data: its script
/// reads the /v1 API and its event stream with the key the user gives (kept in the tab's session
/// storage), so the dashboard sees exactly what that key may see.
/// </summary>
internal static class DashboardRoutes
{
    private static readonly Assembly Assembly = typeof(DashboardRoutes).Assembly;

    // Scripts and styles from this origin only; no inline script, no frames.
    private const string Policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    // Route, embedded file, content type.
    private static readonly (string Path, string Name, string ContentType)[] Assets =
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/dashboard/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8"),
        ("/dashboard/dashboard.css", "dashboard.css", "text/css; charset=utf-8"),
    ];

    public static void Map(IEndpointRouteBuilder app)
    {
        foreach (var (path, name, contentType) in Assets)
            app.MapGet(path, (HttpContext context) => Asset(context, name, contentType)).ExcludeFromDescription();
    }

    private static IResult Asset(HttpContext context, string name, string contentType)
    {
        var stream = Assembly.GetManifestResourceStream($"Orchestrator.Server.Dashboard.Assets.{name}")
                     ?? throw new InvalidOperationException($"the dashboard's {name} is not embedded in {Assembly.GetName().Name}");
        context.Response.Headers.ContentSecurityPolicy = Policy;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.CacheControl = "no-cache";
        return Results.Stream(stream, contentType);
    }
}
