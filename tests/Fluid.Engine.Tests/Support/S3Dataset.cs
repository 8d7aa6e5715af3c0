using System.Text;
using Fluid.Testing;

namespace Fluid.Engine.Tests.Support;

/// <summary>
/// A dataset in a bucket of a real S3 server: a generated tree plus a few large files (for passthrough
/// and offsets), with the expected bytes of every file and a local copy for <c>cmp</c>.
/// </summary>
public sealed class S3Dataset
{
    private S3Dataset(string bucket, IReadOnlyDictionary<string, byte[]> files, string localCopy)
    {
        Bucket = bucket;
        Files = files;
        LocalCopy = localCopy;
    }

    public string Bucket { get; }

    /// <summary>Path in the bucket → content.</summary>
    public IReadOnlyDictionary<string, byte[]> Files { get; }

    /// <summary>A directory holding the same files, for cmp.</summary>
    public string LocalCopy { get; }

    public long TotalBytes => Files.Values.Sum(f => (long)f.Length);

    public static async Task<S3Dataset> CreateAsync(S3ServerFixture s3, int seed, string localRoot)
    {
        var tree = TestTree.Generate(seed, directories: 5, filesPerDirectory: 4, minSize: 1, maxSize: 300 * 1024);
        var files = tree.Files.ToDictionary(f => f.Path, TestTree.ContentOf, StringComparer.Ordinal);

        // Larger than the passthrough threshold (1 MiB) and not a multiple of the page size.
        files["big/large-1.bin"] = TestTree.Bytes(seed + 1, (3 << 20) + 12345);
        files["big/large-2.bin"] = TestTree.Bytes(seed + 2, (2 << 20) + 1);
        files["big/readme.txt"] = Encoding.UTF8.GetBytes("large files for passthrough\n");
        var bucket = await s3.CreateBucketAsync("engine");
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (file, _) => await s3.PutAsync(bucket, file.Key, file.Value));
        foreach (var (path, content) in files)
        {
            var local = Path.Combine(localRoot, path);
            Directory.CreateDirectory(Path.GetDirectoryName(local)!);
            await File.WriteAllBytesAsync(local, content);
        }

        return new S3Dataset(bucket, files, localRoot);
    }

    /// <summary>A manifest for this bucket: a Secret (one key in data, one in stringData), the Dataset and a runtime.</summary>
    public string Manifest(string name, string endpoint, string mountPath, string cacheDirectory, string runtimeExtra = "", string sourceTimeout = "5s", int retries = 1, string ttl = "60s") => $$"""
        apiVersion: v1
        kind: Secret
        metadata:
          name: {{name}}-s3
        data:
          access-key: {{Convert.ToBase64String(Encoding.UTF8.GetBytes(S3ServerFixture.AccessKey))}}
        stringData:
          secret-key: {{S3ServerFixture.SecretKey}}
        ---
        apiVersion: data.fluid.io/v1alpha1
        kind: Dataset
        metadata:
          name: {{name}}
        spec:
          mounts:
            - mountPoint: s3://{{Bucket}}
              name: s3
              path: {{mountPath}}
              options:
                endpoint: {{endpoint}}
                region: us-east-1
              encryptOptions:
                - name: access-key
                  valueFrom:
                    secretKeyRef:
                      name: {{name}}-s3
                      key: access-key
                - name: secret-key
                  valueFrom:
                    secretKeyRef:
                      name: {{name}}-s3
                      key: secret-key
        ---
        apiVersion: data.fluid.io/v1alpha1
        kind: FluidCacheRuntime
        metadata:
          name: {{name}}
        spec:
          metadataTTL: {{ttl}}
          source:
            timeout: {{sourceTimeout}}
            retries: {{retries}}
          tieredstore:
            levels:
              - mediumtype: MEM
                path: /dev/shm
                quota: 64Mi
              - mediumtype: SSD
                path: {{cacheDirectory}}
                quota: 256Mi
        {{runtimeExtra}}
        """;
}
