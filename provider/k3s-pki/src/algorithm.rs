//! The key type used for every key of a cluster's PKI.

use std::fmt;
use std::str::FromStr;

use rcgen::{KeyPair, RsaKeySize, SignatureAlgorithm};

use crate::PkiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    EcdsaP256,
    EcdsaP384,
    Rsa2048,
    Rsa3072,
    Rsa4096,
}

impl KeyAlgorithm {
    /// Every algorithm, in the order the names are listed in errors and docs.
    pub const ALL: [KeyAlgorithm; 5] = [
        KeyAlgorithm::EcdsaP256,
        KeyAlgorithm::EcdsaP384,
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Rsa3072,
        KeyAlgorithm::Rsa4096,
    ];

    /// The accepted spellings, same order as [`KeyAlgorithm::ALL`].
    pub const NAMES: [&'static str; 5] = [
        "ecdsa-p256",
        "ecdsa-p384",
        "rsa-2048",
        "rsa-3072",
        "rsa-4096",
    ];

    pub fn name(self) -> &'static str {
        let index = Self::ALL
            .iter()
            .position(|a| *a == self)
            .expect("ALL lists every variant");
        Self::NAMES[index]
    }

    pub fn is_rsa(self) -> bool {
        matches!(self, Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096)
    }

    fn signature_algorithm(self) -> &'static SignatureAlgorithm {
        match self {
            Self::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            Self::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => &rcgen::PKCS_RSA_SHA256,
        }
    }

    pub(crate) fn generate_key(self) -> Result<KeyPair, PkiError> {
        let alg = self.signature_algorithm();
        let generated = match self {
            Self::EcdsaP256 | Self::EcdsaP384 => KeyPair::generate_for(alg),
            Self::Rsa2048 => KeyPair::generate_rsa_for(alg, RsaKeySize::_2048),
            Self::Rsa3072 => KeyPair::generate_rsa_for(alg, RsaKeySize::_3072),
            Self::Rsa4096 => KeyPair::generate_rsa_for(alg, RsaKeySize::_4096),
        };
        generated.map_err(|e| PkiError::KeyGeneration {
            algorithm: self,
            source: e,
        })
    }

    /// The algorithm of an existing key, so certificates issued from a loaded CA use its key type.
    pub(crate) fn of_key(key: &KeyPair) -> Result<Self, PkiError> {
        let alg = key.algorithm();
        if alg == &rcgen::PKCS_ECDSA_P256_SHA256 {
            return Ok(Self::EcdsaP256);
        }
        if alg == &rcgen::PKCS_ECDSA_P384_SHA384 {
            return Ok(Self::EcdsaP384);
        }
        if alg == &rcgen::PKCS_RSA_SHA256 {
            let rsa = aws_lc_rs::rsa::KeyPair::from_pkcs8(key.serialized_der())
                .or_else(|_| aws_lc_rs::rsa::KeyPair::from_der(key.serialized_der()))
                .map_err(|_| PkiError::UnsupportedKey("RSA key that aws-lc cannot load".into()))?;
            return match rsa.public_modulus_len() * 8 {
                2048 => Ok(Self::Rsa2048),
                3072 => Ok(Self::Rsa3072),
                4096 => Ok(Self::Rsa4096),
                bits => Err(PkiError::UnsupportedKey(format!("RSA key of {bits} bits"))),
            };
        }
        Err(PkiError::UnsupportedKey(format!("{alg:?}")))
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A key type name that is not one of [`KeyAlgorithm::NAMES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown key algorithm {given:?}; valid values are {}", KeyAlgorithm::NAMES.join(", "))]
pub struct UnknownKeyAlgorithm {
    pub given: String,
}

impl FromStr for KeyAlgorithm {
    type Err = UnknownKeyAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::NAMES
            .iter()
            .position(|name| *name == s)
            .map(|index| Self::ALL[index])
            .ok_or_else(|| UnknownKeyAlgorithm {
                given: s.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for alg in KeyAlgorithm::ALL {
            assert_eq!(alg.to_string().parse::<KeyAlgorithm>(), Ok(alg));
        }
    }

    #[test]
    fn unknown_name_lists_valid_values() {
        let err = "rsa-1024".parse::<KeyAlgorithm>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown key algorithm \"rsa-1024\"; valid values are ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096"
        );
    }
}
