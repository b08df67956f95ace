# The exchange and its bidders on a k3s cluster you already have. The images must already be on
# the nodes: build them with `make image` (bidder/scripts/image.sh) and copy
# target-bidder/images/rtb-*.tar to /var/lib/rancher/k3s/agent/images/ before k3s starts, or run
# `k3s ctr images import FILE` on each node.
module "ad_exchange" {
  source = "../../modules/ad-exchange"

  kubeconfig       = file(pathexpand(var.kubeconfig_path))
  namespace        = var.namespace
  bidder_count     = var.bidder_count
  wait_for_rollout = var.wait_for_rollout

  campaigns = [
    {
      id       = "spring-sale"
      seat     = "seat-1"
      bid_cpm  = 2.5
      budget   = 1000
      adomain  = ["brand.example"]
      cat      = ["IAB22"]
      creative = { id = "cr-1", format = "banner", w = 300, h = 250, adm = "<a href='https://brand.example'><img src='https://cdn.example/1.png'></a>" }
      targeting = {
        countries = ["USA", "CAN"]
      }
    },
    {
      id             = "morning-video"
      seat           = "seat-1"
      bid_cpm        = 9
      budget         = 250
      pace_over_secs = 86400
      adomain        = ["brand.example"]
      creative       = { id = "cr-2", format = "video", mime = "video/mp4", duration = 15, adm = "<VAST version='4.0'></VAST>" }
      frequency_cap  = { max = 3, window_secs = 3600 }
    },
  ]
}
