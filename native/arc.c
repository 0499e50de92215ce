/*
 * arc.c — adaptive replacement cache, bounded in bytes (no on-disk format).
 *
 * Holds clean copies of B-tree pages, record header blocks and whole small
 * records (header + data <= 64 KiB), keyed by device block number.
 *
 * Lists (MRU at head):
 *   T1  resident, seen once recently       B1  ghosts evicted from T1
 *   T2  resident, seen at least twice      B2  ghosts evicted from T2
 * Ghosts keep key and size only.  p (bytes) is the target size of T1:
 *   hit in B1 -> p grows (recency is paying off),
 *   hit in B2 -> p shrinks (frequency is paying off).
 * The classic algorithm counts pages; here every quantity is in bytes, so
 * adaptation steps are scaled by the size of the entry being admitted.
 *
 * Invariants (checked by arc_check() in assertions)
 *   T1 + T2 <= capacity            (resident bytes)
 *   T1 + B1 <= capacity, T1 + T2 + B1 + B2 <= 2 * capacity
 *   0 <= p <= capacity
 * Values are copied in and out under the cache's own mutex, so a caller
 * never holds a pointer into an entry that another thread could evict.
 */
#include <stdlib.h>

#include "internal.h"

enum { L_T1, L_T2, L_B1, L_B2, L_COUNT };

typedef struct arc_ent {
    uint64_t key;
    uint32_t len;
    uint8_t list;
    uint8_t *data; /* NULL for ghosts */
    struct arc_ent *prev, *next;
} arc_ent;

typedef struct arc_list {
    arc_ent *head, *tail;
    uint64_t bytes;
} arc_list;

struct oio_arc {
    pthread_mutex_t mu;
    uint64_t capacity_bytes;
    uint64_t p_bytes;
    arc_list l[L_COUNT];
    oio_hmap map;
    uint64_t hits, misses, evictions;
};

static int arc_check(const oio_arc *a) {
    uint64_t c = a->capacity_bytes;
    return a->l[L_T1].bytes + a->l[L_T2].bytes <= c && a->l[L_T1].bytes + a->l[L_B1].bytes <= c &&
           a->l[L_T1].bytes + a->l[L_T2].bytes + a->l[L_B1].bytes + a->l[L_B2].bytes <= 2 * c &&
           a->p_bytes <= c;
}

static void list_unlink(oio_arc *a, arc_ent *e) {
    arc_list *l = &a->l[e->list];
    if (e->prev) e->prev->next = e->next; else l->head = e->next;
    if (e->next) e->next->prev = e->prev; else l->tail = e->prev;
    l->bytes -= e->len;
    e->prev = e->next = NULL;
}

static void list_push_mru(oio_arc *a, arc_ent *e, uint8_t list) {
    arc_list *l = &a->l[list];
    e->list = list;
    e->prev = NULL;
    e->next = l->head;
    if (l->head) l->head->prev = e; else l->tail = e;
    l->head = e;
    l->bytes += e->len;
}

static void ent_free(oio_arc *a, arc_ent *e) {
    void *gone = hmap_del(&a->map, e->key);
    assert(gone == e);
    (void)gone;
    free(e->data);
    free(e);
}

/* Demote the LRU of T1 or T2 to its ghost list to make room. */
static void arc_replace(oio_arc *a, int hit_in_b2) {
    arc_list *t1 = &a->l[L_T1];
    int from_t1 = t1->tail != NULL &&
                  (t1->bytes > a->p_bytes || (hit_in_b2 && t1->bytes == a->p_bytes) || a->l[L_T2].tail == NULL);
    arc_ent *victim = from_t1 ? t1->tail : a->l[L_T2].tail;
    assert(victim != NULL);
    list_unlink(a, victim);
    free(victim->data);
    victim->data = NULL;
    list_push_mru(a, victim, from_t1 ? L_B1 : L_B2);
    a->evictions++;
}

static void drop_lru(oio_arc *a, int list) {
    arc_ent *e = a->l[list].tail;
    assert(e != NULL && e->data == NULL);
    list_unlink(a, e);
    ent_free(a, e);
}

/* Make room for need resident bytes; keep the ghost lists within bounds. */
static void make_room(oio_arc *a, uint64_t need, int hit_in_b2) {
    uint64_t c = a->capacity_bytes;
    while (a->l[L_T1].bytes + a->l[L_T2].bytes + need > c) arc_replace(a, hit_in_b2);
    while (a->l[L_T1].bytes + a->l[L_B1].bytes + need > c && a->l[L_B1].tail) drop_lru(a, L_B1);
    while (a->l[L_T1].bytes + a->l[L_T2].bytes + a->l[L_B1].bytes + a->l[L_B2].bytes + need > 2 * c &&
           (a->l[L_B2].tail || a->l[L_B1].tail))
        drop_lru(a, a->l[L_B2].tail ? L_B2 : L_B1);
}

