# Every manifest is built from HCL objects and rendered with yamlencode, so the YAML is valid
# whatever the inputs hold. Three kinds of k3s_manifest:
#   base          the Namespace and the campaigns ConfigMap (applied first, deleted last)
#   bidder[NAME]  one per bidder: Deployment, Service, HPA, PDB. Keyed by name, so changing
#                 bidder_count creates or deletes only the bidders at the end of the list.
#   exchange      Deployment (its --bidder flags list every bidder Service), Service, HPA, PDB.

locals {
  bidder_port   = 8080 # what the images listen on (bidder/scripts/image.sh)
  exchange_port = 8081
  campaigns_dir = "/etc/bidder"

  bidder_names = [for i in range(var.bidder_count) : "bidder-${i + 1}"]
  service_host = { for name in concat(local.bidder_names, ["exchange"]) : name => "${name}.${var.namespace}.svc.${var.cluster_domain}" }

  # Kubernetes quantities: what the variables' validations accept, and how they turn them into
  # base units (cores, bytes) to compare requests with limits.
  cpu_pattern      = "^([0-9]+m|[0-9]+(\\.[0-9]+)?)$"
  memory_pattern   = "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$"
  quantity_parts   = "^([0-9]+(?:\\.[0-9]+)?)([a-zA-Z]*)$"
  quantity_factors = { "" = 1, m = 0.001, k = 1e3, M = 1e6, G = 1e9, T = 1e12, Ki = 1024, Mi = 1048576, Gi = 1073741824, Ti = 1099511627776 }
  # Worker threads: the CPU limit in whole cores, rounded up (more threads than that only
  # get throttled by the limit).
  workers = {
    for component, r in { bidder = var.bidder_resources, exchange = var.exchange_resources } : component =>
    tostring(max(1, ceil(endswith(r.limits.cpu, "m") ? tonumber(trimsuffix(r.limits.cpu, "m")) / 1000 : tonumber(r.limits.cpu))))
  }

  # The fewest pods a component runs: a PDB's integer minAvailable must stay below it.
  replica_floor = {
    bidder   = var.bidder_autoscaling.enabled ? var.bidder_autoscaling.min_replicas : var.bidder_replicas
    exchange = var.exchange_autoscaling.enabled ? var.exchange_autoscaling.min_replicas : var.exchange_replicas
  }

  # The bidder's JSON campaign format, with unset optional fields left out.
  campaigns_json = jsonencode({
    campaigns = [for c in var.campaigns : merge(
      { for k, v in c : k => v if v != null && k != "creative" },
      { creative = { for k, v in c.creative : k => v if v != null } },
    )]
  })

  bidder_env = {
    BIDDER_CAMPAIGNS       = "${local.campaigns_dir}/campaigns.json"
    BIDDER_LISTEN          = "0.0.0.0:${local.bidder_port}"
    BIDDER_DEFAULT_TMAX_MS = tostring(var.tmax_ms)
    BIDDER_WORKERS         = local.workers.bidder
  }

  # What differs between the bidders and the exchange; the documents below are built from it.
  workloads = merge(
    {
      for name in local.bidder_names : name => {
        app         = "bidder"
        image       = "${var.bidder_image}:${var.image_tag}"
        port        = local.bidder_port
        resources   = var.bidder_resources
        autoscaling = var.bidder_autoscaling
        replicas    = var.bidder_replicas
        pdb         = var.bidder_pdb_min_available
        # Win, billing and loss notices come back through the bidder's Service.
        env = merge(local.bidder_env, { BIDDER_PUBLIC_URL = "http://${local.service_host[name]}:${local.bidder_port}" })
        container_extra = {
          volumeMounts = [{ name = "campaigns", mountPath = local.campaigns_dir, readOnly = true }]
        }
        pod_extra = {
          volumes = [{ name = "campaigns", configMap = { name = "campaigns" } }]
        }
      }
    },
    {
      exchange = {
        app         = "exchange"
        image       = "${var.exchange_image}:${var.image_tag}"
        port        = local.exchange_port
        resources   = var.exchange_resources
        autoscaling = var.exchange_autoscaling
        replicas    = var.exchange_replicas
        pdb         = var.exchange_pdb_min_available
        env = {
          EXCHANGE_LISTEN          = "0.0.0.0:${local.exchange_port}"
          EXCHANGE_DEFAULT_TMAX_MS = tostring(var.tmax_ms)
          EXCHANGE_MARGIN_MS       = tostring(var.exchange_margin_ms)
          EXCHANGE_WORKERS         = local.workers.exchange
        }
        container_extra = {
          args = flatten([for name in local.bidder_names : ["--bidder", "${name}=http://${local.service_host[name]}:${local.bidder_port}/openrtb2/bid"]])
        }
        pod_extra = {}
      }
    },
  )

  documents = {
    for name, w in local.workloads : name => concat(
      [
        {
          apiVersion = "apps/v1"
          kind       = "Deployment"
          metadata   = { name = name, namespace = var.namespace, labels = local.labels[name] }
          # With an HPA the Deployment leaves replicas out: the HPA owns that field, and
          # setting it here would undo every scaling decision at the next apply.
          spec = merge({ for k, v in { replicas = w.replicas } : k => v if !w.autoscaling.enabled }, {
            selector = { matchLabels = local.selector[name] }
            template = {
              metadata = { labels = local.labels[name] }
              spec = merge({
                # The services drain in-flight requests within 5 s of SIGTERM.
                terminationGracePeriodSeconds = 15
                affinity = {
                  podAntiAffinity = {
                    preferredDuringSchedulingIgnoredDuringExecution = [{
                      weight = 100
                      podAffinityTerm = {
                        topologyKey   = "kubernetes.io/hostname"
                        labelSelector = { matchLabels = local.selector[name] }
                      }
                    }]
                  }
                }
                containers = [merge({
                  name            = w.app
                  image           = w.image
                  imagePullPolicy = var.image_pull_policy
                  ports           = [{ name = "http", containerPort = w.port, protocol = "TCP" }]
                  env             = [for k in sort(keys(w.env)) : { name = k, value = w.env[k] }]
                  resources       = w.resources
                  # /readyz: the bidder's turns 503 as soon as shutdown starts, taking the pod
                  # out of its Service before it stops listening. /healthz: the process answers.
                  readinessProbe = {
                    httpGet          = { path = "/readyz", port = "http" }
                    periodSeconds    = 5
                    timeoutSeconds   = 1
                    failureThreshold = 2
                  }
                  livenessProbe = {
                    httpGet          = { path = "/healthz", port = "http" }
                    periodSeconds    = 10
                    timeoutSeconds   = 2
                    failureThreshold = 3
                  }
                }, w.container_extra)]
              }, w.pod_extra)
            }
          })
        },
        {
          apiVersion = "v1"
          kind       = "Service"
          metadata   = { name = name, namespace = var.namespace, labels = local.labels[name] }
          spec = {
            selector = local.selector[name]
            ports    = [{ name = "http", port = w.port, targetPort = "http", protocol = "TCP" }]
          }
        },
      ],
      w.autoscaling.enabled ? [{
        apiVersion = "autoscaling/v2"
        kind       = "HorizontalPodAutoscaler"
        metadata   = { name = name, namespace = var.namespace, labels = local.labels[name] }
        spec = {
          scaleTargetRef = { apiVersion = "apps/v1", kind = "Deployment", name = name }
          minReplicas    = w.autoscaling.min_replicas
          maxReplicas    = w.autoscaling.max_replicas
          metrics = [{
            type     = "Resource"
            resource = { name = "cpu", target = { type = "Utilization", averageUtilization = w.autoscaling.target_cpu_utilization } }
          }]
        }
      }] : [],
      [{
        apiVersion = "policy/v1"
        kind       = "PodDisruptionBudget"
        metadata   = { name = name, namespace = var.namespace, labels = local.labels[name] }
        spec = {
          # IntOrString: a number for a count ("1" -> 1), a string for a percentage. Through
          # JSON, because a conditional between a number and a string yields a string.
          minAvailable = jsondecode(endswith(w.pdb, "%") ? jsonencode(w.pdb) : w.pdb)
          selector     = { matchLabels = local.selector[name] }
        }
      }],
    )
  }

  selector = { for name, w in local.workloads : name => { "app.kubernetes.io/name" = w.app, "app.kubernetes.io/instance" = name } }
  labels = { for name, sel in local.selector : name => merge(sel, {
    "app.kubernetes.io/part-of"    = "ad-exchange"
    "app.kubernetes.io/managed-by" = "terraform"
  }) }

  base_documents = [
    { apiVersion = "v1", kind = "Namespace", metadata = { name = var.namespace } },
    {
      apiVersion = "v1"
      kind       = "ConfigMap"
      metadata   = { name = "campaigns", namespace = var.namespace, labels = { "app.kubernetes.io/part-of" = "ad-exchange" } }
      data       = { "campaigns.json" = local.campaigns_json }
    },
  ]
}

resource "k3s_manifest" "base" {
  kubeconfig = var.kubeconfig
  content    = join("---\n", [for d in local.base_documents : yamlencode(d)])
}

resource "k3s_manifest" "bidder" {
  for_each = toset(local.bidder_names)

  kubeconfig       = var.kubeconfig
  content          = join("---\n", [for d in local.documents[each.key] : yamlencode(d)])
  wait_for_rollout = var.wait_for_rollout
  timeout          = var.rollout_timeout
  depends_on       = [k3s_manifest.base]

  # Deletes a removed bidder only after the exchange, which depends on the bidders, has been
  # updated to stop calling it (by default Terraform would delete it first). k3s_manifest is
  # never replaced, so this changes nothing else.
  lifecycle {
    create_before_destroy = true
  }
}

resource "k3s_manifest" "exchange" {
  kubeconfig       = var.kubeconfig
  content          = join("---\n", [for d in local.documents.exchange : yamlencode(d)])
  wait_for_rollout = var.wait_for_rollout
  timeout          = var.rollout_timeout
  # New bidders are running before the exchange calls them, and a removed bidder is
  # deleted only after the exchange has stopped calling it.
  depends_on = [k3s_manifest.bidder]
}
