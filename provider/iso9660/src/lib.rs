//! An in-memory ISO 9660 image writer for small, flat images such as cloud-init's NoCloud
//! disk (volume id `cidata` with `user-data`, `meta-data`, `network-config`).
//!
//! Files live in the root directory. Each gets two names: a Joliet one (UCS-2, case and
//! dashes kept, up to 64 characters; what Linux isofs, Windows and `isoinfo -J` show) and a
//! generated ISO 9660 level-1 "8.3;1" one for readers without Joliet. Output is
//! deterministic: the same files, names and timestamp give the same bytes.
//!
//! ```
//! let mut iso = iso9660::IsoImage::new("cidata")?;
//! iso.add_file("meta-data", "instance-id: i-1\n")?;
//! iso.add_file("user-data", "#cloud-config\n")?;
//! let bytes = iso.to_bytes()?;
//! assert_eq!(bytes.len() % iso9660::SECTOR, 0);
//! # Ok::<(), iso9660::IsoError>(())
//! ```

mod layout;
mod names;
mod time;

pub use names::JOLIET_MAX_NAME;

/// ISO 9660 logical sector (and block) size.
pub const SECTOR: usize = 2048;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IsoError {
    #[error(
        "invalid volume id {0:?}: use 1 to 16 printable ASCII characters without spaces at the ends"
    )]
    InvalidVolumeId(String),
    #[error("invalid file name {name:?}: {reason}")]
    InvalidName { name: String, reason: String },
    #[error("two files are named {0:?}")]
    DuplicateName(String),
    #[error("file {name:?} has {len} bytes; an ISO 9660 file holds at most 4294967295")]
    FileTooLarge { name: String, len: usize },
    #[error("the image would need more than 2^32 sectors")]
    ImageTooLarge,
}

/// A file to be written into the image's root directory.
struct File {
    name: String,
    joliet: Vec<u8>,
    data: Vec<u8>,
}

/// An image being assembled: a volume id, a timestamp and root-directory files.
pub struct IsoImage {
    volume_id: String,
    timestamp: time::DateTime,
    files: Vec<File>,
}

impl IsoImage {
    /// An empty image. The timestamp defaults to the Unix epoch, so output depends on
    /// content only (see [`IsoImage::timestamp`]).
    pub fn new(volume_id: &str) -> Result<Self, IsoError> {
        names::check_volume_id(volume_id)?;
        Ok(Self {
            volume_id: volume_id.to_string(),
            timestamp: time::DateTime::from_unix(0),
            files: Vec::new(),
        })
    }

    /// Records `unix_secs` (UTC) as the creation time of the volume and its files.
    pub fn timestamp(mut self, unix_secs: i64) -> Self {
        self.timestamp = time::DateTime::from_unix(unix_secs);
        self
    }

    /// Adds a file to the root directory under `name`, as Joliet readers will show it.
    pub fn add_file(&mut self, name: &str, data: impl Into<Vec<u8>>) -> Result<(), IsoError> {
        let joliet = names::joliet_name(name)?;
        if self.files.iter().any(|f| f.name == name) {
            return Err(IsoError::DuplicateName(name.to_string()));
        }
        let data = data.into();
        if u32::try_from(data.len()).is_err() {
            return Err(IsoError::FileTooLarge {
                name: name.to_string(),
                len: data.len(),
            });
        }
        self.files.push(File {
            name: name.to_string(),
            joliet,
            data,
        });
        Ok(())
    }

    /// The complete image; its length is a multiple of [`SECTOR`].
    pub fn to_bytes(&self) -> Result<Vec<u8>, IsoError> {
        layout::write(self)
    }
}
