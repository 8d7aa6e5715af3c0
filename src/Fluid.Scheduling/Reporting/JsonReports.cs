using System.Text.Json;
using System.Text.Json.Serialization;
using Fluid.Scheduling.Experiments;
using Fluid.Scheduling.Model;
using Fluid.Scheduling.Settings;
using Fluid.Scheduling.Simulation;

namespace Fluid.Scheduling.Reporting;

/// <summary>The JSON document of one `fluid sim` run.</summary>
/// <param name="Settings">Every parameter used.</param>
/// <param name="Trace">The trace simulated.</param>
/// <param name="Results">One result per policy.</param>
public sealed record SimulationReport(SimulationSettings Settings, Trace Trace, IReadOnlyList<SimulationResult> Results);

/// <summary>The JSON document of a sweep.</summary>
/// <param name="Seeds">Seeds per size.</param>
/// <param name="FirstSeed">First seed.</param>
/// <param name="Settings">Every parameter used.</param>
/// <param name="Rows">Summaries per size.</param>
/// <param name="Runs">Every simulation.</param>
public sealed record SweepReport(int Seeds, ulong FirstSeed, SimulationSettings Settings, IReadOnlyList<SweepRow> Rows, IReadOnlyList<SweepRun> Runs);

/// <summary>JSON outputs (camelCase, indented, deterministic).</summary>
public static class JsonReports
{
    /// <summary>Results of one trace.</summary>
    public static string Simulation(SimulationSettings settings, Trace trace, IReadOnlyList<SimulationResult> results) =>
        JsonSerializer.Serialize(new SimulationReport(settings, trace, results), ReportJsonContext.Default.SimulationReport) + "\n";

    /// <summary>Results of a sweep.</summary>
    public static string Sweep(SweepOptions options, SweepResult sweep)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sweep);
        return JsonSerializer.Serialize(new SweepReport(options.Seeds, options.FirstSeed, options.Settings, sweep.Rows, sweep.Runs), ReportJsonContext.Default.SweepReport) + "\n";
    }

    /// <summary>Results of a sensitivity analysis.</summary>
    public static string Sensitivity(SensitivityResult result) =>
        JsonSerializer.Serialize(result, ReportJsonContext.Default.SensitivityResult) + "\n";
}

[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(SimulationReport))]
[JsonSerializable(typeof(SweepReport))]
[JsonSerializable(typeof(SensitivityResult))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
