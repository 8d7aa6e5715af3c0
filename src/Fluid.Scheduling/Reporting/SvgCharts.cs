using System.Globalization;
using System.Text;
using Fluid.Scheduling.Experiments;
using Fluid.Scheduling.Simulation;

namespace Fluid.Scheduling.Reporting;

/// <summary>Charts as standalone SVG documents, written by this code (no native dependencies).</summary>
public static class SvgCharts
{
    private const double Width = 760;
    private const double Height = 440;
    private const double Left = 70;
    private const double Right = 170;
    private const double Top = 40;
    private const double Bottom = 55;

    // Okabe–Ito colours, distinguishable with common colour-vision deficiencies.
    private static readonly string[] Palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"];

    /// <summary>Empirical CDF of job completion time, one step line per policy.</summary>
    public static string JctCdf(IReadOnlyList<SimulationResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var maxHours = 0.0;
        foreach (var r in results)
        {
            foreach (var j in r.Jobs)
            {
                maxHours = Math.Max(maxHours, j.JctSeconds / 3600);
            }
        }

        var chart = new Chart("Job completion time CDF", "JCT (hours)", "fraction of jobs", NiceMax(maxHours), 1);
        for (var i = 0; i < results.Count; i++)
        {
            var jcts = results[i].Jobs.Select(j => j.JctSeconds / 3600).OrderBy(x => x).ToArray();
            var points = new List<(double X, double Y)> { (0, 0) };
            for (var k = 0; k < jcts.Length; k++)
            {
                points.Add((jcts[k], (double)k / jcts.Length));
                points.Add((jcts[k], (double)(k + 1) / jcts.Length));
            }

            chart.Line(results[i].Policy, Palette[i % Palette.Length], points, dashed: false);
        }

        return chart.Render();
    }

    /// <summary>Makespan per policy as bars.</summary>
    public static string Makespan(IReadOnlyList<SimulationResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var values = results.Select(r => r.Totals.MakespanSeconds / 3600).ToArray();
        var chart = new Chart("Makespan per policy", "policy", "makespan (hours)", results.Count, NiceMax(values.DefaultIfEmpty(0).Max()));
        for (var i = 0; i < results.Count; i++)
        {
            chart.Bar(i + 0.15, i + 0.85, values[i], null, Palette[i % Palette.Length], results[i].Policy);
            chart.ValueLabel(i + 0.5, values[i], values[i].ToString("0.00", CultureInfo.InvariantCulture) + " h");
            chart.CategoryLabel(i + 0.5, results[i].Policy);
        }

        return chart.Render(legend: false);
    }

    /// <summary>Allocated (solid) and computing (dashed) share of the cluster's GPUs over time.</summary>
    public static string GpuUtilisation(IReadOnlyList<SimulationResult> results, int totalGpus)
    {
        ArgumentNullException.ThrowIfNull(results);
        var end = results.Select(r => r.Totals.MakespanSeconds / 3600 + (r.Timeline.Count > 0 ? r.Timeline[0].Seconds / 3600 : 0)).DefaultIfEmpty(0).Max();
        var chart = new Chart("GPU utilisation over time (solid: allocated, dashed: computing)", "time (hours)", "share of GPUs", NiceMax(end), 1);
        var gpus = Math.Max(1, totalGpus);
        for (var i = 0; i < results.Count; i++)
        {
            var allocated = new List<(double, double)>();
            var busy = new List<(double, double)>();
            var timeline = results[i].Timeline;
            for (var k = 0; k < timeline.Count; k++)
            {
                var x = timeline[k].Seconds / 3600;
                if (k > 0)
                {
                    allocated.Add((x, (double)timeline[k - 1].AllocatedGpus / gpus));
                    busy.Add((x, timeline[k - 1].BusyGpus / gpus));
                }

                allocated.Add((x, (double)timeline[k].AllocatedGpus / gpus));
                busy.Add((x, timeline[k].BusyGpus / gpus));
            }

            var colour = Palette[i % Palette.Length];
            chart.Line(results[i].Policy, colour, allocated, dashed: false);
            chart.Line(null, colour, busy, dashed: true);
        }

        return chart.Render();
    }

