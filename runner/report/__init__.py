"""HTML comparison reports: gather runs from the store, draw them with Plotly, write one offline page.

    from runner.store import open_store
    from runner import report

    data = report.gather(open_store("experiments.db"), models=["numpy", "tensor"])
    figs = report.figures(data)          # plotly Figures: figs.loss, figs.final_loss, figs.wall_clock
    figs.loss.show()                     # in a notebook
    report.write_html(data, "report.html")

``gather`` returns plain frozen dataclasses (runner.report.data) and is
separate from the drawing (runner.report.figures, which puts together
curves, final_loss, with scale and style) and the page (runner.report.html,
with tables; its CSS and script are files in runner/report/assets).
Importing this package imports plotly; the CLI imports it only when
``runner report`` runs.
"""

from runner.report.data import (
    Band,
    Group,
    NoRunsSelected,
    Provenance,
    ReportData,
    RunData,
    Selection,
    Series,
    gather,
)
from runner.report.downsample import envelope, lttb, lttb_indices
from runner.report.figures import Figures, Options, figures
from runner.report.html import PLOTLYJS_MODES, to_html, write_html

__all__ = [
    "PLOTLYJS_MODES",
    "Band",
    "Figures",
    "Group",
    "NoRunsSelected",
    "Options",
    "Provenance",
    "ReportData",
    "RunData",
    "Selection",
    "Series",
    "envelope",
    "figures",
    "gather",
    "lttb",
    "lttb_indices",
    "to_html",
    "write_html",
]
