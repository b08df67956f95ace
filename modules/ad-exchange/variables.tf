variable "kubeconfig" {
  description = "Kubeconfig of the cluster to deploy onto (`k3s_cluster.kubeconfig`, or the contents of a kubeconfig file)."
  type        = string
  sensitive   = true
  validation {
    condition     = length(trimspace(var.kubeconfig)) > 0
    error_message = "kubeconfig must hold a kubeconfig document (for example k3s_cluster.lab.kubeconfig or file(\"~/.kube/config\")), not an empty string."
  }
}

variable "namespace" {
  description = "Namespace created for the exchange, the bidders and the campaigns ConfigMap."
  type        = string
  default     = "ad-exchange"
  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS label: 1-63 lowercase letters, digits or dashes, starting and ending with a letter or digit."
  }
}

variable "cluster_domain" {
  description = "The cluster's DNS domain, used in the in-cluster URLs the exchange calls the bidders at (k3s: `cluster.local`)."
  type        = string
  default     = "cluster.local"
  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", var.cluster_domain))
    error_message = "cluster_domain must be a DNS name such as \"cluster.local\"."
  }
}

variable "bidder_count" {
  description = "How many bidders the exchange calls. Each is its own Deployment, Service, HPA and PodDisruptionBudget named `bidder-1` ... `bidder-N`, so changing the count adds or removes only the last ones."
  type        = number
  default     = 2
  validation {
    condition     = var.bidder_count >= 1 && var.bidder_count <= 100 && floor(var.bidder_count) == var.bidder_count
    error_message = "bidder_count must be a whole number from 1 to 100: the exchange refuses to start without a bidder."
  }
}

variable "bidder_replicas" {
  description = "Pods per bidder when `bidder_autoscaling.enabled` is false. With autoscaling on, the Deployment leaves `replicas` to its HPA (between `min_replicas` and `max_replicas`)."
  type        = number
  default     = 2
  validation {
    condition     = var.bidder_replicas >= 1 && floor(var.bidder_replicas) == var.bidder_replicas
    error_message = "bidder_replicas must be a whole number >= 1."
  }
}

variable "exchange_replicas" {
  description = "Exchange pods when `exchange_autoscaling.enabled` is false. With autoscaling on, the Deployment leaves `replicas` to its HPA."
  type        = number
  default     = 2
  validation {
    condition     = var.exchange_replicas >= 1 && floor(var.exchange_replicas) == var.exchange_replicas
    error_message = "exchange_replicas must be a whole number >= 1."
  }
}

variable "bidder_autoscaling" {
  description = "HorizontalPodAutoscaler (autoscaling/v2) of each bidder: replica bounds and the average CPU utilization (percent of the CPU request) it keeps pods at."
  type = object({
    enabled                = optional(bool, true)
    min_replicas           = optional(number, 2)
    max_replicas           = optional(number, 6)
    target_cpu_utilization = optional(number, 70)
  })
  default  = {}
  nullable = false
  validation {
    condition     = var.bidder_autoscaling.min_replicas >= 1 && floor(var.bidder_autoscaling.min_replicas) == var.bidder_autoscaling.min_replicas
    error_message = "bidder_autoscaling.min_replicas must be a whole number >= 1."
  }
  validation {
    condition     = var.bidder_autoscaling.max_replicas >= var.bidder_autoscaling.min_replicas && floor(var.bidder_autoscaling.max_replicas) == var.bidder_autoscaling.max_replicas
    error_message = "bidder_autoscaling.max_replicas must be a whole number >= bidder_autoscaling.min_replicas."
  }
  validation {
    condition     = var.bidder_autoscaling.target_cpu_utilization >= 1 && var.bidder_autoscaling.target_cpu_utilization <= 100 && floor(var.bidder_autoscaling.target_cpu_utilization) == var.bidder_autoscaling.target_cpu_utilization
    error_message = "bidder_autoscaling.target_cpu_utilization must be a whole percentage from 1 to 100."
  }
}

