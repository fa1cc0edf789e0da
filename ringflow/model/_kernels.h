/* The C kernels of the flow model, one extension module (_kernels.c), one job per file;
 * each has a pure-Python twin that the tests hold it equal to. */
#ifndef RINGFLOW_KERNELS_H
#define RINGFLOW_KERNELS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

PyObject *rf_nodes_and_edges(PyObject *module, PyObject *args); /* _document.c: normalize's common case */
int rf_document_init(void);
PyObject *rf_scan(PyObject *module, PyObject *args);            /* _structure.c: edges, outlets, reachability */
PyObject *rf_columns(PyObject *module, PyObject *args);         /* _columns.c: config values as columns */
PyObject *rf_unclear(PyObject *module, PyObject *texts);        /* _templates.c: texts needing the Liquid parser */
PyObject *rf_group_nodes(PyObject *module, PyObject *nodes);    /* _groups.c: nodes by type, configs as columns */

#endif