int arc_create(uint64_t capacity_bytes, oio_arc **out) {
    assert(out != NULL);
    if (capacity_bytes < OIO_CACHE_BYTES_MIN) return OIO_INVALID;
    oio_arc *a = calloc(1, sizeof(*a));
    if (a == NULL) return OIO_NOMEM;
    if (hmap_init(&a->map, 1024) != OIO_OK || pthread_mutex_init(&a->mu, NULL) != 0) {
        hmap_destroy(&a->map);
        free(a);
        return OIO_NOMEM;
    }
    a->capacity_bytes = capacity_bytes;
    *out = a;
    return OIO_OK;
}

void arc_destroy(oio_arc *a) {
    if (a == NULL) return;
    for (int l = 0; l < L_COUNT; l++)
        while (a->l[l].tail) {
            arc_ent *e = a->l[l].tail;
            list_unlink(a, e);
            ent_free(a, e);
        }
    assert(a->map.count == 0);
    hmap_destroy(&a->map);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

static int lookup(oio_arc *a, uint64_t key, void *buf, uint32_t cap, uint32_t *len_out, int count_hit,
                  int count_miss) {
    assert(a != NULL && buf != NULL && key != 0);
    pthread_mutex_lock(&a->mu);
    arc_ent *e = hmap_get(&a->map, key);
    int hit = e != NULL && e->data != NULL;
    if (hit) {
        memcpy(buf, e->data, e->len < cap ? e->len : cap);
        if (len_out) *len_out = e->len;
        list_unlink(a, e);
        list_push_mru(a, e, L_T2);
        a->hits += count_hit != 0;
    } else {
        a->misses += count_miss != 0;
    }
    pthread_mutex_unlock(&a->mu);
    return hit;
}

int arc_get(oio_arc *a, uint64_t key, void *buf, uint32_t cap, uint32_t *len_out) {
    return lookup(a, key, buf, cap, len_out, 1, 1);
}

int arc_get_quiet(oio_arc *a, uint64_t key, void *buf, uint32_t cap, uint32_t *len_out, int count_hit) {
    return lookup(a, key, buf, cap, len_out, count_hit, 0);
}

/* Insert or refresh key with a copy of buf.  Entries larger than the cache are not kept. */
void arc_put(oio_arc *a, uint64_t key, const void *buf, uint32_t len) {
    assert(a != NULL && buf != NULL && key != 0 && len > 0);
    if (len > a->capacity_bytes) return;
    uint8_t *copy = malloc(len);
    if (copy == NULL) return; /* caching is optional */
    memcpy(copy, buf, len);
    pthread_mutex_lock(&a->mu);
    arc_ent *e = hmap_get(&a->map, key);
    int in_b2 = 0;
    if (e != NULL) {
        uint64_t b1 = a->l[L_B1].bytes ? a->l[L_B1].bytes : 1, b2 = a->l[L_B2].bytes ? a->l[L_B2].bytes : 1;
        if (e->list == L_B1) {
            uint64_t step = len * b2 / b1 > len ? len * b2 / b1 : len;
            a->p_bytes = a->p_bytes + step > a->capacity_bytes ? a->capacity_bytes : a->p_bytes + step;
        } else if (e->list == L_B2) {
            uint64_t step = len * b1 / b2 > len ? len * b1 / b2 : len;
            a->p_bytes = a->p_bytes > step ? a->p_bytes - step : 0;
            in_b2 = 1;
        }
        list_unlink(a, e); /* detached (still mapped) while making room */
        free(e->data);
        e->data = NULL;
        make_room(a, len, in_b2);
        e->len = len;
        e->data = copy;
        list_push_mru(a, e, L_T2);
    } else {
        e = calloc(1, sizeof(*e));
        if (e == NULL || hmap_put(&a->map, key, e) != OIO_OK) {
            free(e);
            free(copy);
            pthread_mutex_unlock(&a->mu);
            return;
        }
        e->key = key;
        make_room(a, len, 0);
        e->len = len;
        e->data = copy;
        list_push_mru(a, e, L_T1);
    }
    assert(arc_check(a));
    pthread_mutex_unlock(&a->mu);
}

void arc_drop(oio_arc *a, uint64_t key) {
    assert(a != NULL && key != 0);
    pthread_mutex_lock(&a->mu);
    arc_ent *e = hmap_get(&a->map, key);
    if (e != NULL) {
        list_unlink(a, e);
        ent_free(a, e);
    }
    pthread_mutex_unlock(&a->mu);
}

void arc_stats(oio_arc *a, uint64_t *bytes, uint64_t *hits, uint64_t *misses, uint64_t *evictions) {
    assert(a != NULL);
    pthread_mutex_lock(&a->mu);
    *bytes = a->l[L_T1].bytes + a->l[L_T2].bytes;
    *hits = a->hits;
    *misses = a->misses;
    *evictions = a->evictions;
    pthread_mutex_unlock(&a->mu);
}
