using System.CommandLine;
using System.Globalization;
using Fluid.Engine.Control;

namespace Fluid.Cli.Commands;

/// <summary>`fluid ls NAME [PATH]`: lists a directory of a running dataset through its cache (streamed).</summary>
internal static class LsCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "The dataset (NAME or NAMESPACE/NAME)." };
        var path = new Argument<string>("path") { Description = "A path in the dataset, as under the mount.", DefaultValueFactory = _ => "/" };
        var command = new Command("ls", "List a directory of a running dataset: type, size in bytes, modification time (UTC), name.") { name, path };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            try
            {
                using var client = RunDirectory.Default.Connect(parse.GetRequiredValue(name));
                await foreach (var entry in client.ListAsync(parse.GetValue(path) ?? "/", cancellationToken))
                {
                    if (entry.Type == "error")
                    {
                        await error.WriteLineAsync($"fluid ls: {entry.Message}");
                        return 1;
                    }

                    await output.WriteLineAsync(Format(entry));
                }

                return 0;
            }
            catch (Exception ex) when (ex is ControlException or ArgumentException)
            {
                await error.WriteLineAsync($"fluid ls: {ex.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>"file    1048576  2025-01-02 03:04:05  name" or "dir           -  ...  name/".</summary>
    public static string Format(ListEntry entry)
    {
        var isDirectory = entry.Type == "dir";
        var size = isDirectory ? "-" : entry.Size.ToString(CultureInfo.InvariantCulture);
        var modified = entry.Modified.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        return $"{entry.Type,-4} {size,14}  {modified}  {entry.Name}{(isDirectory ? "/" : string.Empty)}";
    }
}
