//! libmfs: the C client library of the mfs trusted application (`mfs.h`).
//!
//! Every TA command and the offline verifiers, for C and C++ callers,
//! over the Rust client library (`mfs_host`): opaque `mfs_client *`
//! handles, caller-provided buffers with needed-size answers, one result
//! code ([`mfs_rc`]) with an [`mfs_error`] carrying the TA status and
//! detail and a message in words, PIN digits taken from a caller buffer
//! that is wiped on every return. The header is generated from this crate
//! by cbindgen and committed (`include/mfs.h`; a test fails if it is
//! stale).
//!
//! Modules: `api` (the `extern "C"` functions) → `edge` (the only place
//! that turns C pointers into references) and `session` (handles, login,
//! UUID) → `types`/`error`/`status` (plain C data). `teec` (feature
//! `teec`) opens sessions through libteec directly so a group login can
//! pass its group id; `device` (feature `in-process`) runs the TA's logic
//! in process for native tests.
//!
//! Panics: the workspace builds with `panic = "abort"`, so a bug aborts
//! the process and never unwinds into C; the code that input reaches
//! has no panicking operations (`clippy` denies them).
#![deny(unsafe_op_in_unsafe_fn)]

mod api;
#[cfg(feature = "in-process")]
mod device;
mod edge;
mod error;
mod session;
mod status;
#[cfg(feature = "teec")]
mod teec;
mod types;

pub use api::*;
#[cfg(feature = "in-process")]
pub use device::*;
pub use error::{MFS_ERROR_MESSAGE_LEN, mfs_error, mfs_rc};
pub use session::{MFS_LOGIN_GROUP, MFS_LOGIN_PUBLIC, MFS_LOGIN_USER, mfs_client};
pub use status::*;
pub use types::*;

/// The ABI major version: the `N` of the soname `libmfs.so.N` (build.rs).
pub const MFS_ABI_VERSION: u32 = 0;

#[cfg(test)]
mod header {
    use std::path::Path;

    /// `include/mfs.h` is what cbindgen makes of this crate today: a
    /// change to the C API that is not in the committed header fails here.
    /// `MFS_WRITE_HEADER=1 cargo test -p mfs-capi header` rewrites it.
    #[test]
    fn header_is_current() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).unwrap();
        let mut generated = Vec::new();
        cbindgen::Builder::new()
            .with_crate(dir)
            .with_config(config)
            .generate()
            .unwrap()
            .write(&mut generated);
        let path = dir.join("include/mfs.h");
        if std::env::var_os("MFS_WRITE_HEADER").is_some() {
            std::fs::create_dir_all(dir.join("include")).unwrap();
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "include/mfs.h is stale: regenerate it with \
             MFS_WRITE_HEADER=1 cargo test -p mfs-capi header"
        );
    }
}