variable "exchange_autoscaling" {
  description = "HorizontalPodAutoscaler (autoscaling/v2) of the exchange: replica bounds and the average CPU utilization (percent of the CPU request) it keeps pods at."
  type = object({
    enabled                = optional(bool, true)
    min_replicas           = optional(number, 2)
    max_replicas           = optional(number, 4)
    target_cpu_utilization = optional(number, 70)
  })
  default  = {}
  nullable = false
  validation {
    condition     = var.exchange_autoscaling.min_replicas >= 1 && floor(var.exchange_autoscaling.min_replicas) == var.exchange_autoscaling.min_replicas
    error_message = "exchange_autoscaling.min_replicas must be a whole number >= 1."
  }
  validation {
    condition     = var.exchange_autoscaling.max_replicas >= var.exchange_autoscaling.min_replicas && floor(var.exchange_autoscaling.max_replicas) == var.exchange_autoscaling.max_replicas
    error_message = "exchange_autoscaling.max_replicas must be a whole number >= exchange_autoscaling.min_replicas."
  }
  validation {
    condition     = var.exchange_autoscaling.target_cpu_utilization >= 1 && var.exchange_autoscaling.target_cpu_utilization <= 100 && floor(var.exchange_autoscaling.target_cpu_utilization) == var.exchange_autoscaling.target_cpu_utilization
    error_message = "exchange_autoscaling.target_cpu_utilization must be a whole percentage from 1 to 100."
  }
}

variable "bidder_pdb_min_available" {
  description = "PodDisruptionBudget (policy/v1) `minAvailable` of each bidder: a pod count (\"1\") or a percentage (\"50%\")."
  type        = string
  default     = "1"
  validation {
    condition     = can(regex("^([0-9]+|[0-9]{1,2}%)$", var.bidder_pdb_min_available))
    error_message = "bidder_pdb_min_available must be a whole number of pods (\"1\") or a percentage from 0% to 99% (\"50%\")."
  }
  validation {
    condition     = endswith(var.bidder_pdb_min_available, "%") || try(tonumber(var.bidder_pdb_min_available) < local.replica_floor.bidder, true)
    error_message = "bidder_pdb_min_available must be below the bidders' lowest replica count (bidder_autoscaling.min_replicas, or bidder_replicas without autoscaling), or draining a node could never evict a bidder pod."
  }
}

variable "exchange_pdb_min_available" {
  description = "PodDisruptionBudget (policy/v1) `minAvailable` of the exchange: a pod count (\"1\") or a percentage (\"50%\")."
  type        = string
  default     = "1"
  validation {
    condition     = can(regex("^([0-9]+|[0-9]{1,2}%)$", var.exchange_pdb_min_available))
    error_message = "exchange_pdb_min_available must be a whole number of pods (\"1\") or a percentage from 0% to 99% (\"50%\")."
  }
  validation {
    condition     = endswith(var.exchange_pdb_min_available, "%") || try(tonumber(var.exchange_pdb_min_available) < local.replica_floor.exchange, true)
    error_message = "exchange_pdb_min_available must be below the exchange's lowest replica count (exchange_autoscaling.min_replicas, or exchange_replicas without autoscaling), or draining a node could never evict an exchange pod."
  }
}

