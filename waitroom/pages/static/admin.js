// Organizer dashboard: polls the live JSON endpoint and draws the charts as inline SVG.
// No library and no third-party request; everything is built with DOM calls (no innerHTML).
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root) { return; }
  var liveUrl = root.getAttribute("data-live-url");
  var SVG = "http://www.w3.org/2000/svg";
  var REFRESH_MS = 2000;

  function text(id, value) {
    var node = document.getElementById(id);
    if (node) { node.textContent = value; }
  }
  function duration(seconds) {
    if (seconds === null || seconds === undefined) { return "–"; }
    if (seconds < 90) { return Math.round(seconds) + " s"; }
    if (seconds < 5400) { return Math.round(seconds / 60) + " min"; }
    return (seconds / 3600).toFixed(1) + " h";
  }
  function svgNode(name, attributes) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    return node;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  // Line chart of one or more series of equal length; colors from CSS variables.
  function lineChart(svg, seriesList, colors, startSeconds) {
    clear(svg);
    var width = 600, height = 200, left = 40, bottom = 20, top = 10;
    var maximum = 1;
    seriesList.forEach(function (series) {
      series.forEach(function (value) { if (value > maximum) { maximum = value; } });
    });
    var count = seriesList[0].length;
    var x = function (index) { return left + (width - left - 10) * index / Math.max(1, count - 1); };
    var y = function (value) { return top + (height - top - bottom) * (1 - value / maximum); };
    [0, 0.5, 1].forEach(function (share) {
      var value = Math.round(maximum * share);
      svg.appendChild(svgNode("line", { x1: left, x2: width - 10, y1: y(value), y2: y(value), stroke: "#eaeef2" }));
      var label = svgNode("text", { x: 4, y: y(value) + 4 });
      label.textContent = String(value);
      svg.appendChild(label);
    });
    [0, count - 1].forEach(function (index) {
      var label = svgNode("text", { x: x(index) - (index ? 30 : 0), y: height - 4 });
      var moment = new Date((startSeconds + index * 60) * 1000);
      label.textContent = moment.toISOString().slice(11, 16) + " UTC";
      svg.appendChild(label);
    });
    seriesList.forEach(function (series, seriesIndex) {
      var points = series.map(function (value, index) { return x(index) + "," + y(value); }).join(" ");
      svg.appendChild(svgNode("polyline", {
        points: points, fill: "none", stroke: colors[seriesIndex], "stroke-width": 2
      }));
    });
  }

  // Horizontal bars: [{label, value, maximum}]
  function bars(container, rows, emptyText) {
    clear(container);
    if (!rows.length) {
      var empty = document.createElement("p");
      empty.className = "muted";
      empty.textContent = emptyText;
      container.appendChild(empty);
      return;
    }
    rows.forEach(function (row) {
      var wrapper = document.createElement("div");
      wrapper.className = "bar";
      var caption = document.createElement("div");
      caption.textContent = row.label + ": " + row.value + (row.maximum ? " / " + row.maximum : "");
      var track = document.createElement("div");
      track.className = "track";
      var fill = document.createElement("div");
      var share = row.maximum ? row.value / row.maximum : 1;
      fill.className = "fill" + (row.over ? " over" : "");
      fill.style.width = Math.max(0, Math.min(100, share * 100)) + "%";
      track.appendChild(fill);
      wrapper.appendChild(caption);
      wrapper.appendChild(track);
      container.appendChild(wrapper);
    });
  }

  // The audit table (who, what, when), newest first, as the server keeps it.
  function auditRows(entries) {
    var body = document.querySelector("#audit tbody");
    if (!body || !entries || !entries.length) { return; }
    clear(body);
    entries.forEach(function (entry) {
      var tableRow = document.createElement("tr");
      [new Date(entry.at * 1000).toISOString().slice(0, 19).replace("T", " "),
       entry.actor, entry.action + " " + JSON.stringify(entry.changes)].forEach(function (value) {
        var cell = document.createElement("td");
        cell.textContent = value;
        tableRow.appendChild(cell);
      });
      body.appendChild(tableRow);
    });
  }

  function render(live) {
    text("state", live.prequeue && live.state === "open" ? "pre-queue" : live.state);
    text("fig-queue-length", live.queue_length);
    text("fig-prequeue-length", live.prequeue_length);
    text("fig-admitted", live.admitted_total + live.priority_admitted_total);
    text("fig-rate", live.rate_per_minute + " / " + Math.round(live.measured_outflow_per_minute));
    text("fig-last-wait", duration(live.last_fan_wait_seconds));
    text("fig-abandoned", live.abandoned_total);
    text("fig-active", live.active_shoppers + " / " + (live.active_shopper_cap || "no cap"));
    text("fig-priority", live.priority_waiting);
    var stock = live.stock && live.stock.remaining_total !== null ? live.stock : null;
    text("fig-remaining", stock ? stock.remaining_total + (stock.sold_out ? " (sold out)" : "") : "–");
    text("fig-sell-out", live.predicted_sell_out ? "in " + duration(live.predicted_sell_out.seconds) : "–");
    var styles = getComputedStyle(document.documentElement);
    var accent = styles.getPropertyValue("--accent").trim() || "#0b63ce";
    var actual = styles.getPropertyValue("--actual").trim() || "#1a7f37";
    lineChart(document.getElementById("chart-admissions"),
      [live.series.set_rate_per_minute, live.series.admissions_per_minute], [accent, actual],
      live.series.minute_start);
    lineChart(document.getElementById("chart-sales"), [live.series.sales_per_minute], [actual],
      live.series.minute_start);
    var cap = live.active_shopper_cap;
    bars(document.getElementById("active-bar"), [{
      label: "active shoppers", value: live.active_shoppers, maximum: cap,
      over: cap > 0 && live.active_shoppers > cap
    }], "");
    // one bar per event (remaining of capacity), then one per tier of it
    var stockRows = [];
    (stock ? stock.events : []).forEach(function (event) {
      stockRows.push({ label: event.event_id, value: event.remaining || 0, maximum: event.capacity || 0 });
      (event.tiers || []).forEach(function (tier) {
        stockRows.push({ label: event.event_id + " · " + (tier.name || tier.tier_id),
          value: tier.remaining || 0, maximum: tier.capacity || 0 });
      });
    });
    bars(document.getElementById("stock-tiers"), stockRows, "No stock figures yet.");
    var survey = live.survey_results || {};
    var keys = Object.keys(survey).sort();
    var total = keys.reduce(function (sum, key) {
      return sum + (typeof survey[key] === "number" ? survey[key] : 0);
    }, 0);
    bars(document.getElementById("survey"), keys.map(function (key) {
      return { label: key, value: survey[key], maximum: total };
    }), "No answers yet.");
    auditRows(live.audit);
    text("updated", new Date(live.now * 1000).toISOString().slice(11, 19) + " UTC");
  }

  function refresh() {
    fetch(liveUrl, { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (live) {
        document.getElementById("live-error").hidden = true;
        render(live);
      })
      .catch(function () { document.getElementById("live-error").hidden = false; })
      .then(function () { setTimeout(refresh, REFRESH_MS); });
  }
  refresh();
})();
