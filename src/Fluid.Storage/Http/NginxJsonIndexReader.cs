using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace Fluid.Storage.Http;

/// <summary>One entry of a directory index.</summary>
internal readonly record struct IndexItem(string Name, bool IsDirectory, long Size, DateTimeOffset? Modified);

/// <summary>
/// Parses nginx's <c>autoindex_format json</c> output (<c>[{"name":"a","type":"file","mtime":"…","size":1}, …]</c>)
/// incrementally with <see cref="Utf8JsonReader"/> over a small reusable buffer, so a listing of any
/// size is consumed in constant memory. Entries of type "other" are skipped.
/// </summary>
internal sealed class NginxJsonIndexReader : IDisposable
{
    private const int InitialBufferSize = 16 * 1024;
    private const int MaxBufferSize = 16 * 1024 * 1024;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
    private int _start;
    private int _end;
    private bool _endOfStream;
    private bool _done;
    private JsonReaderState _state = new(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });

    private bool _sawArray;
    private Field _field;
    private string? _name;
    private string? _type;
    private long _size;
    private DateTimeOffset? _modified;

    private enum Field
    {
        Other,
        Name,
        Type,
        Mtime,
        Size,
    }

    /// <summary>How many bytes the reader holds at most (the buffer); grows only for a single huge token.</summary>
    public int BufferSize => _buffer.Length;

    /// <summary>
    /// Reads more of <paramref name="stream"/> and appends the entries completed by it to
    /// <paramref name="output"/>. Returns false once the array has ended and nothing more will come.
    /// </summary>
    /// <exception cref="JsonException">The document is not valid JSON or not an nginx index.</exception>
    public async ValueTask<bool> ReadBatchAsync(Stream stream, List<IndexItem> output, CancellationToken cancellationToken)
    {
        while (!_done)
        {
            if (!_endOfStream)
            {
                if (_start > 0 && _start == _end)
                {
                    _start = _end = 0;
                }
                else if (_end == _buffer.Length)
                {
                    Compact();
                }

                var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    _endOfStream = true;
                }

                _end += read;
            }

            var before = output.Count;
            Parse(output);
            if (_endOfStream && !_done)
            {
                throw new JsonException(_sawArray ? "the index ended before its closing ']'" : "the index is empty");
            }

            if (output.Count > before)
            {
                return true;
            }
        }

        return false;
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Compact()
    {
        var pending = _end - _start;
        if (_start == 0)
        {
            // One token fills the whole buffer: grow (bounded) so it can complete.
            if (_buffer.Length >= MaxBufferSize)
            {
                throw new JsonException($"an index token is longer than {MaxBufferSize} bytes");
            }

            var larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            _buffer.AsSpan(0, pending).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
        else
        {
            _buffer.AsSpan(_start, pending).CopyTo(_buffer);
        }

        _start = 0;
        _end = pending;
    }

    private void Parse(List<IndexItem> output)
    {
        var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), _endOfStream, _state);
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartArray when reader.CurrentDepth == 0:
                    _sawArray = true;
                    break;
                case JsonTokenType.EndArray when reader.CurrentDepth == 0:
                    _done = true;
                    break;
                case JsonTokenType.StartObject when reader.CurrentDepth == 0:
                    throw new JsonException("the index is a JSON object, expected nginx's JSON array (autoindex_format json)");
                case JsonTokenType.StartObject when reader.CurrentDepth == 1:
                    _name = _type = null;
                    _size = 0;
                    _modified = null;
                    _field = Field.Other;
                    break;
                case JsonTokenType.PropertyName when reader.CurrentDepth == 2:
                    _field = reader.ValueTextEquals("name"u8) ? Field.Name
                        : reader.ValueTextEquals("type"u8) ? Field.Type
                        : reader.ValueTextEquals("mtime"u8) ? Field.Mtime
                        : reader.ValueTextEquals("size"u8) ? Field.Size
                        : Field.Other;
                    break;
                case JsonTokenType.String or JsonTokenType.Number when reader.CurrentDepth == 2:
                    ReadValue(ref reader);
                    _field = Field.Other;
                    break;
                case JsonTokenType.EndObject when reader.CurrentDepth == 1:
                    if (_name is not null && _type is "file" or "directory")
                    {
                        output.Add(new IndexItem(_name, _type == "directory", _size, _modified));
                    }

                    break;
                case JsonTokenType.String or JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null when reader.CurrentDepth == 0:
                    throw new JsonException("the index is not a JSON array (autoindex_format json)");
                default:
                    break;
            }
        }

        _state = reader.CurrentState;
        _start += (int)reader.BytesConsumed;
    }

    private void ReadValue(ref Utf8JsonReader reader)
    {
        switch (_field)
        {
            case Field.Name when reader.TokenType == JsonTokenType.String:
                _name = reader.GetString();
                break;
            case Field.Type when reader.TokenType == JsonTokenType.String:
                _type = reader.ValueTextEquals("file"u8) ? "file" : reader.ValueTextEquals("directory"u8) ? "directory" : "other";
                break;
            case Field.Size when reader.TokenType == JsonTokenType.Number:
                _size = reader.TryGetInt64(out var size) ? size : 0;
                break;
            case Field.Mtime when reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && !reader.HasValueSequence:
                _modified = Utf8Parser.TryParse(reader.ValueSpan, out DateTimeOffset modified, out _, 'R') ? modified : null;
                break;
            case Field.Mtime when reader.TokenType == JsonTokenType.String:
                _modified = DateTimeOffset.TryParseExact(reader.GetString(), "r", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
                break;
            default:
                break;
        }
    }
}
