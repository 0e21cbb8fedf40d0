using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.Serialization;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using CsCheck;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Serialization;
using Orchestrator.Actors.Protocol.Snapshots;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// Generated frames at the wire: the orchestrator's serializer reads random manifests (registered
/// and not) over real messages taken apart, field-shaped JSON with values of any type, bytes of one
/// message under another's manifest, snapshots, batches, JSON nested 100,000 deep and random bytes.
/// It either returns a message, or throws the <see cref="SerializationException"/> naming the
/// manifest that Akka.Remote drops a frame on (an unreadable snapshot is handed over as
/// <see cref="UnreadableSnapshot"/>); never another exception, never a crash.
/// </summary>
public sealed class WireFuzzSpecs(ITestOutputHelper output) : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("wire-fuzz");

    private static readonly string[] Manifests = [.. OrchestratorSerializer.Manifests.Keys.Order(StringComparer.Ordinal)];

    [Fact]
    public void Any_generated_frame_is_read_as_a_message_or_refused_with_a_serialization_exception_naming_its_manifest()
    {
        var serializer = new OrchestratorSerializer((ExtendedActorSystem)_system);
        var real = SerializerSpecs.Samples.Values.Select(m => (Manifest: serializer.Manifest(m), Bytes: serializer.ToBinary(m))).ToArray();
        var outcomes = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var watch = Stopwatch.StartNew();

        Frames(real).Sample((manifest, bytes) =>
        {
            object? read;
            try
            {
                read = serializer.FromBinary(bytes, manifest);
            }
            catch (SerializationException refused)
            {
                Assert.Contains($"'{manifest}'", refused.Message);
                outcomes.AddOrUpdate("refused", 1, (_, n) => n + 1);
                return;
            }
            Assert.NotNull(read);
            Assert.IsAssignableFrom<IOrchestratorMessage>(read);
            if (read is UnreadableSnapshot unreadable)
            {
                Assert.Equal(manifest, unreadable.Manifest);
                Assert.False(string.IsNullOrWhiteSpace(unreadable.Reason));
            }
            outcomes.AddOrUpdate(read is UnreadableSnapshot ? "unreadable snapshot" : "read", 1, (_, n) => n + 1);
        }, iter: NastyInput.Cases, print: frame => $"{frame.Item1}: {Printable(frame.Item2)}");

        output.WriteLine($"{NastyInput.Cases:N0} frames in {watch.Elapsed.TotalSeconds:F1} s: {string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}"))}");
    }

    // A frame: a manifest, and bytes built for it, for another manifest, or for none.
    private static Gen<(string, byte[])> Frames((string Manifest, byte[] Bytes)[] real)
    {
        var manifest = Gen.Frequency(
            (8, Gen.OneOf(Manifests)),
            (1, Gen.OneOf("define-task.v2", "snapshot.v9", "snapshot.", "Orchestrator.Actors.Protocol.Commands.DefineTask", "", " define-task.v1")),
            (1, NastyInput.Text));
        var realFrame = Gen.OneOf(real);
        return Gen.Frequency(
            // A real message taken apart, under its own manifest or another one.
            (4, realFrame.SelectMany(r => NastyInput.Mangled(r.Bytes).Select(bytes => (r.Manifest, bytes)))),
            (1, Gen.Select(manifest, realFrame).Select((m, r) => (m, r.Bytes))),
            // JSON with the fields of the manifest's type, each of any JSON type.
            (4, Gen.OneOf(Manifests).SelectMany(m => FieldShaped(m).SelectMany(NastyInput.Mangled).Select(bytes => (m, bytes)))),
            (1, Batch.Select(bytes => ("event-batch.v1", bytes))),
            (1, Gen.OneOf(OrchestratorSerializer.CompressedSnapshotManifest, OrchestratorSerializer.ChunkedSnapshotManifest)
                .SelectMany(m => Snapshot.Select(bytes => (m, bytes)))),
            // Deep, huge, random or not UTF-8, under any manifest.
            (2, Gen.Select(manifest, Gen.Frequency(
                (2, NastyInput.DeepJson.Select(Encoding.UTF8.GetBytes)),
                (1, Gen.Const(HugeString)),
                (3, NastyInput.Bytes),
                (2, Gen.OneOf(NastyInput.InvalidUtf8)),
                (2, NastyInput.JsonValue.Select(Encoding.UTF8.GetBytes))))));
    }

    private static readonly byte[] HugeString = Encoding.UTF8.GetBytes($$"""{"taskId":"{{new string('x', 2_000_000)}}","agent":"a","taskFile":"f"}""");

    // JSON objects with the properties of the type registered under the manifest (some left out,
    // unknown ones added), each value of any JSON type.
    private static Gen<string> FieldShaped(string manifest)
    {
        var type = OrchestratorSerializer.Manifests[manifest];
        var info = OrchestratorJsonContext.Default.GetTypeInfo(type);
        var fields = info?.Properties.Select(p => p.Name).ToArray() ?? ["events"];
        return NastyInput.JsonObject(fields, fields.ToDictionary(f => f, f => Gen.OneOf(
            NastyInput.Text.Select(NastyInput.Quote), Gen.OneOf("1", "\"00:00:30\"", "\"2025-03-01T09:00:00Z\"", "\"READY\"", "\"HIGH\"", "[\"t-1\"]", "true"))));
    }

    // An event batch: entries under event manifests (or not), each with an object of any shape.
    private static readonly Gen<byte[]> Batch = Gen.Select(
            Gen.OneOf(Manifests).Select(m => (m, FieldShaped(m))).SelectMany(e => e.Item2.Select(json => (e.m, json))).Array[0, 4],
            Gen.Bool)
        .Select((entries, wrapped) => "{\"events\":[" + string.Join(",", entries.Select(e => $"{{\"m\":{NastyInput.Quote(e.m)},\"e\":{e.json}}}")) + "]" + (wrapped ? "}" : ""))
        .SelectMany(NastyInput.Mangled);

    // A compressed or chunked snapshot: an index line (true or not), then gzip of JSON of any shape, or not gzip at all.
    private static readonly Gen<byte[]> Snapshot = Gen.Select(NastyInput.JsonValue, Gen.Bool, Gen.Int[-2, 3], Gen.Bool)
        .Select((json, indexed, lengthSkew, gzipped) =>
        {
            var body = gzipped ? Gzip(Encoding.UTF8.GetBytes(json)) : Encoding.UTF8.GetBytes(json);
            if (!indexed) return body;
            var index = Encoding.UTF8.GetBytes($"{{\"chunks\":[{body.Length + lengthSkew}]}}\n");
            return [.. index, .. body];
        })
        .SelectMany(NastyInput.Mangled);

    private static byte[] Gzip(byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest)) gzip.Write(bytes);
        return buffer.ToArray();
    }

    private static string Printable(byte[] bytes) =>
        bytes.Length > 300 ? $"{bytes.Length:N0} bytes starting {Convert.ToHexString(bytes[..64])}" : Convert.ToHexString(bytes);

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));
}
