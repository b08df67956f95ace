//! A single-layer container image written straight to a tar archive that is both an OCI image
//! layout (`oci-layout`, `index.json`, `blobs/sha256/…`) and a docker-archive (`manifest.json`),
//! the shape `docker save` produces and containerd/k3s import from an air-gap images directory.
//! Every timestamp is zero and entries are sorted, so the same inputs give the same digests.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;
use sha2::{Digest, Sha256};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ImageError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("image path {0:?} must be absolute")]
    RelativePath(String),
    #[error("writing archive: {0}")]
    Write(#[from] std::io::Error),
}

/// A file copied from the host into the image.
#[derive(Debug, Clone)]
pub struct FileEntry {
    pub source: PathBuf,
    /// Absolute path inside the image.
    pub target: String,
    pub mode: u32,
}

#[derive(Debug, Clone)]
pub struct ImageSpec {
    /// Full reference, e.g. `docker.io/library/bidder:0.1.0`.
    pub reference: String,
    pub entrypoint: Vec<String>,
    pub env: Vec<String>,
    pub exposed_ports: Vec<u16>,
    pub user: String,
    pub files: Vec<FileEntry>,
}

fn sha256_hex(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

fn header(path: &str, size: u64, mode: u32, kind: tar::EntryType) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_mtime(0);
    h.set_uid(0);
    h.set_gid(0);
    // ustar paths are limited; set_path splits long names into prefix/name.
    h.set_path(path).expect("image paths are short");
    h.set_cksum();
    h
}

/// The root filesystem layer: parent directories, then the files, as an uncompressed tar.
pub fn build_layer(files: &[FileEntry]) -> Result<Vec<u8>, ImageError> {
    let mut dirs = BTreeSet::new();
    for f in files {
        if !f.target.starts_with('/') {
            return Err(ImageError::RelativePath(f.target.clone()));
        }
        let mut p = Path::new(&f.target).parent();
        while let Some(dir) = p.filter(|d| *d != Path::new("/")) {
            dirs.insert(dir.to_string_lossy().trim_start_matches('/').to_string() + "/");
            p = dir.parent();
        }
    }
    dirs.insert("tmp/".into());
    let mut b = tar::Builder::new(Vec::new());
    for d in &dirs {
        let mode = if d == "tmp/" { 0o1777 } else { 0o755 };
        b.append(
            &header(d, 0, mode, tar::EntryType::Directory),
            std::io::empty(),
        )?;
    }
    let mut sorted: Vec<&FileEntry> = files.iter().collect();
    sorted.sort_by(|a, b| a.target.cmp(&b.target));
    for f in sorted {
        let data = std::fs::read(&f.source).map_err(|source| ImageError::Read {
            path: f.source.display().to_string(),
            source,
        })?;
        let path = f.target.trim_start_matches('/');
        b.append(
            &header(path, data.len() as u64, f.mode, tar::EntryType::Regular),
            &data[..],
        )?;
    }
    Ok(b.into_inner()?)
}

