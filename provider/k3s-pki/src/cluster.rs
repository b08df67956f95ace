//! The whole CA set of one cluster, laid out the way k3s's custom-CA tooling lays it out.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use crate::issue::{Authority, LeafSpec, LeafUsage};
use crate::{CertKey, KeyAlgorithm, PkiError};

pub struct PkiOptions {
    /// Recorded as the organization of every CA, so certificates show which cluster they belong to.
    pub cluster_name: String,
    pub key_algorithm: KeyAlgorithm,
    pub ca_validity_days: u32,
    pub client_validity_days: u32,
}

/// Every secret a k3s server needs from us, plus the admin credential.
///
/// CA `cert_pem`s (except the root's) hold the certificate followed by its chain up to the root,
/// exactly as the matching `<name>-ca.crt` file. `Debug` never shows private keys.
#[derive(Clone)]
pub struct ClusterPki {
    pub root_ca: CertKey,
    pub intermediate_ca: CertKey,
    pub server_ca: CertKey,
    pub client_ca: CertKey,
    pub request_header_ca: CertKey,
    pub etcd_peer_ca: CertKey,
    pub etcd_server_ca: CertKey,
    pub service_account_key_pem: String,
    /// CN `system:admin`, O `system:masters`, signed by the client CA; the certificate is
    /// followed by the client CA chain, as k3s writes its own `client-admin.crt`.
    pub admin: CertKey,
}

/// The CN k3s gives its own admin client certificate (pkg/daemons/control/deps).
pub const ADMIN_COMMON_NAME: &str = "system:admin";
/// Kubernetes' group with unrestricted access (`user.SystemPrivilegedGroup`).
pub const ADMIN_GROUP: &str = "system:masters";

/// The five CAs signed by the intermediate, by the file stem k3s expects under `server/tls`.
const LEAF_CAS: [&str; 5] = [
    "client",
    "server",
    "request-header",
    "etcd/peer",
    "etcd/server",
];

impl ClusterPki {
    pub fn generate(opts: &PkiOptions) -> Result<ClusterPki, PkiError> {
        validate(opts)?;
        let alg = opts.key_algorithm;
        let days = opts.ca_validity_days;
        let org = opts.cluster_name.as_str();
        // The CN suffix follows k3s's own `<name>-ca@<unix time>` convention.
        let stamp = OffsetDateTime::now_utc().unix_timestamp();
        let cn = |name: &str| format!("k3s-{}-ca@{stamp}", name.replace('/', "-"));

        let root = Authority::self_signed(&cn("root"), org, alg, days)?;
        let intermediate = root.issue_ca(&cn("intermediate"), org, alg, days)?;
        let chain_tail = format!("{}{}", intermediate.pem(), root.pem());
        let mut leaf_cas = Vec::with_capacity(LEAF_CAS.len());
        for name in LEAF_CAS {
            let ca = intermediate.issue_ca(&cn(name), org, alg, days)?;
            let mut cert_key = ca.cert_key();
            cert_key.cert_pem.push_str(&chain_tail);
            leaf_cas.push((ca, cert_key));
        }
        let [client, server, request_header, etcd_peer, etcd_server] = <[_; 5]>::try_from(leaf_cas)
            .unwrap_or_else(|_| unreachable!("one CA per LEAF_CAS entry"));

        let mut admin = client.0.issue_leaf(
            &LeafSpec {
                common_name: ADMIN_COMMON_NAME,
                organizations: &[ADMIN_GROUP.to_string()],
                sans: &[],
                usage: LeafUsage::Client,
                validity_days: opts.client_validity_days,
            },
            alg,
        )?;
        admin.cert_pem.push_str(&client.1.cert_pem);

        let mut intermediate_ca = intermediate.cert_key();
        intermediate_ca.cert_pem.push_str(root.pem());
        Ok(ClusterPki {
            root_ca: root.cert_key(),
            intermediate_ca,
            server_ca: server.1,
            client_ca: client.1,
            request_header_ca: request_header.1,
            etcd_peer_ca: etcd_peer.1,
            etcd_server_ca: etcd_server.1,
            service_account_key_pem: crate::service_key::generate(alg)?,
            admin,
        })
    }

