// Opening a file for direct I/O (O_DIRECT: writes go from our buffer to the device, not through
// the page cache), from C because the flag is a GNU extension whose value differs by architecture.
#ifndef SEEDLORA_DIRECT_IO_H
#define SEEDLORA_DIRECT_IO_H

/// An O_WRONLY | O_DIRECT | O_CLOEXEC descriptor of an existing file, or -1 (errno set) where
/// the file system refuses direct I/O (tmpfs, some network file systems).
int seedlora_open_direct(const char *path);

#endif
