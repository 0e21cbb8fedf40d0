using System.Buffers;

namespace Orchestrator.Actors.Protocol.Serialization;

/// <summary>
/// The most a text can take as a JSON string in <see cref="OrchestratorSerializer"/>'s UTF-8: its
/// quotes, and per character 6 bytes for a control character, a quote, a backslash, one of
/// <c>&lt;&gt;&amp;'+`</c> or any non-ASCII character (System.Text.Json's default encoder may write
/// each as <c>\uXXXX</c>), 1 byte otherwise. Text of plain ASCII alone (every id) is counted without
/// a loop per character.
/// </summary>
public static class JsonTextSizes
{
    // Printable ASCII that the default encoder writes as it is.
    private static readonly SearchValues<char> Plain = SearchValues.Create(
        Enumerable.Range(' ', '~' - ' ' + 1).Select(c => (char)c).Where(c => c is not ('"' or '\\' or '<' or '>' or '&' or '\'' or '+' or '`')).ToArray());

    /// <summary>The most one text takes, its quotes included; 0 for null (the property's <c>null</c> is in the allowance).</summary>
    public static long Text(string? text)
    {
        if (text is null) return 0;
        var first = text.AsSpan().IndexOfAnyExcept(Plain);
        if (first < 0) return text.Length + 2L;
        long bytes = 2 + first;
        foreach (var c in text.AsSpan(first)) bytes += Plain.Contains(c) ? 1 : 6;
        return bytes;
    }

    /// <summary>The most a list of texts takes, each with a separator.</summary>
    public static long Texts(IReadOnlyList<string>? texts)
    {
        if (texts is null) return 0;
        long sum = 0;
        foreach (var text in texts) sum += Text(text) + 4;
        return sum;
    }

    /// <summary>The most any text of <paramref name="length"/> characters takes.</summary>
    public static long Longest(int length) => 6L * length + 2;
}