# Defaults sized from bidder/README.md ("Measured" table, one tokio worker per service):
# - bidder CPU: request 500m = the "bidder at half its rate (16,000 req/s)" row, which held p99
#   under 1 ms on one worker; limit 1 = the one core on which it reached ~32,000 req/s with p99
#   < 2 ms (the "bidder, 1,000 campaigns" row). The limit also sets BIDDER_WORKERS (rounded up).
# - memory: the README has no memory figure. Measured for this module on the same machine with
#   `loadgen run`: peak RSS 29 MB for a bidder with 1,000 campaigns at 16,000 req/s, 29 MB for the
#   exchange at 2,000 req/s. Request 64Mi = about twice that; limit 256Mi leaves room for larger
#   campaign sets and bodies in flight.
variable "bidder_resources" {
  description = "CPU and memory requests and limits of each bidder container, as Kubernetes quantities (`500m`, `1`, `64Mi`). The CPU limit, rounded up, is also the bidder's worker thread count."
  type = object({
    requests = optional(object({
      cpu    = optional(string, "500m")
      memory = optional(string, "64Mi")
    }), {})
    limits = optional(object({
      cpu    = optional(string, "1")
      memory = optional(string, "256Mi")
    }), {})
  })
  default  = {}
  nullable = false
  validation {
    condition     = alltrue([for q in [var.bidder_resources.requests.cpu, var.bidder_resources.limits.cpu] : can(regex(local.cpu_pattern, q))])
    error_message = "bidder_resources CPU quantities must be cores (\"1\", \"0.5\") or millicores (\"500m\")."
  }
  validation {
    condition     = alltrue([for q in [var.bidder_resources.requests.memory, var.bidder_resources.limits.memory] : can(regex(local.memory_pattern, q))])
    error_message = "bidder_resources memory quantities must be bytes with an optional suffix Ki, Mi, Gi, Ti, k, M, G or T (\"64Mi\", \"1Gi\", \"500M\")."
  }
  validation {
    condition = try(alltrue([
      for pair in [for kind in ["cpu", "memory"] : [
        for q in [var.bidder_resources.requests[kind], var.bidder_resources.limits[kind]] :
        tonumber(regex(local.quantity_parts, q)[0]) * local.quantity_factors[regex(local.quantity_parts, q)[1]]
      ]] : pair[0] <= pair[1]
    ]), true)
    error_message = "bidder_resources requests must not exceed limits (Kubernetes refuses such a pod)."
  }
}

# Exchange CPU: the README's only exchange figure is 1,000 auctions/s against 3 bidders with a
# whole-auction p99 under 1 ms; request 250m covers that rate several times over, limit 1 = one
# worker thread like the bidder. Memory: see bidder_resources.
variable "exchange_resources" {
  description = "CPU and memory requests and limits of each exchange container, as Kubernetes quantities. The CPU limit, rounded up, is also the exchange's worker thread count."
  type = object({
    requests = optional(object({
      cpu    = optional(string, "250m")
      memory = optional(string, "64Mi")
    }), {})
    limits = optional(object({
      cpu    = optional(string, "1")
      memory = optional(string, "256Mi")
    }), {})
  })
  default  = {}
  nullable = false
  validation {
    condition     = alltrue([for q in [var.exchange_resources.requests.cpu, var.exchange_resources.limits.cpu] : can(regex(local.cpu_pattern, q))])
    error_message = "exchange_resources CPU quantities must be cores (\"1\", \"0.5\") or millicores (\"500m\")."
  }
  validation {
    condition     = alltrue([for q in [var.exchange_resources.requests.memory, var.exchange_resources.limits.memory] : can(regex(local.memory_pattern, q))])
    error_message = "exchange_resources memory quantities must be bytes with an optional suffix Ki, Mi, Gi, Ti, k, M, G or T (\"64Mi\", \"1Gi\", \"500M\")."
  }
  validation {
    condition = try(alltrue([
      for pair in [for kind in ["cpu", "memory"] : [
        for q in [var.exchange_resources.requests[kind], var.exchange_resources.limits[kind]] :
        tonumber(regex(local.quantity_parts, q)[0]) * local.quantity_factors[regex(local.quantity_parts, q)[1]]
      ]] : pair[0] <= pair[1]
    ]), true)
    error_message = "exchange_resources requests must not exceed limits (Kubernetes refuses such a pod)."
  }
}

