// Counts the shopping time down (from the server's seconds left, so a wrong clock on the fan's
// device does not matter). At zero it says so and stops: the next click shows the shop's
// "your shopping time has ended" page (no reload, so never a loop).
(function () {
  var element = document.getElementById("session-timer");
  if (!element) return;
  var deadline = Date.now() + 1000 * Number(element.getAttribute("data-seconds-left"));
  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    element.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    if (left === 0) {
      element.textContent = "0:00 (" + (element.getAttribute("data-time-up") || "time is up") + ")";
      return;
    }
    window.setTimeout(tick, 1000);
  }
  tick();
})();
