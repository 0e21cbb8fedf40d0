using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Server.Gateway;
using Orchestrator.Server.Hosting;
using Orchestrator.Server.Json;

namespace Orchestrator.Server.Http;

/// <summary>Recurring schedules: one task per occurrence.</summary>
internal static class ScheduleRoutes
{
    public static void Map(RouteGroupBuilder ns)
    {
        ns.MapPut("/schedules/{scheduleId}", Define).WithName("DefineSchedule")
            .WithSummary("Define a recurring schedule, or replace the one of that id")
            .WithDescription("At each occurrence (cron: five fields, read in timeZone, an IANA id, UTC by default; or every: an interval such as 15m, from start) "
                             + "one task is defined from the template (agent, taskFile, priority, maxAttempts, payload, tags), its id {scheduleId}:{yyyyMMddTHHmmssZ}. "
                             + "catchUp says what becomes of occurrences missed while the namespace was not running: one (the default, the latest), all, or none. "
                             + "The same definition again writes nothing (unchanged: true).")
            .JsonBody<ScheduleBody>().Problems(StatusCodes.Status400BadRequest);
        ns.MapDelete("/schedules/{scheduleId}", Remove).WithName("RemoveSchedule")
            .WithSummary("Remove a schedule; the tasks it defined stay")
            .Problems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        ns.MapGet("/schedules", List).WithName("ListSchedules")
            .WithSummary("The namespace's schedules by id, each with its next occurrence and what it has done")
            .WithDescription(TaskRoutes.PagingHelp)
            .Problems(StatusCodes.Status400BadRequest);
    }

    private static async Task<Ok<ScheduleAcceptedShape>> Define(
        string ns, string scheduleId, HttpRequest request, OrchestratorGateway gateway, HttpSettings settings, CancellationToken cancellation)
    {
        var body = await HttpInput.Body(request, ServerJson.Default.ScheduleBody, settings, cancellation);
        var accepted = await gateway.For(ns).DefineScheduleAsync(body.ToCommand(HttpInput.Segment(scheduleId)), cancellation);
        return TypedResults.Ok(Shapes.Accepted(accepted));
    }

    private static async Task<NoContent> Remove(
        string ns, string scheduleId, OrchestratorGateway gateway, CancellationToken cancellation, [FromQuery] string? by = null)
    {
        await gateway.For(ns).RemoveScheduleAsync(new RemoveSchedule(HttpInput.Segment(scheduleId), by), cancellation);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<ScheduleListShape>> List(
        string ns, HttpRequest request, HttpResponse response, OrchestratorGateway gateway, CancellationToken cancellation,
        [FromQuery] string? offset = null, [FromQuery] string? limit = null)
    {
        var page = await gateway.For(ns).ListSchedulesAsync(new ListSchedules(HttpInput.Number("offset", offset, 0), HttpInput.Number("limit", limit, 100)), cancellation);
        NextPage.Link(request, response, page.NextOffset);
        return TypedResults.Ok(Shapes.Schedules(page));
    }
}
