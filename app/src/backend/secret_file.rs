//! Files holding secrets (the token signing key, the notification secret, the webhook key,
//! the registries' `http.secret`): readable by their owner only, from the first byte.
//!
//! Writing a file and then narrowing its mode leaves a moment — and, after a crash, a file —
//! that any local user can read; writing into an existing file keeps whatever mode it had, and
//! follows a symlink planted at its path. So [`write`] creates a new file beside the target
//! with mode 0600 and `O_EXCL` (the umask can only narrow that), fills and syncs it, then
//! renames it over the target: readers see the old file or the new one, whole.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `contents` to `path` as a file only its owner may read or write (0600 on Unix).
/// The parent directory is created if it is missing.
pub fn write(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = temp_path(path)?;
    let written = write_new(&tmp, contents).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        // Best effort: a leftover holds the secret, but only its owner can read it.
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// `.NAME.RANDOM.tmp` in the target's directory (a rename never crosses file systems).
fn temp_path(path: &Path) -> std::io::Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "a secret file needs a file name"))?;
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(std::io::Error::other)?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", hex::encode(random)));
    Ok(path.with_file_name(tmp_name))
}

fn write_new(tmp: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    // create_new: never reuse (or follow a symlink to) a file someone else prepared.
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(tmp)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &std::path::Path) -> u32 {
        std::fs::symlink_metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_file_is_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        super::write(&path, b"s3cret").unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"s3cret");
        // Nothing else is left in the directory.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// An existing world-readable file is replaced, not written into: whoever had it open (or
    /// could open it while it was still 0644) never sees the new secret.
    #[test]
    fn an_existing_readable_file_is_replaced_not_rewritten() {
        use std::io::Read;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut reader = std::fs::File::open(&path).unwrap();
        super::write(&path, b"new-secret").unwrap();
        let mut seen = String::new();
        reader.read_to_string(&mut seen).unwrap();
        assert_eq!(seen, "old", "the open world-readable file must not receive the secret");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"new-secret");
    }

    /// A symlink planted at the path is replaced, not followed to write the secret elsewhere.
    #[test]
    fn a_symlink_at_the_path_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::write(&elsewhere, b"untouched").unwrap();
        std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o644)).unwrap();
        let path = dir.path().join("secret");
        std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
        super::write(&path, b"s3cret").unwrap();
        assert_eq!(std::fs::read(&elsewhere).unwrap(), b"untouched");
        assert_eq!(mode(&elsewhere), 0o644);
        assert!(std::fs::symlink_metadata(&path).unwrap().file_type().is_file());
        assert_eq!(mode(&path), 0o600);
    }
}
