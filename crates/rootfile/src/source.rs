//! Positioned reads from a file or from memory, so that listing a file never reads all of it.

use crate::error::{Error, Result};
use std::fs::File;
use std::path::Path;

/// Random-access bytes: a file on disk or a buffer in memory.
pub trait ByteSource {
    /// Total length in bytes.
    fn len(&self) -> u64;

    /// Reads exactly `len` bytes at `offset`; a read past the end is an error.
    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>>;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Checks that `[offset, offset + len)` lies inside a source of `total` bytes.
pub fn check_range(offset: u64, len: usize, total: u64) -> Result<()> {
    match offset.checked_add(len as u64) {
        Some(end) if end <= total => Ok(()),
        _ => Err(Error::new(format!(
            "read of {len} bytes at offset {offset} is past the end of the data ({total} bytes)"
        ))),
    }
}

impl ByteSource for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>> {
        check_range(offset, len, ByteSource::len(self))?;
        let start = offset as usize;
        Ok(self[start..start + len].to_vec())
    }
}

impl ByteSource for Vec<u8> {
    fn len(&self) -> u64 {
        self.as_slice().len() as u64
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>> {
        ByteSource::read_at(self.as_slice(), offset, len)
    }
}

impl<S: ByteSource + ?Sized> ByteSource for &S {
    fn len(&self) -> u64 {
        (**self).len()
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>> {
        (**self).read_at(offset, len)
    }
}

/// A file on disk, read with positioned reads (no shared cursor on unix).
pub struct FileSource {
    file: File,
    len: u64,
    #[cfg(not(unix))]
    cursor: std::sync::Mutex<()>,
}

impl FileSource {
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let fail = |e: std::io::Error| Error::new(format!("cannot open {}: {e}", path.display()));
        let file = File::open(path).map_err(fail)?;
        let len = file.metadata().map_err(fail)?.len();
        Ok(FileSource {
            file,
            len,
            #[cfg(not(unix))]
            cursor: std::sync::Mutex::new(()),
        })
    }

    #[cfg(unix)]
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, offset)
    }

    #[cfg(not(unix))]
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        // Seek and read share the file cursor, so they must not interleave.
        let _guard = self.cursor.lock().unwrap_or_else(|p| p.into_inner());
        let mut file = &self.file;
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(buf)
    }
}

impl ByteSource for FileSource {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>> {
        check_range(offset, len, self.len)?;
        let mut buf = vec![0; len];
        self.read_exact_at(&mut buf, offset)
            .map_err(|e| Error::new(format!("read of {len} bytes at offset {offset} failed: {e}")))?;
        Ok(buf)
    }
}
