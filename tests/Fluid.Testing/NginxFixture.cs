using System.Globalization;
using Fluid.Storage.Mounts;
using Xunit;

namespace Fluid.Testing;

/// <summary>
/// A real nginx (/usr/sbin/nginx, from Debian) serving <see cref="Root"/> on a free loopback port
/// with a generated configuration in a unique temp directory (<c>daemon off</c>, one process, logs
/// and pid file in the temp directory, so instances run side by side, also as root).
/// Locations: <c>/json/</c> (autoindex json), <c>/html/</c> (autoindex html), <c>/plain/</c> (no index).
/// </summary>
public sealed class NginxFixture : IAsyncLifetime, IAsyncDisposable
{
    private const int StartAttempts = 5;

    private ServerProcess? _server;
    private string? _directory;

    /// <summary>The nginx binary; override with the NGINX environment variable.</summary>
    public static string ExecutablePath => Environment.GetEnvironmentVariable("NGINX") is { Length: > 0 } path ? path : "/usr/sbin/nginx";

    /// <summary>The directory served (write test files here).</summary>
    public string Root { get; private set; } = string.Empty;

    /// <summary>The temp directory with the configuration and the logs.</summary>
    public string ConfigDirectory => _directory ?? string.Empty;

    /// <summary>The server's port.</summary>
    public int Port { get; private set; }

    /// <summary>http://127.0.0.1:port/</summary>
    public Uri BaseUri => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");

    /// <summary>The URL of <paramref name="subPath"/> under the JSON-indexed location.</summary>
    public string JsonUrl(string subPath = "") => $"{BaseUri}json/{subPath}";

    /// <summary>The URL of <paramref name="subPath"/> under the HTML-indexed location.</summary>
    public string HtmlUrl(string subPath = "") => $"{BaseUri}html/{subPath}";

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"nginx is not installed at {ExecutablePath}; run scripts/install-test-deps.sh (./test.sh does) to install it.");
        }

        _directory = TestPaths.CreateTempDirectory("nginx");
        Root = Path.Combine(_directory, "www");
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Path.Combine(_directory, "logs"));
        Directory.CreateDirectory(Path.Combine(_directory, "temp"));

        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort.Next();
            var config = Path.Combine(_directory, "nginx.conf");
            await File.WriteAllTextAsync(config, Configuration(_directory, Root, Port)).ConfigureAwait(false);
            _server = ServerProcess.Start(ExecutablePath, ["-p", _directory, "-e", Path.Combine(_directory, "logs", "error.log"), "-c", config]);
            try
            {
                await _server.WaitForPortAsync(Port, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                return;
            }
            catch (InvalidOperationException) when (attempt < StartAttempts)
            {
                // Most likely another process took the port between picking and binding it.
                await _server.DisposeAsync().ConfigureAwait(false);
            }
            catch (InvalidOperationException ex)
            {
                throw new InvalidOperationException($"{ex.Message}\nerror.log:\n{ErrorLog()}", ex);
            }
        }
    }

    /// <summary>A mount of <paramref name="subPath"/> through the JSON index location.</summary>
    public UfsMount JsonMount(string name, string subPath = "", IReadOnlyDictionary<string, string>? options = null) =>
        new(name, JsonUrl(subPath), options ?? new Dictionary<string, string>());

    /// <summary>A mount of <paramref name="subPath"/> through the HTML index location.</summary>
    public UfsMount HtmlMount(string name, string subPath = "", IReadOnlyDictionary<string, string>? options = null) =>
        new(name, HtmlUrl(subPath), options ?? new Dictionary<string, string>());

    /// <summary>The server's error log so far.</summary>
    public string ErrorLog()
    {
        var path = Path.Combine(ConfigDirectory, "logs", "error.log");
        return File.Exists(path) ? File.ReadAllText(path) : string.Empty;
    }

    /// <summary>The access log so far (one line per request).</summary>
    public string[] AccessLog()
    {
        var path = Path.Combine(ConfigDirectory, "logs", "access.log");
        return File.Exists(path) ? File.ReadAllLines(path) : [];
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }

        TestPaths.DeleteQuietly(_directory);
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync().ConfigureAwait(false);

    private static string Configuration(string directory, string root, int port)
    {
        var temp = Path.Combine(directory, "temp");
        return $$"""
            # Generated by the test fixture: one foreground process, everything inside {{directory}}.
            daemon off;
            master_process off;
            worker_processes 1;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/logs/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log {{directory}}/logs/access.log;
                client_body_temp_path {{temp}}/body;
                proxy_temp_path {{temp}}/proxy;
                fastcgi_temp_path {{temp}}/fastcgi;
                uwsgi_temp_path {{temp}}/uwsgi;
                scgi_temp_path {{temp}}/scgi;
                default_type application/octet-stream;
                sendfile on;
                keepalive_requests 100000;
                server {
                    listen 127.0.0.1:{{port}};
                    server_name localhost;
                    location /json/ { alias {{root}}/; autoindex on; autoindex_format json; }
                    location /html/ { alias {{root}}/; autoindex on; autoindex_format html; autoindex_exact_size on; }
                    location /plain/ { alias {{root}}/; autoindex off; }
                }
            }
            """;
    }
}
