/* Config values as columns, in one read per config: ringflow/model/fastcheck.py's
 * ``columns`` is its interface and its pure-Python twin, which the tests hold it equal to.
 *
 * Why C: the column checkers want each field's values as a list. In Python that took a
 * tuple per config and then one pass per field over the tuples, 0.1 s for the 500,000
 * configs of a big flow; here each config is read once and its values go straight into
 * the columns. It only reads the configs and decides nothing about the values.
 *
 * columns(configs, keys) returns one list per key, or None unless every config is an exact
 * dict holding exactly ``keys`` (as many entries, each key found).
 */
#include "_kernels.h"

PyObject *rf_columns(PyObject *module, PyObject *args) {
    PyObject *configs, *keys;
    if (!PyArg_ParseTuple(args, "O!O!:columns", &PyList_Type, &configs, &PyTuple_Type, &keys))
        return NULL;
    Py_ssize_t width = PyTuple_GET_SIZE(keys), n = PyList_GET_SIZE(configs);
    PyObject *out = PyList_New(width);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t k = 0; k < width; k++) {
        PyObject *column = PyList_New(n);
        if (column == NULL)
            goto error;
        PyList_SET_ITEM(out, k, column);
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (i >= PyList_GET_SIZE(configs))
            goto decline; /* the list shrank: only a key's own __eq__ could have done that */
        PyObject *config = PyList_GET_ITEM(configs, i);
        if (!PyDict_CheckExact(config) || PyDict_GET_SIZE(config) != width)
            goto decline;
        Py_INCREF(config);
        for (Py_ssize_t k = 0; k < width; k++) {
            PyObject *value = PyDict_GetItemWithError(config, PyTuple_GET_ITEM(keys, k));
            if (value == NULL) {
                Py_DECREF(config);
                if (PyErr_Occurred())
                    goto error;
                goto decline;
            }
            Py_INCREF(value);
            PyList_SET_ITEM(PyList_GET_ITEM(out, k), i, value);
        }
        Py_DECREF(config);
    }
    return out;
decline:
    Py_DECREF(out); /* unset items are NULL, which list_dealloc skips */
    Py_RETURN_NONE;
error:
    Py_DECREF(out);
    return NULL;
}
