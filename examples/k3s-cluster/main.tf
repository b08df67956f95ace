# A k3s cluster on one libvirt host from modules/k3s-cluster: 1 server and 2 workers by
# default, each a VM booting a cloud image with cloud-init that installs k3s (air-gapped
# from files on the node, or online), and `terraform apply` waits until every node is Ready.
terraform {
  required_version = ">= 1.9"
  required_providers {
    libvirt = {
      source  = "kvmcloud/libvirt"
      version = ">= 0.1.0"
    }
    k3s = {
      source  = "kvmcloud/k3s"
      version = ">= 0.1.0"
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

  name              = var.name
  cidr              = var.cidr
  base_image        = var.base_image
  base_image_format = var.base_image_format
  pool_path         = var.pool_path
  domain_type       = var.domain_type

  server_count = var.server_count
  server_size  = { vcpu = 2, memory_mib = var.server_memory_mib, disk_gib = var.disk_gib }
  worker_count = var.worker_count
  worker_size  = { vcpu = 2, memory_mib = var.worker_memory_mib, disk_gib = var.disk_gib }

  k3s_airgap    = var.k3s_install == "airgap" ? var.k3s_airgap : null
  airgap_bundle = var.k3s_install == "airgap" ? var.airgap_bundle : null
  k3s_online    = var.k3s_install == "online" ? { version = var.k3s_version } : null

  user_data_parts = length(var.ssh_authorized_keys) == 0 ? [] : [
    "#cloud-config\n${yamlencode({ ssh_authorized_keys = var.ssh_authorized_keys })}",
  ]

  wait_for_ready = var.wait_for_ready

  # Only for special images such as the project's test image; cloud images boot from disk.
  kernel_image   = var.kernel_image
  initrd_image   = var.initrd_image
  kernel_cmdline = var.kernel_cmdline

  console_log_dir     = var.console_log_dir
  shutdown_timeout    = var.shutdown_timeout
  wait_for_ip_timeout = var.wait_for_ip_timeout
}
