namespace Orchestrator.Actors.Protocol.Commands;

/// <summary>
/// Stops the state manager after every write in flight is confirmed and answered.
/// Replies <see cref="Replies.ShutdownComplete"/>. Use this, never a PoisonPill.
/// </summary>
public sealed record Shutdown : IOrchestratorMessage
{
    /// <summary>The single instance.</summary>
    public static readonly Shutdown Instance = new();
}
