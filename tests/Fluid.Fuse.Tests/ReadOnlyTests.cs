using Fluid.Fuse.Backend;
using Fluid.Fuse.Protocol;
using Fluid.Fuse.Tests.Support;
using static Fluid.Testing.Shell;

namespace Fluid.Fuse.Tests;

/// <summary>Every kind of write is refused with EROFS, and no path leaves the source directory.</summary>
public sealed class ReadOnlyTests
{
    private const string WriteProbe = """
        import errno, os, sys
        m = sys.argv[1]
        f = os.path.join(m, "hello.txt")
        d = os.path.join(m, "train")
        def attempt(name, action):
            try:
                action()
                print(name, "OK")
            except OSError as e:
                print(name, errno.errorcode.get(e.errno, e.errno))
        attempt("write", lambda: open(f, "r+b").write(b"x"))
        attempt("append", lambda: open(f, "ab").write(b"x"))
        attempt("create", lambda: open(os.path.join(m, "new.txt"), "wb"))
        attempt("truncate-open", lambda: open(f, "wb"))
        attempt("truncate", lambda: os.truncate(f, 1))
        attempt("unlink", lambda: os.unlink(f))
        attempt("rename", lambda: os.rename(f, os.path.join(m, "moved.txt")))
        attempt("mkdir", lambda: os.mkdir(os.path.join(m, "newdir")))
        attempt("rmdir", lambda: os.rmdir(os.path.join(m, "empty-dir")))
        attempt("symlink", lambda: os.symlink("hello.txt", os.path.join(m, "ln")))
        attempt("link", lambda: os.link(f, os.path.join(m, "hard")))
        attempt("chmod", lambda: os.chmod(f, 0o777))
        attempt("utime", lambda: os.utime(f, (1, 1)))
        attempt("mknod", lambda: os.mkfifo(os.path.join(m, "fifo")))
        attempt("setxattr", lambda: os.setxattr(f, "user.k", b"v"))
        """;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task EveryWrite_FailsWithErofs(bool kernelReadOnly)
    {
        using var tree = new TestTree();
        // Without MS_RDONLY the requests reach the file system, which must refuse them itself.
        await using var mount = await TestMount.StartAsync(tree, TestMount.DefaultOptions with { KernelReadOnly = kernelReadOnly, Passthrough = PassthroughMode.Off });
        var script = Path.Combine(tree.Root, "probe.py");
        await File.WriteAllTextAsync(script, WriteProbe);
        var lines = Ok($"python3 {Q(script)} {Q(mount.MountPoint)}").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(15, lines.Length);
        Assert.All(lines, line => Assert.EndsWith(" EROFS", line, StringComparison.Ordinal));

        foreach (var command in new[] { "touch {0}/new", "mkdir {0}/d", "rm {0}/hello.txt", "mv {0}/hello.txt {0}/x", "truncate -s 0 {0}/hello.txt", "cp {0}/hello.txt {0}/copy" })
        {
            var result = Run(string.Format(System.Globalization.CultureInfo.InvariantCulture, command, Q(mount.MountPoint)));
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("Read-only file system", result.Stderr, StringComparison.Ordinal);
        }

        Assert.Equal("hello, fluid\n", await File.ReadAllTextAsync(tree.SourcePath("hello.txt")));
        if (!kernelReadOnly)
        {
            // The attempts really reached the file system (and were refused there).
            Assert.True(mount.Metrics.Requests(FuseOpcode.SetAttr) + mount.Metrics.Requests(FuseOpcode.MkDir) + mount.Metrics.Requests(FuseOpcode.Unlink) > 0);
        }
    }

