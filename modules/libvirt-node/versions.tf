terraform {
  # 1.9: validation conditions that refer to other variables (vcpu_pinning vs vcpu, ...).
  required_version = ">= 1.9"
  required_providers {
    libvirt = {
      source  = "kvmcloud/libvirt"
      version = ">= 0.1.0"
    }
  }
}
