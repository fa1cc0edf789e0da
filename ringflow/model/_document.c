/* normalize's common case in C: ringflow/model/document.py calls it first and keeps its own
 * node-by-node loops as the exact path (and the twin the tests hold this to).
 *
 * Why C: checking the shape of 500,000 nodes and 900,000 edges took 2 s of Python, the
 * largest part of importing or validating a big file. This does the same checks in one pass
 * over each list and builds the same canonical dicts. It has no messages: on anything it is
 * not sure of (a problem, or a shape the Python path treats specially) it declines, and the
 * Python path runs and names the problem.
 *
 * nodes_and_edges(nodes, edges, limits) returns (nodes, edges) or None, where limits is
 * (max_coord, max_size, max_id, max_label, max_string, max_items, max_key, max_depth,
 *  default_w, default_h), all from document.py.
 */
#include "_kernels.h"
#include "_idtable.h"
#include <math.h>

typedef struct {
    double max_coord, max_size;
    Py_ssize_t max_id, max_label, max_string, max_items, max_key, max_depth;
    double default_w, default_h;
    PyObject *w, *h; /* default_w and default_h as floats, shared by the nodes that take them */
} Limits;

enum { K_ID, K_TYPE, K_X, K_Y, K_W, K_H, K_LABEL, K_CONFIG, NODE_KEYS, K_SOURCE = NODE_KEYS, K_OUTLET, K_TARGET, ALL_KEYS };
static const char *const KEY_NAMES[ALL_KEYS] = {"id", "type", "x", "y", "w", "h", "label", "config", "source", "outlet", "target"};
static PyObject *KEYS[ALL_KEYS];
static PyObject *ZERO; /* 0.0, the default x and y */
/* {"id": None, ..., "config": None} and {"source": None, ...}: a copy of one, its values then
 * replaced, is a dict of str keys in the canonical order, built for a fraction of the cost
 * of inserting each key (and as fast to read later as a dict Python builds). */
static PyObject *NODE_TEMPLATE, *EDGE_TEMPLATE;

/* check_config_value's "fine" for exact JSON types (anything else declines). */
static int value_ok(PyObject *v, Py_ssize_t depth, const Limits *L) {
    if (depth > L->max_depth)
        return 0;
    if (PyUnicode_CheckExact(v))
        return PyUnicode_GET_LENGTH(v) <= L->max_string;
    if (v == Py_None || PyBool_Check(v) || PyLong_CheckExact(v))
        return 1;
    if (PyFloat_CheckExact(v))
        return isfinite(PyFloat_AS_DOUBLE(v));
    if (PyList_CheckExact(v)) {
        if (PyList_GET_SIZE(v) > L->max_items)
            return 0;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(v); i++)
            if (!value_ok(PyList_GET_ITEM(v, i), depth + 1, L))
                return 0;
        return 1;
    }
    if (PyDict_CheckExact(v)) {
        if (PyDict_GET_SIZE(v) > L->max_items)
            return 0;
        Py_ssize_t pos = 0;
        PyObject *key, *item;
        while (PyDict_Next(v, &pos, &key, &item))
            if (!PyUnicode_CheckExact(key) || PyUnicode_GET_LENGTH(key) > L->max_key || !value_ok(item, depth + 1, L))
                return 0;
        return 1;
    }
    return 0;
}

/* ID_RE: 1 to max_id of A-Z a-z 0-9 _ . : - */
static int id_ok(PyObject *id, const Limits *L) {
    if (!PyUnicode_CheckExact(id) || PyUnicode_KIND(id) != PyUnicode_1BYTE_KIND)
        return 0;
    Py_ssize_t n = PyUnicode_GET_LENGTH(id);
    const Py_UCS1 *c = PyUnicode_1BYTE_DATA(id);
    if (n < 1 || n > L->max_id)
        return 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS1 ch = c[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == ':' || ch == '-'))
            return 0;
    }
    return 1;
}

/* A coordinate or size as a float object (new reference), or NULL (declined; no error set). */
static PyObject *number(PyObject *v, PyObject *fallback, double low, double high, int low_open) {
    double d;
    if (v == NULL)
        return Py_NewRef(fallback);
    if (PyFloat_CheckExact(v))
        d = PyFloat_AS_DOUBLE(v);
    else if (PyLong_CheckExact(v)) {
        d = PyLong_AsDouble(v);
        if (d == -1.0 && PyErr_Occurred()) {
            PyErr_Clear(); /* too big for a float: far out of range */
            return NULL;
        }
    } else
        return NULL;
    if (!(low_open ? d > low : d >= low) || !(d <= high)) /* NaN fails both */
        return NULL;
    return PyFloat_CheckExact(v) ? Py_NewRef(v) : PyFloat_FromDouble(d);
}

