using System.Text;
using System.Text.Json;
using Fluid.Storage.Http;

namespace Fluid.Storage.Tests;

public sealed class IndexParsingTests
{
    [Fact]
    public async Task JsonReader_HugeIndex_IsConsumedIncrementally()
    {
        const int count = 100_000;
        using var stream = new GeneratedIndexStream(count);
        using var reader = new NginxJsonIndexReader();
        var batch = new List<IndexItem>();

        Assert.True(await reader.ReadBatchAsync(stream, batch, CancellationToken.None));
        // The first entries come out after reading one buffer, not the whole ~10 MB document.
        Assert.NotEmpty(batch);
        Assert.True(stream.Produced <= 64 * 1024, $"read {stream.Produced} bytes before the first entries");
        Assert.Equal("file-0.bin", batch[0].Name);

        var total = batch.Count;
        batch.Clear();
        while (await reader.ReadBatchAsync(stream, batch, CancellationToken.None))
        {
            foreach (var item in batch)
            {
                Assert.Equal($"file-{total}.bin", item.Name);
                Assert.Equal(total, item.Size);
                total++;
            }

            batch.Clear();
        }

        Assert.Equal(count, total);
        Assert.True(stream.Produced > 5_000_000);
        Assert.True(reader.BufferSize <= 32 * 1024, $"buffer grew to {reader.BufferSize}");
    }

    [Fact]
    public async Task JsonReader_NginxFields_AreParsed()
    {
        var json = """
            [
            { "name":"dir a", "type":"directory", "mtime":"Wed, 01 Apr 2026 10:20:30 GMT" },
            { "name":"quote\"d \u00e9.bin", "type":"file", "mtime":"Thu, 02 Apr 2026 00:00:01 GMT", "size":12345678901 },
            { "name":"socket", "type":"other", "mtime":"Thu, 02 Apr 2026 00:00:01 GMT" }
            ]
            """;
        var items = await ParseAllAsync(Encoding.UTF8.GetBytes(json), chunk: 1);
        Assert.Equal(2, items.Count);
        Assert.Equal(new IndexItem("dir a", true, 0, new DateTimeOffset(2026, 4, 1, 10, 20, 30, TimeSpan.Zero)), items[0]);
        Assert.Equal(new IndexItem("quote\"d é.bin", false, 12345678901, new DateTimeOffset(2026, 4, 2, 0, 0, 1, TimeSpan.Zero)), items[1]);
    }

    [Fact]
    public async Task JsonReader_TokenLargerThanBuffer_Grows()
    {
        var name = new string('n', 100_000);
        var items = await ParseAllAsync(Encoding.UTF8.GetBytes($$"""[{"name":"{{name}}","type":"file","size":1}]"""), chunk: 4096);
        Assert.Equal(name, Assert.Single(items).Name);
    }

    [Theory]
    [InlineData("{\"name\":\"x\"}", "JSON object")]
    [InlineData("[{\"name\":\"x\",\"type\":\"file\"}", "")]
    [InlineData("", "")]
    [InlineData("<html>", "")]
    public async Task JsonReader_NotAnIndex_Throws(string text, string expected)
    {
        var error = await Assert.ThrowsAnyAsync<JsonException>(() => ParseAllAsync(Encoding.UTF8.GetBytes(text), chunk: 3));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HtmlScanner_ChunkBoundaries_DoNotMatter()
    {
        const string html = """
            <html><head><title>Index of /data/</title></head><body>
            <a href="../">../</a>
            <a HREF = "sub%20dir/">sub dir/</a>   01-Apr-2026 10:00  -
            <a href='a&amp;b.txt'>a&amp;b.txt</a> 01-Apr-2026 10:00  12
            <a href=plain.bin>plain.bin</a>
            </body></html>
            """;
        var whole = new List<string>();
        new HtmlIndexScanner().Feed(html, whole);
        var pieces = new List<string>();
        var scanner = new HtmlIndexScanner();
        foreach (var c in html)
        {
            scanner.Feed([c], pieces);
        }

        Assert.Equal(["../", "sub%20dir/", "a&amp;b.txt", "plain.bin"], whole);
        Assert.Equal(whole, pieces);
    }

    [Theory]
    [InlineData("sub%20dir/", "sub dir", true)]
    [InlineData("a&amp;b.txt", "a&b.txt", false)]
    [InlineData("plain.bin", "plain.bin", false)]
    [InlineData("/data/abs.bin", "abs.bin", false)]
    [InlineData("http://127.0.0.1:8080/data/full.bin", "full.bin", false)]
    [InlineData("na%C3%AFve.dat", "naïve.dat", false)]
    public void ChildOf_DirectChildren_AreRecognised(string href, string name, bool isDirectory)
    {
        var child = HttpUnderFileSystem.ChildOf(new Uri("http://127.0.0.1:8080/data/"), href);
        Assert.Equal((name, isDirectory), child);
    }

    [Theory]
    [InlineData("../")]
    [InlineData("/")]
    [InlineData("?C=N;O=D")]
    [InlineData("#top")]
    [InlineData("http://elsewhere.example/data/x.bin")]
    [InlineData("/other/x.bin")]
    [InlineData("sub/deeper.bin")]
    [InlineData("./")]
    [InlineData("%2e%2e/")]
    public void ChildOf_ParentsSortLinksAndOtherPlaces_AreIgnored(string href)
    {
        Assert.Null(HttpUnderFileSystem.ChildOf(new Uri("http://127.0.0.1:8080/data/"), href));
    }

    private static async Task<List<IndexItem>> ParseAllAsync(byte[] document, int chunk)
    {
        using var stream = new ChunkedStream(document, chunk);
        using var reader = new NginxJsonIndexReader();
        var items = new List<IndexItem>();
        while (await reader.ReadBatchAsync(stream, items, CancellationToken.None))
        {
        }

        return items;
    }

    /// <summary>Produces an nginx-style JSON index on the fly, never holding the document.</summary>
    private sealed class GeneratedIndexStream(int count) : Stream
    {
        private byte[] _pending = "[\n"u8.ToArray();
        private int _pendingOffset;
        private int _next;
        private bool _closed;

        public long Produced { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Produced; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int length) => Read(buffer.AsSpan(offset, length));

        public override int Read(Span<byte> buffer)
        {
            if (_pendingOffset == _pending.Length)
            {
                if (_next < count)
                {
                    var separator = _next + 1 < count ? "," : string.Empty;
                    _pending = Encoding.UTF8.GetBytes($"{{ \"name\":\"file-{_next}.bin\", \"type\":\"file\", \"mtime\":\"Wed, 01 Apr 2026 10:20:30 GMT\", \"size\":{_next} }}{separator}\n");
                    _next++;
                }
                else if (!_closed)
                {
                    _pending = "]\n"u8.ToArray();
                    _closed = true;
                }
                else
                {
                    return 0;
                }

                _pendingOffset = 0;
            }

            var n = Math.Min(buffer.Length, _pending.Length - _pendingOffset);
            _pending.AsSpan(_pendingOffset, n).CopyTo(buffer);
            _pendingOffset += n;
            Produced += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Returns at most <paramref name="chunk"/> bytes per read, to cut tokens at every position.</summary>
    private sealed class ChunkedStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }
}
