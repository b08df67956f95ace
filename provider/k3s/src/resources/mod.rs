pub mod cluster;
pub mod manifest;
pub mod node;
pub mod ready;
