using Fluid.Cli;

return await FluidCommandLine.InvokeAsync(args).ConfigureAwait(false);
