/*
 * io.c — the one narrow I/O layer every engine read, write and flush goes
 * through: a vtable {pread, pwrite, flush, destroy}.
 *
 * Implementations
 *   posix  pread/pwrite on an O_DIRECT descriptor (offsets, lengths and
 *          buffers 4 KiB aligned), flush = fdatasync.  Short transfers
 *          are continued, EINTR retried; any other failure is OIO_EIO.
 *   fault  wraps another layer and models a volatile disk write cache for
 *          the power-cut tests.  Writes go through to the inner layer, but
 *          the bytes they replaced are remembered in an undo log until the
 *          next successful flush.  At a power cut (explicit, or after
 *          cut_after_ops writes+flushes) every unflushed write is, chosen
 *          by a seeded PRNG: kept, dropped (old bytes restored), or torn
 *          (each 512-byte sector independently old or new).  Undo runs
 *          newest write first, so every sector ends up holding a value it
 *          could really hold after power loss.  From then on every call
 *          fails with OIO_EIO, as a dead disk would.
 *
 * Invariant: no engine code calls pread/pwrite/fdatasync directly.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

#define SECTOR_BYTES 512u

void *oio_buf_alloc(size_t len) {
    assert(len > 0);
    void *p = NULL;
    if (posix_memalign(&p, OIO_BLOCK_BYTES, oio_round_up(len, OIO_BLOCK_BYTES)) != 0) return NULL;
    return p; /* not zeroed: every user fills or clears what it writes */
}

void oio_buf_free(void *buf) { free(buf); }

/* ---- posix ------------------------------------------------------------- */
typedef struct posix_io {
    oio_io base;
    int fd;
} posix_io;

