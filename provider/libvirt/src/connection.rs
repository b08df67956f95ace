//! The libvirt connection shared by all resources: opened lazily on first use (so
//! `terraform validate` needs no libvirtd), from the provider's `uri`, and opened again
//! when it was lost (libvirtd restarted, an SSH tunnel dropped).

use std::sync::Mutex;

use tfplugin::Diagnostics;
use virt::connect::Connect;
use virt::error::ErrorNumber;

/// The URI used when neither the provider's `uri` nor LIBVIRT_DEFAULT_URI is set.
pub const FALLBACK_URI: &str = "qemu:///system";

#[derive(Debug, thiserror::Error)]
#[error("{context} failed")]
pub struct LibvirtError {
    pub context: String,
    #[source]
    pub source: virt::error::Error,
}

impl LibvirtError {
    pub fn is_not_found(&self) -> bool {
        is_not_found(&self.source)
    }
}

pub fn is_not_found(e: &virt::error::Error) -> bool {
    matches!(
        e.code(),
        virt::enumutil::Enum::Known(
            ErrorNumber::NoNetwork
                | ErrorNumber::NoStoragePool
                | ErrorNumber::NoStorageVolume
                | ErrorNumber::NoDomain
        )
    )
}

/// Adds what we were doing to a libvirt error.
pub trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, LibvirtError>;
}

impl<T> Context<T> for Result<T, virt::error::Error> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, LibvirtError> {
        self.map_err(|source| LibvirtError {
            context: what(),
            source,
        })
    }
}

#[derive(Default)]
pub struct Connection {
    uri: Mutex<Option<String>>,
    conn: Mutex<Option<Connect>>,
}

impl Connection {
    /// Records the URI; an empty or absent one falls back to LIBVIRT_DEFAULT_URI,
    /// then to [`FALLBACK_URI`].
    pub fn set_uri(&self, uri: Option<&str>) {
        let uri = uri
            .filter(|u| !u.is_empty())
            .map(str::to_string)
            .or_else(|| {
                std::env::var("LIBVIRT_DEFAULT_URI")
                    .ok()
                    .filter(|u| !u.is_empty())
            })
            .unwrap_or_else(|| FALLBACK_URI.to_string());
        *self.uri.lock().unwrap_or_else(|p| p.into_inner()) = Some(uri);
    }

    pub fn uri(&self) -> String {
        self.uri
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_else(|| FALLBACK_URI.to_string())
    }

    /// The open connection, opening it on first use and again once it is closed.
    pub fn get(&self) -> Result<Connect, Diagnostics> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = conn.as_ref() {
            if c.is_alive().unwrap_or(false) {
                return Ok(c.clone());
            }
            tracing::warn!(uri = %self.uri(), "the libvirt connection was closed; opening it again");
        }
        let uri = self.uri();
        tracing::info!(%uri, "connecting to libvirt");
        let c = Connect::open(Some(&uri)).map_err(|e| {
            Diagnostics::error_at(
                tfplugin::AttributePath::attr("uri"),
                format!("Cannot connect to libvirt at {uri}"),
                format!(
                    "{}. Check that libvirtd (or virtqemud) runs and that this user may use it; \
                     set the provider's `uri` or LIBVIRT_DEFAULT_URI to choose another host.",
                    e.message()
                ),
            )
        })?;
        Ok(conn.insert(c).clone())
    }
}

/// Stops libvirt printing every error on stderr itself: our diagnostics carry them.
pub fn quiet_libvirt_errors() {
    virt::error::clear_error_callback();
}
