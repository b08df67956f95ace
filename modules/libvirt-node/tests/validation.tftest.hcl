# `terraform test` for the module's inputs: a valid node plans as described, and each kind
# of bad input is refused by its variable's validation rule (before anything is created).
# Run by acceptance-tests/tests/examples_validate.rs; by hand:
#   cd modules/libvirt-node && terraform init && terraform test

variables {
  name               = "node-1"
  pool               = "default"
  base_volume_id     = "/var/lib/libvirt/images/base.qcow2"
  domain_type        = "qemu"
  network_interfaces = [{ network = "lan" }]
}

run "valid_node_plans_overlay_seed_and_domain" {
  command = plan

  variables {
    memory_mib   = 512
    vcpu         = 2
    vcpu_pinning = [3, 2]
    firmware     = "efi"
    network_interfaces = [
      { network = "lan", mac = "52:54:00:00:00:01" },
      { network = "storage" },
    ]
  }

  assert {
    condition     = libvirt_volume.disk.name == "node-1.qcow2" && libvirt_volume.disk.backing_store[0].path == var.base_volume_id
    error_message = "the disk is a qcow2 overlay over the base volume"
  }
  assert {
    condition     = libvirt_domain.this.memory[0].value == 512 && libvirt_domain.this.memory[0].unit == "MiB"
    error_message = "memory is set in MiB"
  }
  assert {
    condition     = [for pin in libvirt_domain.this.cputune[0].vcpupin : pin.cpuset] == ["3", "2"]
    error_message = "vCPU i is pinned to vcpu_pinning[i]"
  }
  assert {
    condition     = libvirt_domain.this.os[0].firmware == "efi" && length(libvirt_domain.this.cpu) == 0
    error_message = "efi firmware; no CPU mode forced on qemu"
  }
  assert {
    condition     = length(libvirt_domain.this.devices[0].interface) == 2 && libvirt_domain.this.devices[0].interface[0].mac[0].address == "52:54:00:00:00:01"
    error_message = "one interface per entry, fixed MAC kept"
  }
}

run "copy_mode_has_no_backing_store" {
  command = plan

  variables {
    disk_mode          = "copy"
    base_volume_format = "raw"
    disk_size_gib      = null
    # Any readable file: the provider checks a local source exists at plan time.
    copy_source = "versions.tf"
  }

  assert {
    condition     = libvirt_volume.disk.name == "node-1.img" && length(libvirt_volume.disk.backing_store) == 0 && libvirt_volume.disk.content_source == "versions.tf"
    error_message = "a copy is a standalone volume filled from copy_source"
  }
}

run "kvm_defaults_to_host_passthrough" {
  command = plan

  variables {
    domain_type = "kvm"
  }

  assert {
    condition     = libvirt_domain.this.cpu[0].mode == "host-passthrough"
    error_message = "kvm nodes get the host's CPU"
  }
}

run "rejects_a_name_that_is_not_a_hostname" {
  command = plan
  variables {
    name = "Node_1"
  }
  expect_failures = [var.name]
}

run "rejects_memory_in_bytes" {
  command = plan
  variables {
    memory_mib = 2147483648
  }
  expect_failures = [var.memory_mib]
}

run "rejects_zero_vcpus" {
  command = plan
  variables {
    vcpu = 0
  }
  expect_failures = [var.vcpu]
}

run "rejects_pinning_of_the_wrong_length" {
  command = plan
  variables {
    vcpu         = 2
    vcpu_pinning = [1]
  }
  expect_failures = [var.vcpu_pinning]
}

run "rejects_an_unknown_disk_mode" {
  command = plan
  variables {
    disk_mode = "thin"
  }
  expect_failures = [var.disk_mode]
}

run "rejects_an_overlay_without_a_size" {
  command = plan
  variables {
    disk_size_gib = null
  }
  expect_failures = [var.disk_size_gib]
}

run "rejects_a_size_for_a_qcow2_copy" {
  command = plan
  variables {
    disk_mode   = "copy"
    copy_source = "versions.tf"
  }
  expect_failures = [var.disk_size_gib]
}

run "rejects_an_unknown_firmware" {
  command = plan
  variables {
    firmware = "uefi"
  }
  expect_failures = [var.firmware]
}

run "rejects_a_malformed_mac" {
  command = plan
  variables {
    network_interfaces = [{ network = "lan", mac = "52:54:00:00:01" }]
  }
  expect_failures = [var.network_interfaces]
}

run "rejects_a_multicast_mac" {
  command = plan
  variables {
    network_interfaces = [{ network = "lan", mac = "01:00:5e:00:00:01" }]
  }
  expect_failures = [var.network_interfaces]
}

run "rejects_duplicate_macs" {
  command = plan
  variables {
    network_interfaces = [
      { network = "lan", mac = "52:54:00:00:00:01" },
      { network = "storage", mac = "52:54:00:00:00:01" },
    ]
  }
  expect_failures = [var.network_interfaces]
}

run "rejects_host_passthrough_without_kvm" {
  command = plan
  variables {
    cpu_mode = "host-passthrough"
  }
  expect_failures = [var.cpu_mode]
}

run "rejects_a_custom_cpu_without_a_model" {
  command = plan
  variables {
    cpu_mode = "custom"
  }
  expect_failures = [var.cpu_model]
}

run "rejects_an_unknown_domain_type" {
  command = plan
  variables {
    domain_type = "xen"
  }
  expect_failures = [var.domain_type]
}
