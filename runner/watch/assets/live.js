// runner watch: keeps the report page up to date without reloading it (runner.watch.server inlines it last).
// Before it, the page defines FIGURES, PLOT_CONFIG, withUids and REPORT_DRAWN (the report's page.js draws them) and
// WATCH = {seq, snap, interval, refresh, watching, database}. Every interval it asks /feed?seq=&snap= and
// applies the answer: a snapshot (every figure redrawn with Plotly.react, whose fixed uirevision keeps the
// zoom and the legend's choices; the tables' rows replaced, their sort kept), then the deltas (new points
// appended with Plotly.extendTraces). window.WATCH_STATE says where the page stands (the tests read it).

(function () {
  "use strict";
  var state = window.WATCH_STATE = {
    seq: WATCH.seq, snap: WATCH.snap, polls: 0, snapshots: 0, deltas: 0, error: null, offline: false, statuses: {}
  };
  var bar = document.getElementById("watch-bar");

  function time(iso) { return iso ? new Date(iso).toLocaleTimeString() : "never"; }

  function counts(statuses) {
    var n = {};
    Object.keys(statuses).forEach(function (id) { n[statuses[id]] = (n[statuses[id]] || 0) + 1; });
    return Object.keys(n).sort().map(function (s) { return n[s] + " " + s; }).join(", ");
  }

  function show(answer) {
    if (answer === null) {
      bar.setAttribute("data-state", "offline");
      bar.textContent = "Not updating: runner watch is not answering (stopped?). The page keeps what it showed; " +
        "it goes on when the server answers again.";
      return;
    }
    if (answer.error) {
      bar.setAttribute("data-state", "db-error");
      bar.textContent = "The database cannot be read since " + time(answer.error_since) + ": " + answer.error +
        ". Trying again every " + WATCH.interval + " s; the page keeps what it showed.";
      return;
    }
    bar.setAttribute("data-state", "live");
    var active = Object.keys(answer.statuses).some(function (id) {
      return answer.statuses[id] === "running" || answer.statuses[id] === "queued";
    });
    bar.textContent = (active ? "Live: " : "Live (every run has ended): ") + WATCH.watching + " · " +
      counts(answer.statuses) + " · read " + time(answer.checked) + ", every " + WATCH.interval + " s";
  }

  // The index of each run's line (not its status mark) in a figure's data.
  function lines(gd) {
    var out = {};
    gd.data.forEach(function (trace, i) {
      var meta = trace.meta;
      if (meta && meta.run !== undefined && meta.status === undefined) { out[meta.run] = i; }
    });
    return out;
  }

  // Plotly's figure JSON carries arrays as {dtype, bdata} (base64); extendTraces wants plain arrays.
  var TYPES = {i1: Int8Array, u1: Uint8Array, i2: Int16Array, u2: Uint16Array, i4: Int32Array, u4: Uint32Array,
               f4: Float32Array, f8: Float64Array};

  function plain(values) {
    if (!values || typeof values.bdata !== "string" || !TYPES[values.dtype]) { return values; }
    var text = atob(values.bdata), bytes = new Uint8Array(text.length);
    for (var k = 0; k < text.length; k++) { bytes[k] = text.charCodeAt(k); }
    return Array.from(new TYPES[values.dtype](bytes.buffer));
  }

  // Append each run's new points (pick gives {x, y} of a run's delta, or nothing) to its line in figure `name`.
  function extend(name, runs, pick) {
    var gd = document.getElementById("fig-" + name);
    if (!gd || !gd.data) { return; }
    var index = lines(gd), log = gd.layout.yaxis && gd.layout.yaxis.type === "log";
    var xs = [], ys = [], at = [];
    Object.keys(runs).forEach(function (id) {
      var points = index[id] === undefined ? null : pick(runs[id]);
      if (!points) { return; }
      var x = [], y = [];
      for (var k = 0; k < points.y.length; k++) {
        var v = points.y[k];
        if (v === null || (log && v <= 0)) { continue; }  // what the axis cannot draw stays out, as in the report
        x.push(points.x[k]);
        y.push(v);
      }
      if (x.length) {
        var trace = gd.data[index[id]];
        trace.x = plain(trace.x);
        trace.y = plain(trace.y);
        xs.push(x); ys.push(y); at.push(index[id]);
      }
    });
    if (at.length) { Plotly.extendTraces(gd, {x: xs, y: ys}, at); }
  }

  function applyDelta(delta) {
    extend("loss", delta.runs, function (r) { return r.step && {x: r.step, y: r.loss}; });
    extend("wall_clock", delta.runs, function (r) { return r.step && {x: r.elapsed, y: r.loss}; });
    Object.keys(FIGURES).forEach(function (name) {
      if (name.indexOf("metric-") !== 0) { return; }
      var metric = name.slice("metric-".length);
      extend(name, delta.runs, function (r) {
        var m = r.metrics && r.metrics[metric];
        return m && {x: m.step, y: m.value};
      });
    });
    state.seq = delta.seq;
    state.deltas += 1;
  }

  function sameKeys(a, b) { return a.slice().sort().join("\n") === b.slice().sort().join("\n"); }

  // Replace a table's rows, keeping the listeners on its heading and the sort the user chose.
  function replaceRows(table, fresh) {
    table.tBodies[0].innerHTML = fresh.tBodies[0].innerHTML;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      var sort = th.getAttribute("aria-sort");
      if (sort) {  // a click sorts ascending unless the column already is: set the opposite, click once
        th.setAttribute("aria-sort", sort === "ascending" ? "descending" : "ascending");
        th.click();
      }
    });
  }

  function replaceSection(key, html) {
    var section = document.getElementById(key);
    var fresh = document.createElement("div");
    fresh.innerHTML = html;
    var old = section.querySelectorAll("table"), now = fresh.querySelectorAll("table");
    var same = old.length === now.length && Array.prototype.every.call(old, function (t, i) {
      return t.tHead && now[i].tHead && t.tHead.textContent === now[i].tHead.textContent;
    });
    if (same) {
      Array.prototype.forEach.call(old, function (t, i) { replaceRows(t, now[i]); });
    } else {  // other columns (a queued run's settings are completed when it starts): the section anew, unsorted
      section.innerHTML = section.querySelector("h2").outerHTML + html;
    }
  }

  // The runs of seed groups that a click on their group drew (page.js: showMembers) stay drawn: Plotly.react keeps
  // what its own legend clicks changed, not what a script restyled.
  function keepShownMembers(gd, data) {
    var shown = {};
    (gd.data || []).forEach(function (trace) {
      if (trace.meta && trace.meta.member !== undefined && trace.visible === true) { shown[trace.uid] = true; }
    });
    data.forEach(function (trace) {
      if (trace.meta && trace.meta.member !== undefined && shown[trace.uid]) { trace.visible = true; }
    });
    return data;
  }

  function draw(name, fig) {
    var gd = document.getElementById("fig-" + name);
    Plotly.react(gd, keepShownMembers(gd, withUids(fig.data)), fig.layout, PLOT_CONFIG);
  }

  // The page's layout changed: load it again (the one case where the zoom is lost).
  function reload(why) {
    try { sessionStorage.setItem("runner-watch-reloaded", why); } catch (e) { /* storage off: no matter */ }
    location.reload();
    return false;
  }

  function applySnapshot(snapshot) {
    var sections = Array.prototype.map.call(document.querySelectorAll("main > section"), function (s) { return s.id; });
    if (!sameKeys(Object.keys(snapshot.figures), Object.keys(FIGURES)) || !sameKeys(snapshot.order, sections)) {
      return reload("a figure or section came or went");
    }
    Object.keys(snapshot.figures).forEach(function (name) {
      var fig = snapshot.figures[name];
      fig.layout.title = {text: ""};
      fig.layout.margin.t = 24;
      FIGURES[name] = fig;
      draw(name, fig);
    });
    Object.keys(snapshot.sections).forEach(function (key) { replaceSection(key, snapshot.sections[key]); });
    var header = document.querySelector("body > header");
    if (header) { header.outerHTML = snapshot.header; }
    state.seq = state.snap = snapshot.seq;
    state.snapshots += 1;
    return true;
  }

  function apply(answer) {
    state.polls += 1;
    state.error = answer.error;
    state.offline = false;
    state.statuses = answer.statuses;
    if (answer.snapshot && !applySnapshot(answer.snapshot)) { return; }
    answer.deltas.forEach(function (delta) { if (delta.seq > state.seq) { applyDelta(delta); } });
    show(answer);
  }

  function poll() {
    fetch("feed?seq=" + state.seq + "&snap=" + state.snap, {cache: "no-store"})
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(apply, function () { state.offline = true; show(null); })
      .catch(function (error) { console.error("runner watch: " + error); })  // shown, and the polling goes on
      .then(function () { setTimeout(poll, WATCH.interval * 1000); });
  }

  REPORT_DRAWN.then(poll);  // the report's script draws the figures (with stable uids: withUids) first
})();