    /// <summary>Mean of a metric per trace size and policy, with ±1 standard deviation whiskers.</summary>
    public static string SweepBars(SweepResult sweep, bool averageJct)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var metric = averageJct ? "average JCT" : "makespan";
        var max = 0.0;
        foreach (var row in sweep.Rows)
        {
            foreach (var p in row.Policies)
            {
                var s = averageJct ? p.AverageJct : p.Makespan;
                max = Math.Max(max, (s.Mean + s.StdDev) / 3600);
            }
        }

        var chart = new Chart($"Mean {metric} by trace size (whiskers: ±1 sd over seeds)", "jobs per trace", $"{metric} (hours)", sweep.Rows.Count, NiceMax(max));
        for (var g = 0; g < sweep.Rows.Count; g++)
        {
            var row = sweep.Rows[g];
            var n = row.Policies.Count;
            for (var i = 0; i < n; i++)
            {
                var s = averageJct ? row.Policies[i].AverageJct : row.Policies[i].Makespan;
                var x0 = g + 0.1 + (0.8 * i / n);
                chart.Bar(x0, x0 + (0.8 / n), s.Mean / 3600, s.StdDev / 3600, Palette[i % Palette.Length], g == 0 ? row.Policies[i].Policy : null);
            }

            chart.CategoryLabel(g + 0.5, row.Jobs.ToString(CultureInfo.InvariantCulture));
        }

