using System.Text;
using CsCheck;

namespace Orchestrator.Actors.Fuzzing;

/// <summary>
/// Generators of bad input shared by the fuzz specs of every door: text that breaks rules (empty,
/// blank, control characters, lone surrogates, too long, reserved names, JSON and path tricks),
/// extreme numbers and durations, lists that are long, repeated or hold nulls, and JSON that is
/// truncated, deeply nested, of the wrong type or not UTF-8. Each mixes in some valid values, so that
/// a case also gets past the first check and reaches the later ones.
/// </summary>
public static class NastyInput
{
    /// <summary>Cases per door in the normal test run (CsCheck_Iter does not change it; CsCheck_Seed replays a reported failure).</summary>
    public const int Cases = 10_000;

    /// <summary>Deep enough to overflow any recursive reader's stack.</summary>
    public const int DeepNesting = 100_000;

    private static readonly string[] Awkward =
    [
        "", " ", "   ", "\t", "\n", "\r\n", "\u00a0", "\u2028", "\u200b", "\ufeff", "\0", "a\0b", "\u001b[31mred\u001b[0m", "\u007f",
        "\ud800", "\udc00", "a\ud800", "\udfff\ud800", "😀", "é", "e\u0301", "\u202eevil", "ｆｕｌｌ",
        "*", "orchestrator", "operator", "default", "null", "undefined", "NaN", "true", "0", "-1", "1e999",
        "{", "}", "[", "]", "{}", "[]", "\"", "'", "\\", "{\"a\":1}", "[1,2", "%", "%00", "%2F", "%ZZ", "%C0%AF", "%FF",
        "/", "//", "..", "../..", "a/b", "a:b", "a.b", "_", "-", "--", "-x", "--help", "@file", "{0}", "%s", "$(id)", "';--",
        "CRITICAL", "high", "Medium", "low", "URGENT", "READY", "pending", "DEAD", "30s", "00:00:30", "-5s", "0s", "1ms", "999999999d",
    ];

    /// <summary>Any character, surrogates and control characters included.</summary>
    public static readonly Gen<string> AnyChars = Gen.Char.Array[0, 40].Select(c => new string(c));

    /// <summary>Text a rule may refuse, or may take: the awkward values, random characters, and long strings.</summary>
    public static readonly Gen<string> Text = Gen.Frequency(
        (6, Gen.OneOf(Awkward)),
        (3, AnyChars),
        (3, Gen.Char["abcxyzABC0189._:/-"].Array[1, 30].Select(c => new string(c))),
        (1, Gen.OneOf(Gen.Const(201), Gen.Const(1001), Gen.Int[0, 5_000]).SelectMany(n => Gen.Char["a-z.\u0001\ud800é"].Array[n, n].Select(c => new string(c)))),
        (1, Gen.OneOf(Gen.Const(200), Gen.Const(1000), Gen.Const(64), Gen.Const(65)).Select(n => new string('x', n))));

    /// <summary><see cref="Text"/> or null.</summary>
    public static readonly Gen<string?> TextOrNull = Text.Null(0.15);

    /// <summary>Ints at and around every edge.</summary>
    public static readonly Gen<int> Int = Gen.Frequency(
        (3, Gen.OneOf(int.MinValue, int.MinValue + 1, -1_000_000, -1, 0, 1, 2, 3, 99, 100, 101, 999, 1000, 1001, 3600, int.MaxValue - 1, int.MaxValue)),
        (2, Gen.Int[-10, 1100]),
        (1, Gen.Int));

    /// <summary>Longs at and around every edge.</summary>
    public static readonly Gen<long> Long = Gen.Frequency(
        (3, Gen.OneOf(long.MinValue, -1L, 0L, 1L, 2L, 3L, int.MaxValue + 1L, long.MaxValue)),
        (1, Gen.Long));

    /// <summary>Durations from the smallest to the largest, negative and zero included.</summary>
    public static readonly Gen<TimeSpan> Duration = Gen.Frequency(
        (3, Gen.OneOf(TimeSpan.MinValue, TimeSpan.MaxValue, TimeSpan.Zero, TimeSpan.FromTicks(1), TimeSpan.FromTicks(-1), TimeSpan.FromMilliseconds(1),
            TimeSpan.FromSeconds(-30), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromHours(1),
            TimeSpan.FromDays(1), TimeSpan.FromDays(365_000))),
        (1, Gen.Long.Select(TimeSpan.FromTicks)));

    /// <summary>A list of <paramref name="item"/>: null, empty, short, long, with repeats and nulls.</summary>
    public static Gen<IReadOnlyList<T>?> List<T>(Gen<T> item, T? nullItem = default) => Gen.Frequency(
        (2, Gen.Const((IReadOnlyList<T>?)null)),
        (2, Gen.Const<IReadOnlyList<T>?>([])),
        (6, item.Array[1, 6].Select(a => (IReadOnlyList<T>?)a)),
        (1, item.Select(one => (IReadOnlyList<T>?)Enumerable.Repeat(one, 5).ToArray())),
        (1, item.Array[1, 3].Select(a => (IReadOnlyList<T>?)a.Append(nullItem!).ToArray())),
        (1, Gen.OneOf(Gen.Const(101), Gen.Const(1001), Gen.Int[102, 1_500]).SelectMany(n => item.Array[n, n]).Select(a => (IReadOnlyList<T>?)a)));

    private static readonly string DeepArrays = new string('[', DeepNesting) + new string(']', DeepNesting);
    private static readonly string DeepObjects = string.Concat(Enumerable.Repeat("{\"a\":", DeepNesting)) + "1" + new string('}', DeepNesting);
    private static readonly string Unclosed = new('[', DeepNesting);

