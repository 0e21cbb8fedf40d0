using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace Orchestrator.Host;

/// <summary>
/// The command line's Akka logger. Akka's standard logger writes to stdout, where the answer (and
/// --json) goes, and a failure would come out as several lines. This one prints nothing: it keeps the
/// first error Akka logged (the level is ERROR, see <see cref="ClientSession"/>), which the one error
/// line of a failed command then quotes, for instance what the transport said about a peer that does
/// not speak Akka.
/// </summary>
internal sealed class AkkaErrorLog : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private static string? _first;

    public AkkaErrorLog()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<Error>(e => Interlocked.CompareExchange(ref _first, Describe(e), null));
        Receive<LogEvent>(_ => { });
    }

    /// <summary>The first error Akka logged in this process, in one line; null when none.</summary>
    public static string? First => Volatile.Read(ref _first);

    private static string Describe(Error error) =>
        (error.Cause is null ? $"{error.Message}" : $"{error.Message} ({error.Cause.Message})").ReplaceLineEndings(" ");
}
