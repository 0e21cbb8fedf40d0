using System.CommandLine;
using Orchestrator.Host.Commands;

var root = new RootCommand("Orchestrator.Actors: task state for multi-agent systems on Akka.NET.");
root.Subcommands.Add(ServeCommand.Create());
return await root.Parse(args).InvokeAsync();
