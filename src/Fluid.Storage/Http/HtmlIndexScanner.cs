using System.Text;

namespace Fluid.Storage.Http;

/// <summary>
/// Pulls <c>href</c> attribute values out of an HTML directory index fed in chunks of any size,
/// keeping only the attribute being read (bounded), so a huge index is scanned in constant memory.
/// </summary>
internal sealed class HtmlIndexScanner
{
    private const int MaxHrefLength = 8192;
    private const string Href = "href";

    private readonly StringBuilder _value = new();
    private State _state;
    private int _matched;
    private char _quote;
    private bool _overflow;

    private enum State
    {
        Searching,
        AfterName,
        AfterEquals,
        InValue,
    }

    /// <summary>Scans <paramref name="chunk"/> and appends every completed href value to <paramref name="output"/>.</summary>
    public void Feed(ReadOnlySpan<char> chunk, List<string> output)
    {
        foreach (var c in chunk)
        {
            switch (_state)
            {
                case State.Searching:
                    if (char.ToLowerInvariant(c) == Href[_matched])
                    {
                        _matched++;
                        if (_matched == Href.Length)
                        {
                            _matched = 0;
                            _state = State.AfterName;
                        }
                    }
                    else
                    {
                        _matched = char.ToLowerInvariant(c) == Href[0] ? 1 : 0;
                    }

                    break;
                case State.AfterName:
                    if (c == '=')
                    {
                        _state = State.AfterEquals;
                    }
                    else if (!char.IsWhiteSpace(c))
                    {
                        _state = State.Searching;
                    }

                    break;
                case State.AfterEquals:
                    if (char.IsWhiteSpace(c))
                    {
                        break;
                    }

                    _value.Clear();
                    _overflow = false;
                    _state = State.InValue;
                    if (c is '"' or '\'')
                    {
                        _quote = c;
                    }
                    else if (c == '>')
                    {
                        _state = State.Searching;
                    }
                    else
                    {
                        _quote = '\0';
                        _value.Append(c);
                    }

                    break;
                case State.InValue:
                    var ends = _quote == '\0' ? char.IsWhiteSpace(c) || c == '>' : c == _quote;
                    if (ends)
                    {
                        if (!_overflow)
                        {
                            output.Add(_value.ToString());
                        }

                        _value.Clear();
                        _state = State.Searching;
                    }
                    else if (_value.Length < MaxHrefLength)
                    {
                        _value.Append(c);
                    }
                    else
                    {
                        _overflow = true;
                    }

                    break;
            }
        }
    }
}
