// Queue page: polls the status endpoint at the interval the server returns, with jitter.
(function () {
  "use strict";
  var section = document.getElementById("status");
  if (!section) { return; }
  var statusUrl = section.getAttribute("data-status-url");
  var initial = JSON.parse(document.getElementById("initial-status").textContent);
  var messages = {
    waiting: "You are in the queue. Keep this page open; reloading or closing it keeps your place.",
    prequeue: "The sale has not opened yet. Everyone who arrives before opening gets a random place at opening: no need to hurry.",
    paused: "The queue is paused. Your place is kept.",
    admitted: "It's your turn! Taking you to the shop…",
    sold_out: "Sorry, all tickets are sold. The queue has ended.",
    closed: "The queue is closed.",
    offline: "Connection lost. Your place is kept; retrying…"
  };
  var lastMessage = "";
  var firstAhead = null;

  function minutes(seconds, round) { return Math[round](seconds / 60); }

  function render(s) {
    section.setAttribute("data-state", s.state);
    document.getElementById("position").textContent = s.position ? String(s.position) : "—";
    document.getElementById("ahead").textContent = String(s.ahead);
    var eta = document.getElementById("eta");
    if (s.state === "admitted") { eta.textContent = "now"; }
    else if (s.eta_range_seconds) {
      var low = minutes(s.eta_range_seconds[0], "floor"), high = minutes(s.eta_range_seconds[1], "ceil");
      eta.textContent = high <= 1 ? "< 1 min" : low + "–" + high + " min";
    } else { eta.textContent = "—"; }
    if (firstAhead === null && s.state === "waiting") { firstAhead = Math.max(1, s.ahead + 1); }
    var progress = s.state === "admitted" ? 1 :
      (firstAhead ? Math.max(s.progress || 0, 1 - (s.ahead + 1) / firstAhead) : (s.progress || 0));
    var percent = Math.round(progress * 100);
    document.getElementById("progress-bar").style.width = percent + "%";
    section.querySelector(".progress").setAttribute("aria-valuenow", String(percent));
    document.getElementById("updated").textContent = new Date().toLocaleTimeString();
    var text = messages[s.state] || "";
    if (s.state === "paused" && s.pause_reason) { text = "The queue is paused: " + s.pause_reason + ". Your place is kept."; }
    if (text !== lastMessage) {
      document.getElementById("status-message").textContent = text;
      lastMessage = text;
    }
  }

  function schedule(ms) {
    var jitter = 0.85 + Math.random() * 0.3;
    window.setTimeout(poll, Math.max(500, Math.round(ms * jitter)));
  }

  function poll() {
    fetch(statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (response.status === 401) { window.location.reload(); return null; }
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (s) {
        if (!s) { return; }
        render(s);
        if (s.state === "admitted" && s.redirect_url) {
          document.title = "Your turn! · " + document.title.replace(/^Your turn! · /, "");
          window.setTimeout(function () { window.location.assign(s.redirect_url); }, 1500);
          return;
        }
        if (s.state !== "sold_out" && s.state !== "closed") { schedule(s.poll_after_ms); }
      })
      .catch(function () {
        document.getElementById("status-message").textContent = messages.offline;
        lastMessage = messages.offline;
        schedule(5000);
      });
  }

  render(initial);
  if (initial.state === "admitted" && initial.redirect_url) {
    window.setTimeout(function () { window.location.assign(initial.redirect_url); }, 1500);
  } else if (initial.state !== "sold_out" && initial.state !== "closed") {
    schedule(initial.poll_after_ms);
  }
}());
