using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace Fluid.Operator.Tests.Packaging;

/// <summary>
/// Checks YAML documents against KubernetesClient's typed models: each document is turned into JSON (YAML 1.1 plain
/// scalars resolved as Kubernetes does) and deserialized into the model of its kind with unknown fields refused,
/// so a misspelt or misplaced field fails. Then a few required fields are checked.
/// </summary>
public static class KubeSchema
{
    private static readonly Dictionary<string, Type> Kinds = new(StringComparer.Ordinal)
    {
        ["v1/ServiceAccount"] = typeof(V1ServiceAccount),
        ["v1/Namespace"] = typeof(V1Namespace),
        ["rbac.authorization.k8s.io/v1/ClusterRole"] = typeof(V1ClusterRole),
        ["rbac.authorization.k8s.io/v1/ClusterRoleBinding"] = typeof(V1ClusterRoleBinding),
        ["rbac.authorization.k8s.io/v1/Role"] = typeof(V1Role),
        ["rbac.authorization.k8s.io/v1/RoleBinding"] = typeof(V1RoleBinding),
        ["apps/v1/Deployment"] = typeof(V1Deployment),
        ["apps/v1/StatefulSet"] = typeof(V1StatefulSet),
        ["apps/v1/DaemonSet"] = typeof(V1DaemonSet),
        ["storage.k8s.io/v1/CSIDriver"] = typeof(V1CSIDriver),
        ["v1/Service"] = typeof(V1Service),
        ["v1/PersistentVolume"] = typeof(V1PersistentVolume),
        ["v1/PersistentVolumeClaim"] = typeof(V1PersistentVolumeClaim),
        ["v1/ConfigMap"] = typeof(V1ConfigMap),
        ["v1/Secret"] = typeof(V1Secret),
        ["batch/v1/Job"] = typeof(V1Job),
        ["batch/v1/CronJob"] = typeof(V1CronJob),
        ["apiextensions.k8s.io/v1/CustomResourceDefinition"] = typeof(V1CustomResourceDefinition),
    };

    private static readonly JsonSerializerOptions Strict = CreateStrict();

    /// <summary>The documents of a multi-document YAML text as JSON objects (empty documents skipped).</summary>
    public static List<JsonObject> Documents(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return [.. stream.Documents.Where(d => d.RootNode is YamlMappingNode).Select(d => (JsonObject)ToJson(d.RootNode)!)];
    }

    /// <summary>Deserializes <paramref name="obj"/> strictly into its kind's model; returns the problems (empty when it conforms).</summary>
    public static List<string> Check(JsonObject obj)
    {
        var id = $"{obj["apiVersion"]}/{obj["kind"]}";
        var name = obj["metadata"]?["name"]?.ToString();
        if (!Kinds.TryGetValue(id, out var type))
        {
            return [$"{id} {name}: no model known for this kind"];
        }

        object? typed;
        try
        {
            typed = obj.Deserialize(type, Strict);
        }
        catch (JsonException e)
        {
            return [$"{id} {name}: {e.Message}"];
        }

        var problems = new List<string>();
        if (string.IsNullOrEmpty(name))
        {
            problems.Add($"{id}: metadata.name is required");
        }

        var pod = typed switch
        {
            V1Deployment d => d.Spec?.Template?.Spec,
            V1StatefulSet s => s.Spec?.Template?.Spec,
            V1DaemonSet ds => ds.Spec?.Template?.Spec,
            V1Job j => j.Spec?.Template?.Spec,
            V1CronJob cj => cj.Spec?.JobTemplate?.Spec?.Template?.Spec,
            _ => null,
        };
        if (pod is not null)
        {
            foreach (var container in pod.Containers ?? [])
            {
                if (string.IsNullOrEmpty(container.Name) || string.IsNullOrEmpty(container.Image))
                {
                    problems.Add($"{id} {name}: every container needs a name and an image");
                }
            }

            var volumes = (pod.Volumes ?? []).Select(v => v.Name).ToHashSet();
            foreach (var mount in (pod.Containers ?? []).Concat(pod.InitContainers ?? []).SelectMany(c => c.VolumeMounts ?? []))
            {
                if (!volumes.Contains(mount.Name))
                {
                    problems.Add($"{id} {name}: volumeMount {mount.Name} names no volume");
                }
            }
        }

        if (typed is V1Deployment deployment)
        {
            var selector = deployment.Spec.Selector.MatchLabels;
            if (selector.Any(p => !deployment.Spec.Template.Metadata.Labels.TryGetValue(p.Key, out var v) || v != p.Value))
            {
                problems.Add($"{id} {name}: the selector does not match the pod template's labels");
            }
        }

        return problems;
    }

    private static JsonSerializerOptions CreateStrict()
    {
        JsonSerializerOptions? captured = null;
        KubernetesJson.AddJsonOptions(o => captured = o);
        return new JsonSerializerOptions(captured ?? throw new InvalidOperationException("KubernetesJson gave no options"))
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        };
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(p => new KeyValuePair<string, JsonNode?>(((YamlScalarNode)p.Key).Value!, ToJson(p.Value)))),
        YamlSequenceNode seq => new JsonArray([.. seq.Children.Select(ToJson)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is not YamlDotNet.Core.ScalarStyle.Plain)
        {
            return JsonValue.Create(text);
        }

        if (text is "" or "~" or "null")
        {
            return null;
        }

        if (text is "true" or "false")
        {
            return JsonValue.Create(text == "true");
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && text.Any(char.IsDigit) && !text.Contains(':', StringComparison.Ordinal)
            ? JsonValue.Create(number)
            : JsonValue.Create(text);
    }
}
