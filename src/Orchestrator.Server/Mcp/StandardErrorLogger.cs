using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace Orchestrator.Server.Mcp;

/// <summary>
/// Akka's log for <c>orchestrator mcp</c>: every event on stderr, one line each. Akka's own logger
/// writes to stdout, which carries MCP frames only.
/// </summary>
public sealed class StandardErrorLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    /// <summary>Created by Akka from <c>akka.loggers</c>.</summary>
    public StandardErrorLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e => Console.Error.WriteLine(e.ToString().ReplaceLineEndings(" ")));
    }
}
