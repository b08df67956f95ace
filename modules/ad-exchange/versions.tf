terraform {
  # 1.9: validation conditions that refer to other variables and locals (pdb_min_available
  # against the replica floor, resource requests against limits).
  required_version = ">= 1.9"
  required_providers {
    k3s = {
      source  = "kvmcloud/k3s"
      version = ">= 0.1.0"
    }
  }
}
