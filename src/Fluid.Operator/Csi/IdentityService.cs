using Fluid.Operator.Csi.V1;
using Grpc.Core;

namespace Fluid.Operator.Csi;

/// <summary>CSI Identity: the driver's name and version, no plugin capabilities (a node-only plugin), always ready.</summary>
internal sealed class IdentityService(CsiOptions options) : Identity.IdentityBase
{
    public override Task<GetPluginInfoResponse> GetPluginInfo(GetPluginInfoRequest request, ServerCallContext context) =>
        Task.FromResult(new GetPluginInfoResponse { Name = CsiOptions.DriverName, VendorVersion = options.VendorVersion });

    // No CONTROLLER_SERVICE: volumes are provisioned by the operator and attached by nobody (attachRequired: false).
    public override Task<GetPluginCapabilitiesResponse> GetPluginCapabilities(GetPluginCapabilitiesRequest request, ServerCallContext context) =>
        Task.FromResult(new GetPluginCapabilitiesResponse());

    public override Task<ProbeResponse> Probe(ProbeRequest request, ServerCallContext context) =>
        Task.FromResult(new ProbeResponse { Ready = true });
}
