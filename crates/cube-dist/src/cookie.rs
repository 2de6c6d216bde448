//! The cookie file, as erl keeps it: `$HOME/.erlang.cookie`, readable by its owner only,
//! created with 20 random capital letters (mode 0400) when missing.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Why there is no cookie.
#[derive(Debug, thiserror::Error)]
pub enum CookieError {
    #[error("cookie file {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("cookie file {0} must be accessible by owner only")]
    Permissions(PathBuf),
    #[error("cookie file {0} is empty")]
    Empty(PathBuf),
    #[error("HOME is not set")]
    NoHome,
}

/// `$HOME/.erlang.cookie`.
pub fn default_path() -> Result<PathBuf, CookieError> {
    let home = std::env::var_os("HOME").ok_or(CookieError::NoHome)?;
    Ok(Path::new(&home).join(".erlang.cookie"))
}

/// The cookie in `path`, creating the file as erl does if it is missing. Like erl, a file
/// that others may read or write is refused.
pub fn read_or_create(path: &Path) -> Result<String, CookieError> {
    let io_err = |source| CookieError::Io {
        path: path.to_owned(),
        source,
    };
    match fs::metadata(path) {
        Ok(meta) => {
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(CookieError::Permissions(path.to_owned()));
            }
            let mut text = String::new();
            fs::File::open(path)
                .and_then(|mut f| f.read_to_string(&mut text))
                .map_err(io_err)?;
            // erl takes the first line, without trailing blanks.
            let cookie = text.lines().next().unwrap_or("").trim_end().to_owned();
            if cookie.is_empty() {
                return Err(CookieError::Empty(path.to_owned()));
            }
            Ok(cookie)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let cookie = random_cookie().map_err(io_err)?;
            fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o400)
                .open(path)
                .and_then(|mut f| f.write_all(cookie.as_bytes()))
                .map_err(io_err)?;
            Ok(cookie)
        }
        Err(e) => Err(io_err(e)),
    }
}

/// 20 capital letters from the OS's random source, as erl makes them.
fn random_cookie() -> io::Result<String> {
    let mut bytes = [0u8; 20];
    fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    // Bytes of 234 (9 * 26) and above are skipped, so every letter is equally likely.
    let mut out = String::with_capacity(20);
    let mut pool = bytes.to_vec();
    while out.len() < 20 {
        match pool.pop() {
            Some(b) if b < 234 => out.push(char::from(b'A' + b % 26)),
            Some(_) => {}
            None => {
                let mut more = [0u8; 20];
                fs::File::open("/dev/urandom")?.read_exact(&mut more)?;
                pool.extend_from_slice(&more);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dist-cookie-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_missing_cookie_is_created_owner_read_only_and_then_kept() {
        let dir = temp_dir("new");
        let path = dir.join(".erlang.cookie");
        let cookie = read_or_create(&path).unwrap();
        assert_eq!(cookie.len(), 20);
        assert!(cookie.bytes().all(|b| b.is_ascii_uppercase()), "{cookie}");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o400
        );
        assert_eq!(read_or_create(&path).unwrap(), cookie);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_cookie_others_can_read_is_refused() {
        let dir = temp_dir("open");
        let path = dir.join(".erlang.cookie");
        fs::write(&path, "SECRET\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            read_or_create(&path),
            Err(CookieError::Permissions(_))
        ));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_or_create(&path).unwrap(), "SECRET");
        fs::remove_dir_all(&dir).unwrap();
    }
}
