//! Where everything goes, and the bytes of each structure (ECMA-119 for ISO 9660, plus the
//! Joliet supplementary volume descriptor).
//!
//! ```text
//! sectors 0-15   system area (zeros)
//! 16             primary volume descriptor
//! 17             supplementary volume descriptor (Joliet, UCS-2 level 3)
//! 18             volume descriptor set terminator
//! 19, 20         primary path table, little- and big-endian
//! 21, 22         Joliet path table, little- and big-endian
//! 23...          primary root directory, then Joliet root directory
//! then           file data, each file from a sector boundary (shared by both directories)
//! last 150        zero padding, as genisoimage writes by default
//! ```

use crate::names::{primary_names, ucs2, VOLUME_ID_BYTES};
use crate::{IsoError, IsoImage, SECTOR};

const PRIMARY_DESCRIPTOR_LBA: u32 = 16;
const PATH_TABLES_LBA: u32 = 19;
const ROOT_DIRECTORIES_LBA: u32 = 23;
/// Joliet's escape sequence for UCS-2 level 3.
const JOLIET_ESCAPE: &[u8] = b"%/E";
const DIRECTORY_FLAG: u8 = 0x02;
/// Trailing zero sectors (counted in the volume size). Linux reads ahead past the last
/// file on CD-ROM devices, and some label probes (busybox findfs: a fixed 68 KiB read)
/// ignore smaller devices; genisoimage pads by the same amount for the same reasons.
const TRAILING_PADDING_SECTORS: u64 = 150;
/// "." and ".." in a directory's own records.
const SELF_ID: &[u8] = &[0];
const PARENT_ID: &[u8] = &[1];

/// One directory's view of the files: its identifiers in recording order.
struct Directory {
    /// (identifier, index into the image's files), sorted by identifier.
    entries: Vec<(Vec<u8>, usize)>,
    lba: u32,
    sectors: u32,
}

impl Directory {
    fn new(mut entries: Vec<(Vec<u8>, usize)>, lba: u32) -> Self {
        entries.sort();
        let mut dir = Self {
            entries,
            lba,
            sectors: 0,
        };
        // Record lengths do not depend on extents: pack once with placeholders to size it.
        dir.sectors = sectors_for(dir.encode(&[], [0; 7]).len());
        dir
    }

    fn size(&self) -> u32 {
        self.sectors * SECTOR as u32
    }

    /// The directory's sectors; `files` holds each file's (extent, length).
    fn encode(&self, files: &[(u32, u32)], date: [u8; 7]) -> Vec<u8> {
        let own = |id| directory_record(id, self.lba, self.size(), DIRECTORY_FLAG, date);
        let mut records = vec![own(SELF_ID), own(PARENT_ID)];
        records.extend(self.entries.iter().map(|(id, i)| {
            let (extent, len) = files.get(*i).copied().unwrap_or_default();
            directory_record(id, extent, len, 0, date)
        }));
        let mut out = Vec::new();
        for r in records {
            // A record never crosses a sector boundary.
            let room = SECTOR - out.len() % SECTOR;
            if r.len() > room {
                out.resize(out.len() + room, 0);
            }
            out.extend_from_slice(&r);
        }
        out.resize(sectors_for(out.len()) as usize * SECTOR, 0);
        out
    }
}

fn sectors_for(bytes: usize) -> u32 {
    // Callers check the image size in u64 before anything this large is built.
    bytes.div_ceil(SECTOR) as u32
}

