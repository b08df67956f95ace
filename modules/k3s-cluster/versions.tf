terraform {
  # 1.9: validation rules that refer to other inputs and to locals (unique names across
  # groups, addresses inside `cidr`).
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
