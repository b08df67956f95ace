# A virtual machine booting from a qcow2 overlay, with a cloud-init disk, a fixed MAC on a
# libvirt network and a serial console. current_memory, vcpu.current and interface link
# state change live; other changes redefine the domain and restart it (the plan warns);
# changing `type` replaces it. Use type = "qemu" where KVM is not available.
resource "libvirt_domain" "node" {
  type             = "kvm"
  name             = "node-1"
  running          = true
  autostart        = true
  shutdown_timeout = 120

  memory {
    value = 2048
    unit  = "MiB"
  }
  vcpu {
    value = 2
  }

  os {
    type {
      value   = "hvm"
      arch    = "x86_64"
      machine = "q35"
    }
    boot {
      dev = "hd"
    }
    boot {
      dev = "network"
    }
  }

  cpu {
    mode  = "host-passthrough"
    check = "none"
  }

  features {
    acpi {}
    apic {}
  }

  clock {
    offset = "utc"
    timer {
      name       = "rtc"
      tickpolicy = "catchup"
    }
  }

  on_poweroff = "destroy"
  on_reboot   = "restart"
  on_crash    = "destroy"

  devices {
    disk {
      type   = "volume"
      device = "disk"
      driver {
        name = "qemu"
        type = "qcow2"
      }
      source {
        pool   = "default"
        volume = "node-1.qcow2"
      }
      target {
        dev = "vda"
        bus = "virtio"
      }
    }
    disk {
      type   = "volume"
      device = "cdrom"
      driver {
        name = "qemu"
        type = "raw"
      }
      source {
        pool   = "default"
        volume = "node-1-cidata.iso"
      }
      target {
        dev = "sda"
        bus = "sata"
      }
      readonly {}
    }
    interface {
      type = "network"
      mac {
        address = "52:54:00:6c:3c:01"
      }
      source {
        network = "lab"
      }
      model {
        type = "virtio"
      }
    }
    channel {
      type = "unix"
      target {
        type = "virtio"
        name = "org.qemu.guest_agent.0"
      }
    }
    serial {
      type = "pty"
      target {
        port = 0
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
