#!/bin/sh
# Prints the ConfigMap `callscript-flows` holding every file of a flows
# directory (default: the shipped flows), for the Deployment to mount:
#   sh deploy/kubernetes/flows-configmap.sh flows | kubectl apply -f -
# The same as `kubectl create configmap callscript-flows --from-file=DIR
# --dry-run=client -o yaml`, without needing kubectl or a cluster.
set -eu
dir="${1:-$(dirname "$0")/../../flows}"
echo "# Made by deploy/kubernetes/flows-configmap.sh from $(basename "$dir")/."
echo "apiVersion: v1"
echo "kind: ConfigMap"
echo "metadata:"
echo "  name: callscript-flows"
echo "  labels:"
echo "    app.kubernetes.io/name: callscript"
echo "data:"
for file in "$dir"/*.toml; do
    [ -f "$file" ] || continue
    echo "  $(basename "$file"): |"
    sed 's/^/    /' "$file"
done
