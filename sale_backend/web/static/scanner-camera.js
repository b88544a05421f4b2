// The door scanner's camera: the rear camera in the page's viewfinder, decoded with the
// browser's BarcodeDetector where it has one, else with @zxing/library (vendor/, loaded on first
// use). A code is handed on once while it stays in view, and again when it comes back after
// being out of view (or after the camera was stopped and started).
(function () {
  "use strict";
  var GONE_AFTER_MS = 1500; // a code out of view this long is scanned again when it returns

  // ``say(key, values)``: the page's words (scanner.js reads them from the page).
  function attach(root, base, onCode, onStart, say) {
    var camera = document.getElementById("camera");
    var cameraButton = document.getElementById("camera-toggle");
    var viewfinder = document.getElementById("viewfinder");
    var video = document.getElementById("camera-video");
    var cameraError = document.getElementById("camera-error");
    var stream = null;
    var decode = null;
    var busy = false;
    var lastCode = "";
    var lastSeenAt = 0;

    function loadScript(src) {
      return new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = src;
        script.onload = resolve;
        script.onerror = function () { reject(new Error("could not load " + src)); };
        document.head.append(script);
      });
    }

    async function decoder() {
      if ("BarcodeDetector" in window) {
        var formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.indexOf("qr_code") >= 0) {
          var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
          root.dataset.decoder = "barcode-detector";
          return async function () {
            var found = await detector.detect(video);
            return found.length ? found[0].rawValue : null;
          };
        }
      }
      if (!window.ZXing) await loadScript(base + "/static/vendor/zxing-library.min.js");
      var reader = new ZXing.QRCodeReader();
      var canvas = document.createElement("canvas");
      var context = canvas.getContext("2d", { willReadFrequently: true });
      // Frames are tried in turn at full size, at half size, and as a "pure" code (a screen held
      // straight at the camera): ZXing's finder-pattern search misses some codes in one of the
      // ways but not in all of them.
      var pure = new Map([[ZXing.DecodeHintType.PURE_BARCODE, true]]);
      var attempt = 0;
      root.dataset.decoder = "zxing";
      return async function () {
        attempt += 1;
        var scale = Math.min(1, 800 / Math.max(video.videoWidth, video.videoHeight)) *
          (attempt % 3 === 1 ? 0.5 : 1);
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var source = new ZXing.HTMLCanvasElementLuminanceSource(canvas);
        try {
          var bitmap = new ZXing.BinaryBitmap(new ZXing.HybridBinarizer(source));
          return reader.decode(bitmap, attempt % 3 === 2 ? pure : undefined).getText();
        } catch (error) {
          return null; // no code in this frame
        }
      };
    }

    async function tick() {
      if (!stream) return;
      if (!busy && video.readyState >= 2) {
        busy = true;
        try {
          var text = await decode();
          var now = Date.now();
          if (text && (text !== lastCode || now - lastSeenAt > GONE_AFTER_MS)) {
            lastCode = text; // one scan while the code stays in view
            await onCode(text);
          }
          if (text) lastSeenAt = Date.now();
        } catch (error) {
          console.warn(error);
        } finally {
          busy = false;
        }
      }
      setTimeout(tick, 120);
    }

    async function startCamera() {
      cameraError.hidden = true;
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          audio: false,
          video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } }
        });
        video.srcObject = stream;
        await video.play();
        decode = decode || await decoder();
      } catch (error) {
        stopCamera();
        cameraError.textContent = say("camera_failed", { error: error.message || error.name });
        cameraError.hidden = false;
        return;
      }
      viewfinder.hidden = false;
      cameraButton.textContent = say("camera_stop");
      cameraButton.setAttribute("aria-pressed", "true");
      tick();
    }
    function stopCamera() {
      lastCode = "";
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      video.srcObject = null;
      viewfinder.hidden = true;
      cameraButton.textContent = say("camera_start");
      cameraButton.setAttribute("aria-pressed", "false");
    }
    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
      camera.hidden = false;
      cameraButton.addEventListener("click", function () {
        onStart();
        if (stream) stopCamera(); else startCamera();
      });
    }
  }

  window.waitroomCamera = { attach: attach };
})();