variable "bidder_image" {
  description = "Bidder image without its tag. The default is the name `bidder/scripts/image.sh` gives the air-gap archive `rtb-bidder-TAG.tar`, which k3s imports from /var/lib/rancher/k3s/agent/images/."
  type        = string
  default     = "docker.io/library/rtb-bidder"
  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9._/:]*[a-z0-9])?$", var.bidder_image)) && !can(regex(":[^/]*$", var.bidder_image))
    error_message = "bidder_image must be an image name without a tag, such as \"docker.io/library/rtb-bidder\" (the tag goes in image_tag)."
  }
}

variable "exchange_image" {
  description = "Exchange image without its tag (default: the name of the air-gap archive `rtb-exchange-TAG.tar` from `bidder/scripts/image.sh`)."
  type        = string
  default     = "docker.io/library/rtb-exchange"
  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9._/:]*[a-z0-9])?$", var.exchange_image)) && !can(regex(":[^/]*$", var.exchange_image))
    error_message = "exchange_image must be an image name without a tag, such as \"docker.io/library/rtb-exchange\" (the tag goes in image_tag)."
  }
}

variable "image_tag" {
  description = "Tag of both images (`IMAGE_TAG` of `bidder/scripts/image.sh`)."
  type        = string
  default     = "0.1.0"
  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be a Docker tag (letters, digits, '_', '.', '-'; at most 128) other than \"latest\": a latest tag makes Kubernetes pull from a registry, which an air-gapped cluster cannot reach."
  }
}

variable "image_pull_policy" {
  description = "`IfNotPresent` uses the imported air-gap image and pulls only when it is missing; `Never` fails the pod instead of pulling."
  type        = string
  default     = "IfNotPresent"
  validation {
    condition     = contains(["IfNotPresent", "Never"], var.image_pull_policy)
    error_message = "image_pull_policy must be \"IfNotPresent\" or \"Never\": the images come from the air-gap archives imported by k3s."
  }
}

