using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Fluid.Storage.Mounts;
using Fluid.Storage.Resilience;
using Microsoft.Extensions.Logging;

namespace Fluid.Storage.Http;

/// <summary>
/// Creates <c>http://</c> and <c>https://</c> mounts: one pooled <see cref="SocketsHttpHandler"/> and
/// <see cref="HttpClient"/> per mount. Basic credentials come from <c>username</c>/<c>password</c> or the
/// URL's user info; extra request headers from <c>header.&lt;Name&gt;</c> options or secret options.
/// </summary>
internal sealed class HttpUfsFactory : IUfsFactory
{
    private const string HeaderPrefix = "header.";

    public IUnderFileSystem Create(UfsMount mount, UfsRegistryOptions options)
    {
        var label = UfsRegistry.MountLabel(mount);
        var reader = new MountOptionReader(mount);
        MountPoint.TrySplitScheme(mount.MountPoint, out var scheme, out var rest);
        var pathStart = rest.IndexOfAny(['/', '?', '#']);
        var pathPart = pathStart < 0 ? string.Empty : rest[pathStart..];
        Uri? baseUri = null;
        if (pathPart.Contains('?', StringComparison.Ordinal) || pathPart.Contains('#', StringComparison.Ordinal))
        {
            reader.AddProblem($"mountPoint: '{mount.SafeMountPoint}' must not have a query or fragment");
        }
        else if (MountPoint.NormalizeRoot(pathPart) is null)
        {
            reader.AddProblem($"mountPoint: '{mount.SafeMountPoint}' must not contain '.' or '..' segments");
        }
        else if (!Uri.TryCreate(mount.MountPoint, UriKind.Absolute, out baseUri) || baseUri.Host.Length == 0)
        {
            reader.AddProblem($"mountPoint: '{mount.SafeMountPoint}' is not a valid {scheme} URL");
            baseUri = null;
        }

        var indexText = reader.GetString("index") ?? "auto";
        var indexFormat = indexText.ToLowerInvariant() switch
        {
            "auto" => HttpIndexFormat.Auto,
            "json" => HttpIndexFormat.Json,
            "html" => HttpIndexFormat.Html,
            _ => (HttpIndexFormat?)null,
        };
        if (indexFormat is null)
        {
            reader.AddProblem($"options.index: '{indexText}' is not one of auto, json, html");
        }

        var maxConnections = reader.GetInt(32, 1, 1024, "max-connections");
        var policy = UfsCallPolicy.FromOptions(reader, options.DefaultPolicy);
        string? username = reader.GetSecret("username");
        string? password = reader.GetSecret("password");
        if (baseUri is { UserInfo.Length: > 0 })
        {
            var parts = baseUri.UserInfo.Split(':', 2);
            username ??= Uri.UnescapeDataString(parts[0]);
            password ??= parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : string.Empty;
        }

        if (password is not null && username is null)
        {
            reader.AddProblem("credentials: a password is set but no username");
        }

        var headers = new List<(string Name, string Value)>();
        foreach (var source in new[] { mount.Options, mount.SecretOptions })
        {
            foreach (var (key, value) in source)
            {
                if (key.StartsWith(HeaderPrefix, StringComparison.OrdinalIgnoreCase))
                {
                    var name = key[HeaderPrefix.Length..];
                    if (name.Length == 0 || name.Any(c => c <= ' ' || c >= 127 || c == ':'))
                    {
                        reader.AddProblem($"options.{key}: '{name}' is not a valid header name");
                    }
                    else
                    {
                        headers.Add((name, value));
                    }
                }
            }
        }

        reader.ThrowIfProblems(label);

        var normalizedBase = new UriBuilder(baseUri!) { UserName = string.Empty, Password = string.Empty };
        if (!normalizedBase.Path.EndsWith('/'))
        {
            normalizedBase.Path += "/";
        }

        var handler = new SocketsHttpHandler
        {
            // Re-resolve DNS now and then; drop idle sockets before servers and NATs do.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            MaxConnectionsPerServer = maxConnections,
            ConnectTimeout = policy.Timeout < TimeSpan.FromSeconds(10) ? policy.Timeout : TimeSpan.FromSeconds(10),
            // Redirects are interpreted (directory "dir" -> "dir/"), and byte ranges must not be decompressed.
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
        };
        var client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        if (username is not null)
        {
            var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}"));
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", token);
        }

        foreach (var (name, value) in headers)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation(name, value);
        }

        var logger = options.LoggerFactory.CreateLogger<HttpUnderFileSystem>();
        var secrets = new List<string?> { password, username is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")) };
        var redactor = SecretRedactor.ForMount(mount, secrets);
        var runner = new UfsCallRunner(label, policy, redactor, logger, HttpUnderFileSystem.Classify);
        var display = SecretRedactor.RedactUri(mount.MountPoint);
        return new HttpUnderFileSystem(client, normalizedBase.Uri, display, indexFormat!.Value, runner, logger);
    }
}
