using System.Collections;

namespace Orchestrator.Actors.Domain;

/// <summary>
/// The task ids in definition order: an append-only persistent vector (a trie of 32-wide arrays whose
/// full nodes every later version shares, plus a tail of the newest ids), so that appending allocates
/// a few small arrays however long the list is, every earlier version stays as it was, and the id at a
/// place is a few array hops away. Pages of tasks are read from it in order without sorting a million
/// of them. About 9 bytes per id.
/// </summary>
public sealed class TaskOrder : IReadOnlyList<string>
{
    private const int Bits = 5, Width = 1 << Bits, Mask = Width - 1;

    private readonly int _shift;
    private readonly object?[] _root;
    private readonly string[] _tail;

    private TaskOrder(int count, int shift, object?[] root, string[] tail)
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
    public string this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"the order holds {Count} ids");
            if (index >= TailOffset) return _tail[index - TailOffset];
            object node = _root;
            for (var level = _shift; level > 0; level -= Bits) node = ((object?[])node)[(index >> level) & Mask]!;
            return ((string[])node)[index & Mask];
        }
    }

    /// <summary>This order with <paramref name="taskId"/> after the last id.</summary>
    public TaskOrder Add(string taskId)
    {
        if (Count - TailOffset < Width)
        {
            var tail = new string[_tail.Length + 1];
            _tail.CopyTo(tail, 0);
            tail[^1] = taskId;
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
        return new TaskOrder(Count + 1, shift, root, [taskId]);
    }

    /// <summary>The order of <paramref name="taskIds"/>, built in one pass (loading a snapshot).</summary>
    public static TaskOrder Of(IReadOnlyList<string> taskIds)
    {
        var count = taskIds.Count;
        if (count == 0) return Empty;
        var tailOffset = count < Width ? 0 : ((count - 1) >> Bits) << Bits;
        var tail = new string[count - tailOffset];
        for (var i = 0; i < tail.Length; i++) tail[i] = taskIds[tailOffset + i];

        var nodes = new List<object>(tailOffset / Width);
        for (var start = 0; start < tailOffset; start += Width)
        {
            var leaf = new string[Width];
            if (taskIds is string[] array) Array.Copy(array, start, leaf, 0, Width);
            else for (var i = 0; i < Width; i++) leaf[i] = taskIds[start + i];
            nodes.Add(leaf);
        }
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

    private object?[] PushTail(int level, object?[] parent, string[] leaf)
    {
        var at = ((Count - 1) >> level) & Mask;
        var copy = (object?[])parent.Clone();
        copy[at] = level == Bits
            ? leaf
            : parent[at] is object?[] child ? PushTail(level - Bits, child, leaf) : NewPath(level - Bits, leaf);
        return copy;
    }

    private static object NewPath(int level, string[] leaf)
    {
        if (level == 0) return leaf;
        var node = new object?[Width];
        node[0] = NewPath(level - Bits, leaf);
        return node;
    }

    /// <summary>
    /// This order without <paramref name="taskIds"/>, the others in the same order: built anew, in
    /// one pass over the ids (an append-only trie has no cheaper removal), for a purge.
    /// <paramref name="present"/> is how many of them this order holds. The ids are looked up by
    /// reference first (an order holds the task records' own id strings, so no id's text is hashed);
    /// should that not find <paramref name="present"/> of them, by their text.
    /// </summary>
    public TaskOrder Without(IReadOnlySet<string> taskIds, IReadOnlySet<string> byText, int present)
    {
        if (present == 0) return this;
        var kept = Kept(taskIds, Count - present) ?? Kept(byText, Count - present)
            ?? throw new ArgumentException($"the order does not hold the {present} ids to remove", nameof(present));
        return Of(kept);
    }

    // The ids not in removed, when exactly keep of them are; null otherwise. Leaf by leaf, as the enumerator.
    private string[]? Kept(IReadOnlySet<string> removed, int keep)
    {
        if (keep < 0) return null;
        var kept = new string[keep];
        var k = 0;
        var tailOffset = TailOffset;
        for (var start = 0; start <= tailOffset; start += Width)
        {
            var leaf = start == tailOffset ? _tail : LeafAt(start);
            foreach (var id in leaf)
            {
                if (removed.Contains(id)) continue;
                if (k == keep) return null;
                kept[k++] = id;
            }
        }
        return k == keep ? kept : null;
    }

    private string[] LeafAt(int start)
    {
        object node = _root;
        for (var level = _shift; level > 0; level -= Bits) node = ((object?[])node)[(start >> level) & Mask]!;
        return (string[])node;
    }

    /// <inheritdoc />
    public IEnumerator<string> GetEnumerator()
    {
        // Leaf after leaf, rather than a walk from the root per id: a scan of a million ids (an
        // agent or id-prefix filter) stays a few milliseconds.
        var tailOffset = TailOffset;
        for (var start = 0; start < tailOffset; start += Width)
            foreach (var id in LeafAt(start)) yield return id;
        foreach (var id in _tail) yield return id;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
