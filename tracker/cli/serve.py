"""``tracker serve``: the local, read-only dashboard (the web extra)."""

from __future__ import annotations

import click

from tracker.cli import params
from tracker.cli.options import db_option, stale_option


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs --allow-remote and a token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--open", "open_browser", is_flag=True, help="Open the dashboard in the default browser.")
@click.option("--allow-remote", is_flag=True, help="Allow a non-loopback --host (a token is then required).")
@click.option("--token", envvar="TRACKER_SERVE_TOKEN", metavar="SECRET",
              help="Require this secret on every request (Basic auth password or Bearer). [env TRACKER_SERVE_TOKEN]")
@click.option("--refresh", type=params.Duration(), default="30s", show_default=True, metavar="DURATION",
              help="How often the page polls.")
@click.option("--lookback", type=params.Duration(), default="1h", show_default=True, metavar="DURATION",
              help="As for `report`.")
@stale_option
@db_option
def serve(host, port, open_browser, allow_remote, token, refresh, lookback, stale_after, db) -> None:
    """A local, read-only web dashboard of every account (needs the web extra).

    One page: a card per account (windows, reset countdowns, burn, projection, badges, the last
    error), an interactive week chart and the use per day; it refreshes itself while `collect`
    runs. JSON for scripts: /api/report (as `report --json`), /api/series, /api/daily, /api/healthz.

    \b
    Example:
        pip install 'codex-quota-history[web]'
        tracker serve --open
        TRACKER_SERVE_TOKEN=... tracker serve --host 0.0.0.0 --allow-remote
    """
    from tracker.config import db_url
    from tracker.web.payloads import Figures
    from tracker.web.server import ServeOptions, serve_forever

    options = ServeOptions(
        db_url=db_url(db), host=host, port=port, token=token or None, allow_remote=allow_remote,
        refresh_seconds=max(1.0, refresh.total_seconds()), figures=Figures(lookback, stale_after),
    )
    serve_forever(options, announce=lambda line: click.echo(line, err=True), open_browser=open_browser)


