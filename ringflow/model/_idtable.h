/* A set of node ids for two C kernels (_structure.c, _document.c): positions in an
 * open-addressing table of 8-byte slots (position, hash), compared against the caller's
 * array of id strings. Ids are exact str; a str caches its hash, so each is hashed once. */
#ifndef RINGFLOW_IDTABLE_H
#define RINGFLOW_IDTABLE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct {
    int32_t pos; /* -1: empty */
    uint32_t hash;
} IdSlot;

typedef struct {
    IdSlot *slots;
    size_t mask;
    PyObject *const *keys; /* keys[pos] is the id at pos (borrowed) */
} IdTable;

/* Room for n ids: 0, or -1 with MemoryError set. */
static int idtable_init(IdTable *t, Py_ssize_t n, PyObject *const *keys) {
    size_t cap = 16;
    while (cap < (size_t)n * 2)
        cap <<= 1;
    t->slots = malloc(cap * sizeof(IdSlot));
    t->mask = cap - 1;
    t->keys = keys;
    if (t->slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t j = 0; j < cap; j++)
        t->slots[j].pos = -1;
    return 0;
}

static void idtable_free(IdTable *t) {
    free(t->slots);
    t->slots = NULL;
}

/* The slot holding `key` (hash h), or the empty slot where it would go. */
static IdSlot *idtable_slot(const IdTable *t, PyObject *key, Py_hash_t h) {
    for (size_t j = (size_t)h & t->mask;; j = (j + 1) & t->mask) {
        IdSlot *s = &t->slots[j];
        if (s->pos < 0)
            return s;
        if (s->hash == (uint32_t)h) {
            PyObject *other = t->keys[s->pos];
            if (other == key || PyUnicode_Compare(other, key) == 0)
                return s;
        }
    }
}

/* Position of `key` (an exact str), or -1. */
static int32_t idtable_find(const IdTable *t, PyObject *key) {
    return idtable_slot(t, key, PyObject_Hash(key))->pos;
}

/* Adds keys[pos] (an exact str): 1, or 0 when that id is already there. */
static int idtable_add(IdTable *t, int32_t pos) {
    PyObject *key = t->keys[pos];
    Py_hash_t h = PyObject_Hash(key);
    IdSlot *s = idtable_slot(t, key, h);
    if (s->pos >= 0)
        return 0;
    s->pos = pos;
    s->hash = (uint32_t)h;
    return 1;
}

#endif