static int posix_pread(oio_io *io, void *buf, size_t len, uint64_t off) {
    posix_io *p = (posix_io *)io;
    assert(oio_aligned(off) && oio_aligned(len) && ((uintptr_t)buf % OIO_BLOCK_BYTES) == 0);
    uint8_t *b = buf;
    while (len > 0) {
        ssize_t n = pread(p->fd, b, len, (off_t)off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return OIO_EIO;
        b += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return OIO_OK;
}

static int posix_pwrite(oio_io *io, const void *buf, size_t len, uint64_t off) {
    posix_io *p = (posix_io *)io;
    assert(oio_aligned(off) && oio_aligned(len) && ((uintptr_t)buf % OIO_BLOCK_BYTES) == 0);
    const uint8_t *b = buf;
    while (len > 0) {
        ssize_t n = pwrite(p->fd, b, len, (off_t)off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return OIO_EIO;
        b += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return OIO_OK;
}

static int posix_flush(oio_io *io) {
    posix_io *p = (posix_io *)io;
    int rc;
    do {
        rc = fdatasync(p->fd);
    } while (rc != 0 && errno == EINTR);
    return rc == 0 ? OIO_OK : OIO_EIO;
}

static void posix_destroy(oio_io *io) { free(io); }

int io_posix_create(int fd, oio_io **out) {
    assert(fd >= 0 && out != NULL);
    posix_io *p = calloc(1, sizeof(*p));
    if (p == NULL) return OIO_NOMEM;
    p->base.pread = posix_pread;
    p->base.pwrite = posix_pwrite;
    p->base.flush = posix_flush;
    p->base.destroy = posix_destroy;
    p->fd = fd;
    *out = &p->base;
    return OIO_OK;
}

/* ---- fault ------------------------------------------------------------- */
typedef struct undo_entry {
    uint64_t off;
    size_t len;
    uint8_t *old_bytes;
    uint8_t *new_bytes;
} undo_entry;

typedef struct fault_io {
    oio_io base;
    oio_io *inner;
    pthread_mutex_t mu;
    uint64_t rng;
    uint64_t ops;
    uint64_t cut_after_ops;
    int dead;
    undo_entry *log;
    size_t log_count;
    size_t log_cap;
} fault_io;

static uint64_t rng_next(uint64_t *s) {
    /* splitmix64: tiny, seedable, good enough to pick cut outcomes */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void undo_clear(fault_io *f) {
    for (size_t i = 0; i < f->log_count; i++) {
        oio_buf_free(f->log[i].old_bytes);
        oio_buf_free(f->log[i].new_bytes);
    }
    f->log_count = 0;
}

/* Power loss: resolve every unflushed write, newest first.  Caller holds mu. */
static void fault_cut_locked(fault_io *f) {
    for (size_t i = f->log_count; i-- > 0;) {
        undo_entry *u = &f->log[i];
        uint64_t choice = rng_next(&f->rng) % 3;
        if (choice == 0) continue; /* the write reached the media */
        if (choice == 2) {         /* torn: sector by sector */
            for (size_t s = 0; s < u->len; s += SECTOR_BYTES)
                if (rng_next(&f->rng) & 1) memcpy(u->old_bytes + s, u->new_bytes + s, SECTOR_BYTES);
        }
        int rc = f->inner->pwrite(f->inner, u->old_bytes, u->len, u->off);
        assert(rc == OIO_OK);
        (void)rc;
    }
    undo_clear(f);
    f->dead = 1;
}

static int fault_tick_locked(fault_io *f) {
    if (f->dead) return OIO_EIO;
    f->ops++;
    if (f->cut_after_ops != 0 && f->ops >= f->cut_after_ops) {
        fault_cut_locked(f);
        return OIO_EIO;
    }
    return OIO_OK;
}

static int fault_pread(oio_io *io, void *buf, size_t len, uint64_t off) {
    fault_io *f = (fault_io *)io;
    pthread_mutex_lock(&f->mu);
    int rc = f->dead ? OIO_EIO : f->inner->pread(f->inner, buf, len, off);
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static int fault_log_write(fault_io *f, const void *buf, size_t len, uint64_t off) {
    if (f->log_count == f->log_cap) {
        size_t cap = f->log_cap ? f->log_cap * 2 : 64;
        undo_entry *n = realloc(f->log, cap * sizeof(*n));
        if (n == NULL) return OIO_NOMEM;
        f->log = n;
        f->log_cap = cap;
    }
    undo_entry *u = &f->log[f->log_count];
    u->off = off;
    u->len = len;
    u->old_bytes = oio_buf_alloc(len);
    u->new_bytes = oio_buf_alloc(len);
    if (u->old_bytes == NULL || u->new_bytes == NULL) {
        oio_buf_free(u->old_bytes);
        oio_buf_free(u->new_bytes);
        return OIO_NOMEM;
    }
    int rc = f->inner->pread(f->inner, u->old_bytes, len, off);
    if (rc != OIO_OK) {
        oio_buf_free(u->old_bytes);
        oio_buf_free(u->new_bytes);
        return rc;
    }
    memcpy(u->new_bytes, buf, len);
    f->log_count++;
    return OIO_OK;
}

static int fault_pwrite(oio_io *io, const void *buf, size_t len, uint64_t off) {
    fault_io *f = (fault_io *)io;
    pthread_mutex_lock(&f->mu);
    int rc = fault_tick_locked(f);
    if (rc == OIO_OK) rc = fault_log_write(f, buf, len, off);
    if (rc == OIO_OK) rc = f->inner->pwrite(f->inner, buf, len, off);
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static int fault_flush(oio_io *io) {
    fault_io *f = (fault_io *)io;
    pthread_mutex_lock(&f->mu);
    int rc = fault_tick_locked(f);
    if (rc == OIO_OK) rc = f->inner->flush(f->inner);
    if (rc == OIO_OK) undo_clear(f);
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static void fault_destroy(oio_io *io) {
    fault_io *f = (fault_io *)io;
    undo_clear(f);
    free(f->log);
    f->inner->destroy(f->inner);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

int io_fault_create(oio_io *inner, uint64_t seed, uint64_t cut_after_ops, oio_io **out) {
    assert(inner != NULL && out != NULL);
    fault_io *f = calloc(1, sizeof(*f));
    if (f == NULL) return OIO_NOMEM;
    if (pthread_mutex_init(&f->mu, NULL) != 0) {
        free(f);
        return OIO_NOMEM;
    }
    f->base.pread = fault_pread;
    f->base.pwrite = fault_pwrite;
    f->base.flush = fault_flush;
    f->base.destroy = fault_destroy;
    f->inner = inner;
    f->rng = seed;
    f->cut_after_ops = cut_after_ops;
    *out = &f->base;
    return OIO_OK;
}

int io_fault_cut(oio_io *io) {
    assert(io != NULL);
    if (io->destroy != fault_destroy) return OIO_INVALID;
    fault_io *f = (fault_io *)io;
    pthread_mutex_lock(&f->mu);
    if (!f->dead) fault_cut_locked(f);
    pthread_mutex_unlock(&f->mu);
    return OIO_OK;
}
