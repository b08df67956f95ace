terraform {
  required_providers {
    k3s = {
      source = "kvmcloud/k3s"
    }
    libvirt = {
      source = "kvmcloud/libvirt"
    }
  }
}

resource "k3s_cluster" "lab" {
  name       = "lab"
  server_url = "https://192.168.122.10:6443"
}

data "k3s_cloud_init" "agent" {
  role       = "agent"
  token      = k3s_cluster.lab.token
  server_url = k3s_cluster.lab.server_url

  config {
    node_labels = { "workload" = "bidder" }
  }

  # Your own cloud-init, merged with the k3s bootstrap.
  user_data_parts = [<<-YAML
    #cloud-config
    ssh_authorized_keys:
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHq8Q7lY3f1Nf8c0mXbX2bT0c2gq4m0xZ1oJQ6e3W9pD admin
    packages:
      - qemu-guest-agent
  YAML
  ]
}

resource "libvirt_cloudinit_disk" "agent" {
  name      = "agent-seed.iso"
  pool      = "default"
  user_data = data.k3s_cloud_init.agent.user_data
}
