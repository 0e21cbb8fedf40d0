using System.CommandLine;
using Orchestrator.Actors.Protocol;
using Orchestrator.Server.Mcp;

namespace Orchestrator.Host.Commands;

/// <summary><c>orchestrator mcp</c>: an MCP server over stdio for agent hosts (see <see cref="McpStdioServer"/>).</summary>
internal static class McpCommand
{
    public static Command Create()
    {
        var mcp = new Command("mcp", "Serve the orchestrator's tools to an agent host over MCP (stdio), talking to a running node.")
        {
            CliOptions.Server, CliOptions.Namespace, CliOptions.Timeout, CliOptions.TlsCertificate, CliOptions.TlsKey, CliOptions.TlsTrust,
        };
        mcp.SetAction(async (parse, cancellation) =>
        {
            if (!CliOptions.TryLoadTls(parse, out var tls)) return ExitCodes.InvalidInput;
            return await McpStdioServer.RunAsync(new McpStdioOptions(
                    CliOptions.Servers(parse.GetValue(CliOptions.Server)),
                    parse.GetValue(CliOptions.Namespace) ?? Namespaces.Default,
                    parse.GetValue(CliOptions.Timeout) ?? CliOptions.DefaultTimeout,
                    tls),
                cancellation);
        });
        return mcp;
    }
}
