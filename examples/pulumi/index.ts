// The quickstart cluster (examples/quickstart) plus k3s credentials, as a Pulumi program:
// a NAT network with fixed DHCP leases, a directory pool, a base image uploaded once, and one
// qcow2 overlay + cloud-init seed + domain per node. Node 1 is the k3s server (embedded etcd),
// the others join it as agents; the kubeconfig is known before any node boots.
//
// It uses the SDKs that `pulumi package add terraform-provider` generates for
// registry.terraform.io/kvmcloud/libvirt and registry.terraform.io/kvmcloud/k3s.
// UNVERIFIED here (no Pulumi, no network where this project is tested); see README.md.
// acceptance-tests/tests/pulumi_example.rs checks every property name below against the
// providers' real schemas, named the way Pulumi's Terraform bridge names them.
import * as pulumi from "@pulumi/pulumi";
import * as libvirt from "@pulumi/libvirt";
import * as k3s from "@pulumi/k3s";

const config = new pulumi.Config();
const prefix = config.get("prefix") ?? "pulumi";
const baseImage = config.require("baseImage");
const baseImageFormat = config.get("baseImageFormat") ?? "qcow2";
const poolPath = config.get("poolPath") ?? `/var/lib/libvirt/images/${prefix}`;
const nodeCount = config.getNumber("nodeCount") ?? 2;
const nodeMemoryMib = config.getNumber("nodeMemoryMib") ?? 2048;
const nodeVcpu = config.getNumber("nodeVcpu") ?? 2;
const nodeDiskGib = config.getNumber("nodeDiskGib") ?? 10;
const domainType = config.get("domainType") ?? "kvm";
// The first three octets of the cluster's /24: the host is .1, nodes .10 up, DHCP pool .100-.200.
const subnet = config.get("subnet") ?? "10.42.0";
const k3sChannel = config.get("k3sChannel") ?? "stable";
const sshAuthorizedKeys = config.getObject<string[]>("sshAuthorizedKeys") ?? [];

// Bad input fails before anything is created, naming the setting.
if (!/^[a-z][a-z0-9-]{0,30}$/.test(prefix)) {
  throw new Error(`prefix: "${prefix}" must start with a letter and hold at most 31 lowercase letters, digits or dashes`);
}
if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > 50) {
  throw new Error(`nodeCount: ${nodeCount} must be a whole number from 1 to 50`);
}
if (baseImageFormat !== "qcow2" && baseImageFormat !== "raw") {
  throw new Error(`baseImageFormat: "${baseImageFormat}" must be "qcow2" or "raw"`);
}
const octets = subnet.split(".");
if (octets.length !== 3 || !octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) {
  throw new Error(`subnet: "${subnet}" must be the first three octets of an IPv4 /24, e.g. 10.42.0`);
}

// libvirt connection: null uses LIBVIRT_DEFAULT_URI, then qemu:///system.
const libvirtProvider = new libvirt.Provider("libvirt", { uri: config.get("libvirtUri") });

interface ClusterNode {
  key: string;
  name: string;
  mac: string;
  ip: string;
  role: "server" | "agent";
}

// Fixed MACs and DHCP reservations: the server's address must be known before it boots,
// because it is in the cluster's kubeconfig and the agents' join URL.
const nodes: ClusterNode[] = Array.from({ length: nodeCount }, (_, i) => {
  const key = `node-${String(i + 1).padStart(2, "0")}`;
  return {
    key,
    name: `${prefix}-${key}`,
    mac: `52:54:00:42:${(Math.floor((i + 1) / 256)).toString(16).padStart(2, "0")}:${((i + 1) % 256).toString(16).padStart(2, "0")}`,
    ip: `${subnet}.${10 + i}`,
    role: i === 0 ? "server" : "agent",
  };
});
const server = nodes[0];

const poolName = `${prefix}-pool`;
const pool = new libvirt.Pool("pool", {
  type: "dir",
  name: poolName,
  target: { path: poolPath },
}, { provider: libvirtProvider });
// Volumes name their pool by a plain string (the pool's `name` output is optional-typed),
// so the dependency on the pool is stated.
const inPool = { provider: libvirtProvider, dependsOn: [pool] };