pub fn write(image: &IsoImage) -> Result<Vec<u8>, IsoError> {
    let primary_ids = primary_names(image.files.iter().map(|f| f.name.as_str()));
    let primary = Directory::new(
        primary_ids
            .into_iter()
            .map(String::into_bytes)
            .zip(0..)
            .collect(),
        ROOT_DIRECTORIES_LBA,
    );
    let joliet = Directory::new(
        image
            .files
            .iter()
            .map(|f| f.joliet.clone())
            .zip(0..)
            .collect(),
        primary.lba + primary.sectors,
    );

    let mut next = u64::from(joliet.lba + joliet.sectors);
    let mut extents = Vec::with_capacity(image.files.len());
    for f in &image.files {
        let extent = u32::try_from(next).map_err(|_| IsoError::ImageTooLarge)?;
        // add_file checked that every length fits in u32.
        extents.push((extent, f.data.len() as u32));
        next += f.data.len().div_ceil(SECTOR) as u64;
    }
    let total =
        u32::try_from(next + TRAILING_PADDING_SECTORS).map_err(|_| IsoError::ImageTooLarge)?;

    let date = image.timestamp.record_bytes();
    let mut out = vec![0u8; total as usize * SECTOR];
    let mut put = |lba: u32, bytes: &[u8]| {
        let at = lba as usize * SECTOR;
        out[at..at + bytes.len()].copy_from_slice(bytes);
    };
    let descriptor = |kind: Kind, dir: &Directory, tables: u32| {
        volume_descriptor(kind, image, dir, tables, total)
    };
    put(
        PRIMARY_DESCRIPTOR_LBA,
        &descriptor(Kind::Primary, &primary, PATH_TABLES_LBA),
    );
    put(
        PRIMARY_DESCRIPTOR_LBA + 1,
        &descriptor(Kind::Joliet, &joliet, PATH_TABLES_LBA + 2),
    );
    put(PRIMARY_DESCRIPTOR_LBA + 2, &terminator());
    for (i, dir) in [&primary, &joliet].into_iter().enumerate() {
        let tables = PATH_TABLES_LBA + 2 * i as u32;
        put(tables, &root_path_table(dir.lba, Endian::Little));
        put(tables + 1, &root_path_table(dir.lba, Endian::Big));
        put(dir.lba, &dir.encode(&extents, date));
    }
    for (f, (extent, _)) in image.files.iter().zip(&extents) {
        put(*extent, &f.data);
    }
    Ok(out)
}

#[derive(Clone, Copy)]
enum Kind {
    Primary,
    Joliet,
}

impl Kind {
    /// A text field: ASCII for the primary descriptor, UCS-2 for Joliet; padded with spaces.
    fn text(self, s: &str, width: usize) -> Vec<u8> {
        let (mut bytes, space): (Vec<u8>, &[u8]) = match self {
            Kind::Primary => (s.as_bytes().to_vec(), b" "),
            // Volume ids are checked to be ASCII, so UCS-2 always succeeds.
            Kind::Joliet => (ucs2(s).unwrap_or_default(), &[0, b' ']),
        };
        bytes.truncate(width);
        while bytes.len() < width {
            bytes.extend_from_slice(space);
        }
        bytes.truncate(width);
        bytes
    }
}

fn volume_descriptor(
    kind: Kind,
    image: &IsoImage,
    root: &Directory,
    path_tables: u32,
    total_sectors: u32,
) -> Vec<u8> {
    let (type_code, escape) = match kind {
        Kind::Primary => (1, &[][..]),
        Kind::Joliet => (2, JOLIET_ESCAPE),
    };
    let created = image.timestamp.descriptor_bytes();
    let unspecified = {
        let mut d = [b'0'; 17];
        d[16] = 0;
        d
    };
    let mut d = Vec::with_capacity(SECTOR);
    d.push(type_code);
    d.extend_from_slice(b"CD001");
    d.push(1); // descriptor version
    d.push(0);
    d.extend(kind.text("", 32)); // system identifier
    d.extend(kind.text(&image.volume_id, VOLUME_ID_BYTES));
    d.extend([0; 8]);
    d.extend(both_u32(total_sectors));
    let mut escapes = escape.to_vec();
    escapes.resize(32, 0);
    d.extend(escapes);
    d.extend(both_u16(1)); // volume set size
    d.extend(both_u16(1)); // volume sequence number
    d.extend(both_u16(SECTOR as u16));
    d.extend(both_u32(ROOT_PATH_TABLE_LEN));
    d.extend(path_tables.to_le_bytes()); // little-endian table
    d.extend([0; 4]);
    d.extend((path_tables + 1).to_be_bytes()); // big-endian table
    d.extend([0; 4]);
    d.extend(directory_record(
        SELF_ID,
        root.lba,
        root.size(),
        DIRECTORY_FLAG,
        image.timestamp.record_bytes(),
    ));
    for width in [128, 128, 128, 128, 37, 37, 37] {
        // volume set, publisher, preparer, application, copyright, abstract, bibliography
        d.extend(kind.text("", width));
    }
    d.extend(created); // creation
    d.extend(created); // modification
    d.extend(unspecified); // expiration
    d.extend(unspecified); // effective
    d.push(1); // file structure version
    d.resize(SECTOR, 0);
    d
}

