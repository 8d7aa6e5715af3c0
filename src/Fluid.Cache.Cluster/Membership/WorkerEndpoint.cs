using System.Globalization;

namespace Fluid.Cache.Cluster.Membership;

/// <summary>
/// A cache worker as membership reports it: its ring id (a StatefulSet pod name, or <c>worker-N</c>
/// standalone), where its data and control ports listen, and the node it runs on (for short-circuit reads).
/// </summary>
public sealed record WorkerEndpoint(string Id, string Host, int DataPort, int HttpPort = 0, string? NodeName = null)
{
    /// <summary>
    /// Parses <c>ID=HOST:DATAPORT[:HTTPPORT][@NODE]</c>, e.g. <c>worker-0=127.0.0.1:7520:7521@node-a</c>
    /// (IPv6 hosts in brackets: <c>w=[::1]:7520</c>).
    /// </summary>
    /// <exception cref="FormatException">The text does not have that shape; the message says which part is wrong.</exception>
    public static WorkerEndpoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new FormatException($"worker \"{text}\": expected ID=HOST:DATAPORT[:HTTPPORT][@NODE]");
        }

        var id = text[..equals];
        var rest = text[(equals + 1)..];
        string? node = null;
        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            node = rest[(at + 1)..];
            rest = rest[..at];
            if (node.Length == 0)
            {
                throw new FormatException($"worker \"{text}\": empty node name after '@'");
            }
        }

        string host;
        string ports;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= rest.Length || rest[close + 1] != ':')
            {
                throw new FormatException($"worker \"{text}\": an IPv6 host must look like [::1]:7520");
            }

            host = rest[1..close];
            ports = rest[(close + 2)..];
        }
        else
        {
            var colon = rest.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new FormatException($"worker \"{text}\": missing HOST:DATAPORT");
            }

            host = rest[..colon];
            ports = rest[(colon + 1)..];
        }

        var parts = ports.Split(':');
        if (parts.Length > 2 || !TryPort(parts[0], out var data) || (parts.Length == 2 && !TryPort(parts[1], out _)))
        {
            throw new FormatException($"worker \"{text}\": ports must be numbers from 1 to 65535 (DATAPORT[:HTTPPORT])");
        }

        var http = 0;
        if (parts.Length == 2)
        {
            TryPort(parts[1], out http);
        }

        return new WorkerEndpoint(id, host, data, http, node);
    }

    public override string ToString() =>
        $"{Id}={(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{DataPort}{(HttpPort > 0 ? $":{HttpPort}" : string.Empty)}{(NodeName is null ? string.Empty : "@" + NodeName)}";

    private static bool TryPort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535;
}
