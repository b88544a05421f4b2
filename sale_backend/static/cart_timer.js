// Counts the cart's hold down to zero; at zero the page reloads (the hold is gone).
(function () {
  var element = document.getElementById("cart-timer");
  if (!element) return;
  var expiresAt = Number(element.getAttribute("data-expires-at-ms"));
  var offset = 0;
  function tick() {
    var left = Math.max(0, Math.floor((expiresAt - Date.now() - offset) / 1000));
    element.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    if (left === 0) { window.location.reload(); return; }
    window.setTimeout(tick, 1000);
  }
  tick();
})();
