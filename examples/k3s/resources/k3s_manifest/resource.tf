variable "kubeconfig" {
  type      = string
  sensitive = true
}

resource "k3s_manifest" "web" {
  kubeconfig       = var.kubeconfig
  wait_for_rollout = true
  timeout          = "5m"

  content = <<-YAML
    apiVersion: v1
    kind: Namespace
    metadata:
      name: web
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      namespace: web
    spec:
      replicas: 2
      selector:
        matchLabels: { app: web }
      template:
        metadata:
          labels: { app: web }
        spec:
          containers:
            - name: web
              image: nginx:1.27
  YAML
}
