"""runner watch: a live report of a sweep, served on this machine and updated as its runs train.

runner.watch.feed reads what is new in the store (statuses, then each
run's steps after the last one read); runner.watch.snapshot builds the
report's data from what was read; runner.watch.live holds the deltas and
snapshots the pages poll for; runner.watch.server serves the page and the
feed with the standard library's http.server (the page is
templates/page.html, which extends the report's); assets/live.js applies
them in the page. Importing this package imports nothing heavy; its modules
import plotly, as the report does.
"""

__all__ = []
