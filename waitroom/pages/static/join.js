// Queue page of a visitor without a place: the script takes the place at once (the contract's
// POST /api/v1/queues/{id}/join, with the proof of work when the queue asks for one), then
// loads the page of the place. A GET of the page takes no place; without JavaScript the
// "Join the queue" button posts the same URL as a form. After leaving, it waits for a click.
(function () {
  "use strict";
  var form = document.getElementById("join-form");
  if (!form) { return; }
  var status = document.getElementById("join-status");
  var strings = JSON.parse(document.getElementById("page-strings").textContent);
  var busy = false;
  // the script runs: the server leaves out the no-JavaScript Refresh header from now on
  document.cookie = "wr_js=1; path=/; max-age=2592000; SameSite=Lax";

  function say(key, values) {
    var text = strings[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("%(" + name + ")s").join(String(values[name]));
    });
    status.textContent = text;
  }

  function proof() {
    var challengeUrl = form.getAttribute("data-challenge-url");
    if (!challengeUrl || !window.WaitroomPow) { return Promise.resolve({}); }
    say("checking_browser");
    return fetch(challengeUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("challenge " + response.status); }
        return response.json();
      })
      .then(function (challenge) {
        return new Promise(function (resolve) {
          window.WaitroomPow.solve(challenge.challenge, challenge.difficulty_bits, function (solution) {
            resolve({ "Waitroom-Pow-Challenge": challenge.challenge, "Waitroom-Pow-Solution": solution });
          });
        });
      });
  }

  function later(seconds) {
    busy = false;
    say("join_busy", { seconds: seconds });
    window.setTimeout(attempt, seconds * 1000);
  }

  function attempt() {
    if (busy) { return; }
    busy = true;
    say("joining");
    proof().then(function (headers) {
      headers.Accept = "application/json";
      return fetch(form.getAttribute("action"), {
        method: "POST", credentials: "same-origin", cache: "no-store", headers: headers
      });
    }).then(function (response) {
      // joined, or not joinable any more (closed, sold out): the page tells which
      if (response.ok || response.status === 409) {
        window.location.replace(form.getAttribute("data-page-url"));
        return;
      }
      if (response.status === 428 && !form.getAttribute("data-challenge-url")) {
        // the organizer turned the proof of work on since this page was shown
        form.setAttribute("data-challenge-url", form.getAttribute("action").replace(/\/join$/, "/challenge"));
        busy = false;
        attempt();
        return;
      }
      later(Math.max(1, parseInt(response.headers.get("Retry-After") || "5", 10) || 5));
    }).catch(function () {
      busy = false;
      say("join_offline");
      window.setTimeout(attempt, 5000);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    attempt();
  });
  if (form.getAttribute("data-auto-join") === "1") {
    // a prerendered page (the browser guessing the next click) joins only once it is shown
    if (document.prerendering) {
      document.addEventListener("prerenderingchange", attempt, { once: true });
    } else {
      attempt();
    }
  }
}());
