"""shnro_research: the complex sociological study of schools with low results (ШНОР)
and schools in unfavourable social conditions (ШФНСУ).

Stages (one module, one ``shnro`` subcommand and one notebook each)::

    instruments -> responses (read + validate) -> scoring -> design -> context -> models
    -> dynamics -> report

Nothing runs at import; import the stage modules you need, e.g.
``from shnro_research import scoring``.
"""
__version__ = "0.1.0"