    /// <summary>JSON texts deep enough to overflow a recursive reader, closed or not.</summary>
    public static readonly Gen<string> DeepJson = Gen.OneOf(DeepArrays, DeepObjects, Unclosed, "{\"a\":" + DeepArrays + "}");

    /// <summary>A JSON value of any kind, a few levels deep, with awkward strings and numbers.</summary>
    public static readonly Gen<string> JsonValue = Gen.Recursive<string>((depth, inner) => depth >= 3
        ? Scalar
        : Gen.Frequency(
            (4, Scalar),
            (1, inner.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]")),
            (1, Gen.Select(Text, inner).Array[0, 4].Select(fields => "{" + string.Join(",", fields.Select(f => Quote(f.Item1) + ":" + f.Item2)) + "}"))));

    private static Gen<string> Scalar => Gen.OneOf(
        Text.Select(Quote),
        Gen.OneOf("null", "true", "false", "0", "-0", "1", "-1", "1.5", "1e308", "-1e308", "1e400", "9223372036854775808", "2147483648", "0.0000001", "\"\""),
        Int.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary><paramref name="value"/> as a JSON string (lone surrogates escaped, as a writer that does not check them would send).</summary>
    public static string Quote(string value)
    {
        var json = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            if (c is '"' or '\\') json.Append('\\').Append(c);
            else if (c < ' ' || char.IsSurrogate(c) || c > '~') json.Append($"\\u{(int)c:x4}");
            else json.Append(c);
        }
        return json.Append('"').ToString();
    }

    /// <summary>
    /// A JSON object of the named fields (some left out, some unknown added, some repeated), each
    /// with a value of any kind; or JSON of the wrong shape altogether.
    /// </summary>
    public static Gen<string> JsonObject(IReadOnlyList<string> fields, IReadOnlyDictionary<string, Gen<string>>? goodValues = null) =>
        Gen.Frequency(
            (8, Gen.Select(
                    Gen.Bool.Array[fields.Count, fields.Count],
                    Gen.Bool.Array[fields.Count, fields.Count],
                    JsonValue.Array[fields.Count, fields.Count],
                    Gen.Select(Gen.OneOf([.. fields.Select(Gen.Const), Gen.OneOf("colour", "Namespace", "$type", "__proto__"), Text]), JsonValue).Array[0, 2])
                .SelectMany(parts => GoodValues(fields, goodValues).Select(good =>
                {
                    var (include, useGood, values, extra) = parts;
                    var members = new List<string>();
                    for (var i = 0; i < fields.Count; i++)
                    {
                        if (!include[i]) continue;
                        members.Add(Quote(fields[i]) + ":" + (useGood[i] && good[i] is { } g ? g : values[i]));
                    }
                    members.AddRange(extra.Select(e => Quote(e.Item1) + ":" + e.Item2));
                    return "{" + string.Join(",", members) + "}";
                }))),
            (1, JsonValue),
            (1, DeepJson));

    private static Gen<string?[]> GoodValues(IReadOnlyList<string> fields, IReadOnlyDictionary<string, Gen<string>>? goodValues)
    {
        var values = Gen.Const(Array.Empty<string?>());
        foreach (var field in fields)
        {
            var value = goodValues is not null && goodValues.TryGetValue(field, out var good) ? good.Select(v => (string?)v) : Gen.Const((string?)null);
            values = values.SelectMany(before => value.Select(v => (string?[])[.. before, v]));
        }
        return values;
    }

    /// <summary>Bytes that take apart <paramref name="text"/>: cut short, a byte flipped, bytes cut out, not UTF-8, or left whole.</summary>
    public static Gen<byte[]> Mangled(string text) => Mangled(Encoding.UTF8.GetBytes(text));

    /// <summary>Bytes that take apart <paramref name="bytes"/>.</summary>
    public static Gen<byte[]> Mangled(byte[] bytes) => Gen.Frequency(
        (3, Gen.Const(bytes)),
        (2, Gen.Int[0, Math.Max(0, bytes.Length - 1)].Select(n => bytes[..n])),
        (2, Gen.Select(Gen.Int[0, Math.Max(0, bytes.Length - 1)], Gen.Byte).Select((at, b) => Flip(bytes, at, b))),
        (1, Gen.Select(Gen.Int[0, bytes.Length], Gen.OneOf(InvalidUtf8)).Select((at, bad) => (byte[])[.. bytes[..at], .. bad, .. bytes[at..]])),
        (1, Gen.Select(Gen.Int[0, bytes.Length], Gen.Int[0, 10]).Select((at, n) => (byte[])[.. bytes[..at], .. bytes[Math.Min(bytes.Length, at + n)..]])));

    private static byte[] Flip(byte[] bytes, int at, byte value)
    {
        if (bytes.Length == 0) return [value];
        var copy = (byte[])bytes.Clone();
        copy[at] = value;
        return copy;
    }

    /// <summary>Byte sequences that are not UTF-8: stray continuation bytes, overlong forms, encoded surrogates, truncated sequences.</summary>
    public static readonly byte[][] InvalidUtf8 =
    [
        [0xFF], [0xFE, 0xFF], [0x80], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC3], [0xE2, 0x82], [0x00],
    ];

    /// <summary>Any bytes, now and then a lot of them.</summary>
    public static readonly Gen<byte[]> Bytes = Gen.Frequency(
        (8, Gen.Byte.Array[0, 64]),
        (1, Gen.Byte.Array[1_000, 70_000]));
}
