// Counts the cart's hold down to zero (from the server's remaining seconds, so a wrong clock
// on the fan's device does not matter); at zero the page reloads (the hold is gone).
(function () {
  var element = document.getElementById("cart-timer");
  if (!element) return;
  var deadline = Date.now() + 1000 * Number(element.getAttribute("data-expires-in-seconds"));
  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    element.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    if (left === 0) { window.location.reload(); return; }
    window.setTimeout(tick, 1000);
  }
  tick();
})();
