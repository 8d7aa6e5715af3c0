using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace Fluid.Testing;

/// <summary>A file of a generated tree: its relative path, length and the seed of its content.</summary>
public sealed record TestFile(string Path, long Length, int ContentSeed);

/// <summary>
/// A deterministic random file tree: the same seed always gives the same directories, names, sizes
/// and bytes, so tests can compare what a connector returns against <see cref="ContentOf"/> without
/// keeping copies. Every directory holds at least one file (some S3 servers omit prefixes that hold
/// only prefixes). Names include a space and a non-ASCII letter to exercise escaping.
/// </summary>
public sealed class TestTree
{
    private TestTree(IReadOnlyList<string> directories, IReadOnlyList<TestFile> files)
    {
        Directories = directories;
        Files = files;
    }

    /// <summary>Every directory, relative, parents before children ("" not included).</summary>
    public IReadOnlyList<string> Directories { get; }

    /// <summary>Every file.</summary>
    public IReadOnlyList<TestFile> Files { get; }

    /// <summary>The sum of the file lengths.</summary>
    public long TotalBytes => Files.Sum(f => f.Length);

    /// <summary>Generates a tree.</summary>
    /// <param name="seed">Everything follows from it.</param>
    /// <param name="directories">How many directories besides the root.</param>
    /// <param name="filesPerDirectory">Files in each directory including the root (at least 1).</param>
    /// <param name="minSize">Smallest file size in bytes.</param>
    /// <param name="maxSize">Largest file size in bytes.</param>
    /// <param name="maxDepth">Deepest nesting of directories.</param>
    public static TestTree Generate(int seed, int directories = 6, int filesPerDirectory = 3, int minSize = 0, int maxSize = 256 * 1024, int maxDepth = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(filesPerDirectory, 1);
        var random = new Random(seed);
        var dirs = new List<string>();
        for (var i = 0; i < directories; i++)
        {
            // Parent: the root or an earlier directory that is not too deep.
            var candidates = dirs.Where(d => d.Count(c => c == '/') + 1 < maxDepth).Prepend(string.Empty).ToList();
            var parent = candidates[random.Next(candidates.Count)];
            var name = i % 4 == 3 ? $"dir {i}" : $"dir{i}";
            dirs.Add(parent.Length == 0 ? name : $"{parent}/{name}");
        }

        var files = new List<TestFile>();
        foreach (var directory in dirs.Prepend(string.Empty))
        {
            for (var j = 0; j < filesPerDirectory; j++)
            {
                var name = (j % 5) switch
                {
                    1 => $"file {j}.bin",
                    2 => $"naïve-{j}.dat",
                    _ => $"file{j}.bin",
                };
                var length = j == 0 && directory.Length == 0 ? 0 : random.NextInt64(minSize, maxSize + 1L);
                files.Add(new TestFile(directory.Length == 0 ? name : $"{directory}/{name}", length, random.Next()));
            }
        }

        return new TestTree(dirs, files);
    }

    /// <summary>The bytes of <paramref name="file"/>.</summary>
    public static byte[] ContentOf(TestFile file)
    {
        var bytes = new byte[file.Length];
        new Random(file.ContentSeed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Deterministic bytes for any (seed, length), for files outside a tree.</summary>
    public static byte[] Bytes(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Writes the tree under <paramref name="root"/> (created if missing).</summary>
    public async Task WriteToAsync(string root)
    {
        Directory.CreateDirectory(root);
        foreach (var directory in Directories)
        {
            Directory.CreateDirectory(Path.Combine(root, directory));
        }

        foreach (var file in Files)
        {
            await File.WriteAllBytesAsync(Path.Combine(root, file.Path), ContentOf(file)).ConfigureAwait(false);
        }
    }

    /// <summary>Uploads the tree to <paramref name="bucket"/> under <paramref name="prefix"/> with a few uploads in flight.</summary>
    public async Task UploadAsync(IAmazonS3 client, string bucket, string prefix = "", int parallelism = 8)
    {
        await Parallel.ForEachAsync(
            Files,
            new ParallelOptions { MaxDegreeOfParallelism = parallelism },
            async (file, token) =>
            {
                var key = prefix.Length == 0 ? file.Path : $"{prefix}/{file.Path}";
                // Unchunked: s3rver stores aws-chunked signatures as part of the content.
                await client.PutObjectAsync(
                    new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(ContentOf(file)), AutoCloseStream = true, UseChunkEncoding = false },
                    token).ConfigureAwait(false);
            }).ConfigureAwait(false);
    }

    /// <summary>A readable list of the tree, for assertion messages.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var file in Files)
        {
            text.Append(file.Path).Append(' ').Append(file.Length).Append('\n');
        }

        return text.ToString();
    }
}
