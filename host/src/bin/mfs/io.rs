//! Local input and output other than printing: PINs from the terminal or
//! standard input, files, the clock and fresh challenges.

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use mfs_host::proto::pin::Pin;
use mfs_host::{Error, InputError};
use zeroize::Zeroizing;

use crate::error::Failure;

/// Reads one PIN: without echo from a terminal, else one line of stdin.
pub(crate) fn read_pin(prompt: &str) -> Result<Pin, Error> {
    let text = Zeroizing::new(if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt).map_err(|_| Error::BadPin)?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|_| Error::BadPin)?;
        line
    });
    Pin::new(text.trim_end_matches(['\r', '\n'])).map_err(|_| Error::BadPin)
}

/// Reads a new PIN: on a terminal twice (the two must match), else one
/// line of stdin.
pub(crate) fn read_new_pin(prompt: &str) -> Result<Pin, Failure> {
    if !std::io::stdin().is_terminal() {
        return Ok(read_pin(prompt)?);
    }
    let first = Zeroizing::new(rpassword::prompt_password(prompt).map_err(|_| Error::BadPin)?);
    let again =
        Zeroizing::new(rpassword::prompt_password("Repeat it: ").map_err(|_| Error::BadPin)?);
    if *first != *again {
        return Err(Failure::PinMismatch);
    }
    Ok(Pin::new(first.trim_end_matches(['\r', '\n'])).map_err(|_| Error::BadPin)?)
}

/// A text file (a PEM key, a JSON document), wiped from memory when dropped.
pub(crate) fn read_text(path: &Path) -> Result<Zeroizing<String>, Failure> {
    std::fs::read_to_string(path)
        .map(Zeroizing::new)
        .map_err(|e| Failure::read(path, &e))
}

/// A file's bytes.
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::read(path, &e))
}

/// Writes `bytes` to `path` (replacing it).
pub(crate) fn write_out(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, bytes).map_err(|e| Failure::write(path, &e))
}

/// The REE clock, UNIX seconds.
pub(crate) fn now_unix() -> Result<u64, Error> {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| Error::Input(InputError::Clock))
}

/// 16 random bytes.
pub(crate) fn random_challenge() -> Result<Vec<u8>, Error> {
    let mut c = vec![0u8; 16];
    getrandom::fill(&mut c).map_err(|_| Error::Random)?;
    Ok(c)
}
