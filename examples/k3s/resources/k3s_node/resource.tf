variable "kubeconfig" {
  type      = string
  sensitive = true
}

variable "worker_domain_id" {
  description = "The worker VM (e.g. libvirt_domain.worker.id) booting with k3s_cloud_init user-data."
  type        = string
}

# Waits until worker-3 is Ready; on destroy drains it and deletes it from the cluster
# before the VM it depends on is destroyed.
resource "k3s_node" "worker_3" {
  kubeconfig    = var.kubeconfig
  name          = "worker-3"
  timeout       = "15m"
  drain_timeout = "5m"

  lifecycle {
    replace_triggered_by = [terraform_data.worker_vm]
  }
}

resource "terraform_data" "worker_vm" {
  input = var.worker_domain_id
}
