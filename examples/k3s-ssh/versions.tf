terraform {
  required_version = ">= 1.5"
  required_providers {
    k3s = {
      source = "kvmcloud/k3s"
    }
  }
}
