"""Builds ringflow.model._kernels, the C kernels of the flow model: normalize's common case
(ringflow/model/_document.c) and validation's (_structure.c, _groups.c, _columns.c, _templates.c).

It is optional: without a compiler the install still succeeds, and the model runs the kernels'
pure-Python twins (document._nodes_and_edges, structure.scan_py, fastflow._nodes_by_type_py,
fastcheck.columns_py and unclear_py), the same checks, several times slower on big flows.
"""

from setuptools import Extension, setup

SOURCES = ["_kernels.c", "_document.c", "_structure.c", "_groups.c", "_columns.c", "_templates.c"]

setup(ext_modules=[Extension("ringflow.model._kernels", [f"ringflow/model/{name}" for name in SOURCES],
                             depends=["ringflow/model/_kernels.h", "ringflow/model/_idtable.h"],
                             optional=True, extra_compile_args=["-O2"])])
