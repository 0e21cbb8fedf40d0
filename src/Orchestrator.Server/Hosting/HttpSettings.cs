using System.Net;
using System.Security.Cryptography.X509Certificates;
using Akka.Configuration;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Protocol;

namespace Orchestrator.Server.Hosting;

/// <summary>
/// An API key and what it may do: every namespace unless <see cref="Namespaces"/> lists some, and
/// changes as well as reads unless <see cref="ReadOnly"/>. The key itself never appears in a log
/// line or an error message; <see cref="Name"/> does.
/// </summary>
public sealed record ApiKey(string Key, IReadOnlySet<string>? Namespaces, bool ReadOnly, string Name)
{
    /// <summary>True when the key may use <paramref name="namespace"/>.</summary>
    public bool Allows(string @namespace) => Namespaces is null || Namespaces.Contains(@namespace);
}

/// <summary>The HTTP listener's certificate (HTTPS).</summary>
public sealed record HttpsSettings(X509Certificate2 Certificate, string Source);

/// <summary>The <c>orchestrator.http</c> section, read and checked once at start-up.</summary>
public sealed record HttpSettings(
    bool Enabled,
    string Host,
    int Port,
    IReadOnlyList<ApiKey> ApiKeys,
    HttpsSettings? Https,
    long MaxRequestBodySize,
    TimeSpan RequestTimeout,
    TimeSpan MaxClaimWait,
    int EventBuffer,
    TimeSpan EventKeepAlive)
{
    /// <summary>Whether the door serves /metrics (<c>orchestrator.http.metrics</c>).</summary>
    public bool Metrics { get; init; } = true;

    /// <summary>The environment variable whose comma-separated keys are added to <c>orchestrator.http.api-keys</c>.</summary>
    public const string ApiKeysVariable = "ORCHESTRATOR_API_KEYS";

    /// <summary>The environment variable that, when set, is the password of the certificate's PKCS#12 file.</summary>
    public const string CertificatePasswordVariable = "ORCHESTRATOR_HTTPS_CERTIFICATE_PASSWORD";

    /// <summary>A key shorter than this is refused: it would be guessable.</summary>
    public const int MinKeyLength = 16;

    /// <summary>http or https.</summary>
    public string Scheme => Https is null ? "http" : "https";

    /// <summary>True when <see cref="Host"/> is a loopback interface only.</summary>
    public bool IsLoopback => IsLoopbackHost(Host);

    /// <summary>True when keys are configured, so every <c>/v1</c> request must carry one.</summary>
    public bool RequiresKeys => ApiKeys.Count > 0;

    /// <summary>Reads the section; <paramref name="host"/> and <paramref name="port"/> (the command line's) replace its own.</summary>
    /// <exception cref="ConfigurationException">A value is invalid; the message names it (never a key or a password).</exception>
    public static HttpSettings FromConfig(Config config, string? host = null, int? port = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var o = config.GetConfig("orchestrator") ?? throw new ConfigurationException("the 'orchestrator' section is missing from the configuration");
        var reader = new SettingsReader(o);
        var enabled = !o.HasPath("http.enabled") || reader.Bool("http.enabled");
        host ??= reader.Text("http.host");
        if (!(host is "*" || host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(host, out _)))
            throw new ConfigurationException($"the HTTP host '{host}' is invalid: expected an IP address (127.0.0.1, 0.0.0.0, ::1), localhost or *");
        port ??= reader.Int("http.port", 0, 65535);
        if (port is < 0 or > 65535)
            throw new ConfigurationException($"the HTTP port '{port}' is invalid: expected 0 to 65535");

        string? Variable(string name) => environment is null ? Environment.GetEnvironmentVariable(name)
            : environment.TryGetValue(name, out var value) ? value : null;

        return new HttpSettings(
            enabled,
            host,
            port.Value,
            ReadApiKeys(o, Variable(ApiKeysVariable)),
            ReadHttps(o, reader, Variable(CertificatePasswordVariable)),
            reader.Size("http.max-request-body-size", 1024, 1L << 30),
            reader.Duration("http.request-timeout", TimeSpan.FromMilliseconds(100)),
            reader.Duration("http.max-claim-wait", TimeSpan.Zero),
            reader.Int("http.events.buffer", 0, 10_000_000),
            reader.Duration("http.events.keep-alive", TimeSpan.FromMilliseconds(10)))
        {
            Metrics = reader.Bool("http.metrics"),
        };
    }

    /// <summary>
    /// Null when the settings may be served; otherwise why not. Listening beyond loopback without
    /// keys would let anyone who reaches the port change every namespace.
    /// </summary>
    public string? RefusalToListen() =>
        Enabled && !IsLoopback && !RequiresKeys
            ? $"refusing to serve HTTP on {Host}:{Port} without API keys: anyone who reaches it could change every namespace. " +
              $"Set orchestrator.http.api-keys or {ApiKeysVariable}, or listen on 127.0.0.1 (--http-host)"
            : null;

    /// <summary>True for 127.0.0.0/8, ::1 and localhost.</summary>
    public static bool IsLoopbackHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

    // orchestrator.http.api-keys: a list whose entries are a key (full access) or an object
    // { key = "...", namespaces = [...], read-only = on }; ORCHESTRATOR_API_KEYS adds full-access keys.
    private static IReadOnlyList<ApiKey> ReadApiKeys(Config o, string? fromEnvironment)
    {
        var keys = new List<ApiKey>();
        if (o.HasPath("http.api-keys"))
        {
            var list = o.GetValue("http.api-keys");
            IList<Akka.Configuration.Hocon.HoconValue> entries;
            try
            {
                entries = list.IsString() || list.IsObject() ? throw new FormatException() : list.GetArray();
            }
            catch (Exception ex) when (ex is not ConfigurationException)
            {
                throw new ConfigurationException("orchestrator.http.api-keys is invalid: it must be a list of keys or of { key, namespaces, read-only } objects");
            }
            for (var i = 0; i < entries.Count; i++)
            {
                var name = $"orchestrator.http.api-keys[{i}]";
                var entry = entries[i];
                if (entry.IsString())
                {
                    keys.Add(Key(entry.GetString(), null, false, name));
                    continue;
                }
                if (!entry.IsObject())
                    throw new ConfigurationException($"{name} is invalid: it must be a key or a {{ key, namespaces, read-only }} object");
                var item = new Config(new Akka.Configuration.Hocon.HoconRoot(entry));
                var unknown = entry.GetObject().Items.Keys.Except(["key", "namespaces", "read-only"]).ToList();
                if (unknown.Count > 0)
                    throw new ConfigurationException($"{name} has an unknown field '{unknown[0]}': expected key, namespaces and read-only");
                IReadOnlySet<string>? namespaces = null;
                if (item.HasPath("namespaces"))
                {
                    var names = item.GetStringList("namespaces");
                    if (names.Count == 0)
                        throw new ConfigurationException($"{name}.namespaces is empty: list the namespaces the key may use, or leave the field out for all");
                    foreach (var ns in names)
                    {
                        if (Orchestrator.Actors.Protocol.Namespaces.Check(ns) is { } why)
                            throw new ConfigurationException($"{name}.namespaces: '{ns}' is not a namespace: it {why}");
                    }
                    namespaces = names.ToHashSet(StringComparer.Ordinal);
                }
                var readOnlyText = item.HasPath("read-only") ? item.GetString("read-only") : "off";
                var readOnly = readOnlyText.ToLowerInvariant() switch
                {
                    "on" or "true" or "yes" => true,
                    "off" or "false" or "no" => false,
                    _ => throw new ConfigurationException($"{name}.read-only = '{readOnlyText}' is invalid: it must be on or off"),
                };
                keys.Add(Key(item.HasPath("key") ? item.GetString("key") : null, namespaces, readOnly, name));
            }
        }
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            var parts = fromEnvironment.Split(',');
            for (var i = 0; i < parts.Length; i++)
                keys.Add(Key(parts[i].Trim(), null, false, $"{ApiKeysVariable} entry {i + 1}"));
        }
        var duplicate = keys.GroupBy(k => k.Key, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ConfigurationException($"{string.Join(" and ", duplicate.Select(k => k.Name))} are the same key: give each client its own");
        return keys;
    }

    private static ApiKey Key(string? key, IReadOnlySet<string>? namespaces, bool readOnly, string name)
    {
        if (string.IsNullOrEmpty(key))
            throw new ConfigurationException($"{name} has no key");
        // The key is a secret: the errors give its length and the rule, never the key.
        if (key.Length < MinKeyLength)
            throw new ConfigurationException($"{name} is {key.Length} characters long: a key needs at least {MinKeyLength} (for example: openssl rand -hex 32)");
        if (key.Any(c => c is < '!' or > '~'))
            throw new ConfigurationException($"{name} holds a space, a control character or a non-ASCII character: a key is printable ASCII, as it travels in an Authorization header");
        return new ApiKey(key, namespaces, readOnly, name);
    }

    // orchestrator.http.https { certificate = "server.pfx" (PKCS#12) or "server.crt" (PEM) with key = "server.key" }
    private static HttpsSettings? ReadHttps(Config o, SettingsReader reader, string? passwordFromEnvironment)
    {
        var path = o.HasPath("http.https.certificate") ? o.GetString("http.https.certificate") : "";
        if (string.IsNullOrWhiteSpace(path)) return null;
        var keyPath = o.HasPath("http.https.key") ? o.GetString("http.https.key") : "";
        var password = passwordFromEnvironment ?? (o.HasPath("http.https.password") ? o.GetString("http.https.password") : null);
        var certificate = CertificateFiles.LoadWithKey(path, keyPath, password, "orchestrator.http.https.certificate", "orchestrator.http.https.key");
        return new HttpsSettings(certificate, Path.GetFullPath(path));
    }
}
