using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Telemetry;

/// <summary>
/// What one namespace's state manager journaled over the last hour, for the dashboard's charts
/// (<see cref="Protocol.Queries.GetActivity"/>): a ring of 720 five-second slots, each counting the
/// definitions, claims, completions and failures its confirmed writes held and the writes' latency.
/// A slot knows which five seconds it holds, so one left from an earlier lap reads as empty. In
/// memory only, written and read by the actor alone; the ring is allocated at the first write, so
/// an idle namespace costs nothing (a busy one ~40 KB).
/// </summary>
public sealed class ActivityWindow(DateTimeOffset since)
{
    /// <summary>The resolution: steps are multiples of it.</summary>
    public const int SlotSeconds = 5;

    /// <summary>How far back the window reaches.</summary>
    public const int WindowSeconds = 3_600;

    private const int Slots = WindowSeconds / SlotSeconds;

    private Slot[]? _slots;

    /// <summary>When the state manager started counting.</summary>
    public DateTimeOffset Since { get; } = since;

    /// <summary>The journal confirmed a write of <paramref name="events"/> at <paramref name="at"/>, <paramref name="took"/> after it was handed over.</summary>
    public void Journaled(DateTimeOffset at, IReadOnlyList<IOrchestratorEvent> events, TimeSpan took)
    {
        var number = at.ToUnixTimeSeconds() / SlotSeconds;
        _slots ??= new Slot[Slots];
        ref var slot = ref _slots[number % Slots];
        if (slot.Number != number) slot = new Slot { Number = number };
        foreach (var @event in events)
        {
            switch (@event)
            {
                case TaskDefined: slot.Defined++; break;
                case TaskClaimed: slot.Claimed++; break;
                case TaskCompleted: slot.Completed++; break;
                case TaskFailed or LeaseExpired: slot.Failed++; break;
            }
        }
        var ms = took.TotalMilliseconds;
        slot.Writes++;
        slot.WriteMs += ms;
        if (ms > slot.WriteMaxMs) slot.WriteMaxMs = ms;
    }

    /// <summary>
    /// The last hour up to <paramref name="now"/> in steps of <paramref name="stepSeconds"/>, oldest
    /// first, each step starting at a multiple of its length since the Unix epoch (so that two
    /// reports a moment apart agree on their steps); or the refusal of a step that is not a multiple
    /// of <see cref="SlotSeconds"/> between it and <see cref="WindowSeconds"/>.
    /// </summary>
    public IOrchestratorReply Report(string @namespace, DateTimeOffset now, int stepSeconds)
    {
        if (stepSeconds < SlotSeconds || stepSeconds > WindowSeconds || stepSeconds % SlotSeconds != 0)
            return Validation.Reject("stepSeconds", stepSeconds.ToString(),
                $"must be a multiple of {SlotSeconds} seconds between {SlotSeconds} and {WindowSeconds}");

        var slotsPerStep = stepSeconds / SlotSeconds;
        var newest = now.ToUnixTimeSeconds() / SlotSeconds;
        var oldest = newest - Slots + 1;
        var lastStep = newest / slotsPerStep;
        var firstStep = oldest / slotsPerStep;
        var points = new List<ActivityPoint>((int)(lastStep - firstStep + 1));
        for (var step = firstStep; step <= lastStep; step++)
        {
            var sum = new Slot();
            for (var number = Math.Max(step * slotsPerStep, oldest); number < (step + 1) * slotsPerStep && number <= newest; number++)
            {
                if (_slots is null) break;
                var slot = _slots[number % Slots];
                if (slot.Number != number) continue;
                sum.Defined += slot.Defined;
                sum.Claimed += slot.Claimed;
                sum.Completed += slot.Completed;
                sum.Failed += slot.Failed;
                sum.Writes += slot.Writes;
                sum.WriteMs += slot.WriteMs;
                sum.WriteMaxMs = Math.Max(sum.WriteMaxMs, slot.WriteMaxMs);
            }
            points.Add(new ActivityPoint(DateTimeOffset.FromUnixTimeSeconds(step * stepSeconds), sum.Defined, sum.Claimed, sum.Completed, sum.Failed,
                sum.Writes, sum.Writes == 0 ? 0 : Math.Round(sum.WriteMs / sum.Writes, 3), Math.Round(sum.WriteMaxMs, 3)));
        }
        return new ActivityReport(@namespace, Since, stepSeconds, points);
    }

    private struct Slot
    {
        public long Number;
        public long Defined, Claimed, Completed, Failed, Writes;
        public double WriteMs, WriteMaxMs;
    }
}
