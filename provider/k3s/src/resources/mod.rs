pub mod cluster;
pub mod manifest;
pub mod membership;
pub mod node;
pub mod ready;
