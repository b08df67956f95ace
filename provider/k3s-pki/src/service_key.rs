//! The service-account issuer key (`service.key`).
//!
//! k3s's custom-CA script always writes an RSA key in the traditional PKCS#1 form
//! (`openssl genrsa -traditional`), which every Kubernetes key loader reads. We follow it:
//! RSA of the chosen size when an RSA algorithm is chosen, RSA 2048 (the script's size) otherwise.

use x509_parser::der_parser;

use crate::{KeyAlgorithm, PkiError};

pub(crate) fn generate(algorithm: KeyAlgorithm) -> Result<String, PkiError> {
    let rsa = if algorithm.is_rsa() {
        algorithm
    } else {
        KeyAlgorithm::Rsa2048
    };
    let key = rsa.generate_key()?;
    let pkcs1 = pkcs1_from_pkcs8(key.serialized_der())?;
    Ok(pem::encode_config(
        &pem::Pem::new("RSA PRIVATE KEY", pkcs1),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    ))
}

/// PKCS#8 `PrivateKeyInfo ::= SEQUENCE { version, algorithm, privateKey OCTET STRING }`; for RSA
/// the octet string is the PKCS#1 `RSAPrivateKey`.
fn pkcs1_from_pkcs8(pkcs8: &[u8]) -> Result<Vec<u8>, PkiError> {
    let malformed = || PkiError::UnsupportedKey("generated RSA key is not PKCS#8".into());
    let (_, info) = der_parser::parse_der(pkcs8).map_err(|_| malformed())?;
    let fields = info.as_sequence().map_err(|_| malformed())?;
    let private_key = fields.get(2).ok_or_else(malformed)?;
    Ok(private_key.as_slice().map_err(|_| malformed())?.to_vec())
}