/// Writes the archive to `out`; returns the manifest digest (`sha256:…`).
pub fn write_archive(spec: &ImageSpec, out: impl Write) -> Result<String, ImageError> {
    let layer = build_layer(&spec.files)?;
    let layer_digest = sha256_hex(&layer);
    let ports: serde_json::Map<String, serde_json::Value> = spec
        .exposed_ports
        .iter()
        .map(|p| (format!("{p}/tcp"), json!({})))
        .collect();
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64",
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": {"Entrypoint": spec.entrypoint, "Env": spec.env, "ExposedPorts": ports, "User": spec.user},
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{layer_digest}")]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "oci-archive"}],
    }))
    .expect("json");
    let config_digest = sha256_hex(&config);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{config_digest}"), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": format!("sha256:{layer_digest}"), "size": layer.len()}],
    }))
    .expect("json");
    let manifest_digest = sha256_hex(&manifest);
    let tag = spec.reference.rsplit_once(':').map_or("latest", |(_, t)| t);
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": format!("sha256:{manifest_digest}"),
            "size": manifest.len(),
            "annotations": {"io.containerd.image.name": spec.reference, "org.opencontainers.image.ref.name": tag},
        }],
    }))
    .expect("json");
    let docker_manifest = serde_json::to_vec(&json!([{
        "Config": format!("blobs/sha256/{config_digest}"),
        "RepoTags": [spec.reference],
        "Layers": [format!("blobs/sha256/{layer_digest}")],
    }]))
    .expect("json");

    let mut b = tar::Builder::new(out);
    let mut add = |path: &str, data: &[u8]| {
        b.append(
            &header(path, data.len() as u64, 0o644, tar::EntryType::Regular),
            data,
        )
    };
    add("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    add("index.json", &index)?;
    add("manifest.json", &docker_manifest)?;
    add(&format!("blobs/sha256/{config_digest}"), &config)?;
    add(&format!("blobs/sha256/{layer_digest}"), &layer)?;
    add(&format!("blobs/sha256/{manifest_digest}"), &manifest)?;
    b.into_inner()?.flush()?;
    Ok(format!("sha256:{manifest_digest}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::io::Read;

    fn entries(archive: &[u8]) -> HashMap<String, Vec<u8>> {
        let mut a = tar::Archive::new(archive);
        a.entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let mut data = Vec::new();
                e.read_to_end(&mut data).unwrap();
                (e.path().unwrap().to_string_lossy().into_owned(), data)
            })
            .collect()
    }

    fn blob<'a>(files: &'a HashMap<String, Vec<u8>>, digest: &str) -> &'a [u8] {
        let data = &files[&format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"))];
        assert_eq!(
            format!("sha256:{}", sha256_hex(data)),
            digest,
            "blob content matches its name"
        );
        data
    }

    #[test]
    fn archive_is_consistent_and_reproducible() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("svc");
        std::fs::write(&bin, b"#!binary").unwrap();
        let spec = ImageSpec {
            reference: "docker.io/library/svc:1.2".into(),
            entrypoint: vec!["/usr/local/bin/svc".into()],
            env: vec!["PATH=/usr/local/bin".into()],
            exposed_ports: vec![8080],
            user: "65534".into(),
            files: vec![FileEntry {
                source: bin.clone(),
                target: "/usr/local/bin/svc".into(),
                mode: 0o755,
            }],
        };
        let mut out = Vec::new();
        let digest = write_archive(&spec, &mut out).unwrap();
        let mut again = Vec::new();
        assert_eq!(write_archive(&spec, &mut again).unwrap(), digest);
        assert_eq!(out, again, "byte-for-byte reproducible");

        let files = entries(&out);
        let index: serde_json::Value = serde_json::from_slice(&files["index.json"]).unwrap();
        assert_eq!(
            index["manifests"][0]["annotations"]["io.containerd.image.name"],
            "docker.io/library/svc:1.2"
        );
        let manifest: serde_json::Value = serde_json::from_slice(blob(&files, &digest)).unwrap();
        let config: serde_json::Value =
            serde_json::from_slice(blob(&files, manifest["config"]["digest"].as_str().unwrap()))
                .unwrap();
        let layer_digest = manifest["layers"][0]["digest"].as_str().unwrap();
        assert_eq!(config["rootfs"]["diff_ids"][0], layer_digest);
        assert_eq!(config["config"]["Entrypoint"][0], "/usr/local/bin/svc");
        let docker: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
        assert_eq!(
            docker[0]["Layers"][0],
            format!(
                "blobs/sha256/{}",
                layer_digest.trim_start_matches("sha256:")
            )
        );

        let layer = entries(blob(&files, layer_digest));
        assert_eq!(layer["usr/local/bin/svc"], b"#!binary");
        assert!(layer.contains_key("usr/local/bin/") && layer.contains_key("tmp/"));
    }

    #[test]
    fn relative_targets_are_refused() {
        let f = FileEntry {
            source: "/etc/hostname".into(),
            target: "bin/x".into(),
            mode: 0o755,
        };
        assert!(matches!(
            build_layer(&[f]),
            Err(ImageError::RelativePath(_))
        ));
    }
}
