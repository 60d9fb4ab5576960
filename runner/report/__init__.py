"""HTML comparison reports: gather runs from the store, draw them with Plotly, write one offline page.

    from runner.store import open_store
    from runner import report

    store = open_store("experiments.db")
    data = report.gather(store, report.Selection(models=("numpy", "tensor")))
    figs = report.figures(data)          # plotly Figures: figs.loss, figs.final_loss, figs.wall_clock
    figs.loss.show()                     # in a notebook
    report.write_html(data, "report.html")

    options = report.Options()           # the points each figure and line draws
    data = report.gather(store, budget=options.budget)   # a long run: read about what is drawn, summaries exact
    data.sampling.describe()             # which runs were read in part, and how

    data = report.gather(store, metrics=["val_loss", "val_accuracy"], best="val_accuracy")
    data.runs[0].metrics["val_accuracy"].summary.final   # each run's values (a MetricSeries) and summary
    figs = report.figures(data)
    figs.metrics["val_accuracy"].show()  # one figure per metric, per step

``gather`` returns plain frozen dataclasses (runner.report.data; the
metrics' in runner.report.metric_data, the statistics both share in
runner.report.stats) and is separate from the drawing
(runner.report.figures, which puts together curves, final_loss, with scale
and style) and the page (runner.report.html, with tables; its templates
are in runner/report/templates, rendered by runner.report.templating's one
autoescaping Jinja2 environment, its CSS and script in runner/report/assets). Which entry is best, or which
are tied, follows one rule, runner.report.ranking's: the star (``data.best``),
the Comparisons section's best line and the ``--verdicts`` JSON all use it.
Importing this package imports plotly; the CLI imports it only when
``runner report`` runs.
"""

from runner.report.budget import Budget
from runner.report.data import (
    Band,
    Group,
    NoRunsSelected,
    Provenance,
    ReportData,
    RunData,
    Sampling,
    Selection,
    Series,
    gather,
)
from runner.report.downsample import envelope, lttb, lttb_indices
from runner.report.figures import Figures, Options, figures
from runner.report.html import PLOTLYJS_MODES, to_html, write_html
from runner.report.metric_data import Best, GroupMetric, MetricSeries, RunMetric, UnknownMetric

__all__ = [
    "PLOTLYJS_MODES",
    "Band",
    "Best",
    "Budget",
    "Figures",
    "Group",
    "GroupMetric",
    "MetricSeries",
    "NoRunsSelected",
    "Options",
    "Provenance",
    "ReportData",
    "RunData",
    "RunMetric",
    "Sampling",
    "Selection",
    "Series",
    "UnknownMetric",
    "envelope",
    "figures",
    "gather",
    "lttb",
    "lttb_indices",
    "to_html",
    "write_html",
]
