using System.Collections;

namespace Orchestrator.Actors.Domain;

/// <summary>A task in a <see cref="TaskOrder"/>: its id and its place in definition order.</summary>
public readonly record struct OrderEntry(string TaskId, long Ordinal);

/// <summary>
/// The task ids in definition order: an append-only persistent vector (a trie of 32-wide arrays whose
/// full nodes every later version shares, plus a tail of the newest ids), so that appending allocates
/// a few small arrays however long the list is, every earlier version stays as it was, and the id at a
/// place is a few array hops away. Pages of tasks are read from it in order without sorting a million
/// of them. Each id is kept with its ordinal (about 17 bytes an id), so that a place is found by
/// ordinal (binary search) and a purge finds the ids it removes without reading any task or string.
/// </summary>
public sealed class TaskOrder : IReadOnlyList<string>
{
    private const int Bits = 5, Width = 1 << Bits, Mask = Width - 1;

    private readonly int _shift;
    private readonly object?[] _root;
    private readonly OrderEntry[] _tail;

    private TaskOrder(int count, int shift, object?[] root, OrderEntry[] tail)
    {
        Count = count;
        _shift = shift;
        _root = root;
        _tail = tail;
    }

    /// <summary>No ids.</summary>
    public static TaskOrder Empty { get; } = new(0, Bits, new object?[Width], []);

    /// <inheritdoc />
    public int Count { get; }

    // The place of the first id in the tail: every id before it is in the trie.
    private int TailOffset => Count < Width ? 0 : ((Count - 1) >> Bits) << Bits;

    /// <inheritdoc />
    public string this[int index] => EntryAt(index).TaskId;

