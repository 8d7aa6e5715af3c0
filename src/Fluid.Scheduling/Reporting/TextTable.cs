using System.Text;

namespace Fluid.Scheduling.Reporting;

/// <summary>A plain-text table with aligned columns (numbers right-aligned), for terminals and logs.</summary>
public sealed class TextTable
{
    private readonly string[] _headers;
    private readonly List<string[]> _rows = [];

    /// <summary>Creates a table with these column headers.</summary>
    public TextTable(params string[] headers) => _headers = headers;

    /// <summary>Adds a row; it must have one cell per header.</summary>
    public TextTable Add(params string[] cells)
    {
        if (cells.Length != _headers.Length)
        {
            throw new ArgumentException($"row has {cells.Length} cells but the table has {_headers.Length} columns");
        }

        _rows.Add(cells);
        return this;
    }

    /// <summary>Renders the table with a header rule, lines ending in '\n'.</summary>
    public override string ToString()
    {
        var widths = new int[_headers.Length];
        var numeric = new bool[_headers.Length];
        for (var c = 0; c < _headers.Length; c++)
        {
            widths[c] = _headers[c].Length;
            numeric[c] = _rows.Count > 0;
            foreach (var row in _rows)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
                numeric[c] &= row[c].Length == 0 || IsNumeric(row[c]);
            }
        }

        var sb = new StringBuilder();
        Line(sb, _headers, widths, numeric);
        for (var c = 0; c < widths.Length; c++)
        {
            sb.Append(c == 0 ? string.Empty : "  ").Append('-', widths[c]);
        }

        sb.Append('\n');
        foreach (var row in _rows)
        {
            Line(sb, row, widths, numeric);
        }

        return sb.ToString();
    }

    private static void Line(StringBuilder sb, string[] cells, int[] widths, bool[] numeric)
    {
        for (var c = 0; c < cells.Length; c++)
        {
            if (c > 0)
            {
                sb.Append("  ");
            }

            var last = c == cells.Length - 1;
            if (numeric[c])
            {
                sb.Append(cells[c].PadLeft(widths[c]));
            }
            else
            {
                sb.Append(last ? cells[c] : cells[c].PadRight(widths[c]));
            }
        }

        sb.Append('\n');
    }

    private static bool IsNumeric(string s)
    {
        var digits = false;
        foreach (var ch in s)
        {
            if (char.IsAsciiDigit(ch))
            {
                digits = true;
            }
            else if (ch is not ('.' or '-' or '+' or '%' or ',' or ' ' or '±'))
            {
                return false;
            }
        }

        return digits;
    }
}