/* The canonical node for `raw` (new reference), or NULL: declined, or an error if one is set. */
static PyObject *node_of(PyObject *raw, const Limits *L) {
    if (!PyDict_CheckExact(raw))
        return NULL;
    PyObject *v[NODE_KEYS];
    Py_ssize_t found = 0;
    for (int k = 0; k < NODE_KEYS; k++) {
        v[k] = PyDict_GetItemWithError(raw, KEYS[k]);
        if (v[k] == NULL && PyErr_Occurred())
            return NULL;
        found += v[k] != NULL;
    }
    if (found != PyDict_GET_SIZE(raw) || !v[K_ID] || !id_ok(v[K_ID], L))
        return NULL; /* an unknown field, or a missing or odd id */
    PyObject *type = v[K_TYPE];
    if (!type || !PyUnicode_CheckExact(type) || PyUnicode_GET_LENGTH(type) < 1 || PyUnicode_GET_LENGTH(type) > L->max_id)
        return NULL;
    PyObject *label = v[K_LABEL];
    if (label != NULL && label != Py_None && (!PyUnicode_CheckExact(label) || PyUnicode_GET_LENGTH(label) > L->max_label))
        return NULL;
    PyObject *config = v[K_CONFIG];
    if (config != NULL && config != Py_None) {
        if (!PyDict_CheckExact(config))
            return NULL;
        Py_ssize_t pos = 0;
        PyObject *key, *item;
        while (PyDict_Next(config, &pos, &key, &item))
            if (!PyUnicode_CheckExact(key) || !value_ok(item, 0, L))
                return NULL;
    }
    PyObject *out[NODE_KEYS] = {NULL};
    out[K_ID] = Py_NewRef(v[K_ID]);
    out[K_TYPE] = Py_NewRef(type);
    out[K_X] = number(v[K_X], ZERO, -L->max_coord, L->max_coord, 0);
    out[K_Y] = number(v[K_Y], ZERO, -L->max_coord, L->max_coord, 0);
    out[K_W] = number(v[K_W], L->w, 0.0, L->max_size, 1);
    out[K_H] = number(v[K_H], L->h, 0.0, L->max_size, 1);
    out[K_LABEL] = label != NULL && label != Py_None && PyUnicode_GET_LENGTH(label) ? Py_NewRef(label) : PyUnicode_New(0, 0);
    out[K_CONFIG] = config != NULL && config != Py_None && PyDict_GET_SIZE(config) ? Py_NewRef(config) : PyDict_New();
    PyObject *node = NULL;
    int complete = 1;
    for (int k = 0; k < NODE_KEYS; k++)
        complete &= out[k] != NULL;
    if (complete && (node = PyDict_Copy(NODE_TEMPLATE)) != NULL) {
        for (int k = 0; k < NODE_KEYS; k++) {
            if (PyDict_SetItem(node, KEYS[k], out[k]) < 0) {
                Py_CLEAR(node);
                break;
            }
        }
    }
    for (int k = 0; k < NODE_KEYS; k++)
        Py_XDECREF(out[k]);
    return node;
}

/* The set of (source position, outlet) pairs already connected. */
typedef struct {
    int32_t source; /* -1: empty */
    uint32_t hash;
    PyObject *outlet;
} Used;

/* 1 added, 0 when that outlet of that node is already connected. */
static int use_outlet(Used *used, size_t mask, int32_t source, PyObject *outlet) {
    Py_hash_t h = PyObject_Hash(outlet) ^ ((Py_hash_t)source * 0x9E3779B1);
    for (size_t j = (size_t)h & mask;; j = (j + 1) & mask) {
        Used *u = &used[j];
        if (u->source < 0) {
            u->source = source;
            u->hash = (uint32_t)h;
            u->outlet = outlet;
            return 1;
        }
        if (u->source == source && u->hash == (uint32_t)h && (u->outlet == outlet || PyUnicode_Compare(u->outlet, outlet) == 0))
            return 0;
    }
}

