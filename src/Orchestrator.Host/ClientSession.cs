using System.CommandLine;
using Akka.Actor;
using Akka.Configuration;
using Orchestrator.Actors.Client;

namespace Orchestrator.Host;

/// <summary>
/// Runs one client command: starts the client's ActorSystem, connects to <c>--server</c>, runs the
/// command, turns each kind of failure into its exit code and one line on stderr, and shuts the
/// ActorSystem down before the process exits.
/// </summary>
internal static class ClientSession
{
    // Akka's own logging writes to stdout, where --json output goes: its errors are kept for the one
    // error line instead (AkkaErrorLog). Remoting's lifecycle events (a refused connection, the
    // disassociation at exit) are what this command reports itself.
    private const string CliConfig = """
        akka {
          loglevel = ERROR
          stdout-loglevel = OFF
          loggers = ["Orchestrator.Host.AkkaErrorLog, orchestrator"]
          log-dead-letters = off
          log-dead-letters-during-shutdown = off
          remote.log-remote-lifecycle-events = off
          coordinated-shutdown.run-by-clr-shutdown-hook = off
        }
        """;

    /// <summary>Adds --server, --json and --timeout to <paramref name="command"/> and sets its action.</summary>
    public static Command WithClient(this Command command, Func<ParseResult, OrchestratorClient, CancellationToken, Task<int>> action)
    {
        command.Options.Add(CliOptions.Server);
        command.Options.Add(CliOptions.Namespace);
        command.Options.Add(CliOptions.Json);
        command.Options.Add(CliOptions.Timeout);
        command.Options.Add(CliOptions.TlsCertificate);
        command.Options.Add(CliOptions.TlsKey);
        command.Options.Add(CliOptions.TlsTrust);
        command.SetAction((parse, cancellation) => RunAsync(parse, action, cancellation));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, Func<ParseResult, OrchestratorClient, CancellationToken, Task<int>> action, CancellationToken cancellation)
    {
        var options = new OrchestratorClientOptions(parse.GetValue(CliOptions.Timeout) ?? CliOptions.DefaultTimeout,
            Namespace: parse.GetValue(CliOptions.Namespace));
        if (!CliOptions.TryLoadTls(parse, out var tls)) return ExitCodes.InvalidInput;
        var system = OrchestratorClient.CreateSystem("orchestrator-cli", tls, ConfigurationFactory.ParseString(CliConfig));
        try
        {
            var servers = CliOptions.Servers(parse.GetValue(CliOptions.Server));
            // Several nodes: Akka's ClusterClient, which moves to another node when one dies.
            var client = servers.Count > 1
                ? await OrchestratorClient.ConnectClusterAsync(system, servers, options, cancellation: cancellation)
                : await OrchestratorClient.ConnectAsync(system, servers[0], options, cancellation: cancellation);
            return await action(parse, client, cancellation);
        }
        catch (OrchestratorException ex)
        {
            Output.Error(ex is OrchestratorUnreachableException ? WithAkkaError(ex.Message) : ex.Message);
            return ex switch
            {
                OrchestratorRejectedException => ExitCodes.InvalidInput,
                OrchestratorConflictException => ExitCodes.Conflict,
                OrchestratorNotFoundException => ExitCodes.NotFound,
                _ => ExitCodes.Failure,
            };
        }
        catch (CommandLineException ex)
        {
            Output.Error(ex.Message);
            return ex.ExitCode;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            Output.Error("interrupted");
            return ExitCodes.Failure;
        }
        catch (Exception ex)
        {
            Output.Error(WithAkkaError(ex.Message));
            return ExitCodes.Failure;
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>A failure's message, with what Akka logged first when it logged an error (often the cause).</summary>
    private static string WithAkkaError(string message) => AkkaErrorLog.First is { } akka ? $"{message}; akka: {akka}" : message;
}

/// <summary>A failure found by a command itself (an unreadable file, say), with its exit code.</summary>
internal sealed class CommandLineException(string message, int exitCode = ExitCodes.InvalidInput) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
