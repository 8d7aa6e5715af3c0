using System.Globalization;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Fluid.Engine.Quickstart;

/// <summary>
/// A generated training-like dataset: many image-sized files of 100 KiB–1 MiB in shard directories and
/// a few large files, with deterministic random content, uploaded to an S3-protocol server. Every
/// directory holds a file of its own (<c>train/labels.csv</c>, <c>README.txt</c>), as real datasets do;
/// some S3-compatible servers (s3rver among them) do not list a prefix that holds only prefixes.
/// </summary>
public sealed record SampleDataset(int SmallFiles, int LargeFiles, int LargeFileMiB, int Seed = 1)
{
    public const int MinSmall = 100 << 10;
    public const int MaxSmall = 1 << 20;

    /// <summary>Every object: its key and size.</summary>
    public IReadOnlyList<(string Key, int Size)> Objects()
    {
        var random = new Random(Seed);
        var objects = new List<(string, int)>(SmallFiles + LargeFiles + 2) { ("README.txt", 4096), ("train/labels.csv", 16 << 10) };
        for (var i = 0; i < SmallFiles; i++)
        {
            objects.Add((string.Create(CultureInfo.InvariantCulture, $"train/shard-{i / 100:00}/img-{i:00000}.jpg"), random.Next(MinSmall, MaxSmall + 1)));
        }

        for (var i = 0; i < LargeFiles; i++)
        {
            objects.Add((string.Create(CultureInfo.InvariantCulture, $"archives/part-{i}.tar"), LargeFileMiB << 20));
        }

        return objects;
    }

    public long TotalBytes => Objects().Sum(o => (long)o.Size);

    /// <summary>The content of the object at <paramref name="index"/> in <see cref="Objects"/>.</summary>
    public byte[] Content(int index, int size)
    {
        var bytes = GC.AllocateUninitializedArray<byte>(size);
        new Random(HashCode.Combine(Seed, index)).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Creates <paramref name="bucket"/> and uploads every object, 8 at a time.</summary>
    public async Task UploadAsync(string endpoint, string accessKey, string secretKey, string bucket, CancellationToken cancellationToken)
    {
        using var client = new AmazonS3Client(
            new BasicAWSCredentials(accessKey, secretKey),
            new AmazonS3Config
            {
                ServiceURL = endpoint,
                ForcePathStyle = true,
                AuthenticationRegion = "us-east-1",
                RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
                ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
                IgnoreConfiguredEndpointUrls = true,
            });
        await client.PutBucketAsync(new PutBucketRequest { BucketName = bucket }, cancellationToken);
        var objects = Objects();
        await Parallel.ForEachAsync(Enumerable.Range(0, objects.Count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var (key, size) = objects[i];
            await client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket,
                Key = key,
                InputStream = new MemoryStream(Content(i, size)),
                AutoCloseStream = true,
                UseChunkEncoding = false, // s3rver would store aws-chunked signatures as content
            }, ct);
        });
    }
}
