using Fluid.Storage;
using Fluid.Storage.Mounts;
using Fluid.Testing;

namespace Fluid.Storage.Tests.Support;

/// <summary>
/// One S3 server and one nginx for the connector tests, with the same generated tree in three
/// places: a local directory (served by nginx and mounted as local:// and pvc://) and an S3 prefix.
/// </summary>
public sealed class StorageServersFixture : IAsyncLifetime
{
    /// <summary>The connectors every contract test runs against.</summary>
    public static readonly TheoryData<string> Connectors = new() { "local", "pvc", "s3", "http-json", "http-html" };

    public S3ServerFixture S3 { get; } = new();

    public NginxFixture Nginx { get; } = new();

    public TestTree Tree { get; } = TestTree.Generate(seed: 20260601, directories: 7, filesPerDirectory: 4, minSize: 1, maxSize: 200_000);

    public string Bucket { get; private set; } = string.Empty;

    public CapturingLoggerFactory Logs { get; } = new();

    /// <summary>A registry whose pvc root is nginx's served directory, so pvc://tree is the same tree.</summary>
    public UfsRegistry Registry { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Task.WhenAll(S3.InitializeAsync(), Nginx.InitializeAsync());
        Registry = UfsRegistry.CreateDefault(new UfsRegistryOptions { PvcRoot = Nginx.Root, LoggerFactory = Logs });
        await Tree.WriteToAsync(Path.Combine(Nginx.Root, "tree"));
        Directory.CreateDirectory(Path.Combine(Nginx.Root, "scratch"));
        Bucket = await S3.CreateBucketAsync("tree");
        await Tree.UploadAsync(S3.Client, Bucket, "tree");
        await S3.PutAsync(Bucket, "scratch/.keep", [1]);
    }

    public async Task DisposeAsync()
    {
        await S3.DisposeAsync();
        await Nginx.DisposeAsync();
    }

    /// <summary>The mount of <paramref name="root"/> ("tree" or "scratch") through <paramref name="connector"/>.</summary>
    public UfsMount Mount(string connector, string root = "tree", IReadOnlyDictionary<string, string>? options = null)
    {
        options ??= new Dictionary<string, string>();
        return connector switch
        {
            "local" => new UfsMount("local-" + root, $"local://{Nginx.Root}/{root}", options),
            "pvc" => new UfsMount("pvc-" + root, $"pvc://{root}", options),
            "s3" => S3.Mount("s3-" + root, Bucket, root, options),
            "http-json" => Nginx.JsonMount("json-" + root, root + "/", options),
            "http-html" => Nginx.HtmlMount("html-" + root, root + "/", options),
            _ => throw new ArgumentOutOfRangeException(nameof(connector), connector, "unknown connector"),
        };
    }

    public IUnderFileSystem Create(string connector, string root = "tree", IReadOnlyDictionary<string, string>? options = null) =>
        Registry.Create(Mount(connector, root, options));

    /// <summary>Writes (or rewrites) a file below the scratch root as <paramref name="connector"/> sees it.</summary>
    public async Task WriteScratchAsync(string connector, string relativePath, byte[] content, DateTime? modifiedUtc = null)
    {
        if (connector == "s3")
        {
            await S3.PutAsync(Bucket, "scratch/" + relativePath, content);
            return;
        }

        var path = Path.Combine(Nginx.Root, "scratch", relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, content);
        if (modifiedUtc is { } time)
        {
            File.SetLastWriteTimeUtc(path, time);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class StorageServersCollection : ICollectionFixture<StorageServersFixture>
{
    public const string Name = "storage servers";
}
