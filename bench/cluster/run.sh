#!/usr/bin/env bash
# Reproduces the figures of docs/cluster.md: ring balance per virtual-node count, then the data-path
# run (protocol comparison and read paths) on loopback. Usage: bench/cluster/run.sh [clusters] [seconds-per-cell]
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build bench/cluster -c Release -v quiet -nologo
bench=artifacts/bin/Fluid.Cluster.Benchmarks/release/Fluid.Cluster.Benchmarks.dll
dotnet "$bench" ring "${1:-200}"
echo
dotnet "$bench" datapath "${2:-3}"
