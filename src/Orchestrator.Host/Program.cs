using System.CommandLine;
using System.CommandLine.Help;
using Orchestrator.Host;

var parse = CliRoot.Parse(CliRoot.Build(), args);
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
