using System.Text;
using Spectre.Console;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>Headers and rows of text, right-aligned from <see cref="FirstNumericColumn"/> on.</summary>
internal sealed record TextTable(IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string>> Rows, int FirstNumericColumn);

/// <summary>Prints a <see cref="TextTable"/> as a Spectre.Console table, or as Markdown for the README.</summary>
internal static class TablePrinter
{
    public static void Write(TextTable table)
    {
        var output = new Table().Border(TableBorder.Rounded);
        for (var i = 0; i < table.Headers.Count; i++)
        {
            var column = new TableColumn(Markup.Escape(table.Headers[i]));
            output.AddColumn(i >= table.FirstNumericColumn ? column.RightAligned() : column);
        }
        foreach (var row in table.Rows)
            output.AddRow(row.Select(cell => Markup.Escape(cell)).ToArray());
        AnsiConsole.Write(output);
    }

    public static string Markdown(TextTable table)
    {
        var text = new StringBuilder();
        text.AppendLine("| " + string.Join(" | ", table.Headers.Select(Escape)) + " |");
        text.AppendLine("|" + string.Join("|", table.Headers.Select((_, i) => i >= table.FirstNumericColumn ? "---:" : "---")) + "|");
        foreach (var row in table.Rows)
            text.AppendLine("| " + string.Join(" | ", row.Select(Escape)) + " |");
        return text.ToString();
    }

    private static string Escape(string cell) => cell.Replace("|", "\\|");
}
