using Orchestrator.Actors.StateManager;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// The node's clock (finding 9 of issue 16): lease and retry instants move with the monotonic timer,
/// not with steps of the wall clock.
/// </summary>
public sealed class SteadyClockSpecs
{
    private static readonly DateTimeOffset Start = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_step_of_the_wall_clock_forward_or_back_moves_it_no_more_than_the_time_that_passed()
    {
        var system = new SteppingSystemClock(Start);
        var steady = new SteadyClock(system);

        system.Pass(TimeSpan.FromSeconds(10));
        var afterTen = steady.GetUtcNow();
        // An NTP step an hour forward, then two hours back, while 5 s pass.
        system.Step(TimeSpan.FromHours(1));
        system.Pass(TimeSpan.FromSeconds(2));
        system.Step(TimeSpan.FromHours(-2));
        system.Pass(TimeSpan.FromSeconds(3));

        Assert.Equal(Start.AddSeconds(10), afterTen);
        Assert.Equal(Start.AddSeconds(15), steady.GetUtcNow());
        Assert.Equal(Start.AddSeconds(15).AddHours(-1), system.GetUtcNow());
    }

    [Fact]
    public void Its_timer_is_the_system_s()
    {
        var system = new SteppingSystemClock(Start);
        var steady = new SteadyClock(system);
        var before = steady.GetTimestamp();

        system.Pass(TimeSpan.FromMilliseconds(1500));

        Assert.Equal(TimeSpan.FromMilliseconds(1500), steady.GetElapsedTime(before));
        Assert.Equal(system.TimestampFrequency, steady.TimestampFrequency);
    }

    // A system clock whose wall time can be stepped apart from its monotonic timer.
    private sealed class SteppingSystemClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _wall = start;
        private long _timestamp = 1_000_000;

        public override DateTimeOffset GetUtcNow() => _wall;

        public override long GetTimestamp() => _timestamp;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public void Pass(TimeSpan time)
        {
            _wall += time;
            _timestamp += time.Ticks;
        }

        public void Step(TimeSpan by) => _wall += by;
    }
}
