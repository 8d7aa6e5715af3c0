using System.CommandLine;

namespace Fluid.Cli.Tests;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fluid-validate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Root { get; } = FindRoot();

    [Fact]
    public async Task Validate_ValidFiles_ExitsZeroWithOkLinePerFile()
    {
        var s3 = Path.Combine(Root, "examples", "s3", "imagenet.yaml");
        var load = Path.Combine(Root, "examples", "dataload", "once.yaml");

        var (code, output, error) = await RunAsync("validate", "-f", s3, "-f", load);

        Assert.Equal(0, code);
        Assert.Equal([$"ok: 3 objects in {s3}", $"ok: 1 object in {load}"], Lines(output));
        Assert.Empty(error);
    }

    [Fact]
    public async Task Validate_InvalidFile_ExitsOneAndPrintsEachProblem()
    {
        var file = Write("bad.yaml",
            "apiVersion: data.fluid.io/v1alpha1\nkind: Dataset\nmetadata:\n  name: imagenet\nspec:\n  mounts:\n" +
            "    - mountPoint: s3://imagenet/train\n      name: train\n    - mountPoint: ftp://files.example.org/imagenet\n      name: mirror\n" +
            "  mount: []\n---\napiVersion: data.fluid.io/v1alpha1\nkind: AlluxioRuntime\nmetadata:\n  name: imagenet\n");

        var (code, output, _) = await RunAsync("validate", "-f", file);

        Assert.Equal(1, code);
        Assert.Equal(
            [
                "Dataset/imagenet: spec.mount: unknown field (did you mean \"mounts\"?)",
                "Dataset/imagenet: spec.mounts[1].mountPoint: scheme \"ftp\" is not supported (use s3://, http(s)://, pvc://, local://)",
                "AlluxioRuntime/imagenet: this build cannot run AlluxioRuntime yet; use kind FluidCacheRuntime with the same tieredstore",
                $"invalid: 3 errors in {file}",
            ],
            Lines(output));
    }

    [Fact]
    public async Task Validate_SeveralFilesInOneOption_ResolvesReferencesAcrossThem()
    {
        var dataset = Write("dataset.yaml", "apiVersion: data.fluid.io/v1alpha1\nkind: Dataset\nmetadata:\n  name: demo\nspec:\n  mounts:\n    - mountPoint: local:///srv/demo\n      name: demo\n");
        var runtime = Write("runtime.yaml", "apiVersion: data.fluid.io/v1alpha1\nkind: FluidCacheRuntime\nmetadata:\n  name: demo\nspec:\n  tieredstore:\n    levels:\n      - mediumtype: MEM\n        path: /dev/shm/demo\n        quota: 1Gi\n");

        var together = await RunAsync("validate", "-f", dataset, runtime);
        var alone = await RunAsync("validate", "-f", runtime);

        Assert.Equal(0, together.Code);
        Assert.Equal([$"ok: 1 object in {dataset}", $"ok: 1 object in {runtime}"], Lines(together.Output));
        Assert.Equal(1, alone.Code);
        Assert.Equal(
            [
                "FluidCacheRuntime/demo: no Dataset \"demo\" in namespace \"default\" in this file (a runtime binds to the Dataset of the same name and namespace)",
                $"invalid: 1 error in {runtime}",
            ],
            Lines(alone.Output));
    }

    [Fact]
    public async Task Validate_MissingFile_ExitsOneAndSaysWhy()
    {
        var missing = Path.Combine(_dir, "nope.yaml");

        var (code, output, error) = await RunAsync("validate", "-f", missing);

        Assert.Equal(1, code);
        Assert.Empty(Lines(output));
        Assert.StartsWith($"fluid validate: cannot read {missing}: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_WithoutFiles_IsAUsageError()
    {
        var (code, _, error) = await RunAsync("validate");

        Assert.NotEqual(0, code);
        Assert.Contains("--filename", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Crds_CheckOnTheRepository_IsUpToDate()
    {
        var (code, output, _) = await RunAsync("crds", "--check", "-o", Path.Combine(Root, "deploy", "crds"));

        Assert.Equal(0, code);
        Assert.StartsWith("up to date: ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Crds_WritesFiles_ThenCheckFindsAnEdit()
    {
        var written = await RunAsync("crds", "-o", _dir);
        File.AppendAllText(Path.Combine(_dir, "data.fluid.io_datasets.yaml"), "# edited\n");
        var check = await RunAsync("crds", "--check", "-o", _dir);

        Assert.Equal(0, written.Code);
        Assert.Equal(3, Directory.GetFiles(_dir, "*.yaml").Length);
        Assert.Equal(1, check.Code);
        Assert.Equal([$"out of date: {Path.Combine(_dir, "data.fluid.io_datasets.yaml")} (run ./fluid crds)"], Lines(check.Output));
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await FluidCommandLine.Build().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Fluid.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Fluid.slnx not found");
    }
}
