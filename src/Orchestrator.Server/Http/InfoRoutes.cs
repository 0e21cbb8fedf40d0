using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Orchestrator.Actors.Protocol.Cluster;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Server.Gateway;
using Orchestrator.Server.Hosting;
using Orchestrator.Server.Json;

namespace Orchestrator.Server.Http;

/// <summary>Figures, agents and the cluster.</summary>
internal static class InfoRoutes
{
    public static void Map(RouteGroupBuilder v1, RouteGroupBuilder ns)
    {
        ns.MapGet("/stats", Stats).WithName("GetStats")
            .WithSummary("Tasks by status and priority, documents, agents and journal figures")
            .Problems(StatusCodes.Status400BadRequest);
        ns.MapPut("/claim-limits", SetClaimLimits).WithName("SetClaimLimits")
            .WithSummary("Set the namespace's claim limits")
            .WithDescription("At most maxClaims claims held at once in the namespace, maxClaimsPerAgent per agent, and maxClaimsPerTag[tag] per tag (0 to 1,000,000; null or absent: none). Replaces the limits before; journaled. A claim a limit holds back gets the next task none holds back, or 204. fairBy, a tag prefix (such as tenant=), makes claims rotate across the groups of tasks sharing the first tag with it, within a priority (null: first come, first served). The limits in force are in the stats (claimLimits).")
            .JsonBody<ClaimLimitsBody>().Problems(StatusCodes.Status400BadRequest);
        ns.MapPut("/retention", SetRetention).WithName("SetRetention")
            .WithSummary("Set how long finished tasks are kept")
            .WithDescription("finishedFor: a duration from 1m to 365d (such as 30d), or null to keep every task. Every minute the state manager purges up to 10,000 of the oldest tasks "
                             + "finished (COMPLETED, CANCELLED, DEAD) longer ago than that, as tasks:purge does. Journaled; the stats carry retention and purged.")
            .JsonBody<RetentionBody>().Problems(StatusCodes.Status400BadRequest);
        ns.MapGet("/activity", Activity).WithName("GetActivity")
            .WithSummary("Definitions, claims, completions, failures and journal write latency over the last hour")
            .WithDescription("One point per step, oldest first; stepSeconds is a multiple of 5 from 5 to 3600 (60 by default). Kept in memory by the namespace's state manager since it last started on its node.")
            .Problems(StatusCodes.Status400BadRequest);
        ns.MapGet("/agents", Agents).WithName("ListAgents")
            .WithSummary("The agents known, registered or seen claiming, by name")
            .WithDescription(TaskRoutes.PagingHelp)
            .Problems(StatusCodes.Status400BadRequest);
        ns.MapPost("/agents", Register).WithName("RegisterAgent")
            .WithSummary("Register an agent, or replace its capabilities")
            .JsonBody<RegisterAgentBody>().Problems(StatusCodes.Status400BadRequest);
        v1.MapGet("/cluster", Cluster).WithName("GetClusterStatus")
            .WithSummary("The members, where each shard of namespaces runs, and each running namespace's figures")
            .Problems();
    }

    private static async Task<Ok<StatsReport>> Stats(string ns, OrchestratorGateway gateway, CancellationToken cancellation) =>
        TypedResults.Ok(await gateway.For(ns).GetStatsAsync(cancellation));

    private static async Task<Ok<ClaimLimits>> SetClaimLimits(
        string ns, HttpRequest request, OrchestratorGateway gateway, HttpSettings settings, CancellationToken cancellation)
    {
        var body = await HttpInput.Body(request, ServerJson.Default.ClaimLimitsBody, settings, cancellation);
        return TypedResults.Ok((await gateway.For(ns).SetClaimLimitsAsync(body.ToCommand(), cancellation)).Limits);
    }

    private static async Task<Ok<RetentionSet>> SetRetention(
        string ns, HttpRequest request, OrchestratorGateway gateway, HttpSettings settings, CancellationToken cancellation)
    {
        var body = await HttpInput.Body(request, ServerJson.Default.RetentionBody, settings, cancellation);
        return TypedResults.Ok(await gateway.For(ns).SetRetentionAsync(body.ToCommand(), cancellation));
    }

    private static async Task<Ok<ActivityReport>> Activity(
        string ns, OrchestratorGateway gateway, CancellationToken cancellation, [FromQuery] string? stepSeconds = null) =>
        TypedResults.Ok(await gateway.For(ns).GetActivityAsync(HttpInput.Number("stepSeconds", stepSeconds, 60), cancellation));

    private static async Task<Ok<AgentListShape>> Agents(
        string ns, HttpRequest request, HttpResponse response, OrchestratorGateway gateway, CancellationToken cancellation,
        [FromQuery] string? offset = null, [FromQuery] string? limit = null)
    {
        var query = new ListAgents(HttpInput.Number("offset", offset, 0), HttpInput.Number("limit", limit, 100));
        var page = await gateway.For(ns).ListAgentsAsync(query, cancellation);
        NextPage.Link(request, response, page.NextOffset);
        return TypedResults.Ok(Shapes.Agents(page));
    }

    private static async Task<Ok<AgentView>> Register(
        string ns, HttpRequest request, OrchestratorGateway gateway, HttpSettings settings, CancellationToken cancellation)
    {
        var body = await HttpInput.Body(request, ServerJson.Default.RegisterAgentBody, settings, cancellation);
        return TypedResults.Ok((await gateway.For(ns).RegisterAgentAsync(body.ToCommand(), cancellation)).Agent);
    }

    private static async Task<Ok<ClusterStatus>> Cluster(OrchestratorGateway gateway, CancellationToken cancellation) =>
        TypedResults.Ok(await gateway.Client.GetClusterStatusAsync(cancellation));
}
