# `terraform test` for the module's inputs: valid clusters plan with the addresses the
# README promises, and each kind of bad input is refused by its validation rule or by a
# precondition on the network, before anything is created.
# Run by acceptance-tests/tests/examples_validate.rs; by hand:
#   cd modules/k3s-cluster && terraform init && terraform test

variables {
  name = "lab"
  # Any readable file: the provider checks a local source exists at plan time.
  base_image  = "versions.tf"
  domain_type = "qemu"
}

run "counts_make_named_nodes_with_fixed_addresses" {
  command = plan

  variables {
    worker_count = 2
  }

  assert {
    condition     = join(",", output.server_names) == "server-1" && join(",", output.worker_names) == "worker-1,worker-2"
    error_message = "server_count/worker_count make server-N and worker-N"
  }
  assert {
    condition     = output.node_ips == { "server-1" = "10.17.0.11", "worker-1" = "10.17.0.21", "worker-2" = "10.17.0.22" }
    error_message = "server-N is host 10 + N, worker-N host 20 + N"
  }
  assert {
    condition     = output.api_url == "https://10.17.0.11:6443"
    error_message = "the API URL is the first server's fixed address, known at plan time"
  }
  assert {
    condition     = [for h in libvirt_network.this.ip[0].dhcp[0].host : "${h.name} ${h.mac} ${h.ip}"] == ["server-1 52:54:00:11:00:0b 10.17.0.11", "worker-1 52:54:00:11:00:15 10.17.0.21", "worker-2 52:54:00:11:00:16 10.17.0.22"]
    error_message = "one DHCP host entry per node, the MAC made of the address's last three bytes"
  }
}

run "ha_maps_with_explicit_addresses" {
  command = plan

  variables {
    cidr = "192.168.50.0/24"
    servers = {
      "cp-a" = { ip_host = 5 }
      "cp-b" = { ip_host = 6 }
      "cp-c" = { ip_host = 7 }
    }
    workers = {
      "gpu" = { vcpu = 8, memory_mib = 16384, ip_host = 100 }
    }
  }

  assert {
    condition     = output.api_url == "https://192.168.50.5:6443" && join(",", output.server_names) == "cp-a,cp-b,cp-c"
    error_message = "the first server in sorted order holds the API address"
  }
  assert {
    condition     = output.node_ips["gpu"] == "192.168.50.100"
    error_message = "ip_host sets the address"
  }
}

run "cidr_overlapping_the_pod_network_is_refused" {
  command = plan
  variables {
    cidr = "10.42.0.0/24"
  }
  expect_failures = [var.cidr]
}

run "cidr_with_host_bits_is_refused" {
  command = plan
  variables {
    cidr = "10.17.0.5/24"
  }
  expect_failures = [var.cidr]
}

run "cidr_too_large_is_refused" {
  command = plan
  variables {
    cidr         = "172.16.0.0/12"
    cluster_cidr = "10.42.0.0/16"
    service_cidr = "10.43.0.0/16"
  }
  expect_failures = [var.cidr]
}

run "even_server_count_is_refused" {
  command = plan
  variables {
    server_count = 2
  }
  expect_failures = [var.server_count]
}

run "even_servers_map_is_refused" {
  command = plan
  variables {
    servers = { "server-1" = {}, "server-2" = {} }
  }
  expect_failures = [var.servers]
}

run "node_name_not_a_dns_label_is_refused" {
  command = plan
  variables {
    workers = { "Worker_1" = { ip_host = 30 } }
  }
  expect_failures = [var.workers]
}

run "name_in_both_groups_is_refused" {
  command = plan
  variables {
    workers = { "server-1" = { ip_host = 30 } }
  }
  expect_failures = [libvirt_network.this]
}

# 256 MiB boots a VM (libvirt-node accepts it) but is below what k3s needs.
run "memory_below_k3s_minimum_is_refused" {
  command = plan
  variables {
    worker_size = { memory_mib = 256 }
  }
  expect_failures = [libvirt_network.this]
}

run "colliding_addresses_are_refused" {
  command = plan
  variables {
    workers = { "worker-1" = {}, "extra" = { ip_host = 21 } }
  }
  expect_failures = [libvirt_network.this]
}

run "name_without_number_needs_ip_host" {
  command = plan
  variables {
    workers = { "extra" = {} }
  }
  expect_failures = [libvirt_network.this]
}

run "both_install_methods_are_refused" {
  command = plan
  variables {
    k3s_online = { version = "v1.31.4+k3s1" }
    k3s_airgap = { binary_path = "/usr/local/bin/k3s", install_script_path = "/opt/install.sh" }
  }
  expect_failures = [var.k3s_airgap]
}

run "malformed_k3s_version_is_refused" {
  command = plan
  variables {
    k3s_online = { version = "1.31" }
  }
  expect_failures = [var.k3s_online]
}
