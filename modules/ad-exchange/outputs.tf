output "namespace" {
  description = "The namespace holding every object of the module."
  value       = var.namespace
  depends_on  = [k3s_manifest.base]
}

output "exchange_service_name" {
  description = "Name of the exchange's Service (ClusterIP)."
  value       = "exchange"
  depends_on  = [k3s_manifest.exchange]
}

output "exchange_service_port" {
  description = "Port of the exchange's Service."
  value       = local.exchange_port
}

output "exchange_url" {
  description = "In-cluster URL publishers post OpenRTB bid requests to."
  value       = "http://${local.service_host.exchange}:${local.exchange_port}/openrtb2/auction"
  depends_on  = [k3s_manifest.exchange]
}

output "bidder_urls" {
  description = "In-cluster bid URL of each bidder, by name (what the exchange's `--bidder` flags hold)."
  value       = { for name in local.bidder_names : name => "http://${local.service_host[name]}:${local.bidder_port}/openrtb2/bid" }
  depends_on  = [k3s_manifest.bidder]
}

output "objects" {
  description = "Every Kubernetes object the module manages, as `apiVersion/Kind namespace/name`."
  value = concat(
    k3s_manifest.base.objects,
    flatten([for name in local.bidder_names : k3s_manifest.bidder[name].objects]),
    k3s_manifest.exchange.objects,
  )
}
