using Fluid.Api.Manifests;
using Fluid.Cache;
using Fluid.Engine.Configuration;
using Fluid.Testing;

namespace Fluid.Engine.Tests;

/// <summary>Dataset + FluidCacheRuntime → cache options and mounts: every field, secrets, defaults, errors.</summary>
public sealed class ConfigurationMappingTests
{
    private const string FullManifest = """
        apiVersion: v1
        kind: Secret
        metadata:
          name: creds
          namespace: team
        data:
          access: QUtJQUVYQU1QTEU=
        stringData:
          secret: s3cr3t-value
          shared-token: t0ken-value
        ---
        apiVersion: data.fluid.io/v1alpha1
        kind: Dataset
        metadata:
          name: imagenet
          namespace: team
        spec:
          sharedOptions:
            region: eu-west-1
            endpoint: http://shared:9000
          sharedEncryptOptions:
            - name: session-token
              valueFrom:
                secretKeyRef:
                  name: creds
                  key: shared-token
          mounts:
            - mountPoint: s3://bucket/train
              name: train
              options:
                endpoint: http://own:9000
              encryptOptions:
                - name: access-key
                  valueFrom:
                    secretKeyRef:
                      name: creds
                      key: access
                - name: secret-key
                  valueFrom:
                    secretKeyRef:
                      name: creds
                      key: secret
            - mountPoint: https://mirror.example.com/val/
              path: /data/validation
        ---
        apiVersion: data.fluid.io/v1alpha1
        kind: FluidCacheRuntime
        metadata:
          name: imagenet
          namespace: team
        spec:
          replicas: 3
          pageSize: 256Ki
          metadataTTL: 2m
          source:
            timeout: 5s
            retries: 2
          tieredstore:
            levels:
              - mediumtype: SSD
                path: /mnt/ssd1,/mnt/ssd2
                quotaList: 10Gi,20Gi
                high: "0.9"
                low: "0.6"
              - mediumtype: MEM
                path: /dev/shm
                quota: 2Gi
              - mediumtype: HDD
                path: /mnt/hdd
                quota: 100Gi
        """;

