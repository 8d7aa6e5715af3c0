using k8s;
using k8s.Exceptions;

namespace Fluid.Cli.Commands;

/// <summary>How the commands that talk to Kubernetes find it: a kubeconfig file when given, else the pod's in-cluster configuration, else the default kubeconfig.</summary>
internal static class KubeConfig
{
    /// <exception cref="InvalidOperationException">No usable configuration; the message says where it looked and why it failed.</exception>
    public static KubernetesClientConfiguration Load(string? kubeconfig)
    {
        try
        {
            return kubeconfig is not null
                ? KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig)
                : KubernetesClientConfiguration.IsInCluster()
                    ? KubernetesClientConfiguration.InClusterConfig()
                    : KubernetesClientConfiguration.BuildDefaultConfig();
        }
        catch (Exception ex) when (ex is KubeConfigException or IOException or UnauthorizedAccessException or ArgumentException or FormatException or InvalidOperationException)
        {
            var where = kubeconfig is not null ? $"--kubeconfig {kubeconfig}" : "the in-cluster configuration or ~/.kube/config";
            throw new InvalidOperationException($"no Kubernetes configuration from {where}: {ex.Message} (pass --kubeconfig, or run in a pod)", ex);
        }
    }
}
