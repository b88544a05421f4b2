// Ticket codes as the door scanner checks them offline: the same rules as the shop's
// sale_backend/domain/short_codes.py (alphabet without 0/O/1/I, 10 characters, Luhn mod 32 check
// character as python-stdnum computes it) and ticket_list.py's code hashes. The browser tests
// compare this file's answers (a mistake's name and values, as the shop's error carries them)
// with the server's, code for code.
(function () {
  "use strict";
  var ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
  var CODE_LENGTH = 10;
  var LOOKS_SHORT = /^[A-Za-z0-9\s\-_.·/]{1,24}$/;
  var SEPARATORS = /[\s\-_.·/]+/g;

  function luhnChecksum(code) { // Luhn mod N, as python-stdnum's luhn.checksum
    var n = ALPHABET.length;
    var sum = 0;
    code.split("").reverse().forEach(function (char, index) {
      var value = ALPHABET.indexOf(char);
      if (index % 2 === 0) {
        sum += value;
      } else {
        var doubled = value * 2;
        sum += Math.floor(doubled / n) + (doubled % n);
      }
    });
    return sum % n;
  }
  // ``mistake`` names the words (characters, length, check; the page's scanner-words table has
  // them as mistake_<name>) and ``values`` fills in their placeholders.
  function Mistyped(mistake, values) { this.mistake = mistake; this.values = values || {}; }
  // The canonical short code of typed text, null for a signed QR code; throws Mistyped.
  function parseShortCode(text) {
    var stripped = text.trim();
    if (!LOOKS_SHORT.test(stripped)) return null;
    var code = stripped.replace(SEPARATORS, "").toUpperCase();
    var wrong = Array.from(new Set(code.split("").filter(function (char) {
      return ALPHABET.indexOf(char) < 0;
    }))).sort();
    if (wrong.length) throw new Mistyped("characters", { characters: wrong.join(", ") });
    if (code.length !== CODE_LENGTH) {
      throw new Mistyped("length", { expected: CODE_LENGTH, length: code.length });
    }
    if (luhnChecksum(code) !== 0) throw new Mistyped("check", {});
    return code;
  }
  // The ticket list's hash of a signed code (kind "q") or a canonical short code (kind "s").
  async function codeHash(eventId, kind, code) {
    var text = "waitroom-ticket|" + eventId + "|" + kind + "|" + code;
    var digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
    return btoa(String.fromCharCode.apply(null, digest.slice(0, 16)))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function formatShortCode(code) {
    return code.slice(0, 4) + "-" + code.slice(4, 8) + "-" + code.slice(8);
  }

  window.waitroomTicketCodes = {
    parseShortCode: parseShortCode, luhnChecksum: luhnChecksum, codeHash: codeHash,
    formatShortCode: formatShortCode, Mistyped: Mistyped
  };
})();
