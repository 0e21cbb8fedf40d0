using System.CommandLine;
using Orchestrator.Host.Commands;

namespace Orchestrator.Host;

/// <summary>
/// The command line's tree and how it is parsed, built without starting anything, so that parsing
/// can be checked in-process (the fuzz specs throw generated argv at it).
/// </summary>
public static class CliRoot
{
    /// <summary>The root command with every subcommand.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand("Orchestrator.Actors: task state for multi-agent systems on Akka.NET.");
        root.Subcommands.Add(ServeCommand.Create());
        foreach (var command in TaskCommands.Create()) root.Subcommands.Add(command);
        foreach (var command in ClaimCommands.Create()) root.Subcommands.Add(command);
        foreach (var command in StateCommands.Create()) root.Subcommands.Add(command);
        foreach (var command in InfoCommands.Create()) root.Subcommands.Add(command);
        foreach (var command in ScheduleCommands.Create()) root.Subcommands.Add(command);
        root.Subcommands.Add(LoadCommand.Create());
        root.Subcommands.Add(McpCommand.Create());
        return root;
    }

    /// <summary><paramref name="args"/> parsed by <paramref name="root"/>. Response files (@file) are off: an argument is taken as written.</summary>
    public static ParseResult Parse(RootCommand root, IReadOnlyList<string> args) =>
        root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
}
