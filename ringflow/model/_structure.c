/* The structural half of flow validation in one pass of C: ringflow/model/structure.py is
 * its interface and its pure-Python twin, which the tests hold it equal to.
 *
 * Why C: for a 500,000-node flow the Python version spends most of its time on the 1.8
 * million edge-end lookups in a dict of node ids (a int object fetched and counted for each)
 * and on walking integer lists. Here node ids go into an open-addressing table
 * (_idtable.h), edges fill integer outlet slots, and reachability walks C
 * arrays. It reads the document and never changes it; it holds no reference after it returns.
 *
 * scan(ids, outlets, edges, start) returns
 *   None  - a shape it leaves to the Python twin (not exact str ids, odd edges, ...);
 *   False - a document the reference walk must report (duplicate ids, an edge end that is
 *           not a node, an outlet connected twice);
 *   (bad_edges, open_slots, start_pos, reached) otherwise, as structure.scan_py documents.
 */
#include "_kernels.h"
#include "_idtable.h"

/* 1: built; 0: a duplicate id; -1: not exact str ids (nothing set) or out of memory (set). */
static int table_build(IdTable *t, PyObject *ids) {
    Py_ssize_t n = PyList_GET_SIZE(ids);
    if (idtable_init(t, n, PySequence_Fast_ITEMS(ids)) < 0)
        return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyUnicode_CheckExact(PyList_GET_ITEM(ids, i)))
            return -1;
        if (!idtable_add(t, (int32_t)i))
            return 0;
    }
    return 1;
}

/* Index of the first item of `names` (a tuple or list of exact str) equal to `name`:
 * -1 when there is none, -2 when an item is not an exact str. */
static Py_ssize_t outlet_index(PyObject *names, PyObject *name) {
    Py_ssize_t count = PySequence_Fast_GET_SIZE(names);
    PyObject **items = PySequence_Fast_ITEMS(names);
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *item = items[k];
        if (item == name)
            return k;
        if (!PyUnicode_CheckExact(item))
            return -2;
        if (PyUnicode_Compare(item, name) == 0)
            return k;
    }
    return -1;
}

/* The walk from `start`: reached[i] = 1 for every node a path reaches. */
static void walk(int32_t start, const Py_ssize_t *first_slot, const int32_t *slot_target, int32_t *stack, char *reached) {
    Py_ssize_t top = 0;
    reached[start] = 1;
    stack[top++] = start;
    while (top) {
        int32_t i = stack[--top];
        for (Py_ssize_t s = first_slot[i]; s < first_slot[i + 1]; s++) {
            int32_t next = slot_target[s];
            if (next >= 0 && !reached[next]) {
                reached[next] = 1;
                stack[top++] = next;
            }
        }
    }
}

typedef struct {
    IdTable table;
    Py_ssize_t *first_slot;
    int32_t *slot_target;
    int32_t *stack;
} Work;

static void work_free(Work *w) {
    idtable_free(&w->table);
    free(w->first_slot);
    free(w->slot_target);
    free(w->stack);
}

static PyObject *pair(Py_ssize_t a, Py_ssize_t b) {
    return Py_BuildValue("(nn)", a, b);
}

/* Each node's first outlet slot: 0 done, -1 a shape for the Python twin, -2 out of memory (set). */
static int slots_layout(Work *w, PyObject *outlets, Py_ssize_t n) {
    w->first_slot = malloc((size_t)(n + 1) * sizeof(Py_ssize_t));
    if (w->first_slot == NULL) {
        PyErr_NoMemory();
        return -2;
    }
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *names = PyList_GET_ITEM(outlets, i);
        if (!PyTuple_CheckExact(names) && !PyList_CheckExact(names))
            return -1;
        w->first_slot[i] = total;
        total += PySequence_Fast_GET_SIZE(names);
    }
    w->first_slot[n] = total;
    w->slot_target = malloc((size_t)(total ? total : 1) * sizeof(int32_t));
    if (w->slot_target == NULL) {
        PyErr_NoMemory();
        return -2;
    }
    for (Py_ssize_t s = 0; s < total; s++)
        w->slot_target[s] = -1;
    return 0;
}