    [Fact]
    public async Task ErrnoForMissingAndMistypedPaths_IsCorrect()
    {
        using var tree = new TestTree();
        await using var mount = await TestMount.StartAsync(tree);
        var script = Path.Combine(tree.Root, "errno.py");
        await File.WriteAllTextAsync(script, """
            import errno, os, sys
            m = sys.argv[1]
            def attempt(name, action):
                try:
                    action()
                    print(name, "OK")
                except OSError as e:
                    print(name, errno.errorcode.get(e.errno, e.errno))
            attempt("missing", lambda: os.stat(os.path.join(m, "nope")))
            attempt("missing-again", lambda: open(os.path.join(m, "nope"), "rb"))
            attempt("not-a-dir", lambda: os.listdir(os.path.join(m, "hello.txt")))
            attempt("under-file", lambda: os.stat(os.path.join(m, "hello.txt", "x")))
            attempt("read-dir", lambda: os.read(os.open(os.path.join(m, "train"), os.O_RDONLY), 10))
            attempt("open-dir-for-write", lambda: os.open(os.path.join(m, "train"), os.O_WRONLY))
            attempt("long-name", lambda: os.stat(os.path.join(m, "x" * 300)))
            attempt("access-w", lambda: (_ for _ in ()).throw(OSError(errno.EROFS, "")) if not os.access(os.path.join(m, "hello.txt"), os.W_OK) else None)
            attempt("xattr", lambda: os.getxattr(os.path.join(m, "hello.txt"), "user.x"))
            """);
        var lines = Ok($"python3 {Q(script)} {Q(mount.MountPoint)}").Stdout;
        Assert.Equal(
            """
            missing ENOENT
            missing-again ENOENT
            not-a-dir ENOTDIR
            under-file ENOTDIR
            read-dir EISDIR
            open-dir-for-write EISDIR
            long-name ENAMETOOLONG
            access-w EROFS
            xattr ENOTSUP

            """.Replace("\r", string.Empty, StringComparison.Ordinal),
            lines);
    }

    [Fact]
    public async Task Paths_CannotLeaveTheSource()
    {
        using var tree = new TestTree();
        var outside = Path.Combine(tree.Root, "secret.txt");
        await File.WriteAllTextAsync(outside, "secret");
        File.CreateSymbolicLink(tree.SourcePath("to-etc"), "/etc");
        File.CreateSymbolicLink(tree.SourcePath("to-secret"), outside);
        File.CreateSymbolicLink(tree.SourcePath("train/up-up"), "../../secret.txt");
        File.CreateSymbolicLink(tree.SourcePath("train/inside"), "../hello.txt");
        await using var mount = await TestMount.StartAsync(tree);

        var listing = Ok($"ls -a {Q(mount.MountPoint)} {Q(mount.Path("train"))}").Stdout;
        Assert.DoesNotContain("to-etc", listing, StringComparison.Ordinal);
        Assert.DoesNotContain("to-secret", listing, StringComparison.Ordinal);
        Assert.DoesNotContain("up-up", listing, StringComparison.Ordinal);
        Assert.Contains("inside", listing, StringComparison.Ordinal); // a link that stays inside is served as its target
        Assert.Equal("hello, fluid\n", Ok($"cat {Q(mount.Path("train/inside"))}").Stdout);

        foreach (var escape in new[] { "to-etc/passwd", "to-secret", "train/up-up", "train/../to-secret" })
        {
            var result = Run($"cat {Q(mount.Path(escape))}");
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("No such file or directory", result.Stderr, StringComparison.Ordinal);
        }

        // ".." inside the mount is resolved by the kernel within the mount: the root's parent is the mount's parent.
        Assert.Equal(mount.MountPoint + "\n", Ok($"realpath {Q(mount.Path("train/class-a/../.."))}").Stdout);

        // The backend itself refuses anything but clean relative paths.
        using var backend = new DirectoryBackend(tree.Source);
        foreach (var bad in new[] { "..", "../secret.txt", "train/../../secret.txt", "/etc/passwd", "train//x", "./hello.txt", "to-etc", "to-etc/passwd" })
        {
            var stat = await backend.StatAsync(bad, CancellationToken.None);
            Assert.False(stat.IsSuccess, bad);
            var open = await backend.OpenAsync(bad, CancellationToken.None);
            Assert.False(open.IsSuccess, bad);
        }

        await Assert.ThrowsAsync<FsException>(async () =>
        {
            await foreach (var unused in backend.ListAsync("to-etc", CancellationToken.None))
            {
            }
        });
    }
}
