/*
 * device.c — opening the target and the format-time safety checks.
 *
 * Target kinds
 *   block device  opened O_RDWR|O_DIRECT|O_EXCL: the kernel refuses with
 *                 EBUSY when it is mounted or another process holds it
 *                 exclusively.  Logical block size from BLKSSZGET (must
 *                 divide 4096), size from BLKGETSIZE64.
 *   regular file  opened O_RDWR|O_DIRECT (without O_DIRECT only where the
 *                 filesystem refuses it, e.g. tmpfs), size from fstat, and
 *                 an exclusive flock() so two engines never share it.
 * Size is rounded down to a multiple of 4096.
 *
 * Format refuses (OIO_BUSY), unless force, a target whose first 68 KiB hold
 * a known signature:
 *   offset   bytes                what
 *   0        "OBJIOSB1"           an ObjectIO engine superblock
 *   0        "XFSB"               XFS
 *   0        "LUKS\xba\xbe"       LUKS
 *   510      55 AA                MBR / protective MBR
 *   512      "EFI PART"           GPT header
 *   1080     53 EF                ext2/3/4 superblock magic
 *   4086     "SWAPSPACE2"         Linux swap
 *   65600    "_BHRfS_M"           btrfs
 * A block device that is mounted (major:minor in /proc/self/mountinfo) is
 * refused even with force.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"

#define SIGNATURE_SCAN_BYTES (68u << 10)

static int open_target(const char *path, int is_block) {
    int flags = O_RDWR | O_CLOEXEC | O_DIRECT | (is_block ? O_EXCL : 0);
    int fd = open(path, flags);
    if (fd < 0 && errno == EINVAL && !is_block) fd = open(path, O_RDWR | O_CLOEXEC);
    return fd;
}

static int errno_to_rc(int err) {
    if (err == EBUSY || err == EWOULDBLOCK) return OIO_BUSY;
    if (err == ENOENT || err == ENOTDIR || err == EISDIR || err == EACCES) return OIO_INVALID;
    return OIO_EIO;
}

int dev_open(const char *path, oio_device *out) {
    assert(path != NULL && out != NULL);
    struct stat st;
    if (stat(path, &st) != 0) return errno_to_rc(errno);
    if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode)) return OIO_INVALID;
    memset(out, 0, sizeof(*out));
    out->fd = -1; /* until opened: never close a descriptor we do not own */
    out->is_block = S_ISBLK(st.st_mode);
    int fd = open_target(path, out->is_block);
    if (fd < 0) return errno_to_rc(errno);
    int rc = OIO_OK;
    if (out->is_block) {
        int lbs = 0;
        uint64_t bytes = 0;
        if (ioctl(fd, BLKSSZGET, &lbs) != 0 || ioctl(fd, BLKGETSIZE64, &bytes) != 0) rc = OIO_EIO;
        out->logical_block_bytes = (uint32_t)lbs;
        out->size_bytes = bytes;
    } else {
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) rc = errno_to_rc(errno);
        out->logical_block_bytes = 512;
        out->size_bytes = (uint64_t)st.st_size;
    }
    if (rc == OIO_OK && (out->logical_block_bytes == 0 || OIO_BLOCK_BYTES % out->logical_block_bytes != 0))
        rc = OIO_INVALID;
    if (rc != OIO_OK) {
        close(fd);
        return rc;
    }
    out->size_bytes -= out->size_bytes % OIO_BLOCK_BYTES;
    out->fd = fd;
    return OIO_OK;
}

void dev_close(oio_device *dev) {
    assert(dev != NULL);
    if (dev->fd >= 0) close(dev->fd);
    dev->fd = -1;
}

/* 1 when major:minor of rdev appears as a mounted source in mountinfo. */
static int mounted_by_devnum(dev_t rdev) {
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (f == NULL) return 0;
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        unsigned maj = 0, min = 0;
        if (sscanf(line, "%*u %*u %u:%u", &maj, &min) == 2 && maj == major(rdev) && min == minor(rdev))
            found = 1;
    }
    fclose(f);
    return found;
}

int dev_check_unused(const char *path, const oio_device *dev) {
    assert(path != NULL && dev != NULL);
    if (!dev->is_block) return OIO_OK;
    struct stat st;
    if (stat(path, &st) != 0) return OIO_EIO;
    return mounted_by_devnum(st.st_rdev) ? OIO_BUSY : OIO_OK;
}

static int has_bytes(const uint8_t *buf, size_t off, const char *sig, size_t len) {
    return memcmp(buf + off, sig, len) == 0;
}

int dev_check_signatures(const oio_device *dev) {
    assert(dev != NULL && dev->fd >= 0);
    if (dev->size_bytes < SIGNATURE_SCAN_BYTES) return OIO_OK;
    uint8_t *buf = oio_buf_alloc(SIGNATURE_SCAN_BYTES);
    if (buf == NULL) return OIO_NOMEM;
    oio_io *io = NULL;
    int rc = io_posix_create(dev->fd, &io);
    if (rc == OIO_OK) rc = io->pread(io, buf, SIGNATURE_SCAN_BYTES, 0);
    if (io != NULL) io->destroy(io);
    if (rc == OIO_OK) {
        int found = has_bytes(buf, 0, "OBJIOSB1", 8) || has_bytes(buf, 0, "XFSB", 4) ||
                    has_bytes(buf, 0, "LUKS\xba\xbe", 6) || has_bytes(buf, 510, "\x55\xaa", 2) ||
                    has_bytes(buf, 512, "EFI PART", 8) || has_bytes(buf, 1080, "\x53\xef", 2) ||
                    has_bytes(buf, 4086, "SWAPSPACE2", 10) || has_bytes(buf, 65600, "_BHRfS_M", 8);
        rc = found ? OIO_BUSY : OIO_OK;
    }
    oio_buf_free(buf);
    return rc;
}

int dev_random(uint8_t *buf, size_t len) {
    assert(buf != NULL);
    size_t done = 0;
    while (done < len) {
        ssize_t n = getrandom(buf + done, len - done, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return OIO_EIO;
        done += (size_t)n;
    }
    return OIO_OK;
}
