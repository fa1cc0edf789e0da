/* A flow's nodes grouped by type, each group's configs as columns, in one pass:
 * ringflow/model/fastflow.py's ``_nodes_by_type`` is its interface, and its Python twin
 * (``columns`` by node, ``_group``, ``columns`` by type) is what the tests hold it equal to.
 *
 * Why C: validation reads every node's id, type and config, groups the nodes by type, and
 * hands each type's config values to the column checkers. In Python those were three passes
 * over 500,000 nodes and two over their configs (0.2 s); here each node and its config are
 * read once, one after the other. It decides nothing about the values.
 *
 * group_nodes(nodes) returns None unless every node is an exact dict with "id", "type" and
 * "config", the config an exact dict and the type hashable; else (ids, types, configs,
 * by_type), where by_type maps each type, in order of first appearance, to
 * [positions, configs, keys, columns]: keys are the first config's keys, and columns holds
 * each key's values when every config of that type holds exactly those keys, else None.
 */
#include "_kernels.h"

enum { POSITIONS, PICKED, KEYS_OF, COLUMNS, GROUP_SIZE };

/* A new group for a type whose first config is `config`: [[], [], keys, [[], ...]]. */
static PyObject *new_group(PyObject *config) {
    PyObject *group = PyList_New(GROUP_SIZE);
    if (group == NULL)
        return NULL;
    PyObject *keys = PySequence_Tuple(config);
    PyList_SET_ITEM(group, KEYS_OF, keys);
    PyList_SET_ITEM(group, POSITIONS, PyList_New(0));
    PyList_SET_ITEM(group, PICKED, PyList_New(0));
    PyObject *columns = keys ? PyList_New(PyTuple_GET_SIZE(keys)) : NULL;
    PyList_SET_ITEM(group, COLUMNS, columns);
    int ok = keys && columns && PyList_GET_ITEM(group, POSITIONS) && PyList_GET_ITEM(group, PICKED);
    for (Py_ssize_t k = 0; ok && k < PyTuple_GET_SIZE(keys); k++) {
        PyObject *column = PyList_New(0);
        ok = column != NULL;
        PyList_SET_ITEM(columns, k, column);
    }
    if (!ok)
        Py_CLEAR(group); /* list_dealloc skips the items left NULL */
    return group;
}

/* Adds config (of node i) to its group: 0, or -1 with an exception set. */
static int add_to_group(PyObject *group, Py_ssize_t i, PyObject *config) {
    PyObject *position = PyLong_FromSsize_t(i);
    if (position == NULL)
        return -1;
    int failed = PyList_Append(PyList_GET_ITEM(group, POSITIONS), position) < 0;
    Py_DECREF(position);
    if (failed || PyList_Append(PyList_GET_ITEM(group, PICKED), config) < 0)
        return -1;
    PyObject *columns = PyList_GET_ITEM(group, COLUMNS), *keys = PyList_GET_ITEM(group, KEYS_OF);
    if (columns == Py_None)
        return 0;
    Py_ssize_t width = PyTuple_GET_SIZE(keys);
    int uniform = PyDict_GET_SIZE(config) == width;
    for (Py_ssize_t k = 0; uniform && k < width; k++) {
        PyObject *value = PyDict_GetItemWithError(config, PyTuple_GET_ITEM(keys, k));
        if (value == NULL) {
            if (PyErr_Occurred())
                return -1;
            uniform = 0;
            break;
        }
        if (PyList_Append(PyList_GET_ITEM(columns, k), value) < 0)
            return -1;
    }
    if (!uniform) /* another key set in this type: the caller groups its configs by keys */
        PyList_SetItem(group, COLUMNS, Py_NewRef(Py_None));
    return 0;
}

PyObject *rf_group_nodes(PyObject *module, PyObject *nodes) {
    static PyObject *k_id, *k_type, *k_config;
    if (k_config == NULL && ((k_id = PyUnicode_InternFromString("id")) == NULL || (k_type = PyUnicode_InternFromString("type")) == NULL ||
                         (k_config = PyUnicode_InternFromString("config")) == NULL))
        return NULL;
    if (!PyList_Check(nodes)) {
        PyErr_SetString(PyExc_TypeError, "group_nodes() takes a list");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(nodes);
    PyObject *ids = PyList_New(n), *types = PyList_New(n), *configs = PyList_New(n), *by_type = PyDict_New(), *result = NULL;
    if (!ids || !types || !configs || !by_type)
        goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (i >= PyList_GET_SIZE(nodes))
            goto decline;
        PyObject *node = PyList_GET_ITEM(nodes, i);
        if (!PyDict_CheckExact(node))
            goto decline;
        PyObject *id = PyDict_GetItemWithError(node, k_id), *type = PyDict_GetItemWithError(node, k_type);
        PyObject *config = PyDict_GetItemWithError(node, k_config);
        if (!id || !type || !config || !PyDict_CheckExact(config))
            goto decline; /* also when a lookup raised: the Python path meets it again */
        PyList_SET_ITEM(ids, i, Py_NewRef(id));
        PyList_SET_ITEM(types, i, Py_NewRef(type));
        PyList_SET_ITEM(configs, i, Py_NewRef(config));
        PyObject *group = PyDict_GetItemWithError(by_type, type); /* borrowed */
        if (group == NULL) {
            if (PyErr_Occurred())
                goto decline; /* an unhashable type */
            PyObject *made = new_group(config);
            if (made == NULL)
                goto done;
            int failed = PyDict_SetItem(by_type, type, made) < 0;
            group = made;
            Py_DECREF(made); /* the dict holds it */
            if (failed)
                goto decline;
        }
        if (add_to_group(group, i, config) < 0)
            goto done;
    }
    result = PyTuple_Pack(4, ids, types, configs, by_type);
    goto done;
decline:
    PyErr_Clear();
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(ids); /* unset items are NULL, which list_dealloc skips */
    Py_XDECREF(types);
    Py_XDECREF(configs);
    Py_XDECREF(by_type);
    return result;
}
