using System.Collections;
using System.Collections.Immutable;

namespace Orchestrator.Actors.Domain;

/// <summary>A task in a <see cref="TaskOrder"/>: its id and its place in definition order.</summary>
public readonly record struct OrderEntry(string TaskId, long Ordinal);

/// <summary>
/// The task ids in definition order: an append-only persistent vector (a trie of 32-wide arrays whose
/// full nodes every later version shares, plus a tail of the newest ids), so that appending allocates
/// a few small arrays however long the list is, every earlier version stays as it was, and the id at a
/// place is a few array hops away. Pages of tasks are read from it in order without sorting a million
/// of them. Each id is kept with its ordinal (about 17 bytes an id), so that a place is found by
/// ordinal (binary search). A removal (a purge) leaves the trie as it is and notes the removed slots
/// (a sorted set): it costs the ids removed, not the ids kept, and a place is found past the removed
/// slots by binary search; once half of the slots are removed the order is built anew without them.
/// </summary>
public sealed class TaskOrder : IReadOnlyList<string>
{
    private const int Bits = 5, Width = 1 << Bits, Mask = Width - 1;

    // The slots of the trie (removed ones included), its shape, and the removed slots.
    private readonly int _slots;
    private readonly int _shift;
    private readonly object?[] _root;
    private readonly OrderEntry[] _tail;
    private readonly ImmutableSortedSet<int> _removed;

    private TaskOrder(int slots, int shift, object?[] root, OrderEntry[] tail, ImmutableSortedSet<int> removed)
    {
        _slots = slots;
        _shift = shift;
        _root = root;
        _tail = tail;
        _removed = removed;
    }

    /// <summary>No ids.</summary>
    public static TaskOrder Empty { get; } = new(0, Bits, new object?[Width], [], ImmutableSortedSet<int>.Empty);

    /// <inheritdoc />
    public int Count => _slots - _removed.Count;

    // The first slot of the tail: every slot before it is in the trie.
    private int TailOffset => _slots < Width ? 0 : ((_slots - 1) >> Bits) << Bits;

    /// <inheritdoc />
    public string this[int index] => EntryAt(index).TaskId;

