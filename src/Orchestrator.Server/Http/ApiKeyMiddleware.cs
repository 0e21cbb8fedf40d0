using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Orchestrator.Server.Hosting;

namespace Orchestrator.Server.Http;

/// <summary>
/// With API keys configured, every request under <c>/v1</c> (and the MCP endpoint and /metrics) carries
/// <c>Authorization: Bearer KEY</c>. A missing key and a wrong one get the same 401; keys are
/// compared as SHA-256 digests in constant time, so neither the time nor the length of an answer
/// says how close a guess was. A key limited to namespaces gets 403 elsewhere, and a read-only key
/// 403 on anything but GET and HEAD.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, HttpSettings settings)
{
    /// <summary>The key a request was admitted with (in <see cref="HttpContext.Items"/>); absent when no keys are configured.</summary>
    public const string ItemKey = "orchestrator.api-key";

    private readonly (byte[] Digest, ApiKey Key)[] _keys =
        settings.ApiKeys.Select(k => (SHA256.HashData(Encoding.UTF8.GetBytes(k.Key)), k)).ToArray();

    /// <summary>Admits, or answers 401/403.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        if (_keys.Length == 0 || !IsProtected(context.Request.Path))
        {
            await next(context);
            return;
        }
        var key = Find(context.Request.Headers.Authorization.ToString());
        if (key is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"orchestrator\"";
            await Problems.Write(context, Problems.Unauthorized());
            return;
        }
        var why = Refusal(key, context);
        if (why is not null)
        {
            await Problems.Write(context, Problems.Forbidden(why));
            return;
        }
        context.Items[ItemKey] = key;
        await next(context);
    }

    private static bool IsProtected(PathString path) =>
        path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/mcp", StringComparison.OrdinalIgnoreCase) ||
        path.StartsWithSegments(Hosting.Telemetry.MetricsPath, StringComparison.OrdinalIgnoreCase);

    private ApiKey? Find(string authorization)
    {
        const string scheme = "Bearer ";
        var presented = authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? authorization[scheme.Length..].Trim() : "";
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        ApiKey? found = null;
        // Every key is compared, whichever matches, so the time does not depend on which one did.
        foreach (var (keyDigest, key) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(digest, keyDigest) && presented.Length > 0) found = key;
        }
        return found;
    }

    private static string? Refusal(ApiKey key, HttpContext context)
    {
        var method = context.Request.Method;
        if (key.ReadOnly && !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method)))
            return $"the API key {key.Name} may only read (GET), and this is a {method}";
        if (key.Namespaces is null) return null;
        var path = context.Request.Path;
        if (path.StartsWithSegments("/v1/namespaces", StringComparison.OrdinalIgnoreCase, out var rest))
        {
            var ns = Uri.UnescapeDataString(rest.Value?.TrimStart('/').Split('/')[0] ?? "");
            // "tasks:batch" and similar stay after the namespace segment; the namespace is the segment itself.
            return key.Allows(ns) ? null : $"the API key {key.Name} may not use namespace '{ns}'";
        }
        return $"the API key {key.Name} is limited to namespaces ({string.Join(", ", key.Namespaces.Order())}) and may not use {path}";
    }
}
