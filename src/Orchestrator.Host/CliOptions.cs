using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Host;

/// <summary>
/// Options shared by the client commands, and the option kinds that are checked before anything is
/// sent (durations, JSON, priorities, statuses), so that a bad value is exit 2 with one line.
/// </summary>
internal static class CliOptions
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public static readonly Option<string> Server = new("--server")
    {
        Description = "The orchestrator to talk to; several nodes of a cluster, comma-separated, to move to another when one dies.",
        HelpName = "HOST:PORT[,HOST:PORT...]",
        DefaultValueFactory = _ => OrchestratorClient.DefaultServer,
        Validators =
        {
            result =>
            {
                var servers = result.GetValueOrDefault<string>();
                foreach (var server in Servers(servers))
                {
                    try
                    {
                        OrchestratorClient.ParseServer(server);
                    }
                    catch (ArgumentException)
                    {
                        result.AddError($"invalid --server '{server}': expected HOST:PORT with a port from 1 to 65535, such as {OrchestratorClient.DefaultServer}");
                        return;
                    }
                }
            },
        },
    };

    /// <summary>The servers of a --server value (one, or several separated by commas).</summary>
    public static IReadOnlyList<string> Servers(string? value) =>
        value is null ? [""] : value.Split(',', StringSplitOptions.TrimEntries);

    public static readonly Option<string> Namespace = new("--namespace")
    {
        Description = "The namespace to work in: each has its own tasks, documents and journal.",
        HelpName = "NAME",
        DefaultValueFactory = _ => Namespaces.Default,
        Validators =
        {
            result =>
            {
                var name = result.GetValueOrDefault<string>();
                if (Namespaces.Check(name) is { } problem)
                    result.AddError($"invalid --namespace '{name}': {problem}");
            },
        },
    };

    public static readonly Option<bool> Json = new("--json") { Description = "Print the answer as one line of JSON." };

    public static readonly Option<TimeSpan?> Timeout = new("--timeout")
    {
        Description = $"How long to wait for the orchestrator's answer to each request (default {Durations.Format(DefaultTimeout)}).",
        HelpName = "DURATION",
        CustomParser = result => ParseDuration(result, positive: true),
    };

    public static readonly Option<string?> TlsCertificate = new("--tls-certificate")
    {
        Description = $"This client's certificate for a node with TLS on: PKCS#12, or PEM with --tls-key (default ${RemoteTlsFiles.CertificateVariable}; a password in ${RemoteTlsFiles.PasswordVariable}).",
        HelpName = "FILE",
    };

    public static readonly Option<string?> TlsKey = new("--tls-key")
    {
        Description = $"The PEM private key of a PEM --tls-certificate (default ${RemoteTlsFiles.KeyVariable}).",
        HelpName = "FILE",
    };

    public static readonly Option<string?> TlsTrust = new("--tls-trust")
    {
        Description = $"The PEM certificate of the CA that signs the nodes' certificates (default ${RemoteTlsFiles.TrustVariable}; none: the certificate itself, shared by all).",
        HelpName = "FILE",
    };

    /// <summary>
    /// Loads the TLS of --tls-* or ORCHESTRATOR_TLS_* (null when neither names a certificate); false,
    /// after one error line naming the option and the file, when a file is missing or unusable.
    /// </summary>
    public static bool TryLoadTls(ParseResult parse, out RemoteTls? tls)
    {
        try
        {
            tls = RemoteTlsFiles.ForClient(parse.GetValue(TlsCertificate), parse.GetValue(TlsKey), parse.GetValue(TlsTrust))?.Load(key => $"--tls-{key}");
            return true;
        }
        catch (Akka.Configuration.ConfigurationException ex)
        {
            Output.Error(ex.Message);
            tls = null;
            return false;
        }
    }

    /// <summary>A text option, required unless said otherwise.</summary>
    public static Option<string> Text(string name, string helpName, string description, bool required = true) =>
        new(name) { Description = description, HelpName = helpName, Required = required };

    /// <summary>A number of at least <paramref name="min"/> (and at most <paramref name="max"/>); anything else is an error naming the value.</summary>
    public static Option<T?> Number<T>(string name, string helpName, string description, T min, T? max = null) where T : struct, INumber<T>
    {
        return new Option<T?>(name) { Description = description, HelpName = helpName, CustomParser = Parse };

        T? Parse(ArgumentResult result)
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (T.TryParse(text, NumberStyles.Integer | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value >= min && (max is null || value <= max))
                return value;
            var range = max is { } top ? $"from {Invariant(min)} to {Invariant(top)}" : $"of at least {Invariant(min)}";
            result.AddError($"invalid {name} '{text}': expected a number {range}");
            return null;
        }
    }

    /// <summary>A duration (<see cref="Durations"/>); anything else is an error naming the value.</summary>
    public static Option<TimeSpan?> Duration(string name, string description) =>
        new(name) { Description = description, HelpName = "DURATION", CustomParser = result => ParseDuration(result, positive: false) };

    /// <summary>
    /// A time: ISO 8601 (<c>2026-12-24T09:00:00Z</c>; without an offset, UTC) or a duration from now
    /// (<c>10m</c>); anything else is an error naming the value.
    /// </summary>
    public static Option<DateTimeOffset?> Time(string name, string description) =>
        new(name)
        {
            Description = description,
            HelpName = "TIME",
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Join(" ", result.Tokens.Select(t => t.Value));
                if (Durations.TryParse(text, out var fromNow)) return DateTimeOffset.UtcNow + fromNow;
                if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)) return time;
                result.AddError($"invalid {name} '{text}': expected a time in ISO 8601 (2026-12-24T09:00:00Z) or a duration from now (such as 10m)");
                return null;
            },
        };

    /// <summary>A JSON document, checked locally.</summary>
    public static Option<string?> JsonDocument(string name, string description)
    {
        var option = new Option<string?>(name) { Description = description, HelpName = "JSON" };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && CheckJson(name, text) is { } rejected)
                result.AddError(rejected.Message);
        });
        return option;
    }

    /// <summary>
    /// <c>--idempotency-key</c>: the change's key (the protocol's rules, checked before anything is
    /// sent). Left out, the client makes one, and names it when the change may or may not have been done.
    /// </summary>
    public static Option<string?> IdempotencyKey()
    {
        const string name = "--idempotency-key";
        var option = new Option<string?>(name)
        {
            Description = "This change's idempotency key: the same command again with the same key (within 24 hours) is done at most once " +
                          "and answered as the first time. When left out, one is made and printed if the answer never came.",
            HelpName = "KEY",
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } key && Validation.IdempotencyKey(name, key) is { } rejected)
                result.AddError(rejected.Message);
        });
        return option;
    }

    /// <summary>A priority name, any case.</summary>
    public static Option<string?> Priority(string description) =>
        Name<TaskPriority>("--priority", "PRIORITY", description, ProtocolNames.TryParsePriority);

    /// <summary>A status name, any case.</summary>
    public static Option<string?> Status(string description) =>
        Name<TaskState>("--status", "STATUS", description, ProtocolNames.TryParseStatus);

    private delegate bool TryParseName<TEnum>(string? text, out TEnum value);

    private static Option<string?> Name<TEnum>(string name, string helpName, string description, TryParseName<TEnum> tryParse)
        where TEnum : struct, Enum
    {
        var option = new Option<string?>(name) { Description = description, HelpName = helpName };
        option.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string?>();
            if (!tryParse(text, out _))
                result.AddError($"invalid {name} '{text}': expected one of {ProtocolNames.AllNames<TEnum>()}");
        });
        return option;
    }

    /// <summary>An identifier argument (task, owner, key); its rules are the orchestrator's.</summary>
    public static Argument<string> Id(string name, string description) => new(name) { Description = description };

    /// <summary>
    /// Null when the text is well-formed JSON, otherwise the orchestrator's own rejection of it (the
    /// same rule, checked before anything is sent; the size limit is the server's to apply).
    /// </summary>
    public static CommandRejected? CheckJson(string field, string text) => Validation.JsonDocumentText(field, text, int.MaxValue);

    private static string Invariant<T>(T number) where T : INumber<T> => number.ToString(null, CultureInfo.InvariantCulture);

    private static TimeSpan? ParseDuration(ArgumentResult result, bool positive)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Join(" ", result.Tokens.Select(t => t.Value));
        if (Durations.TryParse(text, out var duration) && (!positive || duration > TimeSpan.Zero)) return duration;
        var name = (result.Parent as OptionResult)?.Option.Name ?? "duration";
        result.AddError($"invalid {name} '{text}': {Durations.Expected}{(positive ? ", above 0" : "")}");
        return null;
    }
}
