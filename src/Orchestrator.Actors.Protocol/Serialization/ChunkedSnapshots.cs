using System.IO.Compression;
using System.Text.Json;
using Orchestrator.Actors.Protocol.Snapshots;

namespace Orchestrator.Actors.Protocol.Serialization;

/// <summary>
/// The <c>snapshot.v4</c> encoding of a <see cref="OrchestratorSnapshotV2"/>: the same JSON, cut into
/// chunks that are compressed and read apart, so that recovery inflates and parses them on every core.
/// <list type="number">
/// <item>One line of plain JSON, the index: <c>{"chunks":[n0,n1,...]}</c>, the compressed length of each chunk.</item>
/// <item>Chunk 0: gzip of the snapshot record without its tasks (counters, documents, agents), then a newline.</item>
/// <item>Chunks 1..: gzip of a JSON array of up to <see cref="TasksPerChunk"/> tasks, in definition order, then a newline.</item>
/// </list>
/// The chunks are gzip members one after the other, so <c>tail -n +2 | zcat</c> shows the whole
/// snapshot as JSON lines: the record, then the arrays of its tasks.
/// </summary>
public static class ChunkedSnapshots
{
    /// <summary>Tasks per chunk: enough chunks at a million tasks to keep every core busy.</summary>
    public const int TasksPerChunk = 32_768;

    private static readonly OrchestratorJsonContext Json = OrchestratorJsonContext.Default;

    /// <summary>
    /// The snapshot encoded, one chunk after the other on the calling thread (the snapshot store's,
    /// while the state manager serves on the others). The task list is read once, in order.
    /// </summary>
    public static byte[] Write(OrchestratorSnapshotV2 snapshot)
    {
        var chunks = new List<byte[]> { Compress(snapshot with { Tasks = [] }, Json.OrchestratorSnapshotV2) };
        var tasks = snapshot.Tasks;
        for (var start = 0; start < tasks.Count; start += TasksPerChunk)
            chunks.Add(Compress(new Slice(tasks, start, Math.Min(TasksPerChunk, tasks.Count - start)), Json.IReadOnlyListTaskSnapshotV2));

        var index = JsonSerializer.SerializeToUtf8Bytes(new SnapshotChunkIndex([.. chunks.Select(c => c.Length)]), Json.SnapshotChunkIndex);
        var bytes = new byte[index.Length + 1 + chunks.Sum(c => c.Length)];
        index.CopyTo(bytes, 0);
        bytes[index.Length] = (byte)'\n';
        var at = index.Length + 1;
        foreach (var chunk in chunks)
        {
            chunk.CopyTo(bytes, at);
            at += chunk.Length;
        }
        return bytes;
    }

    /// <summary>
    /// The snapshot in <paramref name="bytes"/>, its chunks inflated and parsed in parallel, or
    /// <see cref="UnreadableSnapshot"/> saying what is wrong with them.
    /// </summary>
    public static IOrchestratorSnapshot Read(byte[] bytes, string manifest)
    {
        try
        {
            var newline = Array.IndexOf(bytes, (byte)'\n');
            if (newline < 0) return new UnreadableSnapshot(manifest, "no index line (expected {\"chunks\":[...]} and a newline first)");
            var index = JsonSerializer.Deserialize(bytes.AsSpan(0, newline), Json.SnapshotChunkIndex);
            if (index?.Chunks is not { Count: > 0 } lengths || lengths.Any(l => l <= 0))
                return new UnreadableSnapshot(manifest, "the index lists no chunks, or a chunk of no bytes");
            var total = lengths.Sum(l => (long)l);
            if (total != bytes.Length - newline - 1)
                return new UnreadableSnapshot(manifest, $"the index lists {total} bytes of chunks, the snapshot holds {bytes.Length - newline - 1}");

            var offsets = new int[lengths.Count];
            offsets[0] = newline + 1;
            for (var i = 1; i < offsets.Length; i++) offsets[i] = offsets[i - 1] + lengths[i - 1];
            var parts = new object?[lengths.Count];
            // One worker per core: unbounded, the loop takes every thread the pool has, and the node's
            // timers and actors wait for the read to end (orchestrator.min-worker-threads).
            Parallel.For(0, lengths.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
            {
                try
                {
                    using var gzip = new GZipStream(new MemoryStream(bytes, offsets[i], lengths[i], writable: false), CompressionMode.Decompress);
                    parts[i] = i == 0
                        ? JsonSerializer.Deserialize(gzip, Json.OrchestratorSnapshotV2)
                        : JsonSerializer.Deserialize(gzip, Json.IReadOnlyListTaskSnapshotV2);
                }
                catch (Exception ex) when (IsDamage(ex))
                {
                    throw new InvalidDataException($"chunk {i}: {ex.Message}", ex);
                }
            });

            if (parts[0] is not OrchestratorSnapshotV2 record) return new UnreadableSnapshot(manifest, "chunk 0 is JSON null, not the snapshot record");
            var tasks = new List<TaskSnapshotV2>(record.Tasks?.Count ?? 0);
            if (record.Tasks is not null) tasks.AddRange(record.Tasks);
            for (var i = 1; i < parts.Length; i++)
            {
                if (parts[i] is not IReadOnlyList<TaskSnapshotV2> chunk) return new UnreadableSnapshot(manifest, $"chunk {i} is JSON null, not a list of tasks");
                tasks.AddRange(chunk);
            }
            return record with { Tasks = tasks };
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(IsDamage))
        {
            return new UnreadableSnapshot(manifest, ex.InnerExceptions[0].Message);
        }
        catch (Exception ex) when (IsDamage(ex))
        {
            return new UnreadableSnapshot(manifest, ex.Message);
        }
    }

    /// <summary>What damaged compressed JSON throws: the snapshot is unreadable, not the serializer broken.</summary>
    internal static bool IsDamage(Exception ex) => ex is JsonException or InvalidDataException or EndOfStreamException;

    private static byte[] Compress<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            JsonSerializer.Serialize(gzip, value, info);
            gzip.WriteByte((byte)'\n');
        }
        return buffer.ToArray();
    }

    // A window on the task list, read once by the serializer.
    private sealed class Slice(IReadOnlyList<TaskSnapshotV2> tasks, int start, int count) : IReadOnlyList<TaskSnapshotV2>
    {
        public int Count => count;

        public TaskSnapshotV2 this[int index] => tasks[start + index];

        public IEnumerator<TaskSnapshotV2> GetEnumerator()
        {
            for (var i = 0; i < count; i++) yield return tasks[start + i];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
