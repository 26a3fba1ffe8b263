//! Build script of the TA: generates the TA header (UUID, flags, stack and
//! heap sizes) with optee-utee-build against the OP-TEE dev kit named by
//! `TA_DEV_KIT_DIR`, and keeps glibc out of the link.
//!
//! Inputs (environment):
//! - `TA_DEV_KIT_DIR` (required): the OP-TEE TA dev kit (`export-ta_arm64`).
//! - `MFS_TA_UUID` (optional): the TA UUID; default: `proto/ta-uuid.txt`
//!   (the one file `mfs-proto` and `scripts/lib.sh` read too).
//! - `MFS_ADMIN_LOGIN` / `MFS_ADMIN_UUID` (optional): the one client
//!   identity allowed to use admin commands (`user` or `group`, and the
//!   identity UUID the REE kernel reports); default: the root user.
//! - `MFS_TA_STACK_KIB` / `MFS_TA_HEAP_KIB` (optional): TA stack and heap
//!   in KiB; default and minimum 64 / 512 (the tested sizes), at most
//!   1024 / 16384.
use std::{env, fs, path::PathBuf};

use optee_utee_build::TaConfig;

type BoxError = Box<dyn std::error::Error>;

/// The default TA UUID: the same file `mfs-proto` compiles in (an
/// `include_str!` is tracked by cargo, so editing it rebuilds the TA).
const DEFAULT_UUID: &str = include_str!("../proto/ta-uuid.txt").trim_ascii();
// TA flags (OP-TEE user_ta_header.h): one instance shared by all sessions
// (so PIN state cannot be raced from parallel sessions), several sessions,
// kept alive between sessions.
const TA_FLAG_SINGLE_INSTANCE: u32 = 1 << 2;
const TA_FLAG_MULTI_SESSION: u32 = 1 << 3;
const TA_FLAG_INSTANCE_KEEP_ALIVE: u32 = 1 << 4;

fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || s.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// A size in KiB from the environment: `min` (the tested value, the
/// default) up to `max`. Less than the tested stack or heap is refused:
/// the worst-case stack measured (`scripts/stack`) and the session and
/// cache limits assume them.
fn kib(var: &str, min: u32, max: u32) -> Result<u32, BoxError> {
    match env::var(var) {
        Err(_) => Ok(min),
        Ok(v) => match v.parse::<u32>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(format!("{var} must be a number of KiB in {min}..={max}, not '{v}'").into()),
        },
    }
}

/// The GP Internal Core API version the dev kit's libutee implements
/// (`TEE_CORE_API_VERSION` of its `tee_api_defines.h`: major << 24 |
/// minor << 16 | maintenance << 8). libutee answers the property
/// `gpd.tee.internalCore.version` itself, from this header; the TA, which
/// does not link libutee's property code, reports the same number.
fn core_api_version(dev_kit: &str) -> Result<u32, BoxError> {
    let path = PathBuf::from(dev_kit).join("include/tee_api_defines.h");
    println!("cargo:rerun-if-changed={}", path.display());
    let header = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let field = |name: &str| -> Result<u32, BoxError> {
        header
            .lines()
            .filter_map(|l| l.trim().strip_prefix("#define"))
            .filter_map(|l| l.trim().strip_prefix(name))
            .filter_map(|rest| rest.trim().strip_suffix('U'))
            .find_map(|n| n.trim().parse::<u8>().ok())
            .map(u32::from)
            .ok_or_else(|| format!("{}: no numeric #define {name}", path.display()).into())
    };
    Ok(field("TEE_CORE_API_MAJOR_VERSION")? << 24
        | field("TEE_CORE_API_MINOR_VERSION")? << 16
        | field("TEE_CORE_API_MAINTENANCE_VERSION")? << 8)
}

