"""``tracker serve``: a local, read-only dashboard over the store (Starlette + uvicorn, the ``web`` extra).

Modules: ``readonly`` opens the database without writing, ``queries`` reads bounded, downsampled
series, ``payloads`` turns store data into the JSON the page uses, ``app`` is the ASGI
application (routes and the guard: host, method, token, headers), ``server`` binds and runs it.
Only ``app`` and ``server`` import the web framework, and only when the command runs.

Stage 4, beside views and notify: may import any earlier stage and the bottom layer (it reuses
the report and the chart data of ``views``); never the command line.
"""