    /// <summary>The id at <paramref name="index"/> with its ordinal.</summary>
    public OrderEntry EntryAt(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"the order holds {Count} ids");
        return index >= TailOffset ? _tail[index - TailOffset] : LeafAt(index)[index & Mask];
    }

    /// <summary>The place of the first id whose ordinal is at least <paramref name="ordinal"/>; <see cref="Count"/> when there is none.</summary>
    public int IndexOfOrdinal(long ordinal)
    {
        var (low, high) = (0, Count);
        while (low < high)
        {
            var middle = low + (high - low) / 2;
            if (EntryAt(middle).Ordinal < ordinal) low = middle + 1;
            else high = middle;
        }
        return low;
    }

    /// <summary>This order with <paramref name="taskId"/> after the last id; its <paramref name="ordinal"/> must be greater than the last's.</summary>
    public TaskOrder Add(string taskId, long ordinal)
    {
        if (Count > 0 && ordinal <= _tail[^1].Ordinal)
            throw new ArgumentException($"ordinal {ordinal} of '{taskId}' does not come after the last one, {_tail[^1].Ordinal}", nameof(ordinal));
        var entry = new OrderEntry(taskId, ordinal);
        if (Count - TailOffset < Width)
        {
            var tail = new OrderEntry[_tail.Length + 1];
            _tail.CopyTo(tail, 0);
            tail[^1] = entry;
            return new TaskOrder(Count + 1, _shift, _root, tail);
        }

        // The tail is full: it becomes a leaf of the trie, which grows a level when its root is full.
        object?[] root;
        var shift = _shift;
        if ((Count >> Bits) > (1 << _shift))
        {
            root = new object?[Width];
            root[0] = _root;
            root[1] = NewPath(_shift, _tail);
            shift += Bits;
        }
        else
        {
            root = PushTail(_shift, _root, _tail);
        }
        return new TaskOrder(Count + 1, shift, root, [entry]);
    }

    /// <summary>The order of <paramref name="entries"/> (ordinals ascending), built in one pass (loading a snapshot).</summary>
    public static TaskOrder Of(ReadOnlySpan<OrderEntry> entries)
    {
        var count = entries.Length;
        if (count == 0) return Empty;
        for (var i = 1; i < count; i++)
            if (entries[i].Ordinal <= entries[i - 1].Ordinal)
                throw new ArgumentException($"ordinal {entries[i].Ordinal} of '{entries[i].TaskId}' does not come after {entries[i - 1].Ordinal}", nameof(entries));
        var tailOffset = count < Width ? 0 : ((count - 1) >> Bits) << Bits;
        var leaves = new List<object>(tailOffset / Width);
        for (var start = 0; start < tailOffset; start += Width) leaves.Add(entries.Slice(start, Width).ToArray());
        return FromLeaves(count, leaves, entries[tailOffset..].ToArray());
    }

    // The order of count ids: full leaves, then the tail (1 to 32 ids; none only when count is 0).
    private static TaskOrder FromLeaves(int count, List<object> leaves, OrderEntry[] tail)
    {
        if (count == 0) return Empty;
        var nodes = leaves;
        var shift = Bits;
        while (true)
        {
            var parents = new List<object>((nodes.Count + Width - 1) / Width);
            for (var start = 0; start < nodes.Count || start == 0; start += Width)
            {
                var parent = new object?[Width];
                for (var i = 0; i < Width && start + i < nodes.Count; i++) parent[i] = nodes[start + i];
                parents.Add(parent);
            }
            if (parents.Count == 1) return new TaskOrder(count, shift, (object?[])parents[0], tail);
            nodes = parents;
            shift += Bits;
        }
    }

    private object?[] PushTail(int level, object?[] parent, OrderEntry[] leaf)
    {
        var at = ((Count - 1) >> level) & Mask;
        var copy = (object?[])parent.Clone();
        copy[at] = level == Bits
            ? leaf
            : parent[at] is object?[] child ? PushTail(level - Bits, child, leaf) : NewPath(level - Bits, leaf);
        return copy;
    }

    private static object NewPath(int level, OrderEntry[] leaf)
    {
        if (level == 0) return leaf;
        var node = new object?[Width];
        node[0] = NewPath(level - Bits, leaf);
        return node;
    }

    /// <summary>
    /// This order without the ids of <paramref name="ordinals"/> (ascending; ones it does not hold are
    /// passed over), the others in the same order, for a purge: built anew in one pass (an
    /// append-only trie has no cheaper removal), reading ordinals only. The leaves before the first
    /// removed id are kept as they are, and a leaf none of them falls in is copied whole.
    /// </summary>
    public TaskOrder Without(IReadOnlyList<long> ordinals)
    {
        var leaves = new List<object>(Count / Width + 1);
        var current = new OrderEntry[Width];
        var (filled, p, count) = (0, 0, 0);
        var tailOffset = TailOffset;
        for (var start = 0; start <= tailOffset && start < Count; start += Width)
        {
            var leaf = start == tailOffset ? _tail : LeafAt(start);
            while (p < ordinals.Count && ordinals[p] < leaf[0].Ordinal) p++;
            var untouched = p == ordinals.Count || ordinals[p] > leaf[^1].Ordinal;
            if (untouched && filled == 0 && leaf.Length == Width)
            {
                // In step with the new order's leaves: shared, not copied.
                leaves.Add(leaf);
                count += Width;
                continue;
            }
            foreach (var entry in leaf)
            {
                while (p < ordinals.Count && ordinals[p] < entry.Ordinal) p++;
                if (p < ordinals.Count && ordinals[p] == entry.Ordinal)
                {
                    p++;
                    continue;
                }
                current[filled++] = entry;
                count++;
                if (filled < Width) continue;
                leaves.Add(current);
                (current, filled) = (new OrderEntry[Width], 0);
            }
        }
        if (count == Count) return this;
        // The last leaf filled becomes the tail when no id is left over for one.
        var tail = filled > 0 ? current[..filled] : leaves.Count > 0 ? (OrderEntry[])leaves[^1] : [];
        if (filled == 0 && leaves.Count > 0) leaves.RemoveAt(leaves.Count - 1);
        return FromLeaves(count, leaves, tail);
    }

    private OrderEntry[] LeafAt(int index)
    {
        object node = _root;
        for (var level = _shift; level > 0; level -= Bits) node = ((object?[])node)[(index >> level) & Mask]!;
        return (OrderEntry[])node;
    }

    /// <summary>The ids with their ordinals, in order.</summary>
    public IEnumerable<OrderEntry> Entries()
    {
        // Leaf after leaf, rather than a walk from the root per id: a scan of a million ids (an
        // agent or id-prefix filter) stays a few milliseconds.
        var tailOffset = TailOffset;
        for (var start = 0; start < tailOffset; start += Width)
            foreach (var entry in LeafAt(start)) yield return entry;
        foreach (var entry in _tail) yield return entry;
    }

    /// <inheritdoc />
    public IEnumerator<string> GetEnumerator()
    {
        var tailOffset = TailOffset;
        for (var start = 0; start < tailOffset; start += Width)
            foreach (var entry in LeafAt(start)) yield return entry.TaskId;
        foreach (var entry in _tail) yield return entry.TaskId;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
