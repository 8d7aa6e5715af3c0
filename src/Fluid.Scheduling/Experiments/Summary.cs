namespace Fluid.Scheduling.Experiments;

/// <summary>Mean and spread of a sample.</summary>
/// <param name="Mean">Arithmetic mean.</param>
/// <param name="StdDev">Sample standard deviation (n - 1).</param>
/// <param name="Min">Smallest value.</param>
/// <param name="Max">Largest value.</param>
/// <param name="Count">Sample size.</param>
public sealed record Summary(double Mean, double StdDev, double Min, double Max, int Count)
{
    /// <summary>Summarises <paramref name="values"/>.</summary>
    public static Summary Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return new Summary(0, 0, 0, 0, 0);
        }

        var mean = 0.0;
        var min = double.PositiveInfinity;
        var max = double.NegativeInfinity;
        foreach (var v in values)
        {
            mean += v;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        mean /= values.Count;
        var ss = 0.0;
        foreach (var v in values)
        {
            ss += (v - mean) * (v - mean);
        }

        var sd = values.Count > 1 ? Math.Sqrt(ss / (values.Count - 1)) : 0;
        return new Summary(mean, sd, min, max, values.Count);
    }
}
