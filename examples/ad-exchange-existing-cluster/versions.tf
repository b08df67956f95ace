terraform {
  required_version = ">= 1.9"
  required_providers {
    k3s = {
      source = "kvmcloud/k3s"
    }
  }
}
