//! `tfplugin`: a small framework for Terraform providers in Rust, speaking plugin
//! protocol 5 over gRPC. It knows nothing about any particular provider: implement
//! [`Provider`], [`Resource`] and [`DataSource`], then call [`serve`] from `main`.
//!
//! What the framework does for every provider:
//! * the go-plugin handshake, AutoMTLS, health and controller services ([`plugin`]);
//! * the value model and its msgpack/JSON codecs ([`value`], [`codec`]);
//! * plans that honour Terraform's consistency rules, and apply results conformed to
//!   their plan ([`plan`]);
//! * diagnostics that point at attribute paths ([`diag`]).

pub mod client;
pub mod codec;
pub mod diag;
pub mod docs;
pub mod logging;
pub mod plan;
pub mod plugin;
pub mod provider;
pub mod schema;
pub mod server;
pub mod value;

/// Code generated from `proto/*.proto`.
pub mod proto {
    #![allow(clippy::all, missing_docs)]
    pub mod tfplugin5 {
        tonic::include_proto!("tfplugin5");
    }
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
}

pub use diag::{AttributePath, Diagnostic, Diagnostics, Severity};
pub use plugin::serve;
pub use provider::{ApplyError, ApplyRequest, DataSource, PlanRequest, Provider, Resource};
pub use schema::{AttrMode, Attribute, Block, NestedBlock, Nesting, Schema};
pub use value::{Number, Type, Value};
