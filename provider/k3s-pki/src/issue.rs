//! Signing certificates: self-signed roots, CAs signed by a parent, and leaf certificates.

use std::fmt;
use std::net::IpAddr;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use time::{Duration, OffsetDateTime};

use crate::{KeyAlgorithm, PkiError};

/// A PEM certificate (possibly followed by its chain) and its PEM private key.
#[derive(Clone, PartialEq, Eq)]
pub struct CertKey {
    pub cert_pem: String,
    pub key_pem: String,
}

// Written by hand so a logged CertKey never shows the private key.
impl fmt::Debug for CertKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertKey")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// Certificates start a little in the past: a node whose clock lags the machine running
/// Terraform must still accept them right after boot.
const BACKDATE: Duration = Duration::minutes(5);

/// OID of the X.520 organizationName attribute, for a second O in one subject
/// (rcgen keeps one value per attribute type).
const ORGANIZATION_OID: [u64; 4] = [2, 5, 4, 10];

/// A certificate authority loaded into rcgen, ready to sign.
pub(crate) struct Authority {
    cert: rcgen::Certificate,
    key: KeyPair,
    pem: String,
}

impl Authority {
    pub(crate) fn self_signed(
        common_name: &str,
        org: &str,
        algorithm: KeyAlgorithm,
        days: u32,
    ) -> Result<Self, PkiError> {
        let key = algorithm.generate_key()?;
        let params = ca_params(common_name, org, days)?;
        let cert = params.self_signed(&key).map_err(PkiError::Sign)?;
        let pem = cert.pem();
        Ok(Self { cert, key, pem })
    }

    /// Loads a CA from PEM (the first certificate of `cert_pem` is the CA itself).
    pub(crate) fn load(ca: &CertKey) -> Result<Self, PkiError> {
        let key = KeyPair::from_pem(&ca.key_pem)
            .map_err(|e| PkiError::InvalidCa(format!("private key: {e}")))?;
        let first = pem::parse_many(&ca.cert_pem)
            .map_err(|e| PkiError::InvalidCa(format!("certificate PEM: {e}")))?
            .into_iter()
            .find(|block| block.tag() == "CERTIFICATE")
            .ok_or_else(|| PkiError::InvalidCa("no CERTIFICATE block in cert_pem".into()))?;
        let der = rustls_pki_types::CertificateDer::from(first.contents().to_vec());
        let params = CertificateParams::from_ca_cert_der(&der)
            .map_err(|e| PkiError::InvalidCa(format!("certificate: {e}")))?;
        if !matches!(params.is_ca, IsCa::Ca(_)) {
            return Err(PkiError::InvalidCa(
                "certificate is not a CA (basicConstraints CA:false or absent)".into(),
            ));
        }
        let pem = pem::encode(&first);
        // Re-signing only rebuilds rcgen's issuer view (subject, key identifier); the
        // original PEM is what gets distributed.
        let cert = params.self_signed(&key).map_err(PkiError::Sign)?;
        if public_key_mismatch(&key, first.contents()) {
            return Err(PkiError::InvalidCa(
                "private key does not belong to the certificate".into(),
            ));
        }
        Ok(Self { cert, key, pem })
    }

    pub(crate) fn key_algorithm(&self) -> Result<KeyAlgorithm, PkiError> {
        KeyAlgorithm::of_key(&self.key)
    }

    pub(crate) fn cert_key(&self) -> CertKey {
        CertKey {
            cert_pem: self.pem.clone(),
            key_pem: self.key.serialize_pem(),
        }
    }

    /// The CA certificate alone, PEM.
    pub(crate) fn pem(&self) -> &str {
        &self.pem
    }

    pub(crate) fn issue_ca(
        &self,
        common_name: &str,
        org: &str,
        algorithm: KeyAlgorithm,
        days: u32,
    ) -> Result<Self, PkiError> {
        let key = algorithm.generate_key()?;
        let cert = ca_params(common_name, org, days)?
            .signed_by(&key, &self.cert, &self.key)
            .map_err(PkiError::Sign)?;
        let pem = cert.pem();
        Ok(Self { cert, key, pem })
    }

