# A NAT network: guests get addresses by DHCP and reach the outside through the host.
# The DHCP `host` and DNS `host` entries are updated live, without restarting the
# network; any other change replaces it.
resource "libvirt_network" "lab" {
  name      = "lab"
  autostart = true

  forward {
    mode = "nat"
  }

  bridge {
    name = "virbr-lab"
    stp  = "on"
  }

  domain {
    name       = "lab.internal"
    local_only = "yes"
  }

  dns {
    host {
      ip       = "192.168.100.10"
      hostname = ["db", "db.lab.internal"]
    }
    host {
      ip       = "192.168.100.20"
      hostname = ["nas"]
    }
  }

  ip {
    address = "192.168.100.1"
    prefix  = 24

    dhcp {
      range {
        start = "192.168.100.100"
        end   = "192.168.100.199"
      }

      host {
        mac  = "52:54:00:6c:3c:01"
        name = "db"
        ip   = "192.168.100.10"
      }
      host {
        mac  = "52:54:00:6c:3c:02"
        name = "web-1"
        ip   = "192.168.100.11"
      }
    }
  }
}

# An isolated network: without a `forward` block guests reach each other and the host,
# nothing else. No DHCP here: guests use static addresses.
resource "libvirt_network" "storage" {
  name = "storage"

  bridge {
    name = "virbr-storage"
  }

  ip {
    address = "10.20.0.1"
    prefix  = 24
  }
}
