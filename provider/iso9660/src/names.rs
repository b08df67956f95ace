//! File and volume names in their two ISO 9660 spellings: Joliet (UCS-2, what Linux, Windows
//! and isoinfo -J show) and the primary ISO 9660 level-1 "8.3;1" form that every reader
//! understands and that Joliet-aware readers ignore.

use crate::IsoError;

/// Joliet allows 64 UCS-2 characters per file identifier.
pub const JOLIET_MAX_NAME: usize = 64;
/// The volume identifier field holds 32 bytes: 32 d-characters or 16 UCS-2 characters.
pub const VOLUME_ID_BYTES: usize = 32;

/// Characters Joliet forbids in file identifiers (besides controls).
const JOLIET_FORBIDDEN: &[char] = &['*', '/', ':', ';', '?', '\\'];

/// `name` as a Joliet file identifier: big-endian UCS-2, no version suffix (Linux and
/// isoinfo strip ";1" anyway; leaving it out keeps names exactly as written).
pub fn joliet_name(name: &str) -> Result<Vec<u8>, IsoError> {
    let invalid = |reason: &str| IsoError::InvalidName {
        name: name.to_string(),
        reason: reason.to_string(),
    };
    if name.is_empty() || name == "." || name == ".." {
        return Err(invalid("a file needs a name other than \".\" or \"..\""));
    }
    if let Some(c) = name
        .chars()
        .find(|c| c.is_control() || JOLIET_FORBIDDEN.contains(c))
    {
        return Err(invalid(&format!(
            "{c:?} is not allowed (no control characters or any of * / : ; ? \\)"
        )));
    }
    let units = ucs2(name).ok_or_else(|| {
        invalid("characters outside the Basic Multilingual Plane cannot be stored in Joliet")
    })?;
    if units.len() / 2 > JOLIET_MAX_NAME {
        return Err(invalid(&format!(
            "longer than Joliet's {JOLIET_MAX_NAME} characters"
        )));
    }
    Ok(units)
}

/// Big-endian UCS-2, or None if a character needs a surrogate pair.
pub fn ucs2(s: &str) -> Option<Vec<u8>> {
    s.chars()
        .map(|c| u16::try_from(u32::from(c)).ok())
        .collect::<Option<Vec<u16>>>()
        .map(|units| units.iter().flat_map(|u| u.to_be_bytes()).collect())
}

/// The volume identifier: printable ASCII without spaces at the ends, at most 16 characters
/// so the Joliet copy (UCS-2) fits the same 32-byte field.
pub fn check_volume_id(id: &str) -> Result<(), IsoError> {
    let ok = !id.is_empty()
        && id.len() <= VOLUME_ID_BYTES / 2
        && id.chars().all(|c| c.is_ascii_graphic() || c == ' ')
        && id.trim() == id;
    if ok {
        Ok(())
    } else {
        Err(IsoError::InvalidVolumeId(id.to_string()))
    }
}

/// Primary-directory identifiers (ISO 9660 level 1: up to 8 d-characters, a dot, up to 3,
/// then ";1"), unique within the directory, in the order of `names`.
pub fn primary_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut taken = std::collections::HashSet::new();
    names
        .into_iter()
        .map(|name| {
            let (stem, ext) = match name.rsplit_once('.') {
                Some((s, e)) if !s.is_empty() => (d_chars(s), d_chars(e)),
                _ => (d_chars(name), String::new()),
            };
            let ext: String = ext.chars().take(3).collect();
            let mut candidate = format!("{}.{ext};1", truncate(&stem, 8));
            let mut n = 1u32;
            while !taken.insert(candidate.clone()) {
                // Level 1 names clash easily ("user-data-1", "user-data-2"): number them.
                let suffix = n.to_string();
                candidate = format!("{}{suffix}.{ext};1", truncate(&stem, 8 - suffix.len()));
                n += 1;
            }
            candidate
        })
        .collect()
}

/// Upper-case, with anything outside A-Z 0-9 _ replaced by `_`.
fn d_chars(s: &str) -> String {
    s.chars()
        .map(|c| match c.to_ascii_uppercase() {
            u @ ('A'..='Z' | '0'..='9' | '_') => u,
            _ => '_',
        })
        .collect()
}

fn truncate(s: &str, n: usize) -> &str {
    // d-characters are ASCII: byte and char positions agree.
    &s[..s.len().min(n)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joliet_keeps_lowercase_and_dashes() {
        assert_eq!(
            joliet_name("user-data").unwrap(),
            "user-data"
                .bytes()
                .flat_map(|b| [0, b])
                .collect::<Vec<u8>>()
        );
    }

    #[test]
    fn joliet_rejects_what_readers_cannot_show() {
        for bad in ["", ".", "..", "a/b", "a;1", "tab\there", "😀"] {
            let err = joliet_name(bad).unwrap_err();
            assert!(
                matches!(&err, IsoError::InvalidName { name, .. } if name == bad),
                "{bad:?}: {err}"
            );
        }
        assert!(joliet_name(&"x".repeat(64)).is_ok());
        assert!(joliet_name(&"x".repeat(65)).is_err());
    }

    #[test]
    fn primary_names_are_level_one_and_unique() {
        let names = primary_names(["user-data", "meta-data", "network-config", "user-data-2"]);
        assert_eq!(
            names,
            ["USER_DAT.;1", "META_DAT.;1", "NETWORK_.;1", "USER_DA1.;1"]
        );
        assert_eq!(primary_names(["a.tar.gz"]), ["A_TAR.GZ;1"]);
        assert_eq!(primary_names([".hidden"]), ["_HIDDEN.;1"]);
    }

    #[test]
    fn volume_ids_fit_both_descriptors() {
        assert!(check_volume_id("cidata").is_ok());
        assert!(check_volume_id("config-2").is_ok());
        for bad in ["", " cidata", "x".repeat(17).as_str(), "ci\ndata", "é"] {
            assert!(check_volume_id(bad).is_err(), "{bad:?}");
        }
    }
}