/* The canonical edges (new list), or NULL: declined, or an error if one is set. */
static PyObject *edges_of(PyObject *edges, const IdTable *ids, const Limits *L) {
    Py_ssize_t m = PyList_GET_SIZE(edges);
    size_t cap = 16;
    while (cap < (size_t)m * 2)
        cap <<= 1;
    Used *used = malloc(cap * sizeof(Used));
    PyObject *out = PyList_New(m);
    if (used == NULL || out == NULL) {
        free(used);
        Py_XDECREF(out);
        return PyErr_NoMemory();
    }
    for (size_t j = 0; j < cap; j++)
        used[j].source = -1;
    for (Py_ssize_t e = 0; e < m; e++) {
        PyObject *raw = e < PyList_GET_SIZE(edges) ? PyList_GET_ITEM(edges, e) : NULL;
        if (raw == NULL || !PyDict_CheckExact(raw) || PyDict_GET_SIZE(raw) != 3)
            goto decline;
        PyObject *end[3];
        for (int k = 0; k < 3; k++) {
            end[k] = PyDict_GetItemWithError(raw, KEYS[K_SOURCE + k]);
            if (end[k] == NULL || !PyUnicode_CheckExact(end[k]))
                goto decline; /* also when the lookup raised: the Python path meets it again */
        }
        PyObject *outlet = end[1];
        if (PyUnicode_GET_LENGTH(outlet) < 1 || PyUnicode_GET_LENGTH(outlet) > L->max_id)
            goto decline;
        int32_t source = idtable_find(ids, end[0]);
        if (source < 0 || idtable_find(ids, end[2]) < 0 || !use_outlet(used, cap - 1, source, outlet))
            goto decline;
        PyObject *edge = PyDict_Copy(EDGE_TEMPLATE);
        if (edge == NULL)
            goto error;
        PyList_SET_ITEM(out, e, edge);
        for (int k = 0; k < 3; k++)
            if (PyDict_SetItem(edge, KEYS[K_SOURCE + k], end[k]) < 0)
                goto error;
    }
    free(used);
    return out;
decline:
    PyErr_Clear();
error:
    free(used);
    Py_DECREF(out); /* unset items are NULL, which list_dealloc skips */
    return NULL;
}

PyObject *rf_nodes_and_edges(PyObject *module, PyObject *args) {
    PyObject *nodes, *edges;
    Limits L;
    if (!PyArg_ParseTuple(args, "O!O!(ddnnnnnndd):nodes_and_edges", &PyList_Type, &nodes, &PyList_Type, &edges, &L.max_coord,
                          &L.max_size, &L.max_id, &L.max_label, &L.max_string, &L.max_items, &L.max_key, &L.max_depth,
                          &L.default_w, &L.default_h))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(nodes);
    if (n >= INT32_MAX / 2)
        Py_RETURN_NONE;
    L.w = PyFloat_FromDouble(L.default_w);
    L.h = PyFloat_FromDouble(L.default_h);
    PyObject *out = L.w && L.h ? PyList_New(n) : NULL, *edges_out = NULL, *result = NULL;
    PyObject **ids = malloc((size_t)(n ? n : 1) * sizeof(PyObject *));
    IdTable table = {NULL, 0, NULL};
    if (out == NULL || ids == NULL || idtable_init(&table, n, ids) < 0)
        goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *raw = i < PyList_GET_SIZE(nodes) ? PyList_GET_ITEM(nodes, i) : NULL;
        PyObject *node = raw ? node_of(raw, &L) : NULL;
        if (node == NULL)
            goto done;
        PyList_SET_ITEM(out, i, node);
        ids[i] = PyDict_GetItemWithError(node, KEYS[K_ID]); /* borrowed: the node keeps it */
        if (ids[i] == NULL || !idtable_add(&table, (int32_t)i))
            goto done; /* a duplicate id */
    }
    edges_out = edges_of(edges, &table, &L);
    if (edges_out != NULL)
        result = PyTuple_Pack(2, out, edges_out);
done:
    if (result == NULL && !PyErr_Occurred() && ids != NULL)
        result = Py_NewRef(Py_None);
    else if (ids == NULL && !PyErr_Occurred())
        PyErr_NoMemory();
    idtable_free(&table);
    free(ids);
    Py_XDECREF(out);
    Py_XDECREF(edges_out);
    Py_XDECREF(L.w);
    Py_XDECREF(L.h);
    return result;
}

int rf_document_init(void) {
    for (int k = 0; k < ALL_KEYS; k++)
        if ((KEYS[k] = PyUnicode_InternFromString(KEY_NAMES[k])) == NULL)
            return -1;
    if ((ZERO = PyFloat_FromDouble(0.0)) == NULL || (NODE_TEMPLATE = PyDict_New()) == NULL || (EDGE_TEMPLATE = PyDict_New()) == NULL)
        return -1;
    for (int k = 0; k < ALL_KEYS; k++)
        if (PyDict_SetItem(k < NODE_KEYS ? NODE_TEMPLATE : EDGE_TEMPLATE, KEYS[k], Py_None) < 0)
            return -1;
    return 0;
}
