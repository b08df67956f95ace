//! Images checked by an independent reader: `isoinfo` from genisoimage (cdrtools' reader),
//! for the volume descriptors, the Joliet and primary listings, and byte-exact extraction.

use std::path::Path;
use std::process::Command;

use iso9660::{IsoImage, SECTOR};
use proptest::prelude::*;

fn isoinfo(image: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("isoinfo")
        .args(args)
        .arg("-i")
        .arg(image)
        .output()
        .expect("isoinfo must be installed (Debian package genisoimage)");
    assert!(
        out.status.success(),
        "isoinfo {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn isoinfo_text(image: &Path, args: &[&str]) -> String {
    String::from_utf8(isoinfo(image, args)).expect("UTF-8 output")
}

/// Writes the image to a temp file for isoinfo.
fn on_disk(iso: &IsoImage) -> (tempfile::TempDir, std::path::PathBuf, Vec<u8>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("image.iso");
    let bytes = iso.to_bytes().expect("image");
    std::fs::write(&path, &bytes).expect("write image");
    (dir, path, bytes)
}

/// The names `isoinfo -l` lists in the root directory (without "." and "..").
fn listed_names(listing: &str) -> Vec<String> {
    let mut names: Vec<String> = listing
        .lines()
        .filter(|l| l.starts_with('-') || l.starts_with('d'))
        .filter_map(|l| l.rsplit_once("] ").map(|(_, name)| name.trim().to_string()))
        .filter(|n| n != "." && n != "..")
        .collect();
    names.sort();
    names
}

fn nocloud() -> IsoImage {
    let mut iso = IsoImage::new("cidata").unwrap();
    iso.add_file("user-data", "#cloud-config\nhostname: node-a\n")
        .unwrap();
    iso.add_file("meta-data", "instance-id: i-1\nlocal-hostname: node-a\n")
        .unwrap();
    iso.add_file("network-config", "version: 2\n").unwrap();
    iso
}

#[test]
fn volume_descriptors_name_cidata_and_joliet() {
    let (_d, path, bytes) = on_disk(&nocloud());
    let info = isoinfo_text(&path, &["-d"]);
    assert!(info.contains("Volume id: cidata"), "{info}");
    assert!(info.contains("Logical block size is: 2048"), "{info}");
    assert!(
        info.contains(&format!("Volume size is: {}", bytes.len() / SECTOR)),
        "{info}"
    );
    assert!(info.contains("Joliet with UCS level 3 found"), "{info}");
    let joliet = isoinfo_text(&path, &["-d", "-J"]);
    assert!(joliet.contains("Volume id: cidata"), "{joliet}");
}

#[test]
fn joliet_listing_shows_names_as_written() {
    let (_d, path, _) = on_disk(&nocloud());
    let listing = isoinfo_text(&path, &["-J", "-l"]);
    assert_eq!(
        listed_names(&listing),
        ["meta-data", "network-config", "user-data"],
        "{listing}"
    );
    let primary = isoinfo_text(&path, &["-l"]);
    assert_eq!(
        listed_names(&primary),
        ["META_DAT.;1", "NETWORK_.;1", "USER_DAT.;1"],
        "{primary}"
    );
}

#[test]
fn files_extract_byte_exact_through_both_directories() {
    let mut iso = nocloud();
    let big: Vec<u8> = (0..3 * SECTOR + 17).map(|i| (i * 7 % 251) as u8).collect();
    iso.add_file("big.bin", big.clone()).unwrap();
    iso.add_file("empty", Vec::new()).unwrap();
    let (_d, path, _) = on_disk(&iso);
    assert_eq!(isoinfo(&path, &["-J", "-x", "/big.bin"]), big);
    assert_eq!(isoinfo(&path, &["-x", "/BIG.BIN;1"]), big);
    assert_eq!(
        isoinfo(&path, &["-J", "-x", "/user-data"]),
        b"#cloud-config\nhostname: node-a\n"
    );
    assert_eq!(isoinfo(&path, &["-J", "-x", "/empty"]), b"");
}

#[test]
fn a_directory_spanning_several_sectors_lists_every_file() {
    let mut iso = IsoImage::new("many").unwrap();
    let names: Vec<String> = (0..120)
        .map(|i| format!("a-long-file-name-number-{i:03}"))
        .collect();
    for (i, n) in names.iter().enumerate() {
        iso.add_file(n, format!("content {i}\n")).unwrap();
    }
    let (_d, path, _) = on_disk(&iso);
    let mut expected = names.clone();
    expected.sort();
    assert_eq!(listed_names(&isoinfo_text(&path, &["-J", "-l"])), expected);
    assert_eq!(
        isoinfo(&path, &["-J", "-x", "/a-long-file-name-number-119"]),
        b"content 119\n"
    );
}

#[test]
fn output_is_deterministic_and_depends_on_the_timestamp() {
    let a = nocloud().to_bytes().unwrap();
    assert_eq!(a, nocloud().to_bytes().unwrap());
    let later = nocloud().timestamp(1_700_000_000).to_bytes().unwrap();
    assert_ne!(a, later);
    let (_d, path, _) = on_disk(&nocloud().timestamp(1_700_000_000));
    let listing = isoinfo_text(&path, &["-J", "-l"]);
    assert!(listing.contains("2023"), "file dates show: {listing}");
}

#[test]
fn bad_input_is_refused_naming_it() {
    let mut iso = IsoImage::new("cidata").unwrap();
    iso.add_file("user-data", "x").unwrap();
    assert_eq!(
        iso.add_file("user-data", "y").unwrap_err().to_string(),
        "two files are named \"user-data\""
    );
    let err = iso.add_file("dir/file", "y").unwrap_err().to_string();
    assert!(err.contains("\"dir/file\""), "{err}");
    let err = IsoImage::new("a-volume-id-too-long")
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("a-volume-id-too-long"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Any valid names and contents come back unchanged through isoinfo's Joliet reader.
    #[test]
    fn any_files_round_trip_through_isoinfo(
        files in prop::collection::btree_map("[a-z0-9][a-z0-9._-]{0,40}", prop::collection::vec(any::<u8>(), 0..5000), 1..6)
    ) {
        let mut iso = IsoImage::new("cidata").unwrap();
        for (name, data) in &files {
            iso.add_file(name, data.clone()).unwrap();
        }
        let (_d, path, _) = on_disk(&iso);
        let listing = isoinfo_text(&path, &["-J", "-l"]);
        prop_assert_eq!(listed_names(&listing), files.keys().cloned().collect::<Vec<_>>());
        for (name, data) in &files {
            prop_assert_eq!(&isoinfo(&path, &["-J", "-x", &format!("/{name}")]), data);
        }
    }
}
