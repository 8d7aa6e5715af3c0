using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Fluid.Cache.Tests.Sources;
using Microsoft.Win32.SafeHandles;

namespace Fluid.Cache.Benchmarks;

/// <summary>
/// Cache hits against the physical limit: a MEM hit against a plain copy of the same bytes from
/// native memory, an SSD hit against reading the same bytes from a local file with RandomAccess
/// (both from the page cache, warm). Reads walk a 64 MiB file in <see cref="ReadSize"/> steps.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public unsafe class HitBenchmarks
{
    private const int FileSize = 64 << 20;
    private string _dir = string.Empty;
    private DatasetCache _memCache = null!;
    private DatasetCache _ssdCache = null!;
    private DatasetEntry _memEntry = null!;
    private DatasetEntry _ssdEntry = null!;
    private byte* _native;
    private SafeFileHandle _file = null!;
    private byte[] _buffer = [];
    private long _offset;

    [Params(128 * 1024, 1024 * 1024)]
    public int ReadSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var content = new byte[FileSize];
        new Random(1).NextBytes(content);
        var source = new MemoryUnderFileSystem();
        source.Write("f", content);
        _dir = Path.Combine(Path.GetTempPath(), "fluid-cache-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(_dir);

        _memCache = DatasetCache.OpenAsync(
            new CacheOptions { ReadaheadBytes = 0, MetadataTtl = TimeSpan.FromHours(1), Tiers = [new TierOptions { Medium = MediumType.Mem, Quota = 2L * FileSize }] },
            [new DatasetMount("m", source)]).GetAwaiter().GetResult();
        _ssdCache = DatasetCache.OpenAsync(
            new CacheOptions { ReadaheadBytes = 0, MetadataTtl = TimeSpan.FromHours(1), Tiers = [new TierOptions { Medium = MediumType.Ssd, Directories = [new TierDirectory(Path.Combine(_dir, "ssd"), 2L * FileSize)] }] },
            [new DatasetMount("m", source)]).GetAwaiter().GetResult();
        _memEntry = Warm(_memCache);
        _ssdEntry = Warm(_ssdCache);

        _native = (byte*)NativeMemory.AlignedAlloc(FileSize, 4096);
        content.CopyTo(new Span<byte>(_native, FileSize));
        var plain = Path.Combine(_dir, "plain.bin");
        File.WriteAllBytes(plain, content);
        _file = File.OpenHandle(plain);
        _buffer = new byte[ReadSize];
        RandomAccess.Read(_file, new byte[FileSize], 0);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _memCache.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _ssdCache.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _file.Dispose();
        NativeMemory.AlignedFree(_native);
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(Baseline = true), BenchmarkCategory("mem")]
    public int MemoryCopy()
    {
        var offset = Next();
        new ReadOnlySpan<byte>(_native + offset, ReadSize).CopyTo(_buffer);
        return ReadSize;
    }

    [Benchmark, BenchmarkCategory("mem")]
    public int MemHit() => _memCache.ReadAsync(_memEntry, Next(), _buffer, CancellationToken.None).GetAwaiter().GetResult();

    [Benchmark(Baseline = true), BenchmarkCategory("ssd")]
    public int LocalFileRead() => RandomAccess.Read(_file, _buffer, Next());

    [Benchmark, BenchmarkCategory("ssd")]
    public int SsdHit() => _ssdCache.ReadAsync(_ssdEntry, Next(), _buffer, CancellationToken.None).GetAwaiter().GetResult();

    private long Next()
    {
        var offset = _offset;
        _offset = (offset + ReadSize) % FileSize;
        return offset;
    }

    private static DatasetEntry Warm(DatasetCache cache)
    {
        var entry = cache.StatAsync("/m/f", CancellationToken.None).AsTask().GetAwaiter().GetResult()!;
        var buffer = new byte[1 << 20];
        for (long offset = 0; offset < FileSize; offset += buffer.Length)
        {
            cache.ReadAsync(entry, offset, buffer, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }

        return entry;
    }
}
