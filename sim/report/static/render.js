(function () {
  "use strict";
  var figures = JSON.parse(document.getElementById("lunarsim-figures").textContent);
  // Below this width (a phone, or a narrow window) charts get the narrow layout.
  var NARROW = 600;
  var config = {
    displaylogo: false,
    responsive: true,
    showSendToCloud: false,
    showEditInChartStudio: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "sendDataToCloud", "editInChartStudio"],
    toImageButtonOptions: {format: "png", scale: 2}
  };
  var shownNarrow = {};
  var heights = {};

  function clone(value) { return JSON.parse(JSON.stringify(value)); }

  // Plotly's text is a small HTML dialect: count what shows, not tags or entities.
  function shownLength(text) {
    return text.replace(/<[^>]*>/g, "").replace(/&#?\w+;/g, "x").length;
  }

  // The text Plotly would show, as plain characters (for a native <option>); a textarea's
  // content is parsed as text only, so nothing in it can run.
  function plain(text) {
    var box = document.createElement("textarea");
    box.innerHTML = String(text).replace(/<br>/g, " ").replace(/<[^>]*>/g, "");
    return box.value;
  }

  function escapeText(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  // Break a title into lines of about `chars` shown characters, at spaces outside tags.
  function wrap(text, chars) {
    var words = String(text).replace(/<br>/g, " ").split(/ (?![^<]*>)/);
    var lines = [], line = "";
    words.forEach(function (word) {
      if (line && shownLength(line + " " + word) > chars) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines.join("<br>");
  }

  // One line of at most `chars` characters, cut at a word boundary.
  function cut(text, chars) {
    var whole = plain(text);
    if (whole.length <= chars) { return text; }
    var part = whole.slice(0, chars - 1), space = part.lastIndexOf(" ");
    if (space > chars / 2) { part = part.slice(0, space); }
    return escapeText(part.replace(/[\s,;:(–.…-]+$/, "")) + "…";
  }

  // Legend names cut to `chars`, none made equal to another by the cut: names a cut would merge
  // ("ILRS as announced in spring 2022" and "…, China alone") keep their ends instead.
  function cutDistinct(data, chars) {
    var named = data.filter(function (t) { return t.name; });
    var cuts = named.map(function (t) { return cut(t.name, chars); });
    named.forEach(function (t, i) {
      var same = cuts.filter(function (c, j) {
        return c === cuts[i] && plain(named[j].name) !== plain(t.name);
      });
      if (!same.length) { t.name = cuts[i]; return; }
      t.name = middle(t.name, chars);
    });
  }

  // A name in at most `chars` characters: its start and its end around a "…".
  function middle(text, chars) {
    var whole = plain(text), tail = Math.floor(chars / 2);
    if (whole.length <= chars) { return text; }
    return escapeText(whole.slice(0, chars - tail - 1).replace(/\s+$/, "")) + "…" +
      escapeText(whole.slice(whole.length - tail).replace(/^\s+/, ""));
  }

  function charsFor(width) { return Math.max(24, Math.floor((width - 20) / 7.4)); }

  // Category rows (timeline, tornado, criticality): the label goes above each bar, full width,
  // instead of a left margin as wide as the longest label.
  function labelsAbove(layout, data, chars) {
    var axis = layout.yaxis, order = [], firsts = {};
    function add(key) {
      if (key !== null && key !== undefined && order.indexOf(key) < 0) { order.push(key); }
    }
    if (axis.type === "multicategory") {
      var groups = [], names = [];
      data.forEach(function (trace) {
        if (!Array.isArray(trace.y) || trace.y.length !== 2 || !Array.isArray(trace.y[0])) { return; }
        trace.y = trace.y[0].map(function (group, i) {
          var name = trace.y[1][i];
          if (group === null || group === undefined) { return null; }
          if (groups.indexOf(group) < 0) { groups.push(group); }
          if (names.indexOf(name) < 0) { names.push(name); }
          return group + " · " + name;
        });
      });
      groups.forEach(function (group) {
        names.forEach(function (name, j) {
          var key = group + " · " + name;
          if (j === 0) { firsts[key] = group; }
          add(key);
        });
      });
      order = order.filter(function (key) {
        return data.some(function (trace) { return Array.isArray(trace.y) && trace.y.indexOf(key) >= 0; });
      });
    } else {
      (axis.categoryarray || []).forEach(add);
      data.forEach(function (trace) { if (Array.isArray(trace.y)) { trace.y.forEach(add); } });
      order.forEach(function (key) { firsts[key] = key; });
    }
    // Thin bars, so that each row's label fits above its bar.
    data.forEach(function (trace) {
      if (trace.type === "bar" && trace.orientation === "h") { trace.width = 0.4; }
    });
    layout.yaxis = Object.assign(axis, {
      type: "category", categoryorder: "array", categoryarray: order, showticklabels: false
    });
    layout.annotations = (layout.annotations || []).concat(order.filter(function (key) {
      return firsts[key] !== undefined;
    }).map(function (key) {
      return {
        xref: "paper", x: 0, xanchor: "left", yref: "y", y: key, yanchor: "bottom", yshift: 11,
        text: cut(String(firsts[key]), chars), showarrow: false, align: "left",
        font: {size: 12, color: "#222222"}
      };
    }));
    return order.length;
  }

  function shaped(figure, width) {
    var layout = clone(figure.layout), data = clone(figure.data);
    var narrow = width < NARROW;
    var chars = charsFor(width);
    var margin = layout.margin || {};
    var extra = 0;
    var axis = layout.yaxis;
    var heat = data.some(function (t) { return t.type === "heatmap"; });
    // Two-level rows (a comparison's milestone and scenario) always get their label above;
    // one-level rows only on narrow screens, and never a heatmap's (its rows are its cells).
    if (axis && (axis.type === "multicategory" || (narrow && axis.type === "category" && !heat))) {
      extra += labelsAbove(layout, data, chars) * 22;
    }
    if (!narrow) {
      if (layout.height) { layout.height += extra; }
      return {data: data, layout: layout};
    }
    // A narrow heatmap: no colour bar (each cell gives its value), and its column names wrapped
    // to the width of a column instead of slanted across each other.
    if (heat) {
      var columns = [];
      data.forEach(function (t) {
        if (t.type !== "heatmap") { return; }
        t.showscale = false;
        (t.x || []).forEach(function (v) { if (columns.indexOf(v) < 0) { columns.push(v); } });
      });
      var per = Math.max(8, Math.floor((width - 90) / Math.max(columns.length, 1) / 7.4));
      layout.xaxis = Object.assign(layout.xaxis || {}, {
        tickangle: 0, tickmode: "array", tickvals: columns,
        ticktext: columns.map(function (v) { return wrap(String(v), per); })
      });
    }
    // A figure's own changes for narrow screens (`layout.meta.narrow`: properties per part).
    var changes = (layout.meta && layout.meta.narrow) || {};
    Object.keys(changes).forEach(function (key) {
      layout[key] = Object.assign(layout[key] || {}, changes[key]);
    });
    var top = margin.t === undefined ? 56 : margin.t;
    if (layout.updatemenus && layout.updatemenus.length) {
      delete layout.updatemenus;  // a native <select> above the chart takes its place
      top -= 20;
      // The height a desktop chart has to show its menu's every entry is not needed here.
      if (layout.height && layout.height > 480) { extra -= layout.height - 480; }
    }
    if (layout.title && layout.title.text) {
      var wrapped = wrap(layout.title.text, Math.floor(chars * 0.95));
      var lines = wrapped.split("<br>").length;
      layout.title = Object.assign(layout.title, {text: wrapped, font: {size: 14}});
      top += 20 * (lines - 1);
      extra += 20 * (lines - 1);
    }
    var right = Math.min(margin.r === undefined ? 24 : margin.r, 90);
    layout.margin = Object.assign(margin, {l: 8, r: right, t: top});
    Object.keys(layout).filter(function (key) { return /^[xy]axis\d*$/.test(key); }).forEach(function (key) {
      var title = layout[key].title;
      if (title && title.text) {
        title.text = wrap(title.text, chars);
        title.font = {size: 12};
        title.standoff = 4;
        extra += 15 * (title.text.split("<br>").length - 1);
      }
    });
    cutDistinct(data, chars - 6);
    // Text written beside a line (a comparison's target labels) would run off the chart at this
    // width: it gets the line's short label (`meta.narrow`, "target") and a legend entry below
    // the chart gives the line in full (which scenario, which date).
    data.forEach(function (t) {
      if (t.mode !== "lines+text") { return; }
      if (t.meta && t.meta.narrow && Array.isArray(t.text)) {
        t.text = t.text.map(function (s) { return s ? t.meta.narrow : s; });
        t.showlegend = true;
        var tail = " target " + t.meta.date, room = Math.max(12, chars - 6 - tail.length);
        var name = cut(String(t.meta.scenario), room);
        // Two scenarios that the cut would make one keep the end of their names instead.
        var merged = data.some(function (o) {
          return o !== t && o.meta && o.meta.scenario && o.meta.scenario !== t.meta.scenario &&
            cut(String(o.meta.scenario), room) === name;
        });
        if (merged) { name = middle(String(t.meta.scenario), room); }
        t.name = name + tail;
      } else {
        t.mode = "lines";
        delete t.text;
      }
    });
    // Only the traces on show have legend entries (a menu hides the other views' traces).
    var entries = data.filter(function (t) {
      return t.showlegend !== false && t.name && t.visible !== false;
    });
    if (layout.showlegend !== false && data.length > 1) {
      // Rows the horizontal legend takes: entries packed by their text's width (about 7 px a
      // character after a 40 px symbol); two rows spare where a menu can show a view with more.
      var rowsOfLegend = 1, used = 0;
      entries.forEach(function (t) {
        var w = 52 + 7.5 * shownLength(String(t.name));
        if (used && used + w > width - 16) { rowsOfLegend += 1; used = 0; }
        used += w;
      });
      if (figure.layout.updatemenus && figure.layout.updatemenus.length) { rowsOfLegend += 2; }
      // Below the plot, in the container's bottom margin, where it covers nothing.
      layout.legend = Object.assign(layout.legend || {}, {
        orientation: "h", x: 0, xanchor: "left", y: 0, yanchor: "bottom", yref: "container",
        bgcolor: "rgba(0,0,0,0)", borderwidth: 0
      });
      // A legend title would sit beside the first row and push its entries off the screen.
      delete layout.legend.title;
      var legendHeight = 22 * rowsOfLegend + 8;
      // The desktop's bottom margin may hold a legend of its own: at most the axis title's room.
      var bottom = margin.b === undefined ? 48 : margin.b;
      layout.margin.b = Math.min(bottom, 48) + legendHeight + 24;
      extra += layout.margin.b - bottom;
    }
    if (layout.height) {
      layout.height += extra;
    }
    return {data: data, layout: layout};
  }

  // On narrow screens a chart's milestone menu is a native <select> above it: it fits any
  // width and every entry is one tap away.
  function nativeMenu(element, figure, narrow) {
    var menus = figure.layout.updatemenus;
    if (!menus || !menus.length) { return; }
    var id = element.id + "-menu";
    var select = document.getElementById(id);
    if (!select) {
      var row = document.createElement("div");
      row.className = "menu-row";
      var label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = "Show";
      select = document.createElement("select");
      select.id = id;
      menus[0].buttons.forEach(function (button, k) {
        var option = document.createElement("option");
        option.value = String(k);
        option.textContent = plain(button.label);
        select.appendChild(option);
      });
      select.addEventListener("change", function () {
        var button = menus[0].buttons[Number(select.value)];
        var relayout = clone(button.args[1]);
        if (relayout["title.text"]) {
          var chars = Math.floor(charsFor(element.clientWidth) * 0.95);
          relayout["title.text"] = wrap(relayout["title.text"], chars);
        }
        // The narrow layout's height, which a resize by Plotly's own handler can drop.
        if (heights[element.id]) { relayout.height = heights[element.id]; }
        Plotly.update(element, button.args[0], relayout);
      });
      row.appendChild(label);
      row.appendChild(select);
      element.parentNode.insertBefore(row, element);
    }
    select.parentNode.hidden = !narrow;
  }

  // Plotly's toolbar sits at a chart's top right, over whatever is drawn there. A title that
  // reaches under it (a long one on a desktop, any wrapped one on a phone) moves down below it,
  // and the chart grows by as much, so nothing else moves.
  function clearToolbar(element, attempt) {
    attempt = attempt || 0;
    var bar = element.querySelector(".modebar");
    var title = element.querySelector(".g-gtitle .gtitle");
    // The move's own redraws do not start another move; a move is re-measured until it clears.
    if (attempt === 0 && element.__clearing) { return; }
    if (!bar || !title) { clearTitle(element); return; }
    var b = bar.getBoundingClientRect(), t = title.getBoundingClientRect();
    var box = element.getBoundingClientRect();
    var apart = t.right <= b.left || t.left >= b.right || t.top >= b.bottom || t.bottom <= b.top;
    if (!b.width || !t.width || apart || attempt > 3) {
      element.__clearing = false;
      clearTitle(element);
      return;
    }
    element.__clearing = true;
    var layout = element.layout, margin = layout.margin || {};
    var shift = Math.ceil(b.bottom - t.top) + 6;
    var height = (layout.height || box.height) + shift;
    // Where the title's top is asked to be, from the chart's top (Plotly's anchor is not exactly
    // the text's top, so later attempts move it by what the measurement still finds).
    var at = (attempt === 0 ? t.top - box.top : element.__titleAt) + shift;
    element.__titleAt = at;
    heights[element.id] = height;
    Plotly.relayout(element, {
      "title.yref": "container", "title.yanchor": "top", "title.y": 1 - at / height,
      "margin.t": (margin.t === undefined ? 56 : margin.t) + shift, height: height
    }).then(function () { clearToolbar(element, attempt + 1); }, function () { element.__clearing = false; });
  }

  // Every text a chart shows (tick labels, titles, legend, text beside points, annotations), as
  // boxes on the page; `note` is an annotation's index in the layout, -1 for any other text.
  function textBoxes(element) {
    return Array.prototype.filter.call(element.querySelectorAll(".main-svg text"), function (t) {
      return t.textContent.trim() && !t.closest(".hoverlayer") && getComputedStyle(t).display !== "none";
    }).map(function (t) {
      var r = t.getBoundingClientRect(), group = t.closest(".annotation");
      return {node: t, l: r.left, r: r.right, t: r.top, b: r.bottom,
              note: group ? Number(group.getAttribute("data-index")) : -1};
    }).filter(function (box) { return box.r - box.l > 0; });
  }

  // Whether box `a`, moved by (dx, dy) px, overlaps box `b` by more than a pixel each way.
  function hits(a, b, dx, dy) {
    return Math.min(a.r + dx, b.r) - Math.max(a.l + dx, b.l) > 1 &&
      Math.min(a.b + dy, b.b) - Math.max(a.t + dy, b.t) > 1;
  }

  // The axis a tick label belongs to ("x", "x2", "y"), or null for any other text.
  function tickAxis(node) {
    var kind = ((node.parentNode && node.parentNode.getAttribute("class")) || "").split(" ")[0];
    var found = /^([xy]\d*)tick$/.exec(kind);
    return found ? found[1] : null;
  }

  // A tick label that overlaps other text is hidden (the tick and its neighbours' labels stay);
  // where two axes' labels meet, the one on the axis with more labels goes. Returns the rest.
  function hideCrowdedTicks(boxes) {
    var count = {};
    boxes.forEach(function (o) {
      o.axis = tickAxis(o.node);
      if (o.axis) { count[o.axis] = (count[o.axis] || 0) + 1; }
    });
    boxes.forEach(function (o) {
      if (!o.axis || o.hidden) { return; }
      o.hidden = boxes.some(function (q) {
        return q !== o && !q.hidden && q.note < 0 && q.axis !== o.axis && hits(o, q, 0, 0) &&
          (!q.axis || count[o.axis] >= count[q.axis]);
      });
      if (o.hidden) { o.node.style.display = "none"; }
    });
    return boxes.filter(function (o) { return !o.hidden; });
  }

  // A chart title that overlaps other text (a top axis's title or tick labels) stays where it
  // is while the plot moves down until that text is below it, and the chart grows by as much.
  function clearTitle(element, attempt) {
    attempt = attempt || 0;
    var title = element.querySelector(".g-gtitle .gtitle");
    if (!title || attempt > 2) { untangle(element); return; }
    var t = title.getBoundingClientRect(), box = element.getBoundingClientRect();
    var under = textBoxes(element).filter(function (o) {
      return o.node !== title && o.note < 0 && hits({l: t.left, r: t.right, t: t.top, b: t.bottom}, o, 0, 0);
    });
    if (!under.length) { untangle(element); return; }
    var need = Math.ceil(t.bottom - Math.min.apply(null, under.map(function (o) { return o.t; }))) + 4;
    var layout = element.layout, margin = layout.margin || {}, old = layout.title || {};
    var height = (layout.height || box.height) + need;
    // Where the title's anchor is, from the chart's top: as placed before (below the tool bar),
    // else where it is drawn.
    var at = old.yref === "container" && typeof old.y === "number" ?
      (1 - old.y) * (height - need) : t.top - box.top;
    heights[element.id] = height;
    element.__clearing = true;
    Plotly.relayout(element, {
      "title.yref": "container", "title.yanchor": "top", "title.y": 1 - at / height,
      "margin.t": (margin.t === undefined ? 56 : margin.t) + need, height: height
    }).then(function () { element.__clearing = false; clearTitle(element, attempt + 1); },
            function () { element.__clearing = false; });
  }

  // Annotations that overlap other text, or run out of the chart, move to the nearest free
  // place a line above or below (then two, then three lines); the other texts stay put. Earlier
  // annotations are placed first and later ones keep clear of them.
  function untangle(element, attempt) {
    attempt = attempt || 0;
    if (attempt === 0 && element.__untangling) { return; }
    // A text that has nowhere free to go stays where the last move put it.
    if (attempt > 18) { element.__untangling = false; return; }
    var notes = element.layout.annotations || [], chart = element.getBoundingClientRect();
    var boxes = hideCrowdedTicks(textBoxes(element));
    var placed = boxes.filter(function (o) { return o.note < 0; });
    var update = {};
    boxes.filter(function (o) { return o.note >= 0 && notes[o.note]; })
      .sort(function (a, c) { return a.note - c.note; })
      .forEach(function (box) {
        function free(dy) {
          return box.t + dy >= chart.top && box.b + dy <= chart.bottom &&
            box.l >= chart.left - 1 && box.r <= chart.right + 1 &&
            !placed.some(function (o) { return hits(box, o, 0, dy); });
        }
        var line = box.b - box.t + 2, moves = [0, -line, line, -2 * line, 2 * line, -3 * line, 3 * line];
        var dy = moves.filter(free)[0];
        if (dy === undefined) { dy = 0; }
        if (dy) { update["annotations[" + box.note + "].yshift"] = (notes[box.note].yshift || 0) - dy; }
        placed.push({l: box.l, r: box.r, t: box.t + dy, b: box.b + dy});
      });
    var moved = clearLines(element);
    if (!Object.keys(update).length && !moved) { element.__untangling = false; return; }
    element.__untangling = true;
    var done = function () { untangle(element, attempt + 1); };
    var failed = function () { element.__untangling = false; };
    if (moved) { Plotly.restyle(element, moved.update, moved.traces).then(done, failed); }
    else { Plotly.relayout(element, update).then(done, failed); }
  }

  // Text beside a point (the S-curve's P50 and P80) that a vertical line (a plan or a target
  // drawn as a trace) runs through moves to the other side of its point, then above or below
  // it. Returns the restyle to make, or null when every such text is clear.
  function clearLines(element) {
    var lines = Array.prototype.map.call(element.querySelectorAll(".scatterlayer .js-line"), function (path) {
      return path.getBoundingClientRect();
    }).filter(function (r) { return r.height > 0 && r.width < 5; });
    if (!lines.length) { return null; }
    var order = ["middle left", "middle right", "top left", "bottom right", "top right", "bottom left",
                 "top center", "bottom center"];
    var changes = {}, texts = {};
    Array.prototype.forEach.call(element.querySelectorAll(".scatterlayer .textpoint text"), function (t) {
      if (!t.textContent.trim()) { return; }
      var r = t.getBoundingClientRect();
      var crossed = lines.some(function (l) {
        return l.left < r.right - 1 && l.right > r.left + 1 && l.top < r.bottom && l.bottom > r.top;
      });
      var point = t.parentNode && t.parentNode.__data__, group = t.closest(".trace");
      var trace = group && group.__data__ && group.__data__[0] && group.__data__[0].trace;
      if (!crossed || !point || !trace || typeof point.i !== "number") { return; }
      var data = element.data[trace.index], count = (data.x || []).length;
      var now = changes[trace.index] || (Array.isArray(data.textposition) ? data.textposition.slice() :
        Array(count).fill(data.textposition || "middle center"));
      var words = texts[trace.index] || (Array.isArray(data.text) ? data.text.slice() : null);
      var next = order[order.indexOf(now[point.i]) + 1];
      if (!next && words && String(words[point.i]).trim().indexOf(" ") > 0) {
        // Nowhere free for the whole label: its first word ("P50") tries every place again
        // (the date is in the hover box and the headline).
        words[point.i] = String(words[point.i]).trim().split(" ")[0];
        texts[trace.index] = words;
        next = order[0];
      }
      if (!next) { return; }
      now[point.i] = next;
      changes[trace.index] = now;
    });
    var traces = Object.keys(changes).map(Number);
    if (!traces.length) { return null; }
    var update = {textposition: traces.map(function (k) { return changes[k]; })};
    if (traces.some(function (k) { return texts[k]; })) {
      update.text = traces.map(function (k) { return texts[k] || element.data[k].text; });
    }
    return {traces: traces, update: update};
  }

  function draw(id) {
    var element = document.getElementById(id);
    if (!element) { return; }
    var width = element.clientWidth || window.innerWidth;
    var narrow = width < NARROW;
    if (shownNarrow[id] === narrow) { return; }
    shownNarrow[id] = narrow;
    var figure = figures[id];
    var shown = shaped(figure, width);
    heights[id] = shown.layout.height;
    nativeMenu(element, figure, narrow);
    // Each chart downloads under its own name, as a PNG (the tool bar's camera) or as an SVG for
    // print and publishing (the button beside it).
    var own = Object.assign({}, config, {
      toImageButtonOptions: Object.assign({}, config.toImageButtonOptions, {filename: id}),
      modeBarButtonsToAdd: [{
        name: "svg",
        title: "Download plot as an SVG",
        icon: Plotly.Icons.disk,
        click: function (gd) { Plotly.downloadImage(gd, {format: "svg", filename: id}); }
      }]
    });
    Plotly.react(element, shown.data, shown.layout, own).then(function () {
      if (!element.__toolbarWatched) {
        element.__toolbarWatched = true;
        // After every redraw (a milestone picked, a resize): the new title may reach the toolbar.
        element.on("plotly_afterplot", function () { clearToolbar(element); });
      }
      clearToolbar(element);
    });
  }

  // A table wider than its box (a phone, a narrow window) becomes cards, one per row, each cell
  // under its column's name (`data-label`, set as text), so no number is off to the side.
  function fitTables() {
    Array.prototype.forEach.call(document.querySelectorAll(".table-wrap > table"), function (table) {
      var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      Array.prototype.forEach.call(table.querySelectorAll("tbody tr"), function (row) {
        Array.prototype.forEach.call(row.children, function (cell, i) {
          if (names[i]) { cell.setAttribute("data-label", names[i]); }
        });
      });
      table.classList.remove("cards");
      var box = table.parentNode.clientWidth;
      if (box && table.getBoundingClientRect().width > box + 1) { table.classList.add("cards"); }
    });
  }

  fitTables();
  Object.keys(figures).forEach(draw);
  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(function () { fitTables(); Object.keys(figures).forEach(draw); }, 150);
  });
})();
