// The report page's script (runner.report.html inlines it after the figures, so the page stays one file).
// Before it, the page defines FIGURES ({name: {data, layout}}) and PLOT_CONFIG (Plotly's config). It defines
// REPORT_DRAWN, withUids and showMembers, which runner watch's script (runner/watch/assets/live.js) uses too.

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

// A stable uid per trace (by run or group, and part), so that a redraw (runner watch's Plotly.react) keeps what
// the user hid or showed by the trace, not by its place (a run that starts adds traces before others).
function withUids(data) {
  var seen = {};
  data.forEach(function (trace, i) {
    var meta = trace.meta || {}, key;
    if (meta.run !== undefined) { key = "r" + meta.run + (meta.status !== undefined ? "-mark" : ""); }
    else if (meta.group !== undefined) { key = meta.group + "-" + meta.part; }
    else { key = "t" + i; }
    seen[key] = (seen[key] || 0) + 1;
    trace.uid = seen[key] === 1 ? key : key + "." + seen[key];
  });
  return data;
}

// Draw each figure in its <div id="fig-NAME">; the section heading names it, so the figure has no title.
function drawFigure(name) {
  var fig = FIGURES[name];
  fig.layout.title = {text: ""};
  fig.layout.margin.t = 24;
  var gd = document.getElementById("fig-" + name);
  return Plotly.newPlot(gd, withUids(fig.data), fig.layout, PLOT_CONFIG).then(function () {
    gd.on("plotly_legendclick", function (event) { return toggleMembers(gd, event.curveNumber); });
  });
}

// One figure per task, in page order: the first is on screen, and the page answers, before the last is drawn.
// REPORT_DRAWN resolves once every figure is (runner watch's script starts then); one that fails is said in
// the console, and the others are drawn all the same.
var REPORT_DRAWN = Object.keys(FIGURES).reduce(function (drawn, name) {
  return drawn.then(function () {
    return new Promise(function (next) { setTimeout(next, 0); });
  }).then(function () { return drawFigure(name); }).catch(function (error) {
    console.error("cannot draw the figure " + name + ": " + error);
  });
}, Promise.resolve());

// With many runs in seed groups they have no legend entries and are not drawn (runner.report.curves): a click
// on a group's entry shows its runs' lines, or hides them again, instead of hiding the group. Plotly reports
// each click of a double-click too, before it knows: so a click acts after Plotly's double-click delay, unless
// a second comes first, which is left to Plotly (double-click: show only this entry).
var pendingClicks = {};

function toggleMembers(gd, index) {
  var meta = gd.data[index].meta || {};
  if (!meta.members) { return true; }
  var pending = pendingClicks[gd.id], delay = gd._context.doubleClickDelay;
  if (pending && Date.now() - pending.at < delay) {
    clearTimeout(pending.timer);
    delete pendingClicks[gd.id];
    return true;
  }
  pendingClicks[gd.id] = {at: Date.now(), timer: setTimeout(function () {
    delete pendingClicks[gd.id];
    showMembers(gd, meta.group);
  }, delay)};
  return false;
}

// Show the runs of seed group `group` (its key) in figure `gd`, or hide them if they are shown. (Plotly keeps
// this through a redraw only for its own legend clicks: runner watch's script carries it over itself.)
function showMembers(gd, group) {
  var runs = [];
  gd.data.forEach(function (trace, i) { if ((trace.meta || {}).member === group) { runs.push(i); } });
  if (!runs.length) { return Promise.resolve(gd); }
  return Plotly.restyle(gd, {visible: gd.data[runs[0]].visible !== true}, runs);
}
