// The door scanner's script, on top of the page's plain form (which works without it):
// - scans typed codes, hardware scanners (they type and press Enter) and the camera
//   (scanner-camera.js); typed short codes are checked first (scanner-codes.js);
// - keeps the event's ticket list (hashed codes, tier, seat, holder, state) in IndexedDB and
//   checks scans against it when the network is gone; offline scans are queued with their time
//   and sent when the network returns; the server's answers (a ticket let in twice, anywhere)
//   are shown on every scanner after it synced;
// - registers a service worker (/staff/scanner-sw.js) so the page itself loads offline.
// Every word it shows comes from the page (the #scanner-words JSON block: the shop's
// sale_backend/domain/scanner_words.py table in the page's language); times are formatted by
// the browser in the page's language and the venue's time zone.
(function () {
  "use strict";
  var root = document.getElementById("scanner");
  var form = document.getElementById("scan-form");
  if (!root || !form || !window.fetch || !window.indexedDB || !window.idb ||
      !window.crypto || !window.crypto.subtle || !window.waitroomTicketCodes ||
      !window.waitroomCamera || !document.getElementById("scanner-words")) {
    return; // the plain form goes on working
  }

  var WORDS = JSON.parse(document.getElementById("scanner-words").textContent);
  // The page's words for ``key``, its %(name)s placeholders filled in from ``values``.
  function say(key, values) {
    var text = WORDS[key];
    if (text === undefined) {
      console.warn("the page has no words for " + key);
      return key;
    }
    return text.replace(/%\((\w+)\)s/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }
  var language = document.documentElement.lang || undefined;

  var codes = window.waitroomTicketCodes;
  var REQUEST_TIMEOUT_MS = 4000;
  var HISTORY_SHOWN = 20;
  var BATCH_SIZE = 200;

  var base = root.dataset.base || "";
  var eventId = root.dataset.eventId;
  var door = root.dataset.door || "";
  var syncSeconds = Number(root.dataset.syncSeconds || "10");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  var timeZone = root.dataset.timeZone || browserZone;
  var api = base + "/api/v1/staff/events/" + encodeURIComponent(eventId);
  var codeInput = document.getElementById("code");
  var live = document.getElementById("scan-live");
  var statusLine = document.getElementById("scanner-status");
  var historyList = document.getElementById("scan-history");
  var earlier = document.getElementById("earlier");
  var zoneField = document.getElementById("browser-time-zone");
  if (zoneField) zoneField.value = browserZone;
  var clockName = document.getElementById("clock-name");
  if (clockName) clockName.textContent = timeZone || say("this_device_time");

  var timeFormat = new Intl.DateTimeFormat(language, {
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
    timeZone: timeZone || undefined
  });
  var dateFormat = new Intl.DateTimeFormat(language, {
    year: "numeric", month: "2-digit", day: "2-digit", timeZone: timeZone || undefined
  });
  function clock(atMs) {
    var time = timeFormat.format(new Date(atMs));
    var day = dateFormat.format(new Date(atMs));
    if (day === dateFormat.format(new Date())) return time;
    return say("time_on_date", { time: time, date: day });
  }
  function seen(scan) {
    var time = clock(scan.at_ms);
    return scan.door ? say("seen_at_door", { time: time, door: scan.door }) : time;
  }

  // --- device, storage -------------------------------------------------------------------
  function randomId(bytes) {
    var values = crypto.getRandomValues(new Uint8Array(bytes));
    return btoa(String.fromCharCode.apply(null, values))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  var deviceId = localStorage.getItem("waitroom-scanner-device");
  if (!deviceId) {
    deviceId = randomId(12);
    localStorage.setItem("waitroom-scanner-device", deviceId);
  }
  var dbPromise = idb.openDB("waitroom-scanner:" + eventId, 1, {
    upgrade: function (db) {
      db.createObjectStore("tickets", { keyPath: "ticket_id" });
      db.createObjectStore("queue", { keyPath: "scan_id" });
      db.createObjectStore("results", { keyPath: "scan_id" });
      db.createObjectStore("meta");
    }
  });

  var tickets = new Map();   // ticket id -> the list's record
  var byHash = new Map();    // code hash -> ticket id
  var pending = new Map();   // ticket id -> this scanner's admission not synced yet
  var meta = { version: 0, updated_at_ms: 0 };
  var queued = 0;
  var sequence = Date.now() * 1000; // orders scans made within the same millisecond
  var online = navigator.onLine;
  var sessionEnded = false;

  function remember(record) {
    var previous = tickets.get(record.ticket_id);
    if (previous) {
      previous.code_hashes.forEach(function (hash) { byHash.delete(hash); });
    }
    tickets.set(record.ticket_id, record);
    record.code_hashes.forEach(function (hash) { byHash.set(hash, record.ticket_id); });
    if (record.short_code_hash) byHash.set(record.short_code_hash, record.ticket_id);
  }

  async function loadStored() {
    var db = await dbPromise;
    (await db.getAll("tickets")).forEach(remember);
    meta = Object.assign(meta, (await db.get("meta", "list")) || {});
    var waiting = await db.getAll("queue");
    queued = waiting.length;
    waiting.forEach(notePending);
  }

  function notePending(scan) {
    if (scan.decision === "admitted" && scan.ticket_id && !pending.has(scan.ticket_id)) {
      pending.set(scan.ticket_id, { at_ms: scan.scanned_at_ms, door: door, scan_id: scan.scan_id });
    }
  }

  // --- network ----------------------------------------------------------------------------
  function NetworkDown(message) { this.message = message; }
  function ShopRefused(status) { this.status = status; }
  async function call(path, options) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS);
    var response;
    try {
      response = await fetch(path, Object.assign({
        credentials: "same-origin",
        signal: controller.signal,
        headers: { "content-type": "application/json", "x-csrf-token": csrf }
      }, options || {}));
    } catch (error) {
      throw new NetworkDown(String(error));
    } finally {
      clearTimeout(timer);
    }
    if (response.status === 401 || response.status === 403) {
      sessionEnded = true;
      throw new NetworkDown("session ended: " + response.status);
    }
    if (response.status >= 500) throw new NetworkDown("status " + response.status);
    if (!response.ok) throw new ShopRefused(response.status);
    sessionEnded = false;
    return response.json();
  }

  async function pull() {
    var db = await dbPromise;
    for (;;) {
      var page = await call(api + "/tickets?limit=2000&after=" + meta.version, { method: "GET" });
      var tx = db.transaction(["tickets", "meta"], "readwrite");
      page.tickets.forEach(function (record) {
        remember(record);
        tx.objectStore("tickets").put(record);
      });
      meta.version = page.version;
      meta.updated_at_ms = Date.now();
      tx.objectStore("meta").put(meta, "list");
      await tx.done;
      if (!page.more) break;
    }
  }

  async function sendQueue() {
    var db = await dbPromise;
    var waiting = (await db.getAll("queue")).sort(function (a, b) {
      return a.scanned_at_ms - b.scanned_at_ms || a.sequence - b.sequence; // as they were made
    });
    for (var start = 0; start < waiting.length; start += BATCH_SIZE) {
      var batch = waiting.slice(start, start + BATCH_SIZE);
      var answer = await call(api + "/scans", {
        method: "POST",
        body: JSON.stringify({
          device_id: deviceId, door: door, device_clock_ms: Date.now(),
          scans: batch.map(function (scan) {
            return { scan_id: scan.scan_id, code: scan.code, scanned_at_ms: scan.scanned_at_ms,
                     decision: scan.decision };
          })
        })
      });
      for (var index = 0; index < answer.results.length; index++) {
        var result = answer.results[index];
        await db.delete("queue", result.scan_id);
        var entry = await db.get("results", result.scan_id);
        if (entry) {
          entry.synced = true;
          entry.server = result;
          if (result.ticket_id) entry.ticket_id = result.ticket_id;
          await db.put("results", entry);
        }
      }
    }
    pending.clear();
    queued = 0;
  }

  var syncing = null;
  function sync() {
    if (!syncing) {
      syncing = (async function () {
        try {
          await sendQueue();
          await pull();
          online = true;
        } catch (error) {
          if (error instanceof NetworkDown) online = false; else console.warn(error);
        } finally {
          syncing = null;
          await renderHistory();
          renderStatus();
        }
      })();
    }
    return syncing;
  }

  // --- one scan ---------------------------------------------------------------------------
  // An outcome's words (the staff API's outcome codes stay as they are).
  var REASONS = {
    refunded: "reason_refunded",
    forged: "reason_forged",
    unknown: "reason_unknown",
    wrong_event: "reason_wrong_event",
    not_admitted: "reason_not_admitted",
    mistyped: "reason_mistyped",
    already_scanned: "already_scanned",
    duplicate: "admitted_twice"
  };
  var MISTAKES = {
    characters: "mistake_characters",
    length: "mistake_length",
    check: "mistake_check"
  };
  function reasonOf(outcome) {
    return REASONS[outcome] ? say(REASONS[outcome])
      : say("reason_other", { outcome: outcome.replace(/_/g, " ") });
  }

  function serverView(result) {
    var ticket = result.ticket || {};
    var reason = "";
    if (result.outcome === "already_scanned" && result.first_scan) {
      reason = say("already_scanned_first", { seen: seen(result.first_scan) });
    } else if (result.outcome === "duplicate" && result.first_scan) {
      reason = say("admitted_twice_first", { seen: seen(result.first_scan) });
    } else if (!result.admitted) {
      reason = reasonOf(result.outcome);
    }
    return {
      kind: result.admitted ? "admit" : (result.flagged ? "flagged" : "rejected"),
      ticket: {
        short_code: ticket.short_code || "", tier_name: ticket.tier_name || "",
        seat_label: ticket.seat_label || "", holder: ticket.holder || "", admits: ticket.admits || 1
      },
      reason: reason
    };
  }

  async function checkLocally(scan, isShort) {
    var ticketId = byHash.get(await codes.codeHash(eventId, isShort ? "s" : "q", scan.code));
    var record = ticketId && tickets.get(ticketId);
    if (!record) {
      return { admitted: false, reason: say("not_in_list"), ticket: null };
    }
    var shown = {
      short_code: isShort ? codes.formatShortCode(scan.code) : record.short_code_hint,
      tier_name: record.tier_name, seat_label: record.seat_label, holder: record.holder,
      admits: record.admits
    };
    scan.ticket_id = ticketId;
    if (record.state === "refunded") {
      return { admitted: false, reason: say("reason_refunded"), ticket: shown };
    }
    var first = pending.get(ticketId) || record.first_scan;
    if (first || record.state === "used") {
      var words = first ? say("already_scanned_first", { seen: seen(first) })
        : say("already_scanned");
      return { admitted: false, reason: words, ticket: shown };
    }
    return { admitted: true, reason: "", ticket: shown };
  }

  async function handleCode(raw) {
    var text = raw.trim();
    if (!text) return;
    var now = Date.now();
    var shortCode;
    try {
      shortCode = codes.parseShortCode(text);
    } catch (error) {
      if (!(error instanceof codes.Mistyped)) throw error;
      var mistyped = { kind: "rejected", ticket: null,
                       reason: say(MISTAKES[error.mistake], error.values) };
      show(mistyped, now);
      await addResult({ scan_id: randomId(12), at_ms: now, view: mistyped, synced: true });
      return;
    }
    sequence += 1;
    var scan = { scan_id: randomId(12), code: shortCode || text, scanned_at_ms: now,
                 decision: "check", sequence: sequence };
    if (navigator.onLine && !sessionEnded) {
      if (queued) await sync(); // this scanner's offline admissions count first
    }
    if (navigator.onLine && !sessionEnded && online) {
      try {
        var answer = await call(api + "/scans", {
          method: "POST",
          body: JSON.stringify({ device_id: deviceId, door: door, device_clock_ms: Date.now(),
                                 scans: [scan] })
        });
        var result = answer.results[0];
        var view = serverView(result);
        show(view, result.scanned_at_ms || now, "", scan.scan_id);
        await addResult({ scan_id: scan.scan_id, at_ms: result.scanned_at_ms || now, view: view,
                          ticket_id: result.ticket_id || "", server: result, synced: true });
        online = true;
        if (result.ticket_id && tickets.has(result.ticket_id)) {
          var record = tickets.get(result.ticket_id);
          record.state = result.state;
          record.first_scan = result.first_scan;
          record.entries = result.entries;
          record.admissions = result.admissions;
        }
        renderStatus();
        return;
      } catch (error) {
        if (!(error instanceof NetworkDown)) {
          if (!(error instanceof ShopRefused)) console.warn(error);
          var status = error instanceof ShopRefused ? error.status : "?";
          show({ kind: "rejected", ticket: null, reason: say("shop_refused", { status: status }) },
               now);
          return;
        }
        online = false; // decided here, from the list
      }
    }
    var local = await checkLocally(scan, Boolean(shortCode));
    scan.decision = local.admitted ? "admitted" : "rejected";
    var db = await dbPromise;
    await db.put("queue", scan);
    queued += 1;
    notePending(scan);
    renderStatus();
    var offlineView = { kind: local.admitted ? "admit" : "rejected", ticket: local.ticket,
                        reason: local.reason };
    show(offlineView, now, OFFLINE_NOTE, scan.scan_id);
    await addResult({ scan_id: scan.scan_id, at_ms: now, view: offlineView,
                      ticket_id: scan.ticket_id || "", synced: false });
    renderStatus();
  }

  // --- what staff see ---------------------------------------------------------------------
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  var HEADLINES = {
    admit: "headline_admit",
    rejected: "headline_rejected",
    flagged: "headline_flagged"
  };

  var shown = { scanId: "", key: "" };
  // Shows a result big; ``note`` is one more line (offline, or let in twice elsewhere).
  function show(view, atMs, note, scanId, quiet) {
    shown = { scanId: scanId || "", key: view.kind + "|" + view.reason + "|" + (note || "") };
    var box = element("div", "scan-result " + view.kind);
    box.id = "scan-result";
    var headline = element("p", "scan-headline");
    var mark = element("span", "", view.kind === "admit" ? "✔ " : "✖ ");
    mark.setAttribute("aria-hidden", "true");
    headline.append(mark, say(HEADLINES[view.kind]));
    box.append(headline);
    var ticket = view.ticket;
    if (view.kind === "admit" && ticket) {
      box.append(element("p", "scan-admits", say("admits", { count: ticket.admits })));
    }
    if (view.reason) box.append(element("p", "scan-reason", view.reason));
    if (ticket) {
      var facts = element("dl", "scan-ticket");
      [[say("fact_ticket"), ticket.short_code], [say("fact_tier"), ticket.tier_name],
       [say("fact_seat"), ticket.seat_label], [say("fact_holder"), ticket.holder],
       [say("fact_admits"), view.kind === "admit" ? "" : String(ticket.admits)]]
        .forEach(function (pair) {
          if (pair[1]) facts.append(element("dt", "", pair[0]), element("dd", "", pair[1]));
        });
      box.append(facts);
    }
    box.append(element("p", "scan-time", note ? say("scanned_note", { time: clock(atMs), note: note })
      : say("scanned", { time: clock(atMs) })));
    live.replaceChildren(box);
    if (!quiet) feedback(view.kind === "admit");
  }
  var OFFLINE_NOTE = say("offline_note");

  async function addResult(entry) {
    var db = await dbPromise;
    await db.put("results", entry);
    await renderHistory();
  }

  function flagOf(entry) {
    // Let in more than once (on any scanner, seen after sync): say where else.
    var record = entry.ticket_id && tickets.get(entry.ticket_id);
    var entries = (record && record.entries) || (entry.server && entry.server.entries) || [];
    var admissions = entries.filter(function (scan) { return scan.admitted; });
    if (admissions.length < 2 || !entries.some(function (scan) { return scan.scan_id === entry.scan_id; })) {
      return "";
    }
    if (entry.server && entry.server.outcome === "duplicate") return ""; // its headline says so
    var others = admissions.filter(function (scan) { return scan.scan_id !== entry.scan_id; });
    return say("admitted_twice_also", { seen: others.map(seen).join("; ") });
  }

  async function renderHistory() {
    var db = await dbPromise;
    var entries = (await db.getAll("results")).sort(function (a, b) { return b.at_ms - a.at_ms; });
    historyList.replaceChildren();
    entries.slice(0, HISTORY_SHOWN).forEach(function (entry) {
      var view = entry.server ? serverView(entry.server) : entry.view;
      var flag = flagOf(entry);
      var kind = flag ? "flagged" : view.kind;
      var item = element("li", kind);
      item.dataset.scanId = entry.scan_id;
      item.append(element("strong", "", say(HEADLINES[view.kind])), " " + clock(entry.at_ms));
      var ticket = view.ticket;
      var words = ticket ? [ticket.short_code, ticket.tier_name, ticket.seat_label]
        .filter(Boolean).join(" · ") : "";
      if (words) item.append(": " + words);
      if (view.reason) item.append(" · " + view.reason);
      if (flag) item.append(" ", element("strong", "scan-flag", "⚠ " + flag));
      if (!entry.synced) item.append(" ", element("em", "scan-pending", say("not_synced")));
      historyList.append(item);
      if (entry.scan_id === shown.scanId) updateShown(entry, view, flag);
    });
    earlier.hidden = entries.length === 0;
  }

  // The result on screen, once the shop answered for it (after a sync): say so if it changed.
  function updateShown(entry, view, flag) {
    var note = flag ? "⚠ " + flag : (entry.synced ? "" : OFFLINE_NOTE);
    var shownView = flag ? Object.assign({}, view, { kind: "flagged" }) : view;
    if (shownView.kind + "|" + shownView.reason + "|" + note === shown.key) return;
    show(shownView, entry.at_ms, note, entry.scan_id, shownView.kind !== "flagged");
  }

  function renderStatus() {
    var listWords = say("list_size", { count: tickets.size }) +
      (meta.updated_at_ms ? ", " + say("list_updated", { time: clock(meta.updated_at_ms) }) : "");
    var waiting = queued ? say("waiting_to_sync", { count: queued }) : say("all_synced");
    var state = sessionEnded ? say("status_session_ended") :
      (online ? say("status_online") : say("status_offline"));
    statusLine.textContent = state + " · " + listWords + " · " + waiting;
    statusLine.className = "scanner-status " + (online && !sessionEnded ? "online" : "offline");
    statusLine.hidden = false;
    root.dataset.queued = String(queued);
    root.dataset.listVersion = String(meta.version);
  }

  var audio = null;
  function feedback(good) {
    if (navigator.vibrate) navigator.vibrate(good ? 80 : [200, 100, 200]);
    if (!audio) return;
    var oscillator = audio.createOscillator();
    var gain = audio.createGain();
    oscillator.frequency.value = good ? 880 : 220;
    gain.gain.value = 0.2;
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start();
    oscillator.stop(audio.currentTime + (good ? 0.12 : 0.4));
  }
  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) audio = new Context();
  }

  // --- camera -----------------------------------------------------------------------------
  window.waitroomCamera.attach(root, base, handleCode, unlockAudio, say);

  // --- wiring -----------------------------------------------------------------------------
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    unlockAudio();
    var text = codeInput.value;
    codeInput.value = "";
    codeInput.focus();
    handleCode(text).catch(function (error) { console.warn(error); });
  });
  document.getElementById("sync-now").addEventListener("click", function () { sync(); });
  document.getElementById("scanner-tools").hidden = false;
  window.addEventListener("online", function () { online = true; sync(); });
  window.addEventListener("offline", function () { online = false; renderStatus(); });
  document.getElementById("logout-form").addEventListener("submit", function (event) {
    if (queued && !window.confirm(say("confirm_logout", { count: queued }))) {
      event.preventDefault();
      return;
    }
    idb.deleteDB("waitroom-scanner:" + eventId);
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "forget" });
    }
  });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(base + "/staff/scanner-sw.js", { scope: base + "/staff/" })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function (registration) {
        registration.active.postMessage({ type: "cache-page", url: location.href });
        root.dataset.offlineReady = "true";
      })
      .catch(function (error) { console.warn("no service worker:", error); });
  }

  loadStored()
    .then(function () { renderStatus(); return renderHistory(); })
    .then(function () { return sync(); })
    .then(function () { root.dataset.ready = "true"; });
  setInterval(function () { if (navigator.onLine) sync(); }, syncSeconds * 1000);
})();
