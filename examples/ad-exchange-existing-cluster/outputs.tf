output "exchange_url" {
  description = "In-cluster URL of the exchange's auction endpoint."
  value       = module.ad_exchange.exchange_url
}

output "bidder_urls" {
  description = "In-cluster bid URL of each bidder."
  value       = module.ad_exchange.bidder_urls
}

output "objects" {
  description = "Every Kubernetes object the module manages."
  value       = module.ad_exchange.objects
}
