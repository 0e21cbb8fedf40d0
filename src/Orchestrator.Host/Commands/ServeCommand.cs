using System.CommandLine;
using Orchestrator.Server.Hosting;

namespace Orchestrator.Host.Commands;

/// <summary><c>orchestrator serve</c>: runs the orchestrator node and its HTTP server until Ctrl+C or SIGTERM (see <see cref="OrchestratorServer"/>).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var configOption = new Option<FileInfo[]>("--config") { Description = "A HOCON overlay over hocon.conf (see config/); repeat it to layer several, each over the ones before.", AllowMultipleArgumentsPerToken = false };
        var dataDirOption = new Option<DirectoryInfo?>("--data-dir") { Description = "Where the SQLite database lives (default ./data)." };
        var hostOption = new Option<string?>("--host") { Description = "The interface to listen on (default 127.0.0.1, from hocon.conf)." };
        var portOption = new Option<int?>("--port") { Description = "The TCP port to listen on (default 4053, from hocon.conf; 0 for any free port)." };
        var publicHostOption = new Option<string?>("--public-hostname") { Description = "The host name other machines use to reach this node." };
        var clusterOption = new Option<bool>("--cluster") { Description = "Join an Akka.Cluster (config/cluster.conf under --config); needs a shared journal such as config/postgres.conf." };
        var seedOption = new Option<string[]>("--seed")
        {
            Description = "A seed node's HOST:PORT (repeat for several; the first node lists itself first). With --cluster.",
            AllowMultipleArgumentsPerToken = false,
        };
        var roleOption = new Option<string[]>("--role")
        {
            Description = "This member's roles, replacing config/cluster.conf's (state-manager hosts namespaces; any other, such as agent, only routes). With --cluster.",
        };

        var httpHostOption = new Option<string?>("--http-host") { Description = "The interface the HTTP server listens on (default 127.0.0.1, orchestrator.http.host); beyond loopback it needs API keys." };
        var httpPortOption = new Option<int?>("--http-port") { Description = "The HTTP server's port (default 8080, orchestrator.http.port; 0 for any free port)." };

        var serve = new Command("serve", "Run the orchestrator until Ctrl+C or SIGTERM.")
        {
            configOption, dataDirOption, hostOption, portOption, publicHostOption, clusterOption, seedOption, roleOption, httpHostOption, httpPortOption,
        };
        serve.SetAction((parse, cancellation) => OrchestratorServer.RunAsync(new ServeOptions(
                ConfigFiles: parse.GetValue(configOption)?.Select(file => file.FullName).ToList(),
                DataDirectory: parse.GetValue(dataDirOption)?.FullName,
                Host: parse.GetValue(hostOption),
                Port: parse.GetValue(portOption),
                PublicHostname: parse.GetValue(publicHostOption),
                Cluster: parse.GetValue(clusterOption),
                Seeds: parse.GetValue(seedOption),
                Roles: parse.GetValue(roleOption),
                HttpHost: parse.GetValue(httpHostOption),
                HttpPort: parse.GetValue(httpPortOption)),
            Console.Out, Console.Error, cancellation));
        return serve;
    }
}
