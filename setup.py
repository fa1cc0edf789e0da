"""Builds the one C extension, ringflow.model._structure (the structural half of validation).

It is optional: without a compiler the install still succeeds and ringflow.model.structure
runs its pure-Python twin, the same checks several times slower on very large flows.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("ringflow.model._structure", ["ringflow/model/_structure.c"], optional=True,
                             extra_compile_args=["-O2"])])