fn main() -> Result<(), BoxError> {
    for v in [
        "MFS_TA_UUID",
        "MFS_ADMIN_LOGIN",
        "MFS_ADMIN_UUID",
        "MFS_TA_STACK_KIB",
        "MFS_TA_HEAP_KIB",
    ] {
        println!("cargo:rerun-if-env-changed={v}");
    }
    let uuid = env::var("MFS_TA_UUID").unwrap_or_else(|_| DEFAULT_UUID.to_string());
    let out = PathBuf::from(env::var("OUT_DIR")?);

    // Admin policy, generated as Rust constants.
    let login = env::var("MFS_ADMIN_LOGIN").unwrap_or_else(|_| "user".into());
    let login = match login.as_str() {
        "user" => "User",
        "group" => "Group",
        other => {
            return Err(format!("MFS_ADMIN_LOGIN must be 'user' or 'group', not '{other}'").into());
        }
    };
    let admin_uuid = match env::var("MFS_ADMIN_UUID") {
        Ok(u) => {
            let b = parse_uuid(&u).ok_or(format!("MFS_ADMIN_UUID is not a UUID: {u}"))?;
            format!("{b:?}")
        }
        Err(_) => "mfs_core::access::LINUX_ROOT_USER_UUID".to_string(),
    };
    let dev_kit = env::var("TA_DEV_KIT_DIR").map_err(|_| "TA_DEV_KIT_DIR is not set")?;
    fs::write(
        out.join("core_api_version.rs"),
        format!(
            "/// `TEE_CORE_API_VERSION` of the dev kit's libutee (ta/build.rs).\n\
             pub const TEE_CORE_API_VERSION: u32 = {:#010x};\n",
            core_api_version(&dev_kit)?
        ),
    )?;
    fs::write(
        out.join("admin_policy.rs"),
        format!(
            "pub const ADMIN_POLICY: mfs_core::access::AdminPolicy = mfs_core::access::AdminPolicy {{\n\
             login: mfs_proto::Login::{login},\n uuid: {admin_uuid},\n}};\n"
        ),
    )?;

    // glibc must never be linked into a TA (OP-TEE's loader refuses
    // DT_NEEDED entries). Crates such as `libc` ask for -lc/-lm/...: empty
    // archives found first turn any real use into an undefined symbol,
    // which scripts/build then rejects.
    let shadow = out.join("no-glibc");
    fs::create_dir_all(&shadow)?;
    for lib in ["c", "m", "rt", "pthread", "dl", "util", "gcc_s"] {
        // An empty ar archive is just its magic.
        fs::write(shadow.join(format!("lib{lib}.a")), b"!<arch>\n")?;
    }
    println!("cargo:rustc-link-search=native={}", shadow.display());
    // Cortex-A53 erratum 843419 (an ADRP at a page offset of 0xff8 or 0xffc
    // can compute a wrong address) stays fixed, by rewriting the ADRP into
    // an ADR only: the toolchain's default ("full") may add a 4 KB stub
    // section instead, depending on where the code happens to fall. The
    // TA is far below ADR's ±1 MB reach, so the ADR rewrite always applies
    // (ld fails the link otherwise, never silently leaving one unfixed).
    println!("cargo:rustc-link-arg=-mno-fix-cortex-a53-843419");
    println!("cargo:rustc-link-arg=-Wl,--fix-cortex-a53-843419=adr");
    println!("cargo:rustc-link-arg=-nostartfiles");
    println!("cargo:rustc-link-arg=-nostdlib");

    let config = TaConfig::new_default(&uuid, env!("CARGO_PKG_VERSION"), "mfs payment security TA")
        .map_err(|e| format!("TA config: {e:?}"))?
        .ta_flags(TA_FLAG_SINGLE_INSTANCE | TA_FLAG_MULTI_SESSION | TA_FLAG_INSTANCE_KEEP_ALIVE)
        // P-256 and AES-GCM need far more than the 2 KiB / 32 KiB defaults.
        .ta_stack_size(kib("MFS_TA_STACK_KIB", 64, 1024)? * 1024)
        .ta_data_size(kib("MFS_TA_HEAP_KIB", 512, 16 * 1024)? * 1024);
    optee_utee_build::build(config).map_err(|e| format!("optee-utee-build: {e:?}"))?;
    discard_unwind_tables(&out)?;
    Ok(())
}

/// The TA is built with `panic = "abort"` and nothing in it unwinds (no
/// C++; OP-TEE prints an aborted TA's call stack from the frame pointers):
/// the DWARF unwind tables the toolchain emits anyway (the precompiled
/// `core` asks for them, and LTO keeps that for every function) are dead
/// weight. The dev kit's linker script keeps them (`KEEP(*(.eh_frame))`);
/// a `/DISCARD/` rule placed first wins over it (GNU ld takes the first
/// rule that matches an input section).
fn discard_unwind_tables(out: &std::path::Path) -> Result<(), BoxError> {
    let lds = out.join("ta.lds");
    let script = fs::read_to_string(&lds)?;
    let discard = "SECTIONS {\n /DISCARD/ : { *(.eh_frame) *(.eh_frame.*) *(.eh_frame_hdr) *(.eh_frame_entry .eh_frame_entry.*) *(.gcc_except_table .gcc_except_table.*) }\n";
    let patched = script.replacen("SECTIONS {\n", discard, 1);
    if patched == script {
        return Err("ta.lds: no `SECTIONS {` line to add the /DISCARD/ rule to".into());
    }
    fs::write(&lds, patched)?;
    println!("cargo:rustc-link-arg=-Wl,--no-eh-frame-hdr");
    Ok(())
}
