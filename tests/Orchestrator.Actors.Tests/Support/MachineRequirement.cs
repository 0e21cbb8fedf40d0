namespace Orchestrator.Actors.Tests.Support;

/// <summary>
/// Something a spec needs from the machine (a PostgreSQL server, promtool, Chromium), which .ci/run
/// installs or starts: under CI (env CI set) its absence fails the spec; elsewhere the spec is skipped.
/// </summary>
public static class MachineRequirement
{
    /// <summary>Returns when <paramref name="present"/>; otherwise fails with <paramref name="underCi"/> under CI, or skips with <paramref name="skipped"/>.</summary>
    public static void Require(bool present, string underCi, string skipped)
    {
        if (present) return;
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))) Assert.Fail(underCi);
        Skip.If(true, skipped);
    }
}
