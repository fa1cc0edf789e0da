/* The extension module ringflow.model._kernels: the C kernels of normalize and validate.
 * Optional: setup.py builds it when a compiler is there; without it the Python twins run. */
#include "_kernels.h"

static PyMethodDef methods[] = {
    {"nodes_and_edges", rf_nodes_and_edges, METH_VARARGS,
     "nodes_and_edges(nodes, edges, limits): normalize's canonical nodes and edges, or None (see document.py)."},
    {"scan", rf_scan, METH_VARARGS, "scan(ids, outlets, edges, start): the structural checks of a flow (see structure.py)."},
    {"columns", rf_columns, METH_VARARGS, "columns(configs, keys): each key's values, or None unless every config holds exactly keys."},
    {"unclear", rf_unclear, METH_O, "unclear(texts): the texts that need the template regex or parser."},
    {"group_nodes", rf_group_nodes, METH_O, "group_nodes(nodes): ids, types, configs, and the nodes by type (see fastflow.py)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernels", "The C kernels of the flow model.", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__kernels(void) {
    if (rf_document_init() < 0)
        return NULL;
    return PyModule_Create(&module);
}
