//! `files` / `exclude_files` resolution (Spin loader `copy_file_mounts`): which host file lands where in the guest.

use crate::manifest::FileMountConfig;
use crate::{Error, Result};
use std::path::{Component as PathPart, Path, PathBuf};

/// One host file and its guest path (absolute, `/`-separated) under the component's read-only `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMount {
    pub source: PathBuf,
    pub destination: String,
}

/// Expands `files` into single files: a glob relative to the app dir keeps app-relative paths, a file or
/// directory path likewise (directories recursively), `{source, destination}` places a file at
/// `destination` or a directory's contents under it. Files whose app-relative path matches an
/// `exclude_files` glob are dropped. Anything resolving outside `app_dir` is an error.
pub fn resolve(app_dir: &Path, mounts: &[FileMountConfig], exclude_files: &[String]) -> Result<Vec<FileMount>> {
    if mounts.is_empty() {
        return Ok(Vec::new());
    }
    let root = app_dir
        .canonicalize()
        .map_err(|e| Error::new(format!("Invalid manifest dir `{}`: {e}", app_dir.display())))?;
    let excludes = exclude_files
        .iter()
        .map(|p| {
            glob::Pattern::new(p).map_err(|e| Error::new(format!("Invalid exclude_files glob pattern {p:?}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut out = Resolved { root: &root, excludes: &excludes, mounts: Vec::new() };
    for mount in mounts {
        match mount {
            FileMountConfig::Pattern(pattern) => out.pattern(pattern)?,
            FileMountConfig::Placement(p) => out.placement(&p.source, &p.destination)?,
        }
    }
    Ok(out.mounts)
}

struct Resolved<'a> {
    root: &'a Path,
    excludes: &'a [glob::Pattern],
    mounts: Vec<FileMount>,
}

impl Resolved<'_> {
    fn pattern(&mut self, pattern: &str) -> Result<()> {
        let path = self.root.join(pattern);
        if path.exists() {
            let path = self.inside(&path, pattern)?;
            if path.is_dir() {
                return self.directory(&path, self.root, "/");
            }
            let rel = path.strip_prefix(self.root).unwrap_or(&path).to_path_buf();
            return self.file(&path, guest_path("/", &rel));
        }
        if !looks_like_glob(pattern) {
            return Err(Error::new(format!("{pattern:?} does not exist and doesn't appear to be a glob pattern")));
        }
        // The app dir is literal text inside the glob: escape it.
        let root = self.root.to_str().ok_or_else(|| Error::new(format!("invalid (non-utf8) app dir {:?}", self.root)))?;
        let full = format!("{}/{pattern}", glob::Pattern::escape(root));
        let matches =
            glob::glob(&full).map_err(|e| Error::new(format!("Failed to resolve glob pattern {pattern:?}: {e}")))?;
        for entry in matches {
            let found = entry.map_err(|e| Error::new(format!("Failed to resolve glob pattern {pattern:?}: {e}")))?;
            if found.is_file() {
                let found = self.inside(&found, pattern)?;
                let rel = found.strip_prefix(self.root).unwrap_or(&found).to_path_buf();
                self.file(&found, guest_path("/", &rel))?;
            }
        }
        Ok(())
    }

    fn placement(&mut self, source: &str, destination: &str) -> Result<()> {
        let path = self.root.join(source);
        if !path.exists() {
            return Err(Error::new(format!("File or directory {source:?} does not exist")));
        }
        let path = self.inside(&path, source)?;
        if destination.split(['/', '\\']).any(|part| part == "..") {
            return Err(Error::new(format!("files destination {destination:?} must stay inside the guest's `/`")));
        }
        let dest = format!("/{}", destination.trim_start_matches('/'));
        if path.is_dir() {
            self.directory(&path, &path, &dest)
        } else {
            self.file(&path, dest)
        }
    }

    /// Every file below `dir`, at `dest` + its path relative to `prefix`.
    fn directory(&mut self, dir: &Path, prefix: &Path, dest: &str) -> Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| Error::new(format!("Failed to read directory {dir:?}: {e}")))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            let entry = self.inside(&entry, &entry.display().to_string())?;
            if entry.is_dir() {
                self.directory(&entry, prefix, dest)?;
            } else if entry.is_file() {
                let rel = entry.strip_prefix(prefix).unwrap_or(&entry).to_path_buf();
                self.file(&entry, guest_path(dest, &rel))?;
            }
        }
        Ok(())
    }

    fn file(&mut self, source: &Path, destination: String) -> Result<()> {
        let rel = source.strip_prefix(self.root).unwrap_or(source);
        if self.excludes.iter().any(|p| p.matches_path(rel)) {
            return Ok(());
        }
        self.mounts.push(FileMount { source: source.to_path_buf(), destination });
        Ok(())
    }

    /// Canonicalises `path` (following symlinks) and insists it stays within the app dir.
    fn inside(&self, path: &Path, shown: &str) -> Result<PathBuf> {
        let real = path.canonicalize().map_err(|e| Error::new(format!("File or directory {shown:?} does not exist: {e}")))?;
        if real.starts_with(self.root) {
            Ok(real)
        } else {
            Err(Error::new(format!("{shown:?} cannot be mapped because it is outside the application directory")))
        }
    }
}

fn looks_like_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

fn guest_path(dest: &str, rel: &Path) -> String {
    let mut out = dest.trim_end_matches('/').to_string();
    for part in rel.components() {
        if let PathPart::Normal(p) = part {
            out.push('/');
            out.push_str(&p.to_string_lossy());
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}
