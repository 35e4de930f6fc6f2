/* SPDX-License-Identifier: MIT */
/*
 * vl_store_prep - the entries of a batch decoded and their proposals opened
 * on a second thread, ahead of vls_apply (docs/store.md §3.1.2).
 *
 * For entry i of a batch appended at head h0, the thread does what
 * vls_apply would do first for it at head h0 + i: vl_entry_parse under the
 * version in force at h0 + 1 + i (all signatures checked for the entries
 * whose flags ask for them), and vl_proposal_open with the content key of
 * that version's epoch when the proposal names that epoch (any other is
 * refused by vls_apply before it would open). vls_apply takes slot i where
 * it would have made the same calls, so every check runs, in the same order,
 * with the same result and message as without the thread; the thread only
 * moves the work off the thread that writes.
 *
 * What the thread reads: the entry bytes (the caller's, unchanged until
 * vls_prep_stop), the store's policy versions, and the content keys resolved
 * by vls_prep_start on the calling thread; none of them changes during the
 * write txn. It writes only its own slots. It runs at most S_AHEAD entries
 * ahead of the taker, so at most S_AHEAD decoded entries are held (plus a
 * slot of two messages per entry of the batch).
 *
 * Layer (map in vl_store_int.h): calls vl_store_policy.c and
 * vl_store_rest.c (on the calling thread only), below it.
 */
#include "vl_store_int.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "vl_entry.h"
#include "vl_proposal.h"

/* Decoded entries held at most: a slot with an opened proposal holds its
 * records, up to VL_MAX_OPS of them. */
#define S_AHEAD 32u

struct vls_prep {
    vl_store_t *store;
    uint64_t h0;
    const uint8_t *const *entries;
    const size_t *lens;
    size_t n;
    bool chain;
    /* content key of each known version's epoch, NULL when it cannot be
     * had (vls_apply then opens inline and reports why) */
    const uint8_t **keys;
    vls_pre_t *slots;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t made;  /* slots [0, made) are ready (guarded by mu) */
    size_t taken; /* slots [0, taken) were handed over (guarded by mu) */
    bool stop;    /* guarded by mu */
};

static void *
s_run(void *arg)
{
    vls_prep_t *pp = arg;
    for (size_t i = 0; i < pp->n; i++) {
        pthread_mutex_lock(&pp->mu);
        while (!pp->stop && i >= pp->taken + S_AHEAD)
            pthread_cond_wait(&pp->cv, &pp->mu);
        bool stop = pp->stop;
        pthread_mutex_unlock(&pp->mu);
        if (stop)
            break;
        vls_pre_t *s = &pp->slots[i];
        uint64_t at = pp->h0 + 1 + i;
        const vl_policy_t *pol = vls_pol_for(pp->store, at);
        size_t pi = 0;
        while (pi < pp->store->npols && pp->store->pols[pi] != pol)
            pi++;
        unsigned flags = (pp->chain && i + 1 < pp->n) ? VL_ENTRY_NO_SIGS : 0;
        s->at = at;
        s->orc = VLS_PRE_NOT_OPENED;
        s->prc = pp->entries[i] ? vl_entry_parse(pol, pp->entries[i], pp->lens[i], flags, &s->e,
                                                 s->perr)
                                : VL_EINVAL; /* vls_apply is not reached (s_append_each) */
        if (s->prc == VL_OK && pi < pp->store->npols && pp->keys[pi]) {
            vl_proposal_t *p = vl_entry_proposal(s->e);
            if (vl_proposal_epoch(p) == vl_policy_epoch(pol))
                s->orc = vl_proposal_open(p, pp->keys[pi], s->oerr);
        }
        pthread_mutex_lock(&pp->mu);
        pp->made = i + 1;
        pthread_cond_broadcast(&pp->cv);
        pthread_mutex_unlock(&pp->mu);
    }
    return NULL;
}

void
vls_prep_start(vl_store_t *self, uint64_t h0, const uint8_t *const *entries, const size_t *lens,
               size_t n, bool chain, vls_prep_t **out)
{
    *out = NULL;
    vls_prep_t *pp = calloc(1, sizeof *pp);
    sigset_t all, old;
    bool sync = false;
    if (!pp || !(pp->keys = calloc(self->npols, sizeof *pp->keys)) ||
        !(pp->slots = calloc(n, sizeof *pp->slots)))
        goto out; /* no memory for the slots: apply without the worker, as before */
    /* vls_ckey caches what it unseals (not thread-safe): resolve here, for
     * the versions that govern the batch only (a key this node cannot have,
     * an old epoch's, is not tried again at every batch). A key that cannot
     * be had stays NULL; vls_apply then tries inline and reports the error
     * in its place. */
    const vl_policy_t *lo = vls_pol_for(self, h0 + 1), *hi = vls_pol_for(self, h0 + n);
    for (size_t i = 0, in = 0; i < self->npols; i++) {
        in = in || self->pols[i] == lo;
        const uint8_t *k = NULL;
        if (in && vls_ckey(self, vl_policy_epoch(self->pols[i]), &k, NULL) == VL_OK)
            pp->keys[i] = k;
        if (self->pols[i] == hi)
            break;
    }
    pp->store = self;
    pp->h0 = h0;
    pp->entries = entries;
    pp->lens = lens;
    pp->n = n;
    pp->chain = chain;
    if (pthread_mutex_init(&pp->mu, NULL) != 0)
        goto out;
    if (pthread_cond_init(&pp->cv, NULL) != 0) {
        pthread_mutex_destroy(&pp->mu);
        goto out;
    }
    sync = true;
    /* Signals stay with the caller's threads (the node wakes its loop on
     * them): the worker blocks them all. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&pp->thread, NULL, s_run, pp);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e == 0) {
        *out = pp;
        return;
    }
    /* No thread: the caller applies without one, as before. */
out:
    if (sync) {
        pthread_cond_destroy(&pp->cv);
        pthread_mutex_destroy(&pp->mu);
    }
    if (pp) {
        free(pp->keys);
        free(pp->slots);
    }
    free(pp);
}

vls_pre_t *
vls_prep_take(vls_prep_t *pp, size_t i)
{
    if (!pp || i >= pp->n)
        return NULL;
    pthread_mutex_lock(&pp->mu);
    while (pp->made <= i)
        pthread_cond_wait(&pp->cv, &pp->mu);
    if (pp->taken < i + 1)
        pp->taken = i + 1;
    pthread_cond_broadcast(&pp->cv);
    pthread_mutex_unlock(&pp->mu);
    return &pp->slots[i];
}

void
vls_prep_stop(vls_prep_t **pp_p)
{
    vls_prep_t *pp = pp_p ? *pp_p : NULL;
    if (!pp)
        return;
    pthread_mutex_lock(&pp->mu);
    pp->stop = true;
    pthread_cond_broadcast(&pp->cv);
    pthread_mutex_unlock(&pp->mu);
    pthread_join(pp->thread, NULL);
    for (size_t i = 0; i < pp->n; i++)
        vl_entry_destroy(&pp->slots[i].e);
    pthread_cond_destroy(&pp->cv);
    pthread_mutex_destroy(&pp->mu);
    free(pp->keys);
    free(pp->slots);
    free(pp);
    *pp_p = NULL;
}
