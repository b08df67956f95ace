pub mod cloud_init;
