namespace Orchestrator.Actors.Benchmarks.Soak;

/// <summary>What the soak's agents did, counted by operation and outcome.</summary>
internal sealed class SoakCounts
{
    private readonly long[,] _counts = new long[Enum.GetValues<SoakOperation>().Length, 3];

    public void Add(SoakOperation operation, Outcome outcome) => Interlocked.Increment(ref _counts[(int)operation, (int)outcome]);

    public long this[SoakOperation operation, Outcome outcome] => Interlocked.Read(ref _counts[(int)operation, (int)outcome]);

    public long Total(Outcome outcome) => Enum.GetValues<SoakOperation>().Sum(o => this[o, outcome]);

    /// <summary>The soak's closing table: each operation's outcomes, then all of them.</summary>
    public void Print()
    {
        Console.WriteLine($"{"operation",-10} {"acknowledged",13} {"refused",9} {"unknown",9}");
        foreach (var operation in Enum.GetValues<SoakOperation>())
            Row(operation.ToString().ToLowerInvariant(), this[operation, Outcome.Acknowledged], this[operation, Outcome.Refused], this[operation, Outcome.Unknown]);
        Row("all", Total(Outcome.Acknowledged), Total(Outcome.Refused), Total(Outcome.Unknown));

        static void Row(string name, long acknowledged, long refused, long unknown) =>
            Console.WriteLine($"{name,-10} {acknowledged,13:N0} {refused,9:N0} {unknown,9:N0}");
    }
}

internal enum SoakOperation
{
    Define,
    Claim,
    Heartbeat,
    Complete,
    Fail,
    Save,
}

/// <summary>
/// One agent of the soak: it defines a task (now and then depending on its previous one), claims the
/// next ready task of anyone's, sends a heartbeat or two, completes or fails it (or, now and then,
/// walks away and lets the lease run out), and saves its own document with the version it last saw.
/// Every acknowledged operation goes to the ledger; outcomes are counted.
/// </summary>
internal sealed class SoakAgent(ISoakDoor door, string name, string idPrefix, Random random, SoakLedger ledger, SoakCounts counts, TimeSpan lease)
{
    private long? _version;
    private string? _previous;
    private int _defined;

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await DefineOneAsync();
            await WorkOneAsync(stop);
            await SaveOneAsync();
        }
    }

    private async Task DefineOneAsync()
    {
        var id = $"{idPrefix}-{_defined++}";
        IReadOnlyList<string> dependsOn = _previous is not null && random.NextDouble() < 0.2 ? [_previous] : [];
        var result = await Count(SoakOperation.Define, door.DefineAsync(id, dependsOn));
        if (result.Outcome != Outcome.Acknowledged) return;
        ledger.Record(new AckDefined(door.Name, id, dependsOn));
        _previous = id;
    }

    private async Task WorkOneAsync(CancellationToken stop)
    {
        var claim = await Count(SoakOperation.Claim, door.ClaimAsync(name, lease));
        if (claim is not { Outcome: Outcome.Acknowledged, TaskId: { } taskId, ClaimId: { } claimId }) return;
        var publicId = SoakChecker.PublicClaimId(claimId);
        ledger.Record(new AckLease(door.Name, taskId, publicId, claim.LeaseUntil, Claim: true));
        // Now and then the agent walks away: the lease runs out and the task goes to another.
        if (random.NextDouble() < 0.05) return;
        for (var beats = random.Next(3); beats > 0; beats--)
        {
            // The agent's work between heartbeats: a third to two thirds of the lease.
            try { await Task.Delay(lease * (0.1 + random.NextDouble() * 0.3), stop); }
            catch (OperationCanceledException) { return; }
            var beat = await Count(SoakOperation.Heartbeat, door.HeartbeatAsync(taskId, name, claimId));
            if (beat.Outcome == Outcome.Refused) return;
            if (beat.Outcome == Outcome.Acknowledged) ledger.Record(new AckLease(door.Name, taskId, publicId, beat.LeaseUntil, Claim: false));
        }
        var complete = random.NextDouble() < 0.75;
        var ended = await Count(complete ? SoakOperation.Complete : SoakOperation.Fail,
            complete ? door.CompleteAsync(taskId, name, claimId) : door.FailAsync(taskId, name, claimId));
        if (ended.Outcome == Outcome.Acknowledged) ledger.Record(new AckEnded(door.Name, taskId, publicId, complete));
    }

    private async Task SaveOneAsync()
    {
        if (_version is null)
        {
            var read = await door.VersionAsync("soak", name);
            if (read.Outcome != Outcome.Acknowledged) return;
            _version = read.Version;
        }
        var json = $$"""{"agent":"{{name}}","defined":{{_defined}},"nonce":"{{Guid.NewGuid():N}}"}""";
        var saved = await Count(SoakOperation.Save, door.SaveAsync("soak", name, json, _version.Value));
        // A conflict or an unknown outcome: read the version again before the next save.
        _version = saved.Outcome == Outcome.Acknowledged ? saved.Version : null;
        if (saved.Outcome == Outcome.Acknowledged) ledger.Record(new AckSaved(door.Name, "soak", name, saved.Version, json));
    }

    private async Task<DoorResult> Count(SoakOperation operation, Task<DoorResult> call)
    {
        var result = await call;
        counts.Add(operation, result.Outcome);
        // No answer (the node is down, paused or its journal is failing): a moment before the next try, as a real agent would.
        if (result.Outcome == Outcome.Unknown) await Task.Delay(TimeSpan.FromMilliseconds(100 + random.Next(100)));
        return result;
    }
}