variable "campaigns" {
  description = "The bidders' campaigns, written as `campaigns.json` (`{\"campaigns\": [...]}`, the bidder's JSON campaign format; field meanings in bidder/README.md) into a ConfigMap every bidder mounts. Bidders reload the file when it changes, keeping budgets by campaign id."
  type = list(object({
    id             = string
    seat           = string
    bid_cpm        = number
    budget         = number
    pace_over_secs = optional(number)
    adomain        = optional(list(string), [])
    cat            = optional(list(string), [])
    bundle         = optional(string)
    deals          = optional(list(string), [])
    frequency_cap = optional(object({
      max         = number
      window_secs = number
    }))
    creative = object({
      id       = string
      format   = string
      w        = optional(number)
      h        = optional(number)
      mime     = optional(string)
      duration = optional(number)
      attr     = optional(list(number), [])
      adm      = string
    })
    targeting = optional(object({
      countries         = optional(list(string), [])
      regions           = optional(list(string), [])
      device_types      = optional(list(number), [])
      os                = optional(list(string), [])
      site_domains      = optional(list(string), [])
      site_domains_deny = optional(list(string), [])
      app_bundles       = optional(list(string), [])
      app_bundles_deny  = optional(list(string), [])
    }), {})
  }))
  nullable = false
  validation {
    condition     = length(var.campaigns) > 0
    error_message = "campaigns must hold at least one campaign: a bidder without campaigns never bids."
  }
  validation {
    condition     = alltrue([for c in var.campaigns : length(c.id) > 0]) && length(distinct([for c in var.campaigns : c.id])) == length(var.campaigns)
    error_message = "campaigns[*].id must be non-empty and unique (budgets are kept by campaign id across reloads)."
  }
  validation {
    condition     = alltrue([for c in var.campaigns : length(c.seat) > 0])
    error_message = "campaigns[*].seat must not be empty."
  }
  validation {
    condition     = alltrue([for c in var.campaigns : c.bid_cpm > 0])
    error_message = "campaigns[*].bid_cpm must be a positive number (USD CPM)."
  }
  validation {
    condition     = alltrue([for c in var.campaigns : c.budget >= 0])
    error_message = "campaigns[*].budget must be a non-negative number (USD)."
  }
  validation {
    condition     = alltrue([for c in var.campaigns : c.pace_over_secs == null || try(c.pace_over_secs >= 1 && floor(c.pace_over_secs) == c.pace_over_secs, false)])
    error_message = "campaigns[*].pace_over_secs must be null or a whole number of seconds >= 1."
  }
  validation {
    condition     = alltrue([for c in var.campaigns : c.frequency_cap == null || try(c.frequency_cap.max >= 1 && c.frequency_cap.window_secs >= 1 && floor(c.frequency_cap.max) == c.frequency_cap.max && floor(c.frequency_cap.window_secs) == c.frequency_cap.window_secs, false)])
    error_message = "campaigns[*].frequency_cap.max and window_secs must be whole numbers >= 1."
  }
  validation {
    condition     = alltrue([for c in var.campaigns : contains(["banner", "video", "audio", "native"], c.creative.format)])
    error_message = "campaigns[*].creative.format must be \"banner\", \"video\", \"audio\" or \"native\"."
  }
  validation {
    condition     = alltrue([for c in var.campaigns : c.creative.format != "banner" || (c.creative.w != null && c.creative.h != null)])
    error_message = "campaigns[*].creative.w and h are required for a banner creative."
  }
  validation {
    condition     = alltrue([for c in var.campaigns : !contains(["video", "audio"], c.creative.format) || try(length(c.creative.mime) > 0, false)])
    error_message = "campaigns[*].creative.mime is required for a video or audio creative (e.g. \"video/mp4\")."
  }
  validation {
    condition     = alltrue([for c in var.campaigns : length(c.creative.adm) > 0])
    error_message = "campaigns[*].creative.adm (the ad markup) must not be empty."
  }
  validation {
    condition = alltrue(flatten([for c in var.campaigns : [
      for n in concat([for v in [c.creative.w, c.creative.h, c.creative.duration] : v if v != null], c.creative.attr, c.targeting.device_types) :
      n >= 0 && n <= 4294967295 && floor(n) == n
    ]]))
    error_message = "campaigns[*].creative.w, h, duration, attr and targeting.device_types must be whole numbers from 0 to 4294967295."
  }
}

variable "tmax_ms" {
  description = "Auction time limit in milliseconds used when a bid request carries no `tmax` (the exchange's and the bidders' `default_tmax_ms`)."
  type        = number
  default     = 100
  validation {
    condition     = var.tmax_ms >= 20 && var.tmax_ms <= 10000 && floor(var.tmax_ms) == var.tmax_ms
    error_message = "tmax_ms must be a whole number of milliseconds from 20 to 10000 (OpenRTB auctions usually allow 80-300 ms)."
  }
  validation {
    condition     = var.tmax_ms > var.exchange_margin_ms
    error_message = "tmax_ms must exceed exchange_margin_ms, or the exchange has no time left to call the bidders."
  }
}

variable "exchange_margin_ms" {
  description = "Milliseconds the exchange keeps back from tmax for its own work and the trip back to the publisher."
  type        = number
  default     = 10
  validation {
    condition     = var.exchange_margin_ms >= 0 && floor(var.exchange_margin_ms) == var.exchange_margin_ms
    error_message = "exchange_margin_ms must be a whole number of milliseconds >= 0."
  }
}

variable "wait_for_rollout" {
  description = "Make apply wait until the Deployments have rolled out (`k3s_manifest.wait_for_rollout`)."
  type        = bool
  default     = true
  nullable    = false
}

variable "rollout_timeout" {
  description = "How long each rollout may take when `wait_for_rollout` is true, e.g. `5m`."
  type        = string
  default     = "5m"
  validation {
    condition     = can(regex("^([0-9]+(ms|s|m|h))+$", var.rollout_timeout))
    error_message = "rollout_timeout must be a duration such as \"90s\", \"5m\" or \"1h30m\"."
  }
}