    [Fact]
    public void FromManifests_MapsEveryField()
    {
        var configuration = EngineConfigurationMapper.FromManifests(ManifestReader.Read(FullManifest, "full.yaml"));

        Assert.Equal("imagenet", configuration.Name);
        Assert.Equal("team", configuration.Namespace);
        Assert.Equal("team/imagenet", configuration.Id);
        var cache = configuration.Cache;
        Assert.Equal("team/imagenet", cache.Name);
        Assert.Equal(256 << 10, cache.PageSize);
        Assert.Equal(TimeSpan.FromMinutes(2), cache.MetadataTtl);

        // Tiers fastest first, whatever the manifest's order; disk directories get namespace/name below them.
        Assert.Equal([MediumType.Mem, MediumType.Ssd, MediumType.Hdd], cache.Tiers.Select(t => t.Medium));
        Assert.Equal(2L << 30, cache.Tiers[0].Quota);
        Assert.Equal(0.95, cache.Tiers[0].High);
        Assert.Equal(0.7, cache.Tiers[0].Low);
        Assert.Equal(
            [new TierDirectory("/mnt/ssd1/team/imagenet", 10L << 30), new TierDirectory("/mnt/ssd2/team/imagenet", 20L << 30)],
            cache.Tiers[1].Directories);
        Assert.Equal(0.9, cache.Tiers[1].High);
        Assert.Equal(0.6, cache.Tiers[1].Low);
        Assert.Equal([new TierDirectory("/mnt/hdd/team/imagenet", 100L << 30)], cache.Tiers[2].Directories);

        // 5 s per attempt, 3 attempts, backoffs of at most 100 and 200 ms.
        Assert.Equal(TimeSpan.FromSeconds(5), configuration.SourcePolicy.Timeout);
        Assert.Equal(2, configuration.SourcePolicy.Retries);
        Assert.Equal(TimeSpan.FromSeconds(15.3), cache.SourceTimeout);
        Assert.Equal(TimeSpan.FromSeconds(17.3), configuration.RequestTimeout);

        Assert.Equal(2, configuration.Mounts.Count);
        var train = configuration.Mounts[0];
        Assert.Equal("train", train.Name);
        Assert.Equal("/train", train.Path);
        Assert.Equal("s3://bucket/train", train.Source.MountPoint);
        Assert.Equal("http://own:9000", train.Source.Options["endpoint"]); // the mount's own option wins
        Assert.Equal("eu-west-1", train.Source.Options["region"]);
        Assert.Equal("AKIAEXAMPLE", train.Source.SecretOptions["access-key"]); // data: base64
        Assert.Equal("s3cr3t-value", train.Source.SecretOptions["secret-key"]); // stringData
        Assert.Equal("t0ken-value", train.Source.SecretOptions["session-token"]); // sharedEncryptOptions

        var validation = configuration.Mounts[1];
        Assert.Equal("validation", validation.Name); // no name: the last segment of its path
        Assert.Equal("/data/validation", validation.Path);
        Assert.Equal("http://shared:9000", validation.Source.Options["endpoint"]);
        Assert.Equal("t0ken-value", validation.Source.SecretOptions["session-token"]);

        Assert.Contains(configuration.Notes, n => n.Contains("spec.replicas: 3", StringComparison.Ordinal));
        Assert.DoesNotContain(configuration.Notes, n => n.Contains("s3cr3t", StringComparison.Ordinal));
        Assert.DoesNotContain("s3cr3t-value", train.Source.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void SecretsDirectory_ProvidesKeysNotInTheManifest()
    {
        var directory = TestPaths.CreateTempDirectory("secrets");
        try
        {
            Directory.CreateDirectory(Path.Combine(directory, "s3-creds"));
            File.WriteAllText(Path.Combine(directory, "s3-creds", "access-key"), "from-dir-access\n");
            File.WriteAllText(Path.Combine(directory, "s3-creds", "secret-key"), "from-dir-secret");
            var configuration = EngineConfigurationMapper.FromManifests(ManifestReader.Read(SingleMount("s3-creds"), "x.yaml"), secretsDirectory: directory);
            var secrets = configuration.Mounts[0].Source.SecretOptions;
            Assert.Equal("from-dir-access", secrets["access-key"]); // the line break echo adds is dropped
            Assert.Equal("from-dir-secret", secrets["secret-key"]);

            // A key that would leave the directory is never read.
            var source = new DirectorySecretSource(directory);
            Assert.False(source.Find("default", "..", "etc").Found);
            Assert.False(source.Find("default", "s3-creds/../s3-creds", "access-key").Found);
        }
        finally
        {
            TestPaths.DeleteQuietly(directory);
        }
    }

    [Fact]
    public void ManifestSecret_IsTriedBeforeTheSecretsDirectory()
    {
        var manifest = SingleMount("s3-creds") + """

            ---
            apiVersion: v1
            kind: Secret
            metadata:
              name: s3-creds
            stringData:
              access-key: from-manifest
              secret-key: from-manifest-too
            """;
        var directory = TestPaths.CreateTempDirectory("secrets");
        try
        {
            Directory.CreateDirectory(Path.Combine(directory, "s3-creds"));
            File.WriteAllText(Path.Combine(directory, "s3-creds", "access-key"), "from-dir");
            var configuration = EngineConfigurationMapper.FromManifests(ManifestReader.Read(manifest, "x.yaml"), secretsDirectory: directory);
            Assert.Equal("from-manifest", configuration.Mounts[0].Source.SecretOptions["access-key"]);
        }
        finally
        {
            TestPaths.DeleteQuietly(directory);
        }
    }

    [Fact]
    public void MissingOrBrokenSecrets_NameTheFieldAndNeverTheValue()
    {
        // access-key: a Secret in the manifest with a value that is not base64; secret-key: a Secret found nowhere.
        var manifest = SingleMount("s3-creds").Replace("name: s3-creds\n              key: secret-key", "name: other-creds\n              key: secret-key", StringComparison.Ordinal) + """

            ---
            apiVersion: v1
            kind: Secret
            metadata:
              name: s3-creds
            data:
              access-key: "not base64 !!"
            """;
        var error = Assert.Throws<ConfigurationException>(() => EngineConfigurationMapper.FromManifests(ManifestReader.Read(manifest, "x.yaml"), secretsDirectory: "/nonexistent-dir"));
        Assert.Equal(
            [
                "Dataset/data: spec.mounts[0].encryptOptions[0].valueFrom.secretKeyRef: Secret \"s3-creds\": data[access-key]: is not valid base64 (use stringData for plain text)",
                "Dataset/data: spec.mounts[0].encryptOptions[1].valueFrom.secretKeyRef: secret \"other-creds\" key \"secret-key\" was not found in the Secrets in the manifest files or the secrets directory /nonexistent-dir",
            ],
            error.Problems);
        Assert.DoesNotContain("not base64 !!", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(8L << 30, 2L << 30)] // a quarter of what is available
    [InlineData(200L << 30, 16L << 30)] // at most 16 GiB
    [InlineData(100L << 20, 64L << 20)] // at least 64 MiB
    public void NoRuntime_GivesAMemTierSizedFromFreeMemory(long available, long expected)
    {
        var manifest = """
            apiVersion: data.fluid.io/v1alpha1
            kind: Dataset
            metadata:
              name: plain
            spec:
              mounts:
                - mountPoint: local:///data
                  name: data
            """;
        var configuration = EngineConfigurationMapper.FromManifests(ManifestReader.Read(manifest, "x.yaml"), memAvailable: available);
        var tier = Assert.Single(configuration.Cache.Tiers);
        Assert.Equal(MediumType.Mem, tier.Medium);
        Assert.Equal(expected, tier.Quota);
        Assert.Equal(1 << 20, configuration.Cache.PageSize); // FluidCacheRuntime's default page size
        Assert.Equal(TimeSpan.FromSeconds(60), configuration.Cache.MetadataTtl);
        Assert.Equal(TimeSpan.FromSeconds(30), configuration.SourcePolicy.Timeout);
        Assert.Equal(3, configuration.SourcePolicy.Retries);
        Assert.Contains(configuration.Notes, n => n.Contains("no FluidCacheRuntime for Dataset/plain", StringComparison.Ordinal) && n.Contains("25%", StringComparison.Ordinal));
        Assert.Equal("/data", configuration.Mounts[0].Path);
    }

    [Fact]
    public void MemAvailable_IsReadFromProcMeminfo()
    {
        var available = MemoryDefaults.ReadMemAvailable();
        Assert.NotNull(available);
        Assert.InRange(available!.Value, 1L << 20, 1L << 50);
    }

    [Fact]
    public void Choosing_TheDataset_NamesWhatIsThere()
    {
        var two = SingleMount("x").Replace("name: data\n", "name: one\n", StringComparison.Ordinal) + "\n---\n" + SingleMount("x").Replace("name: data\n", "name: two\n", StringComparison.Ordinal);
        var set = ManifestReader.Read(two.Replace("key: access-key", "key: a", StringComparison.Ordinal), "two.yaml");
        var several = Assert.Throws<ConfigurationException>(() => EngineConfigurationMapper.FromManifests(set));
        Assert.Equal("the manifest files hold 2 Datasets (one, two); choose one with --name", several.Message);
        var unknown = Assert.Throws<ConfigurationException>(() => EngineConfigurationMapper.FromManifests(set, "three"));
        Assert.Equal("--name: no Dataset \"three\" in the manifest files (found: one, two)", unknown.Message);
        var none = Assert.Throws<ConfigurationException>(() => EngineConfigurationMapper.FromManifests(ManifestReader.Read("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n", "s.yaml")));
        Assert.StartsWith("no Dataset in the manifest files", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidManifest_ReportsTheReadersProblems()
    {
        var manifest = """
            apiVersion: data.fluid.io/v1alpha1
            kind: Dataset
            metadata:
              name: bad
            spec:
              mount:
                - mountPoint: ftp://host/x
            """;
        var error = Assert.Throws<ConfigurationException>(() => EngineConfigurationMapper.FromManifests(ManifestReader.Read(manifest, "bad.yaml")));
        Assert.Contains(error.Problems, p => p.Contains("spec.mount: unknown field", StringComparison.Ordinal));
    }

    [Fact]
    public void Map_ReportsEveryFieldProblemAtOnce()
    {
        // Objects built in code skip the reader's checks; the mapper still names every bad field.
        var set = ManifestReader.Read("""
            apiVersion: data.fluid.io/v1alpha1
            kind: Dataset
            metadata:
              name: d
            spec:
              mounts:
                - mountPoint: local:///a
                  name: a
                - mountPoint: local:///b
                  name: b
            ---
            apiVersion: data.fluid.io/v1alpha1
            kind: FluidCacheRuntime
            metadata:
              name: d
            spec:
              tieredstore:
                levels:
                  - mediumtype: MEM
                    path: /dev/shm
                    quota: 1Gi
            """, "d.yaml");
        var dataset = set.Datasets.Single();
        var runtime = set.Runtimes.Single();
        var badDataset = dataset with
        {
            Spec = dataset.Spec! with
            {
                Mounts = [dataset.Spec.Mounts![0] with { Path = "/x/../y" }, dataset.Spec.Mounts[1] with { Name = "a" }],
            },
        };
        var level = runtime.Spec!.TieredStore!.Levels![0];
        var badRuntime = runtime with
        {
            Spec = runtime.Spec with
            {
                PageSize = Fluid.Api.Meta.Quantity.Parse("3Mi"),
                TieredStore = new Fluid.Api.Runtimes.TieredStore
                {
                    Levels = [level with { Quota = Fluid.Api.Meta.Quantity.Parse("512Ki") }, level with { MediumType = Fluid.Api.Runtimes.MediumType.SSD, Path = "relative/dir", High = "2" }],
                },
            },
        };
        var error = Assert.Throws<ConfigurationException>(() => EngineConfigurationMapper.Map(badDataset, badRuntime, new CompositeSecretSource([])));
        Assert.Equal(
            [
                "Dataset/d: spec.mounts[0].path: \"/x/../y\" must be an absolute path without empty, \".\" or \"..\" segments",
                "Dataset/d: spec.mounts[1].name: \"a\" is used by another mount",
                "FluidCacheRuntime/d: spec.pageSize: must be a power of two from 64Ki to 64Mi (got 3Mi)",
                "FluidCacheRuntime/d: spec.tieredstore.levels[0].quota: 512.00KiB is less than one page (1.00MiB)",
                "FluidCacheRuntime/d: spec.tieredstore.levels[1].high: must be greater than 0 and at most 1 (got \"2\")",
                "FluidCacheRuntime/d: spec.tieredstore.levels[1].path: directory \"relative/dir\" must be an absolute path without \".\" or \"..\"",
            ],
            error.Problems);
    }

    [Theory]
    [InlineData("/train", "ds", "train")]
    [InlineData("/data/val-2024/", "ds", "val-2024")]
    [InlineData("/", "ds", "ds")]
    [InlineData("/images (raw)", "ds", "images--raw-")]
    [InlineData(null, "ds", "ds")]
    public void DeriveMountName_UsesThePathsLastSegment(string? path, string dataset, string expected) =>
        Assert.Equal(expected, EngineConfigurationMapper.DeriveMountName(path, dataset));

    [Fact]
    public void DerivedNames_ThatCollide_GetTheMountIndex()
    {
        var manifest = """
            apiVersion: data.fluid.io/v1alpha1
            kind: Dataset
            metadata:
              name: d
            spec:
              mounts:
                - mountPoint: local:///a
                  path: /a/x
                - mountPoint: local:///b
                  path: /b/x
            """;
        var configuration = EngineConfigurationMapper.FromManifests(ManifestReader.Read(manifest, "d.yaml"), memAvailable: 1L << 30);
        Assert.Equal(["x", "x-1"], configuration.Mounts.Select(m => m.Name));
        Assert.Equal(["/a/x", "/b/x"], configuration.Mounts.Select(m => m.Path));
    }

    private static string SingleMount(string secret) => $"""
        apiVersion: data.fluid.io/v1alpha1
        kind: Dataset
        metadata:
          name: data
        spec:
          mounts:
            - mountPoint: s3://bucket
              name: data
              encryptOptions:
                - name: access-key
                  valueFrom:
                    secretKeyRef:
                      name: {secret}
                      key: access-key
                - name: secret-key
                  valueFrom:
                    secretKeyRef:
                      name: {secret}
                      key: secret-key
        """;
}
