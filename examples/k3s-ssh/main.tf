# A k3s cluster on machines that exist already, reached over SSH: credentials generated
# first, the first server starts the cluster, the others join, then the agents.

locals {
  server_names = sort(keys(var.servers))
  first        = local.server_names[0]
  api_url      = "https://${var.servers[local.first].ip}:6443"
  private_key  = file(pathexpand(var.ssh_private_key_file))
}

resource "k3s_cluster" "this" {
  name       = var.cluster_name
  server_url = local.api_url
}

resource "k3s_server" "first" {
  token            = k3s_cluster.this.token
  server_tls_files = k3s_cluster.this.server_tls_files
  cluster_init     = true
  kubeconfig       = k3s_cluster.this.kubeconfig

  ssh {
    host             = var.servers[local.first].host
    user             = var.ssh_user
    private_key      = local.private_key
    known_hosts_file = pathexpand(var.known_hosts_file)
  }

  config {
    node_name = local.first
    node_ip   = [var.servers[local.first].ip]
    tls_san   = [for s in var.servers : s.ip]
  }

  online {
    version = var.k3s_version
  }
}

resource "k3s_server" "joining" {
  for_each = { for name in slice(local.server_names, 1, length(local.server_names)) : name => var.servers[name] }

  token            = k3s_cluster.this.token
  server_tls_files = k3s_cluster.this.server_tls_files
  server_url       = local.api_url
  kubeconfig       = k3s_cluster.this.kubeconfig
  depends_on       = [k3s_server.first]

  ssh {
    host             = each.value.host
    user             = var.ssh_user
    private_key      = local.private_key
    known_hosts_file = pathexpand(var.known_hosts_file)
  }

  config {
    node_name = each.key
    node_ip   = [each.value.ip]
    tls_san   = [for s in var.servers : s.ip]
  }

  online {
    version = var.k3s_version
  }
}

resource "k3s_agent" "this" {
  for_each = var.agents

  token      = k3s_cluster.this.token
  server_url = local.api_url
  kubeconfig = k3s_cluster.this.kubeconfig
  depends_on = [k3s_server.first]

  ssh {
    host             = each.value.host
    user             = var.ssh_user
    private_key      = local.private_key
    known_hosts_file = pathexpand(var.known_hosts_file)
  }

  config {
    node_name   = each.key
    node_labels = each.value.labels
  }

  online {
    version = var.k3s_version
  }
}

resource "k3s_ready" "this" {
  kubeconfig = k3s_cluster.this.kubeconfig
  nodes      = concat(local.server_names, sort(keys(var.agents)))
  timeout    = "15m"
  depends_on = [k3s_server.first, k3s_server.joining, k3s_agent.this]
}
