//! Volume content sources: a local file or an http(s) URL, streamed into a libvirt
//! volume through virStorageVolUpload (works over any URI, qemu+ssh included).

use std::io::Read;
use std::path::PathBuf;

use virt::connect::Connect;
use virt::storage_vol::StorageVol;
use virt::stream::Stream;

const CHUNK: usize = 1 << 20;
/// qcow2 images start with "QFI\xfb"; their virtual size is the big-endian u64 at offset 24.
const QCOW2_MAGIC: &[u8; 4] = b"QFI\xfb";

#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    #[error("cannot read {0}: {1}")]
    File(String, #[source] std::io::Error),
    #[error("downloading {0} failed: {1}")]
    Http(String, String),
    #[error("uploading into the volume failed after {sent} bytes: {source}")]
    Upload {
        sent: u64,
        #[source]
        source: virt::error::Error,
    },
    #[error("reading the source failed after {sent} bytes: {source}")]
    Read {
        sent: u64,
        #[source]
        source: std::io::Error,
    },
}

/// Where a volume's initial content comes from.
#[derive(Clone, Debug)]
pub enum Source {
    File(PathBuf),
    Url(String),
}

impl Source {
    pub fn parse(s: &str) -> Source {
        if s.starts_with("http://") || s.starts_with("https://") {
            Source::Url(s.to_string())
        } else {
            Source::File(PathBuf::from(s.strip_prefix("file://").unwrap_or(s)))
        }
    }

    /// Cheap plan-time check: a local file must exist (URLs are checked at apply).
    pub fn check(&self) -> Result<(), String> {
        match self {
            Source::File(p) if !p.is_file() => {
                Err(format!("{} is not a readable file", p.display()))
            }
            _ => Ok(()),
        }
    }

    fn open(&self) -> Result<(Box<dyn Read + Send>, Option<u64>), ContentError> {
        match self {
            Source::File(p) => {
                let f = std::fs::File::open(p)
                    .map_err(|e| ContentError::File(p.display().to_string(), e))?;
                let len = f
                    .metadata()
                    .map_err(|e| ContentError::File(p.display().to_string(), e))?
                    .len();
                Ok((Box::new(f), Some(len)))
            }
            Source::Url(u) => {
                let resp = ureq::get(u)
                    .call()
                    .map_err(|e| ContentError::Http(u.clone(), e.to_string()))?;
                let len = resp.header("Content-Length").and_then(|l| l.parse().ok());
                Ok((Box::new(resp.into_reader()), len))
            }
        }
    }

    /// The capacity a volume needs to hold this content: a qcow2 image's virtual size,
    /// otherwise the content's length.
    pub fn required_capacity(&self) -> Result<u64, ContentError> {
        let (mut reader, len) = self.open()?;
        let mut header = [0u8; 32];
        let mut got = 0;
        while got < header.len() {
            match reader.read(&mut header[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) => return Err(ContentError::Read { sent: 0, source: e }),
            }
        }
        if got == header.len() && &header[..4] == QCOW2_MAGIC {
            return Ok(u64::from_be_bytes(
                header[24..32].try_into().unwrap_or_default(),
            ));
        }
        match len {
            Some(l) => Ok(l),
            // Unknown length: count it.
            None => Ok(got as u64
                + std::io::copy(&mut reader, &mut std::io::sink())
                    .map_err(|e| ContentError::Read { sent: 0, source: e })?),
        }
    }

    fn describe(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Url(u) => u.clone(),
        }
    }
}

/// Streams the content into `vol`, logging progress; returns the bytes sent.
pub fn upload(conn: &Connect, vol: &StorageVol, source: &Source) -> Result<u64, ContentError> {
    let (mut reader, len) = source.open()?;
    upload_reader(conn, vol, &mut reader, len, &source.describe())
}

/// Streams everything `reader` yields into `vol` from offset 0 (virStorageVolUpload),
/// logging progress as `what`; returns the bytes sent. On failure the stream is aborted.
pub fn upload_reader(
    conn: &Connect,
    vol: &StorageVol,
    reader: &mut dyn Read,
    len: Option<u64>,
    what: &str,
) -> Result<u64, ContentError> {
    let stream = Stream::new(conn, 0).map_err(|e| ContentError::Upload { sent: 0, source: e })?;
    vol.upload(&stream, 0, len.unwrap_or(0), 0)
        .map_err(|e| ContentError::Upload { sent: 0, source: e })?;
    tracing::info!(source = %what, bytes = ?len, "uploading volume content");
    let mut buf = vec![0u8; CHUNK];
    let mut sent = 0u64;
    let mut next_report = 0u64;
    let result = loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) => break Err(ContentError::Read { sent, source: e }),
        };
        if let Err(e) = send_all(&stream, &buf[..n]) {
            break Err(ContentError::Upload { sent, source: e });
        }
        sent += n as u64;
        if sent >= next_report {
            match len {
                Some(total) if total > 0 => tracing::info!(
                    source = %what,
                    "uploaded {sent} of {total} bytes ({}%)",
                    sent * 100 / total
                ),
                _ => tracing::info!(source = %what, "uploaded {sent} bytes"),
            }
            next_report = sent + len.map_or(64 << 20, |t| (t / 10).max(CHUNK as u64));
        }
    };
    match result {
        Ok(()) => {
            stream
                .finish()
                .map_err(|e| ContentError::Upload { sent, source: e })?;
            tracing::info!(source = %what, "upload complete: {sent} bytes");
            Ok(sent)
        }
        Err(e) => {
            let _ = stream.abort();
            Err(e)
        }
    }
}

fn send_all(stream: &Stream, mut data: &[u8]) -> Result<(), virt::error::Error> {
    while !data.is_empty() {
        let n = stream.send(data)?;
        data = &data[(n.max(0) as usize).min(data.len())..];
    }
    Ok(())
}
