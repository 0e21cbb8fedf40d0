namespace Orchestrator.Actors.Domain.Tests;

/// <summary>The task ids in definition order: a persistent vector, appended to, read by place and found by ordinal.</summary>
public sealed class TaskOrderSpecs
{
    private static List<string> Ids(int count) => Enumerable.Range(0, count).Select(i => $"task-{i}").ToList();

    // Every third ordinal, so that a place and an ordinal differ.
    private static OrderEntry[] Entries(IEnumerable<string> ids) => ids.Select(id => new OrderEntry(id, 3L * int.Parse(id[5..]))).ToArray();

    private static TaskOrder Appended(TaskOrder order, IEnumerable<string> ids) =>
        Entries(ids).Aggregate(order, (o, e) => o.Add(e.TaskId, e.Ordinal));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(1_024)]
    [InlineData(1_056)]
    [InlineData(1_057)]
    [InlineData(40_000)]
    public void Appending_one_by_one_and_building_at_once_hold_the_same_ids_in_order(int count)
    {
        var ids = Ids(count);
        var appended = Appended(TaskOrder.Empty, ids);
        var built = TaskOrder.Of(Entries(ids));

        Assert.Equal(ids, appended.ToList());
        Assert.Equal(ids, built.ToList());
        Assert.Equal(Entries(ids), built.Entries());
        Assert.Equal(count, built.Count);
        // A built order goes on growing as an appended one does, across the trie's levels.
        var more = Ids(count + 1_100).Skip(count).ToList();
        Assert.Equal(ids.Concat(more), Appended(built, more).ToList());
    }

    [Fact]
    public void Every_earlier_version_keeps_its_ids()
    {
        var ids = Ids(5_000);
        var versions = new List<TaskOrder> { TaskOrder.Empty };
        foreach (var entry in Entries(ids)) versions.Add(versions[^1].Add(entry.TaskId, entry.Ordinal));

        foreach (var length in new[] { 0, 1, 31, 32, 33, 1_023, 1_024, 1_025, 1_056, 4_999, 5_000 })
            Assert.Equal(ids.Take(length), versions[length].ToList());
    }

    [Fact]
    public void A_place_outside_the_order_is_refused_naming_it_and_an_ordinal_out_of_order_too()
    {
        var order = TaskOrder.Of(Entries(Ids(3)));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => order[3]);
        Assert.Contains("3 ids", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => order[-1]);
        Assert.Contains("ordinal 6 of 'again'", Assert.Throws<ArgumentException>(() => order.Add("again", 6)).Message);
        Assert.Throws<ArgumentException>(() => TaskOrder.Of([new OrderEntry("b", 2), new OrderEntry("a", 1)]));
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(40, 0, 0)]
    [InlineData(40, 1, 1)]
    [InlineData(40, 3, 1)]
    [InlineData(40, 117, 39)]
    [InlineData(40, 118, 40)]
    [InlineData(1_057, 3 * 1_025, 1_025)]
    public void A_place_is_found_by_ordinal(int count, long ordinal, int place)
    {
        Assert.Equal(place, TaskOrder.Of(Entries(Ids(count))).IndexOfOrdinal(ordinal));
    }

    [Theory]
    [InlineData(1, new[] { 0 })]
    [InlineData(33, new[] { 0, 31, 32 })]
    [InlineData(1_057, new[] { 5, 1_023, 1_024, 1_056 })]
    [InlineData(1_057, new int[0])]
    [InlineData(40_000, new[] { 0, 1, 2, 39_999 })]
    [InlineData(33, new[] { 5 })]
    [InlineData(1_088, new[] { 1_060, 1_087 })]
    [InlineData(64, new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 })]
    public void Without_removes_the_ids_of_the_ordinals_and_keeps_the_rest_in_order(int count, int[] removed)
    {
        var ids = Ids(count);
        var order = TaskOrder.Of(Entries(ids));
        // Ordinals it does not hold (between its own, and past the last) are passed over.
        var ordinals = removed.Select(i => 3L * i).Concat([1, 3L * count + 5]).Order().ToList();

        var without = order.Without(ordinals);
        var expected = ids.Where((_, i) => !removed.Contains(i)).ToList();
        Assert.Equal(expected, without.ToList());
        Assert.Equal(expected.Count, without.Count);
        Assert.Equal(ids, order.ToList());
        // The rest goes on growing
        Assert.Equal([.. expected, "next"], without.Add("next", 3L * count + 10).ToList());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Removals_in_rounds_with_appends_between_read_as_a_list_would_by_place_by_ordinal_and_in_order(int seed)
    {
        var random = new Random(seed);
        var model = Entries(Ids(3_000)).ToList();
        var order = TaskOrder.Of(model.ToArray());
        var next = 3_000;
        for (var round = 0; round < 12; round++)
        {
            // Remove a few here and there (a purge), some the order does not hold, then append a few
            var gone = model.Where(_ => random.Next(8) == 0).Select(e => e.Ordinal).Concat([-1, 3L * next + 1]).ToList();
            order = order.Without(gone);
            model.RemoveAll(e => gone.Contains(e.Ordinal));
            foreach (var entry in Entries(Ids(next + random.Next(40)).Skip(next)))
            {
                order = order.Add(entry.TaskId, entry.Ordinal);
                model.Add(entry);
                next++;
            }

            Assert.Equal(model.Count, order.Count);
            Assert.Equal(model, order.Entries());
            Assert.Equal(model.Select(e => e.TaskId), order);
            for (var i = 0; i < model.Count; i += 1 + random.Next(20)) Assert.Equal(model[i], order.EntryAt(i));
            foreach (var from in new[] { 0, 1, 31, 32, random.Next(model.Count), model.Count - 1, model.Count })
                Assert.Equal(model.Skip(from).Take(70), order.Entries(from).Take(70));
            Assert.Equal(model[^1], order.EntryAt(model.Count - 1));
            for (var probe = 0; probe < 50; probe++)
            {
                var ordinal = (long)random.Next(-2, 3 * next + 3);
                Assert.Equal(model.FindIndex(e => e.Ordinal >= ordinal) is var at && at >= 0 ? at : model.Count, order.IndexOfOrdinal(ordinal));
            }
        }
    }
}
