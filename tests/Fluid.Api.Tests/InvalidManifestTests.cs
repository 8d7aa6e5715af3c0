using Fluid.Api.Manifests;

namespace Fluid.Api.Tests;

/// <summary>Each invalid manifest yields exactly the listed problems, with object, field path and message.</summary>
public class InvalidManifestTests
{
    private const string Mounts = "  mounts:\n    - mountPoint: s3://imagenet/train\n      name: train\n";
    private const string Level = "  tieredstore:\n    levels:\n      - mediumtype: MEM\n        path: /dev/shm\n";
    private const string Quota = "        quota: 1Gi\n";
    private const string Ds = "Dataset/imagenet";
    private const string Rt = "FluidCacheRuntime/imagenet";
    private const string Dl = "DataLoad/warmup";

    public static TheoryData<string, string, string[]> Cases => new()
    {
        {
            "unsupported scheme",
            D(Mounts + "    - mountPoint: ftp://files.example.org/imagenet\n      name: mirror\n"),
            [$"{Ds}: spec.mounts[1].mountPoint: scheme \"ftp\" is not supported (use s3://, http(s)://, pvc://, local://)"]
        },
        {
            "no scheme",
            D("  mounts:\n    - mountPoint: imagenet/train\n      name: train\n"),
            [$"{Ds}: spec.mounts[0].mountPoint: \"imagenet/train\" has no scheme (use s3://, http(s)://, pvc://, local://)"]
        },
        {
            "s3 without bucket",
            D("  mounts:\n    - mountPoint: s3://\n      name: train\n"),
            [$"{Ds}: spec.mounts[0].mountPoint: \"s3://\" has no bucket (write s3://bucket/prefix)"]
        },
        {
            "bad s3 bucket",
            D("  mounts:\n    - mountPoint: s3://Image_Net/train\n      name: train\n"),
            [$"{Ds}: spec.mounts[0].mountPoint: bucket \"Image_Net\" is not a valid S3 bucket name (3-63 lower-case letters, digits, '.' and '-')"]
        },
        {
            "http without host",
            D("  mounts:\n    - mountPoint: http:///imagenet\n      name: train\n"),
            [$"{Ds}: spec.mounts[0].mountPoint: \"http:///imagenet\" is not a valid URL (write http://host/path)"]
        },
        {
            "credentials in URL are refused and not printed",
            D("  mounts:\n    - mountPoint: https://alice:s3cr3t@files.example.org/imagenet\n      name: train\n"),
            [$"{Ds}: spec.mounts[0].mountPoint: \"https://***@files.example.org/imagenet\" must not carry credentials in the URL (use encryptOptions with a secretKeyRef)"]
        },
        {
            "pvc without claim",
            D("  mounts:\n    - mountPoint: pvc:///imagenet\n      name: train\n"),
            [$"{Ds}: spec.mounts[0].mountPoint: \"pvc:///imagenet\" has no claim name (write pvc://claim/subpath)"]
        },
        {
            "bad pvc claim",
            D("  mounts:\n    - mountPoint: pvc://Data_Claim/imagenet\n      name: train\n"),
            [$"{Ds}: spec.mounts[0].mountPoint: claim \"Data_Claim\" is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters)"]
        },
        {
            "relative local path",
            D("  mounts:\n    - mountPoint: local://data/imagenet\n      name: train\n"),
            [$"{Ds}: spec.mounts[0].mountPoint: \"local://data/imagenet\" must name an absolute path (write local:///data/imagenet)"]
        },
        {
            "dot-dot in mount point",
            D("  mounts:\n    - mountPoint: local:///data/../etc\n      name: train\n"),
            [$"{Ds}: spec.mounts[0].mountPoint: \"local:///data/../etc\" must not contain \"..\""]
        },
        {
            "dot-dot in mount path",
            D(Mounts + "      path: /imagenet/../../etc\n"),
            [$"{Ds}: spec.mounts[0].path: \"/imagenet/../../etc\" must not contain \"..\""]
        },
        {
            "relative mount path",
            D(Mounts + "      path: train\n"),
            [$"{Ds}: spec.mounts[0].path: \"train\" must start with \"/\""]
        },
        {
            "duplicate mount names",
            D(Mounts + "    - mountPoint: s3://imagenet/val\n      name: train\n      path: /val\n"),
            [$"{Ds}: spec.mounts[1].name: \"train\" is already the name of mounts[0]"]
        },
        {
            "duplicate mount paths",
            D(Mounts + "      path: /data\n    - mountPoint: s3://imagenet/val\n      name: val\n      path: /data/\n"),
            [$"{Ds}: spec.mounts[1].path: mounts[1] and mounts[0] both appear at \"/data\""]
        },
        {
            "nested mount paths",
            D(Mounts + "    - mountPoint: s3://imagenet/val\n      name: val\n      path: /train/val\n"),
            [$"{Ds}: spec.mounts[1].path: \"/train/val\" overlaps \"/train\" of mounts[0] (mount paths must not nest)"]
        },
        {
            "mount with neither name nor path",
            D("  mounts:\n    - mountPoint: s3://imagenet/train\n"),
            [$"{Ds}: spec.mounts[0].name: is required when path is not set (the mount appears at /<name>)"]
        },
        {
            "bad mount name",
            D("  mounts:\n    - mountPoint: s3://imagenet/train\n      name: train/2012\n"),
            [$"{Ds}: spec.mounts[0].name: \"train/2012\" must be letters, digits, '-', '_' or '.', starting and ending with a letter or digit"]
        },
        {
            "empty mounts",
            D("  mounts: []\n"),
            [$"{Ds}: spec.mounts: must have at least 1 item"]
        },
        {
            "dataset name not DNS-1035",
            "apiVersion: data.fluid.io/v1alpha1\nkind: Dataset\nmetadata:\n  name: ImageNet\nspec:\n" + Mounts,
            ["Dataset/ImageNet: metadata.name: \"ImageNet\" must be a DNS-1035 label (lower-case letters, digits and '-', starting with a letter and ending with a letter or digit, at most 63 characters)"]
        },
        {
            "runtime name starting with a digit",
            "apiVersion: data.fluid.io/v1alpha1\nkind: Dataset\nmetadata:\n  name: 1k-images\nspec:\n" + Mounts +
            "---\napiVersion: data.fluid.io/v1alpha1\nkind: FluidCacheRuntime\nmetadata:\n  name: 1k-images\nspec:\n" + Level + Quota,
            [
                "Dataset/1k-images: metadata.name: \"1k-images\" must be a DNS-1035 label (lower-case letters, digits and '-', starting with a letter and ending with a letter or digit, at most 63 characters)",
                "FluidCacheRuntime/1k-images: metadata.name: \"1k-images\" must be a DNS-1035 label (lower-case letters, digits and '-', starting with a letter and ending with a letter or digit, at most 63 characters)",
            ]
        },
        {
            "name longer than 63 characters",
            "apiVersion: data.fluid.io/v1alpha1\nkind: Dataset\nmetadata:\n  name: " + new string('a', 64) + "\nspec:\n" + Mounts,
            [$"Dataset/{new string('a', 64)}: metadata.name: \"{new string('a', 64)}\" must be a DNS-1035 label (lower-case letters, digits and '-', starting with a letter and ending with a letter or digit, at most 63 characters)"]
        },
        {
            "missing name",
            "apiVersion: data.fluid.io/v1alpha1\nkind: Dataset\nmetadata:\n  namespace: training\nspec:\n" + Mounts,
            ["Dataset at test.yaml:1: metadata.name: is required"]
        },
        {
            "bad namespace",
            "apiVersion: data.fluid.io/v1alpha1\nkind: Dataset\nmetadata:\n  name: imagenet\n  namespace: Training\nspec:\n" + Mounts,
            [$"{Ds}: metadata.namespace: \"Training\" must be a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)"]
        },
        {
            "bad label value",
            "apiVersion: data.fluid.io/v1alpha1\nkind: Dataset\nmetadata:\n  name: imagenet\n  labels:\n    team: vision team\nspec:\n" + Mounts,
            [$"{Ds}: metadata.labels[team]: \"vision team\" is not a valid label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)"]
        },
        {
            "unknown field with a near name",
            D("  mount:\n    - mountPoint: s3://imagenet/train\n      name: train\n"),
            [$"{Ds}: spec.mount: unknown field (did you mean \"mounts\"?)"]
        },
        {
            "unknown field without a near name",
            D(Mounts + "  cacheEverything: true\n"),
            [$"{Ds}: spec.cacheEverything: unknown field (known fields: mounts, owner, nodeAffinity, tolerations, accessModes, runtimes, placement, dataRestoreLocation, sharedOptions, sharedEncryptOptions)"]
        },
        {
            "camel-cased mediumtype",
            R("  tieredstore:\n    levels:\n      - mediumType: MEM\n        path: /dev/shm\n" + Quota),
            [$"{Rt}: spec.tieredstore.levels[0].mediumType: unknown field (did you mean \"mediumtype\"?)"]
        },
        {
            "unknown medium",
            R("  tieredstore:\n    levels:\n      - mediumtype: NVME\n        path: /dev/shm\n" + Quota),
            [$"{Rt}: spec.tieredstore.levels[0].mediumtype: unknown value \"NVME\" (use MEM, SSD, HDD)"]
        },
        {
            "unknown volume type",
            R(Level + Quota + "        volumeType: hostpath\n"),
            [$"{Rt}: spec.tieredstore.levels[0].volumeType: unknown value \"hostpath\" (use hostPath, emptyDir)"]
        },
        {
            "unknown placement",
            D(Mounts + "  placement: Share\n"),
            [$"{Ds}: spec.placement: unknown value \"Share\" (use Exclusive, Shared)"]
        },
        {
            "unknown access mode",
            D(Mounts + "  accessModes:\n    - ReadOnly\n"),
            [$"{Ds}: spec.accessModes[0]: unknown value \"ReadOnly\" (use ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod)"]
        },
        {
            "unquoted watermark",
            R(Level + Quota + "        high: 0.95\n"),
            [$"{Rt}: spec.tieredstore.levels[0].high: must be a string (write it in quotes: \"0.95\")"]
        },
        {
            "low not below high",
            R(Level + Quota + "        high: \"0.8\"\n        low: \"0.9\"\n"),
            [$"{Rt}: spec.tieredstore.levels[0].low: must be less than high (\"0.9\" >= \"0.8\")"]
        },
        {
            "high above one",
            R(Level + Quota + "        high: \"1.2\"\n        low: \"0.5\"\n"),
            [$"{Rt}: spec.tieredstore.levels[0].high: must be at most 1 (got \"1.2\")"]
        },
        {
            "low of zero",
            R(Level + Quota + "        low: \"0\"\n"),
            [$"{Rt}: spec.tieredstore.levels[0].low: must be greater than 0 (got \"0\")"]
        },
        {
            "watermark not a number",
            R(Level + Quota + "        high: ninety\n"),
            [$"{Rt}: spec.tieredstore.levels[0].high: \"ninety\" is not a number (write a ratio such as \"0.95\")"]
        },
        {
            "high below the default low",
            R(Level + Quota + "        high: \"0.6\"\n"),
            [$"{Rt}: spec.tieredstore.levels[0].high: must be greater than low (0.7 when low is not set)"]
        },
        {
            "quotaList count differs from directories",
            R("  tieredstore:\n    levels:\n      - mediumtype: SSD\n        path: /mnt/a,/mnt/b\n        quotaList: 10Gi,20Gi,30Gi\n"),
            [$"{Rt}: spec.tieredstore.levels[0].quotaList: 3 quotas for 2 directories in path (they must match one to one)"]
        },
        {
            "bad quotaList entry",
            R("  tieredstore:\n    levels:\n      - mediumtype: SSD\n        path: /mnt/a,/mnt/b\n        quotaList: 10GB,20Gi\n"),
            [$"{Rt}: spec.tieredstore.levels[0].quotaList: \"10GB\" is not a valid quantity (e.g. 10Gi, 500M, 100m)"]
        },
        {
            "spaces in quotaList",
            R("  tieredstore:\n    levels:\n      - mediumtype: SSD\n        path: /mnt/a,/mnt/b\n        quotaList: 10Gi, 20Gi\n"),
            [$"{Rt}: spec.tieredstore.levels[0].quotaList: \"10Gi, 20Gi\" must not contain spaces (write 10Gi,20Gi); Kubernetes rejects it"]
        },
        {
            "no quota",
            R(Level),
            [$"{Rt}: spec.tieredstore.levels[0].quota: quota or quotaList is required"]
        },
        {
            "zero quota",
            R(Level + "        quota: 0Gi\n"),
            [$"{Rt}: spec.tieredstore.levels[0].quota: must be greater than 0 (got 0)"]
        },
        {
            "malformed quota",
            R(Level + "        quota: 10GB\n"),
            [$"{Rt}: spec.tieredstore.levels[0].quota: \"10GB\" is not a valid quantity (e.g. 10Gi, 500M, 100m)"]
        },
        {
            "directory used by two levels",
            R(Level + Quota + "      - mediumtype: SSD\n        path: /mnt/ssd,/dev/shm\n        quotaList: 1Gi,1Gi\n"),
            [$"{Rt}: spec.tieredstore.levels[1].path: directory \"/dev/shm\" is also used by levels[0]"]
        },
        {
            "relative directory",
            R("  tieredstore:\n    levels:\n      - mediumtype: SSD\n        path: cache\n" + Quota),
            [$"{Rt}: spec.tieredstore.levels[0].path: directory \"cache\" must be an absolute path"]
        },
        {
            "two levels of one medium",
            R(Level + Quota + "      - mediumtype: MEM\n        path: /dev/shm2\n" + Quota),
            [$"{Rt}: spec.tieredstore.levels[1].mediumtype: MEM is already used by levels[0] (one level per medium)"]
        },
        {
            "no tieredstore",
            R("  replicas: 1\n"),
            [$"{Rt}: spec.tieredstore: is required (at least one cache level, for example mediumtype: MEM with a path and a quota)"]
        },
        {
            "page size not a power of two",
            R(Level + Quota + "  pageSize: 3Mi\n"),
            [$"{Rt}: spec.pageSize: must be a power of two from 64Ki to 64Mi (got 3Mi)"]
        },
        {
            "malformed metadata TTL",
            R(Level + Quota + "  metadataTTL: 60 seconds\n"),
            [$"{Rt}: spec.metadataTTL: \"60 seconds\" is not a valid duration (e.g. 60s, 1m30s, 250ms, 2h)"]
        },
        {
            "zero source timeout",
            R(Level + Quota + "  source:\n    timeout: 0s\n"),
            [$"{Rt}: spec.source.timeout: must be greater than 0 (got 0s)"]
        },
        {
            "negative replicas",
            R(Level + Quota + "  replicas: -1\n"),
            [$"{Rt}: spec.replicas: must be at least 0 (got -1)"]
        },
        {
            "quoted replicas",
            R(Level + Quota + "  replicas: \"2\"\n"),
            [$"{Rt}: spec.replicas: must be an integer, not a string (write 2 without quotes)"]
        },
        {
            "unknown fuse clean policy",
            R(Level + Quota + "  fuse:\n    cleanPolicy: Never\n"),
            [$"{Rt}: spec.fuse.cleanPolicy: unknown value \"Never\" (use OnDemand, OnRuntimeDeleted)"]
        },
        {
            "request above limit",
            R(Level + Quota + "  worker:\n    resources:\n      requests:\n        memory: 4Gi\n      limits:\n        memory: 2Gi\n"),
            [$"{Rt}: spec.worker.resources.requests[memory]: 4Gi is more than the limit 2Gi"]
        },
        {
            "misspelt resource",
            R(Level + Quota + "  fuse:\n    resources:\n      limits:\n        memroy: 2Gi\n"),
            [$"{Rt}: spec.fuse.resources.limits[memroy]: unknown resource (did you mean \"memory\"?)"]
        },
        {
            "env with value and valueFrom",
            R(Level + Quota + "  worker:\n    env:\n      - name: TOKEN\n        value: x\n        valueFrom:\n          secretKeyRef:\n            name: s\n            key: k\n"),
            [$"{Rt}: spec.worker.env[0]: set value or valueFrom, not both"]
        },
        {
            "runtime without dataset",
            "apiVersion: data.fluid.io/v1alpha1\nkind: FluidCacheRuntime\nmetadata:\n  name: imagenet\nspec:\n" + Level + Quota,
            [$"{Rt}: no Dataset \"imagenet\" in namespace \"default\" in this file (a runtime binds to the Dataset of the same name and namespace)"]
        },
        {
            "runtime in another namespace than its dataset",
            D(Mounts) + "---\napiVersion: data.fluid.io/v1alpha1\nkind: FluidCacheRuntime\nmetadata:\n  name: imagenet\n  namespace: training\nspec:\n" + Level + Quota,
            [$"{Rt}: no Dataset \"imagenet\" in namespace \"training\" in this file (a runtime binds to the Dataset of the same name and namespace)"]
        },
        {
            "two runtimes for one dataset",
            R(Level + Quota) + "---\napiVersion: data.fluid.io/v1alpha1\nkind: AlluxioRuntime\nmetadata:\n  name: imagenet\nspec:\n  replicas: 1\n",
            [
                "AlluxioRuntime/imagenet: this build cannot run AlluxioRuntime yet; use kind FluidCacheRuntime with the same tieredstore",
                "AlluxioRuntime/imagenet: Dataset \"imagenet\" already has runtime FluidCacheRuntime/imagenet (a Dataset binds one runtime)",
            ]
        },
        {
            "DataLoad target outside the dataset",
            D(Mounts) + L("  dataset:\n    name: imagenet\n  target:\n    - path: /validation\n"),
            [$"{Dl}: spec.target[0].path: \"/validation\" is not under any mount of Dataset \"imagenet\" (mount paths: /train)"]
        },
        {
            "DataLoad target with dot-dot",
            D(Mounts) + L("  dataset:\n    name: imagenet\n  target:\n    - path: /train/../../etc\n"),
            [$"{Dl}: spec.target[0].path: \"/train/../../etc\" must not contain \"..\""]
        },
        {
            "DataLoad targets with different replicas",
            D(Mounts) + L("  dataset:\n    name: imagenet\n  target:\n    - path: /train\n      replicas: 2\n    - path: /train\n"),
            [$"{Dl}: spec.target[1].replicas: this build loads every target with the same replicas: 1 differs from spec.target[0]'s 2 (split the DataLoad)"]
        },
        {
            "DataLoad with too many replicas",
            D(Mounts) + L("  dataset:\n    name: imagenet\n  target:\n    - path: /train\n      replicas: 17\n"),
            [$"{Dl}: spec.target[0].replicas: must be at most 16 (got 17)"]
        },
        {
            "cron without schedule",
            D(Mounts) + L("  dataset:\n    name: imagenet\n  policy: Cron\n"),
            [$"{Dl}: spec.schedule: is required when policy is Cron"]
        },
        {
            "bad cron schedule",
            D(Mounts) + L("  dataset:\n    name: imagenet\n  policy: Cron\n  schedule: 61 * * * *\n"),
            [$"{Dl}: spec.schedule: \"61 * * * *\": minute field \"61\" must be values from 0 to 59"]
        },
        {
            "cron schedule with too few fields",
            D(Mounts) + L("  dataset:\n    name: imagenet\n  policy: Cron\n  schedule: \"* * *\"\n"),
            [$"{Dl}: spec.schedule: \"* * *\" is not a valid cron schedule (5 fields: minute hour day-of-month month day-of-week)"]
        },
        {
            "OnEvent policy",
            D(Mounts) + L("  dataset:\n    name: imagenet\n  policy: OnEvent\n"),
            [$"{Dl}: spec.policy: this build cannot run policy OnEvent yet (use Once or Cron)"]
        },
        {
            "DataLoad of a dataset in another namespace",
            D(Mounts) + L("  dataset:\n    name: imagenet\n    namespace: other\n"),
            [
                $"{Dl}: spec.dataset.namespace: must be the DataLoad's own namespace (\"default\"): a DataLoad loads a Dataset of its namespace",
                $"warning: {Dl}: spec.dataset.name: Dataset \"imagenet\" is not in this file; the target paths were not checked against its mounts",
            ]
        },
        {
            "DataLoad without dataset",
            L("  loadMetadata: true\n"),
            [$"{Dl}: spec.dataset.name: is required"]
        },
        {
            "YAML syntax error",
            "apiVersion: data.fluid.io/v1alpha1\nkind: Dataset\nmetadata:\n  name: imagenet\nspec:\n  mounts:\n    - mountPoint: s3://imagenet/train\n     name: train\n",
            ["test.yaml:8:6: YAML syntax error: While parsing a block collection, did not find expected '-' indicator"]
        },
        {
            "missing kind",
            "apiVersion: data.fluid.io/v1alpha1\nmetadata:\n  name: imagenet\n",
            ["test.yaml:1:1: kind: is required (for example kind: Dataset)"]
        },
        {
            "unserved version",
            "apiVersion: data.fluid.io/v1beta1\nkind: Dataset\nmetadata:\n  name: imagenet\nspec:\n" + Mounts,
            [$"{Ds}: apiVersion: \"data.fluid.io/v1beta1\" is not served (use data.fluid.io/v1alpha1)"]
        },
        {
            "Fluid kind with a core apiVersion",
            "apiVersion: v1\nkind: Dataset\nmetadata:\n  name: imagenet\nspec:\n" + Mounts,
            [$"{Ds}: apiVersion: \"v1\" is not the API version of Dataset (use data.fluid.io/v1alpha1)"]
        },
        {
            "misspelt kind",
            "apiVersion: data.fluid.io/v1alpha1\nkind: Datset\nmetadata:\n  name: imagenet\n",
            ["Datset/imagenet: kind: \"Datset\" is not a kind of data.fluid.io/v1alpha1 (did you mean \"Dataset\"?)"]
        },
        {
            "duplicate field",
            D(Mounts + "  mounts:\n    - mountPoint: s3://imagenet/val\n      name: val\n"),
            [$"{Ds}: spec.mounts: duplicate field"]
        },
        {
            "object defined twice",
            D(Mounts) + "---\n" + D(Mounts),
            [$"{Ds}: is defined more than once (first at test.yaml:1)"]
        },
        {
            "toleration Exists with a value",
            D(Mounts + "  tolerations:\n    - key: dedicated\n      operator: Exists\n      value: audio\n"),
            [$"{Ds}: spec.tolerations[0].value: must be empty when operator is Exists"]
        },
        {
            "node selector In without values",
            D(Mounts + "  nodeAffinity:\n    required:\n      nodeSelectorTerms:\n        - matchExpressions:\n            - key: zone\n              operator: In\n"),
            [$"{Ds}: spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values: must have at least 1 value when operator is In"]
        },
        {
            "option set twice, plainly and from a secret",
            D(Mounts + "      options:\n        aws.region: us-east-1\n      encryptOptions:\n        - name: aws.region\n          valueFrom:\n            secretKeyRef:\n              name: creds\n"),
            [$"{Ds}: spec.mounts[0].encryptOptions[0].name: \"aws.region\" is also set in options"]
        },
        {
            "credential in plain options",
            D(Mounts + "      options:\n        aws.secretKey: hunter2\n"),
            [$"warning: {Ds}: spec.mounts[0].options[aws.secretKey]: looks like a credential written in plain text; move it to encryptOptions with a secretKeyRef"]
        },
        {
            "secret without the referenced key",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  aws.accessKeyId: x\n---\n" +
            D(Mounts + "      encryptOptions:\n        - name: aws.secretKey\n          valueFrom:\n            secretKeyRef:\n              name: creds\n              key: aws.secretKey\n"),
            [$"{Ds}: spec.mounts[0].encryptOptions[0].valueFrom.secretKeyRef.key: Secret \"creds\" in this file has no key \"aws.secretKey\""]
        },
        {
            "restore location with an unsupported scheme",
            D(Mounts + "  dataRestoreLocation:\n    path: s3://backups/imagenet\n"),
            [$"{Ds}: spec.dataRestoreLocation.path: \"s3://backups/imagenet\" must start with local:// or pvc://"]
        },
        {
            "bool given as text",
            D(Mounts + "      readOnly: sure\n"),
            [$"{Ds}: spec.mounts[0].readOnly: must be true or false, not \"sure\""]
        },
        {
            "list given where a mapping belongs",
            D("  mounts:\n    - - s3://imagenet/train\n"),
            [$"{Ds}: spec.mounts[0]: must be a mapping (key: value), not a list"]
        },
        {
            "document that is not an object",
            "just a string\n",
            ["test.yaml:1:1: expected an object with apiVersion and kind, found \"just a string\""]
        },
        {
            "every problem at once",
            "apiVersion: data.fluid.io/v1alpha1\nkind: Dataset\nmetadata:\n  name: imagenet\nspec:\n  mounts:\n    - mountPoint: ftp://x/y\n      name: a\n    - mountPoint: s3://b/c\n      name: a\n  placement: Everywhere\n",
            [
                $"{Ds}: spec.placement: unknown value \"Everywhere\" (use Exclusive, Shared)",
                $"{Ds}: spec.mounts[0].mountPoint: scheme \"ftp\" is not supported (use s3://, http(s)://, pvc://, local://)",
                $"{Ds}: spec.mounts[1].mountPoint: bucket \"b\" is not a valid S3 bucket name (3-63 lower-case letters, digits, '.' and '-')",
                $"{Ds}: spec.mounts[1].name: \"a\" is already the name of mounts[0]",
            ]
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Read_InvalidManifest_ReportsExactProblems(string name, string yaml, string[] expected)
    {
        var set = ManifestReader.Read(yaml, "test.yaml");

        Assert.True(name.Length > 0);
        Assert.Equal(expected, set.Problems.Select(p => p.ToString()).ToArray());
        Assert.Equal(expected.Any(e => !e.StartsWith("warning: ", StringComparison.Ordinal)), !set.IsValid);
    }

    [Fact]
    public void Cases_AreAtLeastForty() => Assert.True(Cases.Count >= 40, $"only {Cases.Count} cases");

    private static string D(string spec) => "apiVersion: data.fluid.io/v1alpha1\nkind: Dataset\nmetadata:\n  name: imagenet\nspec:\n" + spec;

    private static string R(string spec) => D(Mounts) + "---\napiVersion: data.fluid.io/v1alpha1\nkind: FluidCacheRuntime\nmetadata:\n  name: imagenet\nspec:\n" + spec;

    private static string L(string spec) => (spec.Length > 0 ? "---\n" : string.Empty) + "apiVersion: data.fluid.io/v1alpha1\nkind: DataLoad\nmetadata:\n  name: warmup\nspec:\n" + spec;
}