    pub(crate) fn issue_leaf(
        &self,
        leaf: &LeafSpec<'_>,
        algorithm: KeyAlgorithm,
    ) -> Result<CertKey, PkiError> {
        let key = algorithm.generate_key()?;
        let mut params = base_params(leaf.common_name, leaf.organizations, leaf.validity_days)?;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        if algorithm.is_rsa() {
            // RSA key exchange (TLS 1.2 without ECDHE) encrypts with the certificate's key.
            params.key_usages.push(KeyUsagePurpose::KeyEncipherment);
        }
        params.extended_key_usages = vec![leaf.usage.purpose()];
        params.subject_alt_names = leaf
            .sans
            .iter()
            .map(|san| san_type(san))
            .collect::<Result<_, _>>()?;
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .map_err(PkiError::Sign)?;
        Ok(CertKey {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

/// rcgen cannot tell whether a key matches a certificate it parsed; compare the public keys.
fn public_key_mismatch(key: &KeyPair, cert_der: &[u8]) -> bool {
    match x509_parser::parse_x509_certificate(cert_der) {
        Ok((_, cert)) => cert.public_key().subject_public_key.data.as_ref() != key.public_key_raw(),
        Err(_) => true,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LeafUsage {
    Server,
    Client,
}

impl LeafUsage {
    fn purpose(self) -> ExtendedKeyUsagePurpose {
        match self {
            Self::Server => ExtendedKeyUsagePurpose::ServerAuth,
            Self::Client => ExtendedKeyUsagePurpose::ClientAuth,
        }
    }
}

pub(crate) struct LeafSpec<'a> {
    pub common_name: &'a str,
    pub organizations: &'a [String],
    pub sans: &'a [String],
    pub usage: LeafUsage,
    pub validity_days: u32,
}

fn san_type(san: &str) -> Result<SanType, PkiError> {
    if let Ok(ip) = san.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let dns = san.try_into().map_err(|_| {
        PkiError::invalid(
            "sans",
            format!("{san:?} is not an IP address or an ASCII DNS name"),
        )
    })?;
    Ok(SanType::DnsName(dns))
}

fn ca_params(common_name: &str, org: &str, days: u32) -> Result<CertificateParams, PkiError> {
    let mut params = base_params(common_name, &[org.to_string()], days)?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
    ];
    Ok(params)
}

fn base_params(
    common_name: &str,
    organizations: &[String],
    days: u32,
) -> Result<CertificateParams, PkiError> {
    if common_name.is_empty() {
        return Err(PkiError::invalid("common_name", "must not be empty"));
    }
    if days == 0 {
        return Err(PkiError::invalid("validity_days", "must be at least 1"));
    }
    let mut params = CertificateParams::default();
    params.distinguished_name = subject(common_name, organizations)?;
    let now = OffsetDateTime::now_utc();
    params.not_before = now - BACKDATE;
    params.not_after = now + Duration::days(i64::from(days));
    params.serial_number = Some(random_serial());
    // Kubernetes' and k3s's Go code build chains and the token's CA hash by key identifiers,
    // as the CA script's `authorityKeyIdentifier = keyid:always` does.
    params.use_authority_key_identifier_extension = true;
    Ok(params)
}

fn subject(common_name: &str, organizations: &[String]) -> Result<DistinguishedName, PkiError> {
    let mut dn = DistinguishedName::new();
    match organizations {
        [] => {}
        [only] => dn.push(DnType::OrganizationName, only.as_str()),
        [first, second] => {
            dn.push(DnType::OrganizationName, first.as_str());
            dn.push(DnType::CustomDnType(ORGANIZATION_OID.to_vec()), second.as_str());
        }
        _ => {
            return Err(PkiError::invalid(
                "organizations",
                format!("{} given; at most 2 organizations (Kubernetes groups) per certificate are supported", organizations.len()),
            ))
        }
    }
    dn.push(DnType::CommonName, common_name);
    Ok(dn)
}

/// 16 random bytes, top bit cleared so the DER integer stays positive and within 20 bytes.
fn random_serial() -> SerialNumber {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).expect("system random generator");
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    SerialNumber::from_slice(&bytes)
}

/// Issues a TLS server certificate from `ca`, with a key of the CA's own type.
pub fn issue_serving_cert(
    ca: &CertKey,
    common_name: &str,
    sans: &[String],
    validity_days: u32,
) -> Result<CertKey, PkiError> {
    issue_leaf_from(
        ca,
        &LeafSpec {
            common_name,
            organizations: &[],
            sans,
            usage: LeafUsage::Server,
            validity_days,
        },
    )
}

/// Issues a TLS client certificate from `ca`; Kubernetes reads the organizations as groups.
pub fn issue_client_cert(
    ca: &CertKey,
    common_name: &str,
    organizations: &[String],
    validity_days: u32,
) -> Result<CertKey, PkiError> {
    issue_leaf_from(
        ca,
        &LeafSpec {
            common_name,
            organizations,
            sans: &[],
            usage: LeafUsage::Client,
            validity_days,
        },
    )
}

fn issue_leaf_from(ca: &CertKey, leaf: &LeafSpec<'_>) -> Result<CertKey, PkiError> {
    let authority = Authority::load(ca)?;
    let algorithm = authority.key_algorithm()?;
    authority.issue_leaf(leaf, algorithm)
}
