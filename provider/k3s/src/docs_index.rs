//! What the k3s provider adds to its generated documentation index (see
//! `tfplugin::docs::generator`), shared by the `k3s-docs` binary and the docs test.

use tfplugin::docs::generator::IndexText;

pub const INDEX: IndexText = IndexText {
    name: "k3s",
    example_hcl: PROVIDER_EXAMPLE,
    guide_md: GUIDE,
};

const PROVIDER_EXAMPLE: &str = r#"terraform {
  required_providers {
    k3s = {
      source = "kvmcloud/k3s"
    }
  }
}

provider "k3s" {}"#;

/// Provider-specific sections of the index page.
const GUIDE: &str = r#"## Credentials first, nodes second

[`k3s_cluster`](resources/cluster.md) generates everything a cluster's identity is made of
before any machine exists: the CA set k3s accepts as custom CAs, the secure join token and
an admin client certificate. Its `kubeconfig` is therefore known as soon as the resource
is created, and other providers or modules can be configured with it in the same run.
k3s uses CA files that exist in `/var/lib/rancher/k3s/server/tls` before its first start,
so every server receives `server_tls_files`.

Nodes get k3s in one of two ways, from the same install plan (files plus one script):

- **cloud-init**: [`k3s_cloud_init`](data-sources/cloud_init.md) renders the user-data for
  a first server (`cluster_init = true` for embedded etcd), joining servers and agents, merged
  with any cloud-init of your own. Hand it to `libvirt_cloudinit_disk` or a cloud's
  user-data.
- **SSH**: [`k3s_server`](resources/server.md) and [`k3s_agent`](resources/agent.md) upload
  the files and run the installer on existing machines, re-run it when the version or
  configuration changes (an in-place upgrade), and on destroy drain and delete the node,
  then uninstall k3s.

Either way the install is online (k3s's install script, a `version` or `channel`) or
air-gapped (`airgap`: a k3s binary, install script and image archive already on the
machine or on a labelled disk).

[`k3s_ready`](resources/ready.md) waits until the cluster answers `/ping`, passes the
authenticated `/readyz` and has the expected nodes Ready; [`k3s_node`](resources/node.md) is
one cloud-init node's membership (create waits for it, destroy drains and deletes it before
its machine goes); [`k3s_manifest`](resources/manifest.md)
applies Kubernetes objects server-side with the admin certificate, detects drift on
refresh and deletes the objects on destroy.

```terraform
resource "k3s_cluster" "lab" {
  name       = "lab"
  server_url = "https://192.168.122.10:6443"
}

data "k3s_cloud_init" "server" {
  role             = "server"
  cluster_init     = true
  token            = k3s_cluster.lab.token
  server_tls_files = k3s_cluster.lab.server_tls_files

  config {
    node_ip = ["192.168.122.10"]
    disable = ["traefik"]
  }

  online {
    channel = "stable"
  }
}

resource "k3s_ready" "lab" {
  kubeconfig = k3s_cluster.lab.kubeconfig
  min_nodes  = 1
}

output "kubeconfig" {
  value     = k3s_cluster.lab.kubeconfig
  sensitive = true
}
```

## Secrets

The token, the private keys and the kubeconfig are sensitive attributes: Terraform hides
them in plans and output, and the provider never logs them. They are stored in the
Terraform state, like every secret a Terraform-managed resource creates: keep the state in
an encrypted, access-controlled backend.

## Rotation

The CA set is a replacement of `k3s_cluster` (`terraform apply -replace=k3s_cluster.lab`,
or a change of `key_algorithm` or a validity), and every node must then be bootstrapped
again with the new files and token. The plan shows this as the cluster being replaced and
every dependent node changing."#;
