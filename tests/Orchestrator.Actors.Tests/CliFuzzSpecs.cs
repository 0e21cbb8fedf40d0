using System.Collections.Concurrent;
using System.CommandLine;
using System.CommandLine.Help;
using System.Diagnostics;
using CsCheck;
using Orchestrator.Actors.Protocol;
using Orchestrator.Host;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// Generated command lines at the CLI's door, parsed in-process by the real root command (nothing is
/// run, nothing is sent): every subcommand with its options and arguments, nasty values, options
/// repeated, unknown or written as --name=value, stray tokens. Parsing never throws; every error
/// names an option, an argument or the token it could not take; and a priority, a status or a
/// namespace that the protocol refuses never parses clean.
/// </summary>
public sealed class CliFuzzSpecs(ITestOutputHelper output)
{
    private static readonly RootCommand Root = CliRoot.Build();

    private static readonly Command[] Commands = [.. Root.Subcommands.SelectMany(c => c.Subcommands.Count > 0 ? [c, .. c.Subcommands] : new[] { c })];

    private static readonly HashSet<string> HelpTokens = ["--help", "-h", "-?", "/?", "/h", "--version"];

    [Fact]
    public void Any_generated_command_line_parses_without_throwing_and_each_error_names_what_it_refuses()
    {
        var outcomes = new ConcurrentDictionary<string, int>();
        var watch = Stopwatch.StartNew();

        CommandLines.Sample(line =>
        {
            var (command, args) = line;
            var parse = CliRoot.Parse(Root, args);

            var known = Names(command);
            foreach (var error in parse.Errors)
            {
                Assert.False(string.IsNullOrWhiteSpace(error.Message));
                // A group without its subcommand (cluster): System.CommandLine's own "Required command
                // was not provided", which names none; the group's help lists them.
                if (error.SymbolResult is System.CommandLine.Parsing.CommandResult { Command.Subcommands.Count: > 0 }) continue;
                Assert.True(known.Any(name => error.Message.Contains(name, StringComparison.Ordinal))
                            || Tokens(args).Any(token => error.Message.Contains($"'{token}'", StringComparison.Ordinal)),
                    $"the error names no option, argument or token: {error.Message}");
            }
            // A value the protocol refuses never parses clean. (What is said first may be another
            // error: a missing argument, an option given twice; each of those names what it refuses.)
            var help = parse.Action is HelpAction || args.Any(HelpTokens.Contains);
            if (!help && Refused(args, known).Any()) Assert.NotEmpty(parse.Errors);
            outcomes.AddOrUpdate(help ? "help" : parse.Errors.Count > 0 ? "errors" : "parsed", 1, (_, n) => n + 1);
        }, iter: NastyInput.Cases, threads: 1, print: l => $"{l.Item1.Name}: [{string.Join(", ", l.Item2.Select(a => $"\"{a}\""))}]");

        output.WriteLine($"{NastyInput.Cases:N0} command lines in {watch.Elapsed.TotalSeconds:F1} s: {string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}"))}");
    }

    // The tokens as written, and the value of each -name=value or -name:value.
    private static IEnumerable<string> Tokens(IReadOnlyList<string> args) =>
        args.Concat(args.Where(a => a.StartsWith('-') && a.IndexOfAny(['=', ':']) > 0).Select(a => a[(a.IndexOfAny(['=', ':']) + 1)..]));

    // What an error may name: the command's (and its parents') names, its options and arguments.
    private static string[] Names(Command command) =>
    [
        .. command.Parents.OfType<Command>().Append(command).Select(c => c.Name),
        .. command.Options.Concat(Root.Options).SelectMany(o => o.Aliases.Append(o.Name)),
        .. command.Arguments.Select(a => a.Name),
    ];

    // The options whose value the protocol refuses, given once (a repeat, or a value that is itself an
    // option's name, is another error).
    private static IEnumerable<(string Option, string Value)> Refused(IReadOnlyList<string> args, string[] known)
    {
        foreach (var (name, refuses) in new (string, Func<string, bool>)[]
                 {
                     ("--priority", v => !ProtocolNames.TryParsePriority(v, out _)),
                     ("--status", v => !ProtocolNames.TryParseStatus(v, out _)),
                     ("--namespace", v => Namespaces.Check(v) is not null),
                 })
        {
            var at = args.Select((a, i) => (a, i)).Where(x => x.a == name || x.a.StartsWith(name + "=", StringComparison.Ordinal)).ToList();
            if (at.Count != 1 || !known.Contains(name)) continue;
            var (token, index) = at[0];
            // Taken as the value of the option before it (--x, or --x= with its value left empty).
            if (index > 0 && (known.Contains(args[index - 1]) || (args[index - 1].StartsWith('-') && args[index - 1].EndsWith('=')))) continue;
            var value = token.Length > name.Length ? token[(name.Length + 1)..] : index + 1 < args.Count ? args[index + 1] : null;
            if (value is null || known.Contains(value) || value.StartsWith('-') || value.Length == 0 || args.Contains("--")) continue;
            if (refuses(value)) yield return (name, value);
        }
    }

    private static readonly Gen<string> Value = Gen.Frequency(
        // No NUL: a process's arguments cannot hold one (System.CommandLine's FileInfo and
        // DirectoryInfo conversions throw on it: --config, --data-dir).
        (5, NastyInput.Text.Select(t => t.Replace("\0", ""))),
        (2, Gen.OneOf("HIGH", "low", "READY", "default", "team-a", "30s", "2m", "0", "3", "{}", "[1]", "127.0.0.1:4053", "localhost:0", "t-1", "agent-a", "*")));

    // A command line: a subcommand, some of its options (with values, as --name=value, repeated or
    // unknown), its arguments, and stray tokens.
    private static readonly Gen<(Command, IReadOnlyList<string>)> CommandLines = Gen.OneOf(Commands).SelectMany(command =>
    {
        var path = command.Parents.OfType<Command>().Where(c => c != Root).Select(c => c.Name).Append(command.Name).ToArray();
        var options = command.Options.Where(o => o.Name.StartsWith("--", StringComparison.Ordinal)).Select(o => o.Name).ToArray();
        var option = options.Length == 0 ? Gen.Const("--json") : Gen.OneOf(options);
        var token = Gen.Frequency(
            (6, Gen.Select(option, Value, Gen.Int[0, 4]).Select((name, value, form) => form switch
            {
                0 => new[] { name },
                1 => [$"{name}={value}"],
                _ => [name, value],
            })),
            (3, Value.Select(v => new[] { v })),
            (1, Gen.OneOf("--", "--unknown", "-x", "--help", "-h", "@args.rsp", "--json", "--server", "serve", "define").Select(v => new[] { v })));
        return token.Array[0, 8].Select(tokens => (command, (IReadOnlyList<string>)[.. path, .. tokens.SelectMany(t => t)]));
    });
}