    /// The files of `/var/lib/rancher/k3s/server/tls`, keyed by path relative to it, as
    /// k3s's `contrib/util/generate-custom-ca-certs.sh` leaves them: `<ca>.pem` (the CA alone),
    /// `<ca>.crt` (CA + chain to the root), `<ca>.key`, and `service.key`.
    ///
    /// The root and intermediate private keys are left out: the script's own closing advice is
    /// to keep them off cluster members, and k3s only signs with the five leaf CAs.
    pub fn server_tls_files(&self) -> BTreeMap<String, String> {
        let mut files = BTreeMap::new();
        files.insert(
            "root-ca.pem".into(),
            first_certificate(&self.root_ca.cert_pem).to_string(),
        );
        files.insert("root-ca.crt".into(), self.root_ca.cert_pem.clone());
        files.insert(
            "intermediate-ca.pem".into(),
            first_certificate(&self.intermediate_ca.cert_pem).to_string(),
        );
        files.insert(
            "intermediate-ca.crt".into(),
            self.intermediate_ca.cert_pem.clone(),
        );
        for (name, ca) in LEAF_CAS.iter().zip(self.leaf_cas()) {
            files.insert(
                format!("{name}-ca.pem"),
                first_certificate(&ca.cert_pem).to_string(),
            );
            files.insert(format!("{name}-ca.crt"), ca.cert_pem.clone());
            files.insert(format!("{name}-ca.key"), ca.key_pem.clone());
        }
        files.insert("service.key".into(), self.service_account_key_pem.clone());
        files
    }

    /// What k3s serves at `/cacerts` and what API clients must trust: `server-ca.crt`.
    pub fn server_ca_bundle(&self) -> String {
        self.server_ca.cert_pem.clone()
    }

    /// The earliest expiry of the set: the admin certificate's. A certificate that cannot be
    /// parsed counts as already expired (the Unix epoch), so callers plan its replacement.
    pub fn not_after(&self) -> OffsetDateTime {
        certificate_not_after(&self.admin.cert_pem).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// [`ClusterPki::not_after`] as RFC 3339, e.g. `2027-11-21T14:00:00Z`.
    pub fn not_after_rfc3339(&self) -> String {
        self.not_after()
            .format(&time::format_description::well_known::Rfc3339)
            .expect("a UTC time in range formats as RFC 3339")
    }

    fn leaf_cas(&self) -> [&CertKey; 5] {
        [
            &self.client_ca,
            &self.server_ca,
            &self.request_header_ca,
            &self.etcd_peer_ca,
            &self.etcd_server_ca,
        ]
    }
}

impl std::fmt::Debug for ClusterPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterPki")
            .field("root_ca", &self.root_ca)
            .field("intermediate_ca", &self.intermediate_ca)
            .field("server_ca", &self.server_ca)
            .field("client_ca", &self.client_ca)
            .field("request_header_ca", &self.request_header_ca)
            .field("etcd_peer_ca", &self.etcd_peer_ca)
            .field("etcd_server_ca", &self.etcd_server_ca)
            .field("service_account_key_pem", &"<redacted>")
            .field("admin", &self.admin)
            .finish()
    }
}

fn validate(opts: &PkiOptions) -> Result<(), PkiError> {
    if opts.cluster_name.trim().is_empty() {
        return Err(PkiError::invalid("cluster_name", "must not be empty"));
    }
    if opts.cluster_name.chars().any(char::is_control) {
        return Err(PkiError::invalid(
            "cluster_name",
            "must not contain control characters",
        ));
    }
    if opts.ca_validity_days == 0 {
        return Err(PkiError::invalid("ca_validity_days", "must be at least 1"));
    }
    if opts.client_validity_days == 0 {
        return Err(PkiError::invalid(
            "client_validity_days",
            "must be at least 1",
        ));
    }
    if opts.client_validity_days > opts.ca_validity_days {
        return Err(PkiError::invalid(
            "client_validity_days",
            format!(
                "{} exceeds ca_validity_days ({}); a certificate cannot outlive the CA that signed it",
                opts.client_validity_days, opts.ca_validity_days
            ),
        ));
    }
    Ok(())
}

/// The first PEM certificate of a bundle, byte for byte (with its trailing newline).
fn first_certificate(bundle: &str) -> &str {
    const END: &str = "-----END CERTIFICATE-----";
    match bundle.find(END) {
        Some(at) => {
            let end = at + END.len();
            let end = if bundle[end..].starts_with('\n') {
                end + 1
            } else {
                end
            };
            &bundle[..end]
        }
        None => bundle,
    }
}

fn certificate_not_after(cert_pem: &str) -> Option<OffsetDateTime> {
    let block = pem::parse(first_certificate(cert_pem)).ok()?;
    let (_, cert) = x509_parser::parse_x509_certificate(block.contents()).ok()?;
    Some(cert.validity().not_after.to_datetime())
}
