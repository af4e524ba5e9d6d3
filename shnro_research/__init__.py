"""shnro_research: the complex sociological study of schools with low results (ШНОР)
and schools in unfavourable social conditions (ШФНСУ).

The study runs as eight stages (:mod:`shnro_research.pipeline`), one pipeline file, one notebook
and one output folder each::

    instruments -> responses -> scoring -> design -> context -> models -> dynamics -> report

The statistics are flat functions in the library packages (``scoring``, ``design``, ``models``,
``context``, ``typology``, ``dynamics``, ``indicators``, ...); errors and warnings are in
:mod:`shnro_research.errors`. Nothing runs at import; import what you need, e.g.
``from shnro_research import scoring``.
"""
__version__ = "0.3.0"
