// The report page's script (runner.report.html inlines it after the figures, so the page stays one file).
// Before it, the page defines FIGURES ({name: {data, layout}}) and PLOT_CONFIG (Plotly's config).

// Sort a table by the column whose heading is clicked: by data-v (numbers, empty last) or by text.
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    th.addEventListener("click", function () {
      var up = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      var body = table.tBodies[0];
      var key = function (row) {
        var cell = row.cells[col];
        if (cell.hasAttribute("data-v")) { var v = cell.getAttribute("data-v"); return v === "" ? null : parseFloat(v); }
        return (cell.getAttribute("data-t") || cell.getAttribute("data-s") || cell.textContent).toLowerCase();
      };
      var rows = Array.prototype.slice.call(body.rows).map(function (row, i) { return [key(row), i, row]; });
      rows.sort(function (a, b) {
        if (a[0] === null || b[0] === null) { return a[0] === b[0] ? a[1] - b[1] : (a[0] === null ? 1 : -1); }
        var d = a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1];
        return up ? d : -d;
      });
      rows.forEach(function (r) { body.appendChild(r[2]); });
    });
  });
});

// Draw each figure in its <div id="fig-NAME">; the section heading names it, so the figure has no title.
Object.keys(FIGURES).forEach(function (name) {
  var fig = FIGURES[name];
  fig.layout.title = {text: ""};
  fig.layout.margin.t = 24;
  var gd = document.getElementById("fig-" + name);
  Plotly.newPlot(gd, fig.data, fig.layout, PLOT_CONFIG);
  gd.on("plotly_legendclick", function (event) { return toggleMembers(gd, event.curveNumber); });
});

// With many runs in seed groups they have no legend entries (runner.report.curves): a click on a group's
// entry shows its runs' lines, or hides them again, instead of hiding the group.
function toggleMembers(gd, index) {
  var meta = gd.data[index].meta || {};
  if (!meta.members) { return true; }
  var runs = [];
  gd.data.forEach(function (trace, i) { if ((trace.meta || {}).member === meta.group) { runs.push(i); } });
  if (runs.length) {
    Plotly.restyle(gd, {visible: gd.data[runs[0]].visible === true ? "legendonly" : true}, runs);
  }
  return false;
}