const network = new libvirt.Network("network", {
  name: `${prefix}-net`,
  autostart: true,
  forward: { mode: "nat" },
  domain: { name: `${prefix}.internal` },
  ips: [{
    address: `${subnet}.1`,
    prefix: 24,
    dhcp: {
      ranges: [{ start: `${subnet}.100`, end: `${subnet}.200` }],
      hosts: nodes.map((node) => ({ mac: node.mac, ip: node.ip, name: node.name })),
    },
  }],
}, { provider: libvirtProvider });

const base = new libvirt.Volume("base", {
  pool: poolName,
  name: `${prefix}-base.${baseImageFormat === "qcow2" ? "qcow2" : "img"}`,
  contentSource: baseImage,
  target: { format: { type: baseImageFormat } },
}, inPool);

// The cluster's credentials: CA set, join token, admin kubeconfig. No node exists yet.
const cluster = new k3s.Cluster("cluster", {
  name: prefix,
  serverUrl: `https://${server.ip}:6443`,
});

const userCloudConfig = [
  "#cloud-config",
  ...(sshAuthorizedKeys.length === 0 ? [] : ["ssh_authorized_keys:", ...sshAuthorizedKeys.map((key) => `  - ${key}`)]),
  "",
].join("\n");

const domains = nodes.map((node) => {
  const isServer = node.role === "server";
  const bootstrap = k3s.getCloudInitOutput({
    role: node.role,
    token: cluster.token,
    clusterInit: isServer ? true : undefined,
    serverTlsFiles: isServer ? cluster.serverTlsFiles : undefined,
    serverUrl: isServer ? undefined : cluster.serverUrl,
    config: {
      nodeName: node.name,
      nodeIps: [node.ip],
      tlsSans: isServer ? [node.ip] : undefined,
    },
    online: { channel: k3sChannel },
    userDataParts: [userCloudConfig],
  });

  const disk = new libvirt.Volume(`${node.key}-disk`, {
    pool: poolName,
    name: `${node.name}.qcow2`,
    capacity: { value: nodeDiskGib, unit: "GiB" },
    target: { format: { type: "qcow2" } },
    backingStore: { path: base.id, format: { type: baseImageFormat } },
  }, inPool);

  const seed = new libvirt.CloudinitDisk(`${node.key}-seed`, {
    pool: poolName,
    name: `${node.name}-cloudinit.iso`,
    userData: bootstrap.userData,
    metaData: `instance-id: ${node.name}\nlocal-hostname: ${node.name}\n`,
  }, inPool);

  const domain = new libvirt.Domain(node.key, {
    type: domainType,
    name: node.name,
    running: true,
    shutdownTimeout: 60,
    waitForIpTimeout: 300,
    memory: { value: nodeMemoryMib, unit: "MiB" },
    vcpu: { value: nodeVcpu },
    cpu: domainType === "kvm" ? { mode: "host-passthrough" } : undefined,
    os: { type: { value: "hvm" } },
    features: { acpi: {}, apic: {} },
    devices: {
      disks: [
        {
          type: "volume",
          device: "disk",
          driver: { name: "qemu", type: "qcow2" },
          source: { pool: poolName, volume: disk.name },
          target: { dev: "vda", bus: "virtio" },
        },
        {
          // The seed on virtio, as in modules/libvirt-node: cloud-init finds it by its label.
          type: "volume",
          device: "disk",
          driver: { name: "qemu", type: "raw" },
          source: { pool: poolName, volume: seed.name },
          target: { dev: "vdb", bus: "virtio" },
          readonly: {},
        },
      ],
      interfaces: [{
        type: "network",
        mac: { address: node.mac },
        source: { network: network.name },
        model: { type: "virtio" },
      }],
      serials: [{ type: "pty", target: { port: 0 } }],
      consoles: [{ type: "pty", target: { type: "serial", port: 0 } }],
    },
  }, { provider: libvirtProvider, dependsOn: [disk, seed] });
  return domain;
});

export const networkId = network.id;
export const apiServerUrl = cluster.serverUrl;
// Sensitive in the provider's schema; made a Pulumi secret here so it is encrypted in state
// and masked in output whatever the bridge does with sensitive attributes.
export const kubeconfig = pulumi.secret(cluster.kubeconfig);
export const nodeIps = pulumi.all(domains.map((domain) => domain.interfaceAddresses)).apply((all) =>
  Object.fromEntries(all.map((addresses, i) => [nodes[i].name, addresses?.[0]?.addresses?.[0] ?? null])),
);