fn terminator() -> Vec<u8> {
    let mut d = vec![255];
    d.extend_from_slice(b"CD001");
    d.push(1);
    d.resize(SECTOR, 0);
    d
}

fn directory_record(id: &[u8], extent: u32, len: u32, flags: u8, date: [u8; 7]) -> Vec<u8> {
    let mut r = Vec::with_capacity(34 + id.len());
    let padded = 33 + id.len() + (id.len() + 1) % 2; // records have even length
    r.push(padded as u8);
    r.push(0); // extended attribute record length
    r.extend(both_u32(extent));
    r.extend(both_u32(len));
    r.extend(date);
    r.push(flags);
    r.push(0); // file unit size
    r.push(0); // interleave gap
    r.extend(both_u16(1)); // volume sequence number
    r.push(id.len() as u8);
    r.extend_from_slice(id);
    r.resize(padded, 0);
    r
}

enum Endian {
    Little,
    Big,
}

/// The root is the only directory: identifier length 1, its extent, parent number 1.
const ROOT_PATH_TABLE_LEN: u32 = 10;

fn root_path_table(root_lba: u32, endian: Endian) -> Vec<u8> {
    let mut t = vec![1, 0];
    match endian {
        Endian::Little => {
            t.extend(root_lba.to_le_bytes());
            t.extend(1u16.to_le_bytes());
        }
        Endian::Big => {
            t.extend(root_lba.to_be_bytes());
            t.extend(1u16.to_be_bytes());
        }
    }
    t.extend([0, 0]); // root identifier, padding to even length
    t
}

fn both_u32(v: u32) -> impl Iterator<Item = u8> {
    v.to_le_bytes().into_iter().chain(v.to_be_bytes())
}

fn both_u16(v: u16) -> impl Iterator<Item = u8> {
    v.to_le_bytes().into_iter().chain(v.to_be_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_records_have_even_length_and_the_documented_fields() {
        let r = directory_record(b"AB;1", 0x0102_0304, 5, 0, [1, 2, 3, 4, 5, 6, 0]);
        assert_eq!(r.len(), 38);
        assert_eq!(r[0], 38);
        assert_eq!(&r[2..10], &[4, 3, 2, 1, 1, 2, 3, 4]);
        assert_eq!(&r[10..18], &[5, 0, 0, 0, 0, 0, 0, 5]);
        assert_eq!(r[32], 4);
        assert_eq!(directory_record(SELF_ID, 0, 0, 2, [0; 7]).len(), 34);
    }

    #[test]
    fn directory_records_never_cross_a_sector() {
        let entries: Vec<_> = (0..60).map(|i| (vec![b'x'; 40 + i % 7], i)).collect();
        let dir = Directory::new(entries, 23);
        let bytes = dir.encode(&[], [0; 7]);
        assert!(dir.sectors > 1);
        assert_eq!(bytes.len(), dir.sectors as usize * SECTOR);
        let mut at = 0;
        let mut seen = 0;
        while at < bytes.len() {
            let len = bytes[at] as usize;
            if len == 0 {
                at = (at / SECTOR + 1) * SECTOR; // rest of the sector is padding
                continue;
            }
            assert_eq!(at / SECTOR, (at + len - 1) / SECTOR, "record at {at}");
            seen += 1;
            at += len;
        }
        assert_eq!(seen, 62);
    }
}
