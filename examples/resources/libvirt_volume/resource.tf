# A qcow2 base image, streamed into the pool once. `content_source` takes a local file
# or an http(s) URL; without `capacity` the volume gets the image's virtual size.
resource "libvirt_volume" "base" {
  name           = "debian-12-base.qcow2"
  pool           = "default"
  content_source = "/var/lib/images/debian-12-genericcloud-amd64.qcow2"
  # content_source = "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.qcow2"

  target {
    format {
      type = "qcow2"
    }
  }
}

# A copy-on-write overlay for one machine: its writes land here, the base stays
# untouched and can back many overlays. Growing `capacity` later resizes in place.
resource "libvirt_volume" "web_disk" {
  name = "web-1.qcow2"
  pool = "default"

  capacity {
    value = 20
    unit  = "GiB"
  }

  target {
    format {
      type = "qcow2"
    }
  }

  backing_store {
    path = libvirt_volume.base.id

    format {
      type = "qcow2"
    }
  }
}

# An empty raw data disk, sparse: without an `allocation` of 0 libvirt reserves all
# 50 GiB on creation.
resource "libvirt_volume" "data" {
  name = "web-1-data.img"
  pool = "default"

  capacity {
    value = 50
    unit  = "GiB"
  }

  allocation {
    value = 0
  }

  target {
    format {
      type = "raw"
    }
  }
}
