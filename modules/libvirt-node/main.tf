# One virtual machine the way it is built by hand: a disk volume on a shared base image
# (qcow2 overlay, or a full copy), a cloud-init NoCloud seed volume, and a domain using both.
# Every object is a resource of this module, so `terraform destroy` removes all of them.

locals {
  overlay = var.disk_mode == "overlay"
  # Overlays are always qcow2; a copy keeps the image's own format.
  disk_format = local.overlay ? "qcow2" : var.base_volume_format
  disk_suffix = local.disk_format == "qcow2" ? "qcow2" : "img"
  meta_data   = coalesce(var.meta_data, "instance-id: ${var.name}\nlocal-hostname: ${var.name}\n")
  cpu_mode    = var.cpu_mode != null ? var.cpu_mode : (var.domain_type == "kvm" ? "host-passthrough" : null)
}

resource "libvirt_volume" "disk" {
  pool           = var.pool
  name           = "${var.name}.${local.disk_suffix}"
  content_source = local.overlay ? null : coalesce(var.copy_source, var.base_volume_id)

  dynamic "capacity" {
    for_each = var.disk_size_gib == null ? [] : [var.disk_size_gib]
    content {
      value = capacity.value
      unit  = "GiB"
    }
  }

  target {
    format {
      type = local.disk_format
    }
  }

  dynamic "backing_store" {
    for_each = local.overlay ? [var.base_volume_id] : []
    content {
      path = backing_store.value
      format {
        type = var.base_volume_format
      }
    }
  }
}

resource "libvirt_cloudinit_disk" "seed" {
  pool           = var.pool
  name           = "${var.name}-cloudinit.iso"
  user_data      = var.user_data
  meta_data      = local.meta_data
  network_config = var.network_config
}

resource "libvirt_domain" "this" {
  type             = var.domain_type
  name             = var.name
  autostart        = var.autostart
  running          = var.running
  shutdown_timeout = var.shutdown_timeout

  lifecycle {
    # A new disk (disk_mode or base changed) under the same name needs a new machine; a
    # disk grown in place keeps its id and the machine. A new seed is read at next boot.
    replace_triggered_by = [libvirt_volume.disk.id]
  }

  wait_for_ip_source  = var.ip_address_source
  wait_for_ip_timeout = var.wait_for_ip_timeout

  memory {
    value = var.memory_mib
    unit  = "MiB"
  }

  vcpu {
    value = var.vcpu
  }

  dynamic "cputune" {
    for_each = length(var.vcpu_pinning) > 0 ? [var.vcpu_pinning] : []
    content {
      dynamic "vcpupin" {
        for_each = cputune.value
        content {
          vcpu   = vcpupin.key
          cpuset = tostring(vcpupin.value)
        }
      }
    }
  }

  dynamic "cpu" {
    for_each = local.cpu_mode == null ? [] : [local.cpu_mode]
    content {
      mode = cpu.value
      dynamic "model" {
        for_each = var.cpu_model == null ? [] : [var.cpu_model]
        content {
          value    = model.value
          fallback = "forbid"
        }
      }
    }
  }

  os {
    # null: QEMU's default SeaBIOS; "efi" lets libvirt pick UEFI firmware from its descriptors.
    firmware = var.firmware == "efi" ? "efi" : null
    type {
      value   = "hvm"
      machine = var.machine
    }
    kernel  = var.kernel
    initrd  = var.initrd
    cmdline = var.kernel_cmdline
  }

  features {
    acpi {}
    apic {}
  }

  devices {
    disk {
      type   = "volume"
      device = "disk"
      driver {
        name = "qemu"
        type = local.disk_format
      }
      source {
        pool   = var.pool
        volume = libvirt_volume.disk.name
      }
      target {
        dev = "vda"
        bus = "virtio"
      }
    }

    # The seed on virtio rather than a SATA cdrom: cloud-init finds it by its label either
    # way, and some cloud kernels (Debian's) have no AHCI driver.
    disk {
      type   = "volume"
      device = "disk"
      driver {
        name = "qemu"
        type = "raw"
      }
      source {
        pool   = var.pool
        volume = libvirt_cloudinit_disk.seed.name
      }
      target {
        dev = "vdb"
        bus = "virtio"
      }
      readonly {}
    }

    # Extra read-only raw disks shared by many nodes (e.g. an air-gap bundle found by its
    # filesystem label), on virtio for the same reason as the seed: vdc, vdd, ...
    dynamic "disk" {
      for_each = var.extra_readonly_disks
      content {
        type   = "volume"
        device = "disk"
        driver {
          name = "qemu"
          type = "raw"
        }
        source {
          pool   = disk.value.pool
          volume = disk.value.volume
        }
        target {
          dev = "vd${substr("cdefghijklmnopqrstuvwxyz", disk.key, 1)}"
          bus = "virtio"
        }
        readonly {}
        shareable {}
      }
    }

    dynamic "interface" {
      for_each = var.network_interfaces
      content {
        type = "network"
        # An empty address is filled in by libvirt and then read back.
        mac {
          address = interface.value.mac
        }
        source {
          network = interface.value.network
        }
        model {
          type = "virtio"
        }
      }
    }

    serial {
      type = "pty"
      target {
        port = 0
      }
      dynamic "log" {
        for_each = var.console_log == null ? [] : [var.console_log]
        content {
          file   = log.value
          append = "on"
        }
      }
    }
    console {
      type = "pty"
      target {
        type = "serial"
        port = 0
      }
    }
  }
}
