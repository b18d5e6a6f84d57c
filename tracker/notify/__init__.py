"""Stage 4, notify: telling people before it runs out. Which notices are due (``rules``, pure),
episodes remembered in the database so each is sent once (``episodes``), and the channels that
deliver them: desktop, webhook, exec (``channels``).

May import: any earlier stage and the bottom layer; never views' siblings web or cli.
"""
