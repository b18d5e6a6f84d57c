"""Stage 4, views: what people read. The report's table and JSON (``report``), the status line
(``status``), charts (``chartdata`` computes, ``charts`` draws with matplotlib, ``chartfile``
reads and writes), the collect table (``collect_output``), exports and Prometheus (``exports``),
the import progress bar (``progress``), the price of one percent (``limits``), the live view's
frame (``watch``).

May import: any earlier stage and the bottom layer; never notify, web or cli.
"""
