using System.CommandLine;
using System.CommandLine.Help;
using Orchestrator.Host;
using Orchestrator.Host.Commands;

var root = new RootCommand("Orchestrator.Actors: task state for multi-agent systems on Akka.NET.");
root.Subcommands.Add(ServeCommand.Create());
foreach (var command in TaskCommands.Create()) root.Subcommands.Add(command);
foreach (var command in ClaimCommands.Create()) root.Subcommands.Add(command);
foreach (var command in StateCommands.Create()) root.Subcommands.Add(command);
foreach (var command in InfoCommands.Create()) root.Subcommands.Add(command);
root.Subcommands.Add(LoadCommand.Create());
root.Subcommands.Add(McpCommand.Create());

// Response files (@file) are off: an argument is taken as written.
var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
{
    // System.CommandLine would print the errors and the help; the contract is one line and exit 2.
    Output.Error(string.Join("; ", parse.Errors.Select(e => e.Message.TrimEnd('.')).Distinct()));
    return ExitCodes.InvalidInput;
}
// serve's generic host handles SIGINT and SIGTERM itself (and may take the shutdown timeout to
// answer what is in flight); System.CommandLine would end the process two seconds after them.
var invocation = parse.CommandResult.Command.Name == "serve" ? new InvocationConfiguration { ProcessTerminationTimeout = null } : null;
return await parse.InvokeAsync(invocation);
