namespace Fluid.Scheduling.Simulation;

/// <summary>A reader competing for shared links: its weight, its own speed limit and its use of each link.</summary>
/// <param name="Weight">Share weight (the job's GPU count: one data-loader stream per GPU).</param>
/// <param name="Cap">Highest useful rate (the job's compute speed), in bytes of progress per second.</param>
/// <param name="Usage">For each link used: (link index, bytes on that link per byte of progress).</param>
public sealed record BandwidthDemand(double Weight, double Cap, IReadOnlyList<(int Link, double Coefficient)> Usage);

/// <summary>
/// Weighted max-min fair sharing of links by progressive filling: every unfrozen reader's rate grows in
/// proportion to its weight until it reaches its own cap or one of its links is full; repeat with the rest.
/// This is how TCP-like streams split a bottleneck, and it never gives a link more than its capacity.
/// </summary>
public static class BandwidthAllocator
{
    /// <summary>Returns the rate of each demand, in the same order.</summary>
    public static double[] Allocate(IReadOnlyList<double> capacities, IReadOnlyList<BandwidthDemand> demands)
    {
        var rates = new double[demands.Count];
        var frozen = new bool[demands.Count];
        var load = new double[capacities.Count];
        var saturated = new bool[capacities.Count];
        var level = 0.0;
        var active = demands.Count;

        for (var i = 0; i < demands.Count; i++)
        {
            if (demands[i].Cap <= 0 || demands[i].Weight <= 0)
            {
                frozen[i] = true;
                active--;
            }
        }

        var slope = new double[capacities.Count];
        var linkLevel = new double[capacities.Count];
        while (active > 0)
        {
            Array.Clear(slope);
            var next = double.PositiveInfinity;
            for (var i = 0; i < demands.Count; i++)
            {
                if (frozen[i])
                {
                    continue;
                }

                var d = demands[i];
                next = Math.Min(next, d.Cap / d.Weight);
                foreach (var (link, coefficient) in d.Usage)
                {
                    slope[link] += d.Weight * coefficient;
                }
            }

            Array.Fill(linkLevel, double.PositiveInfinity);
            for (var s = 0; s < capacities.Count; s++)
            {
                if (slope[s] > 0)
                {
                    linkLevel[s] = level + Math.Max(0, capacities[s] - load[s]) / slope[s];
                    next = Math.Min(next, linkLevel[s]);
                }
            }

            for (var s = 0; s < capacities.Count; s++)
            {
                load[s] += slope[s] * (next - level);

                // A link whose fill level is the one reached is full; comparing levels (not loads) guarantees progress.
                if (slope[s] > 0 && linkLevel[s] <= next * (1 + 1e-12))
                {
                    saturated[s] = true;
                }
            }

            level = next;
            for (var i = 0; i < demands.Count; i++)
            {
                if (frozen[i])
                {
                    continue;
                }

                var d = demands[i];
                var freeze = d.Cap / d.Weight <= level * (1 + 1e-12);
                if (!freeze)
                {
                    foreach (var (link, coefficient) in d.Usage)
                    {
                        if (coefficient > 0 && saturated[link])
                        {
                            freeze = true;
                            break;
                        }
                    }
                }

                if (freeze)
                {
                    rates[i] = Math.Min(d.Cap, d.Weight * level);
                    frozen[i] = true;
                    active--;
                }
            }
        }

        return rates;
    }
}
