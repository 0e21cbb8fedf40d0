namespace Orchestrator.Actors.Domain.Tests;

/// <summary>The task ids in definition order: a persistent vector, appended to and read by place.</summary>
public sealed class TaskOrderSpecs
{
    private static List<string> Ids(int count) => Enumerable.Range(0, count).Select(i => $"task-{i}").ToList();

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
        var appended = ids.Aggregate(TaskOrder.Empty, (order, id) => order.Add(id));
        var built = TaskOrder.Of(ids);

        Assert.Equal(ids, appended.ToList());
        Assert.Equal(ids, built.ToList());
        Assert.Equal(count, built.Count);
        // A built order goes on growing as an appended one does, across the trie's levels.
        var more = Ids(count + 1_100).Skip(count).ToList();
        Assert.Equal(ids.Concat(more), more.Aggregate(built, (order, id) => order.Add(id)).ToList());
    }

    [Fact]
    public void Every_earlier_version_keeps_its_ids()
    {
        var ids = Ids(5_000);
        var versions = new List<TaskOrder> { TaskOrder.Empty };
        foreach (var id in ids) versions.Add(versions[^1].Add(id));

        foreach (var length in new[] { 0, 1, 31, 32, 33, 1_023, 1_024, 1_025, 1_056, 4_999, 5_000 })
            Assert.Equal(ids.Take(length), versions[length].ToList());
    }

    [Fact]
    public void A_place_outside_the_order_is_refused_naming_it()
    {
        var order = TaskOrder.Of(Ids(3));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => order[3]);
        Assert.Contains("3 ids", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => order[-1]);
    }

    [Theory]
    [InlineData(1, new[] { 0 })]
    [InlineData(33, new[] { 0, 31, 32 })]
    [InlineData(1_057, new[] { 5, 1_023, 1_024, 1_056 })]
    [InlineData(1_057, new int[0])]
    public void Without_removes_the_ids_by_reference_or_else_by_text_and_keeps_the_rest_in_order(int count, int[] removed)
    {
        var ids = Ids(count);
        var order = TaskOrder.Of(ids);
        var gone = removed.Select(i => ids[i]).ToHashSet(StringComparer.Ordinal);
        var expected = ids.Where(id => !gone.Contains(id)).ToList();

        // The order's own strings: found by reference
        var records = new HashSet<string>(removed.Select(i => ids[i]), ReferenceEqualityComparer.Instance);
        Assert.Equal(expected, order.Without(records, gone, removed.Length).ToList());

        // Other instances of the same text: the reference look finds none, the text finds them
        var copies = removed.Select(i => new string(ids[i].AsSpan())).ToHashSet(StringComparer.Ordinal);
        var without = order.Without(new HashSet<string>(copies, ReferenceEqualityComparer.Instance), copies, removed.Length);
        Assert.Equal(expected, without.ToList());
        Assert.Equal(expected.Count, without.Count);
        Assert.Equal(ids, order.ToList());
        // The rest goes on growing
        Assert.Equal([.. expected, "next"], without.Add("next").ToList());
    }

    [Fact]
    public void Without_refuses_a_count_of_ids_the_order_does_not_hold()
    {
        var order = TaskOrder.Of(Ids(40));
        var absent = new HashSet<string>(["task-7", "task-99"], StringComparer.Ordinal);
        Assert.Throws<ArgumentException>(() => order.Without(absent, absent, 2));
    }
}
