using System.CommandLine;
using Orchestrator.Actors.Protocol.Commands;

namespace Orchestrator.Host.Commands;

/// <summary>An agent's own documents: save-state and get-state.</summary>
internal static class StateCommands
{
    public static IEnumerable<Command> Create() => [SaveState(), GetState()];

    private static Argument<string> Owner() => CliOptions.Id("OWNER", "Who owns the document (same rules as a task id).");
    private static Argument<string> Key() => CliOptions.Id("KEY", "The document's name within its owner (same rules as a task id).");

    private static Command SaveState()
    {
        var (owner, key) = (Owner(), Key());
        var value = CliOptions.JsonDocument("--value", "The document, as JSON.");
        var fromFile = new Option<string?>("--from-file") { Description = "Read the document from this file.", HelpName = "PATH" };
        var expectedVersion = CliOptions.Number("--expected-version", "N",
            "Save only if this is the current version (0: only if there is no document yet); exit 3 otherwise.", 0L);
        var idempotencyKey = CliOptions.IdempotencyKey();
        var command = new Command("save-state", "Save a JSON document under OWNER and KEY; each save adds one to its version.")
        {
            owner, key, value, fromFile, expectedVersion, idempotencyKey,
        };
        command.Validators.Add(result =>
        {
            var given = new[] { value, fromFile }.Count(o => result.GetResult(o) is not null);
            if (given != 1) result.AddError("give the document with exactly one of --value JSON or --from-file PATH");
        });
        return command.WithClient(async (parse, client, cancellation) =>
        {
            var json = parse.GetValue(value) ?? await ReadDocumentAsync(parse.GetValue(fromFile)!, cancellation);
            var saved = await client.SaveStateAsync(
                new SaveState(parse.GetValue(owner)!, parse.GetValue(key)!, json, parse.GetValue(expectedVersion)) { IdempotencyKey = parse.GetValue(idempotencyKey) },
                cancellation);
            if (parse.GetValue(CliOptions.Json))
                Output.Json(saved);
            else
                Console.Out.WriteLine($"saved '{saved.OwnerId}/{saved.Key}' at version {saved.Version}");
            return ExitCodes.Success;
        });
    }

    private static async Task<string> ReadDocumentAsync(string path, CancellationToken cancellation)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellation);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CommandLineException($"cannot read --from-file '{path}': {ex.Message}");
        }
        return CliOptions.CheckJson("--from-file", text) is { } rejected
            ? throw new CommandLineException($"invalid --from-file '{path}': {rejected.Reason}")
            : text;
    }

    private static Command GetState()
    {
        var (owner, key) = (Owner(), Key());
        var command = new Command("get-state", "Show a saved document and its version.") { owner, key };
        return command.WithClient(async (parse, client, cancellation) =>
        {
            var document = await client.GetStateAsync(parse.GetValue(owner)!, parse.GetValue(key)!, cancellation);
            if (parse.GetValue(CliOptions.Json))
                Output.Json(new { document.OwnerId, document.Key, document.Version, document.SavedAt, Value = Output.Document(document.Json) });
            else
                Output.Lines([("owner", document.OwnerId), ("key", document.Key), ("version", document.Version.ToString()), ("saved", Output.Time(document.SavedAt)), ("value", document.Json)]);
            return ExitCodes.Success;
        });
    }
}
