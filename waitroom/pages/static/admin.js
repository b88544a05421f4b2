// Organizer pages: the organizer's time zone, the dashboard's live figures and charts (inline
// SVG), and the live preview of the fan page. No library and no third-party request; every
// node is built with DOM calls (no innerHTML). The pages work without this script.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var REFRESH_MS = 2000;
  var PREVIEW_DELAY_MS = 600;

  // -- time zone: the browser's, remembered for the server's texts (cookie wr_tz) ------------
  var zone = "UTC";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { /* old */ }
  document.cookie = "wr_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Strict";

  function two(number) { return (number < 10 ? "0" : "") + number; }
  function offsetLabel(moment) {
    var minutes = -moment.getTimezoneOffset();
    var sign = minutes < 0 ? "-" : "+";
    minutes = Math.abs(minutes);
    return "UTC" + sign + two(Math.floor(minutes / 60)) + ":" + two(minutes % 60);
  }
  function zoneLabel() {
    return zone === "UTC" ? "UTC" : zone + " (" + offsetLabel(new Date()) + ")";
  }
  function localText(unixSeconds, withSeconds) {
    var options = { weekday: "short", day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    if (withSeconds) { options.second = "2-digit"; }
    return new Date(unixSeconds * 1000).toLocaleString(undefined, options);
  }
  function clockText(unixSeconds) {
    return new Date(unixSeconds * 1000).toLocaleTimeString(undefined,
      { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  }
  function localInputValue(unixSeconds) {
    var moment = new Date(unixSeconds * 1000);
    return moment.getFullYear() + "-" + two(moment.getMonth() + 1) + "-" + two(moment.getDate()) +
      "T" + two(moment.getHours()) + ":" + two(moment.getMinutes()) +
      (moment.getSeconds() ? ":" + two(moment.getSeconds()) : "");
  }
  function applyZone() {
    Array.prototype.forEach.call(document.querySelectorAll(".time-zone-field"), function (field) {
      field.value = zone;
    });
    Array.prototype.forEach.call(document.querySelectorAll(".zone-name"), function (node) {
      node.textContent = zoneLabel();
    });
    Array.prototype.forEach.call(document.querySelectorAll("input.local-input[data-unix]"), function (input) {
      input.value = localInputValue(Number(input.getAttribute("data-unix")));
    });
    Array.prototype.forEach.call(document.querySelectorAll("time.local-time[data-unix]"), function (node) {
      var unix = Number(node.getAttribute("data-unix"));
      node.textContent = localText(unix, node.classList.contains("seconds")) +
        (node.classList.contains("seconds") ? "" : " (" + zoneLabel() + ")");
    });
  }
  applyZone();

  // -- live preview of the fan page -----------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("form.live-preview"), function (form) {
    var frame = document.getElementById(form.getAttribute("data-preview-frame"));
    var button = form.querySelector(".preview-button");
    if (!frame || !button) { return; }
    var timer = null, running = false, again = false;
    function show() {
      if (running) { again = true; return; }
      running = true;
      var body = new URLSearchParams(new FormData(form));
      fetch(button.getAttribute("formaction"), {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "Content-Type": "application/x-www-form-urlencoded" }
      }).then(function (response) { return response.text(); }).then(function (html) {
        var target = frame.contentDocument;
        if (!target) { form.requestSubmit(button); return; }
        var scroll = frame.contentWindow ? frame.contentWindow.scrollY : 0;
        target.open();
        target.write(html);
        target.close();
        if (frame.contentWindow) { frame.contentWindow.scrollTo(0, scroll); }
        frame.setAttribute("data-updated", String(Date.now()));
      }).catch(function () { /* the Preview button still works */ }).then(function () {
        running = false;
        if (again) { again = false; show(); }
      });
    }
    function soon() {
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(show, PREVIEW_DELAY_MS);
    }
    form.addEventListener("input", soon);
    form.addEventListener("change", soon);
    button.addEventListener("click", function (event) { event.preventDefault(); show(); });
  });

  // -- the dashboard's live figures -----------------------------------------------------------
  var root = document.getElementById("dashboard");
  if (!root) { return; }
  var liveUrl = root.getAttribute("data-live-url");
  var autotuneUrl = liveUrl.replace(/\/live$/, "/autotune");

  function byId(id) { return document.getElementById(id); }
  function text(id, value) {
    var node = byId(id);
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
  function element(name, className, content) {
    var node = document.createElement(name);
    if (className) { node.className = className; }
    if (content !== undefined) { node.textContent = content; }
    return node;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
  function color(name, fallback) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
  }

  // Line chart of series of equal length (null = unknown: the line breaks). Each series:
  // {values, color, dashed, right}; `right` series use their own scale (labels on the right).
  function lineChart(svg, seriesList, startSeconds) {
    clear(svg);
    var width = 600, height = 200, left = 40, right = 40, bottom = 20, top = 10;
    var maxima = { left: 1, right: 1 };
    seriesList.forEach(function (series) {
      series.values.forEach(function (value) {
        var side = series.right ? "right" : "left";
        if (value !== null && value > maxima[side]) { maxima[side] = value; }
      });
    });
    var count = seriesList[0].values.length;
    var x = function (index) { return left + (width - left - right) * index / Math.max(1, count - 1); };
    var y = function (value, side) { return top + (height - top - bottom) * (1 - value / maxima[side]); };
    var hasRight = seriesList.some(function (series) { return series.right; });
    [0, 0.5, 1].forEach(function (share) {
      var value = Math.round(maxima.left * share);
      svg.appendChild(svgNode("line", { x1: left, x2: width - right, y1: y(value, "left"), y2: y(value, "left"), stroke: "#eaeef2" }));
      var label = svgNode("text", { x: 4, y: y(value, "left") + 4 });
      label.textContent = String(value);
      svg.appendChild(label);
      if (hasRight) {
        var rightValue = Math.round(maxima.right * share);
        var rightLabel = svgNode("text", { x: width - right + 4, y: y(rightValue, "right") + 4 });
        rightLabel.textContent = String(rightValue);
        svg.appendChild(rightLabel);
      }
    });
    [0, count - 1].forEach(function (index) {
      var label = svgNode("text", { x: x(index) - (index ? 30 : 0), y: height - 4 });
      label.textContent = clockText(startSeconds + index * 60);
      svg.appendChild(label);
    });
    seriesList.forEach(function (series) {
      var side = series.right ? "right" : "left";
      var points = [];
      function flush() {
        if (points.length === 1) {
          var lone = points[0].split(",");
          svg.appendChild(svgNode("circle", { cx: lone[0], cy: lone[1], r: 2.5, fill: series.color }));
        } else if (points.length > 1) {
          var attributes = { points: points.join(" "), fill: "none", stroke: series.color, "stroke-width": 2 };
          if (series.dashed) { attributes["stroke-dasharray"] = "5 4"; }
          svg.appendChild(svgNode("polyline", attributes));
        }
        points = [];
      }
      series.values.forEach(function (value, index) {
        if (value === null || value === undefined) { flush(); return; }
        points.push(x(index) + "," + y(value, side));
      });
      flush();
    });
  }

  // Horizontal bars: [{label, value, maximum, over}]
  function bars(container, rows, emptyText) {
    clear(container);
    if (!rows.length) {
      if (emptyText) { container.appendChild(element("p", "muted", emptyText)); }
      return;
    }
    rows.forEach(function (row) {
      var wrapper = element("div", "bar");
      wrapper.appendChild(element("div", "", row.caption ||
        (row.label + ": " + row.value + (row.maximum ? " / " + row.maximum : ""))));
      var track = element("div", "track");
      var fill = element("div", "fill" + (row.over ? " over" : "") + (row.correct ? " correct" : ""));
      var share = row.maximum ? row.value / row.maximum : 1;
      fill.style.width = Math.max(0, Math.min(100, share * 100)) + "%";
      track.appendChild(fill);
      wrapper.appendChild(track);
      container.appendChild(wrapper);
    });
  }

  function surveyResults(container, surveys) {
    clear(container);
    if (!surveys || !surveys.length) {
      container.appendChild(element("p", "muted", "No surveys on the fan page."));
      return;
    }
    surveys.forEach(function (survey) {
      var block = element("div", "survey-result");
      block.setAttribute("data-survey-id", survey.id);
      block.appendChild(element("h3", "", survey.title + (survey.kind === "quiz" ? " (quiz)" : "")));
      block.appendChild(element("p", "muted small", survey.responses + (survey.responses === 1 ? " answer" : " answers")));
      survey.questions.forEach(function (question) {
        block.appendChild(element("p", "question-text", question.text));
        if (question.type === "text") {
          var list = element("ul", "texts");
          (question.recent_answers || []).forEach(function (answer) { list.appendChild(element("li", "", answer)); });
          if (!list.firstChild) { list.appendChild(element("li", "muted", "No answers yet.")); }
          block.appendChild(list);
          return;
        }
        var total = question.answers_total || 0;
        var rows = (question.options || []).map(function (option) {
          var percent = total ? Math.round(option.count / total * 100) : 0;
          return { value: option.count, maximum: total, correct: option.correct,
            caption: option.label + (option.correct ? " ✓" : "") + ": " + option.count + " (" + percent + " %)" };
        });
        var holder = element("div", "bars");
        bars(holder, rows, "");
        block.appendChild(holder);
      });
      container.appendChild(block);
    });
  }

  function auditRows(entries) {
    var body = document.querySelector("#audit tbody");
    if (!body || !entries || !entries.length) { return; }
    clear(body);
    entries.forEach(function (entry) {
      var row = document.createElement("tr");
      var when = element("td");
      var time = element("time", "", localText(entry.at, true));
      time.setAttribute("datetime", new Date(entry.at * 1000).toISOString());
      when.appendChild(time);
      row.appendChild(when);
      row.appendChild(element("td", "", entry.who || entry.actor));
      row.appendChild(element("td", "", entry.summary || entry.action));
      body.appendChild(row);
    });
  }

  function sellOut(prediction) {
    if (!prediction) {
      text("fig-sell-out", "–");
      text("sell-out-method", "Sell-out forecast: from the measured sales rate, tickets left ÷ tickets sold per minute over the last 5 minutes (none before the first sale).");
      return;
    }
    text("fig-sell-out", clockText(prediction.at) + " (in " + duration(prediction.seconds) + ")");
    text("sell-out-method", "Sell-out forecast: " + prediction.method + ".");
  }

  // Per-minute series of autotune's decisions: the highest p95 seen and the rate decided.
  function autotuneSeries(decisions, startSeconds, count) {
    var p95 = [], rate = [], lastRate = null;
    var ordered = decisions.slice().reverse();  // oldest first
    var index = 0;
    while (index < ordered.length && ordered[index].at < startSeconds) {
      lastRate = ordered[index].rate_per_minute;
      index += 1;
    }
    for (var minute = 0; minute < count; minute += 1) {
      var end = startSeconds + (minute + 1) * 60, worst = null;
      while (index < ordered.length && ordered[index].at < end) {
        var decision = ordered[index];
        if (decision.p95_ms !== null && (worst === null || decision.p95_ms > worst)) { worst = decision.p95_ms; }
        lastRate = decision.rate_per_minute;
        index += 1;
      }
      p95.push(worst);
      rate.push(lastRate);
    }
    return { p95: p95, rate: rate };
  }

  function renderAutotune(document_, live) {
    var svg = byId("chart-autotune");
    if (!svg) { return; }
    var count = live.series.admissions_per_minute.length;
    var series = autotuneSeries(document_.decisions || [], live.series.minute_start, count);
    var target = series.p95.map(function () { return document_.target_p95_ms; });
    lineChart(svg, [
      { values: series.p95, color: color("--danger", "#cf222e") },
      { values: target, color: color("--muted", "#57606a"), dashed: true },
      { values: series.rate, color: color("--accent", "#0b63ce"), right: true }
    ], live.series.minute_start);
    var health = document_.health;
    var parts = [];
    if (health) {
      Object.keys(health.operations).forEach(function (name) {
        var figures = health.operations[name];
        parts.push(name + " p95 " + (figures.p95_ms === null ? "–" : Math.round(figures.p95_ms)) +
          " ms, errors " + (figures.error_ratio * 100).toFixed(1) + " % (" + figures.requests + " requests)");
      });
    }
    text("shop-health", health ? "Shop health: " + parts.join(" · ") : "No health report from the shop right now.");
    var list = byId("autotune-decisions");
    clear(list);
    (document_.decisions || []).slice(0, 8).forEach(function (decision) {
      var words = decision.kind === "hold" ? "kept " + decision.rate_per_minute :
        decision.rate_before + " → " + decision.rate_per_minute;
      list.appendChild(element("li", "decision " + decision.kind,
        clockText(decision.at) + " " + decision.kind + " " + words + ": " + decision.reason));
    });
  }

  function render(live) {
    text("state", live.prequeue && live.state === "open" ? "pre-queue" : live.state);
    text("fig-queue-length", live.queue_length);
    text("fig-prequeue-length", live.prequeue_length);
    text("fig-admitted", live.fans_admitted_total);
    text("fig-abandoned", live.abandoned_total);
    text("fig-rate", live.rate_per_minute + " / " + Math.round(live.measured_outflow_per_minute));
    text("fig-last-wait", duration(live.last_fan_wait_seconds));
    text("fig-active", live.active_shoppers + " / " + (live.active_shopper_cap || "no cap"));
    text("fig-priority", live.priority_waiting);
    var stock = live.stock && live.stock.remaining_total !== null ? live.stock : null;
    text("fig-remaining", stock ? stock.remaining_total + (stock.sold_out ? " (sold out)" : "") : "–");
    sellOut(live.predicted_sell_out);
    lineChart(byId("chart-admissions"), [
      { values: live.series.set_rate_per_minute, color: color("--accent", "#0b63ce") },
      { values: live.series.admissions_per_minute, color: color("--actual", "#1a7f37") },
      { values: live.series.skipped_per_minute, color: color("--warn", "#9a6700"), dashed: true }
    ], live.series.minute_start);
    lineChart(byId("chart-sales"), [{ values: live.series.sales_per_minute, color: color("--actual", "#1a7f37") }],
      live.series.minute_start);
    var cap = live.active_shopper_cap;
    bars(byId("active-bar"), [{
      label: "active shoppers", value: live.active_shoppers, maximum: cap,
      over: cap > 0 && live.active_shoppers > cap
    }], "");
    var stockRows = [];
    (stock ? stock.events : []).forEach(function (event) {
      stockRows.push({ label: event.event_id, value: event.remaining || 0, maximum: event.capacity || 0 });
      (event.tiers || []).forEach(function (tier) {
        stockRows.push({ label: event.event_id + " · " + (tier.name || tier.tier_id),
          value: tier.remaining || 0, maximum: tier.capacity || 0 });
      });
    });
    bars(byId("stock-tiers"), stockRows, "No stock figures yet.");
    surveyResults(byId("survey"), live.survey_results);
    auditRows(live.audit);
    text("updated", clockText(live.now));
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      });
  }

  function refresh() {
    Promise.all([getJson(liveUrl), getJson(autotuneUrl)])
      .then(function (answers) {
        byId("live-error").hidden = true;
        render(answers[0]);
        renderAutotune(answers[1], answers[0]);
      })
      .catch(function () { byId("live-error").hidden = false; })
      .then(function () { window.setTimeout(refresh, REFRESH_MS); });
  }
  refresh();
})();
