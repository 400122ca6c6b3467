// selfcast portal: small progressive enhancements. Every page works without this file.
"use strict";

function $(sel, root) { return (root || document).querySelector(sel); }
function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

// Copy the freshly revealed key.
function setupCopy() {
  $all("[data-copy]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var field = $(btn.getAttribute("data-copy"));
      var status = $("#copy-status");
      var ok = function () { if (status) status.textContent = "Copied to the clipboard."; btn.textContent = "Copied"; };
      field.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(ok, function () {
          document.execCommand("copy"); ok();
        });
      } else {
        document.execCommand("copy"); ok();
      }
    });
  });
  var reveal = $("#new-key");
  if (reveal) reveal.focus();
}

// Top-up page: poll until the payment lands, then show the new balance.
function setupTopup() {
  var box = $("#topup");
  if (!box || box.getAttribute("data-status") !== "pending") return;
  var url = box.getAttribute("data-status-url");
  var timer = setInterval(function () {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) return;
        $("#balance").textContent = s.balance.toLocaleString("en-US");
        var badge = $("#topup-status");
        badge.textContent = s.status;
        badge.className = "badge state-" + s.status;
        if (s.status !== "pending") {
          clearInterval(timer);
          box.setAttribute("data-status", s.status);
          $("#topup-message").textContent = s.status === "paid"
            ? "Paid: " + s.credits.toLocaleString("en-US") + " credits were added."
            : "This top-up is " + s.status + ".";
          var help = $(".pending-help", box);
          if (help) help.hidden = true;
        }
      })
      .catch(function () {});
  }, 1500);
}

// Upload forms: show progress, then the server's answer, without leaving the page.
function setupUploads() {
  $all("form[data-upload]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var bar = $(".progress", form), status = $(".upload-status", form), err = $(".upload-error", form);
      var button = $("button[type=submit]", form);
      var csrf = $("input[name=csrf_token]", form).value;
      err.hidden = true; err.textContent = "";
      bar.hidden = false;
      if (form.getAttribute("data-upload") === "generate") { bar.removeAttribute("value"); }
      else { bar.value = 0; }
      button.disabled = true;
      status.textContent = form.getAttribute("data-upload") === "generate" ? "Generating…" : "Uploading…";
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action"));
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable || form.getAttribute("data-upload") === "generate") return;
        bar.value = Math.round((e.loaded / e.total) * 100);
        status.textContent = "Uploading… " + bar.value + "%";
        if (e.loaded === e.total) {
          bar.removeAttribute("value");
          status.textContent = form.getAttribute("data-upload") === "voice"
            ? "Uploaded. Cloning the voice (this can take a minute)…" : "Uploaded. Checking the image…";
        }
      });
      xhr.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        button.disabled = false;
        bar.hidden = true;
        if (xhr.status >= 200 && xhr.status < 300 && body && body.ok) {
          status.textContent = body.message + " Reloading…";
          window.location.reload();
          return;
        }
        status.textContent = "";
        err.textContent = (body && body.error && body.error.message) ||
          (xhr.status === 413 ? "That file is too large." : "The server refused the upload (HTTP " + xhr.status + ").");
        err.hidden = false;
      });
      xhr.addEventListener("error", function () {
        button.disabled = false; bar.hidden = true; status.textContent = "";
        err.textContent = "The upload did not reach the server. Check your connection and try again.";
        err.hidden = false;
      });
      xhr.send(new FormData(form));
    });
  });
}

// Hear a voice sample; watch an avatar preview.
function setupPlayers() {
  var player = null;
  $all("[data-sample]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var err = $(".sample-error");
      if (err) err.hidden = true;
      if (player) player.pause();
      btn.disabled = true;
      var label = btn.textContent;
      btn.textContent = "Synthesising…";
      fetch(btn.getAttribute("data-sample"), { credentials: "same-origin" })
        .then(function (r) {
          if (r.ok) return r.blob();
          return r.json().then(function (b) { throw new Error(b.error ? b.error.message : "HTTP " + r.status); },
                               function () { throw new Error("HTTP " + r.status); });
        })
        .then(function (blob) {
          player = new Audio(URL.createObjectURL(blob));
          return player.play();
        })
        .catch(function (e) { if (err) { err.textContent = "Could not play the sample: " + e.message; err.hidden = false; } })
        .then(function () { btn.disabled = false; btn.textContent = label; });
    });
  });
  $all("[data-preview]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var li = btn.closest("li"), video = $("video", li), img = $("img", li), status = $(".preview-status", li);
      btn.disabled = true;
      status.textContent = "Rendering a short clip…";
      fetch(btn.getAttribute("data-preview"), { credentials: "same-origin" })
        .then(function (r) {
          if (r.ok) return r.blob();
          return r.json().then(function (b) { throw new Error(b.error ? b.error.message : "HTTP " + r.status); },
                               function () { throw new Error("HTTP " + r.status); });
        })
        .then(function (blob) {
          video.src = URL.createObjectURL(blob);
          video.hidden = false; img.hidden = true;
          status.textContent = "";
          return video.play();
        })
        .catch(function (e) { status.textContent = "Preview failed: " + e.message; })
        .then(function () { btn.disabled = false; });
    });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  setupCopy();
  setupTopup();
  setupUploads();
  setupPlayers();
});