/* Fills the outlet slots from the edges: 1 done, 0 reference walk, -1 Python twin, -2 error. */
static int fill(Work *w, PyObject *outlets, PyObject *edges, PyObject *bad_edges) {
    static PyObject *k_source, *k_outlet, *k_target;
    if (k_target == NULL) { /* the last one made: a failure part-way is tried again next time */
        k_source = PyUnicode_InternFromString("source");
        k_outlet = PyUnicode_InternFromString("outlet");
        k_target = PyUnicode_InternFromString("target");
        if (!k_source || !k_outlet || !k_target)
            return -2;
    }
    for (Py_ssize_t e = 0; e < PyList_GET_SIZE(edges); e++) {
        PyObject *edge = PyList_GET_ITEM(edges, e);
        if (!PyDict_CheckExact(edge))
            return -1;
        PyObject *src = PyDict_GetItemWithError(edge, k_source);
        PyObject *name = PyDict_GetItemWithError(edge, k_outlet);
        PyObject *dst = PyDict_GetItemWithError(edge, k_target);
        if (PyErr_Occurred())
            return -2;
        if (!src || !dst)
            return 0; /* an edge without an end: the reference walk raises as Python would */
        if (!name || !PyUnicode_CheckExact(src) || !PyUnicode_CheckExact(dst) || !PyUnicode_CheckExact(name))
            return -1;
        int32_t from = idtable_find(&w->table, src), to = idtable_find(&w->table, dst);
        if (from < 0 || to < 0)
            return 0;
        Py_ssize_t k = outlet_index(PyList_GET_ITEM(outlets, from), name);
        if (k == -2)
            return -1;
        if (k == -1) {
            PyObject *p = pair(e, from);
            if (p == NULL || PyList_Append(bad_edges, p) < 0) {
                Py_XDECREF(p);
                return -2;
            }
            Py_DECREF(p);
            continue;
        }
        Py_ssize_t s = w->first_slot[from] + k;
        if (w->slot_target[s] >= 0)
            return 0; /* connected twice */
        w->slot_target[s] = to;
    }
    return 1;
}

/* (node, outlet index) for each free slot whose outlet name's first slot is free too. */
static int open_slots(Work *w, PyObject *outlets, Py_ssize_t n, PyObject *found) {
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *names = PyList_GET_ITEM(outlets, i);
        for (Py_ssize_t s = w->first_slot[i]; s < w->first_slot[i + 1]; s++) {
            if (w->slot_target[s] >= 0)
                continue;
            Py_ssize_t k = s - w->first_slot[i];
            Py_ssize_t first = outlet_index(names, PySequence_Fast_ITEMS(names)[k]);
            if (first == -2)
                return -1;
            if (w->slot_target[w->first_slot[i] + first] >= 0)
                continue;
            PyObject *p = pair(i, k);
            if (p == NULL || PyList_Append(found, p) < 0) {
                Py_XDECREF(p);
                return -2;
            }
            Py_DECREF(p);
        }
    }
    return 1;
}

PyObject *rf_scan(PyObject *module, PyObject *args) {
    PyObject *ids, *outlets, *edges, *start;
    if (!PyArg_ParseTuple(args, "O!O!O!O:scan", &PyList_Type, &ids, &PyList_Type, &outlets, &PyList_Type, &edges, &start))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(ids);
    if (PyList_GET_SIZE(outlets) != n || n >= INT32_MAX / 2 || PyList_GET_SIZE(edges) >= INT32_MAX)
        Py_RETURN_NONE;
    if (start != Py_None && !PyUnicode_CheckExact(start))
        Py_RETURN_NONE;
    Work w = {{NULL, 0, NULL}, NULL, NULL, NULL};
    PyObject *bad_edges = NULL, *found = NULL, *reached = NULL, *result = NULL;
    int state = table_build(&w.table, ids);
    if (state == 1)
        state = slots_layout(&w, outlets, n) == 0 ? 1 : -1; /* -1 with an exception set: out of memory */
    if (state == 1) {
        bad_edges = PyList_New(0);
        found = PyList_New(0);
        state = bad_edges && found ? fill(&w, outlets, edges, bad_edges) : -2;
    }
    if (state == 1)
        state = open_slots(&w, outlets, n, found);
    int32_t start_pos = -1;
    if (state == 1 && start != Py_None && PyUnicode_GET_LENGTH(start) > 0)
        start_pos = idtable_find(&w.table, start);
    if (state == 1 && start_pos >= 0) {
        reached = PyByteArray_FromStringAndSize(NULL, n);
        w.stack = malloc((size_t)(n ? n : 1) * sizeof(int32_t));
        if (reached == NULL || w.stack == NULL) {
            state = -2;
        } else {
            memset(PyByteArray_AS_STRING(reached), 0, (size_t)n);
            walk(start_pos, w.first_slot, w.slot_target, w.stack, PyByteArray_AS_STRING(reached));
        }
    }
    if (state == 1) {
        result = Py_BuildValue("(OOiO)", bad_edges, found, start_pos, reached ? reached : Py_None);
    } else if (state == 0) {
        result = Py_NewRef(Py_False);
    } else if (state == -1 && !PyErr_Occurred()) {
        result = Py_NewRef(Py_None);
    } else if (!PyErr_Occurred()) {
        PyErr_NoMemory();
    }
    work_free(&w);
    Py_XDECREF(bad_edges);
    Py_XDECREF(found);
    Py_XDECREF(reached);
    return result;
}
