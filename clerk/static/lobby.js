// The waiting-room screen: asks for the queue every second and redraws
// it; a short beep when a new call comes, unless the office turned the
// sound off. Everything goes in as text, never as HTML.
(function () {
  "use strict";
  var main, calls, shown, audio, soundOn, button, status;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // Browsers start audio only after a click or key press on the page:
  // the first one (any, not only on the button) unlocks it.
  function unlock() {
    try {
      if (!audio) audio = new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
    } catch (e) { /* no audio on this screen */ }
  }

  function beep() {
    if (!soundOn) return;
    try {
      unlock();
      var o = audio.createOscillator(), g = audio.createGain(), t = audio.currentTime;
      o.frequency.value = 880;
      g.gain.setValueAtTime(0.0001, t);
      g.gain.exponentialRampToValueAtTime(0.4, t + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t + 0.5);
      o.connect(g); g.connect(audio.destination);
      o.start(t); o.stop(t + 0.55);
    } catch (e) { /* no audio on this screen */ }
  }

  function setSound(on) {
    soundOn = on;
    try { localStorage.setItem("cita-lobby-sound", on ? "on" : "off"); } catch (e) {}
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? "Sound cue: on" : "Sound cue: off";
  }

  function draw(s) {
    var j = JSON.stringify([s.called, s.waiting]);
    if (j === shown) return; // redraw only on change: the live region speaks once
    shown = j;
    var last = document.getElementById("last");
    last.textContent = "";
    if (s.called.length > 0) {
      last.appendChild(el("span", "code", s.called[0].code));
      last.appendChild(document.createTextNode(" "));
      last.appendChild(el("span", "to", "desk"));
      last.appendChild(document.createTextNode(" "));
      last.appendChild(el("span", "desk", s.called[0].desk));
    } else {
      last.appendChild(el("span", "none", "Nobody called yet"));
    }
    var earlier = document.getElementById("earlier");
    earlier.textContent = "";
    s.called.slice(1).forEach(function (c) {
      var li = el("li");
      li.appendChild(el("span", "code", c.code));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "desk", "desk " + c.desk));
      earlier.appendChild(li);
    });
    var next = document.getElementById("next");
    next.textContent = "";
    s.waiting.forEach(function (code) { next.appendChild(el("li", "code", code)); });
  }

  function poll() {
    var url = "/lobby/state" + window.location.search;
    fetch(url, { cache: "no-store", credentials: "omit" }).then(function (r) {
      if (!r.ok) throw new Error("status " + r.status);
      return r.json();
    }).then(function (s) {
      draw(s);
      if (s.calls > calls) {
        beep();
        var last = document.getElementById("last");
        last.classList.remove("flash");
        void last.offsetWidth; // restart the highlight animation
        last.classList.add("flash");
      }
      calls = s.calls;
      status.textContent = "Live";
      status.className = "status";
    }).catch(function () {
      status.textContent = "Reconnecting…";
      status.className = "status off";
    }).finally(function () {
      window.setTimeout(poll, 1000);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    main = document.getElementById("lobby");
    button = document.getElementById("sound");
    status = document.getElementById("status");
    if (!main || !button) return;
    var stored = null;
    try { stored = localStorage.getItem("cita-lobby-sound"); } catch (e) {}
    setSound(stored !== "off");
    button.addEventListener("click", function () { setSound(!soundOn); if (soundOn) beep(); });
    document.addEventListener("click", unlock);
    document.addEventListener("keydown", unlock);
    calls = Number(main.getAttribute("data-calls"));
    window.setTimeout(poll, 1000);
  });
})();