    /// <summary>The id at <paramref name="index"/> with its ordinal.</summary>
    public OrderEntry EntryAt(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"the order holds {Count} ids");
        return Slot(SlotOf(index));
    }

    // The slot of the index-th kept id: index plus the removed slots before it. With the removed
    // slots r(0) < r(1) < ..., r(j) - j kept ids come before r(j), so the removed slots before the
    // index-th kept one are those with r(j) - j <= index: a binary search.
    private int SlotOf(int index)
    {
        if (_removed.Count == 0) return index;
        var (low, high) = (0, _removed.Count);
        while (low < high)
        {
            var middle = low + (high - low) / 2;
            if (_removed[middle] - middle <= index) low = middle + 1;
            else high = middle;
        }
        return index + low;
    }

    // The index among the kept ids of the first kept slot at or after slot.
    private int IndexOfSlot(int slot)
    {
        if (_removed.Count == 0) return slot;
        var found = _removed.IndexOf(slot);
        return slot - (found >= 0 ? found : ~found);
    }

    private OrderEntry Slot(int slot) => slot >= TailOffset ? _tail[slot - TailOffset] : LeafAt(slot)[slot & Mask];

    /// <summary>The place of the first id whose ordinal is at least <paramref name="ordinal"/>; <see cref="Count"/> when there is none.</summary>
    public int IndexOfOrdinal(long ordinal) => IndexOfSlot(FirstSlotFrom(ordinal));

    // The first slot (removed or not) whose ordinal is at least ordinal; the slots' count when none is.
    private int FirstSlotFrom(long ordinal)
    {
        var (low, high) = (0, _slots);
        while (low < high)
        {
            var middle = low + (high - low) / 2;
            if (Slot(middle).Ordinal < ordinal) low = middle + 1;
            else high = middle;
        }
        return low;
    }

    /// <summary>This order with <paramref name="taskId"/> after the last id; its <paramref name="ordinal"/> must be greater than the last's.</summary>
    public TaskOrder Add(string taskId, long ordinal)
    {
        if (_slots > 0 && ordinal <= _tail[^1].Ordinal)
            throw new ArgumentException($"ordinal {ordinal} of '{taskId}' does not come after the last one, {_tail[^1].Ordinal}", nameof(ordinal));
        var entry = new OrderEntry(taskId, ordinal);
        if (_slots - TailOffset < Width)
        {
            var tail = new OrderEntry[_tail.Length + 1];
            _tail.CopyTo(tail, 0);
            tail[^1] = entry;
            return new TaskOrder(_slots + 1, _shift, _root, tail, _removed);
        }

        // The tail is full: it becomes a leaf of the trie, which grows a level when its root is full.
        object?[] root;
        var shift = _shift;
        if ((_slots >> Bits) > (1 << _shift))
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
        return new TaskOrder(_slots + 1, shift, root, [entry], _removed);
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
        var nodes = new List<object>(tailOffset / Width);
        for (var start = 0; start < tailOffset; start += Width) nodes.Add(entries.Slice(start, Width).ToArray());
        var tail = entries[tailOffset..].ToArray();
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
            if (parents.Count == 1) return new TaskOrder(count, shift, (object?[])parents[0], tail, ImmutableSortedSet<int>.Empty);
            nodes = parents;
            shift += Bits;
        }
    }

    private object?[] PushTail(int level, object?[] parent, OrderEntry[] leaf)
    {
        var at = ((_slots - 1) >> level) & Mask;
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
    /// This order without the ids of <paramref name="ordinals"/> (ones it does not hold are passed
    /// over), the others in the same order, for a purge: each found by binary search and its slot
    /// noted as removed, so the cost is the ids removed, not the ids kept. Once half of the slots are
    /// removed, the order is built anew of the kept ids (one pass, now and then).
    /// </summary>
    public TaskOrder Without(IEnumerable<long> ordinals)
    {
        var removed = _removed.ToBuilder();
        foreach (var ordinal in ordinals)
        {
            var slot = FirstSlotFrom(ordinal);
            if (slot < _slots && Slot(slot).Ordinal == ordinal) removed.Add(slot);
        }
        if (removed.Count == _removed.Count) return this;
        if (removed.Count * 2 < _slots) return new TaskOrder(_slots, _shift, _root, _tail, removed.ToImmutable());
        var kept = new List<OrderEntry>(_slots - removed.Count);
        using (var slots = Slots(0).GetEnumerator())
            for (var slot = 0; slots.MoveNext(); slot++)
                if (!removed.Contains(slot))
                    kept.Add(slots.Current);
        return Of(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(kept));
    }

    private OrderEntry[] LeafAt(int slot)
    {
        object node = _root;
        for (var level = _shift; level > 0; level -= Bits) node = ((object?[])node)[(slot >> level) & Mask]!;
        return (OrderEntry[])node;
    }

    // The slots from the first given on, removed ones included, leaf after leaf (rather than a walk
    // from the root per id: a scan of a million ids, an agent or id-prefix filter, stays a few milliseconds).
    private IEnumerable<OrderEntry> Slots(int first)
    {
        var tailOffset = TailOffset;
        for (var start = first & ~Mask; start < tailOffset; start += Width)
        {
            var leaf = LeafAt(start);
            for (var i = Math.Max(0, first - start); i < Width; i++) yield return leaf[i];
        }
        for (var i = Math.Max(0, first - tailOffset); i < _tail.Length; i++) yield return _tail[i];
    }

    /// <summary>The ids with their ordinals, in order, from the one at <paramref name="index"/> on.</summary>
    public IEnumerable<OrderEntry> Entries(int index = 0)
    {
        if (index >= Count) yield break;
        var slot = SlotOf(Math.Max(0, index));
        if (_removed.Count == 0)
        {
            foreach (var entry in Slots(slot)) yield return entry;
            yield break;
        }
        // The removed slots met on the way, each looked up when the last one is passed.
        var at = _removed.IndexOf(slot) is var found && found >= 0 ? found : ~found;
        var next = at < _removed.Count ? _removed[at] : int.MaxValue;
        foreach (var entry in Slots(slot))
        {
            if (slot++ == next)
            {
                next = ++at < _removed.Count ? _removed[at] : int.MaxValue;
                continue;
            }
            yield return entry;
        }
    }

    /// <inheritdoc />
    public IEnumerator<string> GetEnumerator()
    {
        foreach (var entry in Entries()) yield return entry.TaskId;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
