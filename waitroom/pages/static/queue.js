// Queue page: polls the status endpoint at the interval the server returns (with jitter),
// keeps the fan informed in their language, and alerts them when it is their turn.
// Every text comes translated from the page (#page-strings); no third-party requests.
(function () {
  "use strict";
  var section = document.getElementById("status");
  if (!section) { return; }
  var statusUrl = section.getAttribute("data-status-url");
  // the shared frame (waitroom/fan/frame.py): the same document for every fan, cached by a CDN
  var frameUrl = section.getAttribute("data-frame-url");
  var frame = null, lastStatus = null, claiming = false, statusTimer = null, frameFailures = 0;
  var strings = JSON.parse(document.getElementById("page-strings").textContent);
  var initial = JSON.parse(document.getElementById("initial-status").textContent);
  var baseTitle = document.title;
  var lastMessage = document.getElementById("status-message").textContent.trim();
  var firstAhead = null;
  var clockOffsetSeconds = 0;
  var passExpiresAt = null;
  var opensAt = null;
  var alerted = false;
  var flashing = 0;
  var failures = 0;
  var byId = function (id) { return document.getElementById(id); };
  var soundToggle = byId("sound-toggle");
  var notifyButton = byId("notify-button"), alertsStatus = byId("alerts-status");
  try { soundToggle.checked = window.localStorage.getItem("waitroom-sound") === "1"; } catch (e) { /* private mode */ }
  // the script polls: tell the server to stop sending the no-JavaScript Refresh header
  document.cookie = "wr_js=1; path=/; max-age=2592000; SameSite=Lax";

  function t(key, values) {
    var text = strings[key] || key;
    if (values) {
      Object.keys(values).forEach(function (name) {
        text = text.split("%(" + name + ")s").join(String(values[name]));
      });
    }
    return text;
  }

  function serverNow() { return Date.now() / 1000 + clockOffsetSeconds; }

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return (h > 0 ? h + ":" + two(m) : String(m)) + ":" + two(s);
  }

  function etaText(s) {
    if (s.state === "admitted") { return t("eta_now"); }
    if (!s.eta_range_seconds) { return "—"; }
    var low = Math.floor(s.eta_range_seconds[0] / 60), high = Math.ceil(s.eta_range_seconds[1] / 60);
    return high <= 1 ? t("eta_under_minute") : t("eta_range", { low: low, high: high });
  }

  function messageFor(s) {
    if (s.state === "paused" && s.pause_reason) { return t("paused_with_reason", { reason: s.pause_reason }); }
    if (s.state === "closed" && s.closed_reason && strings["state_closed_" + s.closed_reason]) {
      return t("state_closed_" + s.closed_reason);
    }
    if (s.state === "sold_out" && s.stock_may_return) { return t("state_sold_out_for_now"); }
    if (s.state === "waiting") {
      // the same choice as waitroom/fan/strings.py waiting_message_key
      var grace = s.away_grace_seconds, key = "state_waiting";
      if (s.returning) { key = "state_returning"; }
      else if (typeof grace === "number") { key = grace > 0 ? "state_waiting_kept" : "state_waiting_not_kept"; }
      return t(key, { minutes: Math.max(1, Math.ceil((grace || 0) / 60)) });
    }
    return t("state_" + s.state);
  }

  function announce(text) {
    if (text && text !== lastMessage) {
      byId("status-message").textContent = text;
      lastMessage = text;
    }
  }

  // the opening time in the fan's own zone and language (the server wrote it in UTC)
  function localTime(unixSeconds) {
    var options = { weekday: "short", day: "numeric", month: "short", hour: "2-digit",
      minute: "2-digit", timeZoneName: "short" };
    try {
      return new Intl.DateTimeFormat(document.documentElement.lang || undefined, options)
        .format(new Date(unixSeconds * 1000));
    } catch (e) { return new Date(unixSeconds * 1000).toLocaleString(); }
  }

  function renderOpening(s) {
    var pending = typeof s.opens_at === "number" && s.opens_at > serverNow() &&
      (s.state === "prequeue" || s.state === "waiting");
    byId("opening").hidden = !pending;
    if (!pending) { return; }
    var time = byId("opening-time");
    time.setAttribute("datetime", new Date(s.opens_at * 1000).toISOString());
    time.textContent = t(s.state === "prequeue" ? "sale_opens_at" : "admissions_start_at",
      { time: localTime(s.opens_at) });
  }

  function render(s) {
    if (typeof s.server_time === "number") { clockOffsetSeconds = s.server_time - Date.now() / 1000; }
    section.setAttribute("data-state", s.state);
    // before the draw nobody has a number or people ahead: the places are random at opening
    byId("position-row").hidden = s.state === "prequeue";
    byId("ahead-row").hidden = s.state === "prequeue";
    renderOpening(s);
    byId("position").textContent = s.position ? String(s.position) : "—";
    byId("ahead").textContent = String(s.ahead);
    byId("eta").textContent = etaText(s);
    if (firstAhead === null && s.state === "waiting") { firstAhead = Math.max(1, s.ahead + 1); }
    var progress = s.state === "admitted" ? 1 :
      (firstAhead ? Math.max(s.progress || 0, 1 - (s.ahead + 1) / firstAhead) : (s.progress || 0));
    var percent = Math.round(Math.min(1, Math.max(0, progress)) * 100);
    byId("progress").value = percent;
    byId("progress").textContent = percent + "%";
    byId("tickets").textContent = typeof s.tickets_remaining === "number" ?
      t("tickets_remaining", { count: s.tickets_remaining }) : "";
    opensAt = s.state === "prequeue" && s.opens_at ? s.opens_at : null;
    byId("opens-row").hidden = opensAt === null;
    tick();
    var updated = byId("updated");
    updated.textContent = new Date().toLocaleTimeString(document.documentElement.lang);
    updated.setAttribute("datetime", new Date().toISOString());
    announce(messageFor(s));
    byId("turn").hidden = s.state !== "admitted";
    // a place that is done (purchase completed, time run out): offer a new place at the back
    byId("rejoin").hidden = !(s.state === "closed" && s.closed_reason && s.closed_reason !== "queue_closed");
    if (s.state === "admitted" && s.redirect_url) { yourTurn(s); }
    // sold out for now: reload once to show the waiting-list form (when e-mail is offered)
    if (s.state === "sold_out" && s.stock_may_return && section.getAttribute("data-mail") === "1" &&
        !byId("waitlist")) { window.location.reload(); }
  }

  // the shop opens in the page's language (the connector's handoff keeps ?lang=)
  function withLanguage(url) {
    var language = document.documentElement.lang;
    if (!language) { return url; }
    return url + (url.indexOf("?") < 0 ? "?" : "&") + "lang=" + encodeURIComponent(language);
  }

  function yourTurn(s) {
    // while the pass is in use at the shop, the countdown shows the shopping time left
    passExpiresAt = s.session_deadline || s.pass_expires_at || null;
    byId("go").setAttribute("href", withLanguage(s.redirect_url));
    byId("turn").hidden = false;
    tick();
    if (!flashing) { document.title = t("your_turn_title") + " · " + baseTitle; }
    if (alerted) { return; }
    alerted = true;
    if ("Notification" in window && Notification.permission === "granted" && document.visibilityState !== "visible") {
      try { new Notification(t("your_turn_title"), { body: t("notification_body"), tag: "waitroom-turn" }); } catch (e) { /* ignore */ }
    }
    if (navigator.vibrate) { try { navigator.vibrate([300, 150, 300, 150, 600]); } catch (e) { /* ignore */ } }
    var wanted = soundToggle.checked;
    (wanted ? beep() : Promise.resolve(false)).then(function (played) {
      section.setAttribute("data-sound", played ? "played" : (wanted ? "blocked" : "off"));
      // no sound got through (the browser's autoplay rule, or sound off): an alert to see
      if (!played) { visibleAlert(); }
    });
  }

  // A large banner that takes the focus, and a title that flashes until the fan is back
  function visibleAlert() {
    var banner = byId("turn-alert");
    byId("turn-alert-go").appendChild(byId("go")); // one link to the shop, in the banner
    banner.hidden = false;
    banner.focus();
    if (flashing) { return; }
    var on = true;
    flashing = window.setInterval(function () {
      on = !on;
      document.title = on ? t("your_turn_title") + " · " + baseTitle : "\u2605 " + t("your_turn_title") + " \u2605";
    }, 1000);
    var settle = function () {
      window.clearInterval(flashing);
      flashing = 0;
      document.title = t("your_turn_title") + " · " + baseTitle;
      ["pointerdown", "keydown"].forEach(function (name) { document.removeEventListener(name, settle, true); });
    };
    ["pointerdown", "keydown"].forEach(function (name) { document.addEventListener(name, settle, true); });
  }

  // Browsers let a page play sound only after the fan touched it (autoplay rule): the audio
  // context is made and resumed on a click or key press, so the sound can play later
  var audio = null;
  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) { audio = new Context(); }
    return audio;
  }

  function unlockSound() {
    if (!soundToggle.checked) { return; }
    var context = audioContext();
    if (context && context.state !== "running") { context.resume().then(soundHint, soundHint); }
    soundHint();
  }

  function soundHint() {
    if (!soundToggle.checked) { alertsStatus.textContent = ""; return; }
    var context = audioContext();
    alertsStatus.textContent = context && context.state === "running" ? "" : t("sound_blocked");
  }

  // resolves to whether the sound could play (false while the autoplay rule holds it back)
  function beep() {
    var context = audioContext();
    if (!context) { return Promise.resolve(false); }
    var resumed = context.state === "running" ? Promise.resolve() : context.resume();
    var waited = new Promise(function (resolve) { window.setTimeout(resolve, 700); });
    return Promise.race([resumed, waited]).then(function () {
      if (context.state !== "running") { return false; }
      [0, 0.3, 0.6].forEach(function (offset) {
        var oscillator = context.createOscillator(), gain = context.createGain();
        oscillator.frequency.value = 880;
        gain.gain.setValueAtTime(0.15, context.currentTime + offset);
        gain.gain.exponentialRampToValueAtTime(0.001, context.currentTime + offset + 0.25);
        oscillator.connect(gain); gain.connect(context.destination);
        oscillator.start(context.currentTime + offset); oscillator.stop(context.currentTime + offset + 0.25);
      });
      return true;
    }, function () { return false; });
  }

  function tick() {
    if (opensAt !== null) { byId("opens-countdown").textContent = clock(opensAt - serverNow()); }
    if (passExpiresAt !== null) {
      var left = passExpiresAt - serverNow();
      byId("pass-countdown").textContent = clock(left);
      if (left <= 0) { passExpiresAt = null; alerted = true; byId("turn-alert").hidden = true; poll(); }
    }
  }

  function schedule(ms) {
    var jitter = 0.85 + Math.random() * 0.3;
    window.clearTimeout(statusTimer);
    statusTimer = window.setTimeout(poll, Math.max(500, Math.round(ms * jitter)));
  }

  // The frame says where the queue is; the page works out its own figures from its place, as
  // the status endpoint would (waitroom/fan/status.py), and asks the server itself only for a
  // heartbeat now and then, and for the pass once the frame says it is its turn.
  function fromFrame(s, f) {
    var local = {};
    Object.keys(s).forEach(function (key) { local[key] = s[key]; });
    local.queue_length = f.queue_length;
    local.serving = f.serving;
    local.tickets_remaining = f.tickets_remaining;
    local.away_grace_seconds = f.away_grace_seconds;
    local.eta_seconds = null; local.eta_range_seconds = null;
    delete local.server_time;
    if (f.state === "paused") { local.state = "paused"; local.pause_reason = f.pause_reason; }
    else if (f.state === "sold_out") { local.state = "sold_out"; local.stock_may_return = Boolean(f.stock_may_return); }
    else if (f.state === "closed") { local.state = "closed"; local.closed_reason = "queue_closed"; }
    else {
      local.state = "waiting";
      local.ahead = Math.max(0, s.position - f.serving - 1);
      local.progress = Math.min(1, f.serving / s.position);
      if (f.outflow_per_second > 0) {
        var eta = Math.ceil((local.ahead + 1) / f.outflow_per_second);
        local.eta_seconds = eta;
        local.eta_range_seconds = [Math.floor(eta * (1 - f.eta_spread[0])), Math.ceil(eta * (1 + f.eta_spread[1]))];
      }
    }
    return local;
  }

  function applyFrame(f) {
    var s = lastStatus;
    if (!s || !keepsPolling(s) || s.returning || claiming) { return; }
    var placed = s.position > 0;
    if ((!placed && f.state !== "prequeue") || (placed && f.state === "open" && f.serving >= s.position)) {
      // the opening drew the places, or it is this fan's turn: ask for the place or the pass
      claiming = true;
      window.clearTimeout(statusTimer);
      poll();
      return;
    }
    if (!placed) { return; }
    var local = fromFrame(s, f);
    render(local);
    if (!keepsPolling(local)) { window.clearTimeout(statusTimer); }
  }

  function frameLoop() {
    if (lastStatus && !keepsPolling(lastStatus)) { return; }
    fetch(frameUrl, { credentials: "omit", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("frame " + response.status); }
        return response.json();
      })
      .then(function (f) {
        frameFailures = 0;
        frame = f;
        applyFrame(f);
        var jitter = 0.85 + Math.random() * 0.3;
        window.setTimeout(frameLoop, Math.max(500, Math.round((f.frame_poll_ms || 2000) * jitter)));
      })
      .catch(function () {
        // without the frame the page polls its status at the server's interval, as before
        frame = null;
        frameFailures += 1;
        window.setTimeout(frameLoop, Math.min(30000, 2000 * Math.pow(2, Math.min(frameFailures, 4))));
      });
  }

  // the next status request: a heartbeat at the frame's long interval while the frame tells
  // the figures, the server's interval otherwise (no frame, a returning fan, near the turn)
  function nextStatusMs(s) {
    var waiting = s.state === "waiting" || s.state === "paused" || s.state === "prequeue";
    if (frame === null || !waiting || s.returning) { return s.poll_after_ms; }
    if (s.position > 0 && frame.serving >= s.position) { return s.poll_after_ms; }
    // schedule() jitters by 0.85..1.15: divided by 0.85, no heartbeat comes sooner than asked
    return Math.max(s.poll_after_ms, Math.ceil(frame.heartbeat_after_ms / 0.85));
  }

  // final states stop polling; a queue sold out by stock may reopen when tickets come back
  function keepsPolling(s) {
    if (s.state === "sold_out") { return Boolean(s.stock_may_return); }
    return s.state !== "closed" && s.state !== "admitted";
  }

  function poll() {
    fetch(statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (response.status === 401) { window.location.reload(); return null; }
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (s) {
        claiming = false;
        if (!s) { return; }
        failures = 0;
        lastStatus = s;
        render(s);
        if (s.state === "admitted" && passExpiresAt === null) { announce(t("state_expired")); return; }
        if (keepsPolling(s)) { schedule(nextStatusMs(s)); }
      })
      .catch(function () {
        claiming = false;
        failures += 1;
        announce(t("state_offline"));
        schedule(Math.min(30000, 2000 * Math.pow(2, Math.min(failures, 4))));
      });
  }

  function sendJson(form, method, body) {
    return fetch(form.getAttribute("action"), {
      method: method, credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  function problemText(result) {
    if (result.status === 401) { window.location.reload(); return ""; }
    var field = result.data && result.data.field;
    if (result.status === 400 && field) { return t("check_field", { field: strings["field_" + field] || field }); }
    return t("try_again");
  }

  function surveyProblem(form, result) {
    var field = result.data && result.data.field;
    var input = field && window.CSS ? form.querySelector('[name="' + window.CSS.escape(field) + '"]') : null;
    var legend = input ? input.closest("fieldset").querySelector("legend") : null;
    return legend ? t("check_field", { field: legend.firstChild.textContent.trim() }) : problemText(result);
  }

  // a quiz's answers against the right ones (the page shows the same for answered quizzes)
  function quizReview(items) {
    var list = document.createElement("ol");
    list.className = "quiz-review";
    var labels = function (options) { return options.map(function (option) { return option.label; }).join(", "); };
    var line = function (text) { var p = document.createElement("p"); p.textContent = text; return p; };
    items.forEach(function (item) {
      var entry = document.createElement("li");
      entry.className = item.is_correct ? "right" : "wrong";
      var question = line(item.text);
      question.className = "quiz-question";
      entry.appendChild(question);
      var mine = line(t("quiz_your_answer", { answer: labels(item.chosen) || t("quiz_no_answer") }) + " ");
      var verdict = document.createElement("strong");
      verdict.className = "verdict";
      verdict.textContent = item.is_correct ? t("quiz_right") : t("quiz_wrong");
      mine.appendChild(verdict);
      entry.appendChild(mine);
      if (!item.is_correct) { entry.appendChild(line(t("quiz_right_answer", { answer: labels(item.correct) }))); }
      list.appendChild(entry);
    });
    return list;
  }

  var profileForm = byId("profile-form");
  profileForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var data = new FormData(profileForm), body = {};
    data.forEach(function (value, name) {
      body[name] = name === "quantity" ? Number(value) : name === "your_turn_email" ? value === "true" : value;
    });
    var status = byId("profile-status");
    sendJson(profileForm, "PUT", body).then(function (result) {
      status.textContent = result.status === 200 ? t("saved_profile") : problemText(result);
    }, function () { status.textContent = t("try_again"); });
  });

  Array.prototype.forEach.call(document.querySelectorAll(".survey-form"), function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var answers = {};
      Array.prototype.forEach.call(form.querySelectorAll("input[type=checkbox]"), function (box) {
        if (!answers[box.name]) { answers[box.name] = []; }
      });
      new FormData(form).forEach(function (value, name) {
        if (Array.isArray(answers[name])) { answers[name].push(value); } else { answers[name] = value; }
      });
      var status = form.querySelector(".form-status");
      sendJson(form, "POST", { answers: answers }).then(function (result) {
        if (result.status === 201 || result.status === 409) {
          var done = document.createElement("div");
          var thanks = document.createElement("p");
          thanks.className = "form-status";
          thanks.setAttribute("role", "status");
          thanks.setAttribute("tabindex", "-1");
          thanks.textContent = result.status === 409 ? t("already_answered") : t("answered") +
            (typeof result.data.score === "number" ? " " + t("quiz_score", { score: result.data.score, total: result.data.out_of }) : "");
          done.appendChild(thanks);
          if (result.status === 201 && Array.isArray(result.data.review)) { done.appendChild(quizReview(result.data.review)); }
          form.replaceWith(done);
          thanks.focus(); // the button that had the focus is gone
        } else { status.textContent = surveyProblem(form, result); }
      }, function () { status.textContent = t("try_again"); });
    });
  });

  byId("leave-form").addEventListener("submit", function (event) {
    if (!window.confirm(t("confirm_leave"))) { event.preventDefault(); }
  });

  soundToggle.addEventListener("change", function () {
    try { window.localStorage.setItem("waitroom-sound", soundToggle.checked ? "1" : "0"); } catch (e) { /* ignore */ }
    unlockSound(); // the click on the box is a user gesture: the sound may play from now on
  });
  ["pointerdown", "keydown"].forEach(function (name) { document.addEventListener(name, unlockSound, true); });
  if (soundToggle.checked) { window.setTimeout(soundHint, 0); }
  if (!("Notification" in window)) { notifyButton.hidden = true; }
  else if (Notification.permission === "granted") { alertsStatus.textContent = t("notifications_on"); }
  notifyButton.addEventListener("click", function () {
    Notification.requestPermission().then(function (permission) {
      alertsStatus.textContent = permission === "granted" ? t("notifications_on") : t("notifications_blocked");
    });
  });

  render(initial);
  window.setInterval(tick, 1000);
  tick();
  lastStatus = initial;
  if (keepsPolling(initial)) {
    schedule(initial.poll_after_ms);
    if (frameUrl) { frameLoop(); }
  }
}());
