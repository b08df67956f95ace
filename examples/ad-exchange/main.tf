# The whole stack on one libvirt host: a k3s cluster of VMs (modules/k3s-cluster), installed
# air-gapped from one labelled bundle disk (k3s, install.sh, image archives including the
# bidder and exchange images), then the exchange and its bidders deployed onto it
# (modules/ad-exchange) once every node is Ready.
terraform {
  required_version = ">= 1.9"
  required_providers {
    libvirt = {
      source = "kvmcloud/libvirt"
    }
    k3s = {
      source = "kvmcloud/k3s"
    }
  }
}

provider "libvirt" {
  # null: LIBVIRT_DEFAULT_URI, then qemu:///system.
  uri = var.libvirt_uri
}

provider "k3s" {}

module "cluster" {
  source = "../../modules/k3s-cluster"

  name        = var.name
  cidr        = var.cidr
  base_image  = var.base_image
  pool_path   = var.pool_path
  domain_type = var.domain_type

  server_count = 1
  server_size  = { vcpu = 2, memory_mib = 2048, disk_gib = 10 }
  worker_count = var.worker_count
  worker_size  = { vcpu = 2, memory_mib = 2048, disk_gib = 10 }

  # scripts/airgap-bundle.sh lays the bundle out like this.
  airgap_bundle = var.airgap_bundle
  k3s_airgap = {
    binary_path         = "/mnt/k3s-airgap/k3s"
    install_script_path = "/mnt/k3s-airgap/install.sh"
    images_path         = "/mnt/k3s-airgap/images"
    mount_label         = "K3S"
  }
  server_disable = ["traefik"]

  user_data_parts = length(var.ssh_authorized_keys) == 0 ? [] : [
    "#cloud-config\n${yamlencode({ ssh_authorized_keys = var.ssh_authorized_keys })}",
  ]
  ready_timeout = "20m"
}

module "ad_exchange" {
  source = "../../modules/ad-exchange"

  kubeconfig   = module.cluster.kubeconfig
  bidder_count = var.bidder_count
  # The images come from the bundle's archives, imported by k3s at start: never pull.
  image_pull_policy = "Never"
  campaigns         = var.campaigns

  depends_on = [module.cluster]
}
