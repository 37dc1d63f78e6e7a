#!/bin/sh
# Writes plans/<case>.json (or $PLANS_DIR/<case>.json) from terraform/<case>/main.tf with the Terraform CLI, offline: the AWS provider
# is taken from a local plugin directory (TF_PLUGIN_DIR, /opt/tf-plugins by default).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
plugins=${TF_PLUGIN_DIR:-/opt/tf-plugins}
out=${PLANS_DIR:-$here/plans}
mkdir -p "$out"
for case in "${@:-compliant noncompliant unknown}"; do
  for name in $case; do
    work=$(mktemp -d)
    cp "$here/terraform/provider.tf.txt" "$work/provider.tf"
    cp "$here/terraform/$name/main.tf" "$work/main.tf"
    (cd "$work" && terraform init -input=false -no-color -plugin-dir="$plugins" >/dev/null \
      && terraform plan -input=false -no-color -out=tfplan >/dev/null \
      && terraform show -json tfplan) >"$out/$name.json"
    rm -rf "$work"
  done
done
