using Akka.Configuration;

namespace Orchestrator.Actors.Configuration;

/// <summary>
/// Checks that the brackets of a HOCON text balance before Akka's parser sees it: Akka 1.5.74's
/// parser loops forever on some unbalanced input (<c>a = { b = [ }</c>), which would hang start-up
/// on a damaged config file instead of failing with a clear error.
/// </summary>
internal static class HoconPreflight
{
    /// <exception cref="ConfigurationException">A bracket is unbalanced; the message names the line.</exception>
    public static void CheckBrackets(string text, string source)
    {
        var open = new Stack<(char Bracket, int Line)>();
        var line = 1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\n') { line++; continue; }
            if (c == '#' || (c == '/' && i + 1 < text.Length && text[i + 1] == '/'))
            {
                while (i + 1 < text.Length && text[i + 1] != '\n') i++;
                continue;
            }
            if (c == '"')
            {
                i = SkipString(text, i, ref line, source);
                continue;
            }
            switch (c)
            {
                case '{' or '[':
                    open.Push((c, line));
                    break;
                case '}' or ']':
                    var expected = c == '}' ? '{' : '[';
                    if (open.Count == 0 || open.Peek().Bracket != expected)
                        throw new ConfigurationException(open.Count == 0
                            ? $"{source}: line {line}: '{c}' closes nothing"
                            : $"{source}: line {line}: '{c}' does not match the '{open.Peek().Bracket}' opened on line {open.Peek().Line}");
                    open.Pop();
                    break;
            }
        }
        if (open.Count > 0)
            throw new ConfigurationException($"{source}: the '{open.Peek().Bracket}' opened on line {open.Peek().Line} is never closed");
    }

    private static int SkipString(string text, int start, ref int line, string source)
    {
        if (string.CompareOrdinal(text, start, "\"\"\"", 0, 3) == 0)
        {
            var end = text.IndexOf("\"\"\"", start + 3, StringComparison.Ordinal);
            if (end < 0) throw new ConfigurationException($"{source}: line {line}: a \"\"\" string is never closed");
            line += text.AsSpan(start, end - start).Count('\n');
            // Extra quotes directly after the closing """ belong to the string.
            end += 3;
            while (end < text.Length && text[end] == '"') end++;
            return end - 1;
        }
        for (var i = start + 1; i < text.Length; i++)
        {
            if (text[i] == '\\') { i++; continue; }
            if (text[i] == '"') return i;
            if (text[i] == '\n') throw new ConfigurationException($"{source}: line {line}: a quoted string is never closed");
        }
        throw new ConfigurationException($"{source}: line {line}: a quoted string is never closed");
    }
}
