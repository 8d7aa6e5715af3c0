using Fluid.Storage.Tests.Support;
using Fluid.Storage.Walking;

namespace Fluid.Storage.Tests;

[Collection(StorageServersCollection.Name)]
public sealed class S3PaginationTests
{
    private const int KeyCount = 1_000;

    private readonly StorageServersFixture _servers;

    public S3PaginationTests(StorageServersFixture servers)
    {
        _servers = servers;
    }

    [Fact]
    public async Task List_ManyKeysSmallPages_FollowsContinuationTokens()
    {
        var bucket = await _servers.S3.CreateBucketAsync("pages");
        await Parallel.ForAsync(0, KeyCount, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            await _servers.S3.PutAsync(bucket, $"many/k{i:D5}", [(byte)i]));
        await _servers.S3.PutAsync(bucket, "many/sub/inner", [1]);

        var options = new Dictionary<string, string> { ["page-size"] = "37" };
        await using var ufs = _servers.Registry.Create(_servers.S3.Mount("pages", bucket, string.Empty, options));
        var names = new List<string>();
        var directories = new List<string>();
        await foreach (var entry in ufs.ListAsync("many", CancellationToken.None))
        {
            (entry.IsDirectory ? directories : names).Add(entry.Name);
            if (!entry.IsDirectory)
            {
                Assert.Equal(1, entry.Length);
            }
        }

        Assert.Equal(Enumerable.Range(0, KeyCount).Select(i => $"k{i:D5}"), names.Order(StringComparer.Ordinal));
        Assert.Equal(["sub"], directories);

        var summary = await UfsWalker.SummarizeAsync(ufs, string.Empty, null, CancellationToken.None);
        Assert.Equal(KeyCount + 1, summary.FileCount);
        Assert.Equal(KeyCount + 1, summary.TotalBytes);
        Assert.Equal(2, summary.DirectoryCount);
    }
}