        return chart.Render();
    }

    private static double NiceMax(double value)
    {
        if (!(value > 0))
        {
            return 1;
        }

        var exponent = Math.Floor(Math.Log10(value));
        var fraction = value / Math.Pow(10, exponent);
        var nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
        return nice * Math.Pow(10, exponent);
    }

    private sealed class Chart(string title, string xLabel, string yLabel, double xMax, double yMax)
    {
        private readonly StringBuilder _body = new();
        private readonly List<(string Name, string Colour, bool Dashed)> _legend = [];
        private readonly List<(double X, string Text)> _categories = [];

        public void Line(string? name, string colour, IReadOnlyList<(double X, double Y)> points, bool dashed)
        {
            if (points.Count == 0)
            {
                return;
            }

            _body.Append("<polyline fill=\"none\" stroke=\"").Append(colour).Append("\" stroke-width=\"").Append(dashed ? "1.2" : "2").Append('"');
            if (dashed)
            {
                _body.Append(" stroke-dasharray=\"5,3\"");
            }

            _body.Append(" points=\"");
            foreach (var (x, y) in points)
            {
                _body.Append(F(Sx(x))).Append(',').Append(F(Sy(y))).Append(' ');
            }

            _body.Append("\"/>\n");
            if (name is not null)
            {
                _legend.Add((name, colour, dashed));
            }
        }

        public void Bar(double x0, double x1, double value, double? error, string colour, string? name)
        {
            var top = Sy(value);
            _body.Append("<rect x=\"").Append(F(Sx(x0))).Append("\" y=\"").Append(F(top)).Append("\" width=\"").Append(F(Sx(x1) - Sx(x0)))
                .Append("\" height=\"").Append(F(Sy(0) - top)).Append("\" fill=\"").Append(colour).Append("\"/>\n");
            if (error is { } e && e > 0)
            {
                var cx = F((Sx(x0) + Sx(x1)) / 2);
                _body.Append("<line x1=\"").Append(cx).Append("\" x2=\"").Append(cx).Append("\" y1=\"").Append(F(Sy(value - e)))
                    .Append("\" y2=\"").Append(F(Sy(value + e))).Append("\" stroke=\"#333\" stroke-width=\"1.2\"/>\n");
            }

            if (name is not null)
            {
                _legend.Add((name, colour, false));
            }
        }

        public void CategoryLabel(double x, string text) => _categories.Add((x, text));

        public void ValueLabel(double x, double y, string text) =>
            _body.Append("<text x=\"").Append(F(Sx(x))).Append("\" y=\"").Append(F(Sy(y) - 5)).Append("\" text-anchor=\"middle\">").Append(Escape(text)).Append("</text>\n");

        public string Render(bool legend = true)
        {
            var sb = new StringBuilder();
            sb.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").Append(F(Width)).Append("\" height=\"").Append(F(Height))
              .Append("\" viewBox=\"0 0 ").Append(F(Width)).Append(' ').Append(F(Height)).Append("\" font-family=\"sans-serif\" font-size=\"12\">\n");
            sb.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
            sb.Append("<text x=\"").Append(F(Width / 2)).Append("\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">").Append(Escape(title)).Append("</text>\n");

            // Grid and ticks.
            for (var k = 0; k <= 5; k++)
            {
                var y = yMax * k / 5;
                sb.Append("<line x1=\"").Append(F(Left)).Append("\" x2=\"").Append(F(Width - Right)).Append("\" y1=\"").Append(F(Sy(y))).Append("\" y2=\"").Append(F(Sy(y)))
                  .Append("\" stroke=\"#ddd\"/>\n");
                sb.Append("<text x=\"").Append(F(Left - 6)).Append("\" y=\"").Append(F(Sy(y) + 4)).Append("\" text-anchor=\"end\">").Append(Tick(y)).Append("</text>\n");
            }

            if (_categories.Count == 0)
            {
                for (var k = 0; k <= 5; k++)
                {
                    var x = xMax * k / 5;
                    sb.Append("<text x=\"").Append(F(Sx(x))).Append("\" y=\"").Append(F(Height - Bottom + 18)).Append("\" text-anchor=\"middle\">").Append(Tick(x)).Append("</text>\n");
                }
            }
            else
            {
                foreach (var (x, text) in _categories)
                {
                    sb.Append("<text x=\"").Append(F(Sx(x))).Append("\" y=\"").Append(F(Height - Bottom + 18)).Append("\" text-anchor=\"middle\">").Append(Escape(text)).Append("</text>\n");
                }
            }

            sb.Append(_body);
            sb.Append("<line x1=\"").Append(F(Left)).Append("\" x2=\"").Append(F(Width - Right)).Append("\" y1=\"").Append(F(Sy(0))).Append("\" y2=\"").Append(F(Sy(0))).Append("\" stroke=\"#333\"/>\n");
            sb.Append("<line x1=\"").Append(F(Left)).Append("\" x2=\"").Append(F(Left)).Append("\" y1=\"").Append(F(Top)).Append("\" y2=\"").Append(F(Sy(0))).Append("\" stroke=\"#333\"/>\n");
            sb.Append("<text x=\"").Append(F((Left + Width - Right) / 2)).Append("\" y=\"").Append(F(Height - 12)).Append("\" text-anchor=\"middle\">").Append(Escape(xLabel)).Append("</text>\n");
            sb.Append("<text transform=\"translate(18,").Append(F((Top + Height - Bottom) / 2)).Append(") rotate(-90)\" text-anchor=\"middle\">").Append(Escape(yLabel)).Append("</text>\n");
            if (legend)
            {
                for (var i = 0; i < _legend.Count; i++)
                {
                    var (name, colour, dashed) = _legend[i];
                    var y = Top + 10 + (i * 20);
                    sb.Append("<line x1=\"").Append(F(Width - Right + 15)).Append("\" x2=\"").Append(F(Width - Right + 40)).Append("\" y1=\"").Append(F(y)).Append("\" y2=\"").Append(F(y))
                      .Append("\" stroke=\"").Append(colour).Append("\" stroke-width=\"").Append(dashed ? "1.2" : "6").Append("\"/>\n");
                    sb.Append("<text x=\"").Append(F(Width - Right + 46)).Append("\" y=\"").Append(F(y + 4)).Append("\">").Append(Escape(name)).Append("</text>\n");
                }
            }

            sb.Append("</svg>\n");
            return sb.ToString();
        }

        private double Sx(double x) => Left + ((Width - Left - Right) * (xMax > 0 ? x / xMax : 0));

        private double Sy(double y) => Height - Bottom - ((Height - Top - Bottom) * (yMax > 0 ? Math.Clamp(y, 0, yMax) / yMax : 0));

        private static string Tick(double v) => v.ToString(v >= 10 || v == Math.Floor(v) ? "0.#" : "0.##", CultureInfo.InvariantCulture);

        private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

        private static string Escape(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
    }
}
