//! Gives the shared library its soname, `libmfs.so.<ABI major>`, so that
//! an incompatible ABI change is a new file an application must ask for.

/// The ABI major version (`MFS_ABI_VERSION` in `mfs.h`, `src/lib.rs`).
const ABI_MAJOR: u32 = 0;

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmfs.so.{ABI_MAJOR}");
    println!("cargo:rerun-if-changed=build.rs");
}
